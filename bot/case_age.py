"""How long a case has been waiting, against the district's target for its urgency
(POLICYBOT_TARGET_HOURS): the age column of the case list and the "Age" fact of a case.

A case is overdue while it is still open (it can move on to another status) and more
hours have passed since it was reported than its urgency's target. A closed case is never
overdue. Reports are stamped to the hour (`bot.clock.hour_iso`), so ages are too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.cases import TRANSITIONS
from bot.i18n import _
from bot.times import Times


@dataclass(frozen=True)
class CaseAge:
    text: str  # "5 hours"
    hours: float
    target_hours: int | None
    open: bool
    overdue: bool

    def fact(self) -> str:
        """"5 hours, overdue (target 4 hours)", "2 hours (target 4 hours)", "3 days"."""
        if not self.open or self.target_hours is None:
            return self.text
        target = (_("target 1 hour") if self.target_hours == 1
                  else _("target {n} hours").format(n=self.target_hours))
        if self.overdue:
            return _("{age}, overdue ({target})").format(age=self.text, target=target)
        return f"{self.text} ({target})"


def case_age(case: Mapping[str, Any], times: Times, targets: Mapping[str, int]) -> CaseAge:
    delta = times.age(case.get("created_at"))
    hours = delta.total_seconds() / 3600
    target = targets.get(case.get("urgency") or "")
    still_open = bool(TRANSITIONS.get(case.get("status") or "", ()))
    return CaseAge(text=times.duration(delta), hours=hours, target_hours=target,
                   open=still_open, overdue=still_open and target is not None and hours > target)
