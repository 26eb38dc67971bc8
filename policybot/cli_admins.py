"""`policybot admins ...`: accounts for the web admin console.

Passwords are read with a hidden prompt (asked twice) or, for scripts, from the first
line of standard input with --password-stdin. They are stored as argon2 hashes only.
"""

from __future__ import annotations

import sys

import click

from bot.admin_accounts import AdminAccounts
from bot.config import Settings
from infra.db import Storage
from infra.errors import PolicybotError


def _accounts() -> AdminAccounts:
    try:
        settings = Settings.from_env()
        storage = Storage(settings.db_path, secret_key=settings.secret_key)
        storage.migrate()
    except PolicybotError as e:
        raise click.ClickException(str(e)) from None
    return AdminAccounts(storage)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _run(action, *args) -> None:
    try:
        action(*args)
    except (PolicybotError, ValueError) as e:
        raise click.ClickException(str(e)) from None


@click.group()
def admins() -> None:
    """Accounts that may sign in to the web admin console (/admin)."""


@admins.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def add(name: str, password_stdin: bool) -> None:
    """Create the account NAME (it signs in as web:NAME)."""
    accounts = _accounts()
    _run(accounts.add, name, _password(password_stdin))
    click.echo(f"Added {name}. It can sign in at /admin.")


@admins.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove(name: str, yes: bool) -> None:
    """Delete the account NAME (its open sessions end at once)."""
    accounts = _accounts()
    if not yes:
        click.confirm(f"Remove the admin account {name}?", abort=True)
    _run(accounts.remove, name)
    click.echo(f"Removed {name}.")


@admins.command("reset-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def reset_password(name: str, password_stdin: bool) -> None:
    """Set a new password for NAME (also lifts a lockout and ends its sessions)."""
    accounts = _accounts()
    if not accounts.exists(name):
        raise click.ClickException(f"There is no account named {name}.")
    _run(accounts.reset_password, name, _password(password_stdin))
    click.echo(f"Password of {name} changed.")


@admins.command("list")
def list_accounts() -> None:
    """The accounts, with their last sign-in and any lockout."""
    rows = _accounts().list()
    if not rows:
        click.echo("No admin accounts. Add one with: policybot admins add NAME")
        return
    for r in rows:
        extra = f"  locked until {r['locked_until']}" if r["locked_until"] else ""
        click.echo(f"{r['name']}  created {r['created_at'][:10]}  "
                   f"last sign-in {(r['last_signin_at'] or 'never')[:16]}{extra}")
