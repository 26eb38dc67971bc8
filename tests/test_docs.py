"""The documentation stays true (the sqlite-utils way): the README's command table and the
CLI list the same commands and options, the README's environment table and the code read
the same variables, every repository file the docs or the code name exists, and the
retrieval calibration has one source."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path

import click
import pytest

from knowledge.calibration import CALIBRATION_FILE, Calibration
from policybot.cli import main

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
CODE_DIRS = ("infra", "knowledge", "bot", "handlers", "policybot")


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def first_cells(markdown: str) -> list[str]:
    """The first cell of every body row of the tables in `markdown`."""
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    return [row.split("|")[1] for row in rows
            if not set(row) <= set("|-: ")
            and row.split("|")[1].strip() not in {"command", "variable"}]


# ------------------------------------------------------------------ commands and options

def cli_commands(group: click.Group = main, path: tuple[str, ...] = ()) -> dict:
    """{("cases", "list"): {"--status", ...}, ...} for every command the CLI has."""
    out = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out |= cli_commands(command, (*path, name))
        else:
            out[(*path, name)] = {opt for p in command.params if isinstance(p, click.Option)
                                  for opt in p.opts if opt.startswith("--")}
    return out


def readme_commands() -> dict:
    """The same shape, read from the README's command table. In one cell a snippet that
    does not start with `policybot` continues the group of the one before it
    (`policybot cases list`, `show N`)."""
    commands = cli_commands()
    groups = {path[:-1] for path in commands if len(path) > 1}
    out: dict[tuple[str, ...], set[str]] = {}
    for cell in first_cells(section("Commands")):
        group: tuple[str, ...] = ()
        for snippet in re.findall(r"`([^`]+)`", cell):
            words = snippet.split()
            if words[0] == "policybot":
                words = words[1:]
                group = ()
            path = group
            for word in words:
                if (*path, word) in commands or (*path, word) in groups:
                    path = (*path, word)
                elif not path or path in groups:
                    path = (*path, word)  # an unknown command: reported by the test
                    break
                else:
                    break
            if path in groups:
                continue
            group = path[:-1]
            out.setdefault(path, set()).update(re.findall(r"--[a-z][a-z-]*", snippet))
    return out


def test_every_command_in_the_readme_exists_and_every_command_is_in_the_readme():
    documented, actual = readme_commands(), cli_commands()
    assert len(documented) >= 10, documented  # the table was parsed
    assert set(documented) - set(actual) == set(), "README names commands the CLI lacks"
    assert set(actual) - set(documented) == set(), "commands missing from README's table"


@pytest.mark.parametrize("path", sorted(cli_commands()), ids=" ".join)
def test_the_readme_lists_exactly_the_options_of(path):
    documented = readme_commands().get(path, set())
    assert documented == cli_commands()[path]


# ------------------------------------------------------------------ environment variables

def variables_read_by_the_code() -> set[str]:
    """Names read through os.environ / os.getenv, click's envvar=, and the get()/number()
    readers of Settings.from_env (bot/config.py is the only reader of os.environ)."""
    names = set()
    for file in (p for d in CODE_DIRS for p in (REPO / d).rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = ast.unparse(node.func)
                args = [a.value for a in node.args[:1]
                        if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if func in {"os.environ.get", "os.getenv", "env.get"} or (
                        file.name == "config.py" and func in {"get", "number"}):
                    names.update(args)
                names.update(k.value.value for k in node.keywords
                             if k.arg == "envvar" and isinstance(k.value, ast.Constant))
            elif (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)
                  and ast.unparse(node.value) == "os.environ"
                  and isinstance(node.slice, ast.Constant)):
                names.add(node.slice.value)
    return names


def readme_variables() -> set[str]:
    return {name for cell in first_cells(section("Environment variables"))
            for name in re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", cell)}


def test_every_variable_the_code_reads_is_documented_and_nothing_else_is():
    read, documented = variables_read_by_the_code(), readme_variables()
    assert {"POLICYBOT_DB", "SLACK_BOT_TOKEN", "MicrosoftAppId"} <= read  # the scan works
    assert read - documented == set(), "variables missing from README's table"
    assert documented - read == set(), "README documents variables the code never reads"


# ------------------------------------------------------------------ file names

FOLDERS = (*CODE_DIRS, "testkit", "tests", "scripts")
FILE_NAME = re.compile(
    rf"(?<![\w./-])(?:(?:{'|'.join((*FOLDERS, 'docs', 'slack'))})/[\w./*-]+"
    r"|README\.md|BENCHMARKS\.md|pyproject\.toml|Makefile|Procfile)"
    r"(?<![./-])")
DOCUMENTS = [REPO / "README.md", REPO / "BENCHMARKS.md", *(REPO / "docs").glob("*.md")]
SOURCES = [p for d in FOLDERS for p in (REPO / d).rglob("*.py")]


def named_files(file: Path) -> set[str]:
    return {name for name in FILE_NAME.findall(file.read_text(encoding="utf-8"))
            if "." in Path(name).name or name in {"Makefile", "Procfile"}}


def test_files_named_in_docs_and_code_exist():
    missing = {str(file.relative_to(REPO)): names for file in DOCUMENTS + SOURCES
               if (names := {n for n in named_files(file) if not list(REPO.glob(n))})}
    assert missing == {}


def test_the_file_name_scan_finds_names():
    assert {"knowledge/calibration_negatives.yaml", "scripts/calibrate.py"} <= named_files(
        REPO / "knowledge" / "answer.py")


# ------------------------------------------------------------------ calibration

def test_calibration_has_one_source_the_json_file():
    fields = dataclasses.fields(Calibration)
    assert all(f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
               for f in fields), "defaults in the class would be a second copy of the file"
    data = json.loads(CALIBRATION_FILE.read_text())
    assert set(data) == {f.name for f in fields}
    assert dataclasses.asdict(Calibration.load()) == {
        **data, "features": tuple(data["features"]), "weights": tuple(data["weights"])}
