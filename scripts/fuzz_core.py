"""Run the core's fuzz properties (testkit/fuzz_core_properties.py) with many examples.

    .venv/bin/python scripts/fuzz_core.py --examples 5000

Prints how many cases each property tried (for BENCHMARKS.md) and exits 1 with the
falsifying example if a property fails.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import traceback
from pathlib import Path

from hypothesis import given

ROOT = Path(__file__).resolve().parent.parent


def load_properties():
    sys.path.insert(0, str(ROOT))
    from testkit import fuzz_core_properties

    return fuzz_core_properties


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000,
                        help="examples per property (the report flow gets 3x, as in the tests)")
    parser.add_argument("--only", choices=("report_flow", "bot_handle", "case_store"),
                        action="append", help="run only these properties")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)  # the bot logs every denied admin command
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    fuzz = load_properties()
    failed = False
    started = time.perf_counter()
    for name, (check, strategies) in fuzz.PROPERTIES.items():
        if args.only and name not in args.only:
            continue
        examples = args.examples * (3 if name == "report_flow" else 1)
        t0 = time.perf_counter()
        try:
            fuzz.fuzz_settings(examples, explore=True)(given(*strategies)(check))()
            outcome = "ok"
        except Exception:  # noqa: BLE001 - report and carry on with the other properties
            failed = True
            outcome = "FAILED"
            traceback.print_exc()
        print(f"{name:<12} {outcome:<6} {fuzz.COUNTS[name]:>8,} cases tried "
              f"({time.perf_counter() - t0:,.1f} s)", flush=True)
    for key, value in sorted(fuzz.COUNTS.items()):
        if ":" in key:
            print(f"  {key}: {value:,}")
    total = sum(v for k, v in fuzz.COUNTS.items() if ":" not in k)
    print(f"total: {total:,} cases tried in {time.perf_counter() - started:,.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
