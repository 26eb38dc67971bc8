"""Hot reload: a running server picks up a changed knowledge folder within seconds.

`KnowledgeWatcher` looks at the folder's bulletin files (names, sizes, modification
times) every `interval` seconds; when they changed it rebuilds the knowledge base and
its retrievers in its own thread (never on the event loop) and swaps them into the bot
in one step, so requests keep being answered by the old knowledge until the new one is
ready. Every worker process runs its own watcher, so `policybot knowledge add`, a
publish in the admin console or a hand edit reaches all of them. A folder that does not
load (a half-edited file) leaves the running knowledge as it is, with a warning.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from infra.errors import KnowledgeError
from infra.periodic import Periodic

log = logging.getLogger(__name__)


def folder_stamp(folder: str | Path) -> str:
    """Changes whenever a bulletin file is added, removed or rewritten."""
    parts = []
    for path in sorted(Path(folder).glob("*.y*ml")):
        try:
            st = path.stat()
        except OSError:
            continue  # removed between listing and looking
        parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class KnowledgeWatcher:
    def __init__(self, bot, interval: float = 2.0):
        self.bot = bot
        self.interval = interval
        self.stamp = folder_stamp(bot.settings.knowledge_dir)
        self.reloads = 0
        self._lock = threading.Lock()
        self._thread: Periodic | None = None

    def check(self) -> bool:
        """Reload if the folder changed since the last look; True when it reloaded."""
        from bot.app import reload_knowledge

        with self._lock:
            stamp = folder_stamp(self.bot.settings.knowledge_dir)
            if stamp == self.stamp:
                return False
            self.stamp = stamp  # a folder that fails to load is not retried until it changes
            try:
                count = reload_knowledge(self.bot)
            except KnowledgeError as e:
                log.warning("knowledge folder changed but does not load; still answering "
                            "from the previous knowledge: %s", e)
                return False
            self.reloads += 1
            log.info("knowledge reloaded: %d entries", count)
            return True

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = Periodic("knowledge-watcher", self.interval, self.check,
                                lambda e: log.exception("knowledge reload failed")).start()

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop(timeout=10)
            self._thread = None
