"""The report conversation as a pure state machine: a chat front end keeps a `FlowState`
(JSON-serialisable) between messages and calls `advance(state, answer, today)`, which
returns a `Transition` (the next state and the replies). The steps, their validation and
the form path are bot/report_flow.py. Nothing here touches storage or a platform; invalid
answers are values (an error string and a re-ask), never exceptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.i18n import DEFAULT, _, current
from bot.models import Button, Reply
from bot.report_flow import (
    BACK_WORDS,
    BY_ID,
    CANCEL_WORDS,
    CONTACT_STEP,
    FORM_FIELDS,
    STEP_IDS,
    STEPS,
    SUBMIT_WORDS,
    label_for,
    match_choice,
    validate,
    validate_form,
)


@dataclass
class FlowState:
    step: str = "category"
    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    editing: bool = False  # answering an "edit STEP" from the review: go back to confirm
    ask_contact: bool = False  # a named report asks for a name and e-mail (the browser)
    lang: str = DEFAULT  # the language the report started in: every step keeps it

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "answers": dict(self.answers),
                "history": list(self.history), "editing": self.editing,
                "ask_contact": self.ask_contact, "lang": self.lang}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlowState:
        step = data.get("step", "category")
        if step not in BY_ID:
            step = "category"
        return cls(step=step, answers=dict(data.get("answers") or {}),
                   history=[h for h in data.get("history") or [] if h in BY_ID],
                   editing=bool(data.get("editing")), ask_contact=bool(data.get("ask_contact")),
                   lang=str(data.get("lang") or DEFAULT))

    def sequence(self) -> tuple[str, ...]:
        """Every step this flow may ask, in order (the contact step only where it is asked;
        it is skipped for an anonymous report)."""
        return STEP_IDS[:-1] + ("contact",) + STEP_IDS[-1:] if self.ask_contact else STEP_IDS

    def progress(self) -> tuple[int, int]:
        order = self.sequence()
        return order.index(self.step) + 1, len(order)

    def editable(self) -> tuple[str, ...]:
        return FORM_FIELDS + (("contact",) if "contact" in self.answers else ())


@dataclass
class Transition:
    state: FlowState | None  # None when finished or cancelled
    replies: list[Reply]
    finished: dict[str, Any] | None = None  # the validated draft, once confirmed
    cancelled: bool = False
    error: str | None = None  # set when the answer was refused and the step re-asked


def emergency_text() -> str:
    return "\n".join([
        _("*If anyone is in immediate danger, call 911 or school police now.*"),
        _("If someone may harm themselves, call or text *988* (Suicide & Crisis Lifeline), "
          "any time."),
        _("Your report will be marked *urgent*. Let's continue so administrators get the "
          "details.")])


def emergency_reply() -> Reply:
    return Reply(kind="emergency", text=emergency_text(), data={"urgent": True}, private=True)


def review_text(answers: dict[str, Any]) -> str:
    lines = []
    for step in STEPS[:-1]:
        value = answers.get(step.id)
        shown = label_for(step.id, value) if step.kind == "choice" else (value or _("(skipped)"))
        if step.id == "description" and value:
            shown = "\n" + "\n".join(f"> {line}" for line in str(value).splitlines())
        lines.append(f"*{step.shown_title()}:* {shown}")
    contact = answers.get("contact")
    if contact:
        lines.append(f"*{CONTACT_STEP.shown_title()}:* {contact['name']}, {contact['email']}")
    return "\n".join(lines)


def _edit_names(state: FlowState) -> str:
    return ", ".join(BY_ID[s].shown_title().lower() for s in state.editable())


def prompt_reply(state: FlowState, error: str | None = None) -> Reply:
    """The prompt for the state's current step (with the reason first when re-asking)."""
    step = BY_ID[state.step]
    number, total = state.progress()
    parts = [error] if error else []
    buttons: list[Button] = []
    heading = _("Step {number} of {total}: {prompt}").format(
        number=number, total=total, prompt=step.shown_prompt())
    if step.id == "confirm":
        parts += [heading, "", review_text(state.answers), "",
                  _("Reply *submit* to send it. To change an answer, use its button or type "
                    "*edit* and its name (for example *edit link*); *back* goes one step back "
                    "and *cancel* drops the report.")]
        buttons.append(Button(_("Submit"), "submit", "primary"))
        buttons += [Button(_("Edit {answer}").format(answer=BY_ID[s].shown_title().lower()),
                           f"edit {s}") for s in state.editable()]
    else:
        parts.append(heading)
        if step.options:
            parts += [f"{i}. {label}" + (f": {step.detail(v)}" if step.detail(v) else "")
                      for i, (v, label) in enumerate(step.shown_options(), 1)]
        if step.help and step.kind != "choice":
            parts.append(step.shown_help())
        buttons += [Button(label, value) for value, label in step.shown_options()]
        if step.optional:
            buttons.append(Button(_("Skip"), "skip"))
    if state.history:
        buttons.append(Button(_("Back"), "back"))
    buttons.append(Button(_("Cancel"), "cancel", "danger"))
    data: dict[str, Any] = {"progress": {"step": number, "of": total}}
    if error:
        data["error"] = error
    return Reply(kind="flow", text="\n".join(parts), step=step.to_dict(),
                 buttons=tuple(buttons), data=data, private=True)


def begin(category: str | None = None, ask_contact: bool = False) -> Transition:
    """A new flow; a valid `category` (id or label) is pre-filled and its step skipped.
    With `ask_contact`, a named report asks for the reporter's name and e-mail."""
    state = FlowState(ask_contact=ask_contact, lang=current())
    if category is not None:
        value = match_choice(BY_ID["category"], category)
        if value is not None:
            state = FlowState(step="danger", answers={"category": value}, history=["category"],
                              ask_contact=ask_contact, lang=current())
    return Transition(state, [prompt_reply(state)])


def _next_step(state: FlowState, answers: dict[str, Any]) -> str:
    order = state.sequence()
    following = order[order.index(state.step) + 1]
    if following == "contact" and answers.get("identity") != "named":
        return "confirm"
    return following


def _editing_next(state: FlowState, answers: dict[str, Any]) -> str:
    """After an edit: back to the review, unless a switch to named still needs the contact."""
    if (state.ask_contact and answers.get("identity") == "named"
            and "contact" not in answers):
        return "contact"
    return "confirm"


def _reask(state: FlowState, error: str) -> Transition:
    return Transition(state, [prompt_reply(state, error)], error=error)


def advance(state: FlowState, answer: str, today: date) -> Transition:
    """Apply one chat answer to the flow. Never raises for bad input: it re-asks."""
    text = (answer or "").strip()
    low = text.lower()
    if low in CANCEL_WORDS:
        return Transition(None, [Reply(kind="info", private=True,
                                       text=_("Report cancelled. Nothing was stored."))],
                          cancelled=True)
    if low in BACK_WORDS:
        if not state.history:
            return _reask(state, _("This is the first step; there is nothing to go back to."))
        history = list(state.history)
        previous = history.pop()
        new = FlowState(step=previous, answers=dict(state.answers), history=history,
                        ask_contact=state.ask_contact, lang=state.lang)
        return Transition(new, [prompt_reply(new)])
    if state.step == "confirm":
        return _confirm(state, low)
    value, error = validate(state.step, text, today)
    if error:
        return _reask(state, error)
    answers = dict(state.answers)
    answers[state.step] = value
    if state.step == "identity" and value != "named":
        answers.pop("contact", None)  # anonymous: no name or e-mail is kept
    replies: list[Reply] = []
    if state.step == "danger" and value == "yes" and state.answers.get("danger") != "yes":
        replies.append(emergency_reply())
    next_id = _editing_next(state, answers) if state.editing else _next_step(state, answers)
    history = list(state.history)
    if not state.editing:
        history.append(state.step)
    new = FlowState(step=next_id, answers=answers, history=history,
                    editing=state.editing and next_id != "confirm",
                    ask_contact=state.ask_contact, lang=state.lang)
    replies.append(prompt_reply(new))
    return Transition(new, replies)


def _confirm(state: FlowState, low: str) -> Transition:
    if low in SUBMIT_WORDS:
        draft, errors = validate_form(state.answers, today=date.max)
        if errors:  # only reachable with a hand-edited state: send them to the first problem
            first = next(s for s in FORM_FIELDS if s in errors)
            new = FlowState(step=first, answers=dict(state.answers), history=state.history,
                            ask_contact=state.ask_contact, lang=state.lang)
            return _reask(new, errors[first])
        draft = {k: state.answers.get(k) for k in FORM_FIELDS}
        if state.answers.get("contact"):
            draft["contact"] = dict(state.answers["contact"])
        return Transition(None, [], finished=draft)
    match = re.fullmatch(r"(?:edit|change|editar|cambiar)\s+(.+)", low)
    if match:
        target = _edit_target(state, match.group(1).strip())
        if target is not None:
            new = FlowState(step=target, answers=dict(state.answers),
                            history=list(state.history), editing=True,
                            ask_contact=state.ask_contact, lang=state.lang)
            return Transition(new, [prompt_reply(new)])
        return _reask(state, _("I can't find an answer called {name!r}. You can edit: "
                               "{names}.").format(name=match.group(1).strip(),
                                                  names=_edit_names(state)))
    return _reask(state, _("Reply *submit* to send the report, *edit* and an answer's name to "
                           "change it (for example *edit link*), *back* or *cancel*."))


def _edit_target(state: FlowState, name: str) -> str | None:
    """A step id from what follows "edit": its id or its title, whole or the first word
    ("edit link", "edit what happened", "edit kind")."""
    for step_id in state.editable():
        for title in {BY_ID[step_id].title.lower(), BY_ID[step_id].shown_title().lower()}:
            if name in (step_id, title, title.split()[0]):
                return step_id
    return None
