"""`policybot cases ...`: administrators' review of the case log from the terminal.

The actor is the local operator (`cli:local`), always an administrator. Errors are
one clear line (click.ClickException), never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from bot.admin_commands import normalize_number
from bot.cases import STATUSES, CaseStore
from bot.config import LOCAL_OPERATOR, Settings
from bot.db import Storage
from bot.errors import PolicybotError
from bot.events import EventBus
from bot.report_flow import CATEGORIES, label_for

ACTOR = LOCAL_OPERATOR


def build_store() -> CaseStore:
    settings = Settings.from_env()
    storage = Storage(settings.db_path, secret_key=settings.secret_key)
    storage.migrate()
    return CaseStore(storage, settings, EventBus())


def _friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn policybot and sqlite errors into one-line ClickExceptions."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PolicybotError as e:
            raise click.ClickException(str(e)) from None
        except (ValueError, OSError) as e:
            raise click.ClickException(str(e)) from None
    return wrapper


def _number(value: str) -> str:
    number = normalize_number(value)
    if number is None:
        raise click.ClickException(f"{value!r} is not a case number (like 2026-0007).")
    return number


def _row(case: dict[str, Any]) -> str:
    urgent = "URGENT " if case["urgency"] == "urgent" else ""
    return (f"{case['number']}  {urgent}{case['status']:<13} "
            f"{label_for('category', case['category'])} / {label_for('platform', case['platform'])}"
            f"  {case['assignee'] or '-'}  {case['created_at']}")


TEXT_LIMIT = 50


@click.group("cases")
def cases() -> None:
    """Review reported posts: list, show, assign, change status, note, ask, export."""


@cases.command("list")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--category", type=click.Choice([c for c, _ in CATEGORIES]))
@click.option("--urgency", type=click.Choice(["urgent", "normal"]))
@click.option("--assignee")
@click.option("--limit", type=click.IntRange(1, 100000),
              help=f"At most this many cases [default: {TEXT_LIMIT} as text, all with --json].")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of every matching case.")
@_friendly
def list_command(status: str | None, category: str | None, urgency: str | None,
                 assignee: str | None, limit: int | None, as_json: bool) -> None:
    """List cases, newest first. A list cut short says so on stderr."""
    store = build_store()
    filters = {"status": status, "category": category, "urgency": urgency, "assignee": assignee}
    total = store.count_cases(ACTOR, **filters)
    if limit is None:
        limit = max(total, 1) if as_json else TEXT_LIMIT
    rows = store.list_cases(ACTOR, **filters, limit=limit)
    if len(rows) < total:
        click.echo(f"Showing {len(rows)} of {total} matching cases (use --limit to see more).",
                   err=True)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        click.echo("No cases match.")
    else:
        for case in rows:
            click.echo(_row(case))


@cases.command("show")
@click.argument("number")
@_friendly
def show(number: str) -> None:
    """Show one case with its questions and audit trail (records "viewed")."""
    store = build_store()
    case = store.get(_number(number), ACTOR)
    for field in ("number", "status", "dismiss_reason", "urgency", "category", "platform",
                  "link", "seen_on", "target", "assignee", "reporter", "reporter_name",
                  "reporter_email", "matched_policy_ids",
                  "created_at", "updated_at"):
        value = case[field]
        if field == "reporter" and value is None:
            value = "anonymous"
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        click.echo(f"{field + ':':<20}{value if value is not None else '-'}")
    click.echo("description:")
    click.echo(case["description"])
    messages = store.messages(case["number"], ACTOR)
    if messages:
        click.echo("messages:")
        for m in messages:
            click.echo(f"  [{m['created_at']}] {m['direction']} ({m['author']}): {m['text']}")
    click.echo("events:")
    for e in store.events(case["number"], ACTOR):
        click.echo(f"  [{e['created_at']}] {e['action']} by {e['actor']}")


@cases.command("assign")
@click.argument("number")
@click.argument("user")
@_friendly
def assign(number: str, user: str) -> None:
    """Assign a case to USER (a platform id, e.g. slack:U123)."""
    case = build_store().assign(_number(number), user, ACTOR)
    click.echo(f"Case {case['number']} assigned to {case['assignee']}.")


@cases.command("status")
@click.argument("number")
@click.argument("status", type=click.Choice(STATUSES))
@click.option("--reason", help="Required for dismissed: duplicate, unfounded, out_of_scope, "
                               "referred.")
@_friendly
def status(number: str, status: str, reason: str | None) -> None:
    """Move a case along new -> triaged -> investigating -> resolved | dismissed."""
    case = build_store().set_status(_number(number), status, ACTOR, reason=reason)
    extra = f" ({case['dismiss_reason']})" if case["dismiss_reason"] else ""
    click.echo(f"Case {case['number']} is now {case['status']}{extra}.")


@cases.command("note")
@click.argument("number")
@click.argument("text")
@_friendly
def note(number: str, text: str) -> None:
    """Add an internal note to a case's audit trail."""
    build_store().add_note(_number(number), text, ACTOR)
    click.echo(f"Note added to case {_number(number)}.")


@cases.command("ask")
@click.argument("number")
@click.argument("text")
@_friendly
def ask(number: str, text: str) -> None:
    """Ask the reporter a question. A running server sends it to a named reporter in Slack
    or Teams; anyone reads it with `status KEY` or `my reports`."""
    delivery = build_store().ask_reporter(_number(number), text, ACTOR)
    click.echo(f"Question stored for the reporter of case {_number(number)}. {delivery}")


@cases.command("export")
@click.option("--csv", "csv_path", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write, or - for standard output.")
@_friendly
def export(csv_path: str) -> None:
    """Export every case as CSV (records "exported")."""
    store = build_store()
    if csv_path == "-":
        count = store.export_csv(sys.stdout, ACTOR)
    else:
        with open(csv_path, "w", newline="", encoding="utf-8") as fh:
            count = store.export_csv(fh, ACTOR)
        click.echo(f"Exported {count} cases to {csv_path}.")
