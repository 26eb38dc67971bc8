"""policybot against two plain baselines, all scored the same way (right / hedged / wrong as
shared/eval/REAL-QUESTIONS.md defines them; knowledge/evaluate.py):

- BM25 (bm25s) over the clause texts;
- all-MiniLM-L6-v2 cosine between the question and each clause text.

Each baseline answers with its top clause when its score reaches a threshold and refuses
(no_answer) below it; the threshold is chosen on the --dev split only (most right, then
fewest wrong) and then applied unchanged to every FILE. Baselines have no report
detection, no did-you-mean and no related outcome.

Usage:
  .venv/bin/python scripts/baselines.py --dev tests/eval/real_dev.jsonl \
      tests/eval/real_test.jsonl [more.jsonl ...] [--no-alternates]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.answer import Candidate, Outcome  # noqa: E402
from knowledge.evaluate import Question, evaluate, percent, read_questions  # noqa: E402
from knowledge.index import tokenize  # noqa: E402
from knowledge.loader import KnowledgeBase  # noqa: E402

Scores = Callable[[str], np.ndarray]
BM25 = "BM25 over clause texts"
COSINE = "MiniLM cosine over clause texts"


def scorers(kb: KnowledgeBase, encoder) -> dict[str, Scores]:
    """Per-entry scores of a question for each baseline (clause texts only: no titles, no
    alternate questions)."""
    import bm25s
    from bm25s.stopwords import STOPWORDS_EN

    stop = set(STOPWORDS_EN)
    bm = bm25s.BM25()
    bm.index([[t for t in tokenize(e.text) if t not in stop] for e in kb.entries],
             show_progress=False)
    clause_vectors = encoder.encode([e.text for e in kb.entries])

    def bm25_scores(q: str) -> np.ndarray:
        terms = [t for t in tokenize(q) if t not in stop]
        return bm.get_scores(terms) if terms else np.zeros(len(kb.entries))

    def cosine_scores(q: str) -> np.ndarray:
        return (encoder.encode([q]) @ clause_vectors.T)[0]

    return {BM25: bm25_scores, COSINE: cosine_scores}


def decide_with(kb: KnowledgeBase, scores_for: Scores,
                threshold: float) -> Callable[[str], Outcome]:
    """An Outcome-producing baseline: its top clause when the score reaches `threshold`."""
    memo: dict[str, np.ndarray] = {}

    def decide(q: str) -> Outcome:
        s = memo.get(q)
        if s is None:
            s = memo[q] = np.asarray(scores_for(q), dtype=np.float64)
        order = np.argsort(-s)
        ranked = tuple(Candidate(kb.entries[i], float(s[i]), 0.0, 0.0) for i in order)
        top = float(s[order[0]])
        if top < threshold:
            return Outcome("no_answer", (), top, False, ranked)
        return Outcome("answered", ranked[:1], top, False, ranked)
    return decide


def choose_threshold(questions: Sequence[Question], kb: KnowledgeBase, scores_for: Scores,
                     objective: Callable[[dict], tuple] | None = None) -> float:
    """The threshold (among the questions' own top scores, and "answer everything") that
    maximises `objective(rates)`; by default most right, then fewest wrong."""
    objective = objective or (lambda r: (r["right"], -r["wrong"]))
    tops = sorted({float(np.max(scores_for(q.q))) for q in questions})
    best: tuple | None = None
    for t in [-np.inf, *tops, np.inf]:
        rates = evaluate(questions, decide_with(kb, scores_for, t)).rates()
        key = objective(rates)
        if best is None or key > best[0]:
            best = (key, t)
    return best[1]


def tuned(kb: KnowledgeBase, encoder, dev: Sequence[Question]) -> dict[str, tuple[float, Callable]]:
    """Each baseline with its threshold chosen on `dev`: name -> (threshold, decide)."""
    out = {}
    for name, scores_for in scorers(kb, encoder).items():
        t = choose_threshold(dev, kb, scores_for)
        out[name] = (t, decide_with(kb, scores_for, t))
    return out


def systems(bot, dev: Sequence[Question],
            no_alternates: bool = False) -> dict[str, tuple[float | None, Callable]]:
    """name -> (threshold or None, decide): policybot (and, if asked, policybot without
    alternates) and the two baselines tuned on `dev`."""
    from knowledge.answer import Retriever
    from knowledge.evaluate import without_alternates

    out: dict[str, tuple[float | None, Callable]] = {"policybot": (None, bot.retriever.decide)}
    if no_alternates:
        bare = Retriever(without_alternates(bot.kb), bot.retriever.encoder, storage=None,
                         calibration=bot.retriever.cal)
        out["policybot, alternates removed"] = (None, bare.decide)
    out.update(tuned(bot.kb, bot.retriever.encoder, dev))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--dev", type=Path, required=True,
                    help="the split the baselines' thresholds are chosen on (never a test split)")
    ap.add_argument("--no-alternates", action="store_true",
                    help="also score policybot with every alternate question removed")
    args = ap.parse_args(argv)
    from bot.app import build_bot
    from bot.config import Settings

    bot = build_bot(Settings.from_env())
    dev = read_questions(args.dev)
    found = systems(bot, dev, args.no_alternates)
    print(f"Baseline thresholds chosen on {args.dev.name}: "
          + ", ".join(f"{n} {t:.3f}" for n, (t, _) in found.items() if t is not None) + "\n")
    print("| question set | system | right | hedged | wrong | answered precision |")
    print("|---|---|---|---|---|---|")
    for path in args.files:
        questions = read_questions(path)
        for name, (_, decide) in found.items():
            r = evaluate(questions, decide).rates()
            print(f"| {path.name} ({len(questions)}) | {name} | {r['right']:.1%} | "
                  f"{r['hedged']:.1%} | {r['wrong']:.1%} | {percent(r['answered_precision'])} |")


if __name__ == "__main__":
    main()
