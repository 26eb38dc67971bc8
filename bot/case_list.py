"""Cases as rows of a list, for every front end that lists them: when each was reported
(readable, in the district's time zone, with its age), how old it is against its
urgency's target (overdue or not), and whether the reporter has answered since this
administrator last opened it (unread). No masked text: a row never shows the link or
description."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.case_age import CaseAge, case_age
from bot.case_reads import unread
from bot.case_text import say, status_text
from bot.i18n import _
from bot.report_flow import label_for
from bot.times import Times


def case_line(case: dict[str, Any]) -> str:
    """One case in a list (no masked text)."""
    urgent = say("case.urgent") + " " if case["urgency"] == "urgent" else ""
    assignee = f", assigned to {case['assignee']}" if case["assignee"] else ""
    return (f"{urgent}*{case['number']}* {label_for('category', case['category'])} on "
            f"{label_for('platform', case['platform'])}: "
            f"{status_text(case['status'], case['dismiss_reason'])}{assignee}")


@dataclass(frozen=True)
class ListedCase:
    case: dict[str, Any]
    reported: str  # "Tue 1 Dec 2026, 3:00 PM PST"
    reported_ago: str  # "2 hours ago"
    age: CaseAge
    unread: bool

    @property
    def number(self) -> str:
        return self.case["number"]

    def line(self) -> str:
        """The case in a plain-text list (chat, terminal, Slack's Home tab)."""
        return (case_line(self.case) + ", " + _("reported {ago}").format(ago=self.reported_ago)
                + (f", *{say('case.overdue')}*" if self.age.overdue else "")
                + (", " + _("new reply from the reporter") if self.unread else ""))


def listed(db, actor: str, cases: list[dict[str, Any]], times: Times,
           targets: Mapping[str, int]) -> list[ListedCase]:
    """`cases` as the permitted `actor` sees them in a list."""
    new_replies = unread(db, (c["number"] for c in cases), actor)
    return [ListedCase(case=c, reported=times.readable(c.get("created_at")),
                       reported_ago=times.ago(c.get("created_at")),
                       age=case_age(c, times, targets), unread=c["number"] in new_replies)
            for c in cases]
