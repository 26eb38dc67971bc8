"""Core events through the outbox (bot/events.py): written in the transaction of the change,
announced once per consumer however many processes share the database, late only when
the publishing process could not announce them, never when stale."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.cases import CaseStore
from bot.config import Settings
from bot.events import CaseOpened, CaseUpdated, EventBus, ReporterAsked
from infra.db import Storage

ADMIN = "slack:UADMIN"
REPORTER = "slack:UREPORTER77"
DRAFT = {"category": "harassing", "danger": "no", "platform": "facebook",
         "link": "https://facebook.com/p/1", "when": "2026-03-01", "target": "student",
         "description": "They posted a photo of a student.", "identity": "named"}


class Process:
    """One process's view of the shared database: its own Storage, bus and case store."""

    def __init__(self, path, consumer: str | None = "slack"):
        self.storage = Storage(path)
        self.storage.migrate()
        self.bus = EventBus(self.storage)
        self.heard: list = []
        if consumer:
            self.bus.subscribe(self.heard.append, consumer=consumer)
        self.cases = CaseStore(self.storage, Settings(db_path=str(path),
                                                      admins=frozenset({ADMIN})), self.bus)

    def open_case(self) -> str:
        return self.cases.open_case(DRAFT, REPORTER, False, [])[0]["number"]


@pytest.fixture
def path(tmp_path):
    return tmp_path / "shared.db"


def test_the_event_is_in_the_outbox_with_the_change_and_announced_at_once(path):
    server = Process(path)
    number = server.open_case()
    assert server.heard == [CaseOpened(number=number, urgent=False)]
    [row] = server.storage.db["outbox"].rows
    assert row["kind"] == "CaseOpened" and json.loads(row["payload"])["number"] == number
    assert server.bus.deliver_pending() == 0  # already taken by the publishing process


def test_a_failed_change_leaves_no_event(path):
    server = Process(path)

    def fail(db):
        raise RuntimeError("disk said no")

    with pytest.raises(RuntimeError):
        server.cases.open_case(DRAFT, REPORTER, False, [], in_transaction=fail)
    assert server.storage.db["outbox"].count == 0 and server.heard == []


def test_an_event_from_another_process_is_announced_once_by_one_of_the_workers(path):
    cli = Process(path, consumer=None)  # `policybot cases ask`: no front end listening
    number = cli.open_case()
    cli.cases.ask_reporter(number, "Which account posted it?", ADMIN)
    workers = [Process(path), Process(path)]
    delivered = [w.bus.deliver_pending() for w in workers] + \
                [w.bus.deliver_pending() for w in workers]
    assert sum(delivered) == 2  # CaseOpened and ReporterAsked, each once in all
    heard = workers[0].heard + workers[1].heard
    assert sorted(type(e).__name__ for e in heard) == ["CaseOpened", "ReporterAsked"]
    asked = next(e for e in heard if isinstance(e, ReporterAsked))
    assert asked == ReporterAsked(number=number, reporter_id=REPORTER,
                                  text="Which account posted it?")


def test_each_consumer_gets_its_own_copy(path):
    cli = Process(path, consumer=None)
    number = cli.open_case()
    server = Process(path)
    teams: list = []
    server.bus.subscribe(teams.append, consumer="teams")
    assert server.bus.deliver_pending() == 2
    assert server.heard == teams == [CaseOpened(number=number, urgent=False)]


def test_a_publisher_that_died_before_announcing_is_covered_by_the_poller(path):
    dying = Process(path)
    dying.bus.publish = lambda event, event_id=None: None  # killed right after the commit
    number = dying.open_case()
    dying.cases.set_status(number, "triaged", ADMIN)
    restarted = Process(path)
    assert restarted.bus.deliver_pending() == 2
    assert restarted.heard == [CaseOpened(number=number, urgent=False),
                               CaseUpdated(number=number, action="status_changed")]


def test_stale_events_are_not_announced_and_old_ones_are_deleted(path):
    cli = Process(path, consumer=None)
    cli.open_case()
    two_hours = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="seconds")
    eight_days = (datetime.now(UTC) - timedelta(days=8)).isoformat(timespec="seconds")
    with cli.storage.write() as db:
        db.execute("UPDATE outbox SET created_at = ?", [two_hours])
        db.execute("INSERT INTO outbox (kind, payload, created_at) VALUES "
                   "('CaseOpened', '{\"number\": \"2020-0001\", \"urgent\": true}', ?)",
                   [eight_days])
    server = Process(path)
    assert server.bus.deliver_pending() == 0 and server.heard == []
    assert [r["created_at"] for r in server.storage.db["outbox"].rows] == [two_hours]


def test_an_unreadable_event_is_skipped_and_the_rest_delivered(path, caplog):
    server = Process(path)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with server.storage.write() as db:
        db.execute("INSERT INTO outbox (kind, payload, created_at) VALUES ('Nonsense', '{}', ?)",
                   [now])
        db.execute("INSERT INTO outbox (kind, payload, created_at) VALUES "
                   "('CaseUpdated', '{\"number\": \"2026-0001\", \"action\": \"assigned\"}', ?)",
                   [now])
    assert server.bus.deliver_pending() == 1
    assert server.heard == [CaseUpdated(number="2026-0001", action="assigned")]
    assert "cannot be read" in caplog.text


def test_the_poller_thread_delivers_and_stops(path):
    cli = Process(path, consumer=None)
    server = Process(path)
    server.bus.start_polling(interval=0.05)
    try:
        number = cli.open_case()
        deadline = time.monotonic() + 10
        while not server.heard and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.heard == [CaseOpened(number=number, urgent=False)]
    finally:
        server.bus.stop_polling()
    assert server.bus._poller is None
