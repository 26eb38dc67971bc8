"""Risk–coverage plot of policybot against the BM25 and plain-cosine baselines on one set.

Each system ranks the questions: first those it answers itself (policybot's report
detection and refusals count), then the rest, each group by its own confidence
(policybot: its calibrated confidence; baselines: their top score); it answers the first
share of them with its top clause. Coverage is that share; risk is the share of those answers whose
clause does not answer the question (any clause given for a related/no_answer/report
label counts as wrong). policybot's actual operating point (what it answers as
`answered`, with its verdicts) is marked. Baseline thresholds do not matter here; the
dev split is still needed to report the baselines' own operating points.

Usage:
  .venv/bin/python scripts/risk_coverage.py tests/eval/real_test.jsonl \
      --dev tests/eval/real_dev.jsonl [--out docs/risk_coverage.png]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.answer import Outcome  # noqa: E402
from knowledge.evaluate import Question, read_questions, verdict  # noqa: E402

Point = tuple[float, float]  # (coverage, risk)


def curve(confidence: Sequence[float], correct: Sequence[bool],
          answered: Sequence[bool] | None = None) -> list[Point]:
    """(coverage, risk) after answering the k first questions, k = 1..n: those the system
    itself answered first (so the curve passes through its operating point), each group
    most confident first (ties broken by order)."""
    first = np.asarray(answered if answered is not None else [True] * len(confidence), bool)
    order = np.lexsort((-np.asarray(confidence, dtype=float), ~first))
    wrong = np.cumsum(~np.asarray(correct, dtype=bool)[order])
    k = np.arange(1, len(order) + 1)
    return list(zip((k / len(order)).tolist(), (wrong / k).tolist(), strict=True))


def answer_is_right(q: Question, out: Outcome) -> bool:
    """Would the system's top clause, given as the answer, be right?"""
    return q.label_kind == "clause" and bool(out.ranked) and out.ranked[0].entry.id in q.acceptable


def operating_point(questions: Sequence[Question], outcomes: Sequence[Outcome]) -> Point:
    answered = [(q, o) for q, o in zip(questions, outcomes, strict=True)
                if o.status == "answered"]
    if not answered:
        return 0.0, 0.0
    wrong = sum(verdict(q, o) != "right" for q, o in answered)
    return len(answered) / len(questions), wrong / len(answered)


def measure(questions: Sequence[Question],
            systems: dict[str, Callable[[str], Outcome]]) -> dict[str, dict]:
    """name -> {"curve": [...], "point": (coverage, risk)}."""
    out = {}
    for name, decide in systems.items():
        outcomes = [decide(q.q) for q in questions]
        out[name] = {"curve": curve([o.confidence for o in outcomes],
                                    [answer_is_right(q, o) for q, o in
                                     zip(questions, outcomes, strict=True)],
                                    [o.status == "answered" for o in outcomes]),
                     "point": operating_point(questions, outcomes)}
    return out


def plot(results: dict[str, dict], title: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for name, r in results.items():
        xs, ys = zip(*r["curve"], strict=True)
        line, = ax.plot(xs, ys, label=name, linewidth=1.8)
        ax.plot(*r["point"], marker="o", color=line.get_color(), markersize=7)
    ax.set(xlabel="coverage (share of questions answered with a clause)",
           ylabel="risk (share of those answers that are wrong)", xlim=(0, 1),
           ylim=(0, max(0.05, max(y for r in results.values() for _, y in r["curve"])) * 1.05),
           title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8, title="dots: each system's operating point",
              title_fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", type=Path)
    ap.add_argument("--dev", type=Path, required=True,
                    help="split the baselines' thresholds are chosen on")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "risk_coverage.png")
    args = ap.parse_args(argv)
    from bot.app import build_bot
    from bot.config import Settings
    from scripts.baselines import systems

    bot = build_bot(Settings.from_env())
    found = {name: decide for name, (_, decide) in
             systems(bot, read_questions(args.dev)).items()}
    questions = read_questions(args.file)
    results = measure(questions, found)
    for name, r in results.items():
        cov, risk = r["point"]
        print(f"{name}: answers {cov:.1%} of questions, {risk:.1%} of those wrong")
    path = plot(results, f"Risk–coverage on {args.file.name} ({len(questions)} questions)",
                args.out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
