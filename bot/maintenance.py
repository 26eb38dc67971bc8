"""Operator maintenance: an online backup of the database, and the retention purge.

`backup_database` copies the live file with SQLite's online backup API while the
server keeps writing (the copy is one consistent snapshot), into a temporary file
that is renamed into place only after `PRAGMA integrity_check` passes.

`purge_closed_cases` deletes closed cases (resolved or dismissed, not updated for
`older_than_days`) with their audit events and messages, in one transaction, and
records the run in `retention_log`. The audit trail's delete triggers (migration
0006) only let through rows whose case is listed in `retention_purge`, a guard
table filled and emptied inside that same transaction.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.case_edits import CLOSED
from infra.clock import now_iso
from infra.db import Storage, translate_errors
from infra.errors import StorageError


@dataclass(frozen=True)
class BackupResult:
    source: str
    path: str
    size: int
    integrity: str
    tables: dict[str, int]


@dataclass(frozen=True)
class RetentionResult:
    cutoff: str
    older_than_days: int
    case_numbers: list[str] = field(default_factory=list)
    events: int = 0
    messages: int = 0
    dry_run: bool = False
    log_id: int | None = None


def backup_database(source: str | Path, dest: str | Path, force: bool = False) -> BackupResult:
    """Copy the database at `source` to `dest` (a self-contained file, no -wal).
    Refuses an existing `dest` unless `force`. Raises StorageError."""
    source, dest = Path(source), Path(dest)
    if not source.is_file():
        raise StorageError(f"There is no database at {source}.")
    if dest.exists() and not force:
        raise StorageError(f"{dest} already exists; use --force to overwrite it.")
    if dest.exists() and dest.is_dir():
        raise StorageError(f"{dest} is a folder; give a file name.")
    if dest.resolve() == source.resolve():
        raise StorageError("The backup cannot be written over the database itself.")
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    try:
        with translate_errors(str(dest)):
            _copy(source, tmp)
            integrity, tables = _inspect(tmp)
        if integrity != "ok":
            raise StorageError(f"The copy failed its integrity check ({integrity}); "
                               f"{dest} was not written.")
        if force:
            os.replace(tmp, dest)
        else:
            try:
                os.link(tmp, dest)  # never replaces a file that appeared meanwhile
            except FileExistsError:
                raise StorageError(f"{dest} already exists; use --force to overwrite it.") \
                    from None
    except OSError as e:
        raise StorageError(f"Could not write the backup {dest}: {e.strerror or e}.") from e
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return BackupResult(str(source), str(dest), dest.stat().st_size, integrity, tables)


def _copy(source: Path, target: Path) -> None:
    with translate_errors(str(source)):
        src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            # pages=-1: the whole file in one step, under one read transaction, so the copy
            # is a consistent snapshot; in WAL mode the server's writers are not blocked.
            with translate_errors(str(source)):
                src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode = DELETE")  # the copy is one self-contained file
        finally:
            dst.close()
    finally:
        src.close()


def _inspect(path: Path) -> tuple[str, dict[str, int]]:
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        result = "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                            "'table' AND name IN ('cases', 'case_events', "
                                            "'case_messages')")]
        tables = {n: conn.execute(f"SELECT COUNT(*) FROM {n}").fetchone()[0] for n in names}
    finally:
        conn.close()
    return result, tables


def retention_cutoff(older_than_days: int, now: datetime | None = None) -> str:
    """The `updated_at` before which a closed case is purged (same format as now_iso)."""
    now = now or datetime.now(UTC)
    return (now - timedelta(days=older_than_days)).isoformat(timespec="seconds")


def purge_closed_cases(storage: Storage, older_than_days: int, actor: str,
                       dry_run: bool = False, now: datetime | None = None) -> RetentionResult:
    """Delete closed cases not updated for `older_than_days` days, with their events and
    messages, in one transaction recorded in retention_log. `dry_run` writes nothing."""
    if older_than_days < 1:
        raise ValueError("The retention period must be at least 1 day.")
    cutoff = retention_cutoff(older_than_days, now)
    with storage.write() as db:
        numbers = [r["number"] for r in db.query(
            "SELECT number FROM cases WHERE status IN (?, ?) AND updated_at < ? "
            "ORDER BY year, seq", [*CLOSED, cutoff])]
        marks = ",".join("?" * len(numbers))
        events = messages = 0
        if numbers:
            events = db.execute(f"SELECT COUNT(*) FROM case_events WHERE case_number IN "
                                f"({marks})", numbers).fetchone()[0]
            messages = db.execute(f"SELECT COUNT(*) FROM case_messages WHERE case_number IN "
                                  f"({marks})", numbers).fetchone()[0]
        if dry_run:
            return RetentionResult(cutoff, older_than_days, numbers, events, messages, True)
        if numbers:
            db.conn.executemany("INSERT INTO retention_purge (case_number) VALUES (?)",
                                [(n,) for n in numbers])
            db.execute("DELETE FROM case_events WHERE case_number IN "
                       "(SELECT case_number FROM retention_purge)")
            db.execute("DELETE FROM case_messages WHERE case_number IN "
                       "(SELECT case_number FROM retention_purge)")
            db.execute("DELETE FROM cases WHERE number IN "
                       "(SELECT case_number FROM retention_purge)")
            db.execute("DELETE FROM retention_purge")
        run_at = now_iso()
        log_id = db.execute(
            "INSERT INTO retention_log (run_at, actor, older_than_days, cutoff, cases, events, "
            "messages, case_numbers) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [run_at, actor, older_than_days, cutoff, len(numbers), events, messages,
             json.dumps(numbers)]).lastrowid
        # The run also appears in the audit trail (no case number: the cases are gone).
        db.execute("INSERT INTO case_events (case_number, action, actor, detail, created_at) "
                   "VALUES (NULL, 'retention_purged', ?, ?, ?)",
                   [actor, json.dumps({"retention_log_id": log_id, "cases": len(numbers),
                                       "cutoff": cutoff}), run_at])
    return RetentionResult(cutoff, older_than_days, numbers, events, messages, False, log_id)
