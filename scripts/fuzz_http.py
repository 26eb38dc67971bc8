"""Fuzz the HTTP endpoints for longer than the test suite does.

    .venv/bin/python scripts/fuzz_http.py [--seconds 180] [--batch 200]

Runs the hypothesis targets of testkit/fuzz_http_targets.py (signed malformed Slack JSON events,
signed malformed form-encoded Slack interactions and slash commands, malformed Teams
activities, malformed browser chat requests) against the real aiohttp app (create_app, fast
fake encoder, fake Slack Web API and fake connector on 127.0.0.1; every other host name is
refused inside the process) in batches of --batch examples, round-robin, until --seconds
have passed, checking /healthz after every batch. Prints the number of cases tried per
target and the status codes seen. Exit status 1 on any 5xx or a failed /healthz; each
example it finds becomes a regression test in tests/test_fuzz_http.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_bot  # noqa: E402
from bot.config import Settings  # noqa: E402
from testkit import fuzz_http_targets as fz  # noqa: E402
from testkit.fake_encoder import FakeEncoder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--batch", type=int, default=200, help="examples per hypothesis run")
    args = parser.parse_args()

    import logging

    logging.basicConfig(level=logging.CRITICAL)  # the fuzzed listeners log plenty of errors
    tmp = tempfile.mkdtemp(prefix="policybot-fuzz-")
    settings = Settings.from_env({"POLICYBOT_DB": f"{tmp}/policybot.db",
                                  "POLICYBOT_ADMINS": "slack:UADMIN,teams:admin-1,web:admin"})
    bot = build_bot(settings, encoder=FakeEncoder())
    live = fz.Live(settings, bot).start()
    for name in ("aiohttp.server", "handlers.slack"):
        logging.getLogger(name).propagate = False  # counted, not printed
    tried: Counter[str] = Counter()
    batches = 0
    failure = None
    started = time.monotonic()
    deadline = started + args.seconds
    try:
        while time.monotonic() < deadline and failure is None:
            for name in sorted(fz.TARGETS):
                if time.monotonic() >= deadline:
                    break
                before = live.count
                try:
                    fz.run_target(live, name, args.batch, deadline, explore=True)
                    batches += 1
                except Exception as e:  # noqa: BLE001 - report the falsifying example
                    failure = f"{name}: {type(e).__name__}: {str(e)[:2000]}"
                    break
                finally:
                    tried[name] += live.count - before
        health = live.healthz()
    finally:
        live.stop()
    elapsed = time.monotonic() - started
    print(f"\n### HTTP fuzzing ({elapsed:.0f} s, {batches} batches, /healthz after each)\n")
    print("| target | cases tried |")
    print("|---|---|")
    for name in sorted(fz.TARGETS):
        print(f"| {name} | {tried[name]:,} |")
    print(f"| **total** | **{sum(tried.values()):,}** |")
    print(f"\nstatus codes: {dict(sorted(live.statuses.items()))}")
    print(f"/healthz at the end: {health}")
    if failure:
        print(f"\nFAILED: {failure}")
    sys.exit(1 if failure or health != 200 else 0)


if __name__ == "__main__":
    main()
