"""Choose the decision thresholds of knowledge/calibration.json on the real-question dev
split, never on the test split.

The thresholds decide whether the best clause is given as the answer, shown as related, or
whether there is no answer (see knowledge.calibration.Calibration). A grid of them is tried on
tests/eval/real_dev.jsonl, scored right / hedged / wrong as ../shared/eval/REAL-QUESTIONS.md
defines; a choice is kept only if the shared dev set (../shared/eval/dev_questions.jsonl)
stays at 100% (every question answered with its clause, refused or sent to the report flow as
expected) and none of the five wrong answers issue 10 names is still given. Among those the best `right - 2 x wrong - 2 x (wrong given as the answer)` wins
(a clause shown as the answer that does not answer is the worst outcome: an employee acts on
it; a report flow offered to someone who did not ask for one counts as a wrong answer too,
since the scoring of ../shared/eval/REAL-QUESTIONS.md does not see it), summed over the knowledge base as it is and with every alternate question removed (an
administrator's new bulletin has none).

Usage: .venv/bin/python scripts/tune_decision.py [--write]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bot.config import DEFAULT_KNOWLEDGE_DIR  # noqa: E402
from knowledge.answer import Retriever  # noqa: E402
from knowledge.calibration import CALIBRATION_FILE, Calibration  # noqa: E402
from knowledge.evaluate import (  # noqa: E402
    read_questions,
    unasked_offer,
    verdict,
    without_alternates,
)
from knowledge.index import MemoEncoder, ModelEncoder  # noqa: E402
from knowledge.loader import load_knowledge  # noqa: E402

REAL_DEV = ROOT / "tests" / "eval" / "real_dev.jsonl"
SHARED_DEV = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"
# Issue 10 names these as answers given with confidence that do not answer the question;
# a choice that still answers any of them is not kept.
NAMED_WRONG = (
    "Can I text a student from my personal phone?",
    "Can the District read the texts on my personal phone?",
    "I want to share an article critical of LAUSD",
    "Photos of coworkers from the holiday party?",
    "Should I block a parent who leaves nasty comments?",
)
GRID = {
    "coverage_similarity": (0.5, 0.55),
    "uncovered_words": (2, 3),
    "sure_confidence": (0.7, 0.8, 0.9),
    "alternate_similarity": (0.65, 0.7, 0.75, 0.8),
    "related_confidence": (0.05, 0.1),
    "related_similarity": (0.25, 0.3),
    "judge_answer": (2.0, 0.9, 0.8),
    "judge_veto": (0.0, 0.2, 0.4),
    "judge_report": (2.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65),
}


def strict_dev_ok(question, out) -> bool:
    if unasked_offer(question, out):
        return False
    if question.label_kind == "no_answer":
        return out.status == "no_answer"
    if question.label_kind == "report":
        return out.status == "report"
    return out.status == "answered" and out.candidates[0].entry.id in question.acceptable


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="write the choice to calibration.json")
    args = ap.parse_args()
    kb = load_knowledge(DEFAULT_KNOWLEDGE_DIR)
    encoder = MemoEncoder(ModelEncoder())
    base = Calibration.load()
    retrievers = [Retriever(k, encoder, storage=None, calibration=base)
                  for k in (kb, without_alternates(kb))]
    real, shared = read_questions(REAL_DEV), read_questions(SHARED_DEV)
    # The model work once per question; each choice below only re-decides (Retriever.outcome).
    seen = {(i, q): r.evidence(q) for i, r in enumerate(retrievers)
            for q in [q.q for q in real] + [q.q for q in shared] + list(NAMED_WRONG)}

    def decide(i: int, question: str):
        return retrievers[i].outcome(question, seen[i, question])

    best = None
    for values in itertools.product(*GRID.values()):
        cal = dataclasses.replace(base, **dict(zip(GRID, values, strict=True)))
        for r in retrievers:
            r.cal = cal
        if not all(strict_dev_ok(q, decide(0, q.q)) for q in shared):
            continue
        if any(decide(0, q).status == "answered" for q in NAMED_WRONG):
            continue
        counts = []
        for i in range(len(retrievers)):
            c = Counter()
            for q in real:
                out = decide(i, q.q)
                v = verdict(q, out)
                c[v] += 1
                c["wrong answer"] += v == "wrong" and out.status == "answered"
                c["report nobody asked for"] += unasked_offer(q, out)
            counts.append(c)
        score = sum(c["right"] - 2 * c["wrong"] - 2 * c["wrong answer"]
                    - 2 * c["report nobody asked for"] for c in counts)
        if best is None or score > best[0]:
            best = (score, counts, cal)
            print(score, [dict(c) for c in counts], dict(zip(GRID, values, strict=True)),
                  flush=True)
    if best is None:
        sys.exit("no choice keeps the shared dev set at 100%")
    _, counts, cal = best
    print("best:", {k: getattr(cal, k) for k in GRID})
    if args.write:
        data = json.loads(CALIBRATION_FILE.read_text())
        data.update({k: getattr(cal, k) for k in GRID})
        CALIBRATION_FILE.write_text(json.dumps(data, indent=2) + "\n")
        print(f"wrote {CALIBRATION_FILE}")


if __name__ == "__main__":
    main()
