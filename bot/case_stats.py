"""Case counts for the overview: by status, category, assignee and age, over a date range.

Every count comes with the case-list filter that lists exactly those cases, so each bar
and number on the overview opens the filtered case list (`filters` are the query
parameters of `/admin`). Dates are UTC calendar days (YYYY-MM-DD, both ends included),
as stored and as the case list filters them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.cases import FILTER_KEYS, OPEN, STATUSES, UNASSIGNED, CaseStore
from bot.report_flow import label_for

# Age of the cases still open, in whole UTC days since the report: (label, fewest, most).
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("Opened today", 0, 0),
    ("1–6 days", 1, 6),
    ("1–4 weeks", 7, 29),
    ("30 days or more", 30, None),
)


@dataclass(frozen=True)
class Count:
    label: str
    value: int
    filters: dict[str, str]  # the case list's query for these cases


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def case_counts(cases: CaseStore, actor: str, since: date | None = None,
                until: date | None = None,
                today: date | None = None) -> dict[str, list[Count] | Count]:
    """{"total", "status", "category", "assignee", "age"} for cases opened in the range
    (an end left out is open). Administrators only (the refusal is recorded)."""
    cases._require_admin(actor, "count")
    today = today or datetime.now(UTC).date()
    span = {"since": _day(since), "until": _day(until)}

    def count(**filters: str) -> int:
        where, params = cases._where(**{k: filters.get(k) or None for k in FILTER_KEYS})
        return cases.storage.db.execute(f"SELECT COUNT(*) FROM cases{where}",
                                        params).fetchone()[0]

    def grouped(column: str) -> dict[str | None, int]:
        where, params = cases._where(**{k: span.get(k) or None for k in FILTER_KEYS})
        return {r[0]: r[1] for r in cases.storage.db.execute(
            f"SELECT {column}, COUNT(*) AS n FROM cases{where} GROUP BY {column} "
            f"ORDER BY n DESC, {column}", params)}

    def made(label: str, value: int, **filters: str) -> Count:
        return Count(label, value, {k: v for k, v in {**filters, **span}.items() if v})

    by_status = grouped("status")
    by_category = grouped("category")
    by_assignee = grouped("assignee")
    ages = []
    for label, fewest, most in AGE_BUCKETS:
        first = today - timedelta(days=most) if most is not None else None
        last = today - timedelta(days=fewest)
        first = max(d for d in (first, since) if d) if (first or since) else None
        last = min(last, until) if until else last
        window = {"status": OPEN, "since": _day(first), "until": _day(last)}
        value = 0 if first and first > last else count(**window)
        ages.append(Count(label, value, {k: v for k, v in window.items() if v}))
    return {
        "total": made("All cases", sum(by_status.values())),
        "status": [made(s, by_status.get(s, 0), status=s) for s in STATUSES],
        "category": [made(label_for("category", k), n, category=k)
                     for k, n in by_category.items()],
        "assignee": [made(k or "Unassigned", n, assignee=k or UNASSIGNED)
                     for k, n in by_assignee.items()],
        "age": ages,
    }
