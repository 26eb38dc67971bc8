"""Teams activity routing: which kind of activity goes where in the front end.

`TeamsBot` is botbuilder's `ActivityHandler` for `handlers.teams.TeamsFrontEnd`: it
drops a re-sent activity once (processed_events), sends typed text and pressed buttons
to the core, a submitted report form to the report flow, Universal Actions
(adaptiveCard/action) the same way, the "Report to policybot" message extension's
invokes to `handlers.teams_extension`, and greets a new personal chat.
"""

from __future__ import annotations

import asyncio
import logging

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot.dedup import claim_event
from bot.i18n import _
from handlers import teams_cards as cards
from handlers import teams_extension as extension
from handlers.teams_activity import (
    ADMIN_CHANNEL_COMMAND,
    CARD_TYPE,
    MESSAGE_TYPE,
    card_activity,
    command_from_value,
    invoke_response,
    message_text,
)
from handlers.teams_retry import own_retries

log = logging.getLogger(__name__)


class TeamsBot(ActivityHandler):
    def __init__(self, front):
        self.front = front

    async def on_turn(self, turn_context: TurnContext) -> None:
        own_retries(turn_context)
        activity = turn_context.activity
        if activity.type in (ActivityTypes.message, ActivityTypes.invoke) and activity.id:
            key = f"teams:{activity.conversation.id}:{activity.id}"
            if not await asyncio.to_thread(claim_event, self.front.bot.storage, key):
                log.info("duplicate Teams activity %s ignored", activity.id)
                if activity.type == ActivityTypes.invoke:
                    await turn_context.send_activity(Activity(
                        type=ActivityTypes.invoke_response,
                        value=extension.notice_for(activity.name, _("Already done."))))
                return
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        front = self.front
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else None
        if value is not None and value.get("pbForm") == cards.FORM_ID:
            # An anonymous submission is not remembered: a stored reference dated with the
            # submission would tie the reporter to the case. The receipt goes back in this
            # same turn; a named reporter is remembered for administrators' questions.
            if value.get("identity") != "anonymous":
                await front.remember_personal(turn_context)
            await front.submit_form(turn_context, value, invoke=False)
            return
        await front.remember_personal(turn_context)
        command = command_from_value(value)
        text = command if command is not None else message_text(activity)
        if command is None and ADMIN_CHANNEL_COMMAND.match(text):
            await front.set_admin_channel(turn_context)
            return
        await front.converse(turn_context, text, is_button=command is not None)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """adaptiveCard/action (Action.Execute, Universal Actions) carries the same data as
        our Action.Submit buttons; the message extension's invokes go to
        `handlers.teams_extension`; other invokes are acknowledged and ignored."""
        activity = turn_context.activity
        if activity.name in extension.INVOKES:
            return await extension.handle(self.front, turn_context)
        if activity.name != "adaptiveCard/action":
            log.info("Teams invoke %r not supported; acknowledged", activity.name)
            return InvokeResponse(status=200)
        action = (activity.value or {}).get("action") if isinstance(activity.value, dict) \
            else None
        data = action.get("data") if isinstance(action, dict) else None
        if not isinstance(data, dict):
            return invoke_response(400, "application/vnd.microsoft.error",
                                   {"code": "BadRequest", "message": "The card action has no data."})
        front = self.front
        if data.get("pbForm") == cards.FORM_ID:  # remembered only when named, as above
            if data.get("identity") != "anonymous":
                await front.remember_personal(turn_context)
            card = await front.submit_form(turn_context, data, invoke=True)
            if card is not None:  # the form with its errors, or an anonymous receipt
                return invoke_response(200, CARD_TYPE, card)
            return invoke_response(200, MESSAGE_TYPE, _("Report submitted."))
        await front.remember_personal(turn_context)
        command = command_from_value(data)
        if command is None:
            return invoke_response(400, "application/vnd.microsoft.error",
                                   {"code": "BadRequest", "message": "This card action is not known."})
        await front.converse(turn_context, command, is_button=True)
        return invoke_response(200, MESSAGE_TYPE, "Done.")

    async def on_members_added_activity(self, members_added, turn_context: TurnContext):
        activity = turn_context.activity
        if any(m.id == activity.recipient.id for m in members_added or []):
            await self.front.remember_personal(turn_context)
            await self.front.send(turn_context, card_activity(cards.welcome_card()))
