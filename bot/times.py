"""Stored times as people read them: in the district's time zone (POLICYBOT_TIMEZONE),
"Tue 1 Dec 2026, 3:05 PM PST", with the age ("2 hours ago").

The database, logs and the CSV export keep UTC ISO 8601 (`bot.clock`); every front end
that shows a time turns it into words here, and only here. Babel formats (so another
language is a locale away); zoneinfo with the tzdata package knows the zones even where
the system has no time zone data. Words follow the reply's language (`bot.i18n`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta

from bot.i18n import _, current

PATTERN = "EEE d MMM y, h:mm a zzz"
LOCALES = {"en": "en_US", "es": "es_US"}  # the reply's language (bot.i18n) -> Babel's
JUST_NOW = timedelta(minutes=1)


def _locale() -> str:
    return LOCALES.get(current(), "en_US")


def parse(stamp: str | None) -> datetime | None:
    """A stored stamp ("2026-12-01T23:05:00+00:00"; a bare one is UTC) or None."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Times:
    """Formats stored stamps in `zone`, ages measured against `now` (one per rendering, so
    every age on a page is measured from the same moment)."""
    zone: ZoneInfo
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def of(cls, timezone: str, now: datetime | None = None) -> Times:
        return cls(ZoneInfo(timezone), now or datetime.now(UTC))

    def today(self) -> date:
        """The date in the district now (a report's "when" cannot be after it)."""
        return self.now.astimezone(self.zone).date()

    def age(self, stamp: str | None) -> timedelta:
        moment = parse(stamp)
        return max(self.now - moment, timedelta(0)) if moment else timedelta(0)

    def readable(self, stamp: str | None) -> str:
        """"Tue 1 Dec 2026, 3:05 PM PST" ("" for no stamp)."""
        moment = parse(stamp)
        if moment is None:
            return ""
        return format_datetime(moment, PATTERN, tzinfo=self.zone, locale=_locale())

    def duration(self, delta: timedelta) -> str:
        """"2 hours", "3 days" (rounded as people say it)."""
        return format_timedelta(delta, locale=_locale())

    def ago(self, stamp: str | None) -> str:
        """"2 hours ago", "just now" ("" for no stamp)."""
        if parse(stamp) is None:
            return ""
        age = self.age(stamp)
        if age < JUST_NOW:
            return _("just now")
        return format_timedelta(-age, add_direction=True, locale=_locale())

    def when(self, stamp: str | None) -> str:
        """"Tue 1 Dec 2026, 3:05 PM PST (2 hours ago)": the one way a time is shown."""
        if parse(stamp) is None:
            return ""
        return f"{self.readable(stamp)} ({self.ago(stamp)})"
