"""A local fake of Slack's Web API (and response_url hooks) on 127.0.0.1.

It answers like Slack (`{"ok": true, ...}`), records every call (including the ones it
failed on purpose) and can be told to answer the next calls of a method with 429 and
Retry-After, a 5xx, or to hang:

    fake = FakeSlack()
    await fake.start()                       # in the test's event loop
    settings = settings.with_(slack_api_url=fake.api_url)
    fake.fail("chat.postMessage", status=429, retry_after=1)
    await fake.wait_for("chat.postMessage")  # -> the first successful call
    fake.start_in_thread() / fake.stop_in_thread()   # own loop (benchmarks)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSON_FIELDS = ("blocks", "view", "attachments", "metadata")


@dataclass
class Call:
    method: str  # "chat.postMessage", ... or "response_url"
    args: dict[str, Any]
    headers: dict[str, str]
    status: int = 200  # what the fake answered (0: it hung)
    at: float = field(default_factory=time.perf_counter)
    path: str = ""
    response: dict[str, Any] = field(default_factory=dict)  # what the fake answered


@dataclass
class Fault:
    status: int = 429
    retry_after: int | None = None
    hang: float | None = None


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.faults: dict[str, deque[Fault]] = defaultdict(deque)
        self.errors: dict[str, str] = {}  # method -> Slack error code it answers (HTTP 200)
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None
        self.port = 0

    # ---------------------------------------------------------------- control

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "1") -> str:
        return f"{self.url}/response/{name}"

    def fail(self, method: str, status: int = 429, retry_after: int | None = None,
             hang: float | None = None, times: int = 1) -> None:
        """The next `times` calls of `method` answer `status` (or hang for `hang` s first)."""
        for _ in range(times):
            self.faults[method].append(Fault(status, retry_after, hang))

    def calls_to(self, method: str, ok_only: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.status == 200 or not ok_only)]

    def api_calls(self) -> list[Call]:
        """Every Web API call except the token check Bolt makes once."""
        return [c for c in self.calls if c.method != "auth.test"]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0,
                       where=None) -> list[Call]:
        """Wait until `count` successful calls of `method` (matching `where`) arrived."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls_to(method) if where is None or where(c)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [(c.method, c.status) for c in self.calls]
                raise AssertionError(f"{count} x {method} not seen in {timeout}s; saw {seen}")
            await asyncio.sleep(0.01)

    # ---------------------------------------------------------------- server

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response_url)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start_in_thread(self) -> None:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._thread_loop = loop
            loop.run_until_complete(self.start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-slack", daemon=True)
        self._thread.start()
        ready.wait(10)

    def stop_in_thread(self) -> None:
        if self._thread_loop is not None:
            self._thread_loop.call_soon_threadsafe(self._thread_loop.stop)
            self._thread.join(10)

    # ---------------------------------------------------------------- handlers

    @staticmethod
    async def _args(request: web.Request) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        if request.content_type == "application/json":
            body = await request.text()
            return json.loads(body) if body else {}
        args = dict(await request.post())
        for key in JSON_FIELDS:
            if isinstance(args.get(key), str):
                try:
                    args[key] = json.loads(args[key])
                except ValueError:
                    pass
        return args

    async def _fault(self, method: str, call: Call) -> web.Response | None:
        queue = self.faults.get(method)
        if not queue:
            return None
        fault = queue.popleft()
        if fault.hang:
            call.status = 0  # hung: the caller times out and never sees an answer
            await asyncio.sleep(fault.hang)
            if fault.status == 200:
                return web.json_response({"ok": False, "error": "too_late"}, status=504)
        call.status = fault.status
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        body = {"ok": False, "error": "ratelimited" if fault.status == 429 else "fatal_error"}
        return web.json_response(body, status=fault.status, headers=headers)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = Call(method, await self._args(request), dict(request.headers), path=request.path)
        self.calls.append(call)
        failed = await self._fault(method, call)
        if failed is not None:
            return failed
        if method in self.errors:
            call.response = {"ok": False, "error": self.errors[method]}
            return web.json_response(call.response)
        call.response = self._answer(method, call.args)
        return web.json_response(call.response)

    async def _response_url(self, request: web.Request) -> web.Response:
        call = Call("response_url", await self._args(request), dict(request.headers),
                    path=request.path)
        self.calls.append(call)
        failed = await self._fault("response_url", call)
        return failed if failed is not None else web.Response(text="ok")

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        n = next(self._ts)
        ts = f"{1700000000 + n}.{n:06d}"
        if method == "auth.test":
            return {"ok": True, "url": "https://lausd-test.slack.com/", "team": "LAUSD Test",
                    "user": "policybot", "team_id": "T0LAUSD", "user_id": "UBOTUSER",
                    "bot_id": "BBOTID", "is_enterprise_install": False}
        if method == "chat.postMessage":
            return {"ok": True, "channel": args.get("channel"), "ts": ts,
                    "message": {"type": "message", "text": args.get("text"), "ts": ts,
                                "bot_id": "BBOTID"}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "chat.getPermalink":
            channel, msg = args.get("channel", ""), str(args.get("message_ts", ""))
            return {"ok": True, "channel": channel,
                    "permalink": f"https://lausd-test.slack.com/archives/{channel}/"
                                 f"p{msg.replace('.', '')}"}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            view = dict(args.get("view") or {})
            view.update({"id": f"V{n:08d}", "hash": f"{n}.hash"})
            return {"ok": True, "view": view}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": f"D{n:08d}"}}
        return {"ok": True}
