"""Admin console accounts: argon2 password hashes, lockout after repeated failed sign-ins.

Accounts are managed from the CLI (`policybot admins ...`). A signed-in account acts
as `web:<name>`. Every sign-in attempt is recorded in `admin_signins` (no passwords).
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from infra.db import Storage
from infra.errors import PolicybotError
from infra.keys import derive

log = logging.getLogger(__name__)

ACTOR_PREFIX = "web:"
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
NAME_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class AccountError(PolicybotError, ValueError):
    """A bad account name or password, or an account that does (not) exist."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_SHAPE.fullmatch(name):
        raise AccountError("An account name is 1-64 letters, digits, dots, dashes or "
                           "underscores, starting with a letter or digit.")
    return name


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"A password needs at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"A password has at most {MAX_PASSWORD} characters.")
    return password


class AdminAccounts:
    def __init__(self, storage: Storage, now: Callable[[], datetime] = _utcnow,
                 hasher: PasswordHasher | None = None):
        self.storage = storage
        self.now = now
        self.hasher = hasher or PasswordHasher()

    # ------------------------------------------------------------ management (CLI)

    def add(self, name: str, password: str) -> None:
        name, password = check_name(name), check_password(password)
        digest = self.hasher.hash(password)
        now = _iso(self.now())
        with self.storage.write() as db:
            if db.execute("SELECT 1 FROM admin_accounts WHERE name = ?", [name]).fetchone():
                raise AccountError(f"There is already an account named {name}.")
            db.execute("INSERT INTO admin_accounts (name, password_hash, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?)", [name, digest, now, now])
        log.info("admin account %s added", name)

    def end_sessions(self, name: str) -> None:
        """Sign-out: every cookie issued to this account so far stops working."""
        with self.storage.write() as db:
            db.execute("UPDATE admin_accounts SET session_epoch = session_epoch + 1 "
                       "WHERE name = ?", [name])

    def remove(self, name: str) -> None:
        with self.storage.write() as db:
            cursor = db.execute("DELETE FROM admin_accounts WHERE name = ?", [name])
            if cursor.rowcount == 0:
                raise AccountError(f"There is no account named {name}.")
        log.info("admin account %s removed", name)

    def reset_password(self, name: str, password: str) -> None:
        """A new password; also lifts a lockout and ends the account's open sessions."""
        password = check_password(password)
        digest = self.hasher.hash(password)
        with self.storage.write() as db:
            cursor = db.execute("UPDATE admin_accounts SET password_hash = ?, failed_count = 0, "
                                "locked_until = NULL, updated_at = ? WHERE name = ?",
                                [digest, _iso(self.now()), name])
            if cursor.rowcount == 0:
                raise AccountError(f"There is no account named {name}.")
        log.info("admin account %s: password reset", name)

    def list(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.storage.db.query(
            "SELECT name, created_at, last_signin_at, locked_until, failed_count "
            "FROM admin_accounts ORDER BY name")]

    # ------------------------------------------------------------ sign-in

    def _row(self, name: str) -> dict[str, Any] | None:
        rows = list(self.storage.db.query("SELECT * FROM admin_accounts WHERE name = ?",
                                          [name]))
        return rows[0] if rows else None

    def locked_until(self, name: str) -> datetime | None:
        """When sign-ins for `name` open again, or None. Names without an account lock the
        same way (counted from the sign-in log), so the answer does not tell which exist."""
        row = self._row(name)
        if row is not None:
            until = datetime.fromisoformat(row["locked_until"]) if row["locked_until"] else None
        else:
            recent = [r["created_at"] for r in self.storage.db.query(
                "SELECT created_at FROM admin_signins WHERE name = ? AND outcome = 'unknown' "
                "AND created_at >= ? ORDER BY id DESC LIMIT ?",
                [name, _iso(self.now() - LOCKOUT), MAX_FAILURES])]
            until = (datetime.fromisoformat(recent[0]) + LOCKOUT
                     if len(recent) >= MAX_FAILURES else None)
        return until if until and until > self.now() else None

    def verify(self, name: str, password: str) -> bool:
        """True for the right password of an existing, unlocked account. The fifth failure
        in a row locks the account for 15 minutes; every attempt is recorded. An attempt
        is counted (in one write transaction) before the password is checked, so parallel
        guesses cannot slip past the lock while the slow hash runs."""
        name = (name or "").strip()[:64]
        password = (password or "")[:MAX_PASSWORD]
        row = self._row(name) if name else None
        if row is None:
            # Spend the same time as a real check, so names cannot be probed by timing.
            try:
                self.hasher.verify(_dummy_hash(), password)
            except (VerificationError, InvalidHashError):
                pass
            self._record(name or "-", "locked" if self.locked_until(name) else "unknown")
            return False
        now = self.now()
        with self.storage.write() as db:
            current = db.execute("SELECT failed_count, locked_until FROM admin_accounts "
                                 "WHERE name = ?", [name]).fetchone()
            if current is None:
                return False
            failed, locked = current[0] or 0, current[1]
            if locked and datetime.fromisoformat(locked) > now:
                self._record(name, "locked", db)
                return False
            if failed >= MAX_FAILURES:  # the last allowed guesses are still being checked
                self._lock(db, name, now)
                return False
            db.execute("UPDATE admin_accounts SET failed_count = ? WHERE name = ?",
                       [failed + 1, name])
        try:
            self.hasher.verify(row["password_hash"], password)
            ok = True
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        with self.storage.write() as db:
            if ok:
                changes = {"failed_count": 0, "locked_until": None, "last_signin_at": _iso(now)}
                if self.hasher.check_needs_rehash(row["password_hash"]):
                    changes["password_hash"] = self.hasher.hash(password)
                db["admin_accounts"].update(name, changes)
                self._record(name, "ok", db)
                return True
            failures = db.execute("SELECT failed_count FROM admin_accounts WHERE name = ?",
                                  [name]).fetchone()
            if failures is not None and (failures[0] or 0) >= MAX_FAILURES:
                self._lock(db, name, now)
            else:
                self._record(name, "failed", db)
        return False

    def _lock(self, db, name: str, now: datetime) -> None:
        db["admin_accounts"].update(name, {"failed_count": 0,
                                           "locked_until": _iso(now + LOCKOUT)})
        self._record(name, "locked_out", db)
        log.warning("admin account %s locked for %s after %d failed sign-ins",
                    name, LOCKOUT, MAX_FAILURES)

    def _record(self, name: str, outcome: str, db=None) -> None:
        sql = "INSERT INTO admin_signins (name, outcome, created_at) VALUES (?, ?, ?)"
        params = [name, outcome, _iso(self.now())]
        if db is not None:
            db.execute(sql, params)
            return
        with self.storage.write() as w:
            w.execute(sql, params)

    def signins(self, name: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Recorded sign-in attempts, newest first."""
        where, params = ("WHERE name = ?", [name]) if name else ("", [])
        return list(self.storage.db.query(
            f"SELECT * FROM admin_signins {where} ORDER BY id DESC LIMIT ?", params + [limit]))

    # ------------------------------------------------------------ sessions

    def exists(self, name: str) -> bool:
        return self._row(name) is not None

    def is_admin_actor(self, actor: str | None) -> bool:
        """True for "web:<name>" of an existing account."""
        if not actor or not actor.startswith(ACTOR_PREFIX):
            return False
        return self.exists(actor[len(ACTOR_PREFIX):])

    def session_version(self, name: str) -> str | None:
        """Changes when the password changes or the account signs out (ending older
        sessions); None if there is no such account (removed: its sessions end too)."""
        row = self._row(name)
        if row is None:
            return None
        return self.storage.keyed(f"{row['password_hash']}:{row['session_epoch']}",
                                  "session")[-16:]


@functools.cache
def _dummy_hash() -> str:
    return PasswordHasher().hash(secrets.token_hex(16))


def session_secret(storage: Storage) -> str:
    """The cookie-signing key, derived from the server's secret key (infra.keys), which is
    never stored in the database: a backup of it cannot forge a console session."""
    return derive(storage.secret, "web-session").hex()
