"""The case log: open, view, assign, change status, note, ask the reporter, export, audit.
The reporter's side (opening a case, keys, the reporter's view and answers) is
bot/case_reporters.py, changes beyond the forward workflow bot/case_edits.py.

Every administrator operation checks the actor here (not in the front ends): a
non-admin gets `NotPermittedError` and a "denied" event is written. Every action
appends to `case_events`, which SQLite triggers keep append-only.

Anonymous means anonymous: `reporter` is NULL, only a SHA-256 of the secret case
key is kept (the key is 145 random bits, so a plain hash cannot be reversed; see
bot/case_keys.py), the
audit actor is "anonymous", and logs never carry descriptions, notes or questions.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from sqlite_utils import Database

from bot.administrators import Administrators
from bot.case_edits import RESOLVED, CaseEdits
from bot.case_reporters import CaseReporters
from bot.config import Settings
from bot.events import CaseUpdated, EventBus, ReporterAsked
from bot.follow_up import question_delivery
from bot.report_flow import DESCRIPTION_LIMIT
from infra.clock import now_iso
from infra.db import Storage
from infra.errors import (
    CaseNotFoundError,
    InputTooLargeError,
    InvalidTransitionError,
    NotPermittedError,
)

log = logging.getLogger(__name__)

STATUSES = ("new", "triaged", "investigating", "resolved", "dismissed")
DISMISS_REASONS = ("duplicate", "unfounded", "out_of_scope", "referred")
# Dismissal is allowed from any open status: duplicates are usually spotted at triage.
# Resolving is closing with a reason (`CaseEdits.close`) where this table allows it, also
# when asked as a status change (`set_status` hands it to `close`; without a reason it
# refuses); a closed case is reopened (`CaseEdits.reopen`) to the status it was closed from.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("triaged", "dismissed"),
    "triaged": ("investigating", "dismissed"),
    "investigating": ("resolved", "dismissed"),
    "resolved": (),
    "dismissed": (),
}
OPEN = "open"  # a status filter: every status a case can still move on from
UNASSIGNED = "none"  # an assignee filter: cases nobody has (ids always have a prefix)
MESSAGE_LIMIT = DESCRIPTION_LIMIT
CASE_FIELDS = ("number", "category", "urgency", "platform", "link", "seen_on", "target",
               "description", "matched_policy_ids", "status", "dismiss_reason", "assignee",
               "reporter", "reporter_name", "reporter_email", "anonymous", "created_at",
               "updated_at")


def normalize_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    return "_".join(reason.strip().lower().replace("-", " ").split()) or None


def like_pattern(text: str) -> str:
    """`text` anywhere, for LIKE ... ESCAPE '\\' (its own % and _ taken literally)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


FILTER_KEYS = ("status", "category", "urgency", "assignee", "q", "since", "until")
EXPORT_HIDDEN = ("description", "link", "reporter", "reporter_name", "reporter_email")
HIDDEN_CELL = "(hidden)"
CASE_NUMBER = re.compile(r"\d{4}-\d{4,6}")
DENIAL_WINDOW = timedelta(minutes=10)
# One "viewed" entry per visit: an administrator's view of a case is recorded unless their
# last view or reveal of it is younger than VIEW_WINDOW and nothing else has happened to
# the case since (reloads and polling add nothing; a view after a change always counts).
VIEW_WINDOW = timedelta(minutes=30)
LOOKS = ("viewed", "revealed", "searched")  # audit entries that only record reading


class CaseStore(CaseReporters, CaseEdits):
    TRANSITIONS = TRANSITIONS

    def __init__(self, storage: Storage, settings: Settings, events: EventBus,
                 admins: Administrators | None = None):
        """`admins` decides who administers cases and who a case can be assigned to
        (default: the configured POLICYBOT_ADMINS); the app adds the console's accounts."""
        self.storage = storage
        self.settings = settings
        self.bus = events
        self.admins = admins or Administrators(settings)
        self.is_admin = self.admins.is_admin

    # ------------------------------------------------------------ helpers

    def _event(self, db: Database, number: str | None, action: str, actor: str,
               detail: dict[str, Any] | None = None, at: str | None = None) -> None:
        db.execute("INSERT INTO case_events (case_number, action, actor, detail, created_at) "
                   "VALUES (?, ?, ?, ?, ?)",
                   [number, action, actor, json.dumps(detail or {}, ensure_ascii=False),
                    at or now_iso()])

    def _require_admin(self, actor: str | None, action: str, number: str | None = None) -> str:
        if not self.is_admin(actor):
            self.record_denied(actor, action, number)
            raise NotPermittedError(f"Not permitted: {action} is for case administrators.")
        return actor  # type: ignore[return-value]

    @staticmethod
    def _row_to_case(row: dict[str, Any]) -> dict[str, Any]:
        case = {k: row.get(k) for k in CASE_FIELDS if k != "anonymous"}
        case["matched_policy_ids"] = json.loads(row.get("matched_policy_ids") or "[]")
        case["anonymous"] = row.get("reporter") is None
        return case

    @staticmethod
    def _where_next(current: str) -> str:
        """What a refused status change adds: where the case can go instead."""
        allowed = TRANSITIONS[current]
        return f"From {current} it can go to " + (
            " or ".join(allowed) if allowed else "nothing (it is closed)") + "."

    def _fetch(self, db: Database, number: str) -> dict[str, Any]:
        rows = list(db.query("SELECT * FROM cases WHERE number = ?", [number]))
        if not rows:
            raise CaseNotFoundError(f"No case {number}.")
        return rows[0]

    @staticmethod
    def _check_length(text: str, what: str) -> str:
        if not text or not text.strip():
            raise ValueError(f"The {what} is empty.")
        if len(text) > MESSAGE_LIMIT:
            raise InputTooLargeError(f"The {what} is {len(text):,} characters; the limit is "
                                     f"{MESSAGE_LIMIT:,}. Nothing was stored.")
        return text.strip()

    # ------------------------------------------------------------ administrators

    def record_denied(self, actor: str | None, action: str, number: str | None = None) -> None:
        with self.storage.write() as db:
            recorded = self._denied(db, number, actor or "unknown", action)
        log.warning("denied %s on case %s for %s%s", action, number or "-", actor or "unknown",
                    "" if recorded else " (a repeat: not recorded again)")

    @staticmethod
    def _denied(db: Database, number: str | None, actor: str, action: str) -> bool:
        """One "denied" row per actor, action and case in DENIAL_WINDOW (repeats are only
        logged): a burst of refusals or key guesses must not fill the append-only trail.
        A `number` not shaped like one is not stored. True when a row was written."""
        if number is not None and not CASE_NUMBER.fullmatch(number):
            number = None
        detail = json.dumps({"attempted": action}, ensure_ascii=False)
        since = (datetime.now(UTC) - DENIAL_WINDOW).isoformat(timespec="seconds")
        if db.execute("SELECT 1 FROM case_events WHERE action = 'denied' AND actor = ? AND "
                      "case_number IS ? AND detail = ? AND created_at >= ? LIMIT 1",
                      [actor, number, detail, since]).fetchone():
            return False
        db.execute("INSERT INTO case_events (case_number, action, actor, detail, created_at) "
                   "VALUES (?, 'denied', ?, ?, ?)", [number, actor, detail, now_iso()])
        return True

    def get(self, number: str, actor: str, reveal: bool = False) -> dict[str, Any]:
        """The whole case, recorded as "revealed" when it is to be shown unmasked (see
        `bot.case_view`: every reveal is recorded), else as "viewed" once per visit (see
        VIEW_WINDOW)."""
        self._require_admin(actor, "reveal" if reveal else "view", number)
        with self.storage.write() as db:
            case = self._row_to_case(self._fetch(db, number))
            if reveal or not self._seen_lately(db, number, actor):
                self._event(db, number, "revealed" if reveal else "viewed", actor)
        return case

    @staticmethod
    def _seen_lately(db: Database, number: str, actor: str) -> bool:
        """True when `actor` viewed or revealed the case within VIEW_WINDOW and only
        reading (views, reveals, searches) has been recorded on it since."""
        since = (datetime.now(UTC) - VIEW_WINDOW).isoformat(timespec="seconds")
        last = db.execute("SELECT MAX(id) FROM case_events WHERE case_number = ? AND "
                          "actor = ? AND action IN ('viewed', 'revealed') AND created_at >= ?",
                          [number, actor, since]).fetchone()[0]
        if last is None:
            return False
        marks = ", ".join("?" * len(LOOKS))
        return db.execute(f"SELECT 1 FROM case_events WHERE case_number = ? AND id > ? AND "
                          f"action NOT IN ({marks}) LIMIT 1",
                          [number, last, *LOOKS]).fetchone() is None

    @staticmethod
    def _where(status: str | None, category: str | None, urgency: str | None,
               assignee: str | None, q: str | None, since: str | None,
               until: str | None) -> tuple[str, list[Any]]:
        """The WHERE clause of a case filter. `since` and `until` are dates (YYYY-MM-DD,
        both days included) or full timestamps."""
        where, params = [], []
        if status == OPEN:
            still_open = [s for s, nxt in TRANSITIONS.items() if nxt]
            where.append(f"status IN ({', '.join('?' * len(still_open))})")
            params += still_open
            status = None
        if assignee == UNASSIGNED:
            where.append("assignee IS NULL")
            assignee = None
        for column, value in (("status", status), ("category", category),
                              ("urgency", urgency), ("assignee", assignee)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if q:
            where.append("(description LIKE ? ESCAPE '\\' OR number LIKE ? ESCAPE '\\' "
                         "OR link LIKE ? ESCAPE '\\')")
            like = like_pattern(q)
            params += [like, like, like]
        if since:
            where.append("created_at >= ?")
            params.append(since)
        if until:
            if len(until) == 10:  # a whole day: everything before the next one
                where.append("created_at < date(?, '+1 day')")
            else:
                where.append("created_at <= ?")
            params.append(until)
        return (" WHERE " + " AND ".join(where)) if where else "", params

    def list_cases(self, actor: str, status: str | None = None, category: str | None = None,
                   urgency: str | None = None, assignee: str | None = None,
                   q: str | None = None, since: str | None = None, until: str | None = None,
                   limit: int = 50, offset: int = 0,
                   urgent_first: bool = False) -> list[dict[str, Any]]:
        """Newest first; with `urgent_first`, urgent cases before the others."""
        self._require_admin(actor, "list")
        where, params = self._where(status, category, urgency, assignee, q, since, until)
        order = "(urgency = 'urgent') DESC, " if urgent_first else ""
        sql = f"SELECT * FROM cases{where} ORDER BY {order}year DESC, seq DESC LIMIT ? OFFSET ?"
        cases = [self._row_to_case(r)
                 for r in self.storage.db.query(sql, params + [int(limit), int(offset)])]
        if q:  # the search reads hidden text (description, link): record what it found
            with self.storage.write() as db:
                for case in cases:
                    self._event(db, case["number"], "searched", actor)
        return cases

    def count_by_status(self, actor: str) -> dict[str, int]:
        self._require_admin(actor, "count")
        counts = dict.fromkeys(STATUSES, 0)
        for row in self.storage.db.query("SELECT status, COUNT(*) AS n FROM cases "
                                         "GROUP BY status"):
            counts[row["status"]] = row["n"]
        return counts

    def assign(self, number: str, assignee: str, actor: str) -> dict[str, Any]:
        self._require_admin(actor, "assign", number)
        assignee = actor if (assignee or "").strip() == actor else self.check_assignee(assignee)
        with self.storage.write() as db:
            before = self._fetch(db, number)
            db.execute("UPDATE cases SET assignee = ?, updated_at = ? WHERE number = ?",
                       [assignee, now_iso(), number])
            self._event(db, number, "assigned", actor,
                        {"from": before["assignee"], "to": assignee})
            case = self._row_to_case(self._fetch(db, number))
            event = CaseUpdated(number=number, action="assigned")
            event_id = self.bus.record(db, event)
        log.info("case %s assigned by %s", number, actor)
        self.bus.publish(event, event_id)
        return case

    def set_status(self, number: str, status: str, actor: str,
                   reason: str | None = None) -> dict[str, Any]:
        """Move the case along TRANSITIONS. Dismissing needs one of DISMISS_REASONS;
        resolving needs a reason in words and is closing (`close`: the same audit entry)."""
        self._require_admin(actor, "set_status", number)
        status = (status or "").strip().lower()
        if status == RESOLVED and reason and reason.strip():
            return self.close(number, reason, actor)
        reason = normalize_reason(reason)
        if status not in STATUSES:
            raise InvalidTransitionError(f"Unknown status {status!r}; statuses are "
                                         f"{', '.join(STATUSES)}.")
        with self.storage.write() as db:
            current = self._fetch(db, number)["status"]
            if status not in TRANSITIONS[current]:
                raise InvalidTransitionError(f"Case {number} is {current}; it cannot become "
                                             f"{status}. {self._where_next(current)}")
            if status == RESOLVED:  # with a reason it went to `close` above
                raise InvalidTransitionError(
                    f"Resolving case {number} needs a reason, kept in the audit trail: use "
                    f"`close {number} REASON` (in a terminal: `policybot cases close {number} "
                    f"REASON`). Nothing was changed.")
            if status == "dismissed" and reason not in DISMISS_REASONS:
                raise InvalidTransitionError("Dismissing needs a reason: "
                                             f"{', '.join(DISMISS_REASONS)}.")
            if status != "dismissed" and reason is not None:
                raise InvalidTransitionError("A reason is only given when dismissing or "
                                             "resolving.")
            db.execute("UPDATE cases SET status = ?, dismiss_reason = ?, updated_at = ? "
                       "WHERE number = ?", [status, reason, now_iso(), number])
            self._event(db, number, "status_changed", actor,
                        {"from": current, "to": status, "reason": reason})
            case = self._row_to_case(self._fetch(db, number))
            event = CaseUpdated(number=number, action="status_changed")
            event_id = self.bus.record(db, event)
        log.info("case %s: %s -> %s by %s", number, current, status, actor)
        self.bus.publish(event, event_id)
        return case

    def add_note(self, number: str, text: str, actor: str) -> None:
        self._require_admin(actor, "add_note", number)
        text = self._check_length(text, "note")
        with self.storage.write() as db:
            self._fetch(db, number)
            db.execute("UPDATE cases SET updated_at = ? WHERE number = ?", [now_iso(), number])
            self._event(db, number, "note_added", actor, {"text": text})
            event = CaseUpdated(number=number, action="note_added")
            event_id = self.bus.record(db, event)
        log.info("case %s: note added by %s", number, actor)
        self.bus.publish(event, event_id)

    def ask_reporter(self, number: str, text: str, actor: str) -> str:
        """Store a question for the reporter; returns how it reaches them (for the admin)."""
        self._require_admin(actor, "ask_reporter", number)
        text = self._check_length(text, "question")
        with self.storage.write() as db:
            row = self._fetch(db, number)
            now = now_iso()
            db.execute("INSERT INTO case_messages (case_number, direction, author, text, "
                       "created_at) VALUES (?, 'question', ?, ?, ?)", [number, actor, text, now])
            db.execute("UPDATE cases SET updated_at = ? WHERE number = ?", [now, number])
            self._event(db, number, "question_asked", actor)
            event = ReporterAsked(number=number, reporter_id=row["reporter"], text=text)
            event_id = self.bus.record(db, event)
        log.info("case %s: question asked by %s", number, actor)
        self.bus.publish(event, event_id)
        return question_delivery(row, emails_reporters=bool(self.settings.smtp_url))

    def events(self, number: str, actor: str) -> list[dict[str, Any]]:
        self._require_admin(actor, "events", number)
        db = self.storage.db
        self._fetch(db, number)
        return [{**r, "detail": json.loads(r["detail"])}
                for r in db.query("SELECT * FROM case_events WHERE case_number = ? ORDER BY id",
                                  [number])]

    def messages(self, number: str, actor: str) -> list[dict[str, Any]]:
        self._require_admin(actor, "messages", number)
        db = self.storage.db
        self._fetch(db, number)
        return list(db.query("SELECT * FROM case_messages WHERE case_number = ? ORDER BY id",
                             [number]))

    def for_announcement(self, number: str) -> dict[str, Any]:
        """The case for `bot.case_desk.CaseDesk.announcement`, which masks it for a shared
        admin channel (so no actor and no audit entry)."""
        return self._row_to_case(self._fetch(self.storage.db, number))

    def export_csv(self, file_obj: IO[str], actor: str, details: bool = False,
                   **filters: str | None) -> int:
        """The cases matching `filters` (those of `list_cases`) as CSV, times in UTC as
        stored. The hidden fields (EXPORT_HIDDEN) read "(hidden)" unless `details`.
        Cells a spreadsheet would run as a formula are prefixed with an apostrophe.
        Records "exported" with the filter, the row count and whether details were
        included; returns the number of rows."""
        self._require_admin(actor, "export_details" if details else "export")
        used = {k: v for k, v in filters.items() if v}
        where, params = self._where(**{k: used.get(k) for k in FILTER_KEYS})
        writer = csv.writer(file_obj)
        writer.writerow(CASE_FIELDS)
        numbers = []
        for row in self.storage.db.query(f"SELECT * FROM cases{where} ORDER BY year, seq",
                                         params):
            case = self._row_to_case(row)
            case["matched_policy_ids"] = " ".join(case["matched_policy_ids"])
            if not details:
                case.update({f: HIDDEN_CELL for f in EXPORT_HIDDEN if case[f] is not None})
            writer.writerow([_csv_cell(case[f]) for f in CASE_FIELDS])
            numbers.append(case["number"])
        with self.storage.write() as db:
            if used.get("q"):  # the search read hidden text: as in list_cases
                for number in numbers:
                    self._event(db, number, "searched", actor)
            self._event(db, None, "exported", actor,
                        {"rows": len(numbers), "filters": used, "details": details})
        log.info("%d cases exported by %s (details: %s)", len(numbers), actor, details)
        return len(numbers)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
