"""The Slack front end end to end: signed, real-shaped payloads over HTTP into the real Bolt
app mounted by handlers.slack.mount on handlers.server.create_app, with a local fake Slack
Web API (testkit/fake_slack.py) recording what Slack would receive."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from slack_harness import (
    ADMIN_CHANNEL,
    FORM,
    PAYLOADS,
    SECRET,
    Slack,
    all_text,
    block_action,
    buttons,
    drive,
    event_payload,
    fresh_trigger,
    select_action,
    signed,
)

from bot.models import Incoming
from handlers.runtime import FRONTENDS, BotRef
from handlers.server import create_app
from handlers.slack import SLACK_KEY
from infra.errors import ConfigError
from testkit.fake_slack import FakeSlack
from testkit.slack_payloads import load, view_submission

# ------------------------------------------------------------------ asking

def test_dm_question_is_answered_with_the_clause_confidence_and_buttons(settings, bot):
    async def scenario(s: Slack) -> None:
        response = await s.event(load("message_im"))
        assert response.status == 200
        [call] = await s.fake.wait_for("chat.postMessage")
        assert call.args["channel"] == "D0TEACHER1"
        assert "thread_ts" not in call.args
        assert call.headers["Authorization"] == "Bearer xoxb-test-token"
        blocks = call.args["blocks"]
        text = all_text(blocks)
        assert "> Never post any identifying student information" in text
        assert "BUL-5688.0#3" in text and "https://" in text
        context = next(b for b in blocks if b["type"] == "context")["elements"][0]["text"]
        assert context.startswith("Confidence: ") and "BUL-5688.0#3" in context
        values = [b["value"] for b in buttons(blocks)]
        assert values[0].startswith("feedback helpful ") and values[1].startswith(
            "feedback unhelpful ")
        assert "report student_identified" in values
        assert all(b["action_id"].startswith("pb_btn") for b in buttons(blocks))

    drive(settings, bot, scenario)


def test_slack_gets_its_ack_while_the_core_is_still_working(settings, bot, monkeypatch):
    """Slack retries an event it has no 200 for within 3 seconds, so the ack must not wait
    for the answer: with the core held mid-question, the 200 has already arrived."""
    entered, release = threading.Event(), threading.Event()
    handle = bot.handle

    def held(incoming):
        entered.set()
        assert release.wait(30)
        return handle(incoming)

    monkeypatch.setattr(bot, "handle", held)

    async def scenario(s: Slack) -> None:
        request = asyncio.ensure_future(s.event(load("message_im")))
        try:
            assert await asyncio.to_thread(entered.wait, 10)  # the core is working...
            response = await asyncio.wait_for(request, 10)  # ...and Slack has its 200
            assert response.status == 200 and not s.fake.calls_to("chat.postMessage")
        finally:
            release.set()
        await s.fake.wait_for("chat.postMessage")

    drive(settings, bot, scenario)


def test_mention_is_answered_in_the_thread_and_a_follow_up_keeps_context(settings, bot):
    async def scenario(s: Slack) -> None:
        await s.event(load("app_mention"))
        [first] = await s.fake.wait_for("chat.postMessage")
        assert first.args["channel"] == "C0STAFF"
        assert first.args["thread_ts"] == "1700000200.000200"
        follow = event_payload("app_mention", "Ev0MENTION02", text="<@UBOTUSER> and videos?",
                               ts="1700000210.000210", thread_ts="1700000200.000200")
        await s.event(follow)
        calls = await s.fake.wait_for("chat.postMessage", 2)
        second = calls[1]
        assert second.args["thread_ts"] == "1700000200.000200"
        # "and videos?" alone is not answerable; in this thread it is, from context.
        assert "BUL-5688.0#3" in all_text(second.args["blocks"])
        row = s.bot.storage.db["conversations"].get(
            s.bot.storage.keyed("slack:C0STAFF:1700000200.000200", "conversation"))
        assert "context" in json.loads(row["state"])

    drive(settings, bot, scenario)


def test_a_mention_by_another_app_is_acknowledged_and_not_answered(settings, bot, caplog):
    """Workflows and other apps mention the bot with a bot_id and no user: 200 (so Slack
    does not retry), no answer, no question logged, no listener error."""
    async def scenario(s: Slack) -> None:
        payload = event_payload("app_mention", "Ev0BOTMENTION", text="<@UBOTUSER> hello",
                                bot_id="B0WORKFLOW")
        del payload["event"]["user"]
        assert (await s.event(payload)).status == 200
        await s.settled()
        assert not s.fake.calls_to("chat.postMessage") and s.questions() == 0

    drive(settings, bot, scenario)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_an_event_whose_fields_have_the_wrong_shape_gets_400_naming_the_field(settings, bot):
    async def scenario(s: Slack) -> None:
        response = await s.event(event_payload("message_im", "Ev0BADSHAPE", text=["hi"]))
        assert response.status == 400
        assert "`event.text` must be text" in await response.text()
        await s.settled()
        assert not s.fake.calls_to("chat.postMessage") and s.questions() == 0

    drive(settings, bot, scenario)


def test_a_question_asked_from_another_process_reaches_the_slack_reporter(settings, bot):
    """`policybot cases ask` runs in its own process: the event goes through the outbox
    and the server's poller delivers it (once) to the named reporter's DM."""
    from bot.cases import CaseStore
    from bot.config import LOCAL_OPERATOR
    from bot.events import EventBus
    from infra.db import Storage

    draft = {"category": "harassing", "danger": "no", "platform": "facebook", "link": None,
             "when": None, "target": "employee", "description": "A mocking post.",
             "identity": "named"}

    async def scenario(s: Slack) -> None:
        case, _ = await asyncio.to_thread(s.bot.cases.open_case, draft, "slack:UTEACHER1",
                                          False, [])
        await s.fake.wait_for("chat.postMessage")  # the admin-channel post, in-process
        cli = CaseStore(Storage(s.settings.db_path), s.settings, EventBus())
        await asyncio.to_thread(cli.ask_reporter, case["number"], "Which account posted it?",
                                LOCAL_OPERATOR)
        [dm] = await s.fake.wait_for("chat.postMessage", timeout=15,
                                     where=lambda c: c.args.get("channel") == "UTEACHER1")
        assert "Which account posted it?" in json.dumps(dm.args)
        # another poll (run here, not waited for) finds nothing left: one DM, one admin post
        assert await asyncio.to_thread(s.bot.events.deliver_pending) == 0
        await s.settled()
        assert len(s.fake.calls_to("chat.postMessage")) == 2

    drive(settings, bot, scenario)


def test_a_follow_up_in_the_thread_without_a_mention_is_answered_in_context(settings, bot):
    async def scenario(s: Slack) -> None:
        await s.event(load("app_mention"))
        await s.fake.wait_for("chat.postMessage")
        assert (await s.event(load("message_channel_thread"))).status == 200
        calls = await s.fake.wait_for("chat.postMessage", 2)
        assert calls[1].args["channel"] == "C0STAFF"
        assert calls[1].args["thread_ts"] == "1700000200.000200"
        # "and what about videos?" alone is not answerable; in this thread it is.
        assert "BUL-5688.0#3" in all_text(calls[1].args["blocks"])

    drive(settings, bot, scenario)


@pytest.mark.parametrize("text", ["thanks, that helps!", "ok I'll ask my principal",
                                  "Who is bringing snacks on Friday?"])
def test_chatter_in_a_thread_the_bot_answered_gets_no_reply(settings, bot, text):
    async def scenario(s: Slack) -> None:
        await s.event(load("app_mention"))
        await s.fake.wait_for("chat.postMessage")
        questions = s.questions()
        reply = event_payload("message_channel_thread", "Ev0THREAD002", text=text)
        assert (await s.event(reply)).status == 200
        await s.settled()
        assert len(s.fake.calls_to("chat.postMessage")) == 1
        assert s.questions() == questions  # people's own talk is not logged

    drive(settings, bot, scenario)


def test_threads_the_bot_never_answered_and_mentions_are_left_alone(settings, bot):
    async def scenario(s: Slack) -> None:
        other = event_payload("message_channel_thread", "Ev0THREAD003",
                              thread_ts="1700000999.000999", text="can I friend a parent?")
        assert (await s.event(other)).status == 200
        await s.event(load("app_mention"))
        await s.fake.wait_for("chat.postMessage")
        # a thread reply that mentions the bot arrives twice (app_mention and message):
        # the message copy is ignored, so it is answered once
        mention = event_payload("app_mention", "Ev0MENTION03", ts="1700000240.000240",
                                thread_ts="1700000200.000200",
                                text="<@UBOTUSER> and what about videos?")
        copy = event_payload("message_channel_thread", "Ev0THREAD004", ts="1700000240.000240",
                             text="<@UBOTUSER> and what about videos?")
        await s.event(copy)
        await s.event(mention)
        await s.fake.wait_for("chat.postMessage", 2)
        await s.settled()
        posts = s.fake.calls_to("chat.postMessage")
        assert len(posts) == 2 and all(p.args["thread_ts"] == "1700000200.000200"
                                       for p in posts)

    drive(settings, bot, scenario)


def test_feedback_button_stores_feedback_without_a_user_id(settings, bot):
    async def scenario(s: Slack) -> None:
        await s.event(load("message_im"))
        [call] = await s.fake.wait_for("chat.postMessage")
        helpful = buttons(call.args["blocks"])[0]
        block_id = next(b for b in call.args["blocks"] if b["type"] == "actions")["block_id"]
        press = block_action(helpful["action_id"], helpful["value"], block_id, user="UTEACHER1",
                             channel="D0TEACHER1")
        assert (await s.interact(press)).status == 200
        calls = await s.fake.wait_for("chat.postMessage", 2)
        assert "glad it helped" in calls[1].args["text"]
        rows = list(s.bot.storage.db["feedback"].rows)
        assert len(rows) == 1 and rows[0]["helpful"] == 1
        assert set(rows[0]) == {"id", "question_id", "helpful", "created_at"}

    drive(settings, bot, scenario)


def test_policy_command_answers_privately_with_a_share_button(settings, bot):
    async def scenario(s: Slack) -> None:
        response = await s.command("command_policy")
        assert response.status == 200
        [private] = await s.fake.wait_for("response_url")
        assert private.args["response_type"] == "ephemeral"
        assert not s.fake.calls_to("chat.postMessage")
        share = next(b for b in buttons(private.args["blocks"]) if b["action_id"] == "pb_share")
        assert share["value"] == "show BUL-5688.0#3"
        block_id = next(b for b in private.args["blocks"] if b["type"] == "actions")["block_id"]
        assert block_id.endswith("slack:C0STAFF:cmd-UTEACHER1")
        press = block_action("pb_share", share["value"], block_id, user="UTEACHER1",
                             channel="C0STAFF", ephemeral=True,
                             response_url=s.fake.response_url("share"))
        await s.interact(press)
        shared = await s.fake.wait_for("response_url", where=lambda c: c.path.endswith("share"))
        assert shared[0].args["response_type"] == "in_channel"
        assert "<@UTEACHER1> shared" in all_text(shared[0].args["blocks"])
        assert "Do not post any information" in all_text(shared[0].args["blocks"])

    drive(settings, bot, scenario)


def test_no_answer_says_where_to_ask(settings, bot):
    async def scenario(s: Slack) -> None:
        await s.event(event_payload("message_im", "Ev0NOANSWER1",
                                    text="what is the weather on the moon tonight"))
        [call] = await s.fake.wait_for("chat.postMessage")
        assert "your principal or site administrator" in all_text(call.args["blocks"])
        assert "Did you mean" not in all_text(call.args["blocks"])

    drive(settings, bot, scenario)


def test_ambiguous_question_offers_a_button_per_guideline(settings, bot):
    async def scenario(s: Slack) -> None:
        # ("can I post" sat exactly on the fake encoder's answer threshold, 0.23, and read
        # as related on some runs; this one is ambiguous with a margin)
        await s.event(event_payload("message_im", "Ev0AMBIGUOUS", text="can I post online"))
        [call] = await s.fake.wait_for("chat.postMessage")
        assert "Did you mean" in all_text(call.args["blocks"])
        values = [b["value"] for b in buttons(call.args["blocks"])]
        assert {"show BUL-5688.0#consequences", "show BUL-5688.0#4"} <= set(values), values

    drive(settings, bot, scenario)


# ------------------------------------------------------------------ reliability

def test_forged_signature_gets_401_and_nothing_runs(settings, bot):
    async def scenario(s: Slack) -> None:
        body = json.dumps(load("message_im"))
        headers = {"Content-Type": "application/json", **signed(body, secret="not-the-secret")}
        response = await s.client.post("/slack/events", data=body, headers=headers)
        assert response.status == 401
        await s.settled()
        assert s.fake.api_calls() == []  # only the start-up token check
        assert s.questions() == 0

    drive(settings, bot, scenario)


def test_old_timestamp_gets_401(settings, bot):
    async def scenario(s: Slack) -> None:
        body = json.dumps(load("message_im"))
        headers = {"Content-Type": "application/json",
                   **signed(body, timestamp=int(time.time()) - 3600)}
        response = await s.client.post("/slack/events", data=body, headers=headers)
        assert response.status == 401
        await s.settled()
        assert s.fake.api_calls() == [] and s.questions() == 0

    drive(settings, bot, scenario)


def test_a_retried_event_gets_one_answer(settings, bot):
    async def scenario(s: Slack) -> None:
        payload = load("message_im")
        first, second, third = await asyncio.gather(
            s.event(payload), s.event(payload, retry=1), s.event(payload, retry=2))
        assert {first.status, second.status, third.status} == {200}
        await s.fake.wait_for("chat.postMessage")
        await s.settled()
        assert len(s.fake.calls_to("chat.postMessage")) == 1
        assert s.questions() == 1

    drive(settings, bot, scenario)


def test_rate_limited_post_message_is_retried_and_delivered_once(settings, bot):
    async def scenario(s: Slack) -> None:
        s.fake.fail("chat.postMessage", status=429, retry_after=1)
        await s.event(load("message_im"))
        delivered = await s.fake.wait_for("chat.postMessage", timeout=10)
        attempts = s.fake.calls_to("chat.postMessage", ok_only=False)
        assert [c.status for c in attempts] == [429, 200]
        assert attempts[1].at - attempts[0].at >= 1.0  # Retry-After honoured
        await s.settled()
        assert len(delivered) == len(s.fake.calls_to("chat.postMessage")) == 1

    drive(settings, bot, scenario)


def test_server_errors_and_a_hanging_api_are_retried(settings, bot, caplog):
    async def scenario(s: Slack) -> None:
        s.app[SLACK_KEY].client.timeout = 1
        s.fake.fail("chat.postMessage", status=500)
        s.fake.fail("chat.postMessage", status=200, hang=3)
        await s.event(load("message_im"))
        await s.fake.wait_for("chat.postMessage", timeout=15)
        attempts = s.fake.calls_to("chat.postMessage", ok_only=False)
        assert [c.status for c in attempts] == [500, 0, 200]
        assert any("retrying" in r.message for r in caplog.records)

    drive(settings, bot, scenario)


def test_unknown_event_types_are_acknowledged_and_ignored(settings, bot):
    async def scenario(s: Slack) -> None:
        response = await s.event(load("reaction_added"))
        assert response.status == 200
        edited = event_payload("message_im", "Ev0EDIT00001", subtype="message_changed")
        assert (await s.event(edited)).status == 200
        await s.settled()
        assert s.fake.api_calls() == []

    drive(settings, bot, scenario)


def test_url_verification_challenge(settings, bot):
    async def scenario(s: Slack) -> None:
        body = json.dumps({"token": "x", "challenge": "abc123", "type": "url_verification"})
        response = await s.post(body, "application/json")
        assert response.status == 200 and "abc123" in await response.text()

    drive(settings, bot, scenario)


def test_slack_is_off_without_a_token(settings):
    async def scenario() -> None:
        app = create_app(settings, BotRef())
        assert app[FRONTENDS]["slack"] == "off (SLACK_BOT_TOKEN not set)"
        assert not [r for r in app.router.routes() if r.resource and
                    r.resource.canonical == "/slack/events"]

    asyncio.run(scenario())


def test_socket_mode_is_reported_when_an_app_token_is_set(settings):
    from aiohttp import web

    from handlers import slack

    app = web.Application()
    status = slack.mount(app, BotRef(), settings.with_(slack_bot_token="xoxb-x",
                                                       slack_app_token="xapp-1-x"))
    assert status == "on (Socket Mode)"
    assert not [r for r in app.router.routes() if r.resource.canonical == "/slack/events"]


# ------------------------------------------------------------------ reporting

def test_report_command_opens_the_modal_built_from_the_report_steps(settings, bot):
    async def scenario(s: Slack) -> None:
        assert (await s.command("command_report", text="bullying")).status == 200
        [call] = await s.fake.wait_for("views.open")
        assert call.args["trigger_id"] == s.last_trigger
        view = call.args["view"]
        assert view["callback_id"] == "pb_report"
        ids = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
        assert ids == ["category", "danger", "platform", "link", "when", "target",
                       "description", "identity"]
        category = view["blocks"][1]["element"]
        assert category["initial_option"]["value"] == "bullying"

    drive(settings, bot, scenario)


def test_message_shortcut_prefills_permalink_and_author(settings, bot):
    async def scenario(s: Slack) -> None:
        assert (await s.interact(load("shortcut_report_message"))).status == 200
        [link] = await s.fake.wait_for("chat.getPermalink")
        assert link.args == {"channel": "C0STAFF", "message_ts": "1700000550.000550"}
        [call] = await s.fake.wait_for("views.open")
        blocks = {b.get("block_id"): b for b in call.args["view"]["blocks"]}
        assert blocks["link"]["element"]["initial_value"] == \
            "https://lausd-test.slack.com/archives/C0STAFF/p1700000550000550"
        description = blocks["description"]["element"]["initial_value"]
        assert "Pat Poster (Slack user UPOSTER9)" in description
        assert "Look at this kid" in description
        assert blocks["platform"]["element"]["initial_option"]["value"] == "district"

    drive(settings, bot, scenario)


def test_report_button_opens_the_modal_instead_of_a_chat_flow(settings, bot):
    async def scenario(s: Slack) -> None:
        await s.interact(load("block_actions_button"))
        [call] = await s.fake.wait_for("views.open")
        category = call.args["view"]["blocks"][1]["element"]
        assert category["initial_option"]["value"] == "student_identified"
        assert not s.fake.calls_to("chat.postMessage")

    drive(settings, bot, scenario)


def test_field_errors_come_back_keyed_by_block_id(settings, bot):
    async def scenario(s: Slack) -> None:
        bad = view_submission({**FORM, "link": "not a link", "description": "",
                               "when": "2999-01-01"})
        response = await s.interact(bad)
        assert response.status == 200
        body = await response.json()
        assert body["response_action"] == "errors"
        assert set(body["errors"]) == {"link", "description", "when"}
        assert s.bot.storage.db["cases"].count == 0

    drive(settings, bot, scenario)


def test_named_report_stores_the_case_dms_the_receipt_and_posts_a_masked_summary(settings, bot):
    async def scenario(s: Slack) -> None:
        response = await s.interact(view_submission(FORM))
        body = await response.json()
        assert body["response_action"] == "update"
        assert "Your report is case" in all_text(body["view"]["blocks"])
        [case] = list(s.bot.storage.db["cases"].rows)
        assert case["reporter"] == "slack:UTEACHER1"
        dm = await s.fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] ==
                                   "UTEACHER1")
        assert case["number"] in dm[0].args["text"]
        [admin] = await s.fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] ==
                                        ADMIN_CHANNEL)
        posted = json.dumps(admin.args)
        assert case["number"] in posted and "Harassing" in posted and "Facebook" in posted
        assert "Maria" not in posted and "stupid" not in posted  # description masked
        assert "<@UADMIN>" not in posted  # not urgent: no mentions
        elements = buttons(admin.args["blocks"])
        labels = [(e.get("text") or e.get("placeholder"))["text"] for e in elements]
        assert labels == ["Claim", "Assign", "Set status", "Change category",
                          "Change urgency", "Add note", "Ask the reporter", "Link as duplicate",
                          "Reveal details"]
        assert elements[2]["type"] == "static_select"
        # Nothing about the report was posted anywhere else.
        others = [c for c in s.fake.calls_to("chat.postMessage")
                  if c.args["channel"] not in ("UTEACHER1", ADMIN_CHANNEL)]
        assert others == []

    drive(settings, bot, scenario)


def test_urgent_report_shows_emergency_guidance_first_and_mentions_admins(settings, bot):
    async def scenario(s: Slack) -> None:
        response = await s.interact(view_submission({**FORM, "danger": "yes"}))
        view = (await response.json())["view"]
        first_text = all_text(view["blocks"][:3])
        assert "911" in first_text
        assert all_text(view["blocks"]).index("911") < all_text(view["blocks"]).index("case")
        dms = await s.fake.wait_for("chat.postMessage", 2,
                                    where=lambda c: c.args["channel"] == "UTEACHER1")
        assert "911" in dms[0].args["text"] and "Your report is case" in dms[1].args["text"]
        [admin] = await s.fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] ==
                                        ADMIN_CHANNEL)
        assert admin.args["text"].startswith("<@UADMIN>")
        assert "URGENT" in all_text(admin.args["blocks"])

    drive(settings, bot, scenario)


def test_anonymous_report_stores_no_slack_user_id(settings, bot):
    async def scenario(s: Slack) -> None:
        response = await s.interact(view_submission({**FORM, "identity": "anonymous"},
                                                    user="UANONYMOUS7"))
        body = await response.json()
        assert body["response_action"] == "update"
        assert "Your case key:" in json.dumps(body["view"])  # in the modal, and only there
        await s.fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] ==
                              ADMIN_CHANNEL)
        assert not [c for c in s.fake.calls_to("chat.postMessage")
                    if c.args["channel"] != ADMIN_CHANNEL]
        [case] = list(s.bot.storage.db["cases"].rows)
        assert case["reporter"] is None
        s.bot.storage.db.execute("PRAGMA wal_checkpoint(FULL)")
        path = Path(s.bot.storage.path)
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert b"UANONYMOUS7" not in raw
        dump = "\n".join(sqlite3.connect(path).iterdump())
        assert "UANONYMOUS7" not in dump

    drive(settings, bot, scenario)


def test_a_resubmitted_view_makes_one_case(settings, bot):
    async def scenario(s: Slack) -> None:
        payload = view_submission(FORM)
        first, second = await asyncio.gather(s.interact(payload), s.interact(payload))
        assert first.status == second.status == 200
        assert s.bot.storage.db["cases"].count == 1
        await s.settled()
        receipts = [c for c in s.fake.calls_to("chat.postMessage")
                    if c.args["channel"] == "UTEACHER1"]
        assert len(receipts) == 1

    drive(settings, bot, scenario)


def test_report_in_a_channel_mention_is_never_taken_in_the_thread(settings, bot):
    async def scenario(s: Slack) -> None:
        await s.event(event_payload("app_mention", "Ev0MENTREP01",
                                    text="<@UBOTUSER> report harassing"))
        [offer] = await s.fake.wait_for("chat.postEphemeral")
        assert offer.args["user"] == "UTEACHER2"
        assert buttons(offer.args["blocks"])[0]["value"] == "report harassing"
        await s.settled()
        assert not s.fake.calls_to("chat.postMessage")
        assert s.bot.storage.db["conversations"].count == 0  # the chat flow was cancelled

    drive(settings, bot, scenario)


def test_a_chat_report_in_a_dm_stays_in_the_dm(settings, bot):
    async def scenario(s: Slack) -> None:
        await s.event(event_payload("message_im", "Ev0DMREPORT1", text="report"))
        [call] = await s.fake.wait_for("chat.postMessage")
        assert call.args["channel"] == "D0TEACHER1"
        assert "What kind of post" in call.args["text"]

    drive(settings, bot, scenario)


# ------------------------------------------------------------------ administrators

async def open_case(s: Slack, **changes) -> str:
    incoming = Incoming("report form", "slack:view:T", "slack:UTEACHER1", platform="slack")
    result = await asyncio.to_thread(s.bot.reports.submit_form, incoming, {**FORM, **changes})
    await s.fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] ==
                          ADMIN_CHANNEL and result.case_number in c.args["text"])
    return result.case_number


def admin_block_id() -> str:
    return f"pb|0|slack:{ADMIN_CHANNEL}:"


def test_non_admin_pressing_claim_is_not_permitted_and_recorded(settings, bot):
    async def scenario(s: Slack) -> None:
        number = await open_case(s)
        press = block_action("pb_btn_claim", f"claim {number}", admin_block_id(),
                             user="UEMPLOYEE")
        await s.interact(press)
        [reply] = await s.fake.wait_for("chat.postEphemeral")
        assert reply.args["user"] == "UEMPLOYEE" and reply.args["channel"] == ADMIN_CHANNEL
        assert "Not permitted" in reply.args["text"]
        denied = list(s.bot.storage.db.query(
            "SELECT * FROM case_events WHERE action = 'denied'"))
        assert [(d["actor"], d["case_number"]) for d in denied] == [("slack:UEMPLOYEE", number)]
        assert s.bot.storage.db["cases"].get(1)["assignee"] is None

    drive(settings, bot, scenario)


def test_non_admin_pressing_add_note_is_refused_and_recorded(settings, bot):
    async def scenario(s: Slack) -> None:
        number = await open_case(s)
        await s.interact(block_action("pb_case_note", number, "case", user="UEMPLOYEE"))
        [reply] = await s.fake.wait_for("chat.postEphemeral")
        assert "Not permitted" in reply.args["text"]
        assert not s.fake.calls_to("views.open")
        actions = [r["action"] for r in s.bot.storage.db["case_events"].rows]
        assert actions == ["opened", "denied"]

    drive(settings, bot, scenario)


def test_admin_claims_then_reveals_details_privately_and_it_is_recorded(settings, bot):
    async def scenario(s: Slack) -> None:
        number = await open_case(s)
        await s.interact(block_action("pb_btn_claim", f"claim {number}", admin_block_id()))
        [reply] = await s.fake.wait_for("chat.postEphemeral")
        assert f"You now have case *{number}*" in reply.args["text"]
        [updated] = await s.fake.wait_for("chat.update")  # the channel post follows
        assert "<@UADMIN>" in all_text(updated.args["blocks"])
        assert "Maria Lopez" not in all_text(updated.args["blocks"])
        await s.interact(block_action("pb_btn_reveal", f"reveal {number}", admin_block_id()))
        replies = await s.fake.wait_for("chat.postEphemeral", 2)
        details = replies[1].args
        assert details["user"] == "UADMIN" and details["channel"] == ADMIN_CHANNEL
        text = all_text(details["blocks"])
        assert "Maria Lopez" in text and "assigned by slack:UADMIN" in text
        assert "revealed by slack:UADMIN" in text

    drive(settings, bot, scenario)


def test_admin_sets_status_with_a_reason_and_asks_the_reporter(settings, bot):
    async def scenario(s: Slack) -> None:
        number = await open_case(s)
        await s.interact(select_action("pb_btn_status", f"set-status {number} dismissed "
                                       "duplicate", admin_block_id()))
        [done] = await s.fake.wait_for("chat.postEphemeral")
        assert "dismissed (duplicate)" in done.args["text"]
        assert s.bot.storage.db["cases"].get(1)["status"] == "dismissed"
        # Ask the reporter: a named Slack reporter gets a DM.
        await s.interact(block_action("pb_case_ask", number, "case"))
        [asked] = await s.fake.wait_for("views.open")
        ask_view = asked.args["view"]
        submission = {"type": "view_submission", "user": {"id": "UADMIN"},
                      "team": {"id": "T0LAUSD"}, "api_app_id": "A0POLICY",
                      "view": {**ask_view, "id": "V0ASK0001", "state": {"values": {"text": {
                          "value": {"type": "plain_text_input", "value": ""}}}}}}
        body = await (await s.interact(submission)).json()
        assert body["response_action"] == "errors" and "empty" in body["errors"]["text"]
        submission["view"]["state"]["values"]["text"]["value"]["value"] = \
            "Do you have a screenshot?"
        assert (await s.interact(submission)).status == 200
        [dm] = await s.fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] ==
                                     "UTEACHER1")
        assert "Do you have a screenshot?" in dm.args["text"]
        assert f"reply {number}" in dm.args["text"]
        # The administrator is told how the question reaches this reporter.
        told = [c.args.get("text", "") for c in s.fake.api_calls()
                if c.method in ("chat.postMessage", "chat.postEphemeral")
                and c.args.get("user", c.args.get("channel")) == "UADMIN"]
        assert any(f"Question added to case *{number}*" in t
                   and "as a Slack direct message" in t for t in told), told

    drive(settings, bot, scenario)


def test_cases_command_lists_for_admins_and_refuses_others(settings, bot):
    async def scenario(s: Slack) -> None:
        number = await open_case(s)
        await s.command("command_cases", user="UADMIN")
        [listing] = await s.fake.wait_for("response_url")
        assert number in listing.args["text"] and listing.args["response_type"] == "ephemeral"
        await s.command("command_cases", user="UEMPLOYEE")
        calls = await s.fake.wait_for("response_url", 2)
        assert "Not permitted" in calls[1].args["text"]
        denied = list(s.bot.storage.db.query(
            "SELECT actor FROM case_events WHERE action = 'denied'"))
        assert denied == [{"actor": "slack:UEMPLOYEE"}]

    drive(settings, bot, scenario)


# ------------------------------------------------------------------ App Home

def test_app_home_shows_own_reports_to_employees_and_open_cases_to_admins(settings, bot):
    async def scenario(s: Slack) -> None:
        number = await open_case(s)
        await s.event(load("app_home_opened"))
        [home] = await s.fake.wait_for("views.publish")
        assert home.args["user_id"] == "UTEACHER1"
        text = all_text(home.args["view"]["blocks"])
        assert number in text and "Open cases" not in text
        assert "Report a post" in text
        created = s.bot.storage.db["cases"].get(1)["created_at"]  # shown in the district's zone
        local = datetime.fromisoformat(created).astimezone(ZoneInfo("America/Los_Angeles"))
        assert f"filed {local:%a %-d %b %Y, %-I:%M %p %Z} (" in text
        admin = event_payload("app_home_opened", "Ev0HOME00002", user="UADMIN",
                              channel="D0ADMIN")
        await s.event(admin)
        homes = await s.fake.wait_for("views.publish", 2)
        admin_text = all_text(homes[1].args["view"]["blocks"])
        assert "Open cases" in admin_text and number in admin_text
        assert re.search(rf"{number}.*, reported (\d+ (minutes?|hours?) ago|just now)", admin_text)

    drive(settings, bot, scenario)


def test_admin_home_my_cases_lists_the_cases_assigned_to_them(settings, bot):
    async def scenario(s: Slack) -> None:
        mine, other = await open_case(s), await open_case(s)
        await asyncio.to_thread(s.bot.case_desk.act, mine, "slack:UADMIN", "claim")
        await s.event(event_payload("app_home_opened", "Ev0HOME00003", user="UADMIN",
                                    channel="D0ADMIN"))
        [home] = await s.fake.wait_for("views.publish")
        blocks = home.args["view"]["blocks"]
        [block] = [b for b in blocks if b["type"] == "actions"
                   and any(e.get("value") == "my cases" for e in b["elements"])]
        [button] = [e for e in block["elements"] if e.get("value") == "my cases"]
        assert button["text"]["text"] == "My cases"
        press = block_action(button["action_id"], "my cases", block["block_id"])
        press["container"] = {"type": "view", "view_id": "V0HOME0001"}
        del press["channel"], press["message"]
        await s.interact(press)
        [listing] = await s.fake.wait_for("chat.postMessage", where=lambda c: c.args[
            "channel"] == "UADMIN" and "Cases:" in c.args.get("text", ""))
        assert mine in listing.args["text"] and other not in listing.args["text"]
        await s.command("command_cases", text="mine", user="UADMIN")  # `/cases mine` too
        [listing] = await s.fake.wait_for("response_url")
        assert mine in listing.args["text"] and other not in listing.args["text"]

    drive(settings, bot, scenario)


def test_admin_closes_from_a_modal_that_insists_on_a_reason(settings, bot):
    async def scenario(s: Slack) -> None:
        number = await open_case(s)
        await s.interact(select_action("pb_btn_category", f"set-category {number} threatening",
                                       admin_block_id()))
        [told] = await s.fake.wait_for("chat.postEphemeral")
        assert "category Threatening" in told.args["text"]
        # the channel post follows a category change too
        await s.fake.wait_for("chat.update", where=lambda c: "Threatening" in
                              all_text(c.args["blocks"]))
        for status in ("triaged", "investigating"):
            await asyncio.to_thread(s.bot.cases.set_status, number, status, "slack:UADMIN")
        await s.interact(block_action("pb_case_close", number, "case"))
        [opened] = await s.fake.wait_for("views.open")
        modal = opened.args["view"]
        assert json.loads(modal["private_metadata"])["action"] == "close"
        assert modal["submit"]["text"] == "Close case"
        submission = {"type": "view_submission", "user": {"id": "UADMIN"},
                      "team": {"id": "T0LAUSD"}, "api_app_id": "A0POLICY",
                      "view": {**modal, "id": "V0CLOSE01", "state": {"values": {"text": {
                          "value": {"type": "plain_text_input", "value": "  "}}}}}}
        body = await (await s.interact(submission)).json()
        assert body["response_action"] == "errors" and "empty" in body["errors"]["text"]
        assert s.bot.storage.db["cases"].get(1)["status"] == "investigating"
        submission["view"]["state"]["values"]["text"]["value"]["value"] = "Post deleted."
        assert (await s.interact(submission)).status == 200
        told = await s.fake.wait_for("chat.postEphemeral", 2)
        assert f"Case *{number}* is now closed (resolved)." in told[1].args["text"]
        # the channel post follows: closed, it offers Reopen
        await s.fake.wait_for("chat.update", where=lambda c: '"Reopen case"' in
                              all_text(c.args["blocks"]))

    drive(settings, bot, scenario)


@pytest.mark.parametrize("name", sorted(p.stem for p in PAYLOADS.glob("*.json")))
def test_payload_files_are_real_shaped(name):
    """Each file is what Slack sends for the kind its name says."""
    payload = load(name)
    kinds = {"block_actions": "block_actions", "shortcut": "message_action",
             "view_submission": "view_submission"}
    kind = next((v for k, v in kinds.items() if name.startswith(k)), None)
    if name.startswith("command_"):
        assert payload["command"] == "/" + name.removeprefix("command_")
        assert {"user_id", "channel_id", "text", "response_url", "trigger_id"} <= set(payload)
    elif kind:
        assert payload["type"] == kind and payload["user"]["id"].startswith("U")
    else:
        assert payload["type"] == "event_callback" and payload["event_id"].startswith("Ev")
        assert name.startswith(payload["event"]["type"]), payload["event"]["type"]


def test_manifest_matches_what_the_app_listens_for():
    import yaml

    manifest = yaml.safe_load((Path(__file__).parent.parent / "slack/manifest.yaml").read_text())
    features, events = manifest["features"], manifest["settings"]["event_subscriptions"]
    assert {c["command"] for c in features["slash_commands"]} == {"/policy", "/report",
                                                                   "/cases"}
    assert [s["callback_id"] for s in features["shortcuts"]] == ["report_message"]
    assert set(events["bot_events"]) == {"app_home_opened", "app_mention", "message.im",
                                         "message.channels", "message.groups"}
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"channels:history", "groups:history", "im:history", "app_mentions:read"} <= scopes
    assert features["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["request_url"].endswith("/slack/events")


def test_the_token_is_checked_once_at_start(settings, bot):
    async def scenario(s: Slack) -> None:
        [check] = s.fake.calls_to("auth.test")
        assert check.headers["Authorization"] == "Bearer xoxb-test-token"

    drive(settings, bot, scenario)


def test_a_token_slack_refuses_stops_the_start(settings, bot):
    async def main() -> None:
        fake = FakeSlack()
        await fake.start()
        fake.errors["auth.test"] = "invalid_auth"
        app = create_app(settings.with_(slack_bot_token="xoxb-revoked",
                                        slack_signing_secret=SECRET,
                                        slack_api_url=fake.api_url), BotRef())
        runner = web.AppRunner(app)
        try:
            with pytest.raises(ConfigError, match=r"Slack refused SLACK_BOT_TOKEN \(invalid_auth"):
                await runner.setup()
        finally:
            await runner.cleanup()
            await fake.stop()

    asyncio.run(main())


def test_an_unreachable_slack_is_a_warning_at_start(settings, bot, caplog):
    async def main() -> None:
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
        app = create_app(settings.with_(slack_bot_token="xoxb-1", slack_signing_secret=SECRET,
                                        slack_api_url=f"http://127.0.0.1:{port}/api/"),
                         BotRef())
        runner = web.AppRunner(app)
        await runner.setup()  # starts
        await runner.cleanup()

    asyncio.run(main())
    assert "Slack could not be reached to check SLACK_BOT_TOKEN" in caplog.text


def _without_urls(node):
    if isinstance(node, dict):
        return {k: _without_urls(v) for k, v in node.items() if k not in ("url", "request_url")}
    if isinstance(node, list):
        return [_without_urls(v) for v in node]
    return node


def test_the_socket_mode_manifest_is_the_http_one_without_urls():
    import yaml

    folder = Path(__file__).parent.parent / "slack"
    http_text = (folder / "manifest.yaml").read_text()
    http = yaml.safe_load(http_text)
    socket = yaml.safe_load((folder / "manifest-socket-mode.yaml").read_text())
    # The HTTP manifest's instructions count the lines to replace: keep the count true.
    url_lines = [line for line in http_text.splitlines()
                 if "policybot.example.org" in line and not line.lstrip().startswith("#")]
    assert "(five lines)" in http_text and len(url_lines) == 5
    assert http["settings"]["socket_mode_enabled"] is False
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "example.org" not in yaml.safe_dump(socket)
    http["settings"]["socket_mode_enabled"] = True
    assert socket == _without_urls(http)


def test_the_admin_channel_post_follows_claims_and_status_changes(settings, bot):
    async def scenario(s: Slack) -> None:
        number = await open_case(s)
        [post] = [c for c in s.fake.calls_to("chat.postMessage")
                  if c.args["channel"] == ADMIN_CHANNEL]
        await s.interact(block_action("pb_btn_claim", f"claim {number}", admin_block_id()))
        [update] = await s.fake.wait_for("chat.update")
        assert update.args["channel"] == ADMIN_CHANNEL
        assert update.args["ts"] == post.response["ts"]
        text = all_text(update.args["blocks"])
        assert "*Assignee:*\\n<@UADMIN>" in text and "*Status:*\\nnew" in text
        assert "Maria Lopez" not in text  # still masked
        await asyncio.to_thread(s.bot.cases.set_status, number, "triaged", "slack:UADMIN")
        updates = await s.fake.wait_for("chat.update", 2)
        assert "*Status:*\\ntriaged" in all_text(updates[1].args["blocks"])

    drive(settings, bot, scenario)


def test_replayed_commands_buttons_and_modal_submissions_act_once(settings, bot):
    """A signed request stays valid for 5 minutes: sent again, it must not act again."""
    async def scenario(s: Slack) -> None:
        number = await open_case(s)
        press = block_action("pb_case_note", number, "case")
        for _ in range(3):
            assert (await s.interact(press)).status == 200
        await s.fake.wait_for("views.open")
        await asyncio.sleep(0.2)
        assert len(s.fake.calls_to("views.open")) == 1
        view = s.fake.calls_to("views.open")[0].args["view"]
        submission = {"type": "view_submission", "user": {"id": "UADMIN"},
                      "team": {"id": "T0LAUSD"}, "api_app_id": "A0POLICY",
                      "trigger_id": fresh_trigger(),
                      "view": {**view, "id": "V0NOTE01", "state": {"values": {
                          "text": {"value": {"type": "plain_text_input",
                                             "value": "Called the principal."}}}}}}
        for _ in range(3):
            assert (await s.interact(submission)).status == 200
        notes = list(s.bot.storage.db.query(
            "SELECT * FROM case_events WHERE action = 'note_added'"))
        assert len(notes) == 1
        fields = load("command_cases")
        fields.update(response_url=s.fake.response_url("command_cases"),
                      trigger_id=fresh_trigger())
        for _ in range(3):
            assert (await s.form(fields)).status == 200
        await s.fake.wait_for("response_url")
        await asyncio.sleep(0.2)
        assert len(s.fake.calls_to("response_url")) == 1

    drive(settings, bot, scenario)


def test_a_forged_case_button_value_is_neither_logged_raw_nor_stored(settings, bot, caplog):
    async def scenario(s: Slack) -> None:
        number = await open_case(s)
        forged = f"{number}\n2026-12-02 02:00:00 INFO handlers.web_admin: admin signed in"
        for user in ("UEMPLOYEE", "UADMIN"):
            for kind in ("pb_case_status", "pb_case_open"):
                assert (await s.interact(block_action(kind, forged, "case", user=user))
                        ).status == 200
        await s.interact(block_action("pb_case_bogus\nINFO x", number, "case",
                                      user="UEMPLOYEE"))
        await asyncio.sleep(0.3)
        assert not s.fake.calls_to("views.open")
        rows = list(s.bot.storage.db.query("SELECT case_number, detail FROM case_events"))
        assert all(r["case_number"] in (None, number) for r in rows)
        assert not [r for r in rows if "\n" in (r["detail"] or "")]

    with caplog.at_level("INFO"):
        drive(settings, bot, scenario)
    assert not [r for r in caplog.records if "\n" in r.getMessage()]


def test_the_log_format_keeps_one_record_on_one_line():
    import logging

    from policybot.cli import OneLineFormatter

    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "denied %s on case %s",
                               ("view", "2026-0001\n2026-12-02 INFO forged\x1b[31m"), None)
    line = OneLineFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert "\n" not in line and "\x1b" not in line and "\\n2026-12-02 INFO forged" in line


def test_an_anonymous_chat_report_in_a_dm_gets_an_ephemeral_receipt(settings, bot):
    """Typed in a DM, the report's steps are messages; the receipt with the key is not."""
    steps = ("report", "harassing", "no", "facebook", "skip", "skip", "employee",
             "A parent posted a photo of my class.", "anonymous", "submit")

    async def scenario(s: Slack) -> None:
        for i, text in enumerate(steps):
            await s.event(event_payload("message_im", f"Ev0DMANON{i:03d}", text=text,
                                        ts=f"17000009{i:02d}.000100",
                                        client_msg_id=f"anon-{i}"))
            await s.settled()
        [receipt] = await s.fake.wait_for("chat.postEphemeral")
        assert receipt.args["channel"] == "D0TEACHER1" and "Your case key:" in receipt.args["text"]
        key = receipt.args["text"].split("Your case key:* ")[1].split()[0]
        assert not [c for c in s.fake.calls_to("chat.postMessage")
                    if key in json.dumps(c.args)]

    drive(settings, bot, scenario)
