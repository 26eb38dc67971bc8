"""Slack's Web API client as the Slack front end uses it: the base URL (a local fake in
tests), the timeout per attempt, and retries (rate limits, 5xx, dropped connections) that
are logged."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import ClientOSError, ServerConnectionError, ServerDisconnectedError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings

log = logging.getLogger("handlers.slack")  # the Slack front end's log, as before the split
DEFAULT_API_URL = "https://slack.com/api/"
API_TIMEOUT = 10  # seconds per Web API attempt


class _LoggedRetry:
    """Mixin: log every retry of a Web API call (method, cause, attempt)."""

    async def prepare_for_next_attempt_async(self, *, state, request, response=None,
                                             error=None) -> None:
        cause = f"HTTP {response.status_code}" if response is not None else type(error).__name__
        log.warning("Slack Web API %s failed (%s); retrying (attempt %d)",
                    request.url.rsplit("/", 1)[-1], cause, state.current_attempt + 2)
        await super().prepare_for_next_attempt_async(state=state, request=request,
                                                     response=response, error=error)


class RateLimitRetry(_LoggedRetry, AsyncRateLimitErrorRetryHandler):
    pass


class ServerErrorRetry(_LoggedRetry, AsyncServerErrorRetryHandler):
    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:
        return response is not None and response.status_code >= 500


class ConnectionRetry(_LoggedRetry, AsyncConnectionErrorRetryHandler):
    pass


def retry_handlers() -> list:
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    return [RateLimitRetry(max_retry_count=2),
            ServerErrorRetry(max_retry_count=2, interval_calculator=backoff),
            ConnectionRetry(max_retry_count=2, interval_calculator=backoff,
                            error_types=[ServerConnectionError, ServerDisconnectedError,
                                         ClientOSError, asyncio.TimeoutError])]


def build_client(settings: Settings, timeout: float = API_TIMEOUT) -> AsyncWebClient:
    base_url = settings.slack_api_url or DEFAULT_API_URL
    if not base_url.endswith("/"):
        base_url += "/"
    return AsyncWebClient(token=settings.slack_bot_token, base_url=base_url,
                          timeout=int(max(1, timeout)), retry_handlers=retry_handlers())
