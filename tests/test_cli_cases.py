import csv
import json

import pytest
from click.testing import CliRunner

from bot.cases import CaseStore
from bot.config import LOCAL_OPERATOR, Settings
from bot.events import EventBus
from infra.db import Storage
from policybot.cli_cases import cases

DRAFT = {"category": "threatening", "danger": "yes", "platform": "instagram",
         "link": "https://instagram.com/p/1", "when": "2026-02-02", "target": "employee",
         "description": "'; DROP TABLE cases; -- <script>x</script> 🚨 שלום",
         "identity": "anonymous"}


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    path = tmp_path / "cli.db"
    monkeypatch.setenv("POLICYBOT_DB", str(path))
    monkeypatch.setenv("POLICYBOT_ADMINS", "slack:U9")
    return path


@pytest.fixture
def number(db_path):
    storage = Storage(db_path)
    storage.migrate()
    store = CaseStore(storage, Settings(db_path=str(db_path)), EventBus())
    case, _ = store.open_case(DRAFT, None, True, ["BUL-5688.0#3"])
    storage.close()
    return case["number"]


def invoke(*args):
    return CliRunner().invoke(cases, list(args), catch_exceptions=False)


def test_list_json_prints_every_field_with_hidden_text_masked(number):
    result = invoke("list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert rows[0]["number"] == number and rows[0]["description"] is None
    assert rows[0]["link"] is None and "DROP TABLE" not in result.output
    assert rows[0]["urgency"] == "urgent" and rows[0]["reporter"] is None
    assert rows[0]["matched_policy_ids"] == ["BUL-5688.0#3"]


def test_list_filters(number):
    assert number in invoke("list", "--status", "new").output
    assert "No cases match" in invoke("list", "--status", "resolved").output
    assert number in invoke("list", "--urgency", "urgent", "--category", "threatening").output


def test_show_masks_until_reveal_which_prints_verbatim_and_is_recorded(number):
    result = invoke("show", number)
    assert result.exit_code == 0
    assert "DROP TABLE" not in result.output and "instagram.com/p/1" not in result.output
    assert "anonymous" in result.output and f"viewed by {LOCAL_OPERATOR}" in result.output
    result = invoke("show", "--reveal", number)
    assert DRAFT["description"] in result.output and "instagram.com/p/1" in result.output
    assert f"revealed by {LOCAL_OPERATOR}" in result.output


def test_assign_status_note_ask_workflow(number):
    assert "assigned to slack:U9" in invoke("assign", number, "slack:U9").output
    assert "now triaged" in invoke("status", number, "triaged").output
    assert invoke("note", number, "Called school police").exit_code == 0
    assert invoke("ask", number, "Do you have a screenshot?").exit_code == 0
    out = invoke("show", number).output
    assert "Do you have a screenshot?" in out
    for action in ("assigned", "status_changed", "note_added", "question_asked"):
        assert f"{action} by {LOCAL_OPERATOR}" in out


def test_errors_are_one_line_without_traceback(number):
    result = invoke("status", number, "resolved")
    assert result.exit_code == 1 and "cannot become resolved" in result.output
    assert "Traceback" not in result.output
    result = invoke("status", number, "dismissed")
    assert result.exit_code == 1 and "needs a reason" in result.output
    assert "now dismissed (duplicate)" in invoke("status", number, "dismissed", "--reason",
                                                 "duplicate").output
    result = invoke("show", "2026-9999")
    assert result.exit_code == 1 and "No case 2026-9999" in result.output
    result = invoke("show", "banana")
    assert result.exit_code == 1 and "not a case number" in result.output


def test_export_csv_writes_file_and_records_exported(number, tmp_path, db_path):
    out = tmp_path / "cases.csv"
    result = invoke("export", "--csv", str(out))
    assert result.exit_code == 0 and "Exported 1 cases" in result.output
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["number"] == number and rows[0]["description"] == DRAFT["description"]
    storage = Storage(db_path)
    assert storage.db.execute("SELECT actor FROM case_events WHERE action = 'exported'"
                              ).fetchall() == [(LOCAL_OPERATOR,)]


def test_export_to_unwritable_path_is_a_clear_error(number, tmp_path):
    result = invoke("export", "--csv", str(tmp_path / "missing" / "x.csv"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "No such file" in result.output


def test_list_json_prints_every_matching_case_unless_limited(db_path):
    storage = Storage(db_path)
    storage.migrate()
    store = CaseStore(storage, Settings(db_path=str(db_path)), EventBus())
    for _ in range(55):
        store.open_case(DRAFT, None, True, [])
    storage.close()
    result = invoke("list", "--json")
    assert len(json.loads(result.stdout)) == 55 and not result.stderr
    limited = invoke("list", "--json", "--limit", "10")
    assert len(json.loads(limited.stdout)) == 10
    assert "Showing the first 10 matching cases; there are more" in limited.stderr
    exact = invoke("list", "--json", "--limit", "55")
    assert len(json.loads(exact.stdout)) == 55 and not exact.stderr
    text = invoke("list")
    assert len(text.stdout.splitlines()) == 50 and "Showing the first 50" in text.stderr


def test_admins_lists_the_assignees_and_mine_lists_my_cases(number):
    assert invoke("admins").output.splitlines() == ["slack:U9\tSlack user U9"]
    assert "No cases match" in invoke("list", "--mine").output
    assert "is not a case administrator" in invoke("assign", number, "slack:UNKNOWN").output
    invoke("assign", number, LOCAL_OPERATOR)  # "assign to me" from the terminal
    assert number in invoke("list", "--mine").output
    assert json.loads(invoke("list", "--mine", "--json").output)[0]["assignee"] == LOCAL_OPERATOR
    invoke("assign", number, "slack:U9")
    assert "No cases match" in invoke("list", "--mine").output
    assert number in invoke("list", "--assignee", "slack:U9").output
    assert invoke("list", "--mine", "--assignee", "slack:U9").exit_code == 2


def test_status_resolved_needs_a_reason_and_then_closes(number):
    invoke("status", number, "triaged")
    invoke("status", number, "investigating")
    result = invoke("status", number, "resolved")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"use `close {number} REASON`" in result.output
    assert f"`policybot cases close {number} REASON`" in result.output  # the terminal's own
    assert "→ resolved" not in invoke("show", number).output
    result = invoke("status", number, "resolved", "--reason", "Removed by the poster.")
    assert result.exit_code == 0 and f"Case {number} is now resolved." in result.output
    assert "investigating → resolved: Removed by the poster." in invoke("show", number).output


def test_category_urgency_close_and_reopen_from_the_terminal(number):
    assert "category Bullying" in invoke("category", number, "bullying").output
    assert "now Normal" in invoke("urgency", number, "normal").output
    bad = invoke("category", number, "rude")
    assert bad.exit_code == 1 and "choose one of threatening" in bad.output
    assert "cannot be closed" in invoke("close", number, "done").output
    invoke("status", number, "triaged")
    invoke("status", number, "investigating")
    assert "closed (resolved)" in invoke("close", number, "Removed by the poster.").output
    assert "it is investigating again" in invoke("reopen", number, "It is back.").output
    out = invoke("show", number).output
    assert "category_changed by cli:local (Threatening → Bullying)" in out
    assert "urgency_changed by cli:local (Urgent → Normal)" in out
    assert "investigating → resolved: Removed by the poster." in out
    assert "reopened by cli:local (resolved → investigating: It is back.)" in out
