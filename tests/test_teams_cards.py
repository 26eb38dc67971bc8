"""Adaptive Card builders (pure functions) and the Teams app package."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib

import pytest
from click.testing import CliRunner
from teams_harness import payload

from bot.case_view import build_view
from bot.models import Button, Citation, Reply
from bot.report_flow import STEPS
from handlers import teams_cards as cards
from handlers.teams_package import (
    REPORT_MESSAGE,
    build_package,
    color_icon,
    outline_icon,
    teams_package,
)


def _submits(card):
    out = []
    for a in card.get("actions", []):
        if a["type"] == "Action.Submit":
            out.append(a["data"])
        elif a["type"] == "Action.ShowCard":
            out += _submits(a["card"])
    return out


def test_to_card_renders_quotes_bold_and_buttons_as_submit():
    reply = Reply(kind="no_answer", status="no_answer",
                  text="I *could not* find that.\n> quoted line\nAsk your principal.",
                  buttons=(Button("Not helpful", "feedback unhelpful 4"),))
    card = cards.to_card(reply)
    assert card["type"] == "AdaptiveCard" and card["fallbackText"] == reply.text
    dumped = json.dumps(card)
    assert "**could not**" in dumped and "Ask your principal." in dumped
    assert any(b["type"] == "Container" for b in card["body"])
    assert _submits(card) == [{"pb": "feedback unhelpful 4"}]


def test_answered_card_has_short_answer_clause_and_bulletin_link():
    c = Citation(id="BUL-5688.0#1", bulletin="BUL-5688.0", title="Friending",
                 text="Do not friend parents.", url="https://example.org/bul-5688")
    reply = Reply(kind="answered", status="answered", citations=(c,),
                  text="No.\n\n> Do not friend parents.\n— BUL-5688.0#1, X (url)",
                  data={"short_answer": "No."},
                  buttons=(Button("Helpful", "feedback helpful 1"),))
    card = cards.to_card(reply)
    assert card["body"][0]["text"] == "No."
    assert card["body"][1]["items"][0]["text"] == "Do not friend parents."
    assert "BUL-5688.0#1" in card["body"][2]["text"]
    assert {"type": "Action.OpenUrl", "title": "Read BUL-5688.0",
            "url": "https://example.org/bul-5688"} in card["actions"]


def test_a_clause_nobody_curated_shows_its_answering_sentence_once_and_its_date():
    sentence = "The District reserves the right to monitor users' online activities."
    c = Citation(id="BUL-5688.1#5", bulletin="BUL-5688.1", title="Privacy",
                 text=f"No expectation of privacy. {sentence}", url="https://example.org/5688",
                 effective="2015-08-01")
    reply = Reply(kind="answered", status="answered", citations=(c,),
                  text=(f"BUL-5688.1 says: “{sentence}”\n\n> No expectation of privacy. "
                        f"*{sentence}*\n— BUL-5688.1#5, X, effective 2015-08-01 (url)\n\n"
                        "This clause changed: BUL-5688.0 said it differently (BUL-5688.0#5)."),
                  data={"short_answer": sentence})
    dumped = json.dumps(cards.to_card(reply)["body"], ensure_ascii=False)
    assert dumped.count("reserves the right") == 2  # the answer, and inside the clause
    assert "effective 2015-08-01" in dumped and "This clause changed" in dumped


def test_many_buttons_overflow_into_more():
    reply = Reply(kind="admin", text="x",
                  buttons=tuple(Button(f"B{i}", f"cmd {i}") for i in range(9)))
    card = cards.to_card(reply)
    assert len(card["actions"]) == cards.MAX_TOP_ACTIONS + 1
    assert [d["pb"] for d in _submits(card)] == [f"cmd {i}" for i in range(9)]


def test_report_form_card_from_steps_with_values_and_errors():
    card = cards.report_form_card(STEPS, {"category": "bullying", "link": "nope"},
                                  {"link": "That does not look like a web link."})
    fields = {b["id"]: b for b in card["body"] if b.get("id")}
    assert [f["type"] for f in fields.values()] == [
        "Input.ChoiceSet", "Input.ChoiceSet", "Input.ChoiceSet", "Input.Text", "Input.Date",
        "Input.ChoiceSet", "Input.Text", "Input.ChoiceSet"]
    assert fields["category"]["value"] == "bullying"
    assert fields["link"]["value"] == "nope" and fields["link"]["isRequired"] is False
    assert fields["description"]["maxLength"] == 5000
    assert "That does not look like a web link." in json.dumps(card)
    assert card["actions"] == [{"type": "Action.Submit", "title": "Submit the report",
                                "style": "positive", "data": {"pbForm": "report"}}]
    # plain step dicts (Reply.step) work too
    assert cards.report_form_card([s.to_dict() for s in STEPS])["body"]


CASE = {"number": "2026-0007", "category": "bullying", "platform": "tiktok",
        "target": "student", "urgency": "urgent", "status": "new", "assignee": None,
        "reporter": None, "link": None, "seen_on": None, "dismiss_reason": None,
        "matched_policy_ids": ["BUL-5688.0#2"], "created_at": "2026-03-05T10:00:00",
        "description": "Mean post"}


def test_case_card_is_masked_and_has_every_action_as_a_command():
    card = cards.case_card(build_view(CASE, new=True, assignees=(
        ("teams:admin-1", "Teams user admin-1"),)))
    values = [d["pb"] for d in _submits(card)]
    assert values == ["claim 2026-0007", "assign 2026-0007", "set-status 2026-0007",
                      "set-category 2026-0007", "set-urgency 2026-0007", "note 2026-0007",
                      "ask 2026-0007", "link-duplicate 2026-0007", "reveal 2026-0007"]
    choices = json.dumps(card)
    assert '"value": "dismissed duplicate"' in choices and "URGENT" in choices
    assert '{"title": "Teams user admin-1", "value": "teams:admin-1"}' in choices
    assert "Mean post" not in choices


def test_revealed_case_card_shows_description_messages_and_trail():
    view = build_view({**CASE, "status": "triaged"},
                      [{"direction": "question", "author": "teams:admin-1",
                        "text": "Which school?", "created_at": "2026-03-05T11:00"}],
                      [{"created_at": "2026-03-05T10:00", "action": "opened",
                        "actor": "anonymous", "detail": {}}], revealed=True)
    dumped = json.dumps(cards.case_card(view))
    for expected in ("Mean post", "Which school?", "opened by anonymous", "anonymous",
                     '"value": "investigating"'):
        assert expected in dumped


def test_welcome_card_has_examples_and_report():
    values = [d["pb"] for d in _submits(cards.welcome_card())]
    assert "report" in values and len(values) == 4


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    _length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_icons_are_valid_pngs_of_the_required_sizes():
    assert _png_size(color_icon()) == (192, 192)
    outline = outline_icon()
    assert _png_size(outline) == (32, 32)
    idat = outline.index(b"IDAT")
    length = struct.unpack(">I", outline[idat - 4:idat])[0]
    raw = zlib.decompress(outline[idat + 4:idat + 4 + length])
    assert len(raw) == 32 * (1 + 32 * 4)
    pixels = [raw[r * 129 + 1 + i * 4: r * 129 + 5 + i * 4] for r in range(32) for i in range(32)]
    assert {p for p in pixels} <= {bytes((255, 255, 255, 255)), bytes((0, 0, 0, 0))}


def test_package_zip_has_manifest_and_icons(tmp_path):
    app_id = "00000000-0000-4000-8000-00000000b0b0"
    path = build_package(app_id, tmp_path / "pkg.zip")
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["id"] == app_id and manifest["bots"][0]["botId"] == app_id
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    assert len(manifest["description"]["short"]) <= 80
    # "Report to policybot" on a message's … menu, answered by the bot (fetchTask)
    [extension] = manifest["composeExtensions"]
    assert extension["botId"] == app_id
    [command] = extension["commands"]
    assert command == REPORT_MESSAGE  # the command the invokes carry: the handler's
    assert command["id"] == payload("extension_fetch_task")["value"]["commandId"]
    assert command["type"] == "action" and command["context"] == ["message"]
    assert command["fetchTask"] is True
    # the v1.17 schema's limits
    assert len(command["id"]) <= 64 and len(command["title"]) <= 32
    assert len(command["description"]) <= 128


def test_teams_package_command(tmp_path):
    out = tmp_path / "policybot.zip"
    result = CliRunner().invoke(teams_package, ["--app-id", "00000000-0000-4000-8000-00000000b0b0",
                                                "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists()
    bad = CliRunner().invoke(teams_package, ["--app-id", "nope", "--out", str(out)])
    assert bad.exit_code != 0 and "GUID" in bad.output


@pytest.mark.parametrize("args, message", [
    (["--version", "banana"], "--version must be three numbers like 1.0.0"),
    (["--version", "1.0"], "--version must be three numbers like 1.0.0"),
    (["--domain", "https://policybot.example.org"], "--domain must be a host name only"),
    (["--domain", "policybot.example.org/api/messages"], "--domain must be a host name only"),
])
def test_teams_package_refuses_a_bad_version_or_domain(tmp_path, args, message):
    out = tmp_path / "policybot.zip"
    result = CliRunner().invoke(teams_package, ["--app-id", "00000000-0000-4000-8000-00000000b0b0",
                                                "--out", str(out), *args])
    assert result.exit_code != 0 and message in result.output
    assert not out.exists()


def test_teams_package_takes_a_plain_host_name(tmp_path):
    path = build_package("00000000-0000-4000-8000-00000000b0b0", tmp_path / "p.zip",
                         version="2.10.0", domain="policybot.example.org")
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["validDomains"] == ["policybot.example.org"]
    assert manifest["version"] == "2.10.0"
