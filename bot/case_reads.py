"""The unread-reply marker: a case shows as unread to an administrator when its reporter
has answered since that administrator last opened it (per administrator: each admin sees
what they themselves have not read; the same person on two platforms is two actors).

`case_reads` remembers, per case and actor, the last answer seen. It is state for the
list, not evidence: the audit trail ("viewed", "revealed") stays the record of access.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

from infra.clock import now_iso


def mark_read(db: Database, number: str, actor: str) -> None:
    """`actor` has seen every answer on case `number` so far (call after a permitted view)."""
    db.execute(
        "INSERT INTO case_reads (case_number, actor, seen_message_id, seen_at) "
        "VALUES (?, ?, (SELECT COALESCE(MAX(id), 0) FROM case_messages "
        "WHERE case_number = ? AND direction = 'answer'), ?) "
        "ON CONFLICT (case_number, actor) DO UPDATE SET "
        "seen_message_id = excluded.seen_message_id, seen_at = excluded.seen_at",
        [number, actor, number, now_iso()])


def unread(db: Database, numbers: Iterable[str], actor: str) -> set[str]:
    """Which of `numbers` have a reporter's answer `actor` has not seen."""
    numbers = list(numbers)
    if not numbers:
        return set()
    marks = ", ".join("?" * len(numbers))
    rows = db.execute(
        f"SELECT m.case_number FROM case_messages m WHERE m.direction = 'answer' "
        f"AND m.case_number IN ({marks}) GROUP BY m.case_number HAVING MAX(m.id) > "
        f"COALESCE((SELECT r.seen_message_id FROM case_reads r WHERE "
        f"r.case_number = m.case_number AND r.actor = ?), 0)", [*numbers, actor]).fetchall()
    return {row[0] for row in rows}
