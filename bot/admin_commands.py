"""Administrators' chat commands over the case log.

`cases [status=..] [category=..] [urgency=..] [assignee=..|me] [mine]`, `my cases`
(the cases assigned to you), and for one case `case N`, `reveal N`, `claim N`, `assign N
ADMIN`, `set-status N STATUS [REASON]`, `close N REASON`, `reopen N REASON`,
`set-category N CATEGORY`, `set-urgency N URGENCY`, `note N TEXT`, `ask N TEXT`,
`link-duplicate N ORIGINAL`, `unlink-duplicate N`: each is one `CaseDesk.act` (which
checks permission and records refusals). `set-status N resolved` needs a REASON and is
then `close N REASON`; without one it is refused, pointing to `close`. `case N` shows the masked case; `reveal N`
shows it all, recorded.
Every reply is private.
"""

from __future__ import annotations

from typing import Any

from bot.case_desk import CaseDesk
from bot.case_text import say, words
from bot.case_view import ACTIONS, CaseView, normalize_number
from bot.i18n import _
from bot.models import Button, Incoming, Reply
from infra.errors import NotPermittedError

FILTERS = ("status", "category", "urgency", "assignee")
CHOICE_BUTTONS = 5  # a choice with more options than this is typed, not a row of buttons


def _private(kind: str, text: str, buttons: tuple[Button, ...] = (),
             data: dict[str, Any] | None = None) -> Reply:
    return Reply(kind=kind, text=text, buttons=buttons, private=True, data=data or {})


def case_reply(view: CaseView) -> Reply:
    """The chat rendering of a case: its text, a button per action that needs no typing
    (one per option of a short choice; a longer one is typed, its options listed in the
    text), and the view itself for front ends that draw cards."""
    buttons: list[Button] = []
    for a in view.actions:
        if a.input == "none":
            buttons.append(Button(a.label, a.command(), a.style))
        elif a.input == "choice" and len(a.options) <= CHOICE_BUTTONS:
            buttons += [Button(label, a.command(value),
                               "danger" if value.startswith("dismissed") else "primary")
                        for value, label in a.options]
    return _private("admin", view.text(), tuple(buttons), {"case_view": view})


class AdminDesk:
    def __init__(self, desk: CaseDesk):
        self.desk = desk
        self.cases = desk.cases

    def handle(self, incoming: Incoming) -> list[Reply] | None:
        text = (incoming.text or "").strip()
        parts = text.split(None, 1)
        if not parts:
            return None
        command, rest = parts[0].lower(), (parts[1] if len(parts) > 1 else "")
        actor = incoming.user_id or "unknown"
        if " ".join(text.lower().split()) == "my cases":
            command, rest = "cases", "mine"
        if command == "cases":
            filters = self._parse_filters(rest, actor)
            if filters is None:
                return None
            try:
                return [self._list(actor, filters)]
            except NotPermittedError:
                return [_private("error", say("error.not_permitted"))]
        action = ACTIONS.get(command)
        args = rest.split(None, 1)
        number = normalize_number(args[0]) if action and args else None
        if number is None:
            return None  # "case" or "note" in an ordinary sentence: not a command
        outcome = self.desk.act(number, actor, action, args[1] if len(args) > 1 else "")
        if not outcome.ok:
            return [_private("error", outcome.text)]
        if outcome.view is not None:
            return [case_reply(outcome.view)]
        return [_private("admin", outcome.text)]

    @staticmethod
    def _parse_filters(rest: str, actor: str) -> dict[str, str] | None:
        filters: dict[str, str] = {}
        for token in rest.split():
            if token.lower() == "mine":  # `cases mine` (Slack: `/cases mine`) = `my cases`
                token = "assignee=me"
            key, sep, value = token.partition("=")
            if not sep or key.lower() not in FILTERS or not value:
                return None
            filters[key.lower()] = actor if value == "me" else value
        return filters

    def _list(self, actor: str, filters: dict[str, str]) -> Reply:
        rows = self.cases.list_cases(actor, **filters)
        counts = self.cases.count_by_status(actor)
        head = _("Cases:") + " " + ", ".join(f"{words(s)} {n}" for s, n in counts.items())
        if not rows:
            return _private("admin", head + "\n" + _("No cases match."))
        lines = [head] + [row.line() for row in self.desk.listed(actor, rows)]
        buttons = tuple(Button(_("Open {number}").format(number=c["number"]),
                               f"case {c['number']}") for c in rows[:5])
        return _private("admin", "\n".join(lines), buttons,
                        {"case_numbers": [c["number"] for c in rows]})
