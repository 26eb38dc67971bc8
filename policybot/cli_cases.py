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

from bot.admin_accounts import AdminAccounts
from bot.administrators import Administrators
from bot.case_desk import CaseDesk
from bot.case_text import say
from bot.cases import STATUSES, CaseStore
from bot.config import LOCAL_OPERATOR, Settings
from bot.events import EventBus
from bot.report_flow import CATEGORIES
from infra.db import Storage
from infra.errors import PolicybotError

ACTOR = LOCAL_OPERATOR


def build_store() -> CaseStore:
    settings = Settings.from_env()
    storage = Storage(settings.db_path, secret_key=settings.secret_key)
    storage.migrate()
    return CaseStore(storage, settings, EventBus(),
                     Administrators(settings, AdminAccounts(storage)))


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


MASKED = ("description", "link", "reporter", "reporter_name", "reporter_email")  # shown by `show --reveal`, or `export`


TEXT_LIMIT = 50


@click.group("cases")
def cases() -> None:
    """Review reported posts: list, show, assign, change status, note, ask, export."""


@cases.command("list")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--category", type=click.Choice([c for c, _ in CATEGORIES]))
@click.option("--urgency", type=click.Choice(["urgent", "normal"]))
@click.option("--assignee", help="Only cases assigned to this administrator id.")
@click.option("--mine", is_flag=True, help=f"Only cases assigned to you ({ACTOR}).")
@click.option("--limit", type=click.IntRange(1, 100000),
              help=f"At most this many cases [default: {TEXT_LIMIT} as text, all with --json].")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of every matching case.")
@_friendly
def list_command(status: str | None, category: str | None, urgency: str | None,
                 assignee: str | None, mine: bool, limit: int | None, as_json: bool) -> None:
    """List cases, newest first. A list cut short says so on stderr."""
    if mine and assignee and assignee != ACTOR:
        raise click.UsageError("--mine and --assignee name different people; give one.")
    assignee = ACTOR if mine else assignee
    wanted = limit or (None if as_json else TEXT_LIMIT)
    # One row past the limit tells whether the list was cut (SQLite: LIMIT -1 is no limit).
    rows = build_store().list_cases(ACTOR, status=status, category=category, urgency=urgency,
                                    assignee=assignee, limit=wanted + 1 if wanted else -1)
    if wanted and len(rows) > wanted:
        rows = rows[:wanted]
        click.echo(f"Showing the first {wanted} matching cases; there are more (use --limit "
                   "to see more).", err=True)
    if as_json:
        rows = [{**c, **dict.fromkeys(MASKED)} for c in rows]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        click.echo("No cases match.")
    else:
        desk = CaseDesk(build_store())
        for row in desk.listed(ACTOR, rows):
            click.echo(f"{row.line().replace('*', '')} ({row.reported})")


@cases.command("show")
@click.argument("number")
@click.option("--reveal", is_flag=True, help="Also show the description, link, named reporter "
              "and the reporter's answers (recorded as \"revealed\").")
@_friendly
def show(number: str, reveal: bool) -> None:
    """Show one case, masked, with its audit trail (records "viewed")."""
    view = _act(number, "reveal" if reveal else "view").view
    click.echo(view.text().replace("*", ""))
    click.echo(say("case.trail") + ":")
    for entry in view.trail:
        click.echo("  " + entry.line())


def _act(number: str, action: str, value: str = ""):
    """One `CaseDesk.act` as the local operator; a refusal is a one-line error."""
    outcome = CaseDesk(build_store()).act(number, ACTOR, action, value)
    if not outcome.ok:
        raise click.ClickException(outcome.text.replace("*", ""))
    return outcome


def _text_action(name: str, metavar: str, doc: str) -> None:
    """`policybot cases NAME NUMBER VALUE` for a case action that takes text."""
    @cases.command(name, help=doc)
    @click.argument("number")
    @click.argument("value", metavar=metavar)
    @_friendly
    def command(number: str, value: str) -> None:
        click.echo(_act(number, name, value).text.replace("*", ""))


_text_action("assign", "ADMIN", "Assign a case to an administrator (an id from `policybot "
             "cases admins`, e.g. slack:U123 or web:ana).")
_text_action("close", "REASON", "Close (resolve) a case, saying why; the workflow allows it "
             "once the case is being investigated.")
_text_action("reopen", "REASON", "Reopen a resolved or dismissed case, saying why; it goes "
             "back to the status it was closed from.")
_text_action("category", "CATEGORY", "Change a case's category (one of: "
             + ", ".join(c for c, _ in CATEGORIES) + ").")
_text_action("urgency", "URGENCY", "Change a case's urgency (urgent or normal).")
_text_action("note", "TEXT", "Add an internal note to a case's audit trail.")
_text_action("ask", "TEXT", "Ask the reporter a question. A running server sends it to a "
             "named reporter in Slack or Teams; a browser reporter sees it on coming back to "
             "the chat; anyone reads it with `status KEY` or `my reports`.")


@cases.command("admins")
@_friendly
def admins() -> None:
    """List the administrators a case can be assigned to (id, then name)."""
    for actor, label in build_store().admins.assignees():
        click.echo(f"{actor}\t{label}")


@cases.command("status")
@click.argument("number")
@click.argument("status")
@click.option("--reason", default="", help="Required for dismissed: duplicate, unfounded, "
                                           "out_of_scope, referred. Required for resolved: "
                                           "why, in words (the same as `close`).")
@_friendly
def status(number: str, status: str, reason: str) -> None:
    """Move a case along new -> triaged -> investigating -> resolved | dismissed.

    Resolving needs a reason: use `policybot cases close N REASON` (or --reason)."""
    click.echo(_act(number, "status", f"{status} {reason}").text.replace("*", ""))


@cases.command("export")
@click.option("--csv", "csv_path", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write, or - for standard output.")
@_friendly
def export(csv_path: str) -> None:
    """Export every case as CSV, details included (records "exported")."""
    store = build_store()
    if csv_path == "-":
        count = store.export_csv(sys.stdout, ACTOR, details=True)
    else:
        with open(csv_path, "w", newline="", encoding="utf-8") as fh:
            count = store.export_csv(fh, ACTOR, details=True)
        click.echo(f"Exported {count} cases to {csv_path}.")
