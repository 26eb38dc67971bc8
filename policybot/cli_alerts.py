"""`policybot alerts test` (send a test alert now, to check the settings) and `policybot
alerts webhook-key` (the key a webhook receiver checks signatures with)."""

from __future__ import annotations

import click

from bot.config import Settings
from infra.db import Storage
from infra.errors import PolicybotError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except PolicybotError as e:
        raise click.ClickException(str(e)) from None


@click.group()
def alerts() -> None:
    """E-mail and webhook alerts (POLICYBOT_SMTP_URL, POLICYBOT_ALERT_WEBHOOK_URL)."""


@alerts.command("webhook-key")
def webhook_key_cmd() -> None:
    """Print the key (hex) that signs webhook requests, for the receiver."""
    from bot.alert_transport import webhook_key

    settings = _settings()
    click.echo(webhook_key(Storage(settings.db_path, secret_key=settings.secret_key)
                           .secret).hex())


@alerts.command("test")
def test_cmd() -> None:
    """Send a test alert by every channel that is set, now; say what happened."""
    from bot.alert_transport import DeliveryError
    from bot.alerts import Alerts
    from bot.events import EventBus

    s = _settings()
    alerts = Alerts(Storage(s.db_path, secret_key=s.secret_key), s, EventBus())
    if not alerts.channels:
        raise click.ClickException("No alerts are set: see POLICYBOT_SMTP_URL and "
                                   "POLICYBOT_ALERT_WEBHOOK_URL in the README.")
    failed = False
    for channel in alerts.channels:
        what = (f"e-mail to {', '.join(s.alert_emails)}" if channel == "email"
                else f"webhook {s.alert_webhook_url}")
        try:
            alerts.deliver(channel, {"kind": "test"})
            click.echo(f"sent: {what}")
        except DeliveryError as e:
            failed = True
            click.echo(f"NOT sent: {what}: {e}", err=True)
    if failed:
        raise SystemExit(1)


@alerts.command("status")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many of the latest alerts to show.")
def status_cmd(limit: int) -> None:
    """The latest alerts in the queue: sent, waiting to be tried again (and why), failed."""
    s = _settings()
    storage = Storage(s.db_path, secret_key=s.secret_key)
    try:
        storage.migrate()
        rows = list(storage.db.query(
            "SELECT key, channel, status, attempts, next_try_at, sent_at, last_error "
            "FROM alert_queue ORDER BY id DESC LIMIT ?", [limit]))
    except PolicybotError as e:
        raise click.ClickException(str(e)) from None
    if not rows:
        click.echo("No alerts yet.")
    for r in rows:
        when = (f"sent {r['sent_at']}" if r["status"] == "sent"
                else f"next try {r['next_try_at']}" if r["status"] == "pending" else "")
        error = f": {r['last_error']}" if r["last_error"] and r["status"] != "sent" else ""
        click.echo(f"{r['key']:<22} {r['channel']:<8} {r['status']:<8} "
                   f"{r['attempts']} tries  {when}{error}".rstrip())
