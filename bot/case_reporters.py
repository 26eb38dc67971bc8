"""The reporter's side of the case log: open a case from a report, and what a reporter may
do afterwards (an anonymous key finds its case, the status and messages a reporter may
see, a named reporter's own reports, the reporter's answer to an administrator's question).

`CaseReporters` is a part of `bot.cases.CaseStore` (which holds the storage, the audit
trail and the events); anonymous means anonymous: no reporter id is stored (nor contact
details or language), only the hash of the case key, and the audit actor is "anonymous".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from bot.case_keys import hash_new_key, key_hashes, new_key
from bot.events import CaseOpened, CaseUpdated
from bot.report_flow import label_for
from infra.clock import hour_iso, now_iso
from infra.errors import CaseNotFoundError, NotPermittedError

log = logging.getLogger("bot.cases")  # the case log's logger, as before the split

ANONYMOUS = "anonymous"


class CaseReporters:
    """Mixed into CaseStore: uses its `storage`, `bus`, `_event`, `_fetch`, `_row_to_case`,
    `_check_length` and `_denied`."""

    def open_case(self, draft: dict[str, Any], reporter_id: str | None, anonymous: bool,
                  matched_policy_ids: list[str],
                  in_transaction: Callable[[Database], None] | None = None,
                  lang: str | None = None) -> tuple[dict[str, Any], str | None]:
        """Store a validated report (see `report_flow.validate_form`). Returns (case, key):
        `key` is the anonymous reporter's secret, shown once and never stored.
        `in_transaction(db)` runs in the same write transaction (e.g. clearing flow state).
        `lang`: the language the report was made in, kept for a named reporter only (what
        policybot sends them later is in it, bot/follow_up.py); never for an anonymous one."""
        if not anonymous and not reporter_id:
            raise ValueError("a named report needs the reporter's id")
        description = self._check_length(draft.get("description") or "", "description")
        key = new_key() if anonymous else None
        contact = {} if anonymous else (draft.get("contact") or {})
        urgency = "urgent" if draft.get("danger") == "yes" else "normal"
        # To the hour: an exact second would line up with the platform's own message log.
        now = hour_iso()
        year = int(now[:4])
        with self.storage.write() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM cases WHERE year = ?",
                             [year]).fetchone()[0]
            number = f"{year}-{seq:04d}"
            db.execute(
                "INSERT INTO cases (number, year, seq, category, urgency, platform, link, "
                "seen_on, target, description, matched_policy_ids, status, reporter, key_hash, "
                "reporter_name, reporter_email, reporter_lang, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,'new',?,?,?,?,?,?,?)",
                [number, year, seq, draft["category"], urgency, draft["platform"],
                 draft.get("link"), draft.get("when"), draft["target"], description,
                 json.dumps(list(matched_policy_ids)), None if anonymous else reporter_id,
                 hash_new_key(key) if key else None, contact.get("name"),
                 contact.get("email"), None if anonymous else lang, now, now])
            actor = ANONYMOUS if anonymous else reporter_id
            self._event(db, number, "opened", actor, {"urgency": urgency}, at=now)
            if in_transaction is not None:
                in_transaction(db)
            case = self._row_to_case(self._fetch(db, number))
            event = CaseOpened(number=number, urgent=urgency == "urgent")
            event_id = self.bus.record(db, event)
        log.info("case %s opened (urgency=%s, anonymous=%s)", number, urgency, anonymous)
        self.bus.publish(event, event_id)
        return case, key

    def _case_for_key(self, db: Database, key: str) -> dict[str, Any] | None:
        hashes = key_hashes(key)
        if not hashes:
            return None
        marks = ", ".join("?" * len(hashes))
        rows = list(db.query(f"SELECT * FROM cases WHERE key_hash IN ({marks})", hashes))
        return rows[0] if rows else None

    def find_by_key(self, key: str) -> dict[str, Any]:
        """The case an anonymous key opens; records "key used" (or "denied" for a wrong key)."""
        with self.storage.write() as db:
            row = self._case_for_key(db, key or "")
            if row is None:
                self._denied(db, None, ANONYMOUS, "key_lookup")
            else:
                self._event(db, row["number"], "key_used", ANONYMOUS)
        if row is None:
            raise CaseNotFoundError("No report matches that key.")
        return self._row_to_case(row)

    def _reporter_view(self, db: Database, row: dict[str, Any]) -> dict[str, Any]:
        messages = [{"direction": m["direction"], "text": m["text"],
                     "created_at": m["created_at"]}
                    for m in db.query("SELECT * FROM case_messages WHERE case_number = ? "
                                      "ORDER BY id", [row["number"]])]
        return {"number": row["number"], "category": row["category"],
                "category_label": label_for("category", row["category"]),
                "status": row["status"], "dismiss_reason": row["dismiss_reason"],
                "created_at": row["created_at"], "updated_at": row["updated_at"],
                "messages": messages}

    def status_for_key(self, key: str) -> dict[str, Any]:
        """What an anonymous reporter may see: status and the questions/answers."""
        case = self.find_by_key(key)
        return self._reporter_view(self.storage.db, case)

    def reports_by(self, reporter_id: str) -> list[dict[str, Any]]:
        """A named reporter's own cases (reporter view), newest first."""
        if not reporter_id:
            return []
        db = self.storage.db
        rows = db.query("SELECT * FROM cases WHERE reporter = ? ORDER BY id DESC", [reporter_id])
        return [self._reporter_view(db, r) for r in rows]

    def answer_as_reporter(self, key_or_reporter: str, number: str | None,
                           text: str) -> dict[str, Any]:
        """The reporter answers (anonymous: by key, `number` may be None; named: their id
        and the case number). Returns the reporter view of the case."""
        text = self._check_length(text, "answer")
        with self.storage.write() as db:
            row = None
            actor = ANONYMOUS
            if number is None:
                row = self._case_for_key(db, key_or_reporter)
            else:
                rows = list(db.query("SELECT * FROM cases WHERE number = ?", [number]))
                if rows and rows[0]["reporter"] is not None:
                    if rows[0]["reporter"] == key_or_reporter:
                        row, actor = rows[0], key_or_reporter
                elif rows and rows[0]["key_hash"] in key_hashes(key_or_reporter):
                    row = rows[0]
            if row is None:
                denied_actor = ANONYMOUS if number is None else key_or_reporter
                self._denied(db, number, denied_actor, "reporter_answer")
        if row is None:
            raise NotPermittedError("Not permitted: that key or case does not match a report "
                                    "of yours.")
        with self.storage.write() as db:
            now = now_iso()
            db.execute("INSERT INTO case_messages (case_number, direction, author, text, "
                       "created_at) VALUES (?, 'answer', ?, ?, ?)",
                       [row["number"], actor, text, now])
            db.execute("UPDATE cases SET updated_at = ? WHERE number = ?", [now, row["number"]])
            self._event(db, row["number"], "reporter_answered", actor)
            view = self._reporter_view(db, self._fetch(db, row["number"]))
            event = CaseUpdated(number=row["number"], action="reporter_answered")
            event_id = self.bus.record(db, event)
        log.info("case %s: reporter answered", row["number"])
        self.bus.publish(event, event_id)
        return view
