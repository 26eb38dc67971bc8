"""Accuracy of retrieval on a question file (format of shared/eval/dev_questions.jsonl)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.answer import Outcome


@dataclass
class EvalResult:
    total: int = 0
    in_scope: int = 0
    top1: int = 0
    recall3: int = 0
    oos: int = 0
    oos_no_answer: int = 0
    no_answer_given: int = 0
    no_answer_correct: int = 0
    report: int = 0
    report_correct: int = 0
    per_category: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    misses: list[dict] = field(default_factory=list)

    def rates(self) -> dict[str, float]:
        def rate(a: int, b: int) -> float:
            return round(a / b, 4) if b else 1.0
        return {
            "top1_in_scope": rate(self.top1, self.in_scope),
            "recall_at_3": rate(self.recall3, self.in_scope),
            "no_answer_precision": rate(self.no_answer_correct, self.no_answer_given),
            "no_answer_recall": rate(self.oos_no_answer, self.oos),
            "report_intent": rate(self.report_correct, self.report),
        }

    def to_dict(self) -> dict:
        return {"questions": self.total, **self.rates(),
                "per_category": {k: {"correct": v[0], "total": v[1], "rate": round(v[0] / v[1], 4)}
                                 for k, v in sorted(self.per_category.items())},
                "misses": self.misses}


def read_questions(path: str | Path) -> list[dict]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as e:
                raise ValueError(f"{path}:{n}: not valid JSON: {e}") from e
    return rows


def evaluate(rows: Iterable[dict], decide: Callable[[str], Outcome]) -> EvalResult:
    r = EvalResult()
    for row in rows:
        q, expect, cat = row["q"], row["expect"], row.get("cat", "?")
        out = decide(q)
        got = [c.entry.id for c in out.candidates]
        ranked = [c.entry.id for c in out.ranked[:3]]
        r.total += 1
        if out.status == "no_answer":
            r.no_answer_given += 1
            r.no_answer_correct += expect == "none"
        if expect == "none":
            r.oos += 1
            ok = out.status == "no_answer"
            r.oos_no_answer += ok
        elif expect == "report":
            r.report += 1
            ok = out.status == "report"
            r.report_correct += ok
        else:
            r.in_scope += 1
            ok = out.status in ("answered", "ambiguous") and bool(got) and got[0] in expect
            r.top1 += ok
            r.recall3 += any(e in expect for e in ranked)
        r.per_category[cat][0] += ok
        r.per_category[cat][1] += 1
        if not ok:
            r.misses.append({"q": q, "cat": cat, "expect": expect, "status": out.status,
                             "got": got, "confidence": out.confidence})
    return r


def format_result(res: EvalResult) -> str:
    rates = res.rates()
    lines = [f"questions: {res.total}",
             f"top-1 accuracy (in scope):   {rates['top1_in_scope']:.1%}  ({res.top1}/{res.in_scope})",
             f"recall@3 (in scope):         {rates['recall_at_3']:.1%}  ({res.recall3}/{res.in_scope})",
             f"no-answer precision:         {rates['no_answer_precision']:.1%}  "
             f"({res.no_answer_correct}/{res.no_answer_given})",
             f"no-answer recall (oos):      {rates['no_answer_recall']:.1%}  ({res.oos_no_answer}/{res.oos})",
             f"report intent accuracy:      {rates['report_intent']:.1%}  ({res.report_correct}/{res.report})",
             "per category:"]
    for cat, (ok, n) in sorted(res.per_category.items()):
        lines.append(f"  {cat:10s} {ok}/{n}")
    lines.append(f"misses ({len(res.misses)}):")
    for m in res.misses:
        lines.append(f"  [{m['cat']}] {m['q']!r}: expected {m['expect']}, got {m['status']} "
                     f"{m['got']} (confidence {m['confidence']})")
    return "\n".join(lines)
