"""Administrators' chat commands over the case log.

`cases [status=..] [category=..] [urgency=..] [assignee=..|me]`, `case N`, `claim N`,
`assign N USER`, `set-status N STATUS [REASON]`, `note N TEXT`, `ask N TEXT`.
Permission is checked by `CaseStore` (which records denied attempts); every reply
is private.
"""

from __future__ import annotations

import re
from typing import Any

from bot.cases import DISMISS_REASONS, TRANSITIONS, CaseStore
from bot.config import Settings
from bot.errors import (
    CaseNotFoundError,
    InputTooLargeError,
    InvalidTransitionError,
    NotPermittedError,
)
from bot.models import Button, Incoming, Reply
from bot.report_flow import label_for

NUMBER = re.compile(r"(\d{4})-(\d{1,6})")
FILTERS = ("status", "category", "urgency", "assignee")
NOT_PERMITTED = "Not permitted: case commands are for case administrators. The attempt was recorded."


def normalize_number(text: str) -> str | None:
    match = NUMBER.fullmatch(text.strip())
    return f"{match.group(1)}-{int(match.group(2)):04d}" if match else None


def _private(kind: str, text: str, buttons: tuple[Button, ...] = (),
             data: dict[str, Any] | None = None) -> Reply:
    return Reply(kind=kind, text=text, buttons=buttons, private=True, data=data or {})


class AdminDesk:
    def __init__(self, cases: CaseStore, settings: Settings):
        self.cases = cases
        self.settings = settings

    def handle(self, incoming: Incoming) -> list[Reply] | None:
        text = (incoming.text or "").strip()
        parts = text.split(None, 1)
        if not parts:
            return None
        command, rest = parts[0].lower(), (parts[1] if len(parts) > 1 else "")
        actor = incoming.user_id or "unknown"
        try:
            if command == "cases":
                filters = self._parse_filters(rest, actor)
                if filters is None:
                    return None
                return [self._list(actor, filters)]
            handler = {"case": self._show, "claim": self._claim, "assign": self._assign,
                       "set-status": self._set_status, "note": self._note,
                       "ask": self._ask}.get(command)
            if handler is None:
                return None
            args = rest.split(None, 1)
            number = normalize_number(args[0]) if args else None
            if number is None:
                return None  # "case" or "note" in an ordinary sentence: not a command
            return [handler(number, args[1] if len(args) > 1 else "", actor)]
        except NotPermittedError:
            return [_private("error", NOT_PERMITTED)]
        except (CaseNotFoundError, InvalidTransitionError, InputTooLargeError, ValueError) as e:
            return [_private("error", str(e))]

    @staticmethod
    def _parse_filters(rest: str, actor: str) -> dict[str, str] | None:
        filters: dict[str, str] = {}
        for token in rest.split():
            key, sep, value = token.partition("=")
            if not sep or key.lower() not in FILTERS or not value:
                return None
            filters[key.lower()] = actor if value == "me" else value
        return filters

    def _list(self, actor: str, filters: dict[str, str]) -> Reply:
        rows = self.cases.list_cases(actor, **filters)
        counts = self.cases.count_by_status(actor)
        head = "Cases: " + ", ".join(f"{s} {n}" for s, n in counts.items())
        if not rows:
            return _private("admin", head + "\nNo cases match.")
        lines = [head] + [_line(c) for c in rows]
        buttons = tuple(Button(f"Open {c['number']}", f"case {c['number']}") for c in rows[:5])
        return _private("admin", "\n".join(lines), buttons,
                        {"case_numbers": [c["number"] for c in rows]})

    def _show(self, number: str, _rest: str, actor: str) -> Reply:
        case = self.cases.get(number, actor)
        messages = self.cases.messages(number, actor)
        lines = [_line(case),
                 f"*Target:* {label_for('target', case['target'])}",
                 f"*Link:* {case['link'] or '(none)'}",
                 f"*Posted or seen:* {case['seen_on'] or '(not given)'}",
                 f"*Reporter:* {case['reporter'] or 'anonymous'}",
                 f"*Policies:* {', '.join(case['matched_policy_ids']) or 'none matched'}",
                 "*What happened:*"]
        lines += [f"> {line}" for line in case["description"].splitlines()]
        for m in messages:
            who = f"Question from {m['author']}" if m["direction"] == "question" \
                else "Reporter answered"
            lines.append(f"{who} ({m['created_at'][:16]}):")
            lines += [f"> {line}" for line in m["text"].splitlines()]
        return _private("admin", "\n".join(lines), _case_buttons(case), {"case": case})

    def _claim(self, number: str, _rest: str, actor: str) -> Reply:
        case = self.cases.assign(number, actor, actor)
        return _private("admin", f"You now have case *{number}*.", _case_buttons(case))

    def _assign(self, number: str, rest: str, actor: str) -> Reply:
        assignee = rest.strip()
        if not assignee or len(assignee.split()) != 1:
            return _private("error", "Usage: assign N USER (one user id, e.g. slack:U123).")
        case = self.cases.assign(number, assignee, actor)
        return _private("admin", f"Case *{number}* assigned to {assignee}.", _case_buttons(case))

    def _set_status(self, number: str, rest: str, actor: str) -> Reply:
        words = rest.split(None, 1)
        if not words:
            return _private("error", "Usage: set-status N STATUS [REASON].")
        reason = words[1] if len(words) > 1 else None
        case = self.cases.set_status(number, words[0], actor, reason=reason)
        shown = case["status"] + (f" ({case['dismiss_reason']})" if case["dismiss_reason"]
                                  else "")
        return _private("admin", f"Case *{number}* is now {shown}.", _case_buttons(case))

    def _note(self, number: str, rest: str, actor: str) -> Reply:
        if not rest.strip():
            return _private("error", "Usage: note N TEXT.")
        self.cases.add_note(number, rest, actor)
        return _private("admin", f"Note added to case *{number}*.")

    def _ask(self, number: str, rest: str, actor: str) -> Reply:
        if not rest.strip():
            return _private("error", "Usage: ask N TEXT.")
        delivery = self.cases.ask_reporter(number, rest, actor)
        return _private("admin", f"Question added to case *{number}*. {delivery}")


def _line(case: dict[str, Any]) -> str:
    urgent = "URGENT " if case["urgency"] == "urgent" else ""
    assignee = f", assigned to {case['assignee']}" if case["assignee"] else ""
    reason = f" ({case['dismiss_reason']})" if case["dismiss_reason"] else ""
    return (f"{urgent}*{case['number']}* {label_for('category', case['category'])} on "
            f"{label_for('platform', case['platform'])}: {case['status']}{reason}{assignee}")


def _case_buttons(case: dict[str, Any]) -> tuple[Button, ...]:
    number = case["number"]
    buttons = [Button("Claim", f"claim {number}")]
    for status in TRANSITIONS[case["status"]]:
        if status == "dismissed":
            buttons += [Button(f"Dismiss: {r.replace('_', ' ')}",
                               f"set-status {number} dismissed {r}", "danger")
                        for r in DISMISS_REASONS]
        else:
            buttons.append(Button(f"Mark {status}", f"set-status {number} {status}", "primary"))
    return tuple(buttons)
