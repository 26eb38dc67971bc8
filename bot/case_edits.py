"""Case changes beyond the forward workflow: assign to a known administrator, close with
a reason, reopen with a reason, change the category or the urgency.

`CaseEdits` is a part of `bot.cases.CaseStore` (which holds the storage, the audit
trail and the permission check); every change here is one write transaction that
updates the case, appends an audited event with old -> new, and records a
`CaseUpdated` for the announcements.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from bot.events import CaseUpdated
from bot.report_flow import CATEGORIES
from infra.clock import now_iso
from infra.errors import InvalidTransitionError

log = logging.getLogger(__name__)

URGENCIES = (("urgent", "Urgent"), ("normal", "Normal"))
# The statuses a case is closed with; a closed case can only be reopened.
RESOLVED = "resolved"
CLOSED = (RESOLVED, "dismissed")
REOPEN_FALLBACK = "triaged"


class UnknownAssigneeError(ValueError):
    """Assigning to someone who is not a known administrator."""


class CaseEdits:
    """Mixed into CaseStore: uses its `storage`, `bus`, `admins`, `_require_admin`,
    `_fetch`, `_event`, `_row_to_case`, `_check_length`, `_where_next` and `TRANSITIONS`."""

    def _change(self, number: str, actor: str, action: str,
                decide: Callable[[Database, dict[str, Any]], tuple[dict, dict]],
                ) -> dict[str, Any]:
        """`decide(db, row)` checks the case as it is inside the write transaction and
        returns (column changes, audit detail), or raises to change nothing."""
        with self.storage.write() as db:
            changes, detail = decide(db, self._fetch(db, number))
            db.execute(f"UPDATE cases SET {', '.join(f'{c} = ?' for c in changes)}, "
                       "updated_at = ? WHERE number = ?",
                       [*changes.values(), now_iso(), number])
            self._event(db, number, action, actor, detail)
            case = self._row_to_case(self._fetch(db, number))
            event = CaseUpdated(number=number, action=action)
            event_id = self.bus.record(db, event)
        log.info("case %s: %s by %s", number, action, actor)
        self.bus.publish(event, event_id)
        return case

    def check_assignee(self, assignee: str) -> str:
        """The assignee if they are a known administrator, else a clear refusal."""
        assignee = (assignee or "").strip()
        known = dict(self.admins.assignees())
        if assignee not in known:
            names = ", ".join(f"{label} ({actor})" for actor, label in known.items())
            raise UnknownAssigneeError(
                f"{assignee or 'Nobody'} is not a case administrator here; a case can be "
                f"assigned to: {names or 'nobody yet (add an administrator first)'}.")
        return assignee

    def _field(self, number: str, actor: str, column: str, value: str,
               allowed: tuple[tuple[str, str], ...]) -> dict[str, Any]:
        self._require_admin(actor, f"set_{column}", number)
        value = (value or "").strip().lower()
        if value not in dict(allowed):
            raise ValueError(f"Unknown {column} {value!r}; choose one of "
                             f"{', '.join(v for v, _ in allowed)}.")

        def decide(db: Database, row: dict[str, Any]) -> tuple[dict, dict]:
            if row[column] == value:
                raise ValueError(f"Case {number} is already {column} {value}.")
            return {column: value}, {"from": row[column], "to": value}
        return self._change(number, actor, f"{column}_changed", decide)

    def set_category(self, number: str, category: str, actor: str) -> dict[str, Any]:
        return self._field(number, actor, "category", category, CATEGORIES)

    def set_urgency(self, number: str, urgency: str, actor: str) -> dict[str, Any]:
        return self._field(number, actor, "urgency", urgency, URGENCIES)

    def close(self, number: str, reason: str, actor: str) -> dict[str, Any]:
        """Resolve the case now, with the reason in the trail, where the workflow allows."""
        self._require_admin(actor, "close", number)
        reason = self._check_length(reason, "reason for closing")

        def decide(db: Database, row: dict[str, Any]) -> tuple[dict, dict]:
            current = row["status"]
            if RESOLVED not in self.TRANSITIONS[current]:
                raise InvalidTransitionError(f"Case {number} is {current}; it cannot be "
                                             f"closed from there. {self._where_next(current)}")
            return {"status": RESOLVED}, {"from": current, "to": RESOLVED, "reason": reason}
        return self._change(number, actor, "status_changed", decide)

    def reopen(self, number: str, reason: str, actor: str) -> dict[str, Any]:
        """A closed case goes back to the status it was closed from, with the reason."""
        self._require_admin(actor, "reopen", number)
        reason = self._check_length(reason, "reason for reopening")

        def decide(db: Database, row: dict[str, Any]) -> tuple[dict, dict]:
            if row["status"] not in CLOSED:
                raise InvalidTransitionError(f"Case {number} is {row['status']}: it is "
                                             "open, so there is nothing to reopen.")
            back = db.execute("SELECT json_extract(detail, '$.from') FROM case_events WHERE "
                              "case_number = ? AND action = 'status_changed' AND "
                              "json_extract(detail, '$.to') = ? ORDER BY id DESC LIMIT 1",
                              [number, row["status"]]).fetchone()
            to = back[0] if back and back[0] in self.TRANSITIONS and back[0] not in CLOSED \
                else REOPEN_FALLBACK
            return ({"status": to, "dismiss_reason": None},
                    {"from": row["status"], "from_reason": row["dismiss_reason"], "to": to,
                     "reason": reason})
        return self._change(number, actor, "reopened", decide)
