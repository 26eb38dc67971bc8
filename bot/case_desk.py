"""The one entry point for administrators' case actions, on every front end.

`CaseDesk.act` runs every action with the one permission check (`CaseStore`, which records
refusals) and returns an `Outcome` with the text to show; views are built by
`bot.case_view.build_view`, marked read (`bot.case_reads`), and list rows made by
`bot.case_list`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.case_duplicates import Duplicates
from bot.case_list import ListedCase, listed
from bot.case_reads import mark_read
from bot.case_text import say, status_text
from bot.case_view import CaseView, build_view, field_label, normalize_number
from bot.cases import CaseStore
from bot.times import Times
from infra.errors import (
    CaseNotFoundError,
    InputTooLargeError,
    InvalidTransitionError,
    NotPermittedError,
)


def _status(desk: CaseDesk, number: str, actor: str, value: str) -> dict[str, Any]:
    status, _, reason = value.partition(" ")
    return desk.cases.set_status(number, status, actor, reason=reason or None)


def _number_only(result: Any, value: str) -> dict[str, Any]:
    return {}


# Every action besides view and reveal: action -> (the store call, which checks permission:
# (desk, number, actor, value) -> its result; what its "done.<action>" text fills in besides
# the number: (result, value) -> words).
ACTIONS: dict[str, tuple[Callable[..., Any], Callable[[Any, str], dict[str, Any]]]] = {
    "claim": (lambda desk, number, actor, _: desk.cases.assign(number, actor, actor), _number_only),
    "assign": (lambda desk, number, actor, value: desk.cases.assign(number, value, actor),
               lambda case, _: {"assignee": case["assignee"]}),
    "status": (_status, lambda case, _: {"status": status_text(case["status"],
                                                                case["dismiss_reason"])}),
    "close": (lambda desk, number, actor, value: desk.cases.close(number, value, actor),
              _number_only),
    "reopen": (lambda desk, number, actor, value: desk.cases.reopen(number, value, actor),
               lambda case, _: {"status": case["status"]}),
    "category": (lambda desk, number, actor, value: desk.cases.set_category(number, value, actor),
                 lambda case, _: {"value": field_label("category", case["category"])}),
    "urgency": (lambda desk, number, actor, value: desk.cases.set_urgency(number, value, actor),
                lambda case, _: {"value": field_label("urgency", case["urgency"])}),
    "note": (lambda desk, number, actor, value: desk.cases.add_note(number, value, actor),
             _number_only),
    "ask": (lambda desk, number, actor, value: desk.cases.ask_reporter(number, value, actor),
            lambda delivery, _: {"delivery": delivery}),
    "duplicate": (lambda desk, number, actor, value: desk.duplicates.link(
                      number, normalize_number(value) or value, actor),
                  lambda _, value: {"original": normalize_number(value) or value}),
    "unlink": (lambda desk, number, actor, _: desk.duplicates.unlink(number, actor),
               lambda original, _: {"original": original}),
}


@dataclass(frozen=True)
class Outcome:
    """`problem` says why it failed: "not_permitted", "not_found" or "invalid"."""
    ok: bool
    text: str
    view: CaseView | None = None
    problem: str | None = None


class CaseDesk:
    """The one entry point for administrators' case actions, on every front end."""

    def __init__(self, cases: CaseStore):
        self.cases = cases
        self.duplicates = Duplicates(cases)

    def times(self) -> Times:
        """The district's time zone, ages measured from now."""
        return Times.of(self.cases.settings.timezone)

    def targets(self) -> dict[str, int]:
        return dict(self.cases.settings.target_hours)

    def listed(self, actor: str, cases: list[dict[str, Any]]) -> list[ListedCase]:
        """Rows for a list of `cases` that `actor` was permitted to list."""
        return listed(self.cases.storage.db, actor, cases, self.times(), self.targets())

    def announcement(self, number: str, new: bool = False) -> CaseView:
        """The masked view for a shared admin channel (no audit: nothing hidden is shown)."""
        return build_view(self.cases.for_announcement(number), new=new, times=self.times(),
                          targets=self.targets(), duplicates=self.duplicates.facts(number),
                          assignees=self.cases.admins.assignees())

    def _view(self, number: str, actor: str, reveal: bool) -> CaseView:
        case = self.cases.get(number, actor, reveal)
        messages = self.cases.messages(number, actor)
        with self.cases.storage.write() as db:
            mark_read(db, number, actor)
        return build_view(case, messages, self.cases.events(number, actor), revealed=reveal,
                          times=self.times(), targets=self.targets(),
                          duplicates=self.duplicates.facts(number),
                          assignees=self.cases.admins.assignees())

    def permit(self, actor: str | None, action: str) -> Outcome:
        """For an administrator's action about no one case (e.g. choosing where new cases
        are announced): the same check, the same refusal, recorded."""
        if self.cases.is_admin(actor):
            return Outcome(True, "")
        self.cases.record_denied(actor, action)
        return Outcome(False, say("error.not_permitted"), problem="not_permitted")

    def act(self, number: str, actor: str | None, action: str, value: str = "") -> Outcome:
        """Run one action; every refusal and failure is an Outcome with its text."""
        actor = actor or "unknown"
        value = (value or "").strip()
        if normalize_number(number) is None:  # a forged or mangled number: nothing stored
            return Outcome(False, say("error.not_a_number"), problem="not_found")
        number = normalize_number(number)
        try:
            if action in ("view", "reveal"):
                view = self._view(number, actor, action == "reveal")
                return Outcome(True, view.text(), view)
            if action not in ACTIONS:
                return Outcome(False, say("error.unknown_action", action=action),
                               problem="invalid")
            call, words = ACTIONS[action]
            result = call(self, number, actor, value)
            text = say(f"done.{action}", number=number, **words(result, value))
        except NotPermittedError:
            return Outcome(False, say("error.not_permitted"), problem="not_permitted")
        except CaseNotFoundError as e:
            return Outcome(False, str(e), problem="not_found")
        except (InvalidTransitionError, InputTooLargeError, ValueError) as e:
            return Outcome(False, str(e), problem="invalid")
        return Outcome(True, text)
