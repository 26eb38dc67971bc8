"""Kill test: kill -9 `policybot serve` in the middle of mixed load, restart it on the same
database, and check that nothing acknowledged was lost.

    .venv/bin/python scripts/kill_test.py [--seconds 8] [--users 12] [--fake-encoder]

Before the load, a web chat report conversation is advanced to its `link` step and left
there. Then `--users` virtual users send, over HTTP on 127.0.0.1: Slack questions, Teams
questions, web chat questions, Slack report submissions (view_submission, unique view ids),
Teams report form submits and administrators' notes (the Slack "Add note" modal submission).
After `--seconds` the server gets SIGKILL while requests are in flight. It is started again
on the same file, and the script checks:

- `PRAGMA integrity_check` is `ok` (before and after the restart);
- every acknowledged case (Slack modal answered with its case number, Teams receipt card) is
  stored exactly once, with its `opened` audit event;
- every acknowledged note (HTTP 200 from the note modal) is in the audit trail
  (`note_added` with its text);
- the half-finished web chat report resumes at the same step (`link`: "skip" moves it to
  `when`) and can be completed into a case.

Exit status 0 when everything holds; prints a summary line starting with "ok:" or "FAILED:".
`--fake-encoder` runs the same app with the tests' fast encoder instead of the real model
(used by tests/test_kill_recovery.py to stay well under a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aiohttp  # noqa: E402
from load_test import (  # noqa: E402
    CASE_NUMBER,
    FORM,
    QUESTIONS,
    Client,
    Fakes,
    Server,
    slack_message,
    slack_note_submission,
    teams_form,
    teams_message,
    view_submission,
)

FLOW_BEFORE_KILL = (("report", True, "category"), ("harassing", True, "danger"),
                    ("no", True, "platform"), ("instagram", True, "link"))
FLOW_AFTER_KILL = (("skip", True, "when"), ("skip", True, "target"),
                   ("employee", True, "description"),
                   ("Kill test: a half-finished report resumed after a restart.", False,
                    "identity"), ("anonymous", True, "confirm"), ("submit", True, None))


@dataclass
class Acked:
    cases: dict[str, str] = field(default_factory=dict)  # marker -> case number
    notes: list[tuple[str, str]] = field(default_factory=list)  # (case number, text)
    questions: int = 0
    attempts: int = 0
    failures: int = 0  # refused or cut off by the kill (expected)


async def one_step(c: Client, acked: Acked, rng: random.Random, n: int, user: int) -> None:
    kind = n % 6
    acked.attempts += 1
    if kind == 0:  # Slack question (acknowledged = 200; the answer may be cut by the kill)
        payload = slack_message(n, rng.choice(QUESTIONS), f"UKILL{user:03d}", f"DKILL{n:07d}")
        status, _ = await c.slack_post(json.dumps(payload), "application/json")
        acked.questions += status == 200
    elif kind == 1:
        activity = teams_message(n, rng.choice(QUESTIONS), c.fakes.connector.url,
                                 f"a:kill-{n}", f"kill-user-{user}")
        status, _ = await c.teams(activity)
        acked.questions += status == 201
    elif kind == 2:
        status, _ = await c.web(secrets.token_urlsafe(18), rng.choice(QUESTIONS))
        acked.questions += status == 200
    elif kind == 3:
        marker = f"kill-report-{secrets.token_hex(6)}"
        values = {**FORM, "description": f"Kill test report {marker}."}
        status, text = await c.slack_interact(
            view_submission(values, f"VKILL{n:07d}", f"UKILL{user:03d}"))
        found = CASE_NUMBER.search(text) if status == 200 else None
        if found:
            acked.cases[marker] = found.group(1)
    elif kind == 4:
        marker = f"kill-report-{secrets.token_hex(6)}"
        conversation = f"a:kill-form-{n}"
        values = {**FORM, "description": f"Kill test report {marker}.", "identity": "anonymous"}
        status, _ = await c.teams(teams_form(n, values, c.fakes.connector.url, conversation,
                                             f"kill-user-{user}"))
        receipts = [s for s in c.fakes.teams_replies(conversation)
                    if CASE_NUMBER.search(json.dumps(s.cards))]
        if status == 201 and receipts:
            acked.cases[marker] = CASE_NUMBER.search(json.dumps(receipts[0].cards)).group(1)
    else:
        numbers = sorted(set(acked.cases.values()))
        if not numbers:
            return
        number = rng.choice(numbers)
        text = f"kill-note-{secrets.token_hex(6)} checked the post"
        status, body = await c.slack_interact(
            slack_note_submission(number, text, f"VKILLNOTE{n:07d}"))
        if status == 200 and "errors" not in body:
            acked.notes.append((number, text))


async def drive(c: Client, acked: Acked, users: int, stop: asyncio.Event, seed: int) -> None:
    counter = iter(range(10**7))

    async def user(u: int) -> None:
        rng = random.Random(seed * 1000 + u)
        while not stop.is_set():
            try:
                await one_step(c, acked, rng, next(counter), u)
            except (TimeoutError, aiohttp.ClientError, OSError, ValueError):
                acked.failures += 1
                await asyncio.sleep(0.05)

    await asyncio.gather(*(user(u) for u in range(users)))


def integrity(db: str) -> str:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def check(db: str, acked: Acked) -> list[str]:
    problems: list[str] = []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        for marker, number in acked.cases.items():
            rows = conn.execute("SELECT number FROM cases WHERE description LIKE ?",
                                [f"%{marker}%"]).fetchall()
            if [r[0] for r in rows] != [number]:
                problems.append(f"case {number} ({marker}): stored as {rows}")
            opened = conn.execute("SELECT COUNT(*) FROM case_events WHERE case_number = ? "
                                  "AND action = 'opened'", [number]).fetchone()[0]
            if opened != 1:
                problems.append(f"case {number}: {opened} 'opened' audit events")
        notes = {(r[0], json.loads(r[1]).get("text")) for r in conn.execute(
            "SELECT case_number, detail FROM case_events WHERE action = 'note_added'")}
        for number, text in acked.notes:
            if (number, text) not in notes:
                problems.append(f"note on {number} missing: {text}")
    finally:
        conn.close()
    return problems


async def web_flow(c: Client, session_id: str, steps, problems: list[str]) -> dict | None:
    last = None
    for text, is_button, expected in steps:
        status, body = await c.web(session_id, text, is_button)
        if status != 200:
            problems.append(f"web chat {text!r}: HTTP {status} {body}")
            return None
        step = (body.get("step") or {}).get("id")
        if step != expected:
            problems.append(f"web chat {text!r}: step {step!r}, expected {expected!r} "
                            f"({body['replies'][-1]['text'][:120]!r})")
            return None
        last = body
    return last


async def run(db: str, seconds: float, users: int, fake_encoder: bool, seed: int = 1) -> int:
    fakes = Fakes().start()
    server = Server(db, fakes, fake_encoder=fake_encoder).start()
    problems: list[str] = []
    acked = Acked()
    timeout = aiohttp.ClientTimeout(total=30)
    try:
        await server.wait_ready()
        session_id = secrets.token_urlsafe(18)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            c = Client(session, server.url, fakes)
            await web_flow(c, session_id, FLOW_BEFORE_KILL, problems)
            stop = asyncio.Event()
            load = asyncio.ensure_future(drive(c, acked, users, stop, seed))
            await asyncio.sleep(seconds)
            in_flight = acked.attempts
            server.kill9()  # requests are in flight: the users never wait for each other
            killed_at = time.monotonic()
            await asyncio.sleep(0.3)  # let the cut-off requests fail
            stop.set()
            await asyncio.wait_for(load, 60)
        print(f"killed -9 after {seconds:.1f} s: {in_flight} requests sent, "
              f"{len(acked.cases)} cases and {len(acked.notes)} notes acknowledged, "
              f"{acked.questions} questions acknowledged, {acked.failures} requests cut off",
              file=sys.stderr)
        before = integrity(db)
        if before != "ok":
            problems.append(f"integrity_check after the kill: {before}")
        server = Server(db, fakes, fake_encoder=fake_encoder).start()
        restart = await server.wait_ready()
        after = integrity(db)
        if after != "ok":
            problems.append(f"integrity_check after the restart: {after}")
        problems += check(db, acked)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            c = Client(session, server.url, fakes)
            final = await web_flow(c, session_id, FLOW_AFTER_KILL, problems)
            if final is not None:
                receipt = final["replies"][-1]
                number = receipt.get("data", {}).get("case_number")
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
                stored = conn.execute("SELECT description FROM cases WHERE number = ?",
                                      [number]).fetchone()
                conn.close()
                if receipt["kind"] != "receipt" or not stored:
                    problems.append(f"the resumed report was not stored: {receipt}")
        summary = (f"{len(acked.cases)} acknowledged cases, {len(acked.notes)} notes, "
                   f"integrity {before}/{after}, restart ready in {restart:.1f} s "
                   f"({time.monotonic() - killed_at:.1f} s after the kill), half-finished "
                   f"report resumed at 'link'")
    finally:
        server.stop()
        fakes.stop()
    if problems:
        print("FAILED: " + "; ".join(problems[:20]))
        return 1
    print("ok: " + summary)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database file (default: a new temp dir)")
    parser.add_argument("--seconds", type=float, default=8.0, help="load before the kill")
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fake-encoder", action="store_true")
    args = parser.parse_args()
    db = args.db or f"{tempfile.mkdtemp(prefix='policybot-kill-')}/policybot.db"
    sys.exit(asyncio.run(run(db, args.seconds, args.users, args.fake_encoder, args.seed)))


if __name__ == "__main__":
    main()
