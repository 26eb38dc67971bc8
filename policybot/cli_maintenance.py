"""`policybot backup FILE` and `policybot retention --older-than DAYS`: operator upkeep.

Both work on POLICYBOT_DB and may run while the server is up. Errors are one clear
line (click.ClickException), never a traceback.
"""

from __future__ import annotations

import click

from bot.config import LOCAL_OPERATOR, Settings
from bot.maintenance import backup_database, purge_closed_cases
from infra.db import Storage
from infra.errors import PolicybotError


def _db_path() -> str:
    try:
        return Settings.from_env().db_path
    except PolicybotError as e:
        raise click.ClickException(str(e)) from None


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def backup(file: str, force: bool) -> None:
    """Copy the database to FILE while the server keeps running (SQLite online backup)."""
    try:
        result = backup_database(_db_path(), file, force=force)
    except PolicybotError as e:
        raise click.ClickException(str(e)) from None
    counts = ", ".join(f"{n} {table}" for table, n in result.tables.items())
    click.echo(f"Backed up {result.source} to {result.path} ({result.size:,} bytes"
               f"{': ' + counts if counts else ''}).")
    click.echo(f"integrity_check of the copy: {result.integrity}")


@click.command()
@click.option("--older-than", "days", type=click.IntRange(min=1), required=True,
              metavar="DAYS", help="Purge closed cases not updated for DAYS days.")
@click.option("--dry-run", is_flag=True, help="Show what would be purged; change nothing.")
def retention(days: int, dry_run: bool) -> None:
    """Delete closed (resolved or dismissed) cases, with their audit events and messages,
    once past the district's retention period. Each run is recorded in retention_log."""
    try:
        storage = Storage(_db_path())
        storage.migrate()
        result = purge_closed_cases(storage, days, LOCAL_OPERATOR, dry_run=dry_run)
    except PolicybotError as e:
        raise click.ClickException(str(e)) from None
    verb = "Would purge" if dry_run else "Purged"
    click.echo(f"{verb} {len(result.case_numbers)} closed case(s) last updated before "
               f"{result.cutoff}, with {result.events} audit event(s) and {result.messages} "
               f"message(s).")
    if result.case_numbers:
        click.echo("Cases: " + " ".join(result.case_numbers))
    if dry_run:
        click.echo("Dry run: nothing was changed.")
    else:
        click.echo(f"Recorded in retention_log (run {result.log_id}).")
