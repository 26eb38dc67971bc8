"""Load test: a real `policybot serve` subprocess driven over HTTP on 127.0.0.1.

    .venv/bin/python scripts/load_test.py [--levels 1,10,50,100] [--seconds 15]
                                          [--max-requests 3000]
    .venv/bin/python scripts/load_test.py --rates 50,75,100   # open loop: arrivals per second
    .venv/bin/python scripts/load_test.py --rates 112 --workers 2   # two server processes
    .venv/bin/python scripts/load_test.py --memory [--count 100000] [--time-limit 1500]
    .venv/bin/python scripts/load_test.py --levels 50 --publish-every 3   # hot reload under load

The script starts a fake Slack Web API and a fake Bot Framework connector (testkit/fake_slack.py,
testkit/fake_connector.py) on loopback in a thread of their own, then `policybot serve` with
SLACK_BOT_TOKEN / SLACK_SIGNING_SECRET / SLACK_API_URL pointing at the fake, Teams without an
app id (activities carry serviceUrl = the fake connector) and POLICYBOT_DB in a temp dir.

At each concurrency level, N virtual users each loop (bounded by --seconds and
--max-requests): ask a question through Slack (signed message.im), Teams (personal message) or
the browser chat API in rotation, and wait for the answer before asking again; every 10th turn
files a report instead (Slack view_submission with a unique view id, one in five re-sent as a
Slack retry; or a Teams form submit). Measured:

- ack latency: HTTP response time (Slack: the 200 Slack needs within 3 s);
- answer latency: Slack = request sent -> matching chat.postMessage received by the fake;
  Teams = request sent -> reply received by the fake connector; web = HTTP response time;
- questions per second answered, errors (non-2xx, exceptions, answers not seen in 30 s);
- reports: acknowledged vs cases in the database (no loss, no duplicates).

`--publish-every S` serves a copy of the knowledge folder and, while the load runs, publishes
a bulletin into it every S seconds (knowledge.intake, as `policybot knowledge add` does; its
text alternates, so each publish is a change): the server must reload without failing any
request. The reloads are counted from the server's log.

`--memory` sends COUNT questions through the web chat API (16 concurrent, 100 sessions) and
reads VmRSS of the server process from /proc/PID/status after 1,000 and after COUNT.
Prints Markdown tables. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import aiohttp  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402

from testkit.fake_connector import FakeConnector  # noqa: E402
from testkit.fake_slack import FakeSlack  # noqa: E402
from testkit.slack_payloads import view_submission  # noqa: E402

SECRET = "load-test-signing-secret"
ADMIN = "UADMINLOAD"
PAYLOADS = ROOT / "tests" / "payloads"
QUESTIONS = [
    "Can I friend a parent on Facebook?", "Can I post photos of my students?",
    "Does the district monitor my email?", "Can I use my personal phone to text students?",
    "Am I allowed to post about politics on my own account?",
    "Can I share a video of my class on Instagram?", "Can I follow students on TikTok?",
    "What should I do if a student sends me a friend request?",
    "Can I post about my school on my personal blog?",
    "Is it okay to message a parent on WhatsApp?",
]
FORM = {"category": "harassing", "danger": "no", "platform": "facebook",
        "link": "https://facebook.com/posts/123", "when": "2026-01-15", "target": "employee",
        "description": "placeholder", "identity": "named"}
CASE_NUMBER = re.compile(r"\b(20\d\d-\d{4,})\b")


# ---------------------------------------------------------------- small helpers

def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def load_payload(kind: str, name: str) -> dict:
    return json.loads((PAYLOADS / kind / f"{name}.json").read_text())


def signed_headers(body: str, content_type: str, secret: str = SECRET,
                   timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(
                timestamp=ts, body=body)}


# ---------------------------------------------------------------- payloads

def slack_message(n: int, text: str, user: str, channel: str) -> dict:
    payload = load_payload("slack", "message_im")
    payload["event_id"] = f"EvLOAD{n:08d}"
    payload["event"].update({"text": text, "channel": channel, "user": user,
                             "ts": f"{1700001000 + n}.000100", "event_ts": f"{1700001000 + n}.1",
                             "client_msg_id": f"load-{n}"})
    payload["event"].pop("blocks", None)
    return payload


def slack_note_submission(number: str, text: str, view_id: str, user: str = ADMIN) -> dict:
    payload = load_payload("slack", "view_submission_report")
    payload["user"]["id"] = user
    payload["trigger_id"] = f"1700.{view_id}"  # Slack makes one per submission (replays act once)
    payload["view"].update({
        "id": view_id, "callback_id": "pb_case_text_modal",
        "private_metadata": json.dumps({"number": number, "action": "note"}),
        "state": {"values": {"text": {"value": {"type": "plain_text_input", "value": text}}}}})
    return payload


def teams_message(n: int, text: str, service_url: str, conversation: str, user: str) -> dict:
    activity = load_payload("teams", "personal_message")
    activity.update({"id": f"load-{n}", "text": text, "serviceUrl": service_url})
    activity["conversation"]["id"] = conversation
    activity["from"] = {"id": f"29:{user}", "name": "Load Tester", "aadObjectId": user}
    return activity


def teams_form(n: int, values: dict, service_url: str, conversation: str, user: str) -> dict:
    activity = load_payload("teams", "report_form_submit")
    activity.update({"id": f"load-form-{n}", "serviceUrl": service_url})
    activity["value"] = {"pbForm": "report", **values}
    activity["conversation"]["id"] = conversation
    activity["from"] = {"id": f"29:{user}", "name": "Load Tester", "aadObjectId": user}
    return activity


# ---------------------------------------------------------------- fakes in their own thread

class NotifyingSlack(FakeSlack):
    """FakeSlack that wakes a waiter when a chat.postMessage for its channel arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.waiters: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Future]] = {}
        self.first_post: dict[str, float] = {}

    async def _api(self, request):
        response = await super()._api(request)
        call = self.calls[-1] if self.calls else None
        if call is not None and call.method == "chat.postMessage" and call.status == 200:
            channel = str(call.args.get("channel"))
            self.first_post.setdefault(channel, call.at)
            waiter = self.waiters.pop(channel, None)
            if waiter is not None:
                loop, fut = waiter
                loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(call.at))
        return response


class Fakes:
    """Fake Slack Web API and fake Bot Framework connector on 127.0.0.1, own event loop."""

    def __init__(self) -> None:
        self.slack = NotifyingSlack()
        self.connector = FakeConnector()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> Fakes:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self.loop = loop
            loop.run_until_complete(self.slack.start())
            loop.run_until_complete(self.connector.start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.slack.stop())
            loop.run_until_complete(self.connector.close())
            loop.close()

        self.thread = threading.Thread(target=run, name="fakes", daemon=True)
        self.thread.start()
        if not ready.wait(15):
            raise RuntimeError("the fake Slack / connector did not start")
        return self

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    def expect_slack(self, channel: str) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        if channel in self.slack.first_post:
            fut.set_result(self.slack.first_post[channel])
        else:
            self.slack.waiters[channel] = (loop, fut)
        return fut

    def teams_replies(self, conversation: str) -> list:
        return [s for s in list(self.connector.sent) if s.conversation_id == conversation]


# ---------------------------------------------------------------- the server under test

LAUNCH_FAKE_ENCODER = """
import sys
sys.path.insert(0, {root!r})
from testkit.fake_encoder import FakeEncoder
from aiohttp import web
from bot.app import build_bot
from policybot.cli import setup_logging
from bot.config import Settings
from handlers.server import create_app, load_bot_in_background
settings = Settings.from_env()
setup_logging(settings.log_level)
app = create_app(settings)
load_bot_in_background(app, lambda: build_bot(settings, encoder=FakeEncoder()))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


class Server:
    """`policybot serve` (real model) or, with fake_encoder, the same app with the tests'
    fast encoder (for bounded pytest runs)."""

    def __init__(self, db: str, fakes: Fakes | None, fake_encoder: bool = False,
                 log_path: str | None = None, extra_env: dict | None = None):
        self.db, self.fakes, self.fake_encoder = db, fakes, fake_encoder
        self.port = free_port()
        self.log_path = log_path or str(Path(db).with_suffix(".log"))
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLACK_", "Microsoft", "POLICYBOT_"))}
        env.update({"POLICYBOT_DB": self.db, "POLICYBOT_ADMINS": f"slack:{ADMIN}",
                    "POLICYBOT_TEAMS_EMULATOR": "1",  # Teams without an app id, on loopback
                    "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                    "PYTHONUNBUFFERED": "1"})
        if self.fakes is not None:
            env.update({"SLACK_BOT_TOKEN": "xoxb-load-test", "SLACK_SIGNING_SECRET": SECRET,
                        "SLACK_API_URL": self.fakes.slack.api_url})
        env.update(self.extra_env)
        return env

    def start(self) -> Server:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        if self.fake_encoder:
            cmd = [sys.executable, "-c", LAUNCH_FAKE_ENCODER.format(root=str(ROOT)),
                   str(self.port)]
        else:
            cmd = [str(Path(sys.executable).with_name("policybot")), "serve", "--host",
                   "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, env=self.env(), stdout=log, stderr=log, cwd=ROOT)
        log.close()
        return self

    async def wait_ready(self, timeout: float = 120.0) -> float:
        started = time.monotonic()
        async with aiohttp.ClientSession() as session:
            while time.monotonic() - started < timeout:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}; see "
                                       f"{self.log_path}")
                try:
                    async with session.get(f"{self.url}/healthz",
                                           timeout=aiohttp.ClientTimeout(total=2)) as r:
                        if r.status == 200:
                            return time.monotonic() - started
                except (TimeoutError, aiohttp.ClientError):
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"server not ready in {timeout} s; see {self.log_path}")

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()


# ---------------------------------------------------------------- clients

class Client:
    """The three front ends' request shapes, over one aiohttp session."""

    def __init__(self, session: aiohttp.ClientSession, base: str, fakes: Fakes):
        self.s, self.base, self.fakes = session, base, fakes

    async def slack_post(self, body: str, content_type: str, headers: dict | None = None):
        async with self.s.post(f"{self.base}/slack/events", data=body.encode(),
                               headers={**signed_headers(body, content_type),
                                        **(headers or {})}) as r:
            return r.status, await r.text()

    async def slack_interact(self, payload: dict, headers: dict | None = None):
        return await self.slack_post(urlencode({"payload": json.dumps(payload)}),
                                     "application/x-www-form-urlencoded", headers)

    async def teams(self, activity: dict):
        async with self.s.post(f"{self.base}/api/messages", json=activity) as r:
            return r.status, await r.text()

    async def web(self, session_id: str, text: str, is_button: bool = False):
        async with self.s.post(f"{self.base}/chat/api",
                               json={"text": text, "is_button": is_button},
                               cookies={"policybot_chat": session_id}) as r:
            body = await r.json(content_type=None) if r.status == 200 else await r.text()
            return r.status, body


# ---------------------------------------------------------------- load levels

@dataclass
class LevelStats:
    concurrency: int
    seconds: float = 0.0
    questions: int = 0
    ack: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    answer: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    reports_acked: dict[str, str] = field(default_factory=dict)  # marker -> case number
    reports_pending: list[str] = field(default_factory=list)  # acked "saving" without number
    resends: int = 0

    def error(self, where: str, what: str) -> None:
        self.errors[where] += 1
        if len(self.error_samples) < 8:
            self.error_samples.append(f"{where}: {what[:200]}")


ANSWER_TIMEOUT = 30.0
COUNTER = itertools.count(1)


async def slack_question(c: Client, st: LevelStats, user: int) -> None:
    n = next(COUNTER)
    channel = f"DLOAD{n:08d}"
    payload = slack_message(n, QUESTIONS[n % len(QUESTIONS)], f"ULOAD{user:04d}", channel)
    fut = c.fakes.expect_slack(channel)
    start = time.perf_counter()
    status, text = await c.slack_post(json.dumps(payload), "application/json")
    st.ack["slack"].append((time.perf_counter() - start) * 1000)
    if status != 200:
        st.error("slack", f"HTTP {status} {text}")
        c.fakes.slack.waiters.pop(channel, None)
        return
    try:
        at = await asyncio.wait_for(fut, ANSWER_TIMEOUT)
    except TimeoutError:
        st.error("slack", f"no chat.postMessage to {channel} in {ANSWER_TIMEOUT} s")
        c.fakes.slack.waiters.pop(channel, None)
        return
    st.answer["slack"].append((at - start) * 1000)
    st.questions += 1


async def teams_question(c: Client, st: LevelStats, user: int) -> None:
    n = next(COUNTER)
    conversation = f"a:load-{n}"
    activity = teams_message(n, QUESTIONS[n % len(QUESTIONS)], c.fakes.connector.url,
                             conversation, f"load-user-{user}")
    start = time.perf_counter()
    status, text = await c.teams(activity)
    elapsed = (time.perf_counter() - start) * 1000
    st.ack["teams"].append(elapsed)
    if status not in (200, 201):
        st.error("teams", f"HTTP {status} {text}")
        return
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while not c.fakes.teams_replies(conversation):  # normally there already (same turn)
        if time.monotonic() > deadline:
            st.error("teams", f"no reply to {conversation} in {ANSWER_TIMEOUT} s")
            return
        await asyncio.sleep(0.005)
    st.answer["teams"].append((time.perf_counter() - start) * 1000)
    st.questions += 1


async def web_question(c: Client, st: LevelStats, session_id: str) -> None:
    n = next(COUNTER)
    start = time.perf_counter()
    status, body = await c.web(session_id, QUESTIONS[n % len(QUESTIONS)])
    elapsed = (time.perf_counter() - start) * 1000
    st.ack["web"].append(elapsed)
    if status != 200 or not isinstance(body, dict) or not body.get("replies"):
        st.error("web", f"HTTP {status} {body}")
        return
    st.answer["web"].append(elapsed)
    st.questions += 1


async def slack_report(c: Client, st: LevelStats, user: int, resend: bool) -> None:
    n = next(COUNTER)
    marker = f"load-report-{secrets.token_hex(6)}"
    values = {**FORM, "description": f"Load test report {marker}: a parent posted insults."}
    payload = view_submission(values, f"VLOAD{n:08d}", f"ULOAD{user:04d}")
    start = time.perf_counter()
    sends = [c.slack_interact(payload)]
    if resend:  # Slack re-sends a submission it did not see acknowledged in time
        sends.append(c.slack_interact(payload, {"X-Slack-Retry-Num": "1"}))
        st.resends += 1
    results = await asyncio.gather(*sends, return_exceptions=True)
    st.ack["slack_report"].append((time.perf_counter() - start) * 1000)
    numbers = set()
    for result in results:
        if isinstance(result, BaseException):
            st.error("slack_report", repr(result))
            continue
        status, text = result
        if status != 200:
            st.error("slack_report", f"HTTP {status} {text}")
            continue
        found = CASE_NUMBER.search(text)
        if found:
            numbers.add(found.group(1))
        elif "Saving your report" in text:
            st.reports_pending.append(marker)
    if numbers:
        st.reports_acked[marker] = sorted(numbers)[0]
        if len(numbers) > 1:
            st.error("slack_report", f"two case numbers for one view: {numbers}")


async def teams_report(c: Client, st: LevelStats, user: int) -> None:
    n = next(COUNTER)
    marker = f"load-report-{secrets.token_hex(6)}"
    conversation = f"a:load-form-{n}"
    values = {**FORM, "description": f"Load test report {marker}: a parent posted insults."}
    activity = teams_form(n, values, c.fakes.connector.url, conversation, f"load-user-{user}")
    start = time.perf_counter()
    status, text = await c.teams(activity)
    st.ack["teams_report"].append((time.perf_counter() - start) * 1000)
    if status not in (200, 201):
        st.error("teams_report", f"HTTP {status} {text}")
        return
    receipts = [s for s in c.fakes.teams_replies(conversation)
                if CASE_NUMBER.search(json.dumps(s.cards))]
    if not receipts:
        st.error("teams_report", "no receipt card")
        return
    st.reports_acked[marker] = CASE_NUMBER.search(json.dumps(receipts[0].cards)).group(1)


async def one_turn(c: Client, st: LevelStats, u: int, turn: int, session_id: str,
                   report_every: int = 10) -> None:
    """One request of the mix: every 10th a report (Slack modal or Teams form), the rest
    questions rotating over Slack, Teams and the web chat."""
    try:
        if turn % report_every == 0:
            if (turn // report_every) % 2:
                await slack_report(c, st, u, resend=(turn // report_every) % 5 == 1)
            else:
                await teams_report(c, st, u)
        elif turn % 3 == 0:
            await slack_question(c, st, u)
        elif turn % 3 == 1:
            await teams_question(c, st, u)
        else:
            await web_question(c, st, session_id)
    except (TimeoutError, aiohttp.ClientError, OSError) as e:
        st.error("client", repr(e))


async def run_rate(c: Client, rate: float, seconds: float, max_requests: int) -> LevelStats:
    """Open loop: requests arrive at a fixed `rate` per second whatever the server does
    (closed-loop users slow down with the server; real employees do not)."""
    st = LevelStats(int(rate))
    total = min(max_requests, int(rate * seconds))
    sessions = [secrets.token_urlsafe(18) for _ in range(100)]
    started = time.perf_counter()
    tasks = []
    for n in range(total):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one_turn(c, st, n % 1000, n + 1, sessions[n % 100])))
    await asyncio.gather(*tasks)
    st.seconds = time.perf_counter() - started
    return st


async def run_level(c: Client, concurrency: int, seconds: float, max_requests: int) -> LevelStats:
    st = LevelStats(concurrency)
    budget = itertools.count()
    deadline = time.monotonic() + seconds

    async def user(u: int) -> None:
        session_id = secrets.token_urlsafe(18)
        turn = u  # stagger the rotation between users
        while time.monotonic() < deadline and next(budget) < max_requests:
            turn += 1
            await one_turn(c, st, u, turn, session_id)

    started = time.perf_counter()
    await asyncio.gather(*(user(u) for u in range(concurrency)))
    st.seconds = time.perf_counter() - started
    return st


def count_cases(db: str, markers: list[str]) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute("SELECT description FROM cases").fetchall()
    finally:
        conn.close()
    counts: dict[str, int] = defaultdict(int)
    wanted = set(markers)
    for (description,) in rows:
        found = re.search(r"load-report-[0-9a-f]{12}", description or "")
        if found and found.group(0) in wanted:
            counts[found.group(0)] += 1
    return counts


def fmt(values: list[float]) -> str:
    if not values:
        return "– / – / –"
    return (f"{percentile(values, 50):.0f} / {percentile(values, 95):.0f} / "
            f"{percentile(values, 99):.0f}")


def print_load_table(levels: list[LevelStats], db: str, startup: float,
                     open_loop: bool = False, workers: int = 1) -> None:
    unit = "offered requests/s" if open_loop else "users"
    mode = ("open loop: fixed arrival rate" if open_loop
            else "closed loop: N users asking back to back")
    print(f"\n### policybot serve --workers {workers} under mixed load ({os.cpu_count()} CPUs, "
          "real model, "
          f"ready in {startup:.1f} s, {mode})\n")
    print("Latencies are p50 / p95 / p99 in ms. Answer: Slack = event sent -> chat.postMessage "
          "at the fake; Teams = activity sent -> reply at the fake connector; web = HTTP "
          "response.\n")
    print(f"| {unit} | s | questions | q/s | Slack ack | Slack answer | Teams answer | "
          "web answer | all answers | report ack | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for st in levels:
        every = st.answer["slack"] + st.answer["teams"] + st.answer["web"]
        reports = st.ack["slack_report"] + st.ack["teams_report"]
        errors = sum(st.errors.values())
        print(f"| {st.concurrency} | {st.seconds:.1f} | {st.questions} | "
              f"{st.questions / st.seconds:.1f} | {fmt(st.ack['slack'])} | "
              f"{fmt(st.answer['slack'])} | {fmt(st.answer['teams'])} | "
              f"{fmt(st.answer['web'])} | {fmt(every)} | {fmt(reports)} | {errors} |")
    for st in levels:
        if st.error_samples:
            print(f"\nerrors at {st.concurrency} {unit}: {dict(st.errors)}")
            for sample in st.error_samples:
                print(f"  - {sample}")
    markers = [m for st in levels for m in st.reports_acked]
    pending = [m for st in levels for m in st.reports_pending]
    counts = count_cases(db, markers + pending)
    lost = [m for m in markers if counts.get(m, 0) == 0]
    dup = [m for m, k in counts.items() if k > 1]
    resends = sum(st.resends for st in levels)
    max_slack_ack = max((v for st in levels for v in st.ack["slack"] + st.ack["slack_report"]),
                        default=0)
    print("\n| reports | acknowledged with a case number | acknowledged 'saving' | re-sent "
          "(Slack retry) | cases in DB for them | lost | duplicated |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {len(markers) + len(pending)} | {len(markers)} | {len(pending)} | {resends} | "
          f"{sum(counts.values())} | {len(lost)} | {len(dup)} |")
    ok_rate = max((st.questions / st.seconds for st in levels), default=0)
    best = max(levels, key=lambda s: s.questions / s.seconds) if levels else None
    print("\n| target | result |")
    print("|---|---|")
    if best:
        every = best.answer["slack"] + best.answer["teams"] + best.answer["web"]
        print(f"| 100 questions/s sustained | best {ok_rate:.1f} q/s at {best.concurrency} "
              f"{unit} ({ok_rate / 100:.0%} of target) |")
        for st in levels:
            every = st.answer["slack"] + st.answer["teams"] + st.answer["web"]
            print(f"| p95 answer < 200 ms at {st.concurrency} {unit} | "
                  f"{percentile(every, 95):.0f} ms |")
    print(f"| zero errors | {sum(sum(st.errors.values()) for st in levels)} errors |")
    print(f"| Slack acks < 3 s | max {max_slack_ack:.0f} ms |")
    print(f"| no lost / duplicated reports | {len(lost)} lost, {len(dup)} duplicated |")


PUBLISHED = """# Staff Use of Cell Phones

BUL-9999.{n} · Effective: March 3, 2016

## Policy

Staff may not use personal phones while supervising students, except in an emergency
({n}).
"""


async def publish_repeatedly(folder: Path, every: float, stop: asyncio.Event) -> int:
    """Publish a bulletin into `folder` every `every` seconds until `stop`; the count."""
    from knowledge.intake import prepare, publish

    def once(n: int) -> None:
        doc = folder.parent / "phones.md"
        doc.write_text(PUBLISHED.format(n=n % 2 + 1), encoding="utf-8")
        publish(prepare(doc, folder, bulletin="BUL-9999.1"), folder)

    count = 0
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            await asyncio.to_thread(once, count)
            count += 1
    return count


async def load_main(args) -> int:
    tmp = tempfile.mkdtemp(prefix="policybot-load-")
    db = f"{tmp}/policybot.db"
    fakes = Fakes().start()
    extra = {"POLICYBOT_WORKERS": str(args.workers)}
    folder = Path(tmp) / "knowledge"
    if args.publish_every:
        import shutil

        from bot.config import DEFAULT_KNOWLEDGE_DIR

        shutil.copytree(DEFAULT_KNOWLEDGE_DIR, folder)
        extra["POLICYBOT_KNOWLEDGE_DIR"] = str(folder)
    server = Server(db, fakes, extra_env=extra).start()
    print(f"server pid {server.proc.pid}, db {db}, log {server.log_path}", file=sys.stderr)
    try:
        startup = await server.wait_ready()
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            client = Client(session, server.url, fakes)
            warm = LevelStats(0)  # first Slack call does auth.test; first encodes are slow
            for _ in range(3):
                await slack_question(client, warm, 0)
                await teams_question(client, warm, 0)
                await web_question(client, warm, secrets.token_urlsafe(18))
            levels = []
            stop_publishing = asyncio.Event()
            publisher = (asyncio.create_task(publish_repeatedly(
                folder, args.publish_every, stop_publishing)) if args.publish_every else None)
            for level in (args.rates or args.levels):
                if args.rates:
                    st = await run_rate(client, level, args.seconds, args.max_requests)
                else:
                    st = await run_level(client, level, args.seconds, args.max_requests)
                print(f"  {level}: {st.questions} questions in {st.seconds:.1f} s, "
                      f"errors {dict(st.errors)}", file=sys.stderr)
                levels.append(st)
                await asyncio.sleep(1.0)  # let Slack retries / background work settle
            if publisher is not None:
                stop_publishing.set()
                published = await publisher
        await asyncio.sleep(2.0)
        print_load_table(levels, db, startup, open_loop=bool(args.rates), workers=args.workers)
        if publisher is not None:
            reloads = Path(server.log_path).read_text(errors="replace").count(
                "knowledge reloaded")
            print(f"\nknowledge published {published} times during the load; the server "
                  f"log shows {reloads} reloads")
        print(f"\nserver RSS at the end: {rss_kib(server.proc.pid) / 1024:.0f} MiB")
    finally:
        server.stop()
        fakes.stop()
    return 0


async def memory_main(args) -> int:
    tmp = tempfile.mkdtemp(prefix="policybot-mem-")
    db = f"{tmp}/policybot.db"
    server = Server(db, None).start()
    print(f"server pid {server.proc.pid}, db {db}, log {server.log_path}", file=sys.stderr)
    rng = random.Random(7)
    sessions = [secrets.token_urlsafe(18) for _ in range(100)]
    counter = itertools.count()
    done = 0
    errors = 0
    samples: dict[int, int] = {}
    marks = sorted({1000, args.count} | {m for m in (10_000, 25_000, 50_000, 75_000)
                                         if m < args.count})
    started = time.monotonic()
    lock = asyncio.Lock()
    try:
        startup = await server.wait_ready()
        samples[0] = rss_kib(server.proc.pid)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                         timeout=aiohttp.ClientTimeout(total=60)) as session:

            async def worker() -> None:
                nonlocal done, errors
                while time.monotonic() - started < args.time_limit:
                    n = next(counter)
                    if n >= args.count:
                        return
                    text = f"{rng.choice(QUESTIONS)} ({n})" if n % 2 else rng.choice(QUESTIONS)
                    try:
                        async with session.post(
                                f"{server.url}/chat/api", json={"text": text},
                                cookies={"policybot_chat": sessions[n % len(sessions)]}) as r:
                            await r.read()
                            ok = r.status == 200
                    except (TimeoutError, aiohttp.ClientError):
                        ok = False
                    async with lock:
                        done += 1
                        errors += not ok
                        if done in marks:
                            samples[done] = rss_kib(server.proc.pid)
                            print(f"  {done} questions, {time.monotonic() - started:.0f} s, "
                                  f"RSS {samples[done] / 1024:.1f} MiB", file=sys.stderr)

            await asyncio.gather(*(worker() for _ in range(16)))
        samples.setdefault(done, rss_kib(server.proc.pid))
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    print(f"\n### Server memory (VmRSS of the `policybot serve` process), web chat API, "
          f"16 concurrent, ready in {startup:.1f} s\n")
    print("| questions | RSS (MiB) | vs 1,000 |")
    print("|---|---|---|")
    base = samples.get(1000)
    for k in sorted(samples):
        rel = f"{(samples[k] / base - 1) * 100:+.1f}%" if base and k else "–"
        print(f"| {k:,} | {samples[k] / 1024:.1f} | {rel} |")
    print(f"\n{done:,} questions in {elapsed:.0f} s ({done / elapsed:.1f} q/s), {errors} errors"
          + ("" if done >= args.count else
             f" (stopped by --time-limit {args.time_limit:.0f} s before {args.count:,})"))
    if base:
        growth = samples[max(samples)] / base - 1
        print(f"target: RSS after {max(samples):,} within 10% of after 1,000: "
              f"{'met' if growth <= 0.10 else 'MISSED'} ({growth * 100:+.1f}%)")
    return 0 if errors == 0 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,10,50,100",
                        type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--rates", default=None, type=lambda s: [float(x) for x in s.split(",")],
                        help="open loop instead: fixed arrival rates in requests/s, e.g. 50,100")
    parser.add_argument("--seconds", type=float, default=15.0, help="per level")
    parser.add_argument("--max-requests", type=int, default=3000, help="per level")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes (policybot serve --workers); load modes only")
    parser.add_argument("--publish-every", type=float, default=None, metavar="SECONDS",
                        help="publish knowledge every SECONDS while the load runs")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--time-limit", type=float, default=1800.0, help="memory mode, seconds")
    args = parser.parse_args()
    sys.exit(asyncio.run(memory_main(args) if args.memory else load_main(args)))


if __name__ == "__main__":
    main()
