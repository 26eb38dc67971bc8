"""The core (infra/, knowledge/, bot/) stays platform-free: no platform SDK imports, no
adapter tables, and no import of handlers/ (only the composition root, policybot/, above
both, wires them together)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = sorted(p for d in ("infra", "knowledge", "bot") for p in (ROOT / d).rglob("*.py"))
PLATFORM_PACKAGES = ("slack_bolt", "slack_sdk", "botbuilder", "botframework", "msrest",
                     "aiohttp")
ADAPTER_TABLE = re.compile(r"""(db\[\s*["']|\b(FROM|INTO|UPDATE|JOIN|TABLE)\s+)(slack|teams)_""",
                           re.IGNORECASE)


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_core_never_imports_a_platform_sdk():
    assert len(CORE) > 20
    found = {f"{p.relative_to(ROOT)}: {m}" for p in CORE for m in imported(p)
             if m.split(".")[0] in PLATFORM_PACKAGES}
    assert not found


def test_the_core_never_imports_handlers_or_the_composition_root():
    found = {str(p.relative_to(ROOT)) for p in CORE
             if any(m.split(".")[0] in {"handlers", "policybot"} for m in imported(p))}
    assert not found


def test_knowledge_never_imports_bot_and_infra_imports_neither():
    below = {"knowledge": {"bot", "handlers"}, "infra": {"bot", "knowledge", "handlers"}}
    found = {f"{p.relative_to(ROOT)}: {m}" for p in CORE for m in imported(p)
             if m.split(".")[0] in below.get(p.relative_to(ROOT).parts[0], set())}
    assert not found


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
