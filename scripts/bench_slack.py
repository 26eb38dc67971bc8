"""Benchmark the Slack front end on loopback with the real model; prints a Markdown table.

    python scripts/bench_slack.py [--concurrency 20] [--rounds 5]

Serves `create_app` (Slack on, HTTP mode) on 127.0.0.1 with the real all-MiniLM-L6-v2
encoder, points the Web API at the local fake Slack (testkit/fake_slack.py, in its own
thread), and sends rounds of N concurrent signed `message.im` events. Measures the ack
latency (HTTP response to Slack) and question-to-chat.postMessage latency (request sent
until the fake Slack receives the answer), p50/p95.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.app import build_bot
from bot.config import Settings
from handlers.runtime import BotRef
from handlers.server import create_app
from testkit.fake_slack import FakeSlack

SECRET = "bench-signing-secret"
QUESTIONS = [
    "Can I friend a parent on Facebook?", "Can I post photos of my students?",
    "Does the district monitor my email?", "Can I use my personal phone to text students?",
    "Am I allowed to post about politics on my own account?",
    "Can I share a video of my class on Instagram?", "Can I follow students on TikTok?",
    "What should I do if a student sends me a friend request?",
    "Can I post about my school on my personal blog?", "Is it okay to message a parent on WhatsApp?",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def event(n: int, question: str) -> dict:
    payload = json.loads((ROOT / "tests/payloads/slack/message_im.json").read_text())
    payload["event_id"] = f"EvBENCH{n:06d}"
    payload["event"].update({"text": question, "channel": f"DBENCH{n:06d}",
                             "ts": f"{1700001000 + n}.000100", "user": f"UBENCH{n % 50}"})
    return payload


async def send(session: aiohttp.ClientSession, url: str, n: int) -> tuple[int, float, float]:
    body = json.dumps(event(n, QUESTIONS[n % len(QUESTIONS)]))
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(
                   timestamp=ts, body=body)}
    start = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        assert response.status == 200, response.status
    return n, start, time.perf_counter() - start


async def run(concurrency: int, rounds: int) -> None:
    fake = FakeSlack()
    fake.start_in_thread()
    tmp = tempfile.mkdtemp(prefix="bench-slack-")
    settings = Settings.from_env({"POLICYBOT_DB": f"{tmp}/policybot.db",
                                  "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
                                  "SLACK_API_URL": fake.api_url})
    t0 = time.perf_counter()
    bot = await asyncio.to_thread(build_bot, settings)
    load_s = time.perf_counter() - t0
    ref = BotRef()
    app = create_app(settings, ref)
    ref.set(bot)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/slack/events"

    def delivered(n: int) -> float | None:
        for c in fake.calls_to("chat.postMessage"):
            if c.args.get("channel") == f"DBENCH{n:06d}":
                return c.at
        return None

    acks: list[float] = []
    answers: list[float] = []
    async with aiohttp.ClientSession() as session:
        await send(session, url, 999_999)  # warm-up (auth.test, first encode)
        while delivered(999_999) is None:
            await asyncio.sleep(0.01)
        n = 0
        for _ in range(rounds):
            batch = await asyncio.gather(*(send(session, url, n + i) for i in range(concurrency)))
            n += concurrency
            deadline = time.monotonic() + 60
            while any(delivered(i) is None for i, _, _ in batch) and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            for i, start, ack in batch:
                acks.append(ack * 1000)
                answers.append((delivered(i) - start) * 1000)
    await runner.cleanup()
    fake.stop_in_thread()

    print(f"Slack front end on loopback, real model (load {load_s:.1f} s), {rounds} rounds of "
          f"{concurrency} concurrent signed message.im events, {os.cpu_count()} CPUs\n")
    print("| measure | n | p50 (ms) | p95 (ms) | max (ms) |")
    print("|---|---|---|---|---|")
    for name, values in (("ack (HTTP 200 to Slack)", acks),
                         ("question → chat.postMessage", answers)):
        print(f"| {name} | {len(values)} | {statistics.median(values):.1f} | "
              f"{percentile(values, 95):.1f} | {max(values):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.concurrency, args.rounds))


if __name__ == "__main__":
    main()
