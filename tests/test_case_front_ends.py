"""One case, five front ends: Slack, Teams, the web console, chat commands and the CLI
show the same facts in the same words and offer the same actions, all from the core's
`CaseView`; and every one of them keeps hidden text masked until a recorded reveal."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from browser.helpers import add_admin, csrf_from, file_report, run
from click.testing import CliRunner

from bot.models import Incoming
from handlers import slack_views, teams_cards
from policybot.cli_cases import cases as cases_cli

SECRET = "Student Jane Doe is named in the post."
ANSWER = "It was at Roosevelt High."
ACTIONS = ["Claim", "Assign", "Set status", "Change category", "Change urgency", "Add note",
           "Ask the reporter", "Link as duplicate", "Reveal details"]


@pytest.fixture
def number(bot, monkeypatch, settings):
    monkeypatch.setenv("POLICYBOT_DB", settings.db_path)  # the CLI opens the same file
    monkeypatch.setenv("POLICYBOT_ADMINS", ",".join(sorted(settings.admins)))  # same admins
    add_admin(bot)
    number = file_report(bot, SECRET, link="https://facebook.com/p/77", identity="named",
                         user="slack:UREPORTER")
    bot.cases.assign(number, "web:admin", "slack:UADMIN")
    bot.cases.ask_reporter(number, "Which school?", "slack:UADMIN")
    bot.cases.answer_as_reporter("slack:UREPORTER", number, ANSWER)
    with bot.storage.write() as db:  # days old: its age reads the same for the whole test
        db.execute("UPDATE cases SET created_at = ? WHERE number = ?",
                   [(datetime.now(UTC) - timedelta(days=3)).isoformat(timespec="seconds"),
                    number])
    return number


def text_facts(text: str) -> list[tuple[str, str]]:
    """Chat and terminal lines "*Label:* value" (the CLI drops the asterisks)."""
    lines = [ln.replace("*", "") for ln in text.splitlines()]
    end = lines.index("What happened:")
    return [tuple(ln.split(": ", 1)) for ln in lines[1:end]]


def text_actions(text: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^• ([^:]+):", text.replace("*", ""), re.M)]


def slack(view) -> tuple[list, list, str]:
    message = slack_views.case_message(view, "slack:C0ADMINS:")
    fields = [f["text"] for b in message["blocks"] if b.get("fields") for f in b["fields"]]
    fields = [re.sub(r"<@(\w+)>", r"slack:\1", f) for f in fields]  # mentions are ids
    facts = [tuple(html.unescape(f.replace("*", "")).split(":\n", 1)) for f in fields]
    elements = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    labels = [(e.get("text") or e.get("placeholder"))["text"] for e in elements]
    return facts, labels, str(message)


def teams(view) -> tuple[list, list, str]:
    card = teams_cards.case_card(view)
    facts = [(f["title"], f["value"]) for f in card["body"][1]["facts"]]
    actions = card["actions"]
    more = [a for a in actions if a["title"] == "More…"]
    if more:
        actions = actions[:-1] + more[0]["card"]["actions"]
    return facts, [a["title"] for a in actions], str(card)


def chat(bot, number, command="case") -> tuple[list, list, str]:
    [reply] = bot.handle(Incoming(f"{command} {number}", "teams:c", "teams:admin-1",
                                  platform="teams"))
    return text_facts(reply.text), text_actions(reply.text), reply.text


def cli(number, *flags) -> tuple[list, list, str]:
    result = CliRunner().invoke(cases_cli, ["show", *flags, number], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return text_facts(result.output), text_actions(result.output), result.output


def web(bot, settings, number, reveal=False) -> tuple[list, list, str]:
    got = {}

    async def scenario(client):
        page = await client.get("/admin/login")
        await client.post("/admin/login", data={
            "csrf": csrf_from(await page.text()), "name": "admin",
            "password": "correct horse battery", "next": "/admin"})
        token = csrf_from(await (await client.get("/admin")).text())
        response = (await client.post(f"/admin/cases/{number}/reveal", data={"csrf": token})
                    if reveal else await client.get(f"/admin/cases/{number}"))
        got["html"] = await response.text()

    run(bot, settings, scenario)
    page = got["html"]
    facts_html = re.search(r'<dl class="fields" id="facts">(.*?)</dl>', page, re.S).group(1)
    facts = [(html.unescape(k), html.unescape(v)) for k, v in
             re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", facts_html)]
    labels = [html.unescape(b) for b in re.findall(
        r'<button type="submit" id="do-[a-z]+"[^>]*>([^<]+)</button>', page)]
    return facts, labels, page


def test_five_front_ends_show_the_same_facts_and_actions(bot, settings, number):
    view = bot.case_desk.act(number, "slack:UADMIN", "view").view
    expected = [(f.label, f.value) for f in view.facts]
    assert [label for label, _ in expected][:3] == ["Category", "Urgency", "Status"]
    assert ("Matched policy", view.facts[8].value) in expected
    shown = {"slack": slack(view), "teams": teams(view), "chat": chat(bot, number),
             "cli": cli(number), "web": web(bot, settings, number)}
    for name, (facts, actions, raw) in shown.items():
        assert facts == expected, name
        assert actions == ACTIONS, name
        for hidden in ("Jane Doe", "facebook.com/p/77", "slack:UREPORTER", "Roosevelt"):
            assert hidden not in raw, (name, hidden)


def test_reveal_shows_the_same_everywhere_and_each_one_is_recorded(bot, settings, number):
    view = bot.case_desk.act(number, "slack:UADMIN", "reveal").view
    shown = {"slack": slack(view), "teams": teams(view),
             "chat": chat(bot, number, "reveal"), "cli": cli(number, "--reveal"),
             "web": web(bot, settings, number, reveal=True)}
    for name, (facts, actions, raw) in shown.items():
        assert facts == [(f.label, f.value) for f in view.facts], name
        assert actions == ACTIONS[:-1], name
        for hidden in ("Jane Doe", "facebook.com/p/77", "slack:UREPORTER", "Roosevelt"):
            assert hidden in html.unescape(raw), (name, hidden)
    revealed = [e["actor"] for e in bot.storage.db.query(
        "SELECT actor FROM case_events WHERE action = 'revealed' ORDER BY id")]
    assert revealed == ["slack:UADMIN", "teams:admin-1", "cli:local", "web:admin"]


def test_a_case_reply_travels_as_json(bot, number):
    """The web chat sends replies as JSON (`Reply.to_dict`): a case view is plain data."""
    import json

    [reply] = bot.handle(Incoming(f"case {number}", "t", "teams:admin-1", platform="teams"))
    data = json.loads(json.dumps(reply.to_dict()))["data"]["case_view"]
    assert data["number"] == number and data["description"] is None
    assert [a["label"] for a in data["actions"]] == ACTIONS


def test_a_possible_duplicate_is_named_by_number_on_every_front_end(bot, settings, number):
    """The same post reported again: each front end names the earlier case, never the link."""
    again = file_report(bot, "The same post.", link="www.facebook.com/p/77/")
    view = bot.case_desk.act(again, "slack:UADMIN", "view").view
    shown = {"slack": slack(view), "teams": teams(view), "chat": chat(bot, again),
             "cli": cli(again), "web": web(bot, settings, again)}
    for name, (facts, actions, raw) in shown.items():
        assert ("Possible duplicate of", number) in facts, name
        assert "Link as duplicate" in actions, name
        assert "facebook.com/p/77" not in raw, name


# ---------------------------------------------------------------- assign, edit, close, reopen


def choices_in_text(text: str) -> dict[str, list[str]]:
    """Chat and terminal: "• Label: `command CHOICE` (value, value)"."""
    return {m.group(1): m.group(2).split(", ") for m in re.finditer(
        r"^• ([^:]+): `[^`]*CHOICE` \((.*)\)$", text.replace("*", ""), re.M)}


def slack_choices(view) -> dict[str, list[str]]:
    message = slack_views.case_message(view, "slack:C0ADMINS:")
    return {e["placeholder"]["text"]: [o["value"].split(" ", 2)[2] for o in e["options"]]
            for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
            if e["type"] == "static_select"}


def teams_choices(view) -> dict[str, list[str]]:
    card = teams_cards.case_card(view)
    actions = card["actions"]
    actions = actions[:-1] + actions[-1]["card"]["actions"]  # "More…"
    return {a["title"]: [c["value"] for c in a["card"]["body"][0]["choices"]]
            for a in actions if a["type"] == "Action.ShowCard"
            and a["card"]["body"][0]["type"] == "Input.ChoiceSet"}


def web_choices(page: str, view) -> dict[str, list[str]]:
    label = {a.id: a.label for a in view.actions}
    return {label[action]: re.findall(r'<option value="([^"]*)"', options) for action, options
            in re.findall(r'<select name="value" id="([a-z]+)-value">(.*?)</select>', page, re.S)}


def test_every_front_end_offers_the_same_choices_assignees_by_name(bot, settings, number):
    view = bot.case_desk.act(number, "slack:UADMIN", "view").view
    expected = {a.label: [v for v, _ in a.options] for a in view.actions if a.input == "choice"}
    assert set(expected) == {"Assign", "Set status", "Change category", "Change urgency"}
    assert expected["Assign"] == ["slack:UADMIN", "teams:admin-1"]  # web:admin has it already
    assert dict(view.action("assign").options)["teams:admin-1"] == "Teams user admin-1"
    assert expected["Change urgency"] == ["urgent"] and "harassing" not in expected[
        "Change category"]
    shown = {"slack": slack_choices(view), "teams": teams_choices(view),
             "chat": choices_in_text(chat(bot, number)[2]),
             "cli": choices_in_text(cli(number)[2]),
             "web": web_choices(web(bot, settings, number)[2], view)}
    for name, got in shown.items():
        assert got == expected, name


def web_action(bot, settings, number, action, value) -> str:
    async def scenario(client):
        page = await client.get("/admin/login")
        await client.post("/admin/login", data={
            "csrf": csrf_from(await page.text()), "name": "admin",
            "password": "correct horse battery", "next": "/admin"})
        token = csrf_from(await (await client.get("/admin")).text())
        response = await client.post(f"/admin/cases/{number}/{action}",
                                     data={"csrf": token, "value": value})
        return await response.text()

    return html.unescape(run(bot, settings, scenario))


def test_the_new_actions_go_through_every_front_end_into_one_audited_trail(bot, settings,
                                                                           number):
    from slack_harness import ADMIN_CHANNEL, block_action, drive, select_action
    from teams_harness import payload
    from teams_harness import run as teams_run

    # web: the assignee picker; an unknown account is refused with the reason
    assert "assigned to teams:admin-1" in web_action(bot, settings, number, "assign",
                                                     "teams:admin-1")
    assert "web:ghost is not a case administrator" in web_action(
        bot, settings, number, "assign", "web:ghost")
    # chat: change the category
    [reply] = bot.handle(Incoming(f"set-category {number} threatening", "slack:D1",
                                  "slack:UADMIN", platform="slack"))
    assert reply.text == f"Case *{number}* is now in the category Threatening."

    # Teams: the urgency from the card's ChoiceSet, then triage
    async def teams_scenario(env):
        for pb, text in ((f"set-urgency {number}", "urgent"), (f"set-status {number}", "triaged"),
                         (f"set-status {number}", "investigating")):
            submit = payload("card_submit", id=f"submit-{text}")
            submit["from"] = {"id": "29:adminUser", "name": "Ana Admin",
                              "aadObjectId": "admin-1"}
            submit["value"] = {"pb": pb, "pbText": text}
            await env.post(submit)
    teams_run(settings, bot, teams_scenario)

    # terminal: close with a reason
    result = CliRunner().invoke(cases_cli, ["close", number, "Post taken down."],
                                catch_exceptions=False)
    assert result.exit_code == 0 and f"Case {number} is now closed (resolved)." in result.output

    # Slack: "Reopen" opens a modal asking why; the submission reopens the case
    async def slack_scenario(s):
        await s.interact(block_action("pb_case_reopen", number, "case"))
        [opened] = await s.fake.wait_for("views.open")
        modal = opened.args["view"]
        assert modal["blocks"][0]["label"]["text"].startswith("Why is it reopened?")
        submission = {"type": "view_submission", "user": {"id": "UADMIN"},
                      "team": {"id": "T0LAUSD"}, "api_app_id": "A0POLICY",
                      "view": {**modal, "id": "V0REOPEN1", "state": {"values": {"text": {
                          "value": {"type": "plain_text_input",
                                    "value": "The post is back up."}}}}}}
        assert (await s.interact(submission)).status == 200
        await s.interact(select_action("pb_btn_assign", f"assign {number} slack:UADMIN",
                                       f"pb|0|slack:{ADMIN_CHANNEL}:"))
        told = await s.fake.wait_for("chat.postEphemeral", 2)
        assert any("assigned to slack:UADMIN" in c.args["text"] for c in told)
    drive(settings, bot, slack_scenario)

    case = bot.cases.get(number, "slack:UADMIN")
    assert (case["category"], case["urgency"], case["status"], case["assignee"]) == (
        "threatening", "urgent", "investigating", "slack:UADMIN")
    trail = [(e["action"], e["actor"], e["detail"]) for e in bot.cases.events(
        number, "slack:UADMIN") if e["action"] not in ("viewed", "opened", "question_asked",
                                                       "reporter_answered")]
    assert trail == [
        ("assigned", "slack:UADMIN", {"from": None, "to": "web:admin"}),
        ("assigned", "web:admin", {"from": "web:admin", "to": "teams:admin-1"}),
        ("category_changed", "slack:UADMIN", {"from": "harassing", "to": "threatening"}),
        ("urgency_changed", "teams:admin-1", {"from": "normal", "to": "urgent"}),
        ("status_changed", "teams:admin-1", {"from": "new", "to": "triaged", "reason": None}),
        ("status_changed", "teams:admin-1", {"from": "triaged", "to": "investigating",
                                             "reason": None}),
        ("status_changed", "cli:local", {"from": "investigating", "to": "resolved",
                                         "reason": "Post taken down."}),
        ("reopened", "slack:UADMIN", {"from": "resolved", "from_reason": None,
                                      "to": "investigating", "reason": "The post is back up."}),
        ("assigned", "slack:UADMIN", {"from": "teams:admin-1", "to": "slack:UADMIN"})]
    # the web refusal and nothing else was a refusal
    assert [e["actor"] for e in bot.storage.db.query(
        "SELECT actor FROM case_events WHERE action = 'denied'")] == []
