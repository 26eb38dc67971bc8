"""Alerts for administrators who are not in Slack or Teams: an e-mail (and the optional
webhook) at once for each new urgent case, and a daily digest of new cases.

`Alerts` is one more outbox consumer ("alerts", bot/events.py): it takes each
`CaseOpened` once however many processes run, and turns an urgent one into rows of the
`alert_queue` table, one per channel. The queue is what survives a crash or a mail
server that is down: `run_once` (every few seconds in the server's "alerts" thread)
leases due rows, sends them, marks them sent, and on failure logs it and tries again
later (30 s, doubling, at most 30 min apart) until MAX_ATTEMPTS, then marks the row
failed and logs an error. Delivery is at least once from the queue: a process that dies
between the server's "accepted" and marking the row sent sends it again after the
lease (2 minutes); as the outbox promises, a crash between the outbox claim and the
enqueue loses the alert (a window of one small write).

The digest is planned by the same loop once a day at `Settings.digest_time` in
`Settings.timezone`, for the cases opened in the 24 hours before; a day without new
cases sends nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from bot.alert_config import parse_smtp_url
from bot.alert_messages import (
    AlertCase,
    digest_email,
    digest_json,
    question_email,
    trial_email,
    trial_json,
    urgent_email,
    urgent_json,
)
from bot.alert_transport import DeliveryError, post_webhook, send_email, webhook_key
from bot.config import Settings
from bot.events import CaseOpened, CaseUpdated, EventBus, ReporterAsked
from bot.follow_up import reporter_language
from infra.db import Storage
from infra.periodic import Periodic

log = logging.getLogger(__name__)

CONSUMER = "alerts"
POLL_EVERY = 5.0  # seconds between looks at the queue (and the digest's time)
LEASE = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(minutes=30)
MAX_ATTEMPTS = 20  # about eight hours of trying
KEEP = timedelta(days=30)  # finished queue rows are deleted after this
LATE_DIGEST = timedelta(hours=12)  # a digest not planned by then (server down) is skipped
# The only columns an alert reads: nothing masked, nothing about the reporter.
SAFE_COLUMNS = "number, category, urgency, created_at"


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def utc_now() -> datetime:
    return datetime.now(UTC)


def retry_wait(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


class Alerts:
    def __init__(self, storage: Storage, settings: Settings, events: EventBus,
                 clock: Callable[[], datetime] = utc_now):
        self.storage = storage
        self.settings = settings
        self.clock = clock
        self.smtp = parse_smtp_url(settings.smtp_url) if settings.smtp_url else None
        self.channels = tuple(c for c, on in (("email", self.smtp),
                                              ("webhook", settings.alert_webhook_url)) if on)
        self._thread: Periodic | None = None  # the server's sending loop, once started
        if self.channels:
            events.subscribe(self.on_event, consumer=CONSUMER)

    # -- planning -------------------------------------------------------------------

    def on_event(self, event: Any) -> None:
        # a case raised to urgent later is alerted like one opened urgent; the queue key
        # is per case, so a case is alerted as urgent once
        raised = isinstance(event, CaseUpdated) and event.action == "urgency_changed"
        if (isinstance(event, CaseOpened) and event.urgent) or raised:
            row = next(self.storage.db.query(
                f"SELECT {SAFE_COLUMNS} FROM cases WHERE number = ?", [event.number]), None)
            if row is not None and row["urgency"] == "urgent":
                self.enqueue(f"urgent:{event.number}",
                             {"kind": "urgent", "case": AlertCase.of(row).to_dict()})
                self.wake()
        elif isinstance(event, ReporterAsked) and self.smtp is not None:
            self.notify_reporter(event.number)

    def notify_reporter(self, number: str) -> None:
        """A named reporter who gave an e-mail address (the browser chat) hears that an
        administrator asked a question, in the language they reported in; the question
        stays in the chat."""
        db = self.storage.db
        row = db.execute("SELECT reporter_email FROM cases WHERE number = ?", [number]).fetchone()
        if not row or not row[0]:
            return
        asked = db.execute("SELECT COUNT(*) FROM case_messages WHERE case_number = ? AND "
                           "direction = 'question'", [number]).fetchone()[0]
        self.enqueue(f"asked:{number}:{asked}", {"kind": "question", "number": number},
                     channels=("email",))
        self.wake()

    def enqueue(self, key: str, payload: dict[str, Any], status: str = "pending",
                channels: tuple[str, ...] | None = None) -> None:
        now = iso(self.clock())
        with self.storage.write() as db:
            for channel in self.channels if channels is None else channels:
                db.execute("INSERT OR IGNORE INTO alert_queue (channel, key, payload, status, "
                           "next_try_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           [channel, key, json.dumps(payload), status, now, now])

    def plan_digest(self) -> None:
        """Queue the digest of the last cutoff (digest_time today, or yesterday when that
        is still to come) unless it is queued already or more than LATE_DIGEST late."""
        zone = ZoneInfo(self.settings.timezone)
        now = self.clock()
        hour, minute = map(int, self.settings.digest_time.split(":"))
        day = now.astimezone(zone).date()
        until = datetime.combine(day, time(hour, minute), zone)
        if until > now:
            day -= timedelta(days=1)
            until = datetime.combine(day, time(hour, minute), zone)
        key = f"digest:{day.isoformat()}"
        if now - until > LATE_DIGEST or self.storage.db.execute(
                "SELECT 1 FROM alert_queue WHERE channel = ? AND key = ?",
                [self.channels[0], key]).fetchone():
            return
        since = datetime.combine(day - timedelta(days=1), time(hour, minute), zone)
        cases = [AlertCase.of(row).to_dict() for row in self.storage.db.query(
            f"SELECT {SAFE_COLUMNS} FROM cases WHERE created_at >= ? AND created_at < ? "
            "ORDER BY year, seq", [iso(since), iso(until)])]
        self.enqueue(key, {"kind": "digest", "since": iso(since), "until": iso(until),
                           "cases": cases}, status="pending" if cases else "skipped")
        with self.storage.write() as db:  # once a day: forget what was done long ago
            db.execute("DELETE FROM alert_queue WHERE status != 'pending' AND created_at < ?",
                       [iso(now - KEEP)])

    # -- sending --------------------------------------------------------------------

    def run_once(self) -> int:
        """Plan today's digest, send what is due; returns how many were sent."""
        if not self.channels:
            return 0
        self.plan_digest()
        now = self.clock()
        due = list(self.storage.db.query(
            "SELECT * FROM alert_queue WHERE status = 'pending' AND next_try_at <= ? "
            "AND (lease_until IS NULL OR lease_until <= ?) ORDER BY id LIMIT 20",
            [iso(now), iso(now)]))
        return sum(self._send(row, now) for row in due if self._lease(row["id"], now))

    def _lease(self, row_id: int, now: datetime) -> bool:
        with self.storage.write() as db:
            return db.execute(
                "UPDATE alert_queue SET lease_until = ? WHERE id = ? AND status = 'pending' "
                "AND (lease_until IS NULL OR lease_until <= ?)",
                [iso(now + LEASE), row_id, iso(now)]).rowcount == 1

    def _send(self, row: dict[str, Any], now: datetime) -> bool:
        attempts = row["attempts"] + 1
        try:
            self.deliver(row["channel"], json.loads(row["payload"]))
        except DeliveryError as e:
            failed = attempts >= MAX_ATTEMPTS
            with self.storage.write() as db:
                db.execute("UPDATE alert_queue SET attempts = ?, last_error = ?, status = ?, "
                           "next_try_at = ?, lease_until = NULL WHERE id = ?",
                           [attempts, str(e)[:500], "failed" if failed else "pending",
                            iso(now + retry_wait(attempts)), row["id"]])
            if failed:
                log.error("alert %s by %s not delivered after %d attempts, given up: %s",
                          row["key"], row["channel"], attempts, e)
            else:
                log.warning("alert %s by %s not delivered (attempt %d), trying again in %s: %s",
                            row["key"], row["channel"], attempts, retry_wait(attempts), e)
            return False
        with self.storage.write() as db:
            db.execute("UPDATE alert_queue SET attempts = ?, status = 'sent', sent_at = ?, "
                       "last_error = NULL, lease_until = NULL WHERE id = ?",
                       [attempts, iso(self.clock()), row["id"]])
        log.info("alert %s sent by %s", row["key"], row["channel"])
        return True

    def deliver(self, channel: str, payload: dict[str, Any]) -> None:
        """Send one alert now (`payload["kind"]`: urgent, digest or test); raises
        DeliveryError."""
        if channel == "email":
            send_email(self.smtp, self.email(payload))
        else:
            post_webhook(self.settings.alert_webhook_url, self.json(payload),
                         webhook_key(self.storage.secret))

    def email(self, payload: dict[str, Any]) -> EmailMessage:
        s = self.settings
        if payload["kind"] == "urgent":
            return urgent_email(AlertCase(**payload["case"]), s.alert_from, s.alert_emails,
                                s.public_url, s.timezone)
        if payload["kind"] == "digest":
            return digest_email([AlertCase(**c) for c in payload["cases"]], payload["since"],
                                payload["until"], s.alert_from, s.alert_emails, s.public_url,
                                s.timezone)
        if payload["kind"] == "question":
            row = self.storage.db.execute("SELECT reporter_email FROM cases WHERE number = ?",
                                          [payload["number"]]).fetchone()
            if not row or not row[0]:
                raise DeliveryError(f"case {payload['number']} has no reporter address now")
            return question_email(payload["number"], row[0], s.alert_from, s.public_url,
                                  reporter_language(self.storage.db, payload["number"]))
        return trial_email(s.alert_from, s.alert_emails)

    def json(self, payload: dict[str, Any]) -> dict[str, Any]:
        url = self.settings.public_url
        if payload["kind"] == "urgent":
            return urgent_json(AlertCase(**payload["case"]), url)
        if payload["kind"] == "digest":
            return digest_json([AlertCase(**c) for c in payload["cases"]], payload["since"],
                               payload["until"], url)
        return trial_json()

    # -- the server's thread --------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None or not self.channels:
            return
        self._thread = Periodic("alerts", POLL_EVERY, self.run_once,
                                lambda e: log.warning("alerts: %s", e)).start()

    def wake(self) -> None:
        """An urgent case or a question is sent at once, not at the next poll."""
        loop = self._thread  # read once: stop() may clear it meanwhile
        if loop is not None:
            loop.wake()

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
