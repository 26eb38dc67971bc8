"""Microsoft Teams front end: botbuilder's CloudAdapter at POST /api/messages.

Two translators and a thin handler: a Teams activity becomes an `Incoming`
(`teams:<aadObjectId>` user, `teams:<conversation.id>` conversation), the core
answers, and each `Reply` is rendered as an Adaptive Card (`handlers.teams_cards`).
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
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from botbuilder.core import (
    ActivityHandler,
    BotAdapter,
    CardFactory,
    InvokeResponse,
    MessageFactory,
    TurnContext,
)
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)

from bot import messages
from bot.case_view import CaseView
from bot.config import Settings, is_loopback
from bot.dedup import claim_event
from bot.i18n import _, language
from bot.models import Incoming, Reply
from bot.report_flow import FORM_FIELDS, STEPS
from handlers import teams_cards as cards
from handlers.runtime import BotRef
from infra.clock import now_iso
from infra.errors import PolicybotError

log = logging.getLogger(__name__)

ADMIN_CHANNEL_COMMAND = re.compile(
    r"^(please\s+)?use\s+this\s+(channel|chat|conversation)\s+for\s+(new\s+)?cases\W*$", re.IGNORECASE)
GROUP_TYPES = ("channel", "groupChat")
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Where the Bot Framework's connectors live (public cloud, Teams, US government clouds).
BOT_FRAMEWORK_HOSTS = (".botframework.com", ".botframework.us", ".botframework.azure.us",
                       "smba.trafficmanager.net", ".teams.microsoft.com",
                       ".teams.microsoft.us")
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_TYPE = "application/vnd.microsoft.activity.message"


class AdapterConfig:
    """The attribute names botbuilder's ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings):
        self.APP_ID = settings.teams_app_id or ""
        self.APP_PASSWORD = settings.teams_app_password or ""
        self.APP_TYPE = settings.teams_app_type or "MultiTenant"
        self.APP_TENANTID = settings.teams_tenant_id or ""


@dataclass
class RetryPolicy:
    """Replies to the Bot Framework connector: retried on 429/5xx and network errors."""
    attempts: int = 4
    base_delay: float = 0.5  # doubled after each failure unless the connector says Retry-After
    max_delay: float = 20.0


# ------------------------------------------------------------------ translators

def user_id(activity: Activity) -> str:
    who = activity.from_property
    return f"teams:{who.aad_object_id or who.id}"


def conversation_id(activity: Activity) -> str:
    return f"teams:{activity.conversation.id}"


def in_group(activity: Activity) -> bool:
    return (activity.conversation.conversation_type or "personal") in GROUP_TYPES


def message_text(activity: Activity) -> str:
    """The typed text with the bot's @mention removed."""
    text = activity.text or ""
    if activity.entities and activity.recipient:
        try:
            text = TurnContext.remove_recipient_mention(activity) or ""
        except (KeyError, TypeError, AttributeError, re.error):
            pass
    text = re.sub(r"<at>[^<]*</at>", " ", text) if "<at>" in text else text
    return text.replace("&nbsp;", " ").strip()


def command_from_value(value: Any) -> str | None:
    """A pressed card button: {"pb": command} (plus an optional typed `pbText`)."""
    if not isinstance(value, dict) or not isinstance(value.get("pb"), str):
        return None
    extra = value.get(cards.TEXT_INPUT)
    if isinstance(extra, str) and extra.strip():
        return f"{value['pb']} {extra.strip()}"
    return value["pb"]


def to_incoming(activity: Activity, text: str, is_button: bool = False) -> Incoming:
    return Incoming(text=text, conversation_id=conversation_id(activity),
                    user_id=user_id(activity), user_name=activity.from_property.name,
                    platform="teams", is_button=is_button, wants_form=True)


def card_activity(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


def service_url_problem(url: str, authenticated: bool) -> str | None:
    """Where replies may go: a Bot Framework host over https once authentication is on,
    a loopback address in emulator mode. Anything else would let a sender point the bot's
    replies (and its token) at a server of their choosing."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "serviceUrl is not a URL"
    if parts.scheme not in ("http", "https") or not host:
        return "serviceUrl is missing or not an http(s) URL"
    if authenticated:
        if parts.scheme != "https" or not host.endswith(BOT_FRAMEWORK_HOSTS):
            return "serviceUrl is not a Bot Framework host"
    elif not is_loopback(host):
        return "serviceUrl must be on loopback in emulator mode"
    return None


def shape_problem(activity: Activity, authenticated: bool) -> str | None:
    """What a usable activity must carry before any turn runs (400 otherwise)."""
    problem = service_url_problem(activity.service_url or "", authenticated)
    if problem:
        return problem
    if not (activity.conversation and isinstance(activity.conversation.id, str)
            and activity.conversation.id):
        return "conversation.id is missing"
    if not (activity.from_property and activity.from_property.id):
        return "from.id is missing"
    if not (activity.recipient and activity.recipient.id):
        return "recipient.id is missing"
    return None


def _status_of(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return status if isinstance(status, int) else None


def _retry_after(error: BaseException) -> float | None:
    headers = getattr(getattr(error, "response", None), "headers", None) or {}
    try:
        value = headers.get("Retry-After")
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def _transient(error: BaseException) -> bool:
    status = _status_of(error)
    if status is not None:
        return status in RETRY_STATUSES
    import aiohttp
    from msrest.exceptions import ClientRequestError

    return isinstance(error, (ClientRequestError, aiohttp.ClientError, OSError,
                              asyncio.TimeoutError))


async def with_retries(operation: Callable[[], Awaitable[Any]], policy: RetryPolicy,
                       what: str) -> Any:
    for attempt in range(1, policy.attempts + 1):
        try:
            return await operation()
        except Exception as e:
            if attempt == policy.attempts or not _transient(e):
                raise
            delay = _retry_after(e)
            if delay is None:
                delay = policy.base_delay * 2 ** (attempt - 1)
            delay = min(delay, policy.max_delay)
            log.warning("Teams %s failed (%s, status %s); retry %d/%d in %.1fs", what,
                        type(e).__name__, _status_of(e), attempt, policy.attempts - 1, delay)
            await asyncio.sleep(delay)
    return None  # unreachable


# ------------------------------------------------------------------ the front end

class TeamsFrontEnd:
    """Owns the adapter, the activity handler, proactive messages and their storage."""

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

    @property
    def bot(self):
        return self.ref.bot

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

    @staticmethod
    def own_retries(context: TurnContext) -> None:
        """msrest would retry 5xx itself (4 tries with long back-off) and never 429; turn
        that off so `with_retries` is the one policy for every reply."""
        client = context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
        policy = getattr(getattr(client, "config", None), "retry_policy", None)
        if policy is not None:
            try:
                policy.retries = 0
            except Exception:  # noqa: BLE001 - an unexpected client: keep its own policy
                log.debug("connector client without a settable retry policy")

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
            self.own_retries(ctx)
            send = ctx.update_activity if update else ctx.send_activity
            for activity in activities:
                response = await with_retries(lambda a=activity: send(a), self.retry,
                                              "update" if update else "reply")
                ids.append(getattr(response, "id", None))

        await self.adapter.continue_conversation(reference, send_all, self.app_id)
        return ids

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

    async def submit_form(self, context: TurnContext, data: dict[str, Any],
                          invoke: bool) -> dict[str, Any] | None:
        """A submitted report form. Returns the card an invoke answers with: the form again
        with its errors, or an anonymous report's receipt. In the form's language."""
        with language(data.get(cards.LANG_FIELD)):
            return await self._submit_form(context, data, invoke)

    async def _submit_form(self, context: TurnContext, data: dict[str, Any],
                           invoke: bool) -> dict[str, Any] | None:
        values = {k: data.get(k) for k in FORM_FIELDS if data.get(k) not in (None, "")}
        incoming = to_incoming(context.activity, "report form", True)
        try:
            result = await asyncio.to_thread(self.bot.reports.submit_form, incoming, values)
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
        card = cards.to_card(replies[-1])
        for reply in replies[:-1]:  # emergency guidance first, in the same card
            card["body"] = cards.to_card(reply)["body"] + card["body"]
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

    async def on_turn_error(self, context: TurnContext, error: Exception) -> None:
        log.error("Teams turn failed (activity %s)", context.activity.id,
                  exc_info=(type(error), error, error.__traceback__))
        try:
            if context.activity.type == ActivityTypes.invoke:
                await context.send_activity(Activity(
                    type=ActivityTypes.invoke_response, value=InvokeResponse(
                        status=200, body={"statusCode": 200, "type": MESSAGE_TYPE,
                                          "value": messages.internal_error()})))
            await context.send_activity(MessageFactory.text(messages.internal_error()))
        except Exception:  # noqa: BLE001
            log.warning("could not tell the person about the failed turn")

    # ---------------------------------------------------------------- events

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
        loop.call_soon_threadsafe(self._spawn, work)

    def _spawn(self, work: Callable[[], Awaitable[None]]) -> None:
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


class TeamsBot(ActivityHandler):
    def __init__(self, front: TeamsFrontEnd):
        self.front = front

    async def on_turn(self, turn_context: TurnContext) -> None:
        self.front.own_retries(turn_context)
        activity = turn_context.activity
        if activity.type in (ActivityTypes.message, ActivityTypes.invoke) and activity.id:
            key = f"teams:{activity.conversation.id}:{activity.id}"
            if not await asyncio.to_thread(claim_event, self.front.bot.storage, key):
                log.info("duplicate Teams activity %s ignored", activity.id)
                if activity.type == ActivityTypes.invoke:
                    await turn_context.send_activity(Activity(
                        type=ActivityTypes.invoke_response, value=InvokeResponse(
                            status=200, body={"statusCode": 200, "type": MESSAGE_TYPE,
                                              "value": _("Already done.")})))
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
        our Action.Submit buttons; other invokes are acknowledged and ignored."""
        activity = turn_context.activity
        if activity.name != "adaptiveCard/action":
            log.info("Teams invoke %r not supported; acknowledged", activity.name)
            return InvokeResponse(status=200)
        action = (activity.value or {}).get("action") if isinstance(activity.value, dict) \
            else None
        data = action.get("data") if isinstance(action, dict) else None
        if not isinstance(data, dict):
            return _invoke(400, "application/vnd.microsoft.error",
                           {"code": "BadRequest", "message": "The card action has no data."})
        front = self.front
        if data.get("pbForm") == cards.FORM_ID:  # remembered only when named, as above
            if data.get("identity") != "anonymous":
                await front.remember_personal(turn_context)
            card = await front.submit_form(turn_context, data, invoke=True)
            if card is not None:  # the form with its errors, or an anonymous receipt
                return _invoke(200, CARD_TYPE, card)
            return _invoke(200, MESSAGE_TYPE, _("Report submitted."))
        await front.remember_personal(turn_context)
        command = command_from_value(data)
        if command is None:
            return _invoke(400, "application/vnd.microsoft.error",
                           {"code": "BadRequest", "message": "This card action is not known."})
        await front.converse(turn_context, command, is_button=True)
        return _invoke(200, MESSAGE_TYPE, "Done.")

    async def on_members_added_activity(self, members_added, turn_context: TurnContext):
        activity = turn_context.activity
        if any(m.id == activity.recipient.id for m in members_added or []):
            await self.front.remember_personal(turn_context)
            await self.front.send(turn_context, card_activity(cards.welcome_card()))


TEAMS = web.AppKey("teams", TeamsFrontEnd)


def _invoke(status: int, kind: str, value: Any) -> InvokeResponse:
    """The body Teams expects for adaptiveCard/action (statusCode, type, value)."""
    return InvokeResponse(status=200, body={"statusCode": status, "type": kind, "value": value})


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def speed_up_msrest_retry_policy() -> None:
    """botbuilder builds a connector client per turn, and msrest's ClientRetryPolicy then
    computes `[i for i in range(999) if i not in safe_codes]` against a 500-item *list*:
    about 3 ms of CPU on the event loop for every Teams message. A frozenset with the
    same members gives the same retry codes at a fraction of the cost."""
    from msrest.universal_http.requests import ClientRetryPolicy

    ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)


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
