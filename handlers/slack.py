"""The Slack front end: a slack-bolt AsyncApp on the shared aiohttp application.

Translate in (Slack payload -> `Incoming`), call the synchronous core in a thread, render
out (`Reply` -> Block Kit, see `handlers.slack_views`). Bolt verifies signatures; we
acknowledge first and work after the ack, deduplicate Slack's retries persistently
(`bot.dedup.claim_event`), keep `Reply.private` out of channels (ephemeral or DM) and take
reports only in the private modal. Socket Mode is used when SLACK_APP_TOKEN is set.

This module holds delivery and the listeners for questions, buttons and events; case work
(the announcement port, `/cases`, case modals) is `slack_cases.py`, the report modal and
shortcut `slack_reports.py`, the app underneath (Bolt, Web API calls, HTTP entry, start and
stop) `slack_app.py`, the Web API client `slack_client.py`, and Slack-to-core translation
`slack_translate.py`.
"""

from __future__ import annotations

import logging
import os
import re
import traceback
from dataclasses import replace

from aiohttp import web
from slack_bolt import BoltResponse

from bot.cases import OPEN
from bot.config import Settings
from bot.conversations import load_part
from bot.follow_up import reporter_language
from bot.i18n import DEFAULT, _, language
from bot.models import Incoming, Reply
from handlers import slack_views as views
from handlers.runtime import BotRef
from handlers.slack_cases import SlackCases
from handlers.slack_client import API_TIMEOUT
from handlers.slack_reports import SlackReports
from handlers.slack_shapes import shape_guard
from handlers.slack_translate import (
    Where,
    conversation_id,
    slash_conversation_id,
    to_incoming,
)

log = logging.getLogger(__name__)


class SlackFrontEnd(SlackCases, SlackReports):
    def __init__(self, ref: BotRef, settings: Settings, api_timeout: float = API_TIMEOUT):
        super().__init__(ref, settings, api_timeout)
        self._register()

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
        dm = event.get("channel") or user

        def gather() -> tuple[str, list, list | None]:
            # in the language of the person's direct messages with policybot; when those
            # have none, of their latest named report (newest first; an anonymous report
            # is not theirs here and keeps no language)
            lang = bot.language_for(Incoming("", conversation_id(dm), actor, platform="slack"))
            reports = bot.cases.reports_by(actor)
            if lang == DEFAULT and reports:
                lang = reporter_language(bot.storage.db, reports[0]["number"]) or DEFAULT
            if not bot.cases.is_admin(actor):
                return lang, reports, None
            return lang, reports, bot.case_desk.listed(
                actor, bot.cases.list_cases(actor, status=OPEN, limit=200))

        lang, reports, cases = await self.call_core(gather)
        with language(lang):
            view = views.home_view(user, conversation_id(dm), reports, cases,
                                   bot.case_desk.times())
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

