import importlib.util
import sqlite3
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "crash_cases.py"


def load_script():
    spec = importlib.util.spec_from_file_location("crash_cases", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kill_minus_9_mid_stream_keeps_every_acknowledged_case(tmp_path):
    db = tmp_path / "crash.db"
    result = subprocess.run([sys.executable, str(SCRIPT), "--db", str(db), "--rounds", "2",
                             "--seconds", "0.7"], check=False, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok:")
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0] > 0


def test_crash_check_reports_a_missing_acknowledged_case(tmp_path):
    crash = load_script()
    db = str(tmp_path / "c.db")
    crash.run(db, rounds=1, seconds=0.2)
    stored = [r[0] for r in sqlite3.connect(db).execute("SELECT number FROM cases")]
    assert crash.check(db, stored) == []
    problems = crash.check(db, stored + ["1999-0001"])
    assert problems and "missing" in problems[0]
