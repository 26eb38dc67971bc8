"""A hanging Slack Web API or Bot Framework connector never blocks the event loop.

Retries on 429 (Retry-After), 5xx and timeouts are covered already:
tests/test_slack.py::test_rate_limited_post_message_is_retried_and_delivered_once,
::test_server_errors_and_a_hanging_api_are_retried, ::test_a_retried_event_gets_one_answer,
tests/test_teams.py::test_connector_429_then_success_is_delivered_once,
::test_connector_500s_are_retried_with_backoff. What is added here: while one reply hangs,
/healthz and other people's questions are still answered at once, and the hung reply is
then delivered exactly once."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web
from slack_harness import Slack, drive, event_payload
from teams_harness import TeamsEnv, payload

from handlers.slack import SLACK_KEY
from testkit.fake_connector import FakeConnector

QUICK = 0.5  # seconds: "answers at once" on a loaded 2-CPU CI machine


def test_a_hanging_post_message_blocks_neither_healthz_nor_other_questions(settings, bot):
    async def scenario(s: Slack) -> None:
        s.app[SLACK_KEY].client.timeout = 2
        s.fake.fail("chat.postMessage", status=200, hang=4)  # first call hangs, then 504
        first = event_payload("message_im", "Ev0HANG00001", channel="D0HANGING1",
                              user="UHANGING1")
        assert (await s.event(first)).status == 200
        deadline = time.monotonic() + 10
        while not any(c.status == 0 for c in s.fake.calls_to("chat.postMessage", False)):
            assert time.monotonic() < deadline, "the first answer never reached the fake"
            await asyncio.sleep(0.01)

        started = time.perf_counter()
        health = await s.client.get("/healthz")
        assert health.status == 200
        assert time.perf_counter() - started < QUICK

        second = event_payload("message_im", "Ev0HANG00002", channel="D0QUICK002",
                               user="UQUICK0002", text="Can I friend a parent on Facebook?")
        started = time.perf_counter()
        assert (await s.event(second)).status == 200
        await s.fake.wait_for("chat.postMessage", timeout=5,
                              where=lambda c: c.args["channel"] == "D0QUICK002")
        assert time.perf_counter() - started < 2 * QUICK
        # the hung call is still in progress: the quick answer did not wait for it
        assert not any(c.args["channel"] == "D0HANGING1"
                       for c in s.fake.calls_to("chat.postMessage"))

        # the hung reply times out, is retried and arrives exactly once
        await s.fake.wait_for("chat.postMessage", timeout=15,
                              where=lambda c: c.args["channel"] == "D0HANGING1")
        await s.settled()
        delivered = [c for c in s.fake.calls_to("chat.postMessage")
                     if c.args["channel"] == "D0HANGING1"]
        assert len(delivered) == 1

    drive(settings, bot, scenario)


class HangingConnector(FakeConnector):
    """The first activity post hangs `hang` seconds before it is accepted."""

    hang: float = 2.0
    hung: asyncio.Event | None = None

    async def _activity(self, request: web.Request) -> web.Response:
        if self.hung is not None and not self.hung.is_set():
            self.hung.set()
            await asyncio.sleep(self.hang)
        return await super()._activity(request)


def test_a_hanging_teams_connector_blocks_neither_healthz_nor_web_chat(settings, bot):
    async def main() -> None:
        env = TeamsEnv(settings, bot)
        async with env:
            await env.connector.close()
            env.connector = await HangingConnector().start()
            env.connector.hung = asyncio.Event()
            post = asyncio.ensure_future(env.post(payload("personal_message")))
            await asyncio.wait_for(env.connector.hung.wait(), 10)

            started = time.perf_counter()
            assert (await env.client.get("/healthz")).status == 200
            assert time.perf_counter() - started < QUICK

            page = await env.client.get("/")
            assert page.status == 200
            started = time.perf_counter()
            response = await env.client.post("/chat/api", json={
                "text": "Can I post photos of my students?"})
            assert response.status == 200
            assert (await response.json())["replies"]
            assert time.perf_counter() - started < QUICK
            assert not post.done()  # the Teams turn is still waiting on the connector

            response = await asyncio.wait_for(post, 15)
            assert response.status == 201
            assert len(env.connector.sent) == 1  # delivered once, after the hang

    asyncio.run(main())
