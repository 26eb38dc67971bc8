"""One case, five front ends: Slack, Teams, the web console, chat commands and the CLI
show the same facts in the same words and offer the same actions, all from the core's
`CaseView`; and every one of them keeps hidden text masked until a recorded reveal."""

from __future__ import annotations

import html
import re

import pytest
from browser.helpers import add_admin, csrf_from, file_report, run
from click.testing import CliRunner

from bot.cli_cases import cases as cases_cli
from bot.models import Incoming
from handlers import slack_views, teams_cards

SECRET = "Student Jane Doe is named in the post."
ANSWER = "It was at Roosevelt High."
ACTIONS = ["Claim", "Assign", "Set status", "Change category", "Change urgency", "Add note",
           "Ask the reporter", "Reveal details"]


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
    return number


def text_facts(text: str) -> list[tuple[str, str]]:
    """Chat and terminal lines "*Label:* value" (the CLI drops the asterisks)."""
    lines = [ln.replace("*", "") for ln in text.splitlines()]
    return [tuple(ln.split(": ", 1)) for ln in lines[1:12]]


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
