"""Proactive Teams messages: the person's personal chat and the administrators' channel.

`ProactivePosting` is the half of `handlers.teams.TeamsFrontEnd` that talks outside the
current turn: it opens (or finds) a person's 1:1 chat with the bot, posts and updates
case cards in the admin channel (the announcements Port: `post`, `update`,
`direct_message`), and stores the conversation references it needs (table 0004_teams).
A person's row is found by a keyed hash of their id and carries no user; an anonymous
reporter is never remembered. It expects the front end's `ref`, `adapter`, `app_id`,
`retry`, `loop`, `tasks` and `_known_personal`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)

from bot.case_view import CaseView
from bot.models import Reply
from handlers import teams_cards as cards
from handlers.teams_activity import card_activity, in_group, user_id
from handlers.teams_retry import own_retries, with_retries
from infra.clock import now_iso

log = logging.getLogger(__name__)


class ProactivePosting:
    """Messages outside the current turn, and the conversation references they need."""

    @property
    def bot(self):
        return self.ref.bot

    # ---------------------------------------------------------------- the personal chat

    async def send_personal(self, context: TurnContext, activities: list[Activity]) -> bool:
        who = user_id(context.activity)
        try:
            reference = await asyncio.to_thread(self.load_user_reference, who)
            if reference is None:
                reference = await self.create_personal_chat(context)
            await self.proactive(reference, activities)
            return True
        except Exception:
            log.exception("could not send a private Teams message to %s", who)
            return False

    async def create_personal_chat(self, context: TurnContext) -> ConversationReference:
        activity = context.activity
        tenant = activity.conversation.tenant_id or (
            (activity.channel_data or {}).get("tenant") or {}).get("id")
        params = ConversationParameters(
            is_group=False, bot=activity.recipient,
            members=[ChannelAccount(id=activity.from_property.id)], tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None)
        created: dict[str, ConversationReference] = {}

        async def capture(ctx: TurnContext) -> None:
            created["ref"] = TurnContext.get_conversation_reference(ctx.activity)

        await with_retries(lambda: self.adapter.create_conversation(
            self.app_id, capture, params, channel_id=activity.channel_id,
            service_url=activity.service_url), self.retry, "create personal chat")
        reference = created["ref"]
        reference.user = ChannelAccount(id=activity.from_property.id,
                                        aad_object_id=activity.from_property.aad_object_id)
        await asyncio.to_thread(self.save_user_reference, user_id(activity), reference)
        return reference

    async def proactive(self, reference: ConversationReference, activities: list[Activity],
                        update: bool = False) -> list[str | None]:
        """Send (or with `update`, replace: each activity carries its id) into a stored
        conversation; returns the ids of the activities sent."""
        ids: list[str | None] = []

        async def send_all(ctx: TurnContext) -> None:
            own_retries(ctx)
            send = ctx.update_activity if update else ctx.send_activity
            for activity in activities:
                response = await with_retries(lambda a=activity: send(a), self.retry,
                                              "update" if update else "reply")
                ids.append(getattr(response, "id", None))

        await self.adapter.continue_conversation(reference, send_all, self.app_id)
        return ids

    async def remember_personal(self, context: TurnContext) -> None:
        activity = context.activity
        if in_group(activity) or not activity.from_property:
            return
        who = user_id(activity)
        if self._known_personal.get(who) == activity.conversation.id:
            return
        reference = TurnContext.get_conversation_reference(activity)
        await asyncio.to_thread(self.save_user_reference, who, reference)
        self._known_personal[who] = activity.conversation.id

    # ---------------------------------------------------------------- announcements (a Port)

    name = "teams"

    def attach(self, bot) -> None:
        bot.announcements.attach(self)

    def schedule(self, work: Callable[[], Awaitable[None]]) -> None:
        """Called in the core's thread: schedule the proactive work and return at once."""
        loop = self.loop
        if loop is None or loop.is_closed():
            log.info("Teams is not running: an announcement was not posted")
            return
        loop.call_soon_threadsafe(self.spawn, work)

    def spawn(self, work: Callable[[], Awaitable[None]]) -> None:
        task = asyncio.ensure_future(work())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        """Wait for proactive messages in flight (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def post(self, view: CaseView) -> dict[str, Any] | None:
        reference = await asyncio.to_thread(self.load_admin_reference)
        if reference is None:
            log.info("case %s: no Teams admin channel yet (an administrator says "
                     "'@policybot use this channel for cases' there)", view.number)
            return None
        [sent] = await self.proactive(reference, [card_activity(cards.case_card(view))])
        return {"conversation": reference.serialize(), "activity_id": sent} if sent else None

    async def update(self, reference: dict[str, Any], view: CaseView) -> None:
        activity = card_activity(cards.case_card(view))
        activity.id = reference["activity_id"]
        await self.proactive(ConversationReference.deserialize(reference["conversation"]),
                             [activity], update=True)

    async def direct_message(self, user_id: str, reply: Reply) -> None:
        reference = await asyncio.to_thread(self.load_user_reference, user_id)
        if reference is None:
            log.info("a Teams reporter has no known personal chat; the message waits for "
                     "`my reports`")
            return
        await self.proactive(reference, [card_activity(cards.to_card(reply))])

    # ---------------------------------------------------------------- storage (0004_teams)

    def save_user_reference(self, who: str, reference: ConversationReference) -> None:
        """Stored without the person's id or name in clear: the row is found by a keyed
        hash of the id (infra.keys: not reversible without the secret key), and the reference (enough to message the 1:1 chat) carries no user."""
        stored = ConversationReference().deserialize(reference.serialize())
        stored.user = None
        with self.bot.storage.write() as db:
            db["teams_user_conversations"].upsert(
                {"user_id": self.bot.storage.keyed(who, "teams-user"), "reference": json.dumps(stored.serialize()),
                 "updated_at": now_iso()[:10]}, pk="user_id")

    def load_user_reference(self, who: str) -> ConversationReference | None:
        row = next(self.bot.storage.db["teams_user_conversations"].rows_where(
            "user_id = ?", [self.bot.storage.keyed(who, "teams-user")]), None)
        return ConversationReference.deserialize(json.loads(row["reference"])) if row else None

    def save_admin_reference(self, reference: ConversationReference, actor: str) -> None:
        with self.bot.storage.write() as db:
            db["teams_admin_channels"].upsert(
                {"id": 1, "reference": json.dumps(reference.serialize()), "set_by": actor,
                 "set_at": now_iso()}, pk="id")

    def load_admin_reference(self) -> ConversationReference | None:
        row = next(self.bot.storage.db["teams_admin_channels"].rows_where("id = 1"), None)
        return ConversationReference.deserialize(json.loads(row["reference"])) if row else None
