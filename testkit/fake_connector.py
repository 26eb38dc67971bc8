"""A local fake of the Bot Framework connector (the activity's serviceUrl) on loopback.

Records what the bot sends: POST /v3/conversations/{id}/activities[/{replyToId}],
PUT /v3/conversations/{id}/activities/{id} (a card updated in place) and
POST /v3/conversations (a proactive 1:1 chat). `fail(status, times, retry_after)` makes
the next `times` activity posts answer `status` (with a Retry-After header if given).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Sent:
    conversation_id: str
    reply_to_id: str | None
    activity: dict[str, Any]
    authorization: str | None

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [a["content"] for a in self.activity.get("attachments") or []
                if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]

    @property
    def text(self) -> str:
        return self.activity.get("text") or ""


@dataclass
class FakeConnector:
    sent: list[Sent] = field(default_factory=list)
    attempts: int = 0
    created: list[dict[str, Any]] = field(default_factory=list)
    updated: list[Sent] = field(default_factory=list)  # PUT: a sent card replaced in place
    _failures: list[tuple[int, str | None]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    server: TestServer | None = None

    def fail(self, status: int, times: int = 1, retry_after: str | None = None) -> None:
        self._failures += [(status, retry_after)] * times

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}"

    def cards(self) -> list[dict[str, Any]]:
        return [c for s in self.sent for c in s.cards]

    def to(self, conversation_id: str) -> list[Sent]:
        return [s for s in self.sent if s.conversation_id == conversation_id]

    async def _activity(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self._failures:
            status, retry_after = self._failures.pop(0)
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            return web.json_response({"error": {"code": "Throttled" if status == 429 else
                                                "ServiceError", "message": "fake failure"}},
                                     status=status, headers=headers)
        body = await request.json()
        self.sent.append(Sent(request.match_info["conversation_id"],
                              request.match_info.get("reply_to_id"), body,
                              request.headers.get("Authorization")))
        return web.json_response({"id": f"sent-{next(self._ids)}"})

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.created.append(body)
        member = (body.get("members") or [{}])[0].get("id", "unknown")
        return web.json_response({"id": f"a:personal-{member}", "activityId": None})

    async def _update(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.updated.append(Sent(request.match_info["conversation_id"],
                                 request.match_info["reply_to_id"], body,
                                 request.headers.get("Authorization")))
        return web.json_response({"id": request.match_info["reply_to_id"]})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._activity)
        app.router.add_post("/v3/conversations/{conversation_id}/activities/{reply_to_id}",
                            self._activity)
        app.router.add_put("/v3/conversations/{conversation_id}/activities/{reply_to_id}",
                           self._update)
        return app

    async def start(self) -> FakeConnector:
        self.server = TestServer(self.app(), host="127.0.0.1")
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()
