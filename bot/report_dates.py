"""Reading the day a person gives for "when was it posted or seen?" in the report flow."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(word: str) -> int | None:
    word = word.strip(".")
    for i, name in enumerate(WEEKDAYS):
        if len(word) >= 3 and name.startswith(word):
            return i
    return None


def _relative_date(low: str, today: date) -> date | None:
    """today, yesterday, N days/weeks ago, last week, (last|on|this past) WEEKDAY: the most
    recent such day (strictly before today after "last")."""
    if low in ("today", "hoy"):
        return today
    if low in ("yesterday", "ayer"):
        return today - timedelta(days=1)
    if low == "last week":
        return today - timedelta(days=7)
    ago = re.fullmatch(r"(\d{1,3}|a|an|one|two|three) (day|days|week|weeks) ago", low)
    if ago:
        count = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}.get(ago.group(1))
        count = count or int(ago.group(1))
        return today - timedelta(days=count * (7 if ago.group(2).startswith("week") else 1))
    day = re.fullmatch(r"(last|on|this past|past)? ?([a-z.]+)", low)
    if day and _weekday(day.group(2)) is not None:
        back = (today.weekday() - _weekday(day.group(2))) % 7
        if back == 0 and day.group(1) in ("last", "this past", "past"):
            back = 7
        return today - timedelta(days=back)
    return None


def parse_date(text: str, today: date) -> date | None:
    """The day a report's "when" answer names (2026-03-05, 03/05, March 5, today, hoy,
    yesterday, ayer, 3 days ago, last tuesday), or None; a day without a year is the most
    recent such day up to `today`."""
    low = " ".join(text.strip().lower().split())
    relative = _relative_date(low, today)
    if relative is not None:
        return relative
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%B %d, %Y", "%b %d, %Y",
                "%B %d %Y", "%b %d %Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    for fmt in ("%m/%d", "%B %d", "%b %d"):  # no year: the most recent such day
        try:
            parsed = datetime.strptime(f"{text.strip()} 2000", f"{fmt} %Y").date()
        except ValueError:
            continue
        for year in (today.year, today.year - 1):
            try:
                candidate = parsed.replace(year=year)
            except ValueError:  # 29 February
                continue
            if candidate <= today:
                return candidate
    return None
