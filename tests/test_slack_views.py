"""Block Kit builders are pure: core data in, dicts within Slack's limits out."""

from __future__ import annotations

import json

from bot.case_view import build_view
from bot.models import Button, Citation, Reply
from bot.report_flow import FORM_FIELDS, STEPS
from handlers import slack_report_views as report_views
from handlers import slack_views as views


def answered() -> Reply:
    c = Citation(id="BUL-5688.0#3", bulletin="BUL-5688.0", title="Student privacy",
                 text="Never post student photos.", url="https://example.org/bul")
    return Reply(kind="answered", status="answered", confidence=0.82, citations=(c,),
                 text="No.\n\n> Never post student photos.\n— BUL-5688.0#3, Policy (url)",
                 buttons=(Button("Helpful", "feedback helpful 1"),
                          Button("Not helpful", "feedback unhelpful 1"),
                          Button("Report a post", "report student_identified")))


def test_user_text_cannot_mention_or_link():
    assert views.mrkdwn("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert views.mrkdwn("> quoted <b>") == "> quoted &lt;b&gt;"


def test_answer_blocks_carry_clause_confidence_and_command_buttons():
    blocks = views.reply_blocks(answered(), "slack:D1:", share=True)
    text = json.dumps(blocks)
    assert "> Never post student photos." in text
    ctx = next(b for b in blocks if b["type"] == "context")["elements"][0]["text"]
    assert ctx.startswith("Confidence: 82%") and "<https://example.org/bul|BUL-5688.0#3>" in ctx
    actions = [b for b in blocks if b["type"] == "actions"]
    assert views.conversation_from_block_id(actions[0]["block_id"]) == "slack:D1:"
    elements = actions[0]["elements"]
    assert [e["value"] for e in elements] == ["feedback helpful 1", "feedback unhelpful 1",
                                              "report student_identified",
                                              "show BUL-5688.0#3"]
    assert elements[-1]["action_id"] == views.SHARE_ACTION
    assert len({e["action_id"] for e in elements}) == len(elements)


def test_private_replies_never_get_a_share_button():
    reply = Reply(kind="answered", text="x", citations=answered().citations, private=True)
    assert "pb_share" not in json.dumps(views.reply_blocks(reply, "c", share=True))


def test_long_text_is_split_under_the_section_limit():
    reply = Reply(kind="info", text=("word " * 500 + "\n") * 8)
    blocks = views.reply_blocks(reply, "c")
    assert len(blocks) > 1
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")


def test_report_modal_renders_every_form_step_and_prefill():
    view = report_views.report_modal(STEPS, {"category": "bullying", "link": "https://x.org/p"})
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == list(FORM_FIELDS)
    by_id = {b["block_id"]: b for b in inputs}
    assert by_id["category"]["element"]["initial_option"]["value"] == "bullying"
    assert by_id["link"]["element"]["initial_value"] == "https://x.org/p"
    assert by_id["link"]["optional"] and by_id["when"]["optional"]
    assert by_id["when"]["element"]["type"] == "datepicker"
    assert by_id["description"]["element"]["max_length"] <= 3000
    for b in inputs:
        for option in b["element"].get("options", []):
            assert len(option["text"]["text"]) <= 75
            assert len(option.get("description", {}).get("text", "")) <= 75
    assert view["submit"]["text"] == "Submit the report"
    assert len(view["title"]["text"]) <= 24


def test_form_values_reads_every_element_kind():
    state = {"category": {"value": {"type": "static_select",
                                    "selected_option": {"value": "other"}}},
             "danger": {"value": {"type": "radio_buttons", "selected_option": None}},
             "when": {"value": {"type": "datepicker", "selected_date": "2026-01-02"}},
             "description": {"value": {"type": "plain_text_input", "value": "text"}}}
    assert report_views.form_values(state) == {"category": "other", "danger": None,
                                        "when": "2026-01-02", "description": "text"}


CASE = {"number": "2026-0001", "category": "threatening", "urgency": "urgent",
        "status": "new", "platform": "x", "target": "unknown",
        "description": "<!channel> hi", "link": "https://x.com/p/1", "reporter": None,
        "matched_policy_ids": ["BUL-5688.0#4"], "created_at": "2026-01-01T00:00:00"}
EVENTS = [{"created_at": "2026-01-01T00:00:00", "action": "viewed", "actor": "slack:U1",
           "detail": {}}]


def test_case_message_is_masked_and_mentions_only_when_urgent():
    message = views.case_message(build_view(CASE), "slack:C1:", ["UADMIN", "UOTHER"])
    assert message["text"].startswith("<@UADMIN> <@UOTHER>")
    assert "channel" not in json.dumps(message) and "x.com/p/1" not in json.dumps(message)
    normal = views.case_message(build_view({**CASE, "urgency": "normal"}), "c", ["UADMIN"])
    assert "<@UADMIN>" not in json.dumps(normal)


def test_a_revealed_case_escapes_the_description():
    message = views.case_message(build_view(CASE, events=EVENTS, revealed=True), "c")
    text = json.dumps(message)
    assert "&lt;!channel&gt;" in text and "viewed by slack:U1" in text
    assert len(message["blocks"]) <= views.MAX_BLOCKS
