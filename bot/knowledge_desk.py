"""The curation loop behind the console's Knowledge and knowledge-gaps pages: upload a
bulletin's document, preview its clauses, publish or discard it; attach a missed question
to the clause that answers it, or mark it as not covered. Every step, and every refusal,
is written to the append-only `knowledge_events` trail.

Drafts live in the database, so any worker can show or publish them; publishing reads the
stored document again against the knowledge base as it is then (knowledge.intake).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from bot.config import Settings
from infra.clock import now_iso
from infra.db import Storage
from infra.errors import NotPermittedError, PolicybotError
from knowledge.intake import Draft, prepare, publish

OPTIONS = ("bulletin", "title", "effective", "supersedes", "url")


class DraftNotFoundError(PolicybotError):
    """No pending draft with that id (published, discarded or never uploaded)."""


class KnowledgeDesk:
    def __init__(self, storage: Storage, settings: Settings,
                 is_admin: Callable[[str | None], bool]):
        self.storage = storage
        self.settings = settings
        self.is_admin = is_admin

    def _check(self, actor: str, action: str) -> None:
        if not self.is_admin(actor):
            self._record("denied", actor, detail=action)
            raise NotPermittedError(f"{actor} may not change the knowledge base")

    def _record(self, action: str, actor: str, bulletin: str | None = None,
                file_name: str | None = None, detail: str = "") -> None:
        with self.storage.write() as db:
            db["knowledge_events"].insert({
                "action": action, "actor": actor, "bulletin": bulletin,
                "file_name": file_name, "detail": detail[:2000], "created_at": now_iso()})

    def _prepare(self, name: str, data: bytes, options: dict) -> Draft:
        return prepare(Path(name), self.settings.knowledge_dir, data=data, name=name,
                       **{k: options.get(k) or None for k in OPTIONS})

    def upload(self, actor: str, name: str, data: bytes, options: dict) -> tuple[int, Draft]:
        """Read the document (IntakeError when it cannot be added, recorded as refused)
        and keep it as a pending draft."""
        self._check(actor, "upload")
        options = {k: str(options.get(k) or "").strip() for k in OPTIONS}
        try:
            draft = self._prepare(name, data, options)
        except PolicybotError as e:
            self._record("refused", actor, options.get("bulletin") or None, name, str(e))
            raise
        with self.storage.write() as db:
            draft_id = db["knowledge_drafts"].insert({
                "file_name": name, "data": data, "options": json.dumps(options),
                "bulletin": draft.bulletin, "uploaded_by": actor,
                "created_at": now_iso()}).last_pk
        self._record("uploaded", actor, draft.bulletin, name,
                     f"draft {draft_id}: {len(draft.clauses)} clauses")
        return draft_id, draft

    def _row(self, draft_id: int) -> dict:
        row = next(self.storage.db["knowledge_drafts"].rows_where(
            "id = ? AND status = 'pending'", [draft_id]), None)
        if row is None:
            raise DraftNotFoundError(f"There is no pending draft {draft_id}.")
        return row

    def preview(self, draft_id: int, actor: str) -> tuple[dict, Draft]:
        """The draft's clauses as they would be published now."""
        self._check(actor, "preview")
        row = self._row(draft_id)
        return row, self._prepare(row["file_name"], row["data"], json.loads(row["options"]))

    def publish(self, draft_id: int, actor: str) -> Draft:
        self._check(actor, "publish")
        row = self._row(draft_id)
        try:
            draft = self._prepare(row["file_name"], row["data"], json.loads(row["options"]))
            path = publish(draft, self.settings.knowledge_dir)
        except PolicybotError as e:
            self._record("refused", actor, row["bulletin"], row["file_name"], str(e))
            raise
        with self.storage.write() as db:
            db["knowledge_drafts"].update(draft_id, {"status": "published"})
        self._record("published", actor, draft.bulletin, row["file_name"],
                     f"{path.name}: {len(draft.clauses)} clauses"
                     + "".join(f"; {n}" for n in draft.notes))
        return draft

    def discard(self, draft_id: int, actor: str) -> None:
        self._check(actor, "discard")
        row = self._row(draft_id)
        with self.storage.write() as db:
            db["knowledge_drafts"].update(draft_id, {"status": "discarded"})
        self._record("discarded", actor, row["bulletin"], row["file_name"], f"draft {draft_id}")

    def attach_question(self, question: str, entry_id: str, actor: str) -> str:
        """A missed question becomes an alternate question of `entry_id`; the file name."""
        from knowledge.curation import attach_question

        self._check(actor, "attach a question")
        try:
            name = attach_question(self.settings.knowledge_dir, entry_id, question)
        except PolicybotError as e:
            self._record("refused", actor, entry_id, None, f"attach {question!r}: {e}")
            raise
        self._record("question_attached", actor, entry_id.strip(), name, question)
        return name

    def mark_not_covered(self, question: str, actor: str) -> None:
        from knowledge.curation import mark_not_covered

        self._check(actor, "mark a question not covered")
        mark_not_covered(self.settings.knowledge_dir, question)
        self._record("marked_not_covered", actor, None, None, question)

    def pending(self) -> list[dict]:
        return list(self.storage.db["knowledge_drafts"].rows_where(
            "status = 'pending'", select="id, file_name, bulletin, uploaded_by, created_at",
            order_by="id desc"))

    def events(self, limit: int = 50) -> list[dict]:
        return list(self.storage.db["knowledge_events"].rows_where(
            order_by="id desc", limit=limit))
