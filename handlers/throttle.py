"""Per-client rate limits for the HTTP front ends (the `limits` library's moving window,
kept in this process's memory: with `--workers N` each worker counts on its own).

The client is the connection's address. A connection from loopback is either the
machine itself (tests, the operator: not limited by address) or a TLS terminator on the
same machine, whose `X-Forwarded-For` names the real client (its last entry, the one the
terminator added). docs/security.md says how to deploy behind one.
"""

from __future__ import annotations

import math
import time

from aiohttp import web
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from bot.config import is_loopback


class Throttle:
    def __init__(self, rate: str):
        self.item = parse(rate)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, *key: str) -> bool:
        """Count one event for `key`; False once the rate is exceeded."""
        return self.limiter.hit(self.item, *key)

    def open(self, *key: str) -> bool:
        """True while `key` is under its limit (nothing is counted)."""
        return self.limiter.test(self.item, *key)

    def retry_after(self, *key: str) -> int:
        """Seconds until `key` may act again (at least 1)."""
        reset = self.limiter.get_window_stats(self.item, *key).reset_time
        return max(1, math.ceil(reset - time.time()))


def client_address(request: web.Request) -> str | None:
    """Who to count a request against, or None for the machine itself."""
    remote = request.remote or "unknown"
    if not is_loopback(remote):
        return remote
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
    return forwarded or None


def too_many(retry_after: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=429,
                             headers={"Retry-After": str(retry_after)})
