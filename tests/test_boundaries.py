"""Layers that point one way: policybot/ (the composition root) > handlers/ (front ends) >
bot/ (core) > knowledge/ > infra/, no import cycles inside a package, and no platform SDK
in the core (the import-linter contracts in pyproject.toml); the core touches no adapter
table either."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CORE = sorted(p for d in ("infra", "knowledge", "bot") for p in (ROOT / d).rglob("*.py"))
ADAPTER_TABLE = re.compile(r"""(db\[\s*["']|\b(FROM|INTO|UPDATE|JOIN|TABLE)\s+)(slack|teams)_""",
                           re.IGNORECASE)
LINT = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))")


def test_the_import_contracts_are_kept():
    # In a child process: import-linter reconfigures logging, which silenced the
    # project's loggers for the tests that ran after it in the same process.
    done = subprocess.run([sys.executable, "-c", LINT], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "3 kept, 0 broken" in report, report


def test_the_contracts_cover_every_shipped_package():
    shipped = PYPROJECT["tool"]["setuptools"]["packages"]
    linter = PYPROJECT["tool"]["importlinter"]
    layers, = (c["layers"] for c in linter["contracts"] if c["type"] == "layers")
    acyclic, = (c["ancestors"] for c in linter["contracts"] if c["type"] == "acyclic_siblings")
    assert sorted(linter["root_packages"]) == sorted(layers) == sorted(acyclic) == sorted(shipped)


def test_the_core_reads_and_writes_no_adapter_table():
    """Platform references of posted cases live in the generic `case_posts`; the old
    migrations that created platform tables are history and stay as they shipped."""
    found = [f"{p.relative_to(ROOT)}:{n}" for p in CORE if p.name != "migrations.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if ADAPTER_TABLE.search(line)]
    assert not found


def test_the_migrated_schema_has_one_generic_table_for_case_posts(tmp_path):
    from infra.db import Storage

    storage = Storage(str(tmp_path / "s.db"))
    storage.migrate()
    tables = set(storage.db.table_names())
    assert "case_posts" in tables and "slack_case_posts" not in tables
    assert set(storage.db["case_posts"].pks) == {"case_number", "platform"}


def test_migration_0011_carries_slack_posts_over_to_case_posts(tmp_path):
    import json

    from infra.db import Storage
    from infra.migrations import migrations

    storage = Storage(str(tmp_path / "old.db"))
    migrations.apply(storage.db, stop_before="0011_case_posts")
    with storage.write() as db:
        db.execute("INSERT INTO cases (number, year, seq, category, urgency, platform, target, "
                   "description, created_at, updated_at) VALUES ('2026-0001', 2026, 1, "
                   "'other', 'normal', 'x', 'unknown', 'd', 't', 't')")
        db.execute("INSERT INTO slack_case_posts VALUES ('2026-0001', 'C0ADMINS', '17.5')")
    storage.migrate()
    [row] = storage.db["case_posts"].rows
    assert row["case_number"] == "2026-0001" and row["platform"] == "slack"
    assert json.loads(row["reference"]) == {"channel": "C0ADMINS", "ts": "17.5"}
