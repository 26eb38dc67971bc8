import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from bot.cases import CaseStore
from bot.config import Settings
from bot.conversations import save_part
from bot.events import CaseOpened, EventBus
from bot.models import Incoming, Reply
from bot.reporting import ReportDesk, looks_like_question
from infra.db import Storage

ADMIN = "slack:UADMIN"
USER = "slack:U0REPORTER42"
CONV = "slack:D0CHAN:"
TODAY = date(2026, 3, 10)
ANSWERS = ["harassing", "no", "facebook", "skip", "today", "employee",
           "Someone posted a rude meme about a colleague."]


class Fakes:
    def __init__(self):
        self.questions: list[str] = []
        self.matched_texts: list[str] = []

    def answer_question(self, incoming: Incoming) -> list[Reply]:
        self.questions.append(incoming.text)
        return [Reply(kind="answered", text=f"ANSWER to {incoming.text}")]

    def match_policies(self, text: str) -> list[str]:
        self.matched_texts.append(text)
        return ["BUL-5688.0#3"]


def build(path: Path, fakes: Fakes, events: EventBus | None = None) -> ReportDesk:
    settings = Settings(db_path=str(path), admins=frozenset({ADMIN}))
    storage = Storage(settings.db_path)
    storage.migrate()
    bus = events or EventBus()
    store = CaseStore(storage, settings, bus)
    return ReportDesk(storage, store, settings, bus, fakes.answer_question,
                      fakes.match_policies, today=lambda: TODAY)


@pytest.fixture
def fakes():
    return Fakes()


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "policybot.db"


@pytest.fixture
def desk(db_path, fakes):
    return build(db_path, fakes)


def say(desk, text, user=USER, conv=CONV):
    return desk.handle(Incoming(text=text, conversation_id=conv, user_id=user, platform="slack"))


def saved_state(desk, conv=CONV):
    rows = list(desk.storage.db.query("SELECT state FROM conversations WHERE id = ?",
                                      [desk.storage.keyed(conv, "conversation")]))
    return json.loads(rows[0]["state"]) if rows else None


def file_report(desk, identity, answers=ANSWERS, user=USER):
    say(desk, "report", user=user)
    for answer in answers:
        say(desk, answer, user=user)
    say(desk, identity, user=user)
    return say(desk, "submit", user=user)


def test_messages_not_for_the_desk_return_none(desk):
    assert say(desk, "can I friend a parent on Facebook?") is None
    assert say(desk, "status of my paycheck") is None
    assert say(desk, "reply to my principal") is None
    assert saved_state(desk) is None


def test_report_starts_flow_and_saves_state(desk):
    replies = say(desk, "report")
    assert replies[0].kind == "flow" and replies[0].step["id"] == "category"
    assert saved_state(desk)["report"]["step"] == "category"


def test_named_report_end_to_end_stores_case_and_clears_state(desk, fakes):
    replies = file_report(desk, "named")
    assert len(replies) == 1 and replies[0].kind == "receipt" and replies[0].private
    number = replies[0].data["case_number"]
    assert "case_key" not in replies[0].data and number in replies[0].text
    assert saved_state(desk) is None
    case = desk.cases.get(number, ADMIN)
    assert case["reporter"] == USER and case["target"] == "employee"
    assert case["seen_on"] == "2026-03-10" and case["matched_policy_ids"] == ["BUL-5688.0#3"]
    assert fakes.matched_texts == ["Harassing Someone posted a rude meme about a colleague."]
    mine = say(desk, "my reports")
    assert mine[0].kind == "status" and number in mine[0].text and mine[0].private


def test_report_category_prefills_and_skips_the_category_step(desk):
    replies = say(desk, "report bullying")
    assert replies[0].step["id"] == "danger"
    assert saved_state(desk)["report"]["answers"] == {"category": "bullying"}


def test_other_keys_in_conversation_state_are_kept(desk):
    save_part(desk.storage, CONV, "last_question", "q1")
    say(desk, "report")
    assert saved_state(desk)["last_question"] == "q1" and "report" in saved_state(desk)
    say(desk, "cancel")
    assert saved_state(desk) == {"last_question": "q1"}


def test_mid_flow_question_is_answered_and_step_reasked(desk, fakes):
    say(desk, "report")
    say(desk, "harassing")
    say(desk, "no")
    before = saved_state(desk)
    replies = say(desk, "Can I get in trouble for reporting a colleague?")
    assert fakes.questions == ["Can I get in trouble for reporting a colleague?"]
    assert replies[0].text.startswith("ANSWER to")
    assert replies[-1].kind == "flow" and replies[-1].step["id"] == "platform"
    assert saved_state(desk) == before
    assert say(desk, "3")[-1].step["id"] == "link"


def test_invalid_answer_that_is_not_a_question_is_reasked_with_reason(desk, fakes):
    say(desk, "report")
    replies = say(desk, "purple")
    assert fakes.questions == []
    assert len(replies) == 1 and replies[0].data["error"] and replies[0].step["id"] == "category"


def test_looks_like_question():
    assert looks_like_question("is this allowed?")
    assert looks_like_question("Should I screenshot it")
    assert not looks_like_question("purple")


def test_oversize_description_refused_and_saved_answers_kept(desk):
    say(desk, "report")
    for answer in ANSWERS[:-1]:
        say(desk, answer)
    before = saved_state(desk)
    replies = say(desk, "w" * 5001)
    assert "5,000" in replies[0].text and replies[0].step["id"] == "description"
    assert saved_state(desk) == before
    assert say(desk, "short version")[-1].step["id"] == "identity"


def test_danger_yes_gives_emergency_first_and_case_is_urgent(db_path, fakes):
    bus = EventBus()
    published = []
    bus.subscribe(published.append)
    desk = build(db_path, fakes, bus)
    say(desk, "report threatening")
    replies = say(desk, "yes")
    assert replies[0].kind == "emergency" and "911" in replies[0].text
    assert "988" in replies[0].text
    for answer in ANSWERS[2:]:
        say(desk, answer)
    say(desk, "named")
    receipt = say(desk, "submit")[0]
    assert "urgent" in receipt.text
    number = receipt.data["case_number"]
    assert desk.cases.get(number, ADMIN)["urgency"] == "urgent"
    assert published == [CaseOpened(number, True)]


def test_anonymous_report_leaves_no_reporter_identity_anywhere(desk, db_path):
    receipt = file_report(desk, "anonymous")[0]
    key = receipt.data["case_key"]
    assert key in receipt.text and "Save your case key now" in receipt.text
    assert "cannot be shown again" in receipt.text
    number = receipt.data["case_number"]
    desk.cases.ask_reporter(number, "Which day?", ADMIN)
    assert say(desk, f"reply {key} Tuesday")[0].kind == "status"
    status = say(desk, f"status {key}")[0]
    assert number in status.text and "Which day?" in status.text and "Tuesday" in status.text
    conn = sqlite3.connect(db_path)
    case_row = conn.execute("SELECT * FROM cases").fetchone()
    assert USER not in repr(case_row)
    assert USER not in repr(conn.execute("SELECT * FROM case_events").fetchall())
    assert USER not in repr(conn.execute("SELECT * FROM case_messages").fetchall())
    assert conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 0
    conn.close()
    for f in db_path.parent.iterdir():  # the main file, -wal and -shm
        raw = f.read_bytes()
        assert USER.encode() not in raw and key.encode() not in raw, f.name


def test_anonymous_chat_report_forgets_the_conversation_named_one_keeps_its_context(desk):
    """An anonymous submission drops everything kept for the chat (a row left behind, even
    re-stamped, would sit beside the case); a named one removes only the draft."""
    save_part(desk.storage, CONV, "context", {"question": "q1"})
    file_report(desk, "anonymous")
    assert saved_state(desk) is None
    save_part(desk.storage, CONV, "context", {"question": "q1"})
    file_report(desk, "named")
    assert saved_state(desk) == {"context": {"question": "q1"}}


def test_conversation_rows_are_found_by_a_keyed_hash_not_the_id(desk, db_path):
    import hashlib

    save_part(desk.storage, CONV, "context", {"question": "q1"})
    [row] = desk.storage.db.query("SELECT id, updated_at FROM conversations")
    assert CONV not in row["id"] and hashlib.sha256(CONV.encode()).hexdigest() not in row["id"]
    assert row["id"] == desk.storage.keyed(CONV, "conversation")
    assert row["updated_at"].endswith(":00:00+00:00")  # to the hour
    other = Storage(db_path, secret_key="another key")
    assert other.keyed(CONV, "conversation") != row["id"]  # the key is what makes it


def test_status_with_unknown_key_is_an_error(desk):
    replies = say(desk, "status " + "A" * 24)
    assert replies[0].kind == "error" and replies[0].private


def test_named_reporter_replies_by_case_number(desk):
    number = file_report(desk, "named")[0].data["case_number"]
    desk.cases.ask_reporter(number, "Any screenshots?", ADMIN)
    assert say(desk, f"reply {number} yes, two")[0].kind == "status"
    assert say(desk, f"reply {number} sneaky", user="slack:UOTHER")[0].kind == "error"
    texts = [m["text"] for m in desk.cases.messages(number, ADMIN)]
    assert texts == ["Any screenshots?", "yes, two"]


def test_restart_resumes_a_half_finished_flow(db_path, fakes):
    first = build(db_path, fakes)
    say(first, "report")
    for answer in ANSWERS[:4]:
        say(first, answer)
    first.storage.close()
    second = build(db_path, fakes)
    replies = say(second, ANSWERS[4])
    assert replies[-1].step["id"] == "target"
    for answer in ANSWERS[5:]:
        say(second, answer)
    say(second, "named")
    number = say(second, "submit")[0].data["case_number"]
    case = second.cases.get(number, ADMIN)
    assert case["category"] == "harassing" and case["platform"] == "facebook"


def test_cancel_and_back_inside_the_desk(desk):
    say(desk, "report")
    say(desk, "harassing")
    assert say(desk, "back")[-1].step["id"] == "category"
    assert saved_state(desk)["report"]["step"] == "category"
    assert "Nothing was stored" in say(desk, "cancel")[0].text
    assert saved_state(desk) is None
    assert desk.storage.db.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 0


@pytest.mark.parametrize("text", ["'; DROP TABLE cases; --", "<img src=x onerror=alert(1)>",
                                  "🚨 😡 emoji", "هذا منشور مسيء \u200f"])
def test_hostile_descriptions_survive_the_flow_verbatim(desk, text):
    number = file_report(desk, "named", ANSWERS[:-1] + [text])[0].data["case_number"]
    assert desk.cases.get(number, ADMIN)["description"] == text


def test_submit_form_validates_everything_and_stores(desk):
    result = desk.submit_form(Incoming(text="", conversation_id=CONV, user_id=USER),
                              {"category": "nope", "description": "x" * 5001})
    assert result.case_number is None and result.replies == []
    assert "5,000" in result.errors["description"] and "category" in result.errors
    values = {"category": "racist_biased", "danger": "yes", "platform": "x",
              "link": "https://x.com/a/status/1", "when": "03/09/2026", "target": "student",
              "description": "Slur in a reply.", "identity": "anonymous"}
    result = desk.submit_form(Incoming(text="", conversation_id=CONV, user_id=USER), values)
    assert result.errors == {}
    assert [r.kind for r in result.replies] == ["emergency", "receipt"]
    assert result.replies[1].data["case_number"] == result.case_number
    case = desk.cases.get(result.case_number, ADMIN)
    assert case["reporter"] is None and case["urgency"] == "urgent"
    assert case["seen_on"] == "2026-03-09"


def test_named_report_without_a_user_id_is_filed_anonymously(desk):
    desk.handle(Incoming(text="report", conversation_id="console:1"))
    for answer in ANSWERS + ["named", "submit"]:
        replies = desk.handle(Incoming(text=answer, conversation_id="console:1"))
    assert replies[0].data.get("case_key") and "anonymously" in replies[0].text


def test_report_command_mid_flow_keeps_the_report_in_progress(desk):
    say(desk, "report")
    say(desk, "harassing")
    replies = say(desk, "report bullying")
    assert "already have a report in progress" in replies[0].text
    assert replies[-1].step["id"] == "danger"
    assert saved_state(desk)["report"]["answers"] == {"category": "harassing"}


def test_my_reports_mid_flow_is_answered_and_step_reasked(desk):
    number = file_report(desk, "named")[0].data["case_number"]
    say(desk, "report")
    replies = say(desk, "my reports")
    assert number in replies[0].text and replies[-1].step["id"] == "category"
