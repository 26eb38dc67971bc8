"""The console's audit rules in the core (issue 14, items 10, 11, 13): one "viewed" entry
per visit, one "revealed" per reveal, a masked note that names what it hides, exports
that follow the list's filters and mask details unless asked, and overview counts whose
filters list exactly the cases counted."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from test_cases import ADMIN, DRAFT, REPORTER, make_store, open_named

from bot import case_stats, cases
from bot.case_view import build_view, hidden_note

OTHER_ADMIN = "slack:UOTHERADMIN"  # an administrator in make_store's settings


@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "cases.db")


def actions(store, number):
    return [(e["action"], e["actor"]) for e in store.events(number, ADMIN)]


def test_reloading_a_case_records_one_view_per_visit(store):
    number = open_named(store)["number"]
    for _ in range(5):  # reloads and polling
        store.get(number, ADMIN)
    assert actions(store, number).count(("viewed", ADMIN)) == 1
    store.get(number, OTHER_ADMIN)  # another administrator's visit is their own
    assert actions(store, number).count(("viewed", OTHER_ADMIN)) == 1


def test_every_reveal_is_recorded_and_counts_as_the_visit(store):
    number = open_named(store)["number"]
    store.get(number, ADMIN)
    store.get(number, ADMIN, reveal=True)
    store.get(number, ADMIN, reveal=True)
    store.get(number, ADMIN)  # the reload after revealing: masked again, same visit
    assert [a for a, _ in actions(store, number)] == ["opened", "viewed", "revealed",
                                                      "revealed"]


def test_a_view_after_a_change_or_after_the_window_is_a_new_visit(store, monkeypatch):
    number = open_named(store)["number"]
    store.get(number, ADMIN)
    store.add_note(number, "Called the principal.", OTHER_ADMIN)
    store.get(number, ADMIN)  # something happened since: this view counts
    assert actions(store, number).count(("viewed", ADMIN)) == 2
    other = open_named(store)["number"]
    earlier = datetime.now(UTC) - cases.VIEW_WINDOW - timedelta(minutes=1)
    with monkeypatch.context() as m:  # a visit longer ago than the window
        m.setattr(cases, "now_iso", lambda: earlier.isoformat(timespec="seconds"))
        store.get(other, ADMIN)
    store.get(other, ADMIN)
    assert actions(store, other).count(("viewed", ADMIN)) == 2


def test_the_masked_note_names_what_is_hidden_and_says_student_only_when_it_may():
    case = {"category": "harassing", "target": "employee", "description": "x" * 12,
            "link": "https://x.com/1", "reporter": REPORTER}
    answer = [{"direction": "answer", "author": REPORTER, "text": "t", "created_at": ""}]
    note = hidden_note(case, answer)
    for part in ("description (12 characters)", "the link", "the reporter's name",
                 "the reporter's answers (1)"):
        assert part in note
    assert "student" not in note
    bare = hidden_note({**case, "link": None, "reporter": None})
    assert "link" not in bare and "reporter" not in bare and "to read it." in bare
    for student in ({**case, "category": "student_identified"},
                    {**case, "category": "confidential_info"}, {**case, "target": "student"}):
        assert "may identify a student" in hidden_note(student)
    view = build_view({**DRAFT, "number": "2026-0001", "urgency": "normal", "status": "new",
                       "reporter": None, "target": "employee"})
    assert view.hidden_note == hidden_note({**DRAFT, "reporter": None, "target": "employee"})


def rows_of(store, **kw):
    out = io.StringIO()
    count = store.export_csv(out, ADMIN, **kw)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert count == len(rows)
    return rows


def exports(store):
    return [json.loads(r["detail"]) for r in store.storage.db.query(
        "SELECT detail FROM case_events WHERE action = 'exported' ORDER BY id")]


def test_export_follows_the_filters_masks_details_and_keeps_utc(store):
    first = open_named(store)["number"]
    second = open_named(store, category="bullying", danger="yes")["number"]
    rows = rows_of(store, category="bullying")
    assert [r["number"] for r in rows] == [second]
    for field in cases.EXPORT_HIDDEN:
        assert rows[0][field] in (cases.HIDDEN_CELL, ""), field
    assert rows[0]["reporter"] == cases.HIDDEN_CELL and rows[0]["link"] == cases.HIDDEN_CELL
    assert rows[0]["created_at"].endswith("+00:00")
    assert [r["number"] for r in rows_of(store, urgency="normal")] == [first]
    assert exports(store) == [
        {"rows": 1, "filters": {"category": "bullying"}, "details": False},
        {"rows": 1, "filters": {"urgency": "normal"}, "details": False}]


def test_export_with_details_is_recorded_with_filter_and_count(store):
    open_named(store)
    open_named(store, category="bullying")
    rows = rows_of(store, details=True, status="new")
    assert rows[0]["description"] == DRAFT["description"] and rows[0]["reporter"] == REPORTER
    assert exports(store) == [{"rows": 2, "filters": {"status": "new"}, "details": True}]


def test_overview_counts_list_exactly_the_cases_they_count(store):
    today = datetime.now(UTC).date()
    numbers = [open_named(store, category=c)["number"]
               for c in ("bullying", "bullying", "harassing")]
    store.assign(numbers[0], OTHER_ADMIN, ADMIN)
    store.set_status(numbers[2], "dismissed", ADMIN, reason="duplicate")
    counts = case_stats.case_counts(store, ADMIN)
    assert counts["total"].value == 3
    assert {c.label: c.value for c in counts["assignee"]} == {"Unassigned": 2, OTHER_ADMIN: 1}
    assert [c.value for c in counts["age"]] == [2, 0, 0, 0]  # the dismissed one is closed
    for group in ("status", "category", "assignee", "age"):
        for c in counts[group]:
            listed = store.list_cases(ADMIN, limit=100, **c.filters)
            assert len(listed) == c.value, (group, c)
    later = case_stats.case_counts(store, ADMIN, since=today + timedelta(days=1))
    assert later["total"].value == 0 and later["total"].filters == {
        "since": (today + timedelta(days=1)).isoformat()}
    assert all(c.value == 0 for c in later["age"])
    old = case_stats.case_counts(store, ADMIN, today=today + timedelta(days=40))
    assert [c.value for c in old["age"]] == [0, 0, 0, 2]
    assert len(store.list_cases(ADMIN, **old["age"][3].filters)) == 2
    assert date.fromisoformat(old["age"][3].filters["until"]) == today + timedelta(days=10)
