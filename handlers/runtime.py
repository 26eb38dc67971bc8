"""BotRef: how front ends reach the core while the server is still loading the model."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from bot.config import Settings
from bot.core import Bot


class BotRef:
    """Filled in once the core is built; front ends mount their routes before that and
    register `on_ready` callbacks (e.g. to subscribe to core events)."""

    def __init__(self) -> None:
        self.bot: Bot | None = None
        self.error: str | None = None
        self._callbacks: list[Callable[[Bot], None]] = []

    def on_ready(self, callback: Callable[[Bot], None]) -> None:
        self._callbacks.append(callback)
        if self.bot is not None:
            callback(self.bot)

    def set(self, bot: Bot) -> None:
        self.bot = bot
        for callback in self._callbacks:
            callback(bot)

    @property
    def ready(self) -> bool:
        return self.bot is not None


REF = web.AppKey("ref", BotRef)
SETTINGS = web.AppKey("settings", Settings)
FRONTENDS = web.AppKey("frontends", dict)  # front end name -> "on (...)" / "off (...)"
