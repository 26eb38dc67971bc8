"""Alerts (bot/alerts.py) through a real SMTP server (aiosmtpd on loopback) and a real
webhook receiver (aiohttp on loopback): an urgent case reported through `Bot.handle`
sends one e-mail and one signed webhook call that say the number, category, urgency,
time and console link, and nothing that the console masks or that names the reporter;
a daily digest; a mail server that is down and then up gets the alert once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from alert_harness import (
    DESCRIPTION,
    LINK,
    PUBLIC,
    Clock,
    Receiver,
    SmtpServer,
    alert_settings,
    alerting_bot,
    free_port,
    hidden_from_alerts,
    quiet_digest_time,
    report,
)
from click.testing import CliRunner
from test_spanish import NAMED_WEB_REPORT

from bot.alerts import Alerts
from bot.app import build_bot
from bot.config import Settings
from bot.models import Incoming
from policybot.cli import main


def test_an_urgent_case_sends_one_email_with_only_what_an_alert_may_say(tmp_path,
                                                                        fake_encoder):
    port = free_port()
    with SmtpServer(port) as inbox:
        bot = alerting_bot(alert_settings(tmp_path, port), fake_encoder)
        normal = report(bot, urgent=False)
        urgent = report(bot, urgent=True)
        assert bot.alerts.run_once() == 1
        assert bot.alerts.run_once() == 0  # sent is sent
    [(recipients, mail)] = inbox.messages
    assert sorted(recipients) == ["principal.office@lausd.net", "safety@lausd.net"]
    assert mail["From"] == "policybot@lausd.net" and mail["Date"]
    assert mail["Message-ID"].endswith("@lausd.net>")
    assert mail["Subject"] == f"[policybot] Urgent case {urgent}: Threatening"
    body = mail.get_content()
    opened = bot.cases.get(urgent, "slack:UADMIN")["created_at"]
    local = datetime.fromisoformat(opened).astimezone(ZoneInfo("America/Los_Angeles"))
    assert f"Case:      {urgent}" in body and "Category:  Threatening" in body
    assert "Urgency:   urgent" in body and f"{local:%b %Y}, " in body
    assert f"Open it:   {PUBLIC}/admin/cases/{urgent}" in body
    assert normal not in body
    raw = mail.as_string()
    for secret in hidden_from_alerts(bot, urgent):
        assert secret not in raw, secret


def test_an_anonymous_urgent_report_alert_holds_nothing_about_the_reporter(tmp_path,
                                                                          fake_encoder):
    port = free_port()
    with SmtpServer(port) as inbox:
        bot = alerting_bot(alert_settings(tmp_path, port), fake_encoder)
        number = report(bot, urgent=True, identity="anonymous")
        bot.alerts.run_once()
    [(_, mail)] = inbox.messages
    raw = mail.as_string()
    assert number in raw and "U0REPORTER42" not in raw and "anonymous" not in raw.lower()
    for secret in hidden_from_alerts(bot, number):
        assert secret not in raw
    # and nothing masked was ever stored in the queue either
    for row in bot.storage.db["alert_queue"].rows:
        assert DESCRIPTION not in row["payload"] and LINK not in row["payload"]


def test_without_a_console_address_the_email_says_how_to_find_the_case(tmp_path,
                                                                       fake_encoder):
    port = free_port()
    with SmtpServer(port) as inbox:
        settings = alert_settings(tmp_path, port).with_(public_url=None)
        bot = alerting_bot(settings, fake_encoder)
        number = report(bot, urgent=True)
        bot.alerts.run_once()
    body = inbox.messages[0][1].get_content()
    assert "/admin on the address policybot serves" in body and number in body
    assert "POLICYBOT_PUBLIC_URL" in body


def next_digest_time(after: datetime) -> datetime:
    zone = ZoneInfo("America/Los_Angeles")
    local = after.astimezone(zone)
    cutoff = local.replace(hour=7, minute=0, second=0, microsecond=0)
    if cutoff <= local:
        cutoff = (local + timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0)
    return cutoff.astimezone(UTC)


def test_the_daily_digest_lists_the_new_cases_once_at_the_set_time(tmp_path, fake_encoder):
    port = free_port()
    clock = Clock()
    with SmtpServer(port) as inbox:
        bot = alerting_bot(alert_settings(tmp_path, port), fake_encoder, clock)
        first, second = report(bot, urgent=False), report(bot, urgent=False, user="slack:U0B")
        urgent = report(bot, urgent=True, user="slack:U0C")
        assert bot.alerts.run_once() == 1  # the urgent one, at once
        cutoff = next_digest_time(clock.now)
        clock.now = cutoff - timedelta(minutes=1)
        assert bot.alerts.run_once() == 0  # not yet: 06:59 in Los Angeles
        clock.now = cutoff + timedelta(minutes=1)
        assert bot.alerts.run_once() == 1
        clock.now = cutoff + timedelta(hours=3)
        assert bot.alerts.run_once() == 0  # one digest a day, however often the loop runs
        clock.now = cutoff + timedelta(days=1, minutes=1)
        assert bot.alerts.run_once() == 0  # a day without new cases sends nothing
        clock.now = cutoff + timedelta(days=31, hours=1)
        bot.alerts.run_once()  # rows done more than 30 days ago are forgotten
        assert {r["key"] for r in bot.storage.db["alert_queue"].rows} == {
            f"digest:{(clock.now.astimezone(ZoneInfo('America/Los_Angeles'))).date()}"}
    assert len(inbox.messages) == 2
    digest = inbox.messages[1][1]
    assert digest["Subject"] == "[policybot] Daily digest: 3 new cases"
    body = digest.get_content()
    assert "3 new cases (1 urgent)" in body
    lines = [line for line in body.splitlines() if line.startswith("20")]
    assert [line.split()[0] for line in lines] == [urgent, first, second]  # urgent first
    assert f"{PUBLIC}/admin/cases/{first}" in body
    assert "7:00 AM P" in body  # the window is told in the district's time
    for secret in hidden_from_alerts(bot, urgent):
        assert secret not in digest.as_string()


def test_smtp_down_then_up_delivers_the_alert_once(tmp_path, fake_encoder, caplog,
                                                   monkeypatch):
    port = free_port()  # nothing listens here yet
    clock = Clock()
    settings = alert_settings(tmp_path, port, POLICYBOT_DIGEST_TIME=quiet_digest_time())
    bot = alerting_bot(settings, fake_encoder, clock)
    number = report(bot, urgent=True)
    with caplog.at_level(logging.WARNING, logger="bot.alerts"):
        assert bot.alerts.run_once() == 0
    assert f"alert urgent:{number} by email not delivered (attempt 1)" in caplog.text
    [row] = bot.storage.db["alert_queue"].rows
    assert row["status"] == "pending" and row["attempts"] == 1 and "Connection" in \
        row["last_error"]
    monkeypatch.setenv("POLICYBOT_DB", bot.settings.db_path)
    waiting = CliRunner().invoke(main, ["alerts", "status"]).output
    assert "email    pending  1 tries  next try 20" in waiting and "Connection" in waiting
    with SmtpServer(port) as inbox:
        assert bot.alerts.run_once() == 0  # backing off: not before 30 seconds
        clock.now += timedelta(seconds=31)
        # two workers sharing the database, both polling while the server is slow to
        # answer: one of them sends it
        other = alerting_bot(bot.settings, fake_encoder, clock)
        inbox.delay = 1.0
        sent = []
        workers = [threading.Thread(target=lambda w=w: sent.append(w.alerts.run_once()))
                   for w in (bot, other)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(30)
        assert sorted(sent) == [0, 1]
        clock.now += timedelta(hours=2)
        assert bot.alerts.run_once() + other.alerts.run_once() == 0
    assert len(inbox.messages) == 1 and number in inbox.messages[0][1]["Subject"]
    [row] = bot.storage.db["alert_queue"].rows
    assert row["status"] == "sent" and row["attempts"] == 2
    monkeypatch.setenv("POLICYBOT_DB", bot.settings.db_path)
    shown = CliRunner().invoke(main, ["alerts", "status"])
    assert shown.exit_code == 0 and f"urgent:{number}" in shown.output
    assert "email    sent     2 tries  sent 20" in shown.output


def test_an_alert_is_given_up_after_the_last_attempt_with_an_error_logged(
        tmp_path, fake_encoder, caplog, monkeypatch):
    monkeypatch.setattr("bot.alerts.MAX_ATTEMPTS", 3)
    clock = Clock()
    settings = alert_settings(tmp_path, free_port(), POLICYBOT_DIGEST_TIME=quiet_digest_time())
    bot = alerting_bot(settings, fake_encoder, clock)
    number = report(bot, urgent=True)
    with caplog.at_level(logging.WARNING, logger="bot.alerts"):
        for _ in range(5):
            bot.alerts.run_once()
            clock.now += timedelta(hours=1)
    [row] = bot.storage.db["alert_queue"].rows
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert any(r.levelno == logging.ERROR and f"urgent:{number}" in r.getMessage()
               and "given up" in r.getMessage() for r in caplog.records)


def expected_signature(secret: bytes, headers: dict, body: bytes) -> bool:
    """What a receiver does: the key from the server's secret, then the HMAC of time.body."""
    key = hmac.new(secret, b"policybot/alert-webhook", hashlib.sha256).digest()
    fields = dict(part.split("=", 1) for part in headers["X-Policybot-Signature"].split(","))
    mac = hmac.new(key, fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return abs(time.time() - int(fields["t"])) < 300 and hmac.compare_digest(mac, fields["v1"])


def test_the_webhook_is_signed_retried_and_says_no_more_than_the_email(tmp_path,
                                                                      fake_encoder):
    clock = Clock()
    with Receiver(statuses=[503]) as receiver:
        settings = alert_settings(tmp_path, webhook=f"http://127.0.0.1:{receiver.port}/hook",
                                  POLICYBOT_SECRET_KEY="district-secret-for-tests")
        bot = alerting_bot(settings, fake_encoder, clock)
        number = report(bot, urgent=True)
        assert bot.alerts.run_once() == 0  # the receiver answered 503
        clock.now += timedelta(minutes=1)
        assert bot.alerts.run_once() == 1
    assert len(receiver.calls) == 2
    headers, body = receiver.calls[-1]
    assert headers["Content-Type"] == "application/json"
    assert expected_signature(b"district-secret-for-tests", headers, body)
    assert not expected_signature(b"district-secret-for-tests", headers,
                                  body.replace(b"urgent", b"normal"))
    assert not expected_signature(b"another-secret", headers, body)
    payload = json.loads(body)
    assert payload["event"] == "case.urgent"
    assert payload["case"]["number"] == number and payload["case"]["category"] == "threatening"
    assert payload["url"] == f"{PUBLIC}/admin/cases/{number}"
    assert set(payload["case"]) == {"number", "category", "category_label", "urgency",
                                    "opened_at"}
    for secret in hidden_from_alerts(bot, number):
        assert secret not in body.decode()


def test_no_alert_settings_means_no_alerts_consumer(tmp_path, fake_encoder):
    bot = build_bot(Settings.from_env({"POLICYBOT_DB": str(tmp_path / "p.db")}),
                    encoder=fake_encoder)
    report(bot, urgent=True)
    assert isinstance(bot.alerts, Alerts) and bot.alerts.run_once() == 0
    assert bot.storage.db["alert_queue"].count == 0


def test_a_web_only_server_emails_an_urgent_browser_report_by_itself(tmp_path, fake_encoder,
                                                                     monkeypatch):
    """Issue 14 item 8: no Slack, no Teams; the server's alerts thread sends the e-mail,
    woken by the case (it would otherwise look at the queue only every 10 minutes here)."""
    from aiohttp.test_utils import TestClient, TestServer

    from handlers.runtime import BotRef
    from handlers.server import create_app

    monkeypatch.setattr("bot.alerts.POLL_EVERY", 600.0)
    port = free_port()
    settings = alert_settings(tmp_path, port)
    bot = build_bot(settings, encoder=fake_encoder)
    ref = BotRef()

    async def scenario():
        async with TestClient(TestServer(create_app(settings, ref))) as client:
            await client.get("/")
            for text in ("report", "threatening", "yes", "instagram", LINK, "today", "student",
                         DESCRIPTION, "anonymous", "submit"):
                response = await client.post("/chat/api", json={"text": text})
                data = await response.json()
            number = data["replies"][-1]["data"]["case_number"]
            submitted = time.monotonic()
            while not inbox.messages and time.monotonic() - submitted < 60:
                await asyncio.sleep(0.05)
            print(f"urgent report -> e-mail accepted: {time.monotonic() - submitted:.2f} s")
            return number

    with SmtpServer(port) as inbox:
        ref.set(bot)  # as when the core has loaded: the server starts its alerts thread
        number = asyncio.run(scenario())
    assert bot.alerts._thread is None  # stopped with the server
    [(_, mail)] = inbox.messages
    assert mail["Subject"] == f"[policybot] Urgent case {number}: Threatening"
    for secret in hidden_from_alerts(bot, number):
        assert secret not in mail.as_string()


def test_a_named_browser_reporter_is_told_by_email_that_a_question_waits(tmp_path,
                                                                        fake_encoder):
    """Issue 14 item 3: the question reaches a named web reporter's mailbox as a notice
    (the question itself stays in the chat); anonymous reporters get nothing."""
    port = free_port()
    with SmtpServer(port) as inbox:
        bot = alerting_bot(alert_settings(tmp_path, port,
                                          POLICYBOT_DIGEST_TIME=quiet_digest_time()),
                           fake_encoder)

        def web(text, session):
            return bot.handle(Incoming(text=text, conversation_id=f"web-chat:{session}",
                                       user_id=f"web-chat:{session}", platform="web"))

        for text in ("report", "harassing", "no", "instagram", LINK, "today", "employee",
                     DESCRIPTION, "named", "Maria Lopez, maria.lopez@lausd.net"):
            web(text, "s1")
        named = next(r for r in web("submit", "s1") if r.kind == "receipt").data["case_number"]
        anonymous = report(bot, urgent=False, identity="anonymous")

        def ask(number):
            [reply] = bot.handle(Incoming(text=f"ask {number} Which account posted it?",
                                          conversation_id="slack:D0ADMIN:",
                                          user_id="slack:UADMIN", platform="slack"))
            return reply.text

        assert "policybot e-mails maria.lopez@lausd.net that there is a question" in ask(named)
        assert "no way to reach them first" in ask(anonymous)
        assert bot.alerts.run_once() == 1
        assert bot.alerts.run_once() == 0
        ask(named)  # a second question: a second notice
        assert bot.alerts.run_once() == 1
    assert len(inbox.messages) == 2
    recipients, mail = inbox.messages[0]
    assert recipients == ["maria.lopez@lausd.net"]  # not the administrators' list
    assert mail["Subject"] == f"[policybot] A question about your report {named}"
    assert mail["Content-Language"] == "en"
    body = mail.get_content()
    assert f"{PUBLIC}/" in body and "Which account" not in body and DESCRIPTION not in body
    assert {r["key"] for r in bot.storage.db["alert_queue"].rows} == {
        f"asked:{named}:1", f"asked:{named}:2"}


def test_a_spanish_browser_reporter_gets_the_question_notice_in_spanish(tmp_path,
                                                                       fake_encoder):
    """The notice is in the language the reporter reported in (the administrator who asks
    works in English); an English reporter's stays English (the test above)."""
    port = free_port()
    with SmtpServer(port) as inbox:
        bot = alerting_bot(alert_settings(tmp_path, port), fake_encoder)
        for text in NAMED_WEB_REPORT:
            replies = bot.handle(Incoming(text=text, conversation_id="web-chat:es",
                                          user_id="web-chat:es", platform="web"))
        number = replies[-1].data["case_number"]
        bot.handle(Incoming(text=f"ask {number} Which account posted it?",
                            conversation_id="slack:D0ADMIN:", user_id="slack:UADMIN",
                            platform="slack"))
        assert bot.alerts.run_once() == 1
    [(recipients, mail)] = inbox.messages
    assert recipients == ["ana.perez@lausd.net"]
    assert mail["Subject"] == f"[policybot] Una pregunta sobre su denuncia {number}"
    assert mail["Content-Language"] == "es"
    body = mail.get_content()
    assert body.startswith("Un administrador tiene una pregunta sobre la denuncia que usted "
                           f"hizo (caso {number}).")
    assert f"abra el chat de policybot ({PUBLIC}/) en el navegador" in body
    assert "`mis denuncias`" in body and "para que solo usted la lea" in body
    assert "Which account" not in body and "administrator" not in body

def test_the_webhook_gets_the_digest_too(tmp_path, fake_encoder):
    clock = Clock()
    with Receiver() as receiver:
        settings = alert_settings(tmp_path, webhook=f"http://127.0.0.1:{receiver.port}/hook")
        bot = alerting_bot(settings, fake_encoder, clock)
        number = report(bot, urgent=False)
        clock.now = next_digest_time(clock.now) + timedelta(minutes=5)
        assert bot.alerts.run_once() == 1
    [(headers, body)] = receiver.calls
    assert expected_signature(bot.storage.secret, headers, body)
    payload = json.loads(body)
    assert payload["event"] == "cases.digest"
    assert [c["number"] for c in payload["cases"]] == [number]
    assert payload["cases"][0]["url"] == f"{PUBLIC}/admin/cases/{number}"
    for secret in hidden_from_alerts(bot, number):
        assert secret not in body.decode()


def test_a_case_raised_to_urgent_later_is_alerted_once(tmp_path, fake_encoder):
    """Raising the urgency through the one case entry point alerts like an urgent report;
    lowering and raising it again sends nothing more."""
    port = free_port()
    with SmtpServer(port) as inbox:
        bot = alerting_bot(alert_settings(tmp_path, port), fake_encoder)
        number = report(bot, urgent=False)
        assert bot.alerts.run_once() == 0
        for urgency in ("urgent", "normal", "urgent"):
            assert bot.case_desk.act(number, "slack:UADMIN", "urgency", urgency).ok
        assert bot.alerts.run_once() == 1
        assert bot.alerts.run_once() == 0
    [(_, mail)] = inbox.messages
    assert mail["Subject"] == f"[policybot] Urgent case {number}: Threatening"
    raw = mail.as_string()
    for secret in hidden_from_alerts(bot, number):
        assert secret not in raw, secret


def test_an_anonymous_spanish_report_alerts_the_administrators_in_english(tmp_path,
                                                                         fake_encoder):
    # The language an anonymous reporter wrote in is not passed on: administrators' alerts
    # are English whoever reported, so nothing in them says who might have.
    port = free_port()
    with SmtpServer(port) as inbox:
        bot = alerting_bot(alert_settings(tmp_path, port), fake_encoder)
        for text in ("denunciar", "1", "sí", "1", "omitir", "omitir", "2",
                     "Una madre publicó la dirección de una maestra.", "anónima", "enviar"):
            replies = bot.handle(Incoming(text=text, conversation_id="web-chat:anon-es",
                                          user_id="web-chat:anon-es", platform="web"))
        receipt = replies[-1]
        assert receipt.kind == "receipt" and receipt.lang == "es"
        number = receipt.data["case_number"]
        [row] = [r for r in bot.storage.db["alert_queue"].rows if r["key"] == f"urgent:{number}"]
        assert json.loads(row["payload"])["case"]["category_label"] == "Threatening"
        assert bot.alerts.run_once() == 1
    [(_, mail)] = inbox.messages
    assert mail["Subject"] == f"[policybot] Urgent case {number}: Threatening"
    assert "Content-Language" not in mail or mail["Content-Language"] == "en"
