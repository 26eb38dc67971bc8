"""How an alert travels: STARTTLS and smtps against a real aiosmtpd with a certificate
the machine must trust, `policybot alerts test` and the webhook key a receiver checks with."""

from __future__ import annotations

import hashlib
import hmac
import ssl
from datetime import timedelta

from aiosmtpd.controller import Controller
from alert_harness import (
    Clock,
    Inbox,
    SmtpServer,
    alerting_bot,
    free_port,
    quiet_digest_time,
    report,
    self_signed_certificate,
)
from click.testing import CliRunner

from bot.config import Settings
from policybot.cli import main


def test_starttls_is_verified_before_the_password_is_sent(tmp_path, fake_encoder,
                                                          monkeypatch):

    from aiosmtpd.smtp import AuthResult

    cert_file, key_file = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password, session.ssl is not None))
        return AuthResult(success=auth_data.password == b"p@ss")

    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, auth_required=True,
                            authenticator=authenticator)
    clock = Clock()
    settings = Settings.from_env({
        "POLICYBOT_DB": str(tmp_path / "policybot.db"),
        "POLICYBOT_SMTP_URL": f"smtp://alerts%40lausd.net:p%40ss@127.0.0.1:{port}?starttls=true",
        "POLICYBOT_ALERT_EMAILS": "safety@lausd.net",
        "POLICYBOT_DIGEST_TIME": quiet_digest_time()})  # no digest queued beside the alert
    bot = alerting_bot(settings, fake_encoder, clock)
    number = report(bot, urgent=True)
    controller.start()
    try:
        assert bot.alerts.run_once() == 0  # a certificate nobody vouches for: refused
        [row] = bot.storage.db["alert_queue"].rows
        assert "CERTIFICATE_VERIFY_FAILED" in row["last_error"] and logins == []
        monkeypatch.setenv("SSL_CERT_FILE", cert_file)  # now the machine trusts it
        clock.now += timedelta(minutes=1)
        assert bot.alerts.run_once() == 1
    finally:
        controller.stop()
    assert logins == [(b"alerts@lausd.net", b"p@ss", True)]  # over TLS only
    [(_, mail)] = inbox.messages
    assert mail["From"] == "alerts@lausd.net" and number in mail["Subject"]


def test_smtps_speaks_tls_from_the_first_byte(tmp_path, fake_encoder, monkeypatch):

    cert_file, key_file = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    monkeypatch.setenv("SSL_CERT_FILE", cert_file)
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=context)
    settings = Settings.from_env({
        "POLICYBOT_DB": str(tmp_path / "policybot.db"),
        "POLICYBOT_SMTP_URL": f"smtps://127.0.0.1:{port}",
        "POLICYBOT_ALERT_EMAILS": "safety@lausd.net", "POLICYBOT_ALERT_FROM": "p@lausd.net"})
    bot = alerting_bot(settings, fake_encoder)
    number = report(bot, urgent=True)
    controller.start()
    try:
        assert bot.alerts.run_once() == 1
    finally:
        controller.stop()
    assert number in inbox.messages[0][1]["Subject"]


def test_alerts_test_sends_a_test_email_now_or_says_why_not(tmp_path, monkeypatch):
    port = free_port()
    monkeypatch.setenv("POLICYBOT_DB", str(tmp_path / "policybot.db"))
    monkeypatch.setenv("POLICYBOT_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("POLICYBOT_ALERT_EMAILS", "safety@lausd.net")
    monkeypatch.setenv("POLICYBOT_ALERT_FROM", "policybot@lausd.net")
    down = CliRunner().invoke(main, ["alerts", "test"])
    assert down.exit_code == 1 and f"NOT sent: e-mail to safety@lausd.net: SMTP 127.0.0.1:{port}" \
        in down.output
    with SmtpServer(port) as inbox:
        up = CliRunner().invoke(main, ["alerts", "test"])
    assert up.exit_code == 0 and "sent: e-mail to safety@lausd.net" in up.output
    assert inbox.messages[0][1]["Subject"] == "[policybot] Test alert"


def test_the_webhook_key_command_prints_the_key_a_receiver_checks_with(tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("POLICYBOT_DB", str(tmp_path / "policybot.db"))
    monkeypatch.setenv("POLICYBOT_SECRET_KEY", "district-secret-for-tests")
    result = CliRunner().invoke(main, ["alerts", "webhook-key"])
    assert result.exit_code == 0, result.output
    key = hmac.new(b"district-secret-for-tests", b"policybot/alert-webhook",
                   hashlib.sha256).hexdigest()
    assert result.output.strip() == key
