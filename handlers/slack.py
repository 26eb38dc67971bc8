"""The Slack front end: a slack-bolt AsyncApp on the shared aiohttp application.

Translate in (Slack payload -> `Incoming`), call the synchronous core in a thread, render
out (`Reply` -> Block Kit, see `handlers.slack_views`). Bolt verifies signatures; we
acknowledge first and work after the ack, deduplicate Slack's retries persistently
(`bot.dedup.claim_event`), keep `Reply.private` out of channels (ephemeral or DM) and take
reports only in the private modal. Socket Mode is used when SLACK_APP_TOKEN is set.

This module holds the listeners, delivery and the announcement port; the app underneath
(Bolt, Web API calls, HTTP entry, start and stop) is `slack_app.py`, the Web API client
`slack_client.py`, and Slack-to-core translation `slack_translate.py`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import traceback
from dataclasses import replace
from typing import Any

from aiohttp import web
from slack_bolt import BoltResponse

from bot.admin_commands import normalize_number
from bot.case_text import say
from bot.case_view import CaseView
from bot.cases import OPEN
from bot.config import Settings
from bot.conversations import load_part
from bot.core import Bot
from bot.i18n import _, current, language
from bot.models import Incoming, Reply
from bot.report_flow import STEPS, validate_form
from handlers import slack_views as views
from handlers.runtime import BotRef
from handlers.slack_app import SlackApp
from handlers.slack_client import API_TIMEOUT
from handlers.slack_shapes import shape_guard
from handlers.slack_translate import (
    Where,
    conversation_id,
    slash_conversation_id,
    to_incoming,
)

log = logging.getLogger(__name__)

SUBMIT_BUDGET = 2.0  # seconds a modal submission may take before we ack and finish by DM
PERMALINK_BUDGET = 1.0  # chat.getPermalink must not eat the 3-second trigger window


class SlackFrontEnd(SlackApp):
    def __init__(self, ref: BotRef, settings: Settings, api_timeout: float = API_TIMEOUT):
        super().__init__(ref, settings, api_timeout)
        self._register()

    # ------------------------------------------------------------ announcements (a Port)

    name = "slack"

    def subscribe(self, bot: Bot) -> None:
        bot.announcements.attach(self)

    def schedule(self, work) -> None:
        """Called in the core's thread: hand the work to the event loop and return."""
        loop = self.loop
        if loop is None or loop.is_closed():
            log.warning("Slack is not running; an announcement was not made")
            return
        loop.call_soon_threadsafe(lambda: self.spawn(work()))

    async def post(self, view: CaseView) -> dict[str, Any] | None:
        channel = self.settings.slack_admin_channel
        if not channel:
            return None
        admins = [a.split(":", 1)[1] for a in sorted(self.bot.settings.admins)
                  if a.startswith("slack:")]
        posted = await self.api("chat.postMessage", channel=channel,
                                **views.case_message(view, conversation_id(channel), admins))
        return {"channel": channel, "ts": posted["ts"]} if posted and posted.get("ts") else None

    async def update(self, reference: dict[str, Any], view: CaseView) -> None:
        channel = reference["channel"]
        await self.api("chat.update", channel=channel, ts=reference["ts"],
                       **views.case_message(view, conversation_id(channel)))

    async def direct_message(self, user_id: str, reply: Reply) -> None:
        user = user_id.split(":", 1)[1]
        await self.api("chat.postMessage", channel=user,
                       **views.reply_message(reply, conversation_id(user)))

    # ------------------------------------------------------------ delivery

    async def deliver(self, replies: list[Reply], where: Where, share: bool = False) -> None:
        for reply in replies:
            message = views.reply_message(reply, where.conversation, share=share)
            if where.response_url:
                await self.respond(where.response_url, message)
            elif where.channel is None:
                await self.api("chat.postMessage", channel=where.user, **message)
            elif where.is_dm and reply.data.get("case_key"):
                # An anonymous receipt is ephemeral even in a DM: messages stay in the
                # workspace's history and exports, dated; ephemeral ones do not.
                await self.api("chat.postEphemeral", channel=where.channel, user=where.user,
                               thread_ts=where.thread_ts, **message)
            elif where.is_dm:
                await self.api("chat.postMessage", channel=where.channel,
                               thread_ts=where.thread_ts, **message)
            elif reply.private or where.private_only:
                await self.api("chat.postEphemeral", channel=where.channel, user=where.user,
                               thread_ts=where.thread_ts, **message)
            else:
                await self.api("chat.postMessage", channel=where.channel,
                               thread_ts=where.thread_ts, **message)

    async def answer(self, incoming: Incoming, where: Where, trigger_id: str | None = None,
                     share: bool = False) -> None:
        """Run the core and deliver. A `report_form` reply (outside a DM) opens the private
        modal, or offers it with a button when there is no trigger id."""
        replies = await self.handle(incoming)
        form = next((r for r in replies if r.kind == "report_form"), None)
        if form is not None:
            await self.deliver([r for r in replies if r is not form], where, share=share)
            category = form.data["prefill"].get("category")
            with language(form.lang):  # the form in the language of the conversation
                if trigger_id:
                    await self.open_report(trigger_id, {"category": category})
                    return
                value = f"report {category}" if category else "report"
                message = views.report_button_message(value, where.conversation)
            if where.response_url:
                await self.respond(where.response_url, message)
            elif where.channel:
                await self.api("chat.postEphemeral", channel=where.channel, user=where.user,
                               thread_ts=where.thread_ts, **message)
            return
        await self.deliver(replies, where, share=share)

    async def open_report(self, trigger_id: str, prefill: dict[str, Any],
                          metadata: dict[str, Any] | None = None) -> None:
        # The form's language travels with it, for its errors and the receipt.
        metadata = {**(metadata or {}), "lang": current()}
        view = views.report_modal(STEPS, prefill, json.dumps(metadata))
        await self.api("views.open", trigger_id=trigger_id, view=view)

    async def tell(self, user: str, text: str, channel: str | None = None,
                   response_url: str | None = None, thread_ts: str | None = None) -> None:
        """A short private notice to one person."""
        message = views.text_message(text)
        if response_url:
            await self.respond(response_url, message)
        elif channel and not channel.startswith("D"):
            await self.api("chat.postEphemeral", channel=channel, user=user,
                           thread_ts=thread_ts, **message)
        else:
            await self.api("chat.postMessage", channel=channel or user, **message)

    # ------------------------------------------------------------ listeners

    async def replay_guard(self, body: dict, next) -> BoltResponse | None:  # noqa: A002
        """A signed request is valid for 5 minutes, so it can be sent again: a slash command,
        button or modal submission acts once per `trigger_id` (Slack makes one for each
        press or command); a replay gets an empty 200 and does nothing. The report form
        is left to `on_report_submit`, which knows a re-sent report by its view and answers
        with a notice instead of closing the modal."""
        trigger = body.get("trigger_id") if isinstance(body, dict) else None
        view = body.get("view") if isinstance(body, dict) else None
        if isinstance(view, dict) and view.get("callback_id") == views.REPORT_CALLBACK:
            return await next()
        if isinstance(trigger, str) and trigger and not await self.claim(
                f"slack:trigger:{trigger}"):
            log.info("a replayed Slack %s was ignored", body.get("type") or "command")
            return BoltResponse(status=200, body="")
        return await next()

    def _register(self) -> None:
        b = self.bolt
        b.middleware(shape_guard)  # listeners below trust the shapes in slack_shapes.SHAPES
        b.middleware(self.replay_guard)
        b.event("app_mention")(self.on_mention)
        b.event("message")(self.on_message)
        b.event("app_home_opened")(self.on_home_opened)
        b.event(re.compile(".*"))(self.on_other_event)
        b.command("/policy")(self.on_policy)
        b.command("/report")(self.on_report_command)
        b.command("/cases")(self.on_cases)
        b.shortcut("report_message")(self.on_report_shortcut)
        b.action(re.compile(f"^{views.BUTTON_ACTION}"))(self.on_button)
        b.action(views.SHARE_ACTION)(self.on_share)
        b.action(re.compile("^pb_case_"))(self.on_case_action)
        b.action(re.compile(".*"))(self.on_other_action)
        b.view(views.REPORT_CALLBACK)(self.on_report_submit)
        b.view(views.CASE_TEXT_CALLBACK)(self.on_text_submit)
        b.error(self.on_error)

    async def on_error(self, error: Exception, body: dict, response=None) -> None:
        """Bolt's error funnel. A signed payload whose fields have the wrong shape (an event
        that is not an object, actions that are not objects) fails inside Bolt's own parsing:
        that is the sender's mistake, answered 400. Failures in our code stay 500 and are
        logged with their traceback."""
        frames = traceback.extract_tb(error.__traceback__)
        in_bolt = bool(frames) and f"{os.sep}slack_bolt{os.sep}" in frames[-1].filename
        kind = body.get("type") if isinstance(body, dict) else None
        if in_bolt and response is not None and response.status >= 500:
            response.status = 400
            response.body = "Bad request: malformed Slack payload"
            log.warning("Slack request refused: malformed %s payload (%s)", kind,
                        type(error).__name__)
            return
        log.error("Slack listener failed (%s): %s", kind, error, exc_info=error)

    async def _first_delivery(self, body: dict) -> bool:
        """Slack retries (X-Slack-Retry-Num) carry the same event_id: handle it once."""
        event_id = body.get("event_id")
        if not event_id:
            return True
        if await self.claim(f"slack:event:{event_id}"):
            return True
        log.info("Slack event %s already handled (retry %s)", event_id,
                 body.get("retry_attempt", "?"))
        return False

    async def on_mention(self, body: dict, event: dict, context) -> None:
        if not event.get("user") or event.get("bot_id"):
            return  # another app or a workflow mentioning policybot: not a person asking
        if not await self._first_delivery(body):
            return
        bot_user = context.get("bot_user_id") or ""
        text = re.sub(rf"<@{re.escape(bot_user)}(\|[^>]*)?>", " ", event.get("text") or "")
        thread = event.get("thread_ts") or event["ts"]
        channel = event["channel"]
        is_dm = event.get("channel_type") == "im" or channel.startswith("D")
        where = Where(user=event["user"], conversation=conversation_id(channel, thread),
                      channel=channel, thread_ts=thread, is_dm=is_dm)
        await self.answer(to_incoming(text.strip() or "help", where.conversation, event["user"]),
                          where)

    async def on_message(self, body: dict, event: dict, context) -> None:
        if event.get("channel_type") in ("channel", "group"):
            await self.on_thread_reply(body, event, context)
            return
        if (event.get("channel_type") != "im" or event.get("bot_id")
                or event.get("subtype") not in (None, "file_share", "thread_broadcast")
                or not event.get("user")):
            return  # channel messages (mentions come as app_mention), edits, bots, joins
        if not await self._first_delivery(body):
            return
        channel, thread = event["channel"], event.get("thread_ts")
        where = Where(user=event["user"], conversation=conversation_id(channel, thread),
                      channel=channel, thread_ts=thread, is_dm=True)
        await self.answer(to_incoming(event.get("text") or "", where.conversation,
                                      event["user"]), where)

    async def on_thread_reply(self, body: dict, event: dict, context) -> None:
        """A reply in a channel thread policybot answered, without an @mention (those come
        as app_mention): a follow-up question there is answered in the thread, in context;
        anything else is left to the people talking (the core returns no reply)."""
        thread, user, text = event.get("thread_ts"), event.get("user"), event.get("text") or ""
        if (not thread or not user or event.get("bot_id")
                or event.get("subtype") not in (None, "thread_broadcast")):
            return
        bot_user = context.get("bot_user_id") or ""
        if bot_user and f"<@{bot_user}" in text:
            return  # answered through its app_mention event
        channel = event["channel"]
        conversation = conversation_id(channel, thread)
        followed = await self.call_core(load_part, self.bot.storage, conversation, "context")
        if not followed or not await self._first_delivery(body):
            return
        incoming = replace(to_incoming(text, conversation, user), overheard=True)
        replies = await self.handle(incoming)
        await self.deliver(replies, Where(user=user, conversation=conversation, channel=channel,
                                          thread_ts=thread, is_dm=False))

    async def on_home_opened(self, body: dict, event: dict) -> None:
        if event.get("tab") not in (None, "home") or not await self._first_delivery(body):
            return
        user = event["user"]
        actor = f"slack:{user}"
        bot = self.bot

        def gather() -> tuple[list, list | None]:
            reports = bot.cases.reports_by(actor)
            if not bot.cases.is_admin(actor):
                return reports, None
            return reports, bot.cases.list_cases(actor, status=OPEN, limit=200)

        reports, cases = await self.call_core(gather)
        dm = event.get("channel") or user
        view = views.home_view(user, conversation_id(dm), reports, cases)
        await self.api("views.publish", user_id=user, view=view)

    async def on_other_event(self, body: dict) -> None:
        log.debug("Slack event %s ignored", (body.get("event") or {}).get("type"))

    async def on_other_action(self, ack) -> None:
        await ack()

    # slash commands --------------------------------------------------------

    def _command_where(self, command: dict) -> Where:
        channel, user = command["channel_id"], command["user_id"]
        return Where(user=user, conversation=slash_conversation_id(channel, user),
                     channel=channel, is_dm=False, response_url=command.get("response_url"))

    async def on_policy(self, ack, command: dict) -> None:
        await ack()
        where = self._command_where(command)
        text = (command.get("text") or "").strip() or "help"
        await self.answer(to_incoming(text, where.conversation, where.user), where,
                          trigger_id=command.get("trigger_id"), share=True)

    async def on_report_command(self, ack, command: dict) -> None:
        await ack()
        where = self._command_where(command)
        text = f"report {command.get('text') or ''}".strip()
        incoming = replace(to_incoming(text, where.conversation, where.user), wants_form=True)
        await self.answer(incoming, where, trigger_id=command.get("trigger_id"))

    async def on_cases(self, ack, command: dict) -> None:
        await ack()
        where = self._command_where(command)
        args = (command.get("text") or "").strip()
        text = f"case {args}" if normalize_number(args or "-") else f"cases {args}".strip()
        await self.answer(to_incoming(text, where.conversation, where.user), where)

    # the message shortcut ------------------------------------------------

    async def permalink(self, body: dict, channel: str, ts: str) -> str | None:
        try:
            result = await asyncio.wait_for(
                self.client.chat_getPermalink(channel=channel, message_ts=ts), PERMALINK_BUDGET)
            return result.get("permalink")
        except Exception as e:  # noqa: BLE001 - fall back to the documented URL shape
            log.warning("chat.getPermalink failed (%s); building the link", type(e).__name__)
        domain = (body.get("team") or {}).get("domain")
        return f"https://{domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}" \
            if domain else None

    async def on_report_shortcut(self, ack, shortcut: dict) -> None:
        await ack()
        message = shortcut.get("message") or {}
        channel = shortcut.get("channel") or {}
        link = await self.permalink(shortcut, channel.get("id", ""), message.get("ts", ""))
        prefill = views.prefill_from_message(message, link, channel.get("name"))
        await self.open_report(shortcut["trigger_id"], prefill, {"source": "shortcut"})

    # buttons ---------------------------------------------------------------

    @staticmethod
    def _action_where(body: dict, action: dict) -> Where:
        user = body["user"]["id"]
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        thread = container.get("thread_ts") or (body.get("message") or {}).get("thread_ts")
        conversation = (views.conversation_from_block_id(action.get("block_id"))
                        or conversation_id(channel or user, thread))
        if container.get("type") == "view" or not channel:
            return Where(user=user, conversation=conversation)
        is_dm = channel.startswith("D")
        return Where(user=user, conversation=conversation, channel=channel, thread_ts=thread,
                     is_dm=is_dm,
                     response_url=body.get("response_url") if container.get("is_ephemeral")
                     else None,
                     private_only=not is_dm)  # a press in a channel answers only the presser

    async def on_button(self, ack, body: dict, action: dict) -> None:
        await ack()
        value = action.get("value") or (action.get("selected_option") or {}).get("value") or ""
        where = self._action_where(body, action)
        incoming = to_incoming(value, where.conversation, where.user, is_button=True)
        if body.get("trigger_id"):  # a report can open the modal right away
            incoming = replace(incoming, wants_form=True)
        await self.answer(incoming, where, trigger_id=body.get("trigger_id"))

    async def on_share(self, ack, body: dict, action: dict) -> None:
        await ack()
        where = self._action_where(body, action)
        replies = await self.handle(to_incoming(action.get("value") or "", where.conversation,
                                                where.user, is_button=True))
        shareable = [r for r in replies if r.kind == "answered" and not r.private]
        if not shareable or not body.get("response_url"):
            await self.tell(where.user, _("That answer cannot be shared."), where.channel,
                            body.get("response_url"))
            return
        message = views.shared_message(shareable[0], where.user, where.conversation)
        await self.respond(body["response_url"], message, response_type="in_channel")

    async def on_case_action(self, ack, body: dict, action: dict) -> None:
        """A case action that needs text (assign, note, ask): the core's view of the case
        (which checks permission) says what to ask for, in a modal."""
        await ack()
        user = body["user"]["id"]
        number = normalize_number(str(action.get("value") or "")[:32])
        if number is None:  # a forged or mangled payload: nothing stored, nothing echoed
            log.warning("Slack case button without a case number ignored")
            return
        where = self._action_where(body, action)
        outcome = await self.call_core(self.bot.case_desk.act, number, f"slack:{user}", "view")
        wanted = outcome.view and outcome.view.action(
            action["action_id"].removeprefix(views.CASE_TEXT_ACTION))
        if not wanted:
            await self.tell(user, outcome.text if not outcome.ok else say("error.stale_form"),
                            where.channel, where.response_url, where.thread_ts)
            return
        await self.api("views.open", trigger_id=body["trigger_id"],
                       view=views.case_text_modal(wanted, where.channel))

    # modal submissions -------------------------------------------------------

    async def on_report_submit(self, ack, body: dict, view: dict) -> None:
        with language(views.form_language(view)):  # the language the form was opened in
            await self._report_submit(ack, body, view)

    async def _report_submit(self, ack, body: dict, view: dict) -> None:
        user = (body.get("user") or {}).get("id")
        view_id = view.get("id")
        if not user or not view_id:
            log.warning("Slack view_submission without a user or view id ignored")
            await ack()
            return
        bot = self.bot
        values = views.form_values((view.get("state") or {}).get("values"))
        _draft, errors = validate_form(values, today=bot.reports.today())
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]
        if not await self.claim(f"slack:view:{view_id}:{digest}"):
            await ack(response_action="update", view=views.notice_view(
                _("Report received"), _("This report was already received.")))
            return
        incoming = Incoming(text="report form", conversation_id=f"slack:view:{view_id}",
                            user_id=f"slack:{user}", platform="slack")
        task = asyncio.ensure_future(self.call_core(bot.reports.submit_form, incoming, values))
        acked = False
        try:
            result = await asyncio.wait_for(asyncio.shield(task), SUBMIT_BUDGET)
        except TimeoutError:
            await ack(response_action="update", view=views.notice_view(
                _("Report received"), _("Saving your report: your receipt appears here in a "
                                        "moment. Keep this window open.")))
            acked = True
            result = await task
        except Exception:
            log.exception("storing a Slack report failed")
            await ack(response_action="errors", errors={
                "description": _("Something went wrong on our side and the report was not "
                                 "stored. Please try again in a moment.")})
            return
        if result.errors:
            if not acked:
                await ack(response_action="errors", errors=result.errors)
            return
        if not acked:
            await ack(response_action="update", view=views.result_view(result.replies))
        else:
            await self.api("views.update", view_id=view_id,
                           view=views.result_view(result.replies))
        if any(r.data.get("case_key") for r in result.replies):
            return  # anonymous: nothing goes to a conversation the workspace keeps
        for reply in result.replies:  # emergency guidance first, then the receipt
            await self.api("chat.postMessage", channel=user,
                           **views.reply_message(reply, conversation_id(user)))

    async def on_text_submit(self, ack, body: dict, view: dict) -> None:
        user = body["user"]["id"]
        meta = _case_form_metadata(view.get("private_metadata"))
        if meta is None:
            await ack(response_action="errors", errors={"text": say("error.stale_form")})
            return
        text = views.form_values((view.get("state") or {}).get("values")).get("text") or ""
        outcome = await self.call_core(self.bot.case_desk.act, meta["number"],
                                       f"slack:{user}", meta["action"], text)
        if not outcome.ok:
            await ack(response_action="errors", errors={"text": outcome.text})
            return
        await ack()
        await self.tell(user, outcome.text, meta.get("channel"))


def _case_form_metadata(raw: str | None) -> dict[str, Any] | None:
    """The private_metadata of a case modal: {"number", "action", "channel"?}, or None
    when it is not that (a form from an older version, a forged submission)."""
    try:
        meta = json.loads(raw or "")
    except ValueError:
        return None
    if not isinstance(meta, dict) or not all(isinstance(meta.get(k), str)
                                             for k in ("number", "action")):
        return None
    meta["number"] = normalize_number(meta["number"][:32])
    if meta["number"] is None or not isinstance(meta.get("channel"), str | None):
        return None
    return meta


SLACK_KEY = web.AppKey("slack", SlackFrontEnd)


def mount(app: web.Application, ref: BotRef, settings: Settings,
          api_timeout: float = API_TIMEOUT) -> str:
    """Mount Slack on the shared aiohttp app: POST /slack/events (HTTP mode, with a signing
    secret) and/or Socket Mode (SLACK_APP_TOKEN). Returns the status shown at start."""
    if not settings.slack_enabled:
        log.info("Slack is off: SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (or "
                 "SLACK_APP_TOKEN) is not set")
        return "off (SLACK_BOT_TOKEN not set)"
    front = SlackFrontEnd(ref, settings, api_timeout)
    app[SLACK_KEY] = front
    if settings.slack_signing_secret:
        app.router.add_post("/slack/events", front.handle_http)
    app.on_startup.append(front.start)
    app.on_cleanup.append(front.stop)
    ref.on_ready(front.subscribe)
    return "on (Socket Mode)" if settings.slack_app_token else "on (HTTP)"
