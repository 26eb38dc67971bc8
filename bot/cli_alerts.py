"""`policybot alerts test` (send a test alert now, to check the settings) and `policybot
alerts webhook-key` (the key a webhook receiver checks signatures with)."""

from __future__ import annotations

import click

from bot.config import Settings
from bot.db import Storage
from bot.errors import PolicybotError


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
    from bot.alert_config import parse_smtp_url
    from bot.alert_messages import trial_email, trial_json
    from bot.alert_transport import DeliveryError, post_webhook, send_email, webhook_key

    s = _settings()
    if not (s.smtp_url or s.alert_webhook_url):
        raise click.ClickException("No alerts are set: see POLICYBOT_SMTP_URL and "
                                   "POLICYBOT_ALERT_WEBHOOK_URL in the README.")
    failed = False
    sends = []
    if s.smtp_url:
        sends.append((f"e-mail to {', '.join(s.alert_emails)}", lambda: send_email(
            parse_smtp_url(s.smtp_url), trial_email(s.alert_from, s.alert_emails))))
    if s.alert_webhook_url:
        key = webhook_key(Storage(s.db_path, secret_key=s.secret_key).secret)
        sends.append((f"webhook {s.alert_webhook_url}",
                      lambda: post_webhook(s.alert_webhook_url, trial_json(), key)))
    for what, send in sends:
        try:
            send()
            click.echo(f"sent: {what}")
        except DeliveryError as e:
            failed = True
            click.echo(f"NOT sent: {what}: {e}", err=True)
    if failed:
        raise SystemExit(1)
