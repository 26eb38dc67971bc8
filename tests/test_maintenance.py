"""`policybot backup` (online, consistent, restorable) and `policybot retention`
(closed cases past the retention period, one transaction, audit trail otherwise
append-only)."""

import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from bot.cases import CaseStore
from bot.config import LOCAL_OPERATOR, Settings
from bot.events import EventBus
from bot.maintenance import backup_database, purge_closed_cases
from infra.db import Storage
from infra.errors import StorageError
from infra.migrations import migrations
from policybot.cli_maintenance import backup, retention

ADMIN = "slack:UADMIN"
REPORTER = "slack:UREPORTER77"
DRAFT = {"category": "harassing", "danger": "no", "platform": "facebook",
         "link": "https://facebook.com/p/1", "when": "2026-03-01", "target": "student",
         "description": "They posted a photo of a student.", "identity": "named"}
OLD = (datetime.now(UTC) - timedelta(days=400)).isoformat(timespec="seconds")


def make_store(path) -> CaseStore:
    settings = Settings(db_path=str(path), admins=frozenset({ADMIN}))
    storage = Storage(settings.db_path)
    storage.migrate()
    return CaseStore(storage, settings, EventBus())


def open_case(store, **changes) -> str:
    return store.open_case({**DRAFT, **changes}, REPORTER, False, ["BUL-5688.0#3"])[0]["number"]


def close(store, number, status="resolved"):
    for step in ("triaged", "investigating"):
        store.set_status(number, step, ADMIN)
    if status == "resolved":
        store.close(number, "Post removed.", ADMIN)
    else:
        store.set_status(number, status, ADMIN, reason="unfounded")


def age(store, number, when=OLD):
    with store.storage.write() as db:
        db.execute("UPDATE cases SET updated_at = ? WHERE number = ?", [when, number])


def dump(path):
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                for t in ("cases", "case_events", "case_messages")}
    finally:
        conn.close()


@pytest.fixture
def store(tmp_path):
    store = make_store(tmp_path / "live.db")
    for i in range(3):
        number = open_case(store, description=f"Case {i}: ünïcødé ✓ שלום 👩‍👩‍👧")
        store.ask_reporter(number, f"Question {i}?", ADMIN)
        store.answer_as_reporter(REPORTER, number, f"Answer {i}")
        store.add_note(number, f"note {i}", ADMIN)
    store.open_case(DRAFT, None, True, [])
    store.record_denied("slack:UNOBODY", "list")
    return store


# ------------------------------------------------------------------ backup

def test_backup_copies_everything_and_checks_the_copy(store, tmp_path):
    copy = tmp_path / "backups" / "copy.db"
    copy.parent.mkdir()
    result = backup_database(store.storage.path, copy)
    assert result.integrity == "ok" and result.size == copy.stat().st_size
    assert result.tables == {"cases": 4, "case_events": len(dump(copy)["case_events"]),
                             "case_messages": 6}
    assert dump(copy) == dump(store.storage.path)
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file, no -wal
    assert sorted(p.name for p in copy.parent.iterdir()) == ["copy.db"]  # no partial left


def test_backup_refuses_to_overwrite_without_force(store, tmp_path):
    target = tmp_path / "exists.db"
    target.write_bytes(b"keep me")
    with pytest.raises(StorageError, match="already exists; use --force"):
        backup_database(store.storage.path, target)
    assert target.read_bytes() == b"keep me"
    backup_database(store.storage.path, target, force=True)
    assert dump(target) == dump(store.storage.path)


def test_backup_of_a_missing_database_or_onto_itself_is_refused(store, tmp_path):
    with pytest.raises(StorageError, match="There is no database"):
        backup_database(tmp_path / "nope.db", tmp_path / "out.db")
    assert not (tmp_path / "nope.db").exists()
    with pytest.raises(StorageError, match="cannot be written over the database"):
        backup_database(store.storage.path, store.storage.path, force=True)


def test_backup_while_the_server_writes_is_a_consistent_snapshot(store, tmp_path):
    stop = threading.Event()
    errors = []

    def writer():
        try:
            while not stop.is_set():
                number = open_case(store)
                store.add_note(number, "busy", ADMIN)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        copies = [backup_database(store.storage.path, tmp_path / f"b{i}.db") for i in range(5)]
    finally:
        stop.set()
        thread.join()
    assert not errors
    for result in copies:
        assert result.integrity == "ok"
        conn = sqlite3.connect(result.path)
        # Each case was written with its "opened" event in one transaction: a torn copy
        # would have a case without it, or an event without its case.
        orphans = conn.execute(
            "SELECT COUNT(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_events e "
            "WHERE e.case_number = c.number AND e.action = 'opened')").fetchone()[0]
        dangling = conn.execute(
            "SELECT COUNT(*) FROM case_events e WHERE e.action = 'opened' AND NOT EXISTS "
            "(SELECT 1 FROM cases c WHERE c.number = e.case_number)").fetchone()[0]
        assert orphans == 0 and dangling == 0
    assert copies[-1].tables["cases"] >= copies[0].tables["cases"] >= 4


def test_restore_a_backup_as_the_database(store, tmp_path, monkeypatch):
    copy = tmp_path / "restore.db"
    backup_database(store.storage.path, copy)
    before = dump(store.storage.path)
    monkeypatch.setenv("POLICYBOT_DB", str(copy))
    settings = Settings.from_env()
    restored = CaseStore(Storage(settings.db_path), settings.with_(admins=frozenset({ADMIN})),
                         EventBus())
    restored.storage.migrate()
    assert dump(copy) == before
    for row in before["cases"]:
        number = row[1]
        case = restored.get(number, ADMIN)
        assert (case["description"], case["status"]) == (row[10], row[12])
        events = [(e["id"], e["action"]) for e in restored.events(number, ADMIN)]
        expected = [(e[0], e[2]) for e in before["case_events"] if e[1] == number]
        assert events == expected + [(events[-1][0], "viewed")]
        assert ([m["text"] for m in restored.messages(number, ADMIN)]
                == [m[4] for m in before["case_messages"] if m[1] == number])
    # The restored log carries on where it stopped.
    year = before["cases"][0][2]
    assert open_case(restored) == f"{year}-0005"


def test_backup_command_prints_the_copy_and_its_integrity(store, tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYBOT_DB", store.storage.path)
    target = tmp_path / "cli.db"
    ok = CliRunner().invoke(backup, [str(target)])
    assert ok.exit_code == 0, ok.output
    assert f"to {target}" in ok.output and "4 cases" in ok.output
    assert "integrity_check of the copy: ok" in ok.output
    again = CliRunner().invoke(backup, [str(target)])
    assert again.exit_code == 1 and "already exists; use --force" in again.output
    assert "Traceback" not in again.output
    assert CliRunner().invoke(backup, [str(target), "--force"]).exit_code == 0


# ------------------------------------------------------------------ retention

@pytest.fixture
def aged(store):
    """2 old closed cases, 1 old open, 1 recently closed (numbers in that order)."""
    numbers = [c["number"] for c in reversed(store.list_cases(ADMIN))]
    close(store, numbers[0], "resolved")
    close(store, numbers[1], "dismissed")
    store.set_status(numbers[2], "triaged", ADMIN)
    close(store, numbers[3], "resolved")
    for number in numbers[:3]:
        age(store, number)
    return numbers


def test_dry_run_lists_the_purge_and_changes_nothing(store, aged):
    before = dump(store.storage.path)
    result = purge_closed_cases(store.storage, 365, LOCAL_OPERATOR, dry_run=True)
    assert result.dry_run and result.case_numbers == aged[:2]
    assert result.events == sum(1 for e in before["case_events"] if e[1] in aged[:2])
    assert result.messages == 4
    assert dump(store.storage.path) == before
    assert store.storage.db["retention_log"].count == 0


def test_retention_deletes_old_closed_cases_and_records_the_run(store, aged):
    before = dump(store.storage.path)
    result = purge_closed_cases(store.storage, 365, LOCAL_OPERATOR)
    assert result.case_numbers == aged[:2] and not result.dry_run
    after = dump(store.storage.path)
    assert [c[1] for c in after["cases"]] == aged[2:]
    assert not [e for e in after["case_events"] if e[1] in aged[:2]]
    assert not [m for m in after["case_messages"] if m[1] in aged[:2]]
    # Everything else is untouched, including events with no case (denied attempts).
    kept = [e for e in before["case_events"] if e[1] not in aged[:2]]
    assert after["case_events"][:len(kept)] == kept
    assert after["case_messages"] == [m for m in before["case_messages"] if m[1] in aged[2:]]
    log = list(store.storage.db["retention_log"].rows)
    assert len(log) == 1
    row = log[0]
    assert (row["actor"], row["older_than_days"], row["cutoff"]) == (LOCAL_OPERATOR, 365,
                                                                      result.cutoff)
    assert (row["cases"], row["messages"]) == (2, 4) and row["events"] == result.events > 0
    assert json.loads(row["case_numbers"]) == aged[:2]
    marker = after["case_events"][-1]
    assert marker[1] is None and marker[2] == "retention_purged"
    assert json.loads(marker[4])["retention_log_id"] == row["id"]
    assert store.storage.db["retention_purge"].count == 0
    # A second run finds nothing more and is recorded too.
    assert purge_closed_cases(store.storage, 365, LOCAL_OPERATOR).case_numbers == []
    assert store.storage.db["retention_log"].count == 2


def test_the_audit_trail_stays_append_only_outside_retention(store, aged):
    conn = sqlite3.connect(store.storage.path, isolation_level=None)  # autocommit
    closed = aged[0]
    for sql in ("DELETE FROM case_events WHERE case_number = ?",
                "DELETE FROM case_messages WHERE case_number = ?",
                "DELETE FROM cases WHERE number = ?"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only|only deleted by retention"):
            conn.execute(sql, [closed])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM case_events WHERE case_number IS NULL")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE case_events SET actor = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="only closed cases"):
        conn.execute("INSERT INTO retention_purge VALUES (?)", [aged[2]])  # still open
    purge_closed_cases(store.storage, 365, LOCAL_OPERATOR)
    for sql in ("UPDATE retention_log SET cases = 0", "DELETE FROM retention_log"):
        with pytest.raises(sqlite3.IntegrityError, match="retention_log is append-only"):
            conn.execute(sql)


def test_a_failed_retention_run_changes_nothing(store, aged):
    before = dump(store.storage.path)
    store.storage.db.execute("CREATE TEMP TRIGGER boom BEFORE DELETE ON main.cases "
                             "BEGIN SELECT RAISE(ABORT, 'boom'); END")
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        purge_closed_cases(store.storage, 365, LOCAL_OPERATOR)
    assert dump(store.storage.path) == before
    assert store.storage.db["retention_log"].count == 0
    assert store.storage.db["retention_purge"].count == 0


def test_migration_0006_upgrades_a_database_with_cases(tmp_path):
    path = tmp_path / "old.db"
    storage = Storage(path)
    migrations.apply(storage.db, stop_before="0006_retention")
    # a closed case as the code of that time wrote it (today's CaseStore needs later tables)
    number = f"{OLD[:4]}-0001"
    with storage.write() as db:
        db.execute("INSERT INTO cases (number, year, seq, category, urgency, platform, target, "
                   "description, status, dismiss_reason, reporter, created_at, updated_at) "
                   "VALUES (?, ?, 1, 'harassing', 'normal', 'instagram', 'employee', 'x', "
                   "'dismissed', 'unfounded', ?, ?, ?)", [number, int(OLD[:4]), REPORTER, OLD, OLD])
        for action in ("opened", "status_changed"):
            db.execute("INSERT INTO case_events (case_number, action, actor, created_at) "
                       "VALUES (?, ?, ?, ?)", [number, action, ADMIN, OLD])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        storage.db.execute("DELETE FROM case_events")
    storage.migrate()
    assert purge_closed_cases(storage, 30, LOCAL_OPERATOR).case_numbers == [number]
    assert storage.db["cases"].count == 0


def test_retention_command(store, aged, monkeypatch):
    monkeypatch.setenv("POLICYBOT_DB", store.storage.path)
    runner = CliRunner()
    dry = runner.invoke(retention, ["--older-than", "365", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would purge 2 closed case(s)" in dry.output and " ".join(aged[:2]) in dry.output
    assert "nothing was changed" in dry.output
    run = runner.invoke(retention, ["--older-than", "365"])
    assert run.exit_code == 0 and "Purged 2 closed case(s)" in run.output
    assert "Recorded in retention_log" in run.output
    bad = runner.invoke(retention, ["--older-than", "0"])
    assert bad.exit_code == 2 and "0 is not in the range" in bad.output
    assert runner.invoke(retention, []).exit_code == 2  # --older-than is required
