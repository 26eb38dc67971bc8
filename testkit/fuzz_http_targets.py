"""The hostile-HTTP fuzz harness: a live server (Live), hypothesis strategies that mutate
real-shaped Slack, Teams and web payloads, and one target per endpoint. Run by
tests/test_fuzz_http.py with fixed examples and by scripts/fuzz_http.py for longer."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import socket
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from handlers.runtime import BotRef
from handlers.server import create_app
from handlers.teams import TEAMS
from testkit.fake_connector import FakeConnector
from testkit.fake_slack import FakeSlack

SECRET = "fuzz-signing-secret-0123456789abcdef"
PAYLOADS = Path(__file__).resolve().parent.parent / "tests" / "payloads"
EXAMPLES = 40  # per target in pytest; scripts/fuzz_http.py uses many more


def _load(kind: str) -> dict[str, Any]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((PAYLOADS / kind).glob("*.json"))}


SLACK = _load("slack")
TEAMS_PAYLOADS = _load("teams")
SLACK_EVENTS = [SLACK[n] for n in ("message_im", "message_channel_thread", "app_mention",
                                   "app_home_opened", "reaction_added")]
SLACK_INTERACTIONS = [SLACK[n] for n in ("view_submission_report", "block_actions_button",
                                         "block_actions_case", "shortcut_report_message")]
SLACK_COMMANDS = [SLACK[n] for n in ("command_policy", "command_report", "command_cases")]


# ---------------------------------------------------------------- the live server

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def loopback_only(getaddrinfo):
    """Fuzzed payloads carry URLs (response_url, serviceUrl): the server under test may
    only ever reach 127.0.0.1, so any other name fails at once, before any DNS query."""
    def guarded(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in LOOPBACK:
            raise socket.gaierror(socket.EAI_NONAME, f"fuzz: {name!r} is not loopback")
        return getaddrinfo(host, *args, **kwargs)

    return guarded


class Live:
    """create_app on 127.0.0.1 with a fake Slack Web API and a fake connector, in an event
    loop of its own thread, so that hypothesis can drive it synchronously."""

    def __init__(self, settings, bot) -> None:
        self.base_settings, self.bot = settings, bot
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzz-live",
                                       daemon=True)
        self.count = 0
        self.statuses: dict[int, int] = {}
        self.ids = itertools.count(1)

    def call(self, coro, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> Live:
        quiet = {"aiohttp.server": logging.ERROR, "handlers.slack": logging.ERROR}
        self._log_levels = {name: logging.getLogger(name).level for name in quiet}
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)
        self._getaddrinfo = socket.getaddrinfo
        socket.getaddrinfo = loopback_only(socket.getaddrinfo)
        self.thread.start()
        self.call(self._start())
        return self

    async def _start(self) -> None:
        self.fake = FakeSlack()
        await self.fake.start()
        self.connector = await FakeConnector().start()
        self.settings = self.base_settings.with_(
            slack_bot_token="xoxb-fuzz", slack_signing_secret=SECRET,
            slack_api_url=self.fake.api_url, slack_admin_channel="C0ADMINS")
        ref = BotRef()
        self.app = create_app(self.settings, ref)
        ref.set(self.bot)
        self.app[TEAMS].retry.base_delay = 0.01
        self.app[TEAMS].retry.max_delay = 0.02
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30),
                                             cookie_jar=aiohttp.CookieJar(unsafe=True))
        async with self.session.get(f"{self.url}/") as r:  # a web chat session cookie
            assert r.status == 200

    def stop(self) -> None:
        async def _stop() -> None:
            await self.session.close()
            await self.app[TEAMS].drain()
            await self.runner.cleanup()
            await self.connector.close()
            await self.fake.stop()

        self.call(_stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        socket.getaddrinfo = self._getaddrinfo
        for name, level in self._log_levels.items():
            logging.getLogger(name).setLevel(level)

    async def _request(self, path: str, body: bytes, headers: dict[str, str]):
        async with self.session.post(f"{self.url}{path}", data=body, headers=headers) as r:
            return r.status, await r.text()

    def post(self, path: str, body: bytes | str, headers: dict[str, str]) -> tuple[int, str]:
        data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        status, text = self.call(self._request(path, data, headers))
        self.count += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        return status, text

    def slack(self, body: bytes | str, content_type: str) -> tuple[int, str]:
        raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        ts = str(int(time.time()))
        return self.post("/slack/events", raw, {"Content-Type": content_type,
                                                 "X-Slack-Request-Timestamp": ts,
                                                 "X-Slack-Signature": sign_bytes(raw, ts)})

    def healthz(self) -> int:
        async def get() -> int:
            async with self.session.get(f"{self.url}/healthz") as r:
                return r.status

        return self.call(get())


def sign_bytes(raw: bytes, ts: str) -> str:
    """Slack's v0 signature over the raw bytes (SignatureVerifier wants str)."""
    import hashlib
    import hmac

    base = b"v0:" + ts.encode() + b":" + raw
    return "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- strategies

EDGE_TEXT = st.sampled_from([
    "", " ", "\u0000", "\ufeff", "\u202eevil", "\u200b" * 50, "🙂" * 500, "a" * 40_000,
    "<script>alert(1)</script>", "\r\n\r\n", "&lt;@UBOTUSER&gt;", "<@UBOTUSER>", "%00",
    "report", "report harassing", "cancel", "submit", "status AAAA", "note 2026-0001 x",
    "case 2026-9999", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "ⅠⅡⅢ", "İstanbul", "ß" * 10, "\\", "\"", "{}", "null",
])
TEXT = st.one_of(st.text(max_size=200), EDGE_TEXT)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                   st.floats(allow_nan=False, allow_infinity=False), TEXT)
JSON = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)), max_leaves=10)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append(prefix + (k,))
            out += paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.append(prefix + (i,))
            out += paths(v, prefix + (i,))
    return out


@st.composite
def mutated(draw, bases: list[dict]) -> Any:
    """A real payload with 1-4 fields deleted, retyped or replaced."""
    value = copy.deepcopy(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(1, 4))):
        options = paths(value)
        if not options:
            break
        path = draw(st.sampled_from(options))
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        action = draw(st.sampled_from(["delete", "replace", "edge", "wrap"]))
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(JSON)
        elif action == "edge":
            parent[key] = draw(EDGE_TEXT)
        else:
            parent[key] = [parent[key]] if draw(st.booleans()) else {"x": parent[key]}
    return value


SLACK_JSON_BODY = st.one_of(
    mutated(SLACK_EVENTS).map(json.dumps),
    mutated([{"type": "url_verification", "token": "t", "challenge": "abc"}]).map(json.dumps),
    JSON.map(json.dumps),
    st.text(max_size=300),
)
SLACK_FORM_BODY = st.one_of(
    mutated(SLACK_INTERACTIONS).map(lambda p: urlencode({"payload": json.dumps(p)})),
    mutated(SLACK_COMMANDS).map(
        lambda p: urlencode({k: v if isinstance(v, str) else json.dumps(v)
                             for k, v in p.items()}) if isinstance(p, dict) else str(p)),
    st.dictionaries(TEXT, TEXT, max_size=5).map(urlencode),
    JSON.map(lambda v: urlencode({"payload": json.dumps(v)})),
    st.text(max_size=300),
)
TEAMS_BODY = st.one_of(mutated(list(TEAMS_PAYLOADS.values())), JSON)
WEB_BODY = st.one_of(
    st.fixed_dictionaries({"text": SCALAR | JSON, "is_button": SCALAR | JSON}),
    st.dictionaries(TEXT, JSON, max_size=4), JSON)
CONTENT_TYPES = st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                 "text/plain", "", "application/json; charset=latin-1",
                                 "multipart/form-data; boundary=x"])


# ---------------------------------------------------------------- targets (one example each)

def unique_slack(body: str, live: Live) -> str:
    """Fresh event ids / view ids so Slack's retry dedup never hides a mutation; response
    URLs point at the fake Slack."""
    n = next(live.ids)
    hooks = f"{live.fake.url}/response/"
    body = (body.replace("https://hooks.slack.com/", hooks)
            .replace("https%3A%2F%2Fhooks.slack.com%2F", hooks.replace(":", "%3A")
                     .replace("/", "%2F"))
            .replace("https:\\/\\/hooks.slack.com\\/", hooks.replace("/", "\\/")))
    return (body.replace("Ev0MSGIM0001", f"EvFUZZ{n:08d}").replace("V0REPORT01", f"VFUZZ{n:06d}")
            .replace("Ev0MENTION01", f"EvFUZM{n:08d}"))


def bolt_type(raw: str, content_type: str) -> str | None:
    from slack_bolt.request.async_request import AsyncBoltRequest

    try:
        body = AsyncBoltRequest(body=raw, headers={"content-type": [content_type]}).body
    except Exception:  # noqa: BLE001
        return None
    return body.get("type") if isinstance(body, dict) else None


def _slack_target(live: Live, body: str, content_type: str) -> None:
    body = unique_slack(body, live)
    status, text = live.slack(body, content_type)
    assert status < 500, (status, text[:300], body[:300], content_type)


def slack_json_target(live: Live, body: str, content_type: str | None = None) -> None:
    _slack_target(live, body, content_type or "application/json")


def slack_form_target(live: Live, body: str, content_type: str | None = None) -> None:
    _slack_target(live, body, content_type or "application/x-www-form-urlencoded")


def teams_target(live: Live, activity: Any, content_type: str | None = None) -> None:
    if isinstance(activity, dict):
        activity = dict(activity)
        if activity.get("serviceUrl") == "https://smba.trafficmanager.net/amer/":
            activity["serviceUrl"] = live.connector.url
        if isinstance(activity.get("id"), str):
            activity["id"] = f"{activity['id']}-{next(live.ids)}"
    body = json.dumps(activity)
    status, text = live.post("/api/messages", body,
                             {"Content-Type": content_type or "application/json"})
    assert status < 500, (status, text[:300], body[:300])


def web_target(live: Live, value: Any, content_type: str | None = None) -> None:
    body = json.dumps(value)
    status, text = live.post("/chat/api", body,
                             {"Content-Type": content_type or "application/json"})
    assert status < 500, (status, text[:300], body[:300])


TARGETS = {
    "slack_json": (slack_json_target, SLACK_JSON_BODY),
    "slack_form": (slack_form_target, SLACK_FORM_BODY),
    "teams": (teams_target, TEAMS_BODY),
    "web_chat": (web_target, WEB_BODY),
}


def run_target(live: Live, name: str, examples: int, deadline: float | None = None,
               explore: bool = False) -> int:
    """Run one target with hypothesis; returns how many requests it sent. The test suite
    runs the same (derandomized) examples every time so CI is a stable gate;
    scripts/fuzz_http.py explores (explore=True) and each find becomes a test below."""
    target, strategy = TARGETS[name]
    before = live.count

    @hsettings(max_examples=examples, deadline=None, database=None, derandomize=not explore,
               suppress_health_check=list(HealthCheck))
    @given(value=strategy, content_type=st.one_of(st.none(), CONTENT_TYPES))
    def fuzz(value, content_type):
        if deadline is not None and time.monotonic() > deadline:
            return
        target(live, value, content_type)

    fuzz()
    assert live.healthz() == 200, f"/healthz failed after the {name} batch"
    return live.count - before
