"""Microsoft Teams front end: botbuilder's CloudAdapter at POST /api/messages.

A Teams activity becomes an `Incoming` (`handlers.teams_activity`), `TeamsBot` routes
it (`handlers.teams_routing`), the core answers, and each `Reply` is rendered as an
Adaptive Card (`handlers.teams_cards`); messages outside the turn are
`handlers.teams_proactive`'s, the connector's retries `handlers.teams_retry`'s.
Authentication is botbuilder's: with `MicrosoftAppId` set every request needs a valid
Bot Framework token (401 otherwise) and replies go only to Bot Framework hosts. Without
an app id `/api/messages` is off (503), unless `POLICYBOT_TEAMS_EMULATOR=1` is set and
the server listens on loopback only: then nobody is authenticated and replies go only
to a loopback serviceUrl (the Bot Framework Emulator, the tests' fake connector). The
start line says which.

Private replies never go to a channel: they go to the person's personal chat (opened
proactively when needed). The report form is private too. New cases are posted to
the admin channel an administrator chose ("@policybot use this channel for cases"),
masked; named reporters get an administrator's question in their personal chat.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes

from bot import messages
from bot.config import Settings
from bot.i18n import _, language
from bot.models import Incoming, Reply
from bot.report_flow import FORM_FIELDS, STEPS
from bot.reporting import FormResult
from handlers import teams_cards as cards
from handlers import teams_extension as extension
from handlers.runtime import BotRef
from handlers.teams_activity import (
    card_activity,
    in_group,
    shape_problem,
    to_incoming,
    user_id,
)
from handlers.teams_proactive import ProactivePosting
from handlers.teams_retry import RetryPolicy, speed_up_msrest_retry_policy, with_retries
from handlers.teams_routing import TeamsBot
from infra.errors import PolicybotError

log = logging.getLogger(__name__)


class AdapterConfig:
    """The attribute names botbuilder's ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings):
        self.APP_ID = settings.teams_app_id or ""
        self.APP_PASSWORD = settings.teams_app_password or ""
        self.APP_TYPE = settings.teams_app_type or "MultiTenant"
        self.APP_TENANTID = settings.teams_tenant_id or ""


# ------------------------------------------------------------------ the front end

class TeamsFrontEnd(ProactivePosting):
    """Owns the adapter and the activity handler (`handlers.teams_routing`); answers within
    the turn here, proactive messages and their storage in `handlers.teams_proactive`."""

    def __init__(self, ref: BotRef, settings: Settings, adapter: CloudAdapter):
        self.ref = ref
        self.settings = settings
        self.adapter = adapter
        self.app_id = settings.teams_app_id or ""
        self.retry = RetryPolicy()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: set[asyncio.Task] = set()
        self.handler = TeamsBot(self)
        self._known_personal: dict[str, str] = {}
        adapter.on_turn_error = self.on_turn_error

    # ---------------------------------------------------------------- HTTP

    async def handle_request(self, request: web.Request) -> web.Response:
        self.loop = self.loop or asyncio.get_running_loop()
        if "application/json" not in request.headers.get("Content-Type", "").lower():
            return _error(415, "expected an application/json Bot Framework activity")
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return _error(400, "the body is not valid JSON")
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object (an activity)")
        try:
            activity = Activity().deserialize(body)
        except Exception:  # noqa: BLE001 - msrest raises several kinds
            return _error(400, "the body is not a Bot Framework activity")
        if not isinstance(activity.type, str) or not activity.type:
            return _error(400, "the activity has no type")
        auth_header = request.headers.get("Authorization", "")
        try:
            auth = await self.adapter.bot_framework_authentication.authenticate_request(
                activity, auth_header)
        except Exception as e:  # noqa: BLE001 - any failure to authenticate is a 401
            log.warning("Teams request refused (%s): %s", type(e).__name__,
                        "no token" if not auth_header else "invalid token")
            return _error(401, "unauthorized")
        problem = shape_problem(activity, authenticated=bool(self.app_id))
        if problem:
            return _error(400, problem)
        try:
            invoke = await self.adapter.process_activity(auth, activity, self.handler.on_turn)
        except Exception:
            log.exception("Teams activity %s could not be processed", activity.id)
            return _error(500, "internal error")
        if invoke:
            body = invoke.body
            if hasattr(body, "serialize"):  # a msrest model
                body = serializer_helper(body)
            return web.json_response(data=body, status=int(invoke.status or 200))
        return web.Response(status=201)

    # ---------------------------------------------------------------- sending

    async def send(self, context: TurnContext, activity: Activity) -> None:
        await with_retries(lambda: context.send_activity(activity), self.retry, "reply")

    async def send_cards(self, context: TurnContext,
                         outgoing: list[tuple[bool, dict[str, Any]]]) -> None:
        """(private, card) pairs, in order; private ones leave a channel for the personal chat."""
        group = in_group(context.activity)
        private = [c for p, c in outgoing if p and group]
        for is_private, card in outgoing:
            if not (is_private and group):
                await self.send(context, card_activity(card))
        if private:
            sent = await self.send_personal(context, [card_activity(c) for c in private])
            note = (_("I sent you the rest in our personal chat (only you can see it).") if sent
                    else _("I could not open a personal chat with you: message me directly "
                           "(Apps → policybot) and ask again there."))
            await self.send(context, MessageFactory.text(note))

    # ---------------------------------------------------------------- turns

    async def converse(self, context: TurnContext, text: str, is_button: bool) -> None:
        incoming = to_incoming(context.activity, text, is_button)
        replies = await asyncio.to_thread(self.bot.handle, incoming)
        await self.deliver(context, incoming, replies)

    async def deliver(self, context: TurnContext, incoming: Incoming,
                      replies: list[Reply]) -> None:
        outgoing: list[tuple[bool, dict[str, Any]]] = []
        for reply in replies:
            if reply.kind == "report_form":
                with language(reply.lang):  # the form in the language of the conversation
                    form = cards.report_form_card(STEPS, reply.data["prefill"], {})
                outgoing.append((True, form))
                continue
            outgoing.append((reply.private, cards.to_card(reply)))
        await self.send_cards(context, outgoing)

    async def report(self, context: TurnContext, data: dict[str, Any]
                     ) -> tuple[dict[str, Any], FormResult]:
        """A submitted report form's values through the core's report flow (raises
        PolicybotError when it cannot be stored)."""
        values = {k: data.get(k) for k in FORM_FIELDS if data.get(k) not in (None, "")}
        incoming = to_incoming(context.activity, "report form", True)
        return values, await asyncio.to_thread(self.bot.reports.submit_form, incoming, values)

    async def submit_form(self, context: TurnContext, data: dict[str, Any],
                          invoke: bool) -> dict[str, Any] | None:
        """A submitted report form. Returns the card an invoke answers with: the form again
        with its errors, or an anonymous report's receipt. In the form's language."""
        with language(data.get(cards.LANG_FIELD)):
            return await self._submit_form(context, data, invoke)

    async def _submit_form(self, context: TurnContext, data: dict[str, Any],
                           invoke: bool) -> dict[str, Any] | None:
        try:
            values, result = await self.report(context, data)
        except PolicybotError as e:
            await self.send_cards(context, [(True, cards.notice_card(str(e)))])
            return None
        if result.errors:
            form = cards.report_form_card(STEPS, values, result.errors)
            if invoke:
                return form
            await self.send_cards(context, [(True, form)])
            return None
        if any(r.data.get("case_key") for r in result.replies):
            return await self.show_in_form(context, result.replies, invoke)
        await self.send_cards(context, [(True, cards.to_card(r)) for r in result.replies])
        return None

    async def show_in_form(self, context: TurnContext, replies: list[Reply],
                           invoke: bool) -> dict[str, Any] | None:
        """An anonymous receipt (number and key) takes the place of the form card it came
        from, and is never posted as a message of its own: a new message would stay in
        the chat's history (and the tenant's exports) dated with the report."""
        card = cards.receipt_card(replies)
        if invoke:
            return card
        form_id = context.activity.reply_to_id
        if form_id:
            update = card_activity(card)
            update.id = form_id
            await with_retries(lambda: context.update_activity(update), self.retry,
                               "show the receipt in the form")
            return None
        log.warning("an anonymous Teams report without the form's id: receipt sent privately")
        await self.send_cards(context, [(True, card)])
        return None

    async def set_admin_channel(self, context: TurnContext) -> None:
        activity = context.activity
        actor = user_id(activity)
        allowed = await asyncio.to_thread(self.bot.case_desk.permit, actor,
                                          "set_teams_admin_channel")
        if not allowed.ok:
            await self.send(context, MessageFactory.text(allowed.text))
            return
        reference = TurnContext.get_conversation_reference(activity)
        # Post new cases as new threads in the channel, not into this message's thread.
        reference.conversation.id = reference.conversation.id.split(";messageid=")[0]
        reference.activity_id = None
        await asyncio.to_thread(self.save_admin_reference, reference, actor)
        log.info("Teams admin channel set by %s", actor)
        await self.send(context, card_activity(cards.notice_card(
            "*New cases will be posted here*, masked: kind, platform, urgency and matched "
            "policies only (no descriptions, links or names). Details open privately.")))

    async def on_turn_error(self, context: TurnContext, error: Exception) -> None:
        log.error("Teams turn failed (activity %s)", context.activity.id,
                  exc_info=(type(error), error, error.__traceback__))
        try:
            if context.activity.type == ActivityTypes.invoke:
                await context.send_activity(Activity(
                    type=ActivityTypes.invoke_response,
                    value=extension.notice_for(context.activity.name, messages.internal_error())))
            if context.activity.name in extension.INVOKES:
                return  # the dialog says so; a reply would land in the reported conversation
            await context.send_activity(MessageFactory.text(messages.internal_error()))
        except Exception:  # noqa: BLE001
            log.warning("could not tell the person about the failed turn")


TEAMS = web.AppKey("teams", TeamsFrontEnd)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def mount(app: web.Application, ref: BotRef, settings: Settings) -> str:
    """POST /api/messages. Returns the status line the server logs at start."""
    if not settings.teams_app_id and not (settings.teams_emulator and settings.loopback_only):
        status = ("off (no MicrosoftAppId: set it to serve Teams; POLICYBOT_TEAMS_EMULATOR=1 "
                  "works only with the server on loopback)")
        log.warning("Teams /api/messages: %s", status)
        app.router.add_post("/api/messages", refused)
        return status
    speed_up_msrest_retry_policy()
    try:
        adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(AdapterConfig(settings)))
    except Exception as e:  # noqa: BLE001 - e.g. SingleTenant without a tenant id
        log.error("Teams is off: the Bot Framework configuration is invalid: %s", e)
        return f"off (invalid Bot Framework configuration: {e})"
    front = TeamsFrontEnd(ref, settings, adapter)
    app[TEAMS] = front
    app.router.add_post("/api/messages", front.handle_request)
    ref.on_ready(front.attach)

    async def started(_app: web.Application) -> None:
        front.loop = asyncio.get_running_loop()

    async def stopping(_app: web.Application) -> None:
        await front.drain()

    app.on_startup.append(started)
    app.on_cleanup.append(stopping)
    if settings.teams_app_id:
        status = f"on (authenticated, app id {settings.teams_app_id})"
        log.info("Teams /api/messages: %s", status)
    else:
        status = ("on (emulator: no app id, authentication OFF, loopback only, replies to "
                  "loopback only)")
        log.warning("Teams /api/messages: %s", status)
    return status


async def refused(request: web.Request) -> web.Response:
    """/api/messages with Teams off: nobody is authenticated, so nothing is processed."""
    log.warning("Teams request refused: Teams is off (no MicrosoftAppId; see docs/teams.md)")
    return _error(503, "Teams is not configured on this server")
