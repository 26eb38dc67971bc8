"""For the alert tests: real servers on loopback (an SMTP server, aiosmtpd; a webhook
receiver, aiohttp), a self-signed certificate for TLS, a clock the tests move, and a
bot with alerts set up that takes reports through `Bot.handle`."""

from __future__ import annotations

import asyncio
import socket
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

from aiohttp import web
from aiosmtpd.controller import Controller

from bot.app import build_bot
from bot.config import Settings
from bot.models import Incoming

REPORTER = "slack:U0REPORTER42"
DESCRIPTION = "Ms Alvarez from room 12 posted the student's home address on a burner account"
LINK = "https://instagram.com/p/SECRETLINK999"
PUBLIC = "https://policybot.lausd.example.net"
RECIPIENTS = "safety@lausd.net, principal.office@lausd.net"

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: every message the server accepted."""

    def __init__(self):
        self.messages = []
        self.delay = 0.0  # seconds before "accepted": a slow server, for races

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        await asyncio.sleep(self.delay)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content,
                                                                    policy=policy.default)))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int):
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def __enter__(self):
        self.controller.start()
        return self.inbox

    def __exit__(self, *exc):
        self.controller.stop()


class Receiver:
    """An aiohttp webhook receiver on loopback in its own thread; answers `statuses` in
    turn (then 200)."""

    def __init__(self, statuses=()):
        self.calls: list[tuple[dict, bytes]] = []
        self.statuses = list(statuses)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def hook(self, request: web.Request) -> web.Response:
        self.calls.append((dict(request.headers), await request.read()))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    def __enter__(self):
        self.thread.start()
        app = web.Application()
        app.router.add_post("/hook", self.hook)
        self.runner = web.AppRunner(app)

        async def start():
            await self.runner.setup()
            await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        return self

    def __exit__(self, *exc):
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class Clock:
    def __init__(self):
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def self_signed_certificate(folder) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "smtp.pem", folder / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def quiet_digest_time() -> str:
    """A POLICYBOT_DIGEST_TIME 13 hours ago in Los Angeles: the last digest is past
    alerts.LATE_DIGEST (never planned) and the next is 11 hours away, so a test that moves its
    clock a few hours plans no digest, whatever the time of day it runs at."""
    local = datetime.now(ZoneInfo("America/Los_Angeles")) - timedelta(hours=13)
    return local.strftime("%H:%M")


def alert_settings(tmp_path, smtp_port: int | None = None, webhook: str | None = None,
                   **extra) -> Settings:
    env = {"POLICYBOT_DB": str(tmp_path / "policybot.db"), "POLICYBOT_ADMINS": "slack:UADMIN",
           "POLICYBOT_PUBLIC_URL": PUBLIC, **extra}
    if smtp_port:
        env |= {"POLICYBOT_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
                "POLICYBOT_ALERT_EMAILS": RECIPIENTS,
                "POLICYBOT_ALERT_FROM": "policybot@lausd.net"}
    if webhook:
        env["POLICYBOT_ALERT_WEBHOOK_URL"] = webhook
    return Settings.from_env(env)


def alerting_bot(settings, fake_encoder, clock=None):
    bot = build_bot(settings, encoder=fake_encoder)
    if clock is not None:
        bot.alerts.clock = clock
    return bot


def report(bot, *, urgent: bool, identity: str = "named", user: str = REPORTER) -> str:
    """A whole report through the chat, as a Slack user would type it; returns the case
    number from the receipt."""
    conv = f"slack:D0{user[-4:]}:"

    def say(text):
        return bot.handle(Incoming(text=text, conversation_id=conv, user_id=user,
                                   platform="slack"))

    for text in ("report", "threatening", "yes" if urgent else "no", "instagram", LINK,
                 "today", "student", DESCRIPTION, identity):
        say(text)
    receipt = say("submit")
    number = next(r for r in receipt if r.kind == "receipt").data["case_number"]
    return number


def hidden_from_alerts(bot, number: str) -> list[str]:
    """Everything an alert must not carry: masked fields, the reporter, the answers."""
    case = bot.cases.get(number, "slack:UADMIN", reveal=True)
    hidden = [DESCRIPTION, LINK, "SECRETLINK999", "Alvarez", REPORTER, "U0REPORTER42",
              case["description"], case["link"]]
    return [h for h in hidden if h]
