"""The composition root: one aiohttp app serving /healthz, the web chat and admin console,
/slack/events and /api/messages."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from aiohttp import web

from bot.config import Settings, is_loopback
from handlers.runtime import FRONTENDS, REF, SETTINGS, BotRef
from infra.db import Storage
from infra.errors import ConfigError, PolicybotError, StorageError

log = logging.getLogger(__name__)
EXIT_ON_FAILURE = web.AppKey("exit_on_failure", bool)
MAX_BODY = 1024 * 1024  # 1 MiB: far above any real Slack or Teams payload
STARTING_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="3"><title>policybot is starting</title></head>
<body style="font-family: sans-serif; margin: 3em">
<h1>policybot is starting…</h1><p>Loading the policy knowledge base and the language model.
This page refreshes by itself in a few seconds.</p></body></html>"""


@web.middleware
async def not_ready_middleware(request: web.Request, handler):
    ref = request.app[REF]
    if not ref.ready and request.path != "/healthz":
        if request.method == "GET" and "text/html" in request.headers.get("Accept", ""):
            return web.Response(text=STARTING_PAGE, content_type="text/html", status=503,
                                headers={"Retry-After": "5"})
        return web.json_response({"error": "policybot is starting, try again in a moment"},
                                 status=503, headers={"Retry-After": "5"})
    return await handler(request)


async def healthz(request: web.Request) -> web.Response:
    ref = request.app[REF]
    if ref.error:
        return web.json_response({"status": "failed", "error": ref.error}, status=500)
    if not ref.ready:
        return web.json_response({"status": "starting"}, status=503)
    return web.json_response({"status": "ok", **request.app[FRONTENDS]})


def start_watching_knowledge(bot) -> None:
    from bot.reload import KnowledgeWatcher

    bot.knowledge_watcher = KnowledgeWatcher(bot)  # the console also checks it on publish
    bot.knowledge_watcher.start()


def start_alerts(bot) -> None:
    """E-mail and webhook alerts (bot/alerts.py), when they are set."""
    if bot.alerts is not None:
        bot.alerts.start()


def create_app(settings: Settings, ref: BotRef | None = None) -> web.Application:
    """The aiohttp application with every front end mounted. `ref` is filled in by
    `load_bot_in_background` (or directly by tests)."""
    from handlers import slack, teams
    from handlers import web as web_ui

    ref = ref or BotRef()
    app = web.Application(client_max_size=MAX_BODY, middlewares=[not_ready_middleware])
    app[REF] = ref
    app[SETTINGS] = settings
    app[FRONTENDS] = {}
    app.router.add_get("/healthz", healthz)
    app[FRONTENDS]["web"] = web_ui.mount(app, ref, settings)
    app[FRONTENDS]["slack"] = slack.mount(app, ref, settings)
    app[FRONTENDS]["teams"] = teams.mount(app, ref, settings)
    # Announce core events written by other processes (the CLI, another worker) or left
    # unannounced by a crash; events published here are announced at once.
    ref.on_ready(lambda bot: bot.events.start_polling())
    ref.on_ready(start_alerts)
    # Pick up knowledge published by the console, `policybot knowledge add` or an edit.
    ref.on_ready(start_watching_knowledge)

    async def stop_polling(app: web.Application) -> None:
        if ref.bot is not None:
            await asyncio.to_thread(ref.bot.events.stop_polling)
            if ref.bot.alerts is not None:
                await asyncio.to_thread(ref.bot.alerts.stop)
            if ref.bot.knowledge_watcher is not None:
                await asyncio.to_thread(ref.bot.knowledge_watcher.stop)

    app.on_cleanup.append(stop_polling)
    return app


def load_bot_in_background(app: web.Application, build, wait: bool = False) -> None:
    """Build the core in a thread after the server is listening; /healthz turns 200 then.
    With `wait`, the app's start-up waits for it instead (a worker of several: it takes
    connections only once it can answer, so its siblings serve meanwhile)."""

    async def start(app: web.Application) -> None:
        async def load() -> None:
            try:
                bot = await asyncio.to_thread(build)
            except Exception as e:  # noqa: BLE001 - reported on /healthz and in the log
                log.error("policybot could not start: %s", e)
                app[REF].error = str(e)
                if wait:  # a worker of several: it fails to boot, and gunicorn stops
                    raise
                if app.get(EXIT_ON_FAILURE):
                    signal.raise_signal(signal.SIGTERM)  # run_app stops; serve() exits 1
                return
            app[REF].set(bot)
            log.info("policybot is ready")

        if wait:
            await load()
        else:
            app["loader"] = asyncio.create_task(load())

    app.on_startup.append(start)


def served_app(settings: Settings, wait: bool = False) -> web.Application:
    """What `policybot serve` runs: every front end, the core built from `settings`."""
    from bot.app import build_bot

    app = create_app(settings)
    load_bot_in_background(app, lambda: build_bot(settings), wait=wait)
    return app


def prepare_database(settings: Settings) -> None:
    """Open the database and run the migrations before listening: a file that cannot be
    written stops the start with its full path, instead of a server that never gets ready."""
    try:
        storage = Storage(settings.db_path)
        try:
            storage.migrate()
        finally:
            storage.close()
    except StorageError as e:
        raise StorageError(f"{e} (POLICYBOT_DB: {Path(settings.db_path).resolve()})") from e


def check_secret_key(settings: Settings, host: str) -> None:
    """Beyond loopback the secret key must come from the environment: the key file beside
    the database would travel with it in most backups and copies."""
    if not settings.secret_key and not is_loopback(host):
        raise ConfigError(
            f"POLICYBOT_SECRET_KEY is not set, and policybot would listen on {host}, beyond "
            "this machine. Set it to a long random value kept outside the database (e.g. "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`) and start again; "
            "docs/security.md says how to keep and rotate it.")


def serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Run the server until stopped. Raises PolicybotError (the CLI exits 1) when the
    database cannot be opened or the core cannot be built."""
    check_secret_key(settings, host)
    prepare_database(settings)
    if workers > 1:
        from handlers.workers import serve_workers

        serve_workers(settings.with_(host=host, port=port), host, port, workers, served_app)
        return
    settings = settings.with_(host=host, port=port)  # front ends decide by the real bind
    app = served_app(settings)
    app[EXIT_ON_FAILURE] = True
    fronts = ", ".join(f"{k}: {v}" for k, v in app[FRONTENDS].items())
    log.info("policybot listening on http://%s:%s (%s)", host, port, fronts)
    web.run_app(app, host=host, port=port, print=None, access_log=None)
    if app[REF].error:
        raise PolicybotError(f"policybot could not start: {app[REF].error}")
