"""Admin console accounts: argon2 hashes, lockout, CLI, the persisted cookie secret."""

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from bot.admin_accounts import (
    LOCKOUT,
    MAX_FAILURES,
    AccountError,
    AdminAccounts,
    session_secret,
)
from infra.db import Storage


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def storage(tmp_path):
    s = Storage(tmp_path / "accounts.db")
    s.migrate()
    return s


def test_add_stores_an_argon2_hash_never_the_password(storage):
    AdminAccounts(storage).add("maria", "s3cret-passphrase")
    row = next(storage.db.query("SELECT * FROM admin_accounts"))
    assert row["password_hash"].startswith("$argon2id$")
    assert "s3cret-passphrase" not in str(row)


def test_verify_right_and_wrong_password(storage):
    accounts = AdminAccounts(storage)
    accounts.add("maria", "s3cret-passphrase")
    assert accounts.verify("maria", "s3cret-passphrase")
    assert not accounts.verify("maria", "wrong password")
    assert not accounts.verify("nobody", "s3cret-passphrase")
    outcomes = [r["outcome"] for r in accounts.signins()]
    assert outcomes == ["unknown", "failed", "ok"]


def test_names_and_passwords_are_checked(storage):
    accounts = AdminAccounts(storage)
    with pytest.raises(AccountError):
        accounts.add("bad name!", "long enough pw")
    with pytest.raises(AccountError):
        accounts.add("maria", "short")
    accounts.add("maria", "long enough pw")
    with pytest.raises(AccountError, match="already"):
        accounts.add("maria", "long enough pw")
    with pytest.raises(AccountError, match="no account"):
        accounts.remove("nobody")


def test_lockout_after_five_failures_for_fifteen_minutes(storage):
    clock = Clock()
    accounts = AdminAccounts(storage, now=clock)
    accounts.add("maria", "s3cret-passphrase")
    for _ in range(MAX_FAILURES):
        assert not accounts.verify("maria", "guess")
    assert accounts.locked_until("maria") == clock.now + LOCKOUT
    # Even the right password is refused while locked, and that attempt is recorded.
    assert not accounts.verify("maria", "s3cret-passphrase")
    outcomes = [r["outcome"] for r in accounts.signins("maria")]
    assert outcomes[:2] == ["locked", "locked_out"]
    clock.now += LOCKOUT + timedelta(seconds=1)
    assert accounts.locked_until("maria") is None
    assert accounts.verify("maria", "s3cret-passphrase")


def test_success_resets_the_failure_count(storage):
    accounts = AdminAccounts(storage)
    accounts.add("maria", "s3cret-passphrase")
    for _ in range(MAX_FAILURES - 1):
        accounts.verify("maria", "guess")
    assert accounts.verify("maria", "s3cret-passphrase")
    for _ in range(MAX_FAILURES - 1):
        accounts.verify("maria", "guess")
    assert accounts.locked_until("maria") is None


def test_reset_password_lifts_lockout_and_changes_session_version(storage):
    accounts = AdminAccounts(storage)
    accounts.add("maria", "s3cret-passphrase")
    version = accounts.session_version("maria")
    for _ in range(MAX_FAILURES):
        accounts.verify("maria", "guess")
    accounts.reset_password("maria", "another passphrase")
    assert accounts.locked_until("maria") is None
    assert accounts.session_version("maria") != version
    assert accounts.verify("maria", "another passphrase")
    assert not accounts.verify("maria", "s3cret-passphrase")


def test_is_admin_actor_only_for_existing_web_accounts(storage):
    accounts = AdminAccounts(storage)
    accounts.add("maria", "s3cret-passphrase")
    assert accounts.is_admin_actor("web:maria")
    assert not accounts.is_admin_actor("web:nobody")
    assert not accounts.is_admin_actor("slack:maria")
    assert not accounts.is_admin_actor("web-chat:maria")
    assert not accounts.is_admin_actor(None)
    accounts.remove("maria")
    assert not accounts.is_admin_actor("web:maria")


def test_session_secret_survives_restarts_and_is_never_in_the_database(tmp_path):
    path = tmp_path / "s.db"
    first = Storage(path)
    first.migrate()
    secret = session_secret(first)
    assert len(secret) >= 32
    second = Storage(path)  # a restart
    assert session_secret(second) == secret
    assert session_secret(Storage(path, secret_key="configured-key")) != secret
    second.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = path.read_bytes()
    assert secret.encode() not in raw and first.secret not in raw
    assert not list(first.db.query("SELECT * FROM app_settings WHERE key LIKE '%secret%'"))


def test_parallel_wrong_passwords_are_counted_before_the_hash_is_checked(storage):
    """15 guesses at once: only MAX_FAILURES of them ever reach the password hash."""
    import threading

    from argon2 import PasswordHasher

    class Counting(PasswordHasher):
        checked = 0
        lock = threading.Lock()

        def verify(self, digest, password):
            with self.lock:
                type(self).checked += 1
            return super().verify(digest, password)

    AdminAccounts(storage).add("maria", "s3cret-passphrase")
    hasher = Counting()
    barrier = threading.Barrier(15)

    def guess(i):
        accounts = AdminAccounts(Storage(storage.path), hasher=hasher)
        barrier.wait()
        accounts.verify("maria", f"guess {i}")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counting.checked <= MAX_FAILURES
    assert AdminAccounts(storage).locked_until("maria") is not None


def test_unknown_names_lock_like_real_ones(storage):
    clock = Clock()
    accounts = AdminAccounts(storage, now=clock)
    for _ in range(MAX_FAILURES):
        assert accounts.locked_until("nobody") is None
        accounts.verify("nobody", "guess")
    assert accounts.locked_until("nobody") == clock.now + LOCKOUT
    clock.now += LOCKOUT + timedelta(seconds=1)
    assert accounts.locked_until("nobody") is None


def test_sign_out_ends_every_session_of_the_account(storage):
    accounts = AdminAccounts(storage)
    accounts.add("maria", "s3cret-passphrase")
    version = accounts.session_version("maria")
    accounts.end_sessions("maria")
    assert accounts.session_version("maria") not in (None, version)


# ---------------------------------------------------------------- CLI


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYBOT_DB", str(tmp_path / "cli.db"))
    from policybot.cli_admins import admins

    return admins, tmp_path / "cli.db"


def test_cli_add_prompts_twice_and_list(cli_env):
    admins, db = cli_env
    runner = CliRunner()
    result = runner.invoke(admins, ["add", "maria"], input="pass phrase 1\npass phrase 1\n")
    assert result.exit_code == 0, result.output
    assert "pass phrase 1" not in result.output
    result = runner.invoke(admins, ["list"])
    assert "maria" in result.output and "never" in result.output
    storage = Storage(db)
    assert AdminAccounts(storage).verify("maria", "pass phrase 1")


def test_cli_add_mismatched_passwords_asks_again(cli_env):
    admins, db = cli_env
    result = CliRunner().invoke(admins, ["add", "maria"],
                                input="pass phrase 1\nother phrase\npass phrase 2\npass phrase 2\n")
    assert result.exit_code == 0, result.output
    assert AdminAccounts(Storage(db)).verify("maria", "pass phrase 2")


def test_cli_password_stdin_reset_and_remove(cli_env):
    admins, db = cli_env
    runner = CliRunner()
    assert runner.invoke(admins, ["add", "maria", "--password-stdin"],
                         input="first phrase\n").exit_code == 0
    result = runner.invoke(admins, ["reset-password", "maria", "--password-stdin"],
                           input="second phrase\n")
    assert result.exit_code == 0, result.output
    accounts = AdminAccounts(Storage(db))
    assert accounts.verify("maria", "second phrase")
    result = runner.invoke(admins, ["remove", "maria"], input="y\n")
    assert result.exit_code == 0, result.output
    assert not accounts.exists("maria")


def test_cli_errors_are_one_line(cli_env):
    admins, _ = cli_env
    runner = CliRunner()
    result = runner.invoke(admins, ["add", "maria", "--password-stdin"], input="short\n")
    assert result.exit_code == 1 and "at least 8" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(admins, ["reset-password", "ghost", "--password-stdin"], input="x\n")
    assert result.exit_code == 1 and "no account" in result.output
    result = runner.invoke(admins, ["remove", "ghost", "--yes"])
    assert result.exit_code == 1 and "no account" in result.output
