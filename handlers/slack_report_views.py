"""Block Kit for the Slack report modal: the form built from the report steps, its values
read back, its language, and the views shown after a submission; and the form pre-filled
from a message (the "Report this message" shortcut). Pure functions from core data to
dicts, built with the helpers in handlers/slack_views.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot import messages, report_prefill
from bot.i18n import _
from bot.models import Reply
from bot.report_flow import STEPS, Step
from handlers.slack_views import (
    INPUT_LIMIT,
    OPTION_LIMIT,
    REPORT_CALLBACK,
    VALUE_ACTION,
    clip,
    mrkdwn,
    plain,
    section,
    sections,
)


def _option(value: str, label: str, description: str = "") -> dict[str, Any]:
    option: dict[str, Any] = {"text": plain(label), "value": value}
    if description:
        option["description"] = plain(description, OPTION_LIMIT)
    return option


def _step_element(step: Step, prefill: Any) -> dict[str, Any]:
    action: dict[str, Any]
    if step.kind == "choice":
        options = [_option(v, label, step.detail(v)) for v, label in step.shown_options()]
        kind = "radio_buttons" if len(options) <= 2 else "static_select"
        action = {"type": kind, "action_id": VALUE_ACTION, "options": options}
        if kind == "static_select":
            action["placeholder"] = plain(_("Choose one"))
        chosen = [o for o in options if o["value"] == prefill]
        if chosen:
            action["initial_option"] = chosen[0]
    elif step.kind == "date":
        action = {"type": "datepicker", "action_id": VALUE_ACTION,
                  "placeholder": plain(_("Pick a date"))}
        if prefill:
            action["initial_date"] = str(prefill)
    else:
        multiline = step.kind == "text"
        action = {"type": "plain_text_input", "action_id": VALUE_ACTION, "multiline": multiline,
                  "max_length": min(step.max_length or INPUT_LIMIT, INPUT_LIMIT)}
        if step.kind == "url":
            action["placeholder"] = plain("https://…")
        if prefill:
            action["initial_value"] = clip(str(prefill), action["max_length"])
    return action


def _step_label(step: Step) -> str:
    # Choice and text prompts read as questions; link and date prompts mention chat words.
    return (step.shown_prompt().replace("*", "") if step.kind in ("choice", "text")
            else step.shown_title())


def report_modal(steps: Sequence[Step] = STEPS, prefill: dict[str, Any] | None = None,
                 private_metadata: str = "") -> dict[str, Any]:
    """The report form: one input block per step (block id = step id), the confirm step
    being the modal's submit button. Field errors come back as `response_action: errors`
    keyed by the same step ids. In the current language (bot.i18n)."""
    prefill = prefill or {}
    blocks: list[dict[str, Any]] = [section(_(
        "Report an inappropriate post. Nothing is posted in any channel; administrators see "
        "the report in the case log. Choose *anonymous* to store no identity at all."))]
    submit = _("Submit")
    for step in steps:
        if step.kind == "confirm":
            submit = step.shown_options()[0][1] if step.options else submit
            continue
        block: dict[str, Any] = {"type": "input", "block_id": step.id,
                                 "label": plain(_step_label(step), 2000),
                                 "optional": step.optional,
                                 "element": _step_element(step, prefill.get(step.id))}
        hint = step.shown_help()
        if step.kind == "text" and (step.max_length or 0) > INPUT_LIMIT:
            hint = _("Up to {limit:,} characters in this form.").format(limit=INPUT_LIMIT)
        if hint:
            block["hint"] = plain(hint.replace("*", "").replace("`", ""), 2000)
        blocks.append(block)
    return {"type": "modal", "callback_id": REPORT_CALLBACK,
            "title": plain(messages.report_a_post_label(), 24), "submit": plain(submit, 24),
            "close": plain(_("Cancel"), 24), "notify_on_close": False,
            "private_metadata": private_metadata[:3000], "blocks": blocks}


def form_values(state_values: dict[str, Any]) -> dict[str, Any]:
    """view.state.values -> {block_id: value} for every input block."""
    values: dict[str, Any] = {}
    if not isinstance(state_values, dict):
        return values
    for block_id, actions in state_values.items():
        if not isinstance(actions, dict):
            continue
        for action in actions.values():
            if not isinstance(action, dict):
                continue
            kind = action.get("type")
            if kind in ("static_select", "radio_buttons"):
                selected = action.get("selected_option")
                values[block_id] = selected.get("value") if isinstance(selected, dict) else None
            elif kind == "datepicker":
                values[block_id] = action.get("selected_date")
            else:
                values[block_id] = action.get("value")
    return values


def form_language(view: dict[str, Any]) -> str | None:
    """The language a report modal was opened in (kept in its private_metadata)."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return None
    return meta.get("lang") if isinstance(meta, dict) else None


def result_view(replies: Sequence[Reply]) -> dict[str, Any]:
    """What the modal turns into after a submission: emergency guidance first, then the
    receipt. An anonymous receipt (it carries the case key) is shown here and only here:
    a direct message would stay in the workspace's history and exports, dated."""
    blocks: list[dict[str, Any]] = []
    for reply in replies:
        if reply.kind == "emergency":
            blocks.append({"type": "header", "text": plain(_("Immediate danger"), 150)})
            blocks += sections(mrkdwn(reply.text))
            blocks.append({"type": "divider"})
    receipt = next((r for r in replies if r.kind == "receipt"), None)
    if receipt is not None and receipt.data.get("case_key"):
        blocks += sections(mrkdwn(receipt.text))
        blocks.append(section(_("*Copy the key now:* it is not sent to you anywhere else, and "
                                "closing this window hides it for good.")))
    else:
        numbers = [r.data.get("case_number") for r in replies if r.data.get("case_number")]
        text = (_("Thank you. Your report is case *{number}*.").format(number=numbers[0])
                if numbers else _("Thank you. Your report was received."))
        blocks.append(section(text + " " + _("Your receipt is in your direct messages with "
                                             "policybot.")))
    return {"type": "modal", "title": plain(_("Report received"), 24),
            "close": plain(_("Close"), 24), "blocks": blocks}


def notice_view(title: str, text: str) -> dict[str, Any]:
    return {"type": "modal", "title": plain(title, 24), "close": plain(_("Close"), 24),
            "blocks": sections(mrkdwn(text))}


def prefill_from_message(message: dict[str, Any], permalink: str | None,
                         channel_name: str | None = None) -> dict[str, Any]:
    """The report form pre-filled from a Slack message (the "Report this message" shortcut)."""
    author = message.get("user") or message.get("bot_id") or "unknown"
    profile = message.get("user_profile") or {}
    name = profile.get("real_name") or profile.get("display_name") or profile.get("name")
    who = f"{name} (Slack user {author})" if name else f"Slack user {author}"
    return report_prefill.prefill_from_message(
        "Slack", who, message.get("text") or "", permalink,
        f"#{channel_name}" if channel_name else None)
