"""Case work in Slack: the announcement port (a new case posted to the admin channel and
updated after changes; an administrator's question sent to a named reporter by DM), `/cases`,
and the case buttons that ask for text in a modal. A mixin of `SlackFrontEnd`
(handlers/slack.py), which supplies `answer`, `tell`, `_command_where` and `_action_where`."""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.admin_commands import normalize_number
from bot.case_text import say
from bot.case_view import CaseView
from bot.core import Bot
from bot.models import Reply
from handlers import slack_report_views as report_views
from handlers import slack_views as views
from handlers.slack_app import SlackApp
from handlers.slack_translate import conversation_id, to_incoming

log = logging.getLogger("handlers.slack")  # the Slack front end's log, as before the split


class SlackCases(SlackApp):
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

    # /cases and the case buttons -----------------------------------------------

    async def on_cases(self, ack, command: dict) -> None:
        await ack()
        where = self._command_where(command)
        args = (command.get("text") or "").strip()
        text = f"case {args}" if normalize_number(args or "-") else f"cases {args}".strip()
        await self.answer(to_incoming(text, where.conversation, where.user), where)

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

    async def on_text_submit(self, ack, body: dict, view: dict) -> None:
        user = body["user"]["id"]
        meta = _case_form_metadata(view.get("private_metadata"))
        if meta is None:
            await ack(response_action="errors", errors={"text": say("error.stale_form")})
            return
        text = report_views.form_values((view.get("state") or {}).get("values")).get("text") or ""
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
