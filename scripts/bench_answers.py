"""Answer benchmarks for BENCHMARKS.md: warm latency, cold start, index build, and accuracy
side by side with two baselines (plain BM25 and plain MiniLM cosine over clause texts).

Usage: .venv/bin/python scripts/bench_answers.py [--questions 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_bot  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.models import Incoming  # noqa: E402
from knowledge.evaluate import evaluate, read_questions  # noqa: E402
from scripts.baselines import choose_threshold, decide_with, scorers  # noqa: E402

SETS = {"dev": ROOT.parent / "shared" / "eval" / "dev_questions.jsonl",
        "own": ROOT / "tests" / "eval" / "own_questions.jsonl"}


def pct(values, q):
    return float(np.percentile(values, q))


def cold_start(db: Path) -> tuple[float, float]:
    """Seconds from process start to the first printed answer: first ever (builds the
    embedding cache) and with the cache in place."""
    env = {**os.environ, "POLICYBOT_DB": str(db), "POLICYBOT_LOG_LEVEL": "WARNING"}
    times = []
    for _ in range(2):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "policybot.cli", "ask", "can I friend a parent?"],
                       env=env, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return times[0], times[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=1000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    cold_first, cold_cached = cold_start(tmp / "cold.db")

    settings = Settings.from_env({"POLICYBOT_DB": str(tmp / "bench.db")})
    bot = build_bot(settings)
    t = time.perf_counter()
    from knowledge.answer import Retriever
    Retriever(bot.kb, bot.retriever.encoder, bot.storage, rebuild=True)
    index_build = time.perf_counter() - t

    rows = {name: read_questions(p) for name, p in SETS.items() if p.exists()}
    pool = [r.q for rs in rows.values() for r in rs]
    latencies = []
    for i in range(args.questions):
        q = pool[i % len(pool)]
        t = time.perf_counter()
        bot.handle(Incoming(q, f"bench:{i}", None, platform="bench"))
        latencies.append((time.perf_counter() - t) * 1000)

    kb = bot.kb
    baselines = scorers(kb, bot.retriever.encoder)

    def best_on_itself(rs, scores_for):
        """The baseline's best threshold on these very questions (an optimistic bound)."""
        t = choose_threshold(rs, kb, scores_for,
                             lambda r: (r["top1_in_scope"] + r["no_answer_recall"],))
        return decide_with(kb, scores_for, t)

    print("## Answers (scripts/bench_answers.py)\n")
    print(f"- warm answer latency over {args.questions} questions (full Bot.handle, "
          f"SQLite logging included): p50 {pct(latencies, 50):.1f} ms, "
          f"p95 {pct(latencies, 95):.1f} ms, mean {statistics.mean(latencies):.1f} ms")
    print(f"- cold start to first answer (`policybot ask`, new process): "
          f"{cold_first:.1f} s on a new database (builds the embedding cache), "
          f"{cold_cached:.1f} s with the cache in place")
    print(f"- index build (encode {len(bot.retriever.items)} texts + classifier): "
          f"{index_build:.1f} s\n")
    print("| question set | system | top-1 (in scope) | recall@3 | out-of-scope → no_answer "
          "| no_answer precision | report intent |")
    print("|---|---|---|---|---|---|---|")
    for name, rs in rows.items():
        systems = {"policybot": bot.retriever.decide}
        systems.update({name: best_on_itself(rs, f) for name, f in baselines.items()})
        for sys_name, decide in systems.items():
            r = evaluate(rs, decide).rates()
            print(f"| {name} ({len(rs)}) | {sys_name} | {r['top1_in_scope']:.1%} | "
                  f"{r['recall_at_3']:.1%} | {r['no_answer_recall']:.1%} | "
                  f"{r['no_answer_precision']:.1%} | {r['report_intent']:.1%} |")
    print("\nBaselines get their best refusal threshold chosen on the very questions they "
          "are scored on (an optimistic upper bound) and have no report-intent detection.")


if __name__ == "__main__":
    main()
