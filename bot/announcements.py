"""Announcements: the core service that turns outbox events into front-end posts.

Each front end that announces (Slack, Teams) hands the service a small `Port`. The
service consumes the outbox under the port's name (each event once per front end),
decides what to say (the masked case view for a new case, the same view updated after a
claim or a status change, an administrator's question to a named reporter, in the
language they reported in) and calls the port. Where a case was posted is kept in one
generic table, `case_posts` (case number, platform, the platform's reference as JSON), so
a post can be updated later.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.case_desk import CaseDesk
from bot.case_text import say
from bot.case_view import CaseView
from bot.events import CaseOpened, CaseUpdated, EventBus, ReporterAsked
from bot.follow_up import reporter_language
from bot.i18n import language
from bot.models import Reply
from infra.clock import hour_iso
from infra.db import Storage

log = logging.getLogger(__name__)

UPDATED_BY = ("assigned", "status_changed", "reopened", "category_changed", "urgency_changed")


class Port(Protocol):
    """What a front end offers: `name` (its outbox consumer and user-id prefix, "slack"),
    `schedule(work)` (run `work()` on its event loop; called from any thread), `post` (a
    new case to the admin channel; returns the post's reference or None), `update` (a
    post made earlier) and `direct_message` (a private reply to one person)."""
    name: str

    def schedule(self, work: Callable[[], Awaitable[None]]) -> None: ...

    async def post(self, view: CaseView) -> dict[str, Any] | None: ...

    async def update(self, reference: dict[str, Any], view: CaseView) -> None: ...

    async def direct_message(self, user_id: str, reply: Reply) -> None: ...


def reporter_question(number: str, text: str, lang: str | None = None) -> Reply:
    """An administrator's question to a named reporter, in `lang` (the one they reported
    in; the administrator's own words are quoted as written); `data["answer"]` is the chat
    command their answer completes."""
    quoted = "\n".join("> " + line for line in text.splitlines())
    with language(lang):
        return Reply(kind="status", private=True, data={"answer": f"reply {number}"},
                     text=say("announce.question", number=number, quoted=quoted))


class Announcements:
    def __init__(self, storage: Storage, events: EventBus, desk: CaseDesk):
        self.storage = storage
        self.events = events
        self.desk = desk

    def attach(self, port: Port) -> None:
        self.events.subscribe(lambda event: port.schedule(lambda: self.announce(event, port)),
                              consumer=port.name)

    async def announce(self, event: Any, port: Port) -> None:
        """Deliver one event through one port; failures are logged, never raised."""
        try:
            if isinstance(event, CaseOpened):
                view = await asyncio.to_thread(self.desk.announcement, event.number, True)
                reference = await port.post(view)
                if reference:
                    await asyncio.to_thread(self.remember, event.number, port.name, reference)
            elif isinstance(event, CaseUpdated) and event.action in UPDATED_BY:
                reference = await asyncio.to_thread(self.reference, event.number, port.name)
                if reference is not None:
                    view = await asyncio.to_thread(self.desk.announcement, event.number)
                    await port.update(reference, view)
            elif isinstance(event, ReporterAsked) and \
                    (event.reporter_id or "").startswith(port.name + ":"):
                lang = await asyncio.to_thread(reporter_language, self.storage.db,
                                               event.number)
                await port.direct_message(event.reporter_id,
                                          reporter_question(event.number, event.text, lang))
        except Exception:  # noqa: BLE001 - one failed announcement must not stop the rest
            log.exception("%s: announcing %s failed", port.name, type(event).__name__)

    def remember(self, number: str, platform: str, reference: dict[str, Any]) -> None:
        with self.storage.write() as db:
            db["case_posts"].upsert({"case_number": number, "platform": platform,
                                     "reference": json.dumps(reference),
                                     "posted_at": hour_iso()},  # as coarse as the case's own
                                    pk=("case_number", "platform"))

    def reference(self, number: str, platform: str) -> dict[str, Any] | None:
        row = next(self.storage.db["case_posts"].rows_where(
            "case_number = ? AND platform = ?", [number, platform]), None)
        return json.loads(row["reference"]) if row else None
