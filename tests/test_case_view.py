"""The case view every front end renders, and `CaseDesk.act`, the one entry point."""

import json

import pytest

from bot.case_desk import CaseDesk
from bot.case_view import build_view
from bot.cases import CaseStore
from bot.config import Settings
from bot.events import EventBus
from bot.models import Incoming
from infra.db import Storage

ADMIN = "slack:UADMIN"
OTHER = "web:ana"
SECRET = "Maria Lopez in room 12"
DRAFT = {"category": "harassing", "danger": "no", "platform": "facebook",
         "link": "https://facebook.com/p/secret", "when": "2026-03-01", "target": "student",
         "description": f"{SECRET} was named.", "identity": "named"}


@pytest.fixture
def desk(tmp_path):
    settings = Settings(db_path=str(tmp_path / "v.db"), admins=frozenset({ADMIN, OTHER}))
    storage = Storage(settings.db_path)
    storage.migrate()
    return CaseDesk(CaseStore(storage, settings, EventBus()))


@pytest.fixture
def number(desk):
    case, _ = desk.cases.open_case(DRAFT, "slack:UREPORTER", False, ["BUL-5688.0#3"])
    desk.cases.ask_reporter(case["number"], "Which school?", ADMIN)
    desk.cases.answer_as_reporter("slack:UREPORTER", case["number"], "Roosevelt High, ask Ms. Ng")
    return case["number"]


def trail(desk, number):
    return [e["action"] for e in desk.cases.events(number, ADMIN)]


def shown(view) -> str:
    return json.dumps([view.text(), [f.value for f in view.facts],
                       [m.text for m in view.messages]])


def test_the_view_is_masked_and_only_reveal_shows_hidden_text_and_is_recorded(desk, number):
    masked = desk.act(number, ADMIN, "view")
    assert masked.ok and not masked.view.revealed
    for hidden in (SECRET, "facebook.com/p/secret", "slack:UREPORTER", "Roosevelt"):
        assert hidden not in shown(masked.view)
    assert "Which school?" in shown(masked.view)  # administrators' own questions stay
    assert masked.view.action("reveal") is not None
    revealed = desk.act(number, ADMIN, "reveal")
    for hidden in (SECRET, "facebook.com/p/secret", "slack:UREPORTER", "Roosevelt"):
        assert hidden in shown(revealed.view)
    assert revealed.view.action("reveal") is None
    assert trail(desk, number)[-2:] == ["viewed", "revealed"]


def test_the_announcement_is_masked_and_writes_no_audit(desk, number):
    before = trail(desk, number)
    view = desk.announcement(number, new=True)
    assert view.title == f"New case {number}" and SECRET not in shown(view)
    assert trail(desk, number) == before


def test_actions_follow_the_allowed_transitions_with_reasons_as_options(desk, number):
    view = desk.act(number, ADMIN, "view").view
    assert [a.id for a in view.actions] == ["claim", "assign", "status", "category",
                                            "urgency", "note", "ask", "duplicate", "reveal"]
    status = view.action("status")
    assert status.input == "choice" and [v for v, _ in status.options] == [
        "triaged", "dismissed duplicate", "dismissed unfounded", "dismissed out_of_scope",
        "dismissed referred"]
    assert status.command("triaged") == f"set-status {number} triaged"
    assert {a.id: a.input for a in view.actions}["note"] == "text"
    assert desk.act(number, ADMIN, "status", "dismissed duplicate").ok
    closed = desk.act(number, ADMIN, "view").view
    assert closed.action("status") is None and closed.status_text == "dismissed (duplicate)"
    assert closed.action("reopen").input == "text" and closed.action("close") is None


def test_every_action_goes_through_act_with_its_outcome_text(desk, number):
    assert desk.act(number, ADMIN, "claim").text == f"You now have case *{number}*."
    assert desk.act(number, ADMIN, "assign", "web:ana").text.endswith("assigned to web:ana.")
    assert desk.act(number, ADMIN, "status", "triaged").text == f"Case *{number}* is now triaged."
    assert desk.act(number, ADMIN, "note", "called HR").ok
    assert desk.act(number, ADMIN, "ask", "a screenshot?").ok
    bad = desk.act(number, ADMIN, "status", "resolved")
    assert not bad.ok and bad.problem == "invalid" and "cannot become resolved" in bad.text
    assert desk.act("2026-9999", ADMIN, "view").problem == "not_found"
    assert desk.act(number, ADMIN, "explode").problem == "invalid"
    assert {"assigned", "status_changed", "note_added", "question_asked"} <= set(
        trail(desk, number))


@pytest.mark.parametrize("action,value", [("view", ""), ("reveal", ""), ("claim", ""),
                                          ("assign", "x:y"), ("status", "triaged"),
                                          ("note", "n"), ("ask", "q")])
def test_a_non_admin_is_refused_every_action_and_the_attempt_is_recorded(desk, number,
                                                                         action, value):
    outcome = desk.act(number, "slack:UINTRUDER", action, value)
    assert not outcome.ok and outcome.problem == "not_permitted" and outcome.view is None
    assert "Not permitted" in outcome.text
    denied = desk.cases.storage.db.execute(
        "SELECT actor, case_number FROM case_events WHERE action = 'denied'").fetchall()
    assert denied == [("slack:UINTRUDER", number)]
    assert desk.cases.get(number, ADMIN)["status"] == "new"
    assert desk.cases.get(number, ADMIN)["assignee"] is None


def test_build_view_is_pure_and_words_are_the_same_everywhere():
    case = {"number": "2026-0001", "category": "bullying", "urgency": "urgent",
            "platform": "x", "target": "student", "status": "dismissed",
            "dismiss_reason": "out_of_scope", "description": "d", "link": None,
            "reporter": None, "matched_policy_ids": [], "assignee": None, "seen_on": None,
            "created_at": "2026-03-05T10:00:00"}
    view = build_view(case)
    facts = {f.label: f.value for f in view.facts}
    assert facts["Category"] == "Bullying" and facts["Matched policy"] == "none matched"
    assert facts["Status"] == "dismissed (out of scope)" and facts["Link"] == "(none)"
    assert facts["Reporter"] == "anonymous" and view.urgent


def test_report_flow_replies_are_private_in_the_core(bot):
    """Front ends trust `Reply.private` alone (Teams used to force its own list)."""
    replies = bot.handle(Incoming("report", "teams:c1", "teams:u1", platform="teams"))
    replies += bot.handle(Incoming("harassing", "teams:c1", "teams:u1", platform="teams"))
    replies += bot.handle(Incoming("yes", "teams:c1", "teams:u1", platform="teams"))
    replies += bot.handle(Incoming("cancel", "teams:c1", "teams:u1", platform="teams"))
    kinds = {r.kind for r in replies}
    assert {"flow", "emergency"} <= kinds
    assert all(r.private for r in replies), [(r.kind, r.private) for r in replies]


def test_every_case_text_key_the_code_uses_is_in_the_catalogue():
    """The catalogue is the one home of case-side words (a translation is another dict)."""
    import re
    from pathlib import Path

    from bot.case_text import TEXT

    root = Path(__file__).resolve().parent.parent
    used = {m.group(1) for p in [*root.glob("bot/*.py"), *root.glob("handlers/*.py"),
                                 *root.glob("handlers/templates/*.html")]
            for m in re.finditer(r"""\bsay\(\s*["']([a-z_.]+)["']""", p.read_text())}
    assert len(used) > 30 and used <= set(TEXT), used - set(TEXT)
    assert all(isinstance(v, str) for v in TEXT.values())


@pytest.mark.parametrize("forged", ["2026-0001\nFORGED log line", "'; DROP TABLE cases", "",
                                    "x" * 5000])
def test_a_forged_case_number_is_refused_and_never_stored(desk, number, forged):
    for actor in (ADMIN, "slack:UINTRUDER"):
        outcome = desk.act(forged, actor, "note", "hello")
        assert not outcome.ok and outcome.problem == "not_found"
    stored = desk.cases.storage.db.execute(
        "SELECT case_number FROM case_events WHERE case_number IS NOT NULL "
        "AND case_number != ?", [number]).fetchall()
    assert stored == []
    assert desk.act("2026-1", ADMIN, "view").view.number == "2026-0001"


def test_a_non_admin_is_refused_before_their_input_is_judged(desk, number):
    outcome = desk.act(number, "slack:UINTRUDER", "assign", "two words")
    assert outcome.problem == "not_permitted"
    assert desk.act(number, ADMIN, "assign", "two words").problem == "invalid"


# ---------------------------------------------------------------- assign, close, reopen, edit


def test_assign_offers_the_known_administrators_by_name_and_refuses_anyone_else(desk, number):
    assign = desk.act(number, ADMIN, "view").view.action("assign")
    assert assign.input == "choice"
    assert assign.options == (("web:ana", "ana (console)"), ("slack:UADMIN", "Slack user UADMIN"))
    refused = desk.act(number, ADMIN, "assign", "slack:USTRANGER")
    assert not refused.ok and refused.problem == "invalid"
    assert "slack:USTRANGER is not a case administrator" in refused.text
    assert "ana (console) (web:ana)" in refused.text
    assert desk.cases.get(number, ADMIN)["assignee"] is None
    assert desk.act(number, ADMIN, "assign", OTHER).ok
    view = desk.act(number, ADMIN, "view").view
    assert [v for v, _ in view.action("assign").options] == [ADMIN]  # not the assignee again
    assert desk.act(number, ADMIN, "claim").ok  # "Assign to me" stays


def test_a_console_account_is_an_assignee(tmp_path):
    from bot.admin_accounts import AdminAccounts
    from bot.administrators import Administrators

    settings = Settings.from_env({"POLICYBOT_DB": str(tmp_path / "a.db"),
                                  "POLICYBOT_ADMINS": f"{ADMIN}=Ana Ruiz,teams:29:x"})
    storage = Storage(settings.db_path)
    storage.migrate()
    accounts = AdminAccounts(storage)
    accounts.add("zoe", "correct horse battery")
    desk = CaseDesk(CaseStore(storage, settings, EventBus(), Administrators(settings, accounts)))
    case, _ = desk.cases.open_case(DRAFT, "slack:UREPORTER", False, [])
    assert desk.act(case["number"], ADMIN, "view").view.action("assign").options == (
        (ADMIN, "Ana Ruiz (Slack)"), ("teams:29:x", "Teams user 29:x"),
        ("web:zoe", "zoe (console)"))
    assert desk.act(case["number"], "web:zoe", "assign", ADMIN).ok
    accounts.remove("zoe")
    assert desk.act(case["number"], ADMIN, "assign", "web:zoe").problem == "invalid"


def test_change_category_and_urgency_from_the_choices_with_old_and_new_in_the_trail(desk,
                                                                                  number):
    view = desk.act(number, ADMIN, "view").view
    category, urgency = view.action("category"), view.action("urgency")
    assert "harassing" not in dict(category.options) and "threatening" in dict(category.options)
    assert urgency.options == (("urgent", "Urgent"),)
    assert urgency.command("urgent") == f"set-urgency {number} urgent"
    done = desk.act(number, ADMIN, "category", "threatening")
    assert done.ok and done.text == f"Case *{number}* is now in the category Threatening."
    assert desk.act(number, ADMIN, "urgency", "urgent").ok
    assert desk.act(number, ADMIN, "category", "funny").problem == "invalid"
    assert desk.act(number, ADMIN, "urgency", "urgent").problem == "invalid"  # already
    view = desk.act(number, ADMIN, "view").view
    assert view.urgent and {f.label: f.value for f in view.facts}["Category"] == "Threatening"
    lines = [t.line() for t in view.trail]
    assert any("category_changed by slack:UADMIN (Harassing → Threatening)" in x for x in lines)
    assert any("urgency_changed by slack:UADMIN (Normal → Urgent)" in x for x in lines)
    events = [e for e in desk.cases.events(number, ADMIN) if e["action"].endswith("_changed")]
    assert [e["detail"] for e in events] == [{"from": "harassing", "to": "threatening"},
                                             {"from": "normal", "to": "urgent"}]


def test_close_needs_a_reason_and_is_offered_only_where_the_workflow_allows(desk, number):
    assert desk.act(number, ADMIN, "view").view.action("close") is None  # new: triage first
    assert desk.act(number, ADMIN, "close", "done").problem == "invalid"
    desk.act(number, ADMIN, "status", "triaged")
    desk.act(number, ADMIN, "status", "investigating")
    view = desk.act(number, ADMIN, "view").view
    assert view.action("close").input == "text"
    assert "resolved" not in dict(view.action("status").options)  # only with a reason
    assert desk.act(number, ADMIN, "close", "  ").problem == "invalid"
    done = desk.act(number, ADMIN, "close", "Post removed; spoke with the teacher.")
    assert done.ok and done.text == f"Case *{number}* is now closed (resolved)."
    view = desk.act(number, ADMIN, "view").view
    assert view.status == "resolved" and view.action("close") is None
    assert view.trail[-2].what() == ("status_changed by slack:UADMIN (investigating → "
                                     "resolved: Post removed; spoke with the teacher.)")


def test_reopen_goes_back_to_where_it_was_closed_from_with_the_reason(desk, number):
    assert desk.act(number, ADMIN, "reopen", "why not").problem == "invalid"  # open
    desk.act(number, ADMIN, "status", "triaged")
    desk.act(number, ADMIN, "status", "dismissed duplicate")
    done = desk.act(number, ADMIN, "reopen", "Not a duplicate after all.")
    assert done.ok and done.text == f"Case *{number}* is reopened: it is triaged again."
    case = desk.cases.get(number, ADMIN)
    assert case["status"] == "triaged" and case["dismiss_reason"] is None
    view = desk.act(number, ADMIN, "view").view
    assert view.action("reopen") is None and view.action("status") is not None
    assert any(t.what() == "reopened by slack:UADMIN (dismissed (duplicate) → triaged: Not a "
               "duplicate after all.)" for t in view.trail)


@pytest.mark.parametrize("action,value", [("category", "threatening"), ("urgency", "urgent"),
                                          ("close", "done"), ("reopen", "again"),
                                          ("assign", OTHER)])
def test_the_new_actions_refuse_a_non_admin_and_record_it(desk, number, action, value):
    outcome = desk.act(number, "slack:UINTRUDER", action, value)
    assert outcome.problem == "not_permitted"
    assert desk.cases.storage.db.execute(
        "SELECT COUNT(*) FROM case_events WHERE action = 'denied'").fetchone()[0] == 1
    case = desk.cases.get(number, ADMIN)
    assert (case["category"], case["urgency"], case["assignee"]) == ("harassing", "normal", None)
