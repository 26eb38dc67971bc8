"""Block Kit builders for the Slack front end: pure functions from core data to dicts.

Nothing here calls Slack or the core; the report modal is handlers/slack_report_views.py. Every button whose value is a chat command uses
an action id starting with ``pb_btn``; the conversation it belongs to travels in the
block id of its actions block (``pb|<n>|<conversation_id>``), so a press is sent back
into ``Bot.handle`` in the right conversation even from an ephemeral message or the
App Home.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot import messages
from bot.case_list import ListedCase
from bot.case_text import say, status_text
from bot.case_view import Action, CaseView
from bot.i18n import _, language
from bot.models import Button, Reply
from bot.report_flow import label_for
from bot.times import Times

BUTTON_ACTION = "pb_btn"  # prefix; matched with the regex ^pb_btn
SHARE_ACTION = "pb_share"
CASE_TEXT_ACTION = "pb_case_"  # prefix + a case action that needs text (assign, note, ask)
REPORT_CALLBACK = "pb_report"
CASE_TEXT_CALLBACK = "pb_case_text_modal"
VALUE_ACTION = "value"
SECTION_LIMIT = 3000  # Slack: section text
INPUT_LIMIT = 3000  # Slack: plain_text_input max_length
OPTION_LIMIT = 75  # Slack: option text / description
BUTTON_TEXT_LIMIT = 75
MAX_BLOCKS = 50  # per message (a modal allows 100)


# ------------------------------------------------------------------ text helpers

def escape(text: str) -> str:
    """Slack's three control characters, so user text can never become a mention or link."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """The core's plain-text rendering as Slack mrkdwn: *bold* carries over; `> ` quote
    markers at the start of a line are kept, everything else is escaped."""
    out = []
    for line in (text or "").split("\n"):
        if line.startswith("> "):
            out.append("> " + escape(line[2:]))
        elif line == ">":
            out.append(">")
        else:
            out.append(escape(line))
    return "\n".join(out)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = BUTTON_TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}


def sections(text: str) -> list[dict[str, Any]]:
    """Paragraphs of mrkdwn as sections, each under Slack's 3,000-character limit."""
    blocks: list[dict[str, Any]] = []
    chunk = ""
    for para in (p for p in text.split("\n\n") if p.strip()):
        while len(para) > SECTION_LIMIT:  # a single huge paragraph: cut at a line break
            cut = para.rfind("\n", 0, SECTION_LIMIT)
            cut = cut if cut > 0 else SECTION_LIMIT
            if chunk:
                blocks.append(section(chunk))
                chunk = ""
            blocks.append(section(para[:cut]))
            para = para[cut:].lstrip("\n")
        candidate = f"{chunk}\n\n{para}" if chunk else para
        if len(candidate) > SECTION_LIMIT:
            blocks.append(section(chunk))
            chunk = para
        else:
            chunk = candidate
    if chunk:
        blocks.append(section(chunk))
    return blocks


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(label), "action_id": action_id,
                               "value": value[:2000]}
    if style in ("primary", "danger"):
        element["style"] = style
    return element


def actions_block(elements: list[dict[str, Any]], block_id: str) -> dict[str, Any]:
    return {"type": "actions", "block_id": block_id[:255], "elements": elements[:25]}


def conversation_block_id(index: int, conversation_id: str) -> str:
    return f"pb|{index}|{conversation_id}"


def conversation_from_block_id(block_id: str | None) -> str | None:
    parts = (block_id or "").split("|", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "pb" else None


def command_buttons(buttons: Sequence[Button], conversation_id: str, start: int = 0,
                    extra: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Core buttons (value = chat command) as actions blocks of at most 25 elements."""
    elements = [button(b.label, f"{BUTTON_ACTION}_{i}", b.value, b.style)
                for i, b in enumerate(buttons)] + list(extra)
    return [actions_block(elements[i:i + 25], conversation_block_id(start + i, conversation_id))
            for i in range(0, len(elements), 25)]


# ------------------------------------------------------------------ replies

def confidence_line(reply: Reply) -> str | None:
    """The context line under an answer: confidence (in words when unsure), the source, and
    whether the text is the bulletin's words or a summary of what is known."""
    parts = []
    if reply.confidence is not None and reply.status in ("answered", "ambiguous"):
        parts.append(_("Confidence: {percent:.0%}").format(percent=reply.confidence)
                     + (f" ({messages.uncertain_label().lower()})" if reply.uncertain else ""))
    if reply.kind in ("answered", "related") and reply.citations:
        c = reply.citations[0]
        head = _("Source") if reply.kind == "answered" else _("Closest guideline")
        parts.append(f"{head}: <{c.url}|{escape(c.id)}> ({escape(c.bulletin)}: "
                     f"{escape(c.title)})")
        if c.kind == "summary":
            parts.append(_("summary of what is known, not the bulletin's words"))
    return " · ".join(parts) or None


def reply_blocks(reply: Reply, conversation_id: str, index: int = 0,
                 share: bool = False) -> list[dict[str, Any]]:
    """One core Reply as blocks: its text (the clause quoted with bulletin id and link), a
    context line with the confidence, and its buttons. `share` adds "Share in channel".
    Labels are in the reply's language."""
    with language(reply.lang):
        return _reply_blocks(reply, conversation_id, index, share)


def _reply_blocks(reply: Reply, conversation_id: str, index: int,
                  share: bool) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.kind == "emergency":
        blocks.append({"type": "header", "text": plain(_("Immediate danger"), 150)})
    elif reply.kind == "related":
        blocks.append(context(f":information_source: *{messages.related_label()}*"))
    elif reply.uncertain:
        blocks.append(context(":warning: " + messages.uncertain_heading()))
    blocks += sections(mrkdwn(reply.text))
    line = confidence_line(reply)
    if line:
        blocks.append(context(line))
    extra = []
    if share and reply.kind == "answered" and reply.citations and not reply.private:
        extra.append(button(_("Share in channel"), SHARE_ACTION,
                            f"show {reply.citations[0].id}"))
    if reply.buttons or extra:
        blocks += command_buttons(reply.buttons, conversation_id, index, extra)
    return blocks[:MAX_BLOCKS]


def reply_message(reply: Reply, conversation_id: str, share: bool = False) -> dict[str, Any]:
    """chat.postMessage / postEphemeral / response_url arguments for one Reply."""
    if isinstance(reply.data.get("case_view"), CaseView):
        return case_message(reply.data["case_view"], conversation_id)
    return {"text": clip(reply.text, 3000), "blocks": reply_blocks(reply, conversation_id,
                                                                    share=share)}


def shared_message(reply: Reply, user_id: str, conversation_id: str) -> dict[str, Any]:
    blocks = reply_blocks(reply, conversation_id)
    with language(reply.lang):
        blocks.insert(0, context(_("{user} shared this answer from policybot.").format(
            user=f"<@{user_id}>")))
    return {"text": clip(reply.text, 3000), "blocks": blocks[:MAX_BLOCKS]}


def report_button_message(value: str, conversation_id: str) -> dict[str, Any]:
    """In a channel a report is never taken in the thread: offer the private form."""
    text = _("Reports are taken privately, never in a channel. Press the button to open the "
             "report form (only you can see this message).")
    return {"text": text, "blocks": [section(text)] + command_buttons(
        [Button(messages.report_a_post_label(), value, "primary")], conversation_id)}


def text_message(text: str) -> dict[str, Any]:
    return {"text": clip(text, 3000), "blocks": sections(mrkdwn(text))}


# ------------------------------------------------------------------ administrators

def _quote(text: str) -> str:
    return "\n".join("> " + escape(line) for line in text.splitlines())


def user_mention(value: str) -> str:
    """A Slack user id ("slack:U123") as a mention; any other text escaped."""
    user = value.removeprefix("slack:")
    return f"<@{user}>" if user != value and user.isalnum() else escape(value)


def case_message(view: CaseView, conversation_id: str,
                 mention_ids: Sequence[str] = ()) -> dict[str, Any]:
    """A core `CaseView` as a message (an admin channel post, a private reply): facts,
    the description or its masked note, questions and answers, the audit trail, and the
    actions (buttons carry chat commands, a choice is a select, text opens a modal)."""
    mentions = " ".join(f"<@{u}>" for u in mention_ids) if view.urgent else ""
    head = (f"{mentions} " if mentions else "") + (
        f":rotating_light: *{say('case.urgent')}* " if view.urgent else "") + (
        f":hourglass: *{say('case.overdue')}* " if view.overdue else "") + f"*{view.title}*"
    fields = [{"type": "mrkdwn", "text": f"*{escape(f.label)}:*\n{user_mention(f.value)}"}
              for f in view.facts]
    blocks = [section(head)] + [{"type": "section", "fields": fields[i:i + 10]}
                                for i in range(0, len(fields), 10)]
    if view.description is None:
        blocks.append(context(escape(view.hidden_note)))
    else:
        blocks += [section(f"*{say('case.description')}:*"), *sections(_quote(view.description))]
    blocks += [section(f"*{escape(m.heading)}* ({m.when}):\n{_quote(m.text)}")
               for m in view.messages]
    if view.trail:
        blocks += [{"type": "divider"}, section(f"*{say('case.trail')}*"),
                   *sections(escape("\n".join(t.line() for t in view.trail)))]
    elements = []
    for a in view.actions:
        if a.input == "none":
            elements.append(button(a.label, f"{BUTTON_ACTION}_{a.id}", a.command(), a.style))
        elif a.input == "choice":
            elements.append({"type": "static_select", "action_id": f"{BUTTON_ACTION}_{a.id}",
                             "placeholder": plain(a.label), "options": [
                                 {"text": plain(label), "value": a.command(value)}
                                 for value, label in a.options]})
        else:
            elements.append(button(a.label, CASE_TEXT_ACTION + a.id, a.number))
    blocks = blocks[:MAX_BLOCKS - 1]
    blocks.append(actions_block(elements, conversation_block_id(0, conversation_id)))
    text = (f"{mentions} " if mentions else "") + f"{view.title}: {view.status_text}"
    return {"text": clip(text, 3000), "blocks": blocks}


def case_text_modal(action: Action, channel: str | None) -> dict[str, Any]:
    """The text a case action needs (assign, note, ask), sent back to the core on submit."""
    block: dict[str, Any] = {"type": "input", "block_id": "text",
                             "label": plain(action.prompt, 2000),
                             "element": {"type": "plain_text_input", "action_id": VALUE_ACTION,
                                          "multiline": action.id != "duplicate",
                                         "max_length": INPUT_LIMIT}}
    meta = {"number": action.number, "action": action.id, "channel": channel}
    return {"type": "modal", "callback_id": CASE_TEXT_CALLBACK,
            "private_metadata": json.dumps(meta), "title": plain(f"Case {action.number}", 24),
            "submit": plain(action.label, 24), "close": plain("Cancel", 24),
            "blocks": [block]}


# ------------------------------------------------------------------ App Home

def home_view(user_id: str, conversation_id: str, reports: Sequence[dict[str, Any]] = (),
              open_cases: Sequence[ListedCase] | None = None,
              times: Times | None = None) -> dict[str, Any]:
    """Employees: quick actions and their own reports. Admins (open_cases not None): also
    the open cases, each with a button that opens it (masked) by direct message."""
    times = times or Times.of("UTC")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain("policybot", 150)},
        section(_("Ask me about LAUSD's social media policy for employees (BUL-5688.0): send "
                  "me a direct message, mention me in a channel, or use `/policy your "
                  "question`.") + "\n" + _("Saw an inappropriate post? Report it here or with "
                                           "`/report`; you can stay anonymous.")),
    ]
    blocks += command_buttons([Button(messages.report_a_post_label(), "report", "primary"),
                               Button(_("My reports"), "my reports"), Button(_("Help"), "help")],
                              conversation_id)
    blocks += [{"type": "divider"}, section("*" + _("Your reports") + "*")]
    if reports:
        for r in list(reports)[:20]:
            status = status_text(r["status"], r.get("dismiss_reason"))
            blocks.append(section(_("*{number}* {category}, filed {date}: *{status}*").format(
                number=r["number"], category=escape(label_for("category", r["category"])),
                date=times.when(r["created_at"]), status=status)))
    else:
        blocks.append(context(_("You have no named reports. Anonymous reports are checked "
                                "with `status KEY` in a direct message.")))
    if open_cases is not None:
        blocks += [{"type": "divider"}, section("*" + _("Open cases") + f"* ({len(open_cases)})")]
        blocks += command_buttons([Button(say("case.mine"), "my cases")], conversation_id,
                                  start=999)
        for c in list(open_cases)[:25]:
            blocks.append({**section(mrkdwn(c.line())),
                           "block_id": conversation_block_id(1000 + len(blocks), conversation_id),
                           "accessory": button(say("case.open"), f"{BUTTON_ACTION}_open",
                                               f"case {c.number}")})
        if not open_cases:
            blocks.append(context(_("No open cases.")))
    return {"type": "home", "blocks": blocks[:100], "private_metadata": user_id}
