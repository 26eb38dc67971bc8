"""Crash test for the case log: kill -9 a process that is filing cases, then check.

A child process files anonymous cases in a tight loop and prints each case number
only after its transaction committed ("acknowledged"). The parent kills it with
SIGKILL mid-stream, restarts it, and after every round checks that
`PRAGMA integrity_check` is "ok", every acknowledged number is stored, and the
numbers are unique and gapless. Exit status 1 on any failure.

    python scripts/crash_cases.py --db /tmp/crash.db --rounds 3 --seconds 1.5
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DRAFT = {"category": "threatening", "danger": "no", "platform": "facebook", "link": None,
         "when": None, "target": "employee", "description": "crash test " + "x" * 400,
         "identity": "anonymous"}


def child(db_path: str) -> None:
    """File cases forever, printing each committed number."""
    from bot.cases import CaseStore
    from bot.config import Settings
    from bot.events import EventBus
    from infra.db import Storage

    storage = Storage(db_path)
    store = CaseStore(storage, Settings(db_path=db_path), EventBus())
    print("ready", flush=True)
    while True:
        case, _ = store.open_case(DRAFT, None, True, [])
        print(case["number"], flush=True)


def one_round(db_path: str, seconds: float) -> list[str]:
    """Run a child for about `seconds`, kill -9 it, return the numbers it acknowledged."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", db_path],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    acknowledged: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.strip()
            if line and line != "ready":
                acknowledged.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + seconds + 10  # generous start-up allowance
    while not acknowledged and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    time.sleep(seconds)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reader.join(timeout=10)
    return acknowledged


def check(db_path: str, acknowledged: list[str]) -> list[str]:
    problems = []
    conn = sqlite3.connect(db_path)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(f"integrity_check: {integrity}")
        stored = {r[0] for r in conn.execute("SELECT number FROM cases")}
        missing = [n for n in acknowledged if n not in stored]
        if missing:
            problems.append(f"{len(missing)} acknowledged cases missing, e.g. {missing[:3]}")
        if len(acknowledged) != len(set(acknowledged)):
            problems.append("a case number was acknowledged twice")
        for year, count, top in conn.execute(
                "SELECT year, COUNT(*), MAX(seq) FROM cases GROUP BY year"):
            if count != top:
                problems.append(f"numbers for {year} have gaps: {count} cases, max {top}")
    finally:
        conn.close()
    return problems


def run(db_path: str, rounds: int, seconds: float) -> tuple[int, list[str]]:
    from infra.db import Storage

    storage = Storage(db_path)
    storage.migrate()
    storage.close()
    acknowledged: list[str] = []
    for i in range(rounds):
        got = one_round(db_path, seconds)
        if not got:
            return len(acknowledged), [f"round {i + 1}: the child acknowledged no cases"]
        acknowledged += got
        problems = check(db_path, acknowledged)
        if problems:
            return len(acknowledged), [f"round {i + 1}: {p}" for p in problems]
    return len(acknowledged), []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLite file (default: a new temporary file)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.5, help="run time before kill -9")
    parser.add_argument("--child", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    db_path = args.db or os.path.join(tempfile.mkdtemp(prefix="policybot-crash-"), "cases.db")
    count, problems = run(db_path, args.rounds, args.seconds)
    if problems:
        for p in problems:
            print("FAIL:", p)
        return 1
    print(f"ok: {args.rounds} kill -9 rounds, {count} acknowledged cases all present, "
          f"integrity ok, numbers gapless ({db_path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
