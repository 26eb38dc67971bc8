"""Things that happened in the core that front ends may want to announce.

Front ends subscribe (e.g. Slack posts a masked summary of a new case to the admin
channel); the core publishes. Listeners are called synchronously in the thread
that published: an async front end schedules its own work with
`loop.call_soon_threadsafe` and must return quickly. A failing listener is
logged and never breaks the core.

Events that must reach people are also written to the `outbox` table inside the
transaction that made the change (`EventBus.record`). A listener subscribed with a
`consumer` name takes an event only by claiming it in `outbox_done`, so each event is
delivered once per consumer however many processes run: right away in the process that
published it, or by `deliver_pending` (polled by the server) when it was published
elsewhere (the CLI, another worker) or when the publishing process died before
announcing it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from bot import i18n
from infra.clock import now_iso
from infra.db import Storage
from infra.errors import StorageError
from infra.periodic import Periodic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseOpened:
    number: str
    urgent: bool


@dataclass(frozen=True)
class ReporterAsked:
    """An administrator asked the reporter of a case a question."""
    number: str
    reporter_id: str | None  # None for anonymous reports: they read it with their key
    text: str


@dataclass(frozen=True)
class CaseUpdated:
    number: str
    action: str  # assigned | status_changed | note_added | reporter_answered


Event = CaseOpened | ReporterAsked | CaseUpdated
KINDS: dict[str, type] = {cls.__name__: cls for cls in (CaseOpened, ReporterAsked, CaseUpdated)}
MAX_AGE = timedelta(hours=1)  # older undelivered events are stale, never announced late
KEEP = timedelta(days=7)  # outbox rows are deleted after this
PRUNE_EVERY = 600.0  # seconds between those deletions


def _ago(delta: timedelta) -> str:
    return (datetime.now(UTC) - delta).isoformat(timespec="seconds")


class EventBus:
    def __init__(self, storage: Storage | None = None) -> None:
        self.storage = storage
        self._listeners: list[tuple[str | None, Callable[[Event], None]]] = []
        self._poller: Periodic | None = None
        self._next_prune = 0.0

    def subscribe(self, listener: Callable[[Event], None], consumer: str | None = None) -> None:
        """`consumer` names a front end that must announce each event once (claimed in the
        database); without it the listener hears every event published in this process."""
        self._listeners.append((consumer, listener))

    @staticmethod
    def record(db: Database, event: Event) -> int:
        """Write `event` to the outbox in the caller's write transaction; returns its id."""
        cursor = db.execute("INSERT INTO outbox (kind, payload, created_at) VALUES (?, ?, ?)",
                            [type(event).__name__, json.dumps(asdict(event)), now_iso()])
        return cursor.lastrowid

    def publish(self, event: Event, event_id: int | None = None) -> None:
        for consumer, listener in list(self._listeners):
            if consumer is not None and event_id is not None and not self._claim(event_id,
                                                                                 consumer):
                continue
            self._hand(listener, event)

    @staticmethod
    def _hand(listener: Callable[[Event], None], event: Event) -> None:
        # A listener runs in the publisher's context, which may be a reporter's request in
        # their language. It is run in the default language instead, so what it tells
        # administrators (the admin channel's post, alerts), and any task it schedules
        # (which copies the context), is English whoever reported: an anonymous reporter's
        # language reaches no one. A message to a named reporter sets its own language
        # (the case's reporter_lang).
        try:
            with i18n.language(None):
                listener(event)
        except Exception:  # noqa: BLE001 - a front end's failure must not undo core work
            log.exception("event listener failed for %s", type(event).__name__)

    def _claim(self, event_id: int, consumer: str) -> bool:
        if self.storage is None:
            return True
        try:
            with self.storage.write() as db:
                cursor = db.execute("INSERT OR IGNORE INTO outbox_done (event_id, consumer, "
                                    "done_at) VALUES (?, ?, ?)", [event_id, consumer, now_iso()])
                return cursor.rowcount == 1
        except StorageError as e:
            log.warning("event %s not claimed for %s: %s", event_id, consumer, e)
            return False

    def deliver_pending(self) -> int:
        """Announce recent outbox events that no process has taken for a subscribed
        consumer yet; forget old ones. Returns how many were delivered."""
        consumers = {c for c, _ in self._listeners if c is not None}
        if self.storage is None or not consumers:
            return 0
        delivered = 0
        db = self.storage.db
        for consumer in sorted(consumers):
            rows = list(db.query(
                "SELECT id, kind, payload FROM outbox o WHERE created_at >= ? AND NOT EXISTS "
                "(SELECT 1 FROM outbox_done d WHERE d.event_id = o.id AND d.consumer = ?) "
                "ORDER BY id LIMIT 200", [_ago(MAX_AGE), consumer]))
            for row in rows:
                event = self._decode(row)
                if event is None or not self._claim(row["id"], consumer):
                    continue
                for name, listener in list(self._listeners):
                    if name == consumer:
                        self._hand(listener, event)
                delivered += 1
        if time.monotonic() >= self._next_prune:  # a write, so not on every poll
            self._next_prune = time.monotonic() + PRUNE_EVERY
            with self.storage.write() as db:
                db.execute("DELETE FROM outbox WHERE created_at < ?", [_ago(KEEP)])
        return delivered

    @staticmethod
    def _decode(row: dict[str, Any]) -> Event | None:
        try:
            return KINDS[row["kind"]](**json.loads(row["payload"]))
        except (KeyError, TypeError, ValueError):
            log.warning("outbox event %s (%s) cannot be read; skipped", row["id"], row["kind"])
            return None

    def start_polling(self, interval: float = 2.0) -> None:
        """A daemon thread running deliver_pending every `interval` seconds (the server)."""
        if self._poller is not None or self.storage is None:
            return
        self._poller = Periodic("outbox-poller", interval, self.deliver_pending,
                                lambda e: log.warning("outbox delivery failed: %s", e)).start()

    def stop_polling(self) -> None:
        if self._poller is not None:
            self._poller.stop()
            self._poller = None
