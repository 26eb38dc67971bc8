"""Adaptive Card builders for the Teams front end: pure functions returning dicts.

Every card is rendered from what the core returns (a `Reply`, the report flow's
`STEPS`, a `CaseView`): nothing here decides anything. A button's value is a
chat command; it is rendered as `Action.Submit` with data ``{"pb": value}`` and comes
back as ``Incoming(text=value, is_button=True)``. Text inputs that complete a command
("note 2026-0007 <text>") use the input id ``pbText``; the report form submits
``{"pbForm": "report", <step id>: value, ...}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from bot import messages
from bot.case_text import say
from bot.case_view import CaseView
from bot.i18n import DEFAULT, _, current, language
from bot.models import Button, Reply

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"
MAX_TOP_ACTIONS = 5  # Teams shows at most 6 actions; the rest go into a "More" card
FORM_ID = "report"
TEXT_INPUT = "pbText"
LANG_FIELD = "pbLang"
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_STYLES = {"primary": "positive", "danger": "destructive"}


# ------------------------------------------------------------------ small pieces

def markdown(text: str) -> str:
    """The core's Markdown-light (*bold*) as Adaptive Card Markdown (**bold**)."""
    return _BOLD.sub(r"**\1**", text)


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None,
         fallback: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION,
                           "body": body, "msteams": {"width": "Full"}}
    if actions:
        out["actions"] = actions
    if fallback:
        out["fallbackText"] = fallback
    return out


def text_block(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def submit(title: str, command: str, style: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "Action.Submit", "title": title[:80],
                              "data": {"pb": command}}
    if style in _STYLES:
        action["style"] = _STYLES[style]
    return action


def button_actions(buttons: Iterable[Button]) -> list[dict[str, Any]]:
    return fold_actions([submit(b.label, b.value, b.style) for b in buttons])


def fold_actions(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most MAX_TOP_ACTIONS + 1 actions; the rest go into a "More…" card."""
    if len(actions) <= MAX_TOP_ACTIONS + 1:
        return actions
    head, rest = actions[:MAX_TOP_ACTIONS], actions[MAX_TOP_ACTIONS:]
    return head + [{"type": "Action.ShowCard", "title": "More…",
                    "card": card([text_block(_("More options:"), isSubtle=True)], rest)}]


def text_body(text: str) -> list[dict[str, Any]]:
    """Plain-text reply -> TextBlocks; consecutive ``> `` lines become a quote container."""
    body: list[dict[str, Any]] = []
    paragraph: list[str] = []
    quote: list[str] = []

    def flush_paragraph() -> None:
        if paragraph and any(p.strip() for p in paragraph):
            body.append(text_block(markdown("\n\n".join(p for p in paragraph if p.strip()))))
        paragraph.clear()

    def flush_quote() -> None:
        if quote:
            body.append({"type": "Container", "style": "emphasis", "items": [
                text_block("\n\n".join(markdown(q) for q in quote), fontType="Default")]})
        quote.clear()

    for line in text.splitlines():
        if line.startswith(">"):
            flush_paragraph()
            quote.append(line[1:].lstrip())
        else:
            flush_quote()
            if line.strip():
                paragraph.append(line)
            else:
                flush_paragraph()
    flush_quote()
    flush_paragraph()
    return body


def input_action(title: str, command: str, placeholder: str,
                 max_length: int = 5000) -> dict[str, Any]:
    """A ShowCard with a text box: submitting sends ``command + " " + text``."""
    return {"type": "Action.ShowCard", "title": title, "card": card(
        [{"type": "Input.Text", "id": TEXT_INPUT, "isMultiline": True,
          "placeholder": placeholder, "maxLength": max_length, "isRequired": True,
          "errorMessage": _("Please type something first.")}],
        [{"type": "Action.Submit", "title": _("Send"), "data": {"pb": command}}])}


# ------------------------------------------------------------------ replies

def to_card(reply: Reply) -> dict[str, Any]:
    """Any core Reply as an Adaptive Card: its text (quotes as quote blocks), links to the
    cited bulletins, and its buttons as Action.Submit; a case is `case_card`. Labels are in
    the reply's language."""
    if isinstance(reply.data.get("case_view"), CaseView):
        return case_card(reply.data["case_view"])
    with language(reply.lang):
        return _reply_card(reply)


def _reply_card(reply: Reply) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    if reply.kind == "emergency":
        body.append({"type": "Container", "style": "attention",
                     "items": text_body(reply.text)})
    elif reply.kind == "answered" and reply.citations:
        body += _answer_body(reply)
    elif reply.kind == "related":
        body.append({"type": "Container", "style": "warning", "items": [
            text_block(f"**{messages.related_label()}**", size="Small")]})
        body += text_body(reply.text)
    else:
        body += text_body(reply.text)
    actions = button_actions(reply.buttons)
    if reply.data.get("answer"):  # a question to the reporter: answer in the card
        actions.append(input_action(_("Answer"), reply.data["answer"], _("Your answer")))
    seen: set[str] = set()
    links = []
    for c in reply.citations:
        if c.url and c.url not in seen and reply.kind in ("answered", "ambiguous", "related"):
            seen.add(c.url)
            links.append({"type": "Action.OpenUrl", "url": c.url,
                          "title": _("Read {bulletin}").format(bulletin=c.bulletin)})
    if links:
        actions = actions + links[:2]
    return card(body or [text_block(" ")], actions, fallback=reply.text)


def _answer_body(reply: Reply) -> list[dict[str, Any]]:
    top = reply.citations[0]
    short = reply.data.get("short_answer")
    body: list[dict[str, Any]] = []
    if reply.uncertain:
        body.append(text_block("⚠ " + markdown(messages.uncertain_heading()), color="Warning",
                               size="Small"))
    if short:
        body.append(text_block(markdown(short), weight="Bolder", size="Medium"))
    if top.kind == "summary":  # policybot's words about the bulletin: never shown as a quote
        heading = messages.summary_heading(top.bulletin)
    else:  # in a reply that is not English: the quote stays in the bulletin's English
        heading = messages.quoted_as_written()
    if heading:
        body.append(text_block(heading, isSubtle=True, size="Small"))
    body.append({"type": "Container", "style": "emphasis" if top.kind == "verbatim"
                 else "default", "items": [
        text_block(line) for line in top.text.splitlines() if line.strip()] or
        [text_block(top.text)]})
    where = top.id if top.id != top.bulletin else top.bulletin
    effective = _(", effective {date}").format(date=top.effective) if top.effective else ""
    body.append(text_block(f"— {where}, {top.title}{effective} [{top.bulletin}]({top.url})",
                           isSubtle=True, size="Small"))
    # Whatever else the core said (notes on truncated sources, "see also", report offer).
    rest = reply.text
    if short and rest.startswith(short):
        rest = rest[len(short):]
    shown = {*top.text.splitlines(), heading}
    extra = [ln for ln in rest.splitlines() if ln.strip() and ln not in shown
             and not ln.startswith(">") and not ln.startswith("— ")
             and not (short and short in ln)]  # a clause nobody curated quotes its answer
    if extra:
        body += text_body("\n\n".join(extra))
    return body


# ------------------------------------------------------------------ report form

def _step_dict(step: Any) -> dict[str, Any]:
    d = step.to_dict() if hasattr(step, "to_dict") else dict(step)
    d.setdefault("title", step.shown_title() if hasattr(step, "shown_title") else "")
    return d


def report_form_card(steps: Sequence[Any], values: dict[str, Any] | None = None,
                     errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The report flow's steps (`bot.report_flow.STEPS`) as one form. `values` pre-fill
    the fields (a re-rendered form keeps what was typed); `errors` ({step id: message})
    are shown above the form and under their fields."""
    values = values or {}
    errors = errors or {}
    body: list[dict[str, Any]] = [
        text_block(messages.report_a_post_label(), weight="Bolder", size="Medium"),
        text_block(_("Fill in the form and press **Submit the report**. Nothing is stored "
                     "until you submit."), isSubtle=True)]
    if errors:
        body.append({"type": "Container", "style": "attention", "items": [
            text_block(_("Please fix the fields marked below; your answers are kept."),
                       weight="Bolder", color="Attention")]})
    submit_title = _("Submit the report")
    for raw in steps:
        step = _step_dict(raw)
        sid, kind = step["id"], step["kind"]
        if kind == "confirm":
            if step.get("options"):
                submit_title = step["options"][0]["label"]
            continue
        label = step["prompt"]
        if kind in ("url", "date") and step.get("title"):
            label = step["title"]
        label = label.replace("*", "")
        optional = _("(optional)")
        if step.get("optional") and optional.strip("()").lower() not in label.lower():
            label += " " + optional
        field: dict[str, Any] = {"id": sid, "label": label,
                                 "isRequired": not step.get("optional")}
        if not step.get("optional"):
            field["errorMessage"] = _("This field is required.")
        value = values.get(sid)
        if kind == "choice":
            options = step.get("options") or []
            field.update(type="Input.ChoiceSet", wrap=True,
                         style="expanded" if len(options) <= 4 else "compact",
                         choices=[{"title": o["label"] + (f": {o['description']}"
                                                          if o.get("description") else ""),
                                   "value": o["value"]} for o in options])
            if value is not None:
                field["value"] = str(value)
        elif kind == "date":
            field.update(type="Input.Date")
            if value:
                field["value"] = str(value)
        else:
            field.update(type="Input.Text")
            if kind == "url":
                field["style"] = "Url"
                field["placeholder"] = "https://…"
            if kind == "text":
                field["isMultiline"] = True
            if step.get("max_length"):
                field["maxLength"] = step["max_length"]
            if value:
                field["value"] = str(value)
        body.append(field)
        if step.get("help") and (kind != "choice" or sid == "danger"):
            body.append(text_block(step["help"], isSubtle=True, size="Small", spacing="None"))
        if sid in errors:
            body.append(text_block(markdown(errors[sid]), color="Attention", size="Small",
                                   spacing="None"))
    data = {"pbForm": FORM_ID}
    if current() != DEFAULT:  # the form's language comes back with it (errors, receipt)
        data[LANG_FIELD] = current()
    actions = [{"type": "Action.Submit", "title": submit_title, "style": "positive",
                "data": data}]
    title = messages.report_a_post_label()
    fallback = f"{title}: " + "; ".join(errors.values()) if errors else title
    return card(body, actions, fallback=fallback)


def receipt_card(replies: Sequence[Reply]) -> dict[str, Any]:
    """A submitted report's replies as one card: emergency guidance first, then the receipt
    (shown where the form was, so an anonymous key is never a message of its own)."""
    out = to_card(replies[-1])
    for reply in replies[:-1]:
        out["body"] = to_card(reply)["body"] + out["body"]
    return out


# ------------------------------------------------------------------ welcome

def welcome_card() -> dict[str, Any]:
    body = [text_block("policybot", weight="Bolder", size="Large"),
            *text_body(messages.intro()),
            text_block(_("In a channel, @mention me; in our personal chat just type."),
                       isSubtle=True)]
    buttons = [Button(q, q) for q in messages.examples()] + [
        Button(messages.report_a_post_label(), "report")]
    return card(body, button_actions(buttons), fallback=messages.intro())


# ------------------------------------------------------------------ administrators

def case_card(view: CaseView) -> dict[str, Any]:
    """A core `CaseView` as a card: facts, the description or its masked note, questions
    and answers, the audit trail, and every action as a chat command (text and choices
    are typed or picked in a ShowCard and sent as ``command + " " + pbText``)."""
    head = (say("case.urgent") + ": " if view.urgent else "") + view.title
    body: list[dict[str, Any]] = [
        {"type": "Container", "style": "attention" if view.urgent else "emphasis",
         "items": [text_block(head, weight="Bolder", size="Medium")]},
        {"type": "FactSet", "facts": [{"title": f.label, "value": f.value}
                                      for f in view.facts]},
        text_block(say("case.description"), weight="Bolder")]
    if view.description is None:
        body.append(text_block(view.hidden_note, isSubtle=True, size="Small"))
    else:
        body.append({"type": "Container", "style": "emphasis",
                     "items": [text_block(view.description)]})
    if view.messages:
        body.append(text_block(say("case.messages"), weight="Bolder"))
        for m in view.messages:
            body += [text_block(f"{m.heading} ({m.when}):", isSubtle=True, size="Small"),
                     text_block(m.text, spacing="None")]
    if view.trail:
        body += [text_block(say("case.trail"), weight="Bolder"),
                 {"type": "FactSet", "facts": [{"title": t.when, "value": t.what()}
                                               for t in view.trail[-12:]]}]
    actions = []
    for a in view.actions:
        if a.input == "none":
            actions.append(submit(a.label, a.command(), a.style))
        elif a.input == "text":
            actions.append(input_action(a.label, a.command(), a.prompt))
        else:
            actions.append({"type": "Action.ShowCard", "title": a.label, "card": card(
                [{"type": "Input.ChoiceSet", "id": TEXT_INPUT, "label": a.prompt,
                  "isRequired": True, "choices": [{"title": label, "value": value}
                                                  for value, label in a.options]}],
                [submit(a.label, a.command())])})
    return card(body, fold_actions(actions), fallback=view.text())


def notice_card(text: str) -> dict[str, Any]:
    return card(text_body(text), fallback=text)
