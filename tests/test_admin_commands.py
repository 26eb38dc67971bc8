import pytest

from bot.admin_commands import AdminDesk
from bot.case_desk import CaseDesk
from bot.cases import CaseStore
from bot.config import Settings
from bot.events import EventBus
from bot.models import Incoming
from infra.db import Storage

ADMIN = "teams:admin-1"
DRAFT = {"category": "bullying", "danger": "no", "platform": "tiktok", "link": None,
         "when": None, "target": "student", "description": "<b>mean</b> 'video' 😢",
         "identity": "named"}


@pytest.fixture
def desk(tmp_path):
    settings = Settings(db_path=str(tmp_path / "a.db"), admins=frozenset({ADMIN, "slack:U2"}))
    storage = Storage(settings.db_path)
    storage.migrate()
    return AdminDesk(CaseDesk(CaseStore(storage, settings, EventBus())))


@pytest.fixture
def number(desk):
    return desk.cases.open_case(DRAFT, "teams:reporter", False, ["BUL-1#1"])[0]["number"]


def run(desk, text, user=ADMIN):
    return desk.handle(Incoming(text=text, conversation_id="teams:c", user_id=user,
                                platform="teams"))


def test_ordinary_sentences_are_not_commands(desk):
    for text in ("cases of bullying online?", "case law on free speech", "note to self",
                 "ask about policy", "hello"):
        assert run(desk, text) is None


def test_cases_lists_with_filters_and_counts(desk, number):
    reply = run(desk, "cases")[0]
    assert reply.kind == "admin" and reply.private and number in reply.text
    assert "new 1" in reply.text
    assert reply.buttons[0].value == f"case {number}"
    assert "No cases match" in run(desk, "cases status=resolved")[0].text
    assert number in run(desk, "cases category=bullying")[0].text


def test_case_is_masked_until_reveal_which_shows_it_verbatim_and_is_recorded(desk, number):
    reply = run(desk, f"case {number}")[0]
    assert "mean" not in reply.text and "teams:reporter" not in reply.text
    assert f"reveal {number}" in [b.value for b in reply.buttons]
    reply = run(desk, f"reveal {number}")[0]
    assert "> <b>mean</b> 'video' 😢" in reply.text and "teams:reporter" in reply.text
    assert f"reveal {number}" not in [b.value for b in reply.buttons]
    actions = [e["action"] for e in desk.cases.events(number, ADMIN)]
    assert actions == ["opened", "viewed", "revealed"]
    values = [b.value for b in reply.buttons]
    assert f"claim {number}" in values and f"set-status {number} triaged" in values
    assert f"set-status {number} dismissed duplicate" in values
    assert f"set-status {number} resolved" not in values


def test_claim_assign_status_note_ask(desk, number):
    assert "You now have" in run(desk, f"claim {number}")[0].text
    assert desk.cases.get(number, ADMIN)["assignee"] == ADMIN
    run(desk, f"assign {number} slack:U2")
    assert desk.cases.get(number, ADMIN)["assignee"] == "slack:U2"
    assert "now triaged" in run(desk, f"set-status {number} triaged")[0].text
    reply = run(desk, f"set-status {number} dismissed out of scope")[0]
    assert "dismissed (out of scope)" in reply.text
    run(desk, f"note {number} spoke with principal")
    run(desk, f"ask {number} any screenshot?")
    actions = [e["action"] for e in desk.cases.events(number, ADMIN)]
    assert {"assigned", "status_changed", "note_added", "question_asked"} <= set(actions)


def test_illegal_transition_and_unknown_case_are_error_replies(desk, number):
    reply = run(desk, f"set-status {number} resolved")[0]
    assert reply.kind == "error" and "cannot become resolved" in reply.text
    assert "needs a reason" in run(desk, f"set-status {number} dismissed")[0].text
    assert run(desk, "case 2026-9999")[0].kind == "error"


def test_set_status_resolved_needs_a_reason_and_then_closes(desk, number):
    run(desk, f"set-status {number} triaged")
    run(desk, f"set-status {number} investigating")
    trail = desk.cases.events(number, ADMIN)
    reply = run(desk, f"set-status {number} resolved")[0]
    assert reply.kind == "error" and reply.private
    assert f"needs a reason, kept in the audit trail: use `close {number} REASON`" in reply.text
    assert desk.cases.events(number, ADMIN) == trail  # nothing changed, nothing recorded
    reply = run(desk, f"set-status {number} resolved Post taken down by the poster")[0]
    assert reply.kind == "admin" and f"Case *{number}* is now resolved." in reply.text
    assert desk.cases.events(number, ADMIN)[-1]["detail"] == {
        "from": "investigating", "to": "resolved", "reason": "Post taken down by the poster"}


def test_non_admin_gets_not_permitted_and_attempt_recorded(desk, number):
    reply = run(desk, f"claim {number}", user="slack:UINTRUDER")[0]
    assert reply.kind == "error" and "not permitted" in reply.text.lower() and reply.private
    run(desk, "cases", user="slack:UINTRUDER")
    denied = desk.cases.storage.db.execute(
        "SELECT actor, case_number FROM case_events WHERE action = 'denied'").fetchall()
    assert denied == [("slack:UINTRUDER", number), ("slack:UINTRUDER", None)]
    assert desk.cases.get(number, ADMIN)["assignee"] is None


def test_my_cases_lists_only_the_cases_assigned_to_me(desk, number):
    other = desk.cases.open_case(DRAFT, "teams:reporter", False, [])[0]["number"]
    assert "No cases match" in run(desk, "my cases")[0].text
    run(desk, f"claim {number}")
    run(desk, f"assign {other} slack:U2")
    reply = run(desk, "My  Cases")[0]
    assert reply.data["case_numbers"] == [number]
    assert run(desk, "my cases", user="slack:U2")[0].data["case_numbers"] == [other]
    assert run(desk, "cases mine status=new", user="slack:U2")[0].data["case_numbers"] == [other]
    assert "Not permitted" in run(desk, "my cases", user="slack:UINTRUDER")[0].text


def test_assign_close_reopen_and_edit_are_chat_commands(desk, number):
    reply = run(desk, f"assign {number} slack:UNKNOWN")[0]
    assert reply.kind == "error" and "slack:UNKNOWN is not a case administrator" in reply.text
    assert "Slack user U2 (slack:U2)" in reply.text
    case = run(desk, f"case {number}")[0]
    values = [b.value for b in case.buttons]
    assert f"assign {number} slack:U2" in values and f"set-urgency {number} urgent" in values
    assert not any(v.startswith("set-category") for v in values)  # 7 choices: typed
    assert f"set-category {number} CHOICE` (threatening, harassing" in case.text
    assert "Threatening" in run(desk, f"set-category {number} threatening")[0].text
    run(desk, f"set-status {number} dismissed unfounded")
    reply = run(desk, f"reopen {number} The screenshot arrived.")[0]
    assert reply.kind == "admin" and "reopened: it is new again" in reply.text
    assert "cannot be closed" in run(desk, f"close {number} fine")[0].text
