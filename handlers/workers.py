"""`policybot serve --workers N`: N server processes behind one port, run by gunicorn.

One process answers with one core: the model's forward pass releases the GIL, but the
rest of a turn (retrieval features, SQLite, the event loop) does not, so on a 2-core
machine a second process is what uses the second core. Everything the processes share
lives in the SQLite database already (conversations, cases, sessions' signing key,
admin lockouts, Slack/Teams de-duplication), so any worker can take any request.

gunicorn's arbiter forks the workers, restarts one that dies and stops them all on
SIGTERM/SIGINT. Each worker builds its own app and core after the fork (nothing
model- or database-related is opened in the arbiter, which only runs the migrations
first so that workers never race to create tables), and takes connections only once
its core is ready.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web
from gunicorn.app.base import BaseApplication

from bot.config import Settings

log = logging.getLogger(__name__)


class PolicybotWorkers(BaseApplication):
    def __init__(self, settings: Settings, host: str, port: int, workers: int,
                 make_app: Callable[..., web.Application]):
        self.settings = settings
        self.make_app = make_app
        self.options = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "aiohttp.GunicornWebWorker",
            "timeout": 120,  # a first start encodes the knowledge base before it is ready
            "graceful_timeout": 15,
            "accesslog": None,  # no access log: URLs must not carry anyone's activity
            "loglevel": settings.log_level.lower(),
            "proc_name": "policybot",
            "control_socket_disable": True,  # no gunicornc socket in $HOME: nothing uses it
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> web.Application:
        return self.make_app(self.settings, wait=True)  # in the worker, after the fork


def serve_workers(settings: Settings, host: str, port: int, workers: int,
                  make_app: Callable[..., web.Application]) -> None:
    """Run `make_app(settings, wait=True)` (handlers.server.served_app) in each worker.
    The database is migrated (handlers.server.prepare_database) before this is called."""
    log.info("policybot listening on http://%s:%s with %d worker processes", host, port,
             workers)
    PolicybotWorkers(settings, host, port, workers, make_app).run()
