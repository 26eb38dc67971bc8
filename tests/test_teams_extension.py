"""The "Report to policybot" message extension over HTTP: real-shaped composeExtension
invokes (tests/payloads/teams/extension_*.json) through the real aiohttp app and
botbuilder's CloudAdapter; anything the bot sends lands on the fake connector."""

from __future__ import annotations

import json

import pytest
from teams_harness import USER, boom, payload, run

from bot.report_flow import DESCRIPTION_LIMIT, FORM_FIELDS

CARD = "application/vnd.microsoft.card.adaptive"
POSTER = "Pat Poster (Teams user 0b9e7d4c-0000-4000-8000-0000000050a7)"


def fields(card: dict) -> dict[str, dict]:
    return {b["id"]: b for b in card["body"] if b.get("id")}


async def dialog(resp) -> dict:
    """The task module's card from a `{"task": {"type": "continue"}}` invoke answer."""
    assert resp.status == 200
    body = await resp.json()
    assert body["task"]["type"] == "continue", body
    attachment = body["task"]["value"]["card"]
    assert attachment["contentType"] == CARD
    return attachment["content"]


async def notice(resp) -> str:
    assert resp.status == 200
    body = await resp.json()
    assert body["task"]["type"] == "message", body
    return body["task"]["value"]


def submit(**data) -> dict:
    activity = payload("extension_submit_action")
    activity["value"]["data"] = {**activity["value"]["data"], **data}
    return activity


# ------------------------------------------------------------------ fetchTask

def test_fetch_task_opens_the_report_form_prefilled_from_the_message(settings, bot):
    async def scenario(env):
        fetch = payload("extension_fetch_task")
        form = await dialog(await env.post(fetch))
        by_id = fields(form)
        assert list(by_id) == list(FORM_FIELDS)  # the same form as every other report
        assert by_id["link"]["value"] == fetch["value"]["messagePayload"]["linkToMessage"]
        assert by_id["platform"]["value"] == "district"
        description = by_id["description"]["value"]
        assert description.startswith(f"Teams message by {POSTER}:\n")
        assert "> Sam Rivera look at this kid in room 12, what a loser\n> everyone share it" \
            in description  # HTML, mention and &nbsp; as plain quoted lines
        assert description.endswith("Why I am reporting it: ")
        # what the reporter decides is left to them, as in Slack's shortcut
        for left in ("category", "danger", "target", "when", "identity"):
            assert "value" not in by_id[left], left
        assert form["actions"][0]["data"] == {"pbForm": "report"}
        # nothing stored, nothing posted, no chat opened
        assert bot.storage.db["cases"].count == 0
        assert env.connector.sent == [] and env.connector.created == []
        assert bot.storage.db["teams_user_conversations"].count == 0

    run(settings, bot, scenario)


def test_a_long_message_is_cut_so_the_prefilled_form_still_submits(settings, bot):
    async def scenario(env):
        fetch = payload("extension_fetch_task")
        fetch["value"]["messagePayload"]["body"] = {"contentType": "text",
                                                     "content": "word " * 3000}
        description = fields(await dialog(await env.post(fetch)))["description"]["value"]
        assert len(description) < DESCRIPTION_LIMIT and "…" in description
        description += "It mocks a student by name."  # the reporter's reason still fits
        receipt = json.dumps(await dialog(await env.post(submit(description=description))))
        [case] = bot.storage.db.query("SELECT number, description FROM cases")
        assert case["number"] in receipt and case["description"] == description

    run(settings, bot, scenario)


def test_a_message_without_body_author_or_https_link_still_opens_the_form(settings, bot):
    async def scenario(env):
        fetch = payload("extension_fetch_task")
        fetch["value"]["messagePayload"].update(body=None, linkToMessage="javascript:alert(1)")
        fetch["value"]["messagePayload"]["from"] = None
        by_id = fields(await dialog(await env.post(fetch)))
        assert by_id["description"]["value"].startswith("Teams message by unknown:")
        assert "value" not in by_id["link"]  # only an https link is pre-filled

    run(settings, bot, scenario)


def test_the_form_is_in_the_reporters_teams_language_and_so_are_its_errors(settings, bot):
    async def scenario(env):
        form = await dialog(await env.post(payload("extension_fetch_task", locale="es-MX")))
        data = form["actions"][0]["data"]
        assert data == {"pbForm": "report", "pbLang": "es"}
        english = await dialog(await env.post(payload("extension_fetch_task", id="f:en")))
        assert json.dumps(form) != json.dumps(english)  # labels in Spanish
        errors = await dialog(await env.post(submit(link="not a link", pbLang="es")))
        assert errors["actions"][0]["data"]["pbLang"] == "es"

    run(settings, bot, scenario)


# ------------------------------------------------------------------ submitAction

def test_named_report_creates_the_case_and_answers_with_the_receipt(settings, bot):
    async def scenario(env):
        resp = await env.post(payload("extension_submit_action"))
        receipt = json.dumps(await dialog(resp))
        [case] = bot.storage.db.query("SELECT * FROM cases")
        assert case["reporter"] == USER and case["key_hash"] is None
        assert case["link"].startswith("https://teams.microsoft.com/l/message/")
        assert case["category"] == "bullying" and case["platform"] == "district"
        assert case["number"] in receipt and "my reports" in receipt
        # the receipt also goes to the reporter's personal chat, never to the channel
        [created] = env.connector.created
        assert created["isGroup"] is False
        [sent] = env.connector.sent
        assert sent.conversation_id.startswith("a:personal-")
        assert case["number"] in json.dumps(sent.activity)

    run(settings, bot, scenario)


def test_a_personal_chat_that_fails_does_not_lose_the_named_receipt(settings, bot):
    async def scenario(env):
        env.connector.fail(403)  # e.g. the app is not installed for the person
        receipt = json.dumps(await dialog(await env.post(payload("extension_submit_action"))))
        [case] = bot.storage.db.query("SELECT number FROM cases")
        assert case["number"] in receipt  # in the dialog, though the chat refused it
        assert not [s for s in env.connector.sent if case["number"] in json.dumps(s.activity)]

    run(settings, bot, scenario)


def test_anonymous_report_receipt_with_key_is_only_in_the_dialog(settings, bot):
    async def scenario(env):
        resp = await env.post(submit(identity="anonymous", danger="yes"))
        receipt = json.dumps(await dialog(resp))
        [case] = bot.storage.db.query("SELECT * FROM cases")
        assert case["reporter"] is None and case["key_hash"]
        assert case["number"] in receipt and "case key" in receipt.lower()
        assert "911" in receipt  # emergency guidance first, in the same card
        assert env.connector.sent == [] and env.connector.created == []
        assert env.connector.updated == []
        assert bot.storage.db["teams_user_conversations"].count == 0

    run(settings, bot, scenario)


def test_form_errors_come_back_in_the_dialog_with_what_was_typed(settings, bot):
    async def scenario(env):
        form = await dialog(await env.post(submit(link="not a link", description="")))
        text = json.dumps(form)
        assert "Please fix the fields" in text and "does not look like a web link" in text
        assert fields(form)["link"]["value"] == "not a link"
        assert fields(form)["category"]["value"] == "bullying"
        assert bot.storage.db["cases"].count == 0

    run(settings, bot, scenario)


def test_a_resent_submit_creates_one_case(settings, bot):
    async def scenario(env):
        await dialog(await env.post(payload("extension_submit_action")))
        again = await notice(await env.post(payload("extension_submit_action")))
        assert again == "Already done."
        assert bot.storage.db["cases"].count == 1

    run(settings, bot, scenario)


@pytest.mark.parametrize("name, change, says", [
    ("extension_submit_action", {"data": "category=bullying"}, "not policybot's report form"),
    ("extension_submit_action", {"data": {"pbForm": "other"}}, "not policybot's report form"),
    ("extension_submit_action", {"data": None}, "not policybot's report form"),
    ("extension_submit_action", {"commandId": "shareMessage"}, "no command 'shareMessage'"),
    ("extension_fetch_task", {"commandId": 7}, "no command '7'"),
    ("extension_fetch_task", {"messagePayload": None}, "from its … menu"),
    ("extension_fetch_task", {"messagePayload": "a message"}, "could not be read"),
    ("extension_fetch_task", {"messagePayload": {"body": 5}}, "could not be read"),
])
def test_bad_payloads_get_a_clear_message_and_store_nothing(settings, bot, name, change, says):
    async def scenario(env):
        activity = payload(name)
        activity["value"] = {**activity["value"], **change}
        text = await notice(await env.post(activity))
        assert says in text and "Report to policybot" in text
        assert bot.storage.db["cases"].count == 0 and env.connector.sent == []

    run(settings, bot, scenario)


def test_a_value_that_is_not_an_object_gets_a_clear_message(settings, bot):
    async def scenario(env):
        activity = payload("extension_fetch_task", value=["reportMessage"])
        assert "no report command" in await notice(await env.post(activity))

    run(settings, bot, scenario)


def test_a_failed_turn_answers_the_dialog_with_a_message(settings, bot, monkeypatch):
    async def scenario(env):
        monkeypatch.setattr(env.front, "report", boom)
        assert "something went wrong" in await notice(
            await env.post(payload("extension_submit_action")))
        assert env.connector.sent == []  # nothing in the conversation the message is in

    run(settings, bot, scenario)
