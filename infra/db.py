"""The SQLite file behind everything: one connection per thread, WAL, foreign keys on.

SQLite failures a person can act on (locked, read-only, disk full) leave here as
`StorageError` with a plain message; the transaction is rolled back, so nothing
half-written stays behind.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from infra.errors import StorageError
from infra.keys import keyed_hash, load_secret

log = logging.getLogger(__name__)
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another writer before giving up


def storage_error(error: sqlite3.Error, path: str, busy_timeout: float = BUSY_TIMEOUT
                  ) -> StorageError | None:
    """A StorageError with a human message for the faults an operator can fix (locked,
    read-only, disk full, cannot open), or None for anything else (a bug: let it raise).
    The message names the file only; the full path goes to the log."""
    code = getattr(error, "sqlite_errorname", "") or ""
    text = str(error).lower()
    name = Path(path).name if path != ":memory:" else path
    if code.startswith("SQLITE_FULL") or "disk is full" in text:
        message = (f"The disk is full: {name} could not be written. Nothing was saved; free "
                   "some disk space and try again.")
    elif code.startswith("SQLITE_READONLY") or "readonly database" in text:
        message = (f"The database is read-only: {name} (or its folder) cannot be written. "
                   "Nothing was saved; check the file and folder permissions and that the "
                   "disk is not mounted read-only.")
    elif code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text:
        message = (f"The database is locked by another program: {name} stayed busy for "
                   f"{busy_timeout:g} s. Nothing was saved; try again in a moment, and stop "
                   "any other program holding it open.")
    elif code.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        message = (f"The database cannot be opened: {name} (check that its folder exists "
                   "and can be written).")
    else:
        return None
    log.error("storage fault on %s: %s (%s)", path, error, code or "no code")
    return StorageError(message)


@contextlib.contextmanager
def translate_errors(path: str, busy_timeout: float = BUSY_TIMEOUT) -> Iterator[None]:
    """Re-raise locked / read-only / disk-full sqlite3 errors as StorageError."""
    try:
        yield
    except sqlite3.Error as e:
        translated = storage_error(e, path, busy_timeout)
        if translated is None:
            raise
        raise translated from e


class Storage:
    """One SQLite file. Each thread gets its own connection; WAL lets readers run
    beside the one writer, and `write()` takes the write lock up front so
    concurrent writers queue instead of failing."""

    def __init__(self, path: str | Path, busy_timeout: float = BUSY_TIMEOUT,
                 secret_key: str | None = None):
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self._configured_secret = secret_key
        self._secret: bytes | None = None
        self._local = threading.local()
        if self.path != ":memory:":
            folder = Path(self.path).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as e:  # a file in the way, no permission, read-only disk
                raise StorageError(f"The database cannot be opened: {self.path} (its folder "
                                   f"{folder} cannot be created: {e.strerror}).") from e

    @property
    def secret(self) -> bytes:
        """The server's secret key (POLICYBOT_SECRET_KEY or the key file beside this
        database, never inside it): see infra.keys."""
        if self._secret is None:
            self._secret = load_secret(self.path, self._configured_secret)
        return self._secret

    def keyed(self, value: str, purpose: str = "id") -> str:
        """What is stored in place of a platform id: a keyed hash (infra.keys.keyed_hash)."""
        return keyed_hash(self.secret, value, purpose)

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    def _connect(self) -> sqlite_utils.Database:
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout,
                                   check_same_thread=False, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            # Deleted rows (e.g. a report draft keyed by a chat id) are overwritten, not
            # left readable in free pages.
            conn.execute("PRAGMA secure_delete = ON")
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as e:
            translated = storage_error(e, self.path, self.busy_timeout)
            raise translated or StorageError(f"Cannot open the database {self.path}: {e}") from e
        return sqlite_utils.Database(conn)

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction (BEGIN IMMEDIATE); nested calls become savepoints.
        Locked, read-only and disk-full errors roll back and raise StorageError."""
        db = self.db
        if db.conn.in_transaction:
            with self.translate_errors(), db.atomic():
                yield db
            return
        with self.translate_errors():
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.conn.execute("COMMIT")
            except BaseException:
                if db.conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):  # keep the original error
                        db.conn.execute("ROLLBACK")
                raise

    def translate_errors(self) -> contextlib.AbstractContextManager[None]:
        """For writes made outside `write()`: the same StorageError messages."""
        return translate_errors(self.path, self.busy_timeout)

    def forget_deleted(self) -> bool:
        """Fold the write-ahead log into the database and empty it, so old versions of
        deleted rows do not linger in the -wal file. Best effort: False when a reader
        still needs the old pages (they go at the next checkpoint)."""
        if self.path == ":memory:":
            return True
        try:
            busy, _, _ = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error:
            return False
        return busy == 0

    def migrate(self) -> None:
        from infra.migrations import migrations

        with self.translate_errors():
            migrations.apply(self.db)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None
