"""A background loop: a daemon thread that runs one round every `interval` seconds, or at
once when woken, until stopped. A round that raises is logged and the loop goes on, so a
storage fault never ends the server's outbox poller, alerts sender or knowledge watcher.

(APScheduler would do it, with a scheduler, executors and misfire rules for what is one
wait-run-repeat loop here.)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Self

log = logging.getLogger(__name__)


class Periodic:
    """`Periodic(name, interval, round).start()`; `wake()` runs a round now; `stop()` ends
    the loop (a round under way finishes first) and joins the thread. `failed(error)` is
    called in the except block of a round that raised (default: the traceback, logged).
    A Periodic runs once: make a new one to start again after stopping."""

    def __init__(self, name: str, interval: float, round: Callable[[], object],
                 failed: Callable[[Exception], None] | None = None):
        self.interval = interval
        self.round = round
        self.failed = failed or (lambda e: log.exception("%s: a round failed", name))
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.round()
            except Exception as e:  # noqa: BLE001 - keep going through a storage fault
                self.failed(e)
