"""The Teams test harness: the real aiohttp app (handlers.server.create_app) with
botbuilder's CloudAdapter, replying to a local fake Bot Framework connector
(testkit/fake_connector.py), plus the real-shaped activities of tests/payloads/teams/.
Used by test_teams.py, test_faults_http.py and test_privacy.py."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from handlers.runtime import BotRef
from handlers.server import create_app
from handlers.teams import TEAMS
from testkit.fake_connector import FakeConnector

PAYLOADS = Path(__file__).parent / "payloads" / "teams"
PERSONAL = "a:1personalConversationIdXyZ"
CHANNEL_THREAD = "19:staffroomChannelId@thread.tacv2;messageid=1741194340123"
CHANNEL = "19:staffroomChannelId@thread.tacv2"
USER = "teams:6a1b2c3d-0000-4000-8000-00000000a001"


def payload(name: str, **changes) -> dict:
    data = json.loads((PAYLOADS / f"{name}.json").read_text())
    data.update(changes)
    return data


class TeamsEnv:
    def __init__(self, settings, bot):
        self.settings, self.bot = settings, bot

    async def __aenter__(self) -> TeamsEnv:  # noqa: PYI034
        self.connector = await FakeConnector().start()
        ref = BotRef()
        self.app = create_app(self.settings, ref)
        ref.set(self.bot)
        self.client = TestClient(TestServer(self.app, host="127.0.0.1"))
        await self.client.start_server()
        self.front = self.app[TEAMS]
        self.front.retry.base_delay = 0.01
        self.front.retry.max_delay = 0.05
        return self

    async def __aexit__(self, *exc) -> None:
        await self.front.drain()
        await self.client.close()
        await self.connector.close()

    async def post(self, activity: dict, headers: dict | None = None):
        activity = copy.deepcopy(activity)
        activity["serviceUrl"] = self.connector.url
        resp = await self.client.post("/api/messages", json=activity, headers=headers or {})
        await self.front.drain()
        return resp


async def boom(*args, **kwargs):
    """Stands in for a front-end method to make the turn fail."""
    raise RuntimeError("simulated failure")


def run(settings, bot, scenario):
    async def main():
        async with TeamsEnv(settings, bot) as env:
            await scenario(env)

    asyncio.run(main())
