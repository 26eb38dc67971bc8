"""Linking a duplicate from Slack (a button opens a one-line modal) and from Teams (a card's
text box), with real-shaped payloads: the same core action, audited, the link never shown."""

from __future__ import annotations

import asyncio
import json

from browser.helpers import file_report
from slack_harness import Slack, block_action, drive
from teams_harness import payload
from teams_harness import run as run_teams

LINK = "https://www.instagram.com/p/dup1/"


def linked(bot, number):
    return [dict(r) for r in bot.storage.db.query(
        "SELECT actor, detail FROM case_events WHERE case_number = ? AND "
        "action = 'duplicate_linked'", [number])]


def test_slack_links_a_duplicate_through_a_one_line_modal(settings, bot):
    first = file_report(bot, "First", link=LINK)
    second = file_report(bot, "Again", link="instagram.com/p/dup1")

    async def scenario(s: Slack) -> None:
        await s.interact(block_action("pb_case_duplicate", second, "case"))
        [opened] = await s.fake.wait_for("views.open")
        modal = opened.args["view"]
        assert modal["blocks"][0]["element"]["multiline"] is False  # a case number
        assert "2026-0001" in modal["blocks"][0]["label"]["text"]
        submission = {"type": "view_submission", "user": {"id": "UADMIN"},
                      "team": {"id": "T0LAUSD"}, "api_app_id": "A0POLICY",
                      "view": {**modal, "id": "V0DUP0001", "state": {"values": {"text": {
                          "value": {"type": "plain_text_input", "value": second}}}}}}
        body = await (await s.interact(submission)).json()  # itself: refused in the modal
        assert body["response_action"] == "errors"
        assert "itself" in body["errors"]["text"]
        submission["view"]["state"]["values"]["text"]["value"]["value"] = first
        assert (await s.interact(submission)).status == 200
        told = await s.fake.wait_for(
            "chat.postEphemeral", where=lambda c: "linked as a duplicate" in c.args["text"])
        assert first in told[0].args["text"] and "dup1" not in told[0].args["text"]
        assert linked(s.bot, second) == [{"actor": "slack:UADMIN",
                                          "detail": json.dumps({"of": first})}]

    drive(settings, bot, scenario)


def test_teams_links_a_duplicate_from_the_case_cards_text_box(settings, bot):
    first = file_report(bot, "First", link=LINK)
    second = file_report(bot, "Again", link="instagram.com/p/dup1")

    async def scenario(env):
        view = payload("personal_message", text=f"case {second}")
        view["from"] = {"id": "29:adminUser", "name": "Ana Admin", "aadObjectId": "admin-1"}
        await env.post(view)
        card = json.dumps(env.connector.sent[-1].cards[0])
        assert "Possible duplicate of" in card and first in card and "dup1" not in card
        press = payload("card_submit", id="press-dup")
        press["from"] = view["from"]
        press["value"] = {"pb": f"link-duplicate {second}", "pbText": first}
        await env.post(press)
        await asyncio.sleep(0)
        assert linked(bot, second) == [{"actor": "teams:admin-1",
                                        "detail": json.dumps({"of": first})}]

    run_teams(settings, bot, scenario)
