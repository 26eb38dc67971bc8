"""Benchmark the case log and the report flow; prints a small Markdown table.

    python scripts/bench_cases.py [--cases 2000] [--flows 200]

Measures case writes per second from one process and from 8 processes writing
the same SQLite file, and the latency of one report-flow step through
`ReportDesk.handle` (load state, advance, save state) as p50/p95.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cases import CaseStore
from bot.config import Settings
from bot.events import EventBus
from bot.models import Incoming
from bot.reporting import ReportDesk
from infra.db import Storage

DRAFT = {"category": "harassing", "danger": "no", "platform": "facebook",
         "link": "https://facebook.com/p/1", "when": "2026-03-01", "target": "student",
         "description": "A benchmark description. " * 20, "identity": "anonymous"}
ANSWERS = ["harassing", "no", "facebook", "https://facebook.com/p/1", "yesterday", "student",
           "A benchmark description.", "anonymous", "submit"]


def store_for(path: str) -> CaseStore:
    storage = Storage(path)
    storage.migrate()
    return CaseStore(storage, Settings(db_path=path), EventBus())


def file_cases(path: str, count: int) -> None:
    store = CaseStore(Storage(path), Settings(db_path=path), EventBus())
    for _ in range(count):
        store.open_case(DRAFT, None, True, [])


def single(path: str, count: int) -> float:
    store_for(path)
    start = time.perf_counter()
    file_cases(path, count)
    return count / (time.perf_counter() - start)


def parallel(path: str, processes: int, each: int) -> float:
    store_for(path)
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=file_cases, args=(path, each)) for _ in range(processes)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    if any(w.exitcode for w in workers):
        raise SystemExit("a writer process failed")
    return processes * each / elapsed


def step_latencies(path: str, flows: int) -> list[float]:
    store = store_for(path)
    desk = ReportDesk(store.storage, store, store.settings, EventBus(), lambda i: [],
                      lambda t: [], today=lambda: date(2026, 3, 10))
    timings = []
    for i in range(flows):
        conversation = f"bench:{i}"
        desk.handle(Incoming(text="report", conversation_id=conversation))
        for answer in ANSWERS:
            start = time.perf_counter()
            desk.handle(Incoming(text=answer, conversation_id=conversation, user_id="bench:u"))
            timings.append(time.perf_counter() - start)
    return timings


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="cases for the 1-process run")
    parser.add_argument("--per-process", type=int, default=500)
    parser.add_argument("--flows", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="policybot-bench-"))
    one = single(str(folder / "single.db"), args.cases)
    eight = parallel(str(folder / "parallel.db"), 8, args.per_process)
    timings = step_latencies(str(folder / "flow.db"), args.flows)
    ms = [t * 1000 for t in timings]
    print("| measure | value |")
    print("|---|---|")
    print(f"| case writes/s, 1 process ({args.cases} cases) | {one:,.0f} |")
    print(f"| case writes/s, 8 processes ({8 * args.per_process} cases) | {eight:,.0f} |")
    print(f"| report-flow step latency p50 ({len(ms)} steps) | {statistics.median(ms):.2f} ms |")
    print(f"| report-flow step latency p95 | {percentile(ms, 95):.2f} ms |")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
