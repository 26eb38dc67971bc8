"""Overview charts as server-rendered inline SVG (no JavaScript, no chart library).

Every label and number goes through `markupsafe.escape`; the functions return Markup.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape

from bot import case_stats, gaps
from bot.cases import CaseStore
from infra.db import Storage

MAX_DAYS = 366  # the longest questions-per-day chart
COLORS = ("#1f4e8c", "#2e7d32", "#b26a00", "#a4262c", "#6a4c93", "#00838f", "#5d4037",
          "#607d8b")


def _svg_open(width: int, height: int, title: str) -> str:
    return (f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>')


def _short(label: str, limit: int = 24) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"


def bar_chart(items: list[tuple[str, int]], title: str, width: int = 400,
              bar_height: int = 20, links: list[str] | None = None) -> Markup:
    """Horizontal bars with the label on the left and the value at the bar's end; with
    `links`, each bar (label, bar and value) is a link to its address."""
    label_w, pad = 150, 8
    height = pad * 2 + max(1, len(items)) * (bar_height + 6)
    top = max([v for _, v in items] + [1])
    out = [_svg_open(width, height, title)]
    if not items:
        out.append(f'<text x="{pad}" y="{pad + 14}">No data yet</text>')
    for i, (label, value) in enumerate(items):
        y = pad + i * (bar_height + 6)
        w = int((width - label_w - 50) * value / top)
        if links:
            out.append(f'<a href="{escape(links[i])}" class="bar-link">')
        out.append(f'<text x="{label_w - 6}" y="{y + bar_height * 0.7:.1f}" '
                   f'text-anchor="end">{escape(_short(label))}<title>{escape(label)}</title></text>')
        out.append(f'<rect x="{label_w}" y="{y}" width="{max(w, 1)}" height="{bar_height}" '
                   f'fill="{COLORS[i % len(COLORS)]}" rx="3"></rect>')
        out.append(f'<text x="{label_w + max(w, 1) + 6}" y="{y + bar_height * 0.7:.1f}">'
                   f'{int(value)}</text>')
        if links:
            out.append("</a>")
    out.append("</svg>")
    return Markup("".join(out))


def column_chart(items: list[tuple[str, int]], title: str, width: int = 420,
                 height: int = 180) -> Markup:
    """Vertical columns over time (e.g. questions per day); every 5th date labelled."""
    left, bottom, top_pad = 34, 34, 12
    n = max(1, len(items))
    top = max([v for _, v in items] + [1])
    slot = (width - left - 24) / n
    plot_h = height - bottom - top_pad
    out = [_svg_open(width, height, title),
           (f'<line x1="{left}" y1="{height - bottom}" x2="{width - 4}" '
            f'y2="{height - bottom}" stroke="#999"></line>'),
           f'<text x="{left - 4}" y="{top_pad + 8}" text-anchor="end">{int(top)}</text>',
           f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end">0</text>']
    for i, (label, value) in enumerate(items):
        h = plot_h * value / top
        x = left + i * slot + 1
        out.append(f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" '
                   f'width="{max(slot - 2, 1):.1f}" height="{h:.1f}" fill="{COLORS[0]}">'
                   f'<title>{escape(label)}: {int(value)}</title></rect>')
        if i % 5 == 0 or i == len(items) - 1:
            out.append(f'<text x="{x:.1f}" y="{height - bottom + 14}">'
                       f'{escape(label[5:])}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def case_list_url(filters: dict[str, str]) -> str:
    return "/admin" + ("?" + urlencode(filters) if filters else "")


def counts_chart(counts: list[case_stats.Count], title: str) -> Markup:
    return bar_chart([(c.label, c.value) for c in counts], title,
                     links=[case_list_url(c.filters) for c in counts])


def overview(storage: Storage, cases: CaseStore, actor: str, since: date | None = None,
             until: date | None = None) -> dict[str, Any]:
    """Everything the overview page shows for cases opened and questions asked in the
    range (an end left out is open; questions default to the last 30 days). Every case
    chart and count links to the case list filtered to the cases it counts."""
    counts = case_stats.case_counts(cases, actor, since, until)
    last = until or datetime.now(UTC).date()
    days = min((last - since).days + 1, MAX_DAYS) if since else 30
    per_day = gaps.questions_per_day(storage, days=max(days, 1), today=last)
    outcomes = gaps.answer_outcomes(storage, since, until)
    median = gaps.median_triage_hours(storage)
    outcome_labels = (("answered", "Answered"), ("ambiguous", "Did you mean"),
                      ("related", "Only a related clause"), ("no_answer", "No answer"), ("report", "Report"),
                      ("helpful", "Marked helpful"), ("not_helpful", "Marked not helpful"))
    return {
        "questions_total": sum(v for _, v in per_day),
        "questions_days": len(per_day),
        "questions_per_day": column_chart(per_day, f"Questions per day, {per_day[0][0]} to "
                                                   f"{per_day[-1][0]}"),
        "outcomes": bar_chart([(label, outcomes.get(k, 0)) for k, label in outcome_labels],
                              "Answer outcomes"),
        "total": counts["total"],
        "total_url": case_list_url(counts["total"].filters),
        "categories": counts_chart(counts["category"], "Cases by category"),
        "statuses": counts_chart(counts["status"], "Cases by status"),
        "assignees": counts_chart(counts["assignee"], "Cases by assignee"),
        "ages": counts_chart(counts["age"], "Open cases by age"),
        "median_triage_hours": median,
    }
