"""The Teams front end over HTTP: real-shaped activities posted to the real aiohttp app
(handlers.server.create_app) with botbuilder's CloudAdapter; replies land on a local fake
Bot Framework connector at the activity's serviceUrl."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from aiohttp.test_utils import TestClient, TestServer
from teams_harness import (
    CHANNEL,
    CHANNEL_THREAD,
    PERSONAL,
    USER,
    boom,
    payload,
    run,
)

from bot.models import Incoming
from handlers.runtime import BotRef
from handlers.server import create_app
from handlers.teams import TEAMS
from testkit.fake_connector import FakeConnector


def actions_of(card: dict) -> list[dict]:
    return card.get("actions", [])


def pb_values(card: dict) -> list[str]:
    out = []
    for a in actions_of(card):
        if a["type"] == "Action.Submit":
            out.append(a["data"].get("pb") or a["data"].get("pbForm"))
        if a["type"] == "Action.ShowCard":
            out += pb_values(a["card"])
    return out


def all_text(card: dict) -> str:
    return json.dumps(card, ensure_ascii=False)


# ------------------------------------------------------------------ questions

def test_personal_message_gets_answer_card_with_clause_citation_and_buttons(settings, bot):
    async def scenario(env):
        resp = await env.post(payload("personal_message"))
        assert resp.status == 201
        [sent] = env.connector.sent
        assert sent.conversation_id == PERSONAL
        assert sent.reply_to_id == "1741194131437"
        [card] = sent.cards
        text = all_text(card)
        entry = bot.kb.get("BUL-5688.0#1")
        assert entry.text.splitlines()[0][:60] in text  # the quoted clause
        assert "BUL-5688.0" in text and entry.url in text  # citation and link
        values = pb_values(card)
        assert any(v.startswith("feedback helpful ") for v in values)
        assert any(v.startswith("feedback unhelpful ") for v in values)
        assert any(a["type"] == "Action.OpenUrl" and a["url"] == entry.url
                   for a in actions_of(card))

    run(settings, bot, scenario)


def test_channel_mention_is_stripped_and_answered_in_the_thread(settings, bot):
    async def scenario(env):
        resp = await env.post(payload("channel_mention"))
        assert resp.status == 201
        [sent] = env.connector.sent
        assert sent.conversation_id == CHANNEL_THREAD
        [card] = sent.cards
        entry = bot.kb.get("BUL-5688.0#1")
        assert "BUL-5688.0#1" in all_text(card)  # the friending guideline, not any of 5688
        assert entry.text.splitlines()[0][:60] in all_text(card)
        rows = list(bot.storage.db.query("SELECT text, platform FROM questions"))
        assert rows == [{"text": "Can I friend a parent on Facebook?", "platform": "teams"}]

    run(settings, bot, scenario)


def test_answer_with_report_category_offers_report_button(settings, bot):
    async def scenario(env):
        await env.post(payload("personal_message", text="Can I post photos of my students?"))
        [card] = env.connector.cards()
        assert "report student_identified" in pb_values(card)

    run(settings, bot, scenario)


def test_members_added_sends_welcome_card(settings, bot):
    async def scenario(env):
        resp = await env.post(payload("members_added"))
        assert resp.status == 201
        [card] = env.connector.cards()
        assert "policybot" in all_text(card)
        assert "report" in pb_values(card)
        # the personal chat is remembered for later proactive messages
        assert bot.storage.db["teams_user_conversations"].count == 1

    run(settings, bot, scenario)


def test_invoke_adaptive_card_action_runs_the_command(settings, bot):
    async def scenario(env):
        resp = await env.post(payload("adaptive_card_invoke"))
        assert resp.status == 200
        body = await resp.json()
        assert body["statusCode"] == 200
        [card] = env.connector.cards()
        assert "BUL-5688.0#3" in all_text(card)

    run(settings, bot, scenario)


# ------------------------------------------------------------------ report form

def test_report_button_sends_form_card_with_category_prefilled(settings, bot):
    async def scenario(env):
        await env.post(payload("card_submit"))
        [card] = env.connector.cards()
        fields = {b["id"]: b for b in card["body"] if b.get("id")}
        assert list(fields) == ["category", "danger", "platform", "link", "when", "target",
                                "description", "identity"]
        assert fields["category"]["type"] == "Input.ChoiceSet"
        assert fields["category"]["value"] == "harassing"
        assert fields["description"]["type"] == "Input.Text"
        assert card["actions"][0]["data"] == {"pbForm": "report"}
        # the core's chat flow is not left running in this conversation
        assert bot.storage.db["conversations"].count_where(
            "id = ? AND state LIKE '%report%'",
            [bot.storage.keyed(f"teams:{PERSONAL}", "conversation")]) == 0

    run(settings, bot, scenario)


def test_typed_report_sends_the_same_form(settings, bot):
    async def scenario(env):
        await env.post(payload("personal_message", text="report"))
        [card] = env.connector.cards()
        assert card["actions"][0]["data"] == {"pbForm": "report"}

    run(settings, bot, scenario)


def test_form_submit_stores_case_and_sends_private_receipt(settings, bot):
    async def scenario(env):
        resp = await env.post(payload("report_form_submit"))
        assert resp.status == 201
        [card] = env.connector.cards()
        text = all_text(card)
        number = bot.storage.db.execute("SELECT number, reporter FROM cases").fetchone()
        assert number[1] == USER
        assert number[0] in text and "my reports" in text

    run(settings, bot, scenario)


def test_form_errors_rerender_the_card_with_messages(settings, bot):
    async def scenario(env):
        bad = payload("report_form_submit")
        bad["value"] = {**bad["value"], "link": "not a link", "description": ""}
        await env.post(bad)
        [card] = env.connector.cards()
        text = all_text(card)
        assert "does not look like a web link" in text
        assert "describe what happened" in text
        fields = {b["id"]: b for b in card["body"] if b.get("id")}
        assert fields["link"]["value"] == "not a link"  # what was typed is kept
        assert fields["category"]["value"] == "harassing"
        assert bot.storage.db["cases"].count == 0

    run(settings, bot, scenario)


def test_immediate_danger_shows_emergency_guidance_first(settings, bot):
    async def scenario(env):
        urgent = payload("report_form_submit")
        urgent["value"] = {**urgent["value"], "danger": "yes", "identity": "named"}
        await env.post(urgent)
        first, second = env.connector.cards()
        assert "911" in all_text(first) and "988" in all_text(first)
        assert "my reports" in all_text(second).lower()
        assert "urgent" in all_text(second)

    run(settings, bot, scenario)


def test_anonymous_receipt_replaces_the_form_card_and_is_never_posted(settings, bot):
    """The case key lives in the form card (updated in place) or the invoke response,
    never in a message of its own in the chat's history."""
    async def scenario(env):
        urgent = payload("report_form_submit")
        urgent["value"] = {**urgent["value"], "danger": "yes", "identity": "anonymous"}
        assert (await env.post(urgent)).status == 201
        assert env.connector.sent == []
        [update] = env.connector.updated
        assert update.reply_to_id == urgent["replyToId"]
        assert update.conversation_id == urgent["conversation"]["id"]
        text = all_text(update.cards[0])
        assert "911" in text and "case key" in text.lower() and "urgent" in text
        invoke = payload("adaptive_card_invoke")
        invoke["value"]["action"]["data"] = {**urgent["value"], "danger": "no"}
        resp = await env.post(invoke)
        body = await resp.json()
        assert body["type"] == "application/vnd.microsoft.card.adaptive"
        assert "case key" in json.dumps(body["value"]).lower()
        assert env.connector.sent == [] and len(env.connector.updated) == 1

    run(settings, bot, scenario)


def test_invoke_form_with_errors_returns_the_card_in_the_invoke_response(settings, bot):
    async def scenario(env):
        invoke = payload("adaptive_card_invoke")
        invoke["value"]["action"]["data"] = {"pbForm": "report", "category": "harassing"}
        resp = await env.post(invoke)
        assert resp.status == 200
        body = await resp.json()
        assert body["type"] == "application/vnd.microsoft.card.adaptive"
        assert "Please fix the fields" in json.dumps(body["value"])

    run(settings, bot, scenario)


def test_report_in_a_channel_goes_to_the_personal_chat(settings, bot):
    async def scenario(env):
        await env.post(payload("channel_mention", text="<at>policybot</at> report"))
        assert env.connector.created and env.connector.created[0]["isGroup"] is False
        private = env.connector.to("a:personal-29:1Xk2personalUserIdAbC")
        assert private and private[0].cards[0]["actions"][0]["data"] == {"pbForm": "report"}
        [note] = env.connector.to(CHANNEL_THREAD)
        assert "personal chat" in note.text and not note.cards

    run(settings, bot, scenario)


# ------------------------------------------------------------------ administrators

def _admin(activity: dict) -> dict:
    activity["from"] = {"id": "29:adminUser", "name": "Ana Admin", "aadObjectId": "admin-1"}
    return activity


def test_only_admins_choose_the_case_channel(settings, bot):
    async def scenario(env):
        cmd = "<at>policybot</at> use this channel for cases"
        await env.post(payload("channel_mention", text=cmd, id="m1"))
        assert "Not permitted" in env.connector.sent[-1].text
        assert bot.storage.db["teams_admin_channels"].count == 0
        denied = bot.storage.db.execute(
            "SELECT actor FROM case_events WHERE action = 'denied'").fetchall()
        assert denied == [(USER,)]
        await env.post(_admin(payload("channel_mention", text=cmd, id="m2")))
        assert bot.storage.db["teams_admin_channels"].count == 1

    run(settings, bot, scenario)


def test_new_case_is_posted_masked_to_admin_channel_and_actions_stay_private(settings, bot):
    async def scenario(env):
        cmd = "<at>policybot</at> use this channel for cases"
        await env.post(_admin(payload("channel_mention", text=cmd, id="m1")))
        await env.post(payload("report_form_submit"))
        [post] = env.connector.to(CHANNEL)  # a new post in the channel, not the old thread
        card = post.cards[0]
        post_id = next(r["reference"] for r in bot.storage.db["case_posts"].rows)
        post_id = json.loads(post_id)["activity_id"]
        text = all_text(card)
        number = bot.storage.db.execute("SELECT number FROM cases").fetchone()[0]
        assert number in text and "Harassing" in text
        assert "insulting" not in text and "instagram.com" not in text  # masked
        values = pb_values(card)
        assert values == [f"claim {number}", f"assign {number}", f"set-status {number}",
                          f"set-category {number}", f"set-urgency {number}", f"note {number}",
                          f"ask {number}", f"link-duplicate {number}", f"reveal {number}"]
        assert '"value": "triaged"' in text  # the status choices follow the transitions

        # the admin presses "Reveal details" in the channel: it goes to their personal chat
        press = _admin(payload("card_submit", conversation={
            "conversationType": "channel", "id": CHANNEL_THREAD,
            "tenantId": "72f988bf-0000-4000-8000-000000000001"}, id="press-1"))
        press["value"] = {"pb": f"reveal {number}"}
        await env.post(press)
        private = env.connector.to("a:personal-29:adminUser")
        assert private and "insulting" in all_text(private[0].cards[0])
        assert "revealed" in [e["action"] for e in bot.storage.db["case_events"].rows]

        # a claim from anywhere updates the channel's card in place (still masked)
        await asyncio.to_thread(bot.case_desk.act, number, "slack:UADMIN", "claim")
        await env.front.drain()
        [updated] = env.connector.updated
        assert updated.conversation_id == CHANNEL and updated.reply_to_id == post_id
        text = all_text(updated.cards[0])
        assert "slack:UADMIN" in text and "insulting" not in text
        channel_texts = [all_text(s.activity) for s in env.connector.to(CHANNEL_THREAD)]
        assert not any("insulting" in t for t in channel_texts)

    run(settings, bot, scenario)


def test_admin_note_from_card_text_input(settings, bot):
    async def scenario(env):
        await env.post(payload("report_form_submit"))
        number = bot.storage.db.execute("SELECT number FROM cases").fetchone()[0]
        note = _admin(payload("card_submit", id="note-1"))
        note["value"] = {"pb": f"note {number}", "pbText": "Called the principal."}
        await env.post(note)
        assert bot.storage.db.execute(
            "SELECT COUNT(*) FROM case_events WHERE action = 'note_added'").fetchone()[0] == 1
        status = _admin(payload("card_submit", id="status-1"))
        status["value"] = {"pb": f"set-status {number}", "pbText": "dismissed duplicate"}
        await env.post(status)
        assert bot.storage.db["cases"].get(1)["dismiss_reason"] == "duplicate"

    run(settings, bot, scenario)


def test_admin_changes_category_and_reopens_from_card_inputs(settings, bot):
    async def scenario(env):
        await env.post(payload("report_form_submit"))
        number = bot.storage.db.execute("SELECT number FROM cases").fetchone()[0]
        sent = len(env.connector.sent)
        for i, (pb, text) in enumerate(((f"set-category {number}", "funny"),
                                        (f"set-category {number}", "threatening"),
                                        (f"set-status {number}", "dismissed unfounded"),
                                        (f"reopen {number}", "A second report came in."))):
            submit = _admin(payload("card_submit", id=f"edit-{i}"))
            submit["value"] = {"pb": pb, "pbText": text}
            await env.post(submit)
        told = [all_text(s.activity) for s in env.connector.sent[sent:]]
        assert "Unknown category 'funny'" in told[0]
        assert f"Case *{number}* is now in the category Threatening." in told[1]
        assert f"Case *{number}* is reopened: it is new again." in told[3]
        case = bot.storage.db["cases"].get(1)
        assert (case["category"], case["status"], case["dismiss_reason"]) == (
            "threatening", "new", None)
        [reopened] = bot.storage.db.query(
            "SELECT actor, detail FROM case_events WHERE action = 'reopened'")
        assert reopened["actor"] == "teams:admin-1"
        assert json.loads(reopened["detail"])["reason"] == "A second report came in."

    run(settings, bot, scenario)


def test_named_reporter_gets_the_admins_question_proactively(settings, bot):
    async def scenario(env):
        await env.post(payload("report_form_submit"))
        number = bot.storage.db.execute("SELECT number FROM cases").fetchone()[0]
        before = len(env.connector.sent)
        await asyncio.to_thread(bot.cases.ask_reporter, number, "Which school is it?",
                                "teams:admin-1")
        await asyncio.sleep(0)
        await env.front.drain()
        new = env.connector.sent[before:]
        assert [s.conversation_id for s in new] == [PERSONAL]
        text = all_text(new[0].cards[0])
        assert "Which school is it?" in text and f"reply {number}" in text

    run(settings, bot, scenario)


# ------------------------------------------------------------------ security and reliability

def _jwt(claims: dict) -> str:
    def part(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT', 'kid': 'x'})}.{part(claims)}.c2ln"


def test_with_app_id_unauthenticated_and_malformed_tokens_get_401(settings, bot):
    secured = settings.with_(teams_app_id="00000000-0000-4000-8000-00000000b0b0",
                             teams_app_password="secret")

    async def scenario(env):
        assert (await env.post(payload("personal_message"))).status == 401
        for header in ("Bearer not-a-jwt", "Bearer " + _jwt({"aud": "x"}), "Basic abc",
                       "Bearer "):
            resp = await env.post(payload("personal_message"), {"Authorization": header})
            assert resp.status == 401, header
        assert env.connector.sent == []
        assert bot.storage.db["questions"].count == 0

    run(secured, bot, scenario)


@pytest.mark.parametrize("changes", [{"teams_emulator": False},
                                     {"host": "0.0.0.0"}, {"host": "10.1.2.3"}])
def test_without_app_id_teams_is_off_unless_emulator_on_loopback(settings, bot, changes, caplog):
    """An unsigned activity claiming an administrator's aadObjectId must not be processed
    by a server others can reach: no case list, no reply to its serviceUrl, no claim."""
    claiming_admin = payload("personal_message", text="cases")
    claiming_admin["from"] = {**claiming_admin["from"], "aadObjectId": "admin-1"}

    async def main():
        connector = await FakeConnector().start()
        ref = BotRef()
        app = create_app(settings.with_(**changes), ref)
        ref.set(bot)
        assert TEAMS not in app
        try:
            async with TestClient(TestServer(app, host="127.0.0.1")) as client:
                resp = await client.post("/api/messages",
                                         json={**claiming_admin, "serviceUrl": connector.url})
                assert resp.status == 503
        finally:
            await connector.close()
        assert connector.sent == [] and connector.created == [] and connector.attempts == 0
        assert bot.storage.db["processed_events"].count == 0

    with caplog.at_level("WARNING"):
        asyncio.run(main())
    assert "Teams is off" in caplog.text


def test_emulator_replies_only_to_loopback_service_urls(settings, bot):
    async def scenario(env):
        for url in ("https://attacker.example/", "http://169.254.169.254/latest/",
                    "https://smba.trafficmanager.net/amer/"):
            activity = payload("personal_message", serviceUrl=url)
            resp = await env.client.post("/api/messages", json=activity)
            assert resp.status == 400, url
        assert bot.storage.db["processed_events"].count == 0

    run(settings, bot, scenario)


def test_with_app_id_replies_only_to_bot_framework_hosts(settings, bot, monkeypatch):
    """Even a request whose token checks out gets no reply sent off the Bot Framework."""
    secured = settings.with_(teams_app_id="00000000-0000-4000-8000-00000000b0b0",
                             teams_app_password="secret")

    async def scenario(env):
        auth = env.front.adapter.bot_framework_authentication

        async def accept(activity, header):
            return object()

        monkeypatch.setattr(auth, "authenticate_request", accept)
        for url in (env.connector.url, "https://attacker.example/",
                    "http://smba.trafficmanager.net/amer/",
                    "https://smba.trafficmanager.net.attacker.example/"):
            resp = await env.client.post("/api/messages",
                                         json=payload("personal_message", serviceUrl=url))
            assert resp.status == 400, url
        assert env.connector.sent == []

    run(secured, bot, scenario)


def test_service_url_rules():
    from handlers.teams_activity import service_url_problem

    assert service_url_problem("https://smba.trafficmanager.net/amer/", True) is None
    assert service_url_problem("https://smba.infra.gcc.teams.microsoft.com/", True) is None
    assert service_url_problem("https://webchat.botframework.com/", True) is None
    assert service_url_problem("http://127.0.0.1:3979/", False) is None
    assert service_url_problem("http://localhost:3979/", False) is None
    assert service_url_problem("https://evilbotframework.com/", True)
    assert service_url_problem("http://127.0.0.1:3979/", True)
    assert service_url_problem("https://smba.trafficmanager.net/amer/", False)


def test_malformed_requests_get_4xx_not_500(settings, bot):
    async def scenario(env):
        post = env.client.post
        assert (await post("/api/messages", data=b"{not json",
                           headers={"Content-Type": "application/json"})).status == 400
        assert (await post("/api/messages", data=b"[1, 2]",
                           headers={"Content-Type": "application/json"})).status == 400
        assert (await post("/api/messages", data=b"hello",
                           headers={"Content-Type": "text/plain"})).status == 415
        assert (await post("/api/messages", json={"text": "no type"})).status == 400
        no_url = payload("personal_message")
        del no_url["serviceUrl"]
        assert (await post("/api/messages", json=no_url)).status == 400
        no_conv = payload("personal_message")
        del no_conv["conversation"]
        assert (await env.post(no_conv)).status == 400
        weird = payload("personal_message", conversation="not an object")
        assert (await env.post(weird)).status in (400, 401)

    run(settings, bot, scenario)


def test_duplicate_activity_is_processed_once(settings, bot):
    async def scenario(env):
        first = await env.post(payload("personal_message"))
        second = await env.post(payload("personal_message"))
        assert first.status == 201 and second.status == 201
        assert len(env.connector.sent) == 1
        assert bot.storage.db["questions"].count == 1

    run(settings, bot, scenario)


def test_connector_429_then_success_is_delivered_once(settings, bot):
    async def scenario(env):
        env.connector.fail(429, times=1, retry_after="0")
        resp = await env.post(payload("personal_message"))
        assert resp.status == 201
        assert env.connector.attempts == 2
        assert len(env.connector.sent) == 1

    run(settings, bot, scenario)


def test_connector_500s_are_retried_with_backoff(settings, bot):
    async def scenario(env):
        env.connector.fail(500, times=2)
        resp = await env.post(payload("personal_message"))
        assert resp.status == 201
        assert env.connector.attempts == 3
        assert len(env.connector.sent) == 1

    run(settings, bot, scenario)


def test_turn_error_replies_with_a_friendly_message(settings, bot, monkeypatch):
    async def scenario(env):
        monkeypatch.setattr(env.front, "converse", boom)
        resp = await env.post(payload("personal_message"))
        assert resp.status == 201
        assert "something went wrong" in env.connector.sent[-1].text

    run(settings, bot, scenario)


def test_mount_status_says_whether_authentication_is_on(settings):
    from aiohttp import web

    from handlers import teams

    assert teams.mount(web.Application(), BotRef(), settings) == (
        "on (emulator: no app id, authentication OFF, loopback only, replies to loopback only)")
    assert teams.mount(web.Application(), BotRef(), settings.with_(teams_emulator=False)
                       ).startswith("off (no MicrosoftAppId")
    assert teams.mount(web.Application(), BotRef(), settings.with_(host="0.0.0.0")
                       ).startswith("off (no MicrosoftAppId")
    secured = settings.with_(teams_app_id="abc", teams_app_password="pw")
    assert teams.mount(web.Application(), BotRef(), secured) == (
        "on (authenticated, app id abc)")
    single = secured.with_(teams_app_type="SingleTenant", teams_tenant_id=None)
    assert teams.mount(web.Application(), BotRef(), single).startswith(
        "off (invalid Bot Framework configuration")


def test_incoming_translation():
    from botbuilder.schema import Activity

    from handlers.teams_activity import message_text, to_incoming

    activity = Activity().deserialize(payload("channel_mention"))
    incoming = to_incoming(activity, message_text(activity))
    assert incoming == Incoming(text="Can I friend a parent on Facebook?",
                                conversation_id=f"teams:{CHANNEL_THREAD}", user_id=USER,
                                user_name="Maria Lopez", platform="teams", wants_form=True)


def test_personal_chat_is_remembered_under_a_keyed_hash_of_the_user(settings, bot):
    import hashlib

    async def scenario(env):
        assert (await env.post(payload("personal_message"))).status == 201
        [row] = bot.storage.db.query("SELECT user_id, reference FROM teams_user_conversations")
        assert row["user_id"] == bot.storage.keyed(USER, "teams-user")
        assert hashlib.sha256(USER.encode()).hexdigest() not in row["user_id"]
        assert USER.split(":", 1)[1] not in json.dumps(row)

    run(settings, bot, scenario)
