"""Anonymous reports cannot be linked to the reporter from the database file: a property.

In the browser chat, Slack and Teams (its form card and its message extension), and the
terminal, a person with a distinctive identity (ids, name, e-mail, chat session) asks a
question, then files an anonymous report through the real HTTP front end. Every table and the -wal file are snapshotted
just before the report starts and just after it. The test fails when

1. a row written or changed during the report *names the person*: it holds one of the
   person's values, or a keyed hash of one (`Storage.keyed`, every purpose), in any
   column; a row of the person's stamped during the report is such a row;
2. a row written or changed during the report (other than the case's own rows) shares
   a value with a row that names the person (times excepted: they are checked by 1
   and by the case's times being kept to the hour);
3. the bytes the report added to the -wal file hold any of the person's values or
   their keyed hashes;
4. the case itself carries anything of the person, or a time finer than the hour;
5. a log record (DEBUG and up) names the person, or one at INFO and up holds the
   question's or the report's text.

Break any of: forgetting the chat's state on an anonymous submission, keyed hashes in
`conversations` / `teams_user_conversations` / `processed_events`, hour-coarse case
times, the Slack receipt kept out of a DM: one of these tests fails.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_harness import ADMIN_CHANNEL, Slack, drive
from teams_harness import TeamsEnv
from teams_harness import payload as teams_payload

from bot.models import Incoming
from handlers.runtime import BotRef
from handlers.server import create_app
from handlers.slack import SLACK_KEY
from handlers.web_chat import COOKIE
from policybot.cli import setup_logging
from testkit.slack_payloads import view_submission

USER_ID = "UPRIVACY123"
NAME = "Zelda Privacy"
EMAIL = "zelda.privacy@example.org"
QUESTION = "Can I friend a parent on Facebook?"
DESCRIPTION = "A parent posted that the Quibblewhistle pottery club is run by idiots."
FORM = {"category": "harassing", "danger": "no", "platform": "facebook",
        "link": "https://facebook.com/posts/987", "when": "2026-01-15", "target": "employee",
        "description": DESCRIPTION, "identity": "anonymous"}
CHAT_FLOW = (("report", True, "category"), ("harassing", True, "danger"), ("no", True, "platform"),
             ("facebook", True, "link"), ("skip", True, "when"), ("skip", True, "target"),
             ("employee", True, "description"), (DESCRIPTION, False, "identity"),
             ("anonymous", True, "confirm"), ("submit", True, None))
PURPOSES = ("id", "conversation", "teams-user", "dedup", "web-chat")
TIME = re.compile(r"^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d)?(\.\d+)?([+-]\d\d:\d\d|Z)?)?$")
CASE_TABLES = ("cases", "case_events", "case_messages", "case_posts", "outbox")


# ------------------------------------------------------------------ the property

def snapshot(storage) -> tuple[dict[str, dict[Any, dict[str, Any]]], bytes]:
    """Every row of every table by rowid, and the -wal file's bytes."""
    db = storage.db
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    rows = {t: {r["__rowid"]: {k: v for k, v in r.items() if k != "__rowid"}
                for r in db.query(f"SELECT rowid AS __rowid, * FROM [{t}]")} for t in tables}
    wal = Path(storage.path + "-wal")
    return rows, wal.read_bytes() if wal.exists() else b""


@dataclass
class Person:
    values: set[str]  # ids, names, the chat session: as the platform gives them
    keyed: set[str] = field(default_factory=set)

    def with_keys(self, storage) -> Person:
        self.keyed = {storage.keyed(v, p) for v in self.values for p in PURPOSES}
        return self

    def named_in(self, row: dict[str, Any]) -> list[str]:
        text = json.dumps(row, ensure_ascii=False, default=str)
        return sorted(v for v in self.values | self.keyed if v in text)


def cells(row: dict[str, Any]) -> set[str]:
    """Values that could link two rows: strings of 8 characters or more that are not times."""
    out = set()
    for v in row.values():
        if isinstance(v, bytes | bytearray):
            v = bytes(v).hex()
        if isinstance(v, str) and len(v) >= 8 and not TIME.match(v):
            out.add(v)
    return out


def is_case_row(table: str, row: dict[str, Any], number: str) -> bool:
    if table == "outbox":
        return number in (row.get("payload") or "")
    return table in CASE_TABLES and (row.get("case_number") or row.get("number")) == number


def new_wal_bytes(before: bytes, after: bytes) -> bytes:
    if len(after) >= len(before) and after[:len(before)] == before:
        return after[len(before):]
    return after  # the log was restarted: everything in it is new


def assert_unlinkable(storage, person: Person, before, after) -> None:
    (rows0, wal0), (rows1, wal1) = before, after
    cases = list(storage.db.query("SELECT * FROM cases"))
    assert len(cases) == 1 and cases[0]["reporter"] is None and cases[0]["key_hash"], cases
    number = cases[0]["number"]
    person_rows = [(t, r) for snap in (rows0, rows1) for t, rs in snap.items()
                   for r in rs.values() if person.named_in(r)]
    assert person_rows, "the question left no row of the person's: nothing was tested"
    person_cells = set().union(*(cells(r) for _, r in person_rows))
    problems = []
    for table, rows in rows1.items():
        for rowid, row in rows.items():
            if rows0.get(table, {}).get(rowid) == row:
                continue  # not written during the report
            named = person.named_in(row)
            if named:
                problems.append(f"{table} row written during the report names the person "
                                f"({named}): {row}")
            shared = set() if is_case_row(table, row, number) else cells(row) & person_cells
            if shared:
                problems.append(f"{table} row written during the report shares {shared} "
                                "with a row that names the person")
    added = new_wal_bytes(wal0, wal1)
    in_wal = [v for v in person.values | person.keyed
              if v.encode() in added or v.encode("utf-16-le") in added]
    if in_wal:
        problems.append(f"-wal frames written during the report hold {in_wal}")
    case = cases[0]
    if person.named_in(case):
        problems.append(f"the case names the person: {person.named_in(case)}")
    opened = [e["created_at"] for e in storage.db.query(
        "SELECT created_at FROM case_events WHERE case_number = ? AND action = 'opened'",
        [number])]
    for stamp in [case["created_at"], case["updated_at"], *opened]:
        if stamp[13:19] != ":00:00":
            problems.append(f"case time {stamp} is finer than the hour")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ logs

@pytest.fixture
def logs(caplog):
    """Every record at DEBUG, filtered exactly as `policybot` filters them with
    POLICYBOT_LOG_LEVEL=DEBUG (policybot.cli.setup_logging quietens its list of noisy loggers)."""
    saved = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    caplog.set_level(logging.DEBUG)
    setup_logging("DEBUG")  # root already has pytest's handler: only the logger levels change
    yield caplog
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def log_text(caplog, level: int = logging.DEBUG) -> str:
    lines = []
    for record in caplog.records:
        if record.levelno >= level:
            lines.append(record.getMessage())
            if record.exc_text:
                lines.append(record.exc_text)
    return "\n".join(lines)


def assert_logs_clean(caplog, person: Person, level: int = logging.DEBUG) -> None:
    text = log_text(caplog, level)
    assert not [v for v in person.values | person.keyed if v in text], "person in the logs"
    info = log_text(caplog, logging.INFO)
    leaked = [t for t in (QUESTION, DESCRIPTION) if t in info or t[:40] in info]
    assert not leaked, f"logged at INFO or above: {leaked}"


# ------------------------------------------------------------------ terminal (Bot.handle)

def test_console_anonymous_report_cannot_be_linked(bot, logs):
    conversation = "cli:privacy-console"
    person = Person({conversation, f"cli:{USER_ID}", USER_ID, NAME}).with_keys(bot.storage)

    def say(text: str, is_button: bool = False):
        return bot.handle(Incoming(text=text, conversation_id=conversation,
                                   user_id=f"cli:{USER_ID}", user_name=NAME,
                                   platform="console", is_button=is_button))

    say(QUESTION)
    before = snapshot(bot.storage)
    for text, is_button, expected in CHAT_FLOW:
        replies = say(text, is_button)
        step = next((r.step for r in reversed(replies) if r.step), None)
        assert (step or {}).get("id") == expected, replies[-1].text
    assert replies[-1].kind == "receipt"
    assert_unlinkable(bot.storage, person, before, snapshot(bot.storage))
    assert_logs_clean(logs, person)


# ------------------------------------------------------------------ web chat over HTTP

WEB_SESSION = f"{USER_ID}-web-session-zz"


def test_web_chat_anonymous_report_cannot_be_linked(bot, settings, logs):
    from handlers.web_chat import to_incoming

    incoming = to_incoming(bot.storage, WEB_SESSION, "")
    person = Person({WEB_SESSION, incoming.conversation_id, incoming.user_id}
                    ).with_keys(bot.storage)
    ref = BotRef()
    ref.set(bot)
    snaps = []

    async def scenario() -> None:
        async with TestClient(TestServer(create_app(settings, ref), host="127.0.0.1")) as c:
            c.session.cookie_jar.update_cookies({COOKIE: WEB_SESSION})
            for text, is_button, expected in ((QUESTION, False, None), *CHAT_FLOW):
                if text == "report":
                    snaps.append(snapshot(bot.storage))
                r = await c.post("/chat/api", json={"text": text, "is_button": is_button})
                assert r.status == 200, await r.text()
                data = await r.json()
                assert (data["step"] or {}).get("id") == expected, data["replies"][-1]["text"]
            assert data["replies"][-1]["kind"] == "receipt"

    asyncio.run(scenario())
    assert_unlinkable(bot.storage, person, snaps[0], snapshot(bot.storage))
    assert_logs_clean(logs, person)


# ------------------------------------------------------------------ Slack modal (signed)

SLACK_DM = "D0PRIVACY1"


def test_slack_anonymous_report_cannot_be_linked(settings, bot, logs):
    person = Person({USER_ID, SLACK_DM, f"slack:{USER_ID}", f"slack:{SLACK_DM}:", NAME, EMAIL,
                     "zelda.privacy"}).with_keys(bot.storage)
    snaps = []

    async def scenario(s: Slack) -> None:
        question = json.loads(
            (Path(__file__).parent / "payloads/slack/message_im.json").read_text())
        question["event_id"] = "Ev0PRIVACY01"
        question["event"].update({"text": QUESTION, "user": USER_ID, "channel": SLACK_DM,
                                  "user_profile": {"real_name": NAME, "display_name": NAME,
                                                   "name": "zelda.privacy", "email": EMAIL}})
        question["event"].pop("blocks", None)
        assert (await s.event(question)).status == 200
        await s.fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == SLACK_DM)
        snaps.append(snapshot(bot.storage))
        submission = view_submission(FORM, view_id="V0PRIVACY1", user=USER_ID)
        submission["user"].update({"username": "zelda.privacy", "name": NAME})
        response = await s.interact(submission)
        assert response.status == 200
        body = await response.json()
        assert body["response_action"] == "update"
        key = re.search(r"case key:\* (\S+)", json.dumps(body)).group(1)
        await s.fake.wait_for("chat.postMessage",
                              where=lambda c: c.args["channel"] == ADMIN_CHANNEL)
        front = s.app[SLACK_KEY]
        while front.tasks:  # the admin-channel post's bookkeeping
            await asyncio.gather(*list(front.tasks), return_exceptions=True)
        # the receipt (number and key) is in the modal only: never in a conversation
        posted = [c for c in s.fake.calls if c.method == "chat.postMessage"
                  and c.args.get("channel") != ADMIN_CHANNEL]
        assert not [c for c in posted if key in json.dumps(c.args) or "2026-0001" in
                    json.dumps(c.args)], "receipt sent to a conversation"

    drive(settings, bot, scenario)
    assert_unlinkable(bot.storage, person, snaps[0], snapshot(bot.storage))
    assert_logs_clean(logs, person)


# ------------------------------------------------------------------ Teams: form and message extension

TEAMS_CHAT = "a:1privacyPersonalChat"
TEAMS_FROM = {"id": f"29:{USER_ID}", "name": NAME, "aadObjectId": USER_ID,
              "userPrincipalName": EMAIL, "email": EMAIL}


def teams_identity(activity: dict) -> dict:
    activity["from"] = dict(TEAMS_FROM)
    activity["conversation"]["id"] = TEAMS_CHAT
    return activity


async def teams_form_report(env) -> None:
    """The report form card in the personal chat, submitted anonymously."""
    form = teams_identity(teams_payload("report_form_submit", id="privacy-form-1"))
    form["value"] = {"pbForm": "report", **FORM}
    assert (await env.post(form)).status == 201
    # the receipt replaces the form card; no message of its own carries the key
    [update] = env.connector.updated
    assert "case key" in json.dumps(update.activity).lower()
    assert not [s for s in env.connector.sent if "case key" in
                json.dumps(s.activity).lower()]


async def teams_extension_report(env) -> None:
    """"Report to policybot" on a channel message: the dialog opens, the anonymous form is
    submitted, and the receipt comes back in the dialog only."""
    fetch = teams_payload("extension_fetch_task")
    fetch["from"] = dict(TEAMS_FROM)
    assert (await (await env.post(fetch)).json())["task"]["type"] == "continue"
    submit = teams_payload("extension_submit_action")
    submit["from"] = dict(TEAMS_FROM)
    submit["value"]["data"] = {"pbForm": "report", **FORM}
    body = await (await env.post(submit)).json()
    assert "case key" in json.dumps(body).lower()
    # nothing sent but the question's answer: no receipt in a chat, no chat opened
    assert len(env.connector.sent) == 1 and not env.connector.updated
    assert not env.connector.created


@pytest.mark.parametrize("report", [teams_form_report, teams_extension_report],
                         ids=["form", "message_extension"])
def test_teams_anonymous_report_cannot_be_linked(settings, bot, logs, report):
    person = Person({USER_ID, f"29:{USER_ID}", f"teams:{USER_ID}", TEAMS_CHAT,
                     f"teams:{TEAMS_CHAT}", NAME, EMAIL}).with_keys(bot.storage)
    snaps = []

    async def main() -> None:
        async with TeamsEnv(settings, bot) as env:
            ask = teams_identity(teams_payload("personal_message", text=QUESTION,
                                               id="privacy-q-1"))
            assert (await env.post(ask)).status == 201
            snaps.append(snapshot(bot.storage))
            env.front._known_personal.clear()  # as if another worker takes the report
            await report(env)

    asyncio.run(main())
    assert_unlinkable(bot.storage, person, snaps[0], snapshot(bot.storage))
    assert_logs_clean(logs, person)
