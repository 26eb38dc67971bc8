"""Reports in Slack: the private report modal (opened by `/report`, a button or the
"Report this message" shortcut) and its submission, which stores the report and shows the
receipt. A mixin of `SlackFrontEnd` (handlers/slack.py), which supplies `answer` and
`_command_where`."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import replace
from typing import Any

from bot.i18n import _, current, language
from bot.models import Incoming
from bot.report_flow import STEPS, validate_form
from handlers import slack_report_views as report_views
from handlers import slack_views as views
from handlers.slack_app import SlackApp
from handlers.slack_translate import conversation_id, to_incoming

log = logging.getLogger("handlers.slack")  # the Slack front end's log, as before the split

SUBMIT_BUDGET = 2.0  # seconds a modal submission may take before we ack and finish by DM
PERMALINK_BUDGET = 1.0  # chat.getPermalink must not eat the 3-second trigger window


class SlackReports(SlackApp):
    async def open_report(self, trigger_id: str, prefill: dict[str, Any],
                          metadata: dict[str, Any] | None = None) -> None:
        # The form's language travels with it, for its errors and the receipt.
        metadata = {**(metadata or {}), "lang": current()}
        view = report_views.report_modal(STEPS, prefill, json.dumps(metadata))
        await self.api("views.open", trigger_id=trigger_id, view=view)

    async def on_report_command(self, ack, command: dict) -> None:
        await ack()
        where = self._command_where(command)
        text = f"report {command.get('text') or ''}".strip()
        incoming = replace(to_incoming(text, where.conversation, where.user), wants_form=True)
        await self.answer(incoming, where, trigger_id=command.get("trigger_id"))

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
        prefill = report_views.prefill_from_message(message, link, channel.get("name"))
        await self.open_report(shortcut["trigger_id"], prefill, {"source": "shortcut"})

    # modal submissions -------------------------------------------------------

    async def on_report_submit(self, ack, body: dict, view: dict) -> None:
        with language(report_views.form_language(view)):  # the language the form was opened in
            await self._report_submit(ack, body, view)

    async def _report_submit(self, ack, body: dict, view: dict) -> None:
        user = (body.get("user") or {}).get("id")
        view_id = view.get("id")
        if not user or not view_id:
            log.warning("Slack view_submission without a user or view id ignored")
            await ack()
            return
        bot = self.bot
        values = report_views.form_values((view.get("state") or {}).get("values"))
        _draft, errors = validate_form(values, today=bot.reports.today())
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]
        if not await self.claim(f"slack:view:{view_id}:{digest}"):
            await ack(response_action="update", view=report_views.notice_view(
                _("Report received"), _("This report was already received.")))
            return
        incoming = Incoming(text="report form", conversation_id=f"slack:view:{view_id}",
                            user_id=f"slack:{user}", platform="slack")
        task = asyncio.ensure_future(self.call_core(bot.reports.submit_form, incoming, values))
        acked = False
        try:
            result = await asyncio.wait_for(asyncio.shield(task), SUBMIT_BUDGET)
        except TimeoutError:
            await ack(response_action="update", view=report_views.notice_view(
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
            await ack(response_action="update", view=report_views.result_view(result.replies))
        else:
            await self.api("views.update", view_id=view_id,
                           view=report_views.result_view(result.replies))
        if any(r.data.get("case_key") for r in result.replies):
            return  # anonymous: nothing goes to a conversation the workspace keeps
        for reply in result.replies:  # emergency guidance first, then the receipt
            await self.api("chat.postMessage", channel=user,
                           **views.reply_message(reply, conversation_id(user)))
