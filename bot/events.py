"""Things that happened in the core that front ends may want to announce.

Front ends subscribe (e.g. Slack posts a masked summary of a new case to the admin
channel); the core publishes. Listeners are called synchronously in the thread
that published: an async front end schedules its own work with
`loop.call_soon_threadsafe` and must return quickly. A failing listener is
logged and never breaks the core.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

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


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Callable[[Event], None]] = []

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        self._listeners.append(listener)

    def publish(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - a front end's failure must not undo core work
                log.exception("event listener failed for %s", type(event).__name__)
