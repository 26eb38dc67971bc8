"""kill -9 the server mid-load and restart it on the same database (bounded version of
scripts/kill_test.py: the same app with the fast fake encoder, a few seconds of load).

Checks (in the script): integrity_check ok, every acknowledged case / note / audit event
present, a half-finished web chat report resumes at the same step after the restart."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "kill_test.py"


def test_kill_minus_9_mid_load_loses_nothing_acknowledged_and_resumes_the_report(tmp_path):
    db = tmp_path / "kill.db"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--db", str(db), "--seconds", "4", "--users", "8",
         "--fake-encoder"], check=False, capture_output=True, text=True, timeout=55)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert result.stdout.startswith("ok:"), output
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    cases = conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    notes = conn.execute("SELECT COUNT(*) FROM case_events WHERE action = 'note_added'"
                         ).fetchone()[0]
    assert cases > 1 and notes > 0, output  # the load really filed cases and notes
