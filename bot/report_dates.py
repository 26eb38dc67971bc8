"""Reading the day a person gives for "when was it posted or seen?" in the report flow."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DIAS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_COUNTS = {"un": "1", "una": "1", "uno": "1", "dos": "2", "tres": "3"}
_SPANISH_AGO = re.compile(r"hace (\d{1,3}|un|una|uno|dos|tres) (d[ií]as?|semanas?)")
_SPANISH_DAY = re.compile(r"(?:el )?([a-záéíóú]+)( pasado)?")


def _from_spanish(low: str) -> str:
    """Spanish relative days as their English form: "hace 3 días" -> "3 days ago", "la semana
    pasada" -> "last week", "el martes pasado" -> "last tuesday", "el martes" -> "on
    tuesday"; anything else as it is."""
    if low == "la semana pasada":
        return "last week"
    ago = _SPANISH_AGO.fullmatch(low)
    if ago:
        unit = "weeks" if ago.group(2).startswith("semana") else "days"
        return f"{_COUNTS.get(ago.group(1), ago.group(1))} {unit} ago"
    day = _SPANISH_DAY.fullmatch(low)
    plain = {d.replace("é", "e").replace("á", "a"): i for i, d in enumerate(DIAS)}
    if day:
        name = day.group(1).replace("é", "e").replace("á", "a")
        if name in plain:
            return ("last " if day.group(2) else "on ") + WEEKDAYS[plain[name]]
    return low


def _weekday(word: str) -> int | None:
    word = word.strip(".")
    for i, name in enumerate(WEEKDAYS):
        if len(word) >= 3 and name.startswith(word):
            return i
    return None


def _relative_date(low: str, today: date) -> date | None:
    """today, yesterday, N days/weeks ago, last week, (last|on|this past) WEEKDAY: the most
    recent such day (strictly before today after "last")."""
    low = _from_spanish(low)
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
    yesterday, ayer, 3 days ago, hace 3 días, last tuesday, el martes pasado), or None; a day without a year is the most
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
