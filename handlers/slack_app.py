"""The Slack app underneath the Slack front end: the Bolt app and its Web API client, calls
into the core off the event loop, background tasks, the HTTP entry point, and the
lifecycle (token check at start, Socket Mode, stop). The listeners are in slack.py."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.config import Settings
from bot.core import Bot
from bot.dedup import claim_event
from bot.models import Incoming, Reply
from handlers.runtime import BotRef
from handlers.slack_client import API_TIMEOUT, build_client, retry_handlers
from infra.errors import ConfigError

log = logging.getLogger("handlers.slack")  # the Slack front end's log, as before the split
TOKEN_CHECK_TIMEOUT = 5  # seconds auth.test may take at start before we go on without it
REFUSED_TOKEN = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked",
                           "token_expired", "not_allowed_token_type"})


class SlackApp:
    def __init__(self, ref: BotRef, settings: Settings, api_timeout: float = API_TIMEOUT):
        self.ref = ref
        self.settings = settings
        self.api_timeout = api_timeout
        self.client = build_client(settings, api_timeout)
        socket_only = bool(settings.slack_app_token and not settings.slack_signing_secret)
        self.bolt = AsyncApp(client=self.client, signing_secret=settings.slack_signing_secret or "",
                             request_verification_enabled=not socket_only,
                             logger=logging.getLogger("policybot.slack.bolt"))
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: set[asyncio.Task] = set()
        self.socket_handler = None

    # ------------------------------------------------------------ plumbing

    @property
    def bot(self) -> Bot:
        if self.ref.bot is None:
            raise RuntimeError("policybot is still starting")
        return self.ref.bot

    async def call_core(self, fn, *args, **kwargs):
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def handle(self, incoming: Incoming) -> list[Reply]:
        return await self.call_core(self.bot.handle, incoming)

    async def claim(self, key: str) -> bool:
        return await self.call_core(claim_event, self.bot.storage, key)

    def spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack background work failed", exc_info=task.exception())

    async def api(self, method: str, **kwargs) -> dict[str, Any] | None:
        """One Web API call (retried by the client's handlers); failures are logged, never
        raised into a listener."""
        try:
            args = {k: v for k, v in kwargs.items() if v is not None}
            response = await self.client.api_call(method, json=args)
            return response.data if isinstance(response.data, dict) else {}
        except SlackApiError as e:
            log.error("Slack Web API %s failed: %s", method, e.response.get("error"))
        except Exception as e:  # noqa: BLE001 - network trouble after all retries
            log.error("Slack Web API %s failed after retries: %s", method, type(e).__name__)
        return None

    async def respond(self, response_url: str, message: dict[str, Any],
                      response_type: str = "ephemeral") -> None:
        client = AsyncWebhookClient(response_url, timeout=int(self.api_timeout),
                                    retry_handlers=retry_handlers())
        try:
            await client.send_dict({"response_type": response_type, "replace_original": False,
                                    **message})
        except Exception as e:  # noqa: BLE001
            log.error("Slack response_url failed after retries: %s", type(e).__name__)

    async def handle_http(self, request: web.Request) -> web.Response:
        try:
            bolt_request = await to_bolt_request(request)
        except web.HTTPException:
            raise  # 413 for a body over the limit
        except Exception as e:  # noqa: BLE001
            # Bolt parses the body (and builds its context from it: authorizations[0],
            # response_urls[0], ...) before it checks the signature. That is parsing only,
            # with no side effects, so any failure there is a body we cannot read: 400.
            log.warning("Slack request refused: unreadable body (%s)", type(e).__name__)
            return web.Response(status=400, text="Bad request: the body is not a Slack payload")
        try:
            response = await self.bolt.async_dispatch(bolt_request)
        except Exception as e:  # noqa: BLE001
            # Only Bolt's own parsing gets here (a signed payload with fields of the wrong
            # shape breaks even its error funnel); listener errors go to on_error.
            log.warning("Slack request refused: malformed payload (%s)", type(e).__name__)
            return web.Response(status=400, text="Bad request: malformed Slack payload")
        return await to_aiohttp_response(response)

    # ------------------------------------------------------------ lifecycle

    async def start(self, app: web.Application) -> None:
        self.loop = asyncio.get_running_loop()
        await self.check_token()
        if self.settings.slack_app_token:
            if self.ref.ready:
                self.spawn(self.connect_socket_mode())
            else:
                self.ref.on_ready(lambda _bot: self.loop.call_soon_threadsafe(
                    self.spawn, self.connect_socket_mode()))

    async def check_token(self) -> None:
        """auth.test once at start: a token Slack refuses stops the start (ConfigError); a
        Slack that cannot be reached is a warning (the server starts, the calls retry)."""
        client = AsyncWebClient(token=self.settings.slack_bot_token,
                                base_url=self.client.base_url, timeout=TOKEN_CHECK_TIMEOUT)
        try:
            answer = await asyncio.wait_for(client.auth_test(), TOKEN_CHECK_TIMEOUT + 1)
        except SlackApiError as e:
            error = e.response.get("error")
            if error in REFUSED_TOKEN:
                raise ConfigError(f"Slack refused SLACK_BOT_TOKEN ({error}): copy the Bot "
                                  "User OAuth Token again from the app's OAuth & Permissions "
                                  "page (reinstall the app if it was revoked)") from e
            log.warning("Slack token check (auth.test) failed: %s; starting anyway", error)
            return
        except Exception as e:  # noqa: BLE001 - network: Slack may be back later
            log.warning("Slack could not be reached to check SLACK_BOT_TOKEN (%s); starting "
                        "anyway, Slack calls will be retried", type(e).__name__)
            return
        log.info("Slack token checked: policybot is @%s in %s", answer.get("user"),
                 answer.get("team"))

    async def connect_socket_mode(self) -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        try:
            self.socket_handler = AsyncSocketModeHandler(self.bolt, self.settings.slack_app_token)
            await self.socket_handler.connect_async()
            log.info("Slack Socket Mode connected")
        except Exception as e:  # noqa: BLE001 - the rest of the server keeps running
            log.error("Slack Socket Mode could not connect: %s", e)

    async def stop(self, app: web.Application) -> None:
        if self.socket_handler is not None:
            await self.socket_handler.close_async()
        for task in list(self.tasks):
            task.cancel()
