"""The Slack test harness: create_app(settings, ref) with Slack on, served on 127.0.0.1
and talking to testkit/fake_slack.py, plus helpers that build signed, real-shaped payloads
(tests/payloads/slack/). Used by test_slack.py, test_faults_http.py and test_privacy.py."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from pathlib import Path
from typing import Self
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient, TestServer

from handlers.runtime import BotRef
from handlers.server import create_app
from handlers.slack import SLACK_KEY
from testkit import slack_payloads
from testkit.fake_slack import FakeSlack
from testkit.slack_payloads import load

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PAYLOADS = Path(__file__).parent / "payloads" / "slack"
ADMIN_CHANNEL = "C0ADMINS"
FORM = {"category": "harassing", "danger": "no", "platform": "facebook",
        "link": "https://facebook.com/posts/123", "when": "2026-01-15", "target": "student",
        "description": "A parent posted that Maria Lopez from room 12 is stupid.",
        "identity": "named"}


def signed(body: str, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    return slack_payloads.signed(body, secret, timestamp)


def event_payload(name: str, event_id: str | None = None, **event_changes) -> dict:
    payload = load(name)
    if event_id:
        payload["event_id"] = event_id
    payload["event"].update(event_changes)
    return payload


def block_action(action_id: str, value: str, block_id: str, user: str = "UADMIN",
                 channel: str = ADMIN_CHANNEL, ephemeral: bool = False,
                 response_url: str | None = None) -> dict:
    payload = load("block_actions_case")
    payload["user"]["id"] = user
    payload["channel"]["id"] = channel
    payload["container"].update({"channel_id": channel, "is_ephemeral": ephemeral})
    if response_url:
        payload["response_url"] = response_url
    payload["actions"][0].update({"action_id": action_id, "value": value, "block_id": block_id})
    payload["trigger_id"] = fresh_trigger()  # Slack makes one per press
    return payload


def select_action(action_id: str, value: str, block_id: str, user: str = "UADMIN") -> dict:
    """A choice made in a static_select (Slack sends selected_option, no value)."""
    payload = load("block_actions_select")
    payload["user"]["id"] = user
    payload["actions"][0].update({"action_id": action_id, "block_id": block_id})
    payload["actions"][0]["selected_option"]["value"] = value
    payload["trigger_id"] = fresh_trigger()  # Slack makes one per choice
    return payload


_triggers = itertools.count(1)


def fresh_trigger() -> str:
    """A new trigger_id, as Slack makes for every press, command and submission (a request
    carrying one already seen is a replay and does nothing)."""
    return f"1337.{next(_triggers):06d}.{uuid.uuid4().hex[:16]}"


class Slack:
    """create_app(settings, ref) with Slack on, ref.set(bot), served on 127.0.0.1."""

    def __init__(self, settings, bot, **changes):
        self.base_settings, self.bot, self.changes = settings, bot, changes
        self.fake = FakeSlack()

    async def __aenter__(self) -> Self:
        await self.fake.start()
        self.settings = self.base_settings.with_(
            slack_bot_token="xoxb-test-token", slack_signing_secret=SECRET,
            slack_api_url=self.fake.api_url, slack_admin_channel=ADMIN_CHANNEL, **self.changes)
        self.ref = BotRef()
        self.app = create_app(self.settings, self.ref)
        self.ref.set(self.bot)
        self.client = TestClient(TestServer(self.app, host="127.0.0.1"))
        await self.client.start_server()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.close()
        await self.fake.stop()

    async def post(self, body: str, content_type: str, headers: dict | None = None):
        return await self.client.post("/slack/events", data=body.encode(), headers={
            "Content-Type": content_type, **signed(body), **(headers or {})})

    async def event(self, payload: dict, retry: int | None = None, **kw):
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} \
            if retry else {}
        return await self.post(json.dumps(payload), "application/json", headers)

    async def form(self, fields: dict):
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded")

    async def interact(self, payload: dict):
        return await self.form({"payload": json.dumps(payload)})

    async def command(self, name: str, text: str | None = None, user: str | None = None,
                      channel: str | None = None):
        fields = load(name)
        fields["response_url"] = self.fake.response_url(name)
        fields["trigger_id"] = self.last_trigger = fresh_trigger()  # one per command
        if text is not None:
            fields["text"] = text
        if user:
            fields["user_id"] = user
        if channel:
            fields["channel_id"] = channel
        return await self.form(fields)

    def questions(self) -> int:
        return self.bot.storage.db["questions"].count

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until every Bolt listener started so far and every background task of the
        Slack front end has finished: "nothing else happened" is then a fact, not a guess
        after a fixed sleep. Bolt starts a listener's task before it answers the request,
        so a listener that should not have run at all is waited for too."""
        front = self.app[SLACK_KEY]
        deadline = time.monotonic() + timeout
        while busy := [t for t in asyncio.all_tasks() if not t.done() and (
                t in front.tasks
                or "run_ack_function_asynchronously" in t.get_coro().__qualname__)]:
            if time.monotonic() > deadline:
                raise AssertionError(f"Slack work still running after {timeout}s: {busy}")
            await asyncio.sleep(0.01)


def drive(settings, bot, scenario, **changes) -> None:
    async def main() -> None:
        async with Slack(settings, bot, **changes) as slack:
            await scenario(slack)
    asyncio.run(main())


def all_text(blocks: list) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def buttons(blocks: list) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
