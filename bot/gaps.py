"""Knowledge gaps and usage figures for the admin console.

Gaps: questions the bot could not answer (status no_answer), where the closest clause
was only related (status related: on the topic, but not an answer), answered with low
confidence (< 0.5), or marked not helpful, grouped by meaning with the retriever's
encoder (greedy clustering at cosine >= 0.75). Only question texts and counts: no
user ids are stored, so none are shown.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from infra.db import Storage

LOW_CONFIDENCE = 0.5
SIMILARITY = 0.75
MAX_QUESTIONS = 2000


@dataclass
class Gap:
    question: str  # the first (representative) wording
    count: int = 0
    # no_answer | related | low_confidence | not_helpful
    reasons: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)  # other distinct wordings (up to 5)
    last_asked: str = ""
    top_entries: Counter = field(default_factory=Counter)


def gap_questions(storage: Storage, since: str | None = None,
                  limit: int = MAX_QUESTIONS) -> list[dict[str, Any]]:
    """Rows {id, text, asked_at, status, confidence, top_entry, reason}, newest first."""
    params: list[Any] = [LOW_CONFIDENCE]
    where = ""
    if since:
        where = "AND q.asked_at >= ?"
        params.append(since)
    sql = f"""
        SELECT q.id, q.text, q.asked_at, q.status, q.confidence, q.top_entry,
               EXISTS (SELECT 1 FROM feedback f WHERE f.question_id = q.id AND f.helpful = 0)
                 AS unhelpful
        FROM questions q
        WHERE (q.status IN ('no_answer', 'related')
               OR (q.status != 'report' AND q.confidence IS NOT NULL AND q.confidence < ?)
               OR EXISTS (SELECT 1 FROM feedback f WHERE f.question_id = q.id
                          AND f.helpful = 0))
        {where}
        ORDER BY q.id DESC LIMIT ?"""
    rows = []
    for r in storage.db.query(sql, params + [int(limit)]):
        reason = ("not_helpful" if r["unhelpful"] else
                  r["status"] if r["status"] in ("no_answer", "related") else "low_confidence")
        rows.append({**r, "reason": reason})
    return rows


def cluster(vectors: np.ndarray, threshold: float = SIMILARITY) -> list[list[int]]:
    """Greedy clustering: each row joins the first cluster whose (normalised) mean vector
    has cosine >= threshold with it, else starts a new one. Returns row indices."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1, norms)
    sums: list[np.ndarray] = []
    groups: list[list[int]] = []
    for i, v in enumerate(unit):
        best, best_sim = -1, threshold
        for g, s in enumerate(sums):
            n = np.linalg.norm(s)
            sim = float(v @ s / n) if n else 0.0
            if sim >= best_sim:
                best, best_sim = g, sim
        if best < 0:
            sums.append(v.copy())
            groups.append([i])
        else:
            sums[best] += v
            groups[best].append(i)
    return groups


def knowledge_gaps(storage: Storage, encoder, since: str | None = None,
                   threshold: float = SIMILARITY) -> list[Gap]:
    """Gaps, largest group first (ties: most recent)."""
    rows = gap_questions(storage, since)
    if not rows:
        return []
    vectors = encoder.encode([r["text"] for r in rows])
    gaps = []
    for group in cluster(vectors, threshold):
        members = [rows[i] for i in group]
        gap = Gap(question=members[0]["text"], count=len(members),
                  last_asked=max(m["asked_at"] for m in members))
        seen = {members[0]["text"].lower()}
        for m in members:
            gap.reasons[m["reason"]] += 1
            if m["top_entry"]:
                gap.top_entries[m["top_entry"]] += 1
            if m["text"].lower() not in seen and len(gap.examples) < 5:
                seen.add(m["text"].lower())
                gap.examples.append(m["text"])
        gaps.append(gap)
    gaps.sort(key=lambda g: g.last_asked, reverse=True)
    gaps.sort(key=lambda g: -g.count)
    return gaps


# ---------------------------------------------------------------- overview figures


def questions_per_day(storage: Storage, days: int = 30,
                      today: date | None = None) -> list[tuple[str, int]]:
    """(YYYY-MM-DD, count) for each of the last `days` days (UTC), zeros included."""
    today = today or datetime.now(UTC).date()
    start = today - timedelta(days=days - 1)
    counts = {r["day"]: r["n"] for r in storage.db.query(
        "SELECT substr(asked_at, 1, 10) AS day, COUNT(*) AS n FROM questions "
        "WHERE asked_at >= ? GROUP BY day", [start.isoformat()])}
    return [((start + timedelta(d)).isoformat(), counts.get((start + timedelta(d)).isoformat(), 0))
            for d in range(days)]


def answer_outcomes(storage: Storage, since: date | None = None,
                    until: date | None = None) -> dict[str, int]:
    """Questions by outcome, plus helpful / not helpful feedback counts (asked or given
    from `since` to `until`, UTC days included, when given)."""
    out = dict.fromkeys(("answered", "ambiguous", "related", "no_answer", "report"), 0)

    def span(column: str) -> tuple[str, list[str]]:
        where = [f"{column} >= ?"] if since else []
        where += [f"{column} < date(?, '+1 day')"] if until else []
        return (" WHERE " + " AND ".join(where) if where else "",
                [d.isoformat() for d in (since, until) if d])

    where, params = span("asked_at")
    for r in storage.db.query(f"SELECT status, COUNT(*) AS n FROM questions{where} "
                              "GROUP BY status", params):
        out[r["status"]] = r["n"]
    where, params = span("created_at")
    for r in storage.db.query(f"SELECT helpful, COUNT(*) AS n FROM feedback{where} "
                              "GROUP BY helpful", params):
        out["helpful" if r["helpful"] else "not_helpful"] = r["n"]
    out.setdefault("helpful", 0)
    out.setdefault("not_helpful", 0)
    return out


def triage_hours(storage: Storage) -> list[float]:
    """Hours from opening to the first status change, per case that has one."""
    rows = storage.db.query("""
        SELECT c.created_at AS opened, MIN(e.id) AS first_id
        FROM cases c JOIN case_events e ON e.case_number = c.number
        WHERE e.action = 'status_changed' GROUP BY c.number""")
    hours = []
    for r in rows:
        event = next(storage.db.query("SELECT created_at, detail FROM case_events WHERE id = ?",
                                      [r["first_id"]]))
        if json.loads(event["detail"] or "{}").get("from") not in (None, "new"):
            continue
        delta = datetime.fromisoformat(event["created_at"]) - datetime.fromisoformat(r["opened"])
        hours.append(max(delta.total_seconds(), 0) / 3600)
    return hours


def median_triage_hours(storage: Storage) -> float | None:
    hours = triage_hours(storage)
    return statistics.median(hours) if hours else None
