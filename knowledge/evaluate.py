"""How right the bot is on a question file, scored as shared/eval/REAL-QUESTIONS.md defines.

Two file formats (JSON lines), both read into `Question`:
- dev: {"q", "expect": [ids] | "none" | "report", "cat"} (shared/eval/dev_questions.jsonl)
- real: {"q", "source", "label", "also", "lang", "kind", "why"}, label = an entry id,
  "related:<id>", "no_answer" or "report" (tests/eval/real_*.jsonl)

Every question gets one verdict: right, hedged or wrong (see `verdict`). The result also
keeps the dev figures (top-1, recall@3, out-of-scope refused, report intent), `answered`
precision, and the figures per source (URL host) and per label kind.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from knowledge.answer import Outcome
from knowledge.loader import KnowledgeBase

LABEL_KINDS = ("clause", "related", "no_answer", "report")
VERDICTS = ("right", "hedged", "wrong")
REFUSALS = ("no_answer", "related")  # the bot does not present a clause as the answer
OFFERING = ("answered", "ambiguous", "related")  # replies that can carry a report offer


@dataclass(frozen=True)
class Question:
    q: str
    label: str  # an entry id | related:<id> | no_answer | report
    also: tuple[str, ...] = ()
    source: str = ""
    lang: str = ""
    kind: str = ""  # free-form (e.g. narrative); the real format's own field
    cat: str = ""

    @property
    def label_kind(self) -> str:
        if self.label in ("no_answer", "report"):
            return self.label
        return "related" if self.label.startswith("related:") else "clause"

    @property
    def acceptable(self) -> tuple[str, ...]:
        """The entry ids that answer it (clause) or that it is about (related)."""
        if self.label_kind in ("no_answer", "report"):
            return self.also
        return (self.label.removeprefix("related:"), *self.also)

    @property
    def host(self) -> str:
        return (urlparse(self.source).hostname or "").removeprefix("www.") or "(no source)"


def parse_question(row: dict, where: str = "") -> Question:
    """One JSON object of either format -> Question (ValueError names `where`)."""
    if not isinstance(row, dict) or not isinstance(row.get("q"), str) or not row["q"].strip():
        raise ValueError(f"{where}: needs a non-empty \"q\"")
    if "label" in row:
        label, also = row["label"], row.get("also") or []
    elif "expect" in row:
        expect = row["expect"]
        if expect in ("none", "report"):
            label, also = ("no_answer" if expect == "none" else "report"), []
        elif isinstance(expect, list) and expect:
            label, also = expect[0], expect[1:]
        else:
            raise ValueError(f"{where}: \"expect\" must be a list of ids, \"none\" or \"report\"")
    else:
        raise ValueError(f"{where}: needs \"label\" (real format) or \"expect\" (dev format)")
    if not isinstance(label, str) or not label or label == "related:":
        raise ValueError(f"{where}: bad label {label!r}")
    if not isinstance(also, list) or not all(isinstance(a, str) for a in also):
        raise ValueError(f"{where}: \"also\" must be a list of ids")
    return Question(q=row["q"], label=label, also=tuple(also),
                    source=str(row.get("source") or ""), lang=str(row.get("lang") or ""),
                    kind=str(row.get("kind") or ""), cat=str(row.get("cat") or ""))


def read_questions(path: str | Path) -> list[Question]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except ValueError as e:
                raise ValueError(f"{path}:{n}: not valid JSON: {e}") from e
            rows.append(parse_question(row, f"{path}:{n}"))
    return rows


def verdict(question: Question, out: Outcome) -> str:
    """right / hedged / wrong, exactly as shared/eval/REAL-QUESTIONS.md defines them.

    right: answered with an acceptable clause; related or no_answer where the label is
    related:/no_answer; report, or a reply that offers the report flow (an answer, a
    did-you-mean or a related clause, each with "Report it"), where the label is report. hedged: ambiguous with an acceptable clause among the choices; related
    showing an acceptable clause where the label is a clause. Everything else is wrong
    (a clause shown as the answer that does not answer it, a refusal where a clause
    answers it, a report flow nobody asked for)."""
    shown = [c.entry.id for c in out.candidates]
    ok = set(question.acceptable)
    kind = question.label_kind
    if kind == "clause":
        if out.status == "answered" and shown[:1] and shown[0] in ok:
            return "right"
        if out.status in ("ambiguous", "related") and ok & set(shown):
            return "hedged"
        return "wrong"
    if kind == "report":
        return "right" if out.status == "report" or (
            out.status in OFFERING and out.offers_report) else "wrong"
    if out.status in REFUSALS:
        return "right"
    if out.status == "ambiguous" and ok & set(shown):
        return "hedged"
    return "wrong"


def unasked_offer(question: Question, out: Outcome) -> bool:
    """The report flow offered (or started) where the question is not a report wish: the
    verdicts do not see it, so evaluation and tuning count it on its own."""
    return question.label_kind != "report" and (out.offers_report or out.status == "report")


def _counts() -> Counter:
    return Counter(dict.fromkeys(VERDICTS, 0))


def _shares(c: Counter) -> dict:
    n = sum(c[v] for v in VERDICTS)
    return {"n": n, **{v: round(c[v] / n, 4) if n else 0.0 for v in VERDICTS}}


@dataclass
class EvalResult:
    total: int = 0
    verdicts: Counter = field(default_factory=_counts)
    statuses: Counter = field(default_factory=Counter)
    per_source: dict[str, Counter] = field(default_factory=lambda: defaultdict(_counts))
    per_label: dict[str, Counter] = field(default_factory=lambda: defaultdict(_counts))
    per_category: dict[str, Counter] = field(default_factory=lambda: defaultdict(_counts))
    per_kind: dict[str, Counter] = field(default_factory=lambda: defaultdict(_counts))
    per_lang: dict[str, Counter] = field(default_factory=lambda: defaultdict(_counts))
    in_scope: int = 0
    top1: int = 0
    recall3: int = 0
    oos: int = 0
    oos_refused: int = 0
    refusals: int = 0
    refusals_correct: int = 0
    report: int = 0
    report_correct: int = 0
    unasked_offers: int = 0  # the report flow offered where the label is not `report`
    answered: int = 0
    answered_right: int = 0
    rows: list[dict] = field(default_factory=list)  # one per question, in order

    @property
    def misses(self) -> list[dict]:
        return [r for r in self.rows if r["verdict"] != "right"]

    def rates(self) -> dict[str, float | None]:
        def rate(a: int, b: int) -> float:
            return round(a / b, 4) if b else 1.0
        return {
            **{v: rate(self.verdicts[v], self.total) for v in VERDICTS},
            # None when nothing was answered: no precision to speak of
            "answered_precision": round(self.answered_right / self.answered, 4)
            if self.answered else None,
            "top1_in_scope": rate(self.top1, self.in_scope),
            "recall_at_3": rate(self.recall3, self.in_scope),
            "no_answer_precision": rate(self.refusals_correct, self.refusals),
            "no_answer_recall": rate(self.oos_refused, self.oos),
            "report_intent": rate(self.report_correct, self.report),
            # share of questions that are not report wishes offered the report flow anyway
            # (the right/hedged/wrong scoring does not see it)
            "unasked_report_offers": rate(self.unasked_offers, self.total - self.report)
            if self.total > self.report else 0.0,
        }

    def to_dict(self) -> dict:
        return {"questions": self.total, **self.rates(),
                "statuses": dict(sorted(self.statuses.items())),
                "per_label": {k: _shares(v) for k, v in sorted(self.per_label.items())},
                "per_source": {k: _shares(v) for k, v in sorted(self.per_source.items())},
                "per_category": {k: _shares(v) for k, v in sorted(self.per_category.items())},
                "per_kind": {k: _shares(v) for k, v in sorted(self.per_kind.items())},
                "per_lang": {k: _shares(v) for k, v in sorted(self.per_lang.items())},
                "misses": self.misses}


def evaluate(questions: Iterable[Question], decide: Callable[[str], Outcome]) -> EvalResult:
    r = EvalResult()
    for question in questions:
        out = decide(question.q)
        v = verdict(question, out)
        shown = [c.entry.id for c in out.candidates]
        ok = set(question.acceptable)
        kind = question.label_kind
        r.total += 1
        r.verdicts[v] += 1
        r.statuses[out.status] += 1
        r.per_source[question.host][v] += 1
        r.per_label[kind][v] += 1
        if question.cat:
            r.per_category[question.cat][v] += 1
        if question.kind:
            r.per_kind[question.kind][v] += 1
        if question.lang:
            r.per_lang[question.lang][v] += 1
        if out.status == "answered":
            r.answered += 1
            r.answered_right += v == "right"
        if out.status in REFUSALS:
            r.refusals += 1
            r.refusals_correct += kind in ("no_answer", "related")
        if kind == "clause":
            r.in_scope += 1
            r.top1 += out.status in ("answered", "ambiguous") and bool(shown) and shown[0] in ok
            r.recall3 += any(c.entry.id in ok for c in out.ranked[:3])
        elif kind == "report":
            r.report += 1
            r.report_correct += v == "right"
        r.unasked_offers += unasked_offer(question, out)
        if kind not in ("clause", "report"):
            r.oos += 1
            r.oos_refused += out.status in REFUSALS
        r.rows.append({"q": question.q, "label": question.label, "also": list(question.also),
                       "label_kind": kind, "source": question.host, "verdict": v,
                       "status": out.status, "got": shown,
                       "top": out.ranked[0].entry.id if out.ranked else None,
                       "confidence": out.confidence, "offers_report": out.offers_report})
    return r


def without_alternates(kb: KnowledgeBase) -> KnowledgeBase:
    """The knowledge base as an administrator's new bulletin would be: clause texts and
    titles only, every alternate question removed (in memory; the files are untouched)."""
    return dataclasses.replace(kb, entries=tuple(
        dataclasses.replace(e, questions=(), questions_es=()) for e in kb.entries))


def _line(name: str, c: Counter) -> str:
    s = _shares(c)
    return (f"  {name:28s} n={s['n']:<4d} right {s['right']:6.1%}  hedged {s['hedged']:6.1%}  "
            f"wrong {s['wrong']:6.1%}")


def percent(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def format_result(res: EvalResult) -> str:
    rates = res.rates()
    lines = [f"questions: {res.total}",
             f"right / hedged / wrong:       {rates['right']:.1%} / {rates['hedged']:.1%} / "
             f"{rates['wrong']:.1%}  ({res.verdicts['right']}/{res.verdicts['hedged']}/"
             f"{res.verdicts['wrong']})",
             f"answered precision:          {percent(rates['answered_precision'])}  "
             f"({res.answered_right}/{res.answered})",
             "outcomes:                    " + ", ".join(
                 f"{k} {res.statuses.get(k, 0)}"
                 for k in ("answered", "ambiguous", "related", "no_answer", "report")),
             f"top-1 accuracy (in scope):   {rates['top1_in_scope']:.1%}  ({res.top1}/{res.in_scope})",
             f"recall@3 (in scope):         {rates['recall_at_3']:.1%}  ({res.recall3}/{res.in_scope})",
             f"no-answer precision:         {rates['no_answer_precision']:.1%}  "
             f"({res.refusals_correct}/{res.refusals})",
             f"no-answer recall (oos):      {rates['no_answer_recall']:.1%}  ({res.oos_refused}/{res.oos})",
             f"report intent accuracy:      {rates['report_intent']:.1%}  ({res.report_correct}/{res.report})",
             f"report offered, not asked:   {rates['unasked_report_offers']:.1%}  "
             f"({res.unasked_offers}/{res.total - res.report})",
             "per label kind:"]
    lines += [_line(k, c) for k, c in sorted(res.per_label.items())]
    lines.append("per source:")
    lines += [_line(k, c) for k, c in sorted(res.per_source.items())]
    for title, table in (("per question kind", res.per_kind), ("per language", res.per_lang),
                         ("per category", res.per_category)):
        if table:
            lines.append(title + ":")
            lines += [_line(k, c) for k, c in sorted(table.items())]
    lines.append(f"not right ({len(res.misses)}):")
    for m in res.misses:
        lines.append(f"  [{m['verdict']}] {m['q']!r}: label {m['label']}, got {m['status']} "
                     f"{m['got']} (confidence {m['confidence']})")
    return "\n".join(lines)
