import csv
import io
import json
import logging
import multiprocessing
import sqlite3

import pytest

from bot.case_keys import canonical, hash_new_key
from bot.cases import CaseStore
from bot.config import LOCAL_OPERATOR, Settings
from bot.events import CaseOpened, CaseUpdated, EventBus, ReporterAsked
from infra.db import Storage
from infra.errors import (
    CaseNotFoundError,
    InputTooLargeError,
    InvalidTransitionError,
    NotPermittedError,
)

ADMIN = "slack:UADMIN"
REPORTER = "slack:UREPORTER77"
DRAFT = {"category": "harassing", "danger": "no", "platform": "facebook",
         "link": "https://facebook.com/p/1", "when": "2026-03-01", "target": "student",
         "description": "They posted a photo of a student.", "identity": "named"}


def make_store(path, events=None):
    settings = Settings(db_path=str(path), admins=frozenset({ADMIN, "slack:UOTHERADMIN"}))
    storage = Storage(settings.db_path)
    storage.migrate()
    return CaseStore(storage, settings, events or EventBus())


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "cases.db"


@pytest.fixture
def published():
    return []


@pytest.fixture
def store(db_path, published):
    bus = EventBus()
    bus.subscribe(published.append)
    return make_store(db_path, bus)


def open_named(store, **changes):
    return store.open_case({**DRAFT, **changes}, REPORTER, False, ["BUL-5688.0#3"])[0]


def test_numbers_are_sequential_per_year_and_fields_stored(store, published):
    first = open_named(store)
    second = open_named(store, danger="yes")
    year = first["created_at"][:4]
    assert first["number"] == f"{year}-0001" and second["number"] == f"{year}-0002"
    case = store.get(first["number"], ADMIN)
    assert case["status"] == "new" and case["urgency"] == "normal"
    assert case["seen_on"] == "2026-03-01" and case["matched_policy_ids"] == ["BUL-5688.0#3"]
    assert case["reporter"] == REPORTER and case["anonymous"] is False
    assert "key_hash" not in case
    assert store.get(second["number"], ADMIN)["urgency"] == "urgent"
    assert published[:2] == [CaseOpened(first["number"], False),
                             CaseOpened(second["number"], True)]


def test_anonymous_case_keeps_only_a_key_hash(store, db_path):
    case, key = store.open_case(DRAFT, None, True, [])
    assert len(key) >= 22 and case["reporter"] is None and case["anonymous"]
    row = sqlite3.connect(db_path).execute(
        "SELECT reporter, key_hash FROM cases WHERE number = ?", [case["number"]]).fetchone()
    assert row == (None, hash_new_key(key))
    events = store.events(case["number"], ADMIN)
    assert events[0]["action"] == "opened" and events[0]["actor"] == "anonymous"
    assert key not in db_path.read_bytes().decode("latin-1")
    assert canonical(key) not in db_path.read_bytes().decode("latin-1")


def test_the_reporters_language_is_kept_for_a_named_report_never_for_an_anonymous_one(
        store, db_path):
    """A named reporter is later written to in the language they reported in; an anonymous
    report keeps no language (the caller may pass one: it is dropped, and the schema
    refuses one on a case without a reporter)."""
    named, _ = store.open_case(DRAFT, REPORTER, False, [], lang="es")
    anonymous, _ = store.open_case(DRAFT, None, True, [], lang="es")
    older, _ = store.open_case(DRAFT, REPORTER, False, [])  # no language known: NULL
    db = sqlite3.connect(db_path)
    assert dict(db.execute("SELECT number, reporter_lang FROM cases")) == {
        named["number"]: "es", anonymous["number"]: None, older["number"]: None}
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"), db:
        db.execute("UPDATE cases SET reporter_lang = 'es' WHERE number = ?",
                   [anonymous["number"]])
    assert "reporter_lang" not in named  # not part of the case administrators see

def test_status_via_key_records_key_used_and_wrong_key_is_denied(store):
    case, key = store.open_case(DRAFT, None, True, [])
    view = store.status_for_key(key)
    assert view["number"] == case["number"] and view["status"] == "new"
    assert "description" not in view and "reporter" not in view
    with pytest.raises(CaseNotFoundError):
        store.status_for_key("x" * 24)
    actions = [e["action"] for e in store.events(case["number"], ADMIN)]
    assert "key_used" in actions
    denied = store.storage.db.execute(
        "SELECT actor, detail FROM case_events WHERE action = 'denied'").fetchall()
    assert denied == [("anonymous", '{"attempted": "key_lookup"}')]


def test_question_and_anonymous_answer_round_trip(store, published):
    case, key = store.open_case(DRAFT, None, True, [])
    store.ask_reporter(case["number"], "Which account posted it?", ADMIN)
    assert ReporterAsked(case["number"], None, "Which account posted it?") in published
    view = store.answer_as_reporter(key, None, "The @someone account.")
    assert [m["direction"] for m in view["messages"]] == ["question", "answer"]
    messages = store.messages(case["number"], ADMIN)
    assert messages[1]["author"] == "anonymous" and messages[1]["text"] == "The @someone account."
    assert CaseUpdated(case["number"], "reporter_answered") in published
    with pytest.raises(NotPermittedError):
        store.answer_as_reporter("y" * 24, None, "guess")


def test_named_reporter_answers_own_case_only_and_lists_reports(store):
    case = open_named(store)
    store.ask_reporter(case["number"], "When?", ADMIN)
    store.answer_as_reporter(REPORTER, case["number"], "Monday")
    with pytest.raises(NotPermittedError):
        store.answer_as_reporter("slack:UOTHER", case["number"], "Not mine")
    mine = store.reports_by(REPORTER)
    assert [v["number"] for v in mine] == [case["number"]]
    assert [m["text"] for m in mine[0]["messages"]] == ["When?", "Monday"]
    assert store.reports_by("slack:UOTHER") == []


def test_status_workflow_and_illegal_transitions(store, published):
    number = open_named(store)["number"]
    with pytest.raises(InvalidTransitionError, match="cannot become resolved"):
        store.set_status(number, "resolved", ADMIN)
    with pytest.raises(InvalidTransitionError, match="Unknown status"):
        store.set_status(number, "closed", ADMIN)
    for status in ("triaged", "investigating"):
        assert store.set_status(number, status, ADMIN)["status"] == status
    assert store.close(number, "Post removed.", ADMIN)["status"] == "resolved"
    with pytest.raises(InvalidTransitionError, match="closed"):
        store.set_status(number, "investigating", ADMIN)
    changes = [e["detail"] for e in store.events(number, ADMIN) if e["action"] == "status_changed"]
    assert [(c["from"], c["to"]) for c in changes] == [
        ("new", "triaged"), ("triaged", "investigating"), ("investigating", "resolved")]
    assert CaseUpdated(number, "status_changed") in published


def test_dismiss_needs_a_known_reason(store):
    number = open_named(store)["number"]
    with pytest.raises(InvalidTransitionError, match="needs a reason"):
        store.set_status(number, "dismissed", ADMIN)
    with pytest.raises(InvalidTransitionError, match="needs a reason"):
        store.set_status(number, "dismissed", ADMIN, reason="boring")
    with pytest.raises(InvalidTransitionError, match="only given when dismissing"):
        store.set_status(number, "triaged", ADMIN, reason="duplicate")
    case = store.set_status(number, "dismissed", ADMIN, reason="out of scope")
    assert case["status"] == "dismissed" and case["dismiss_reason"] == "out_of_scope"


def investigating(store):
    number = open_named(store)["number"]
    for status in ("triaged", "investigating"):
        store.set_status(number, status, ADMIN)
    return number


def test_resolving_without_a_reason_is_refused_and_changes_nothing(store, published):
    number = investigating(store)
    trail, told = store.events(number, ADMIN), list(published)
    for reason in (None, "", "   "):
        with pytest.raises(InvalidTransitionError,
                           match=f"needs a reason.*`close {number} REASON`"):
            store.set_status(number, "resolved", ADMIN, reason=reason)
    assert store.get(number, ADMIN)["status"] == "investigating"
    assert [e for e in store.events(number, ADMIN) if e["action"] != "viewed"] == trail
    assert published == told


def test_closing_a_case_too_early_says_where_it_can_go(store):
    # The same answer whether the admin wrote `close N REASON` or `set-status N resolved
    # REASON` (which is closing): what is refused, and what the case can become instead.
    number = open_named(store)["number"]
    for attempt in (lambda: store.close(number, "Post removed.", ADMIN),
                    lambda: store.set_status(number, "resolved", ADMIN, reason="Post removed.")):
        with pytest.raises(InvalidTransitionError,
                           match=f"Case {number} is new; it cannot be closed from there. "
                                 "From new it can go to triaged or dismissed."):
            attempt()
    assert store.get(number, ADMIN)["status"] == "new"


def test_resolving_with_a_reason_is_closing(store):
    by_status, by_close = investigating(store), investigating(store)
    case = store.set_status(by_status, "RESOLVED", ADMIN, reason="  Post removed; HR told. ")
    closed = store.close(by_close, "Post removed; HR told.", ADMIN)
    assert case["status"] == closed["status"] == "resolved" and case["dismiss_reason"] is None

    def last(number):
        event = store.events(number, ADMIN)[-1]
        return event["action"], event["actor"], event["detail"]
    assert last(by_status) == last(by_close) == (
        "status_changed", ADMIN,
        {"from": "investigating", "to": "resolved", "reason": "Post removed; HR told."})


def test_every_admin_action_is_audited_with_actor(store):
    number = open_named(store)["number"]
    store.get(number, ADMIN)
    store.assign(number, "slack:UOTHERADMIN", ADMIN)
    store.set_status(number, "triaged", LOCAL_OPERATOR)
    store.add_note(number, "Called the principal.", ADMIN)
    store.ask_reporter(number, "Screenshot?", ADMIN)
    store.export_csv(io.StringIO(), ADMIN)
    events = store.events(number, ADMIN)
    assert [(e["action"], e["actor"]) for e in events] == [
        ("opened", REPORTER), ("viewed", ADMIN), ("assigned", ADMIN),
        ("status_changed", LOCAL_OPERATOR), ("note_added", ADMIN), ("question_asked", ADMIN)]
    assert all(e["created_at"] for e in events)
    assert events[4]["detail"] == {"text": "Called the principal."}
    exported = store.storage.db.execute(
        "SELECT actor FROM case_events WHERE action = 'exported'").fetchall()
    assert exported == [(ADMIN,)]


def test_case_events_triggers_reject_update_and_delete(store, db_path):
    open_named(store)
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE case_events SET actor = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM case_events")
    assert conn.execute("SELECT COUNT(*) FROM case_events").fetchone()[0] == 1


@pytest.mark.parametrize("method,args", [
    ("get", ()), ("assign", ("slack:UX",)), ("set_status", ("triaged",)),
    ("add_note", ("n",)), ("ask_reporter", ("q",)), ("events", ()), ("messages", ())])
def test_non_admin_is_denied_and_the_attempt_recorded(store, method, args):
    number = open_named(store)["number"]
    with pytest.raises(NotPermittedError, match="Not permitted"):
        getattr(store, method)(number, *args, "slack:UNOBODY")
    rows = store.storage.db.execute(
        "SELECT case_number, actor FROM case_events WHERE action = 'denied'").fetchall()
    assert rows == [(number, "slack:UNOBODY")]
    assert store.get(number, ADMIN)["status"] == "new"


def test_non_admin_cannot_list_count_or_export(store):
    for call in (lambda: store.list_cases("slack:UNOBODY"),
                 lambda: store.count_by_status(None),
                 lambda: store.export_csv(io.StringIO(), "web-chat:abc")):
        with pytest.raises(NotPermittedError):
            call()
    assert store.storage.db.execute(
        "SELECT COUNT(*) FROM case_events WHERE action = 'denied'").fetchone()[0] == 3


def test_unknown_case_raises_not_found(store):
    with pytest.raises(CaseNotFoundError, match="2026-9999"):
        store.get("2026-9999", ADMIN)
    with pytest.raises(CaseNotFoundError):
        store.set_status("2026-9999", "triaged", ADMIN)


HOSTILE = ["'; DROP TABLE cases; --", "<script>alert('x')</script><b>bold</b>",
           "😀👍🏽 family: 👨‍👩‍👧", "שלום עולם — مرحبا بالعالم \u200f", "Robert'); --\x00?"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_stored_and_shown_verbatim(store, text):
    number = open_named(store, description=text)["number"]
    store.add_note(number, text, ADMIN)
    assert store.get(number, ADMIN)["description"] == text
    assert store.list_cases(ADMIN, q=text[:6])[0]["description"] == text
    notes = [e for e in store.events(number, ADMIN) if e["action"] == "note_added"]
    assert notes[0]["detail"]["text"] == text


def test_oversize_texts_are_refused_with_limit_and_nothing_stored(store):
    with pytest.raises(InputTooLargeError, match="5,000"):
        store.open_case({**DRAFT, "description": "x" * 5001}, REPORTER, False, [])
    number = open_named(store, description="d" * 5000)["number"]
    with pytest.raises(InputTooLargeError):
        store.add_note(number, "n" * 5001, ADMIN)
    assert store.list_cases(ADMIN)[0]["description"] == "d" * 5000
    assert len(store.events(number, ADMIN)) == 1


def test_list_filters_and_counts(store):
    a = open_named(store)["number"]
    b = open_named(store, category="bullying", danger="yes")["number"]
    store.assign(b, ADMIN, ADMIN)
    store.set_status(a, "triaged", ADMIN)
    assert [c["number"] for c in store.list_cases(ADMIN)] == [b, a]
    assert [c["number"] for c in store.list_cases(ADMIN, status="triaged")] == [a]
    assert [c["number"] for c in store.list_cases(ADMIN, category="bullying")] == [b]
    assert [c["number"] for c in store.list_cases(ADMIN, urgency="urgent")] == [b]
    assert [c["number"] for c in store.list_cases(ADMIN, assignee=ADMIN)] == [b]
    assert store.list_cases(ADMIN, q="100%_") == []
    assert store.count_by_status(ADMIN) == {"new": 1, "triaged": 1, "investigating": 0,
                                            "resolved": 0, "dismissed": 0}


def test_a_search_that_reads_hidden_text_is_recorded_for_each_case_it_found(store):
    found = open_named(store, description="Maria Lopez in room 12 was named")["number"]
    other = open_named(store, description="Nothing to see")["number"]
    assert [c["number"] for c in store.list_cases(ADMIN, q="Maria")] == [found]
    searched = store.storage.db.execute(
        "SELECT case_number, actor FROM case_events WHERE action = 'searched'").fetchall()
    assert searched == [(found, ADMIN)]
    store.list_cases(ADMIN)  # no search, nothing hidden read: nothing recorded
    assert [e["action"] for e in store.events(other, ADMIN)] == ["opened"]


def test_export_csv_has_all_cases_and_neutralises_formulas(store):
    open_named(store, description="=HYPERLINK(\"http://evil\")")
    open_named(store, description="plain, with \"quotes\"\nand a newline")
    out = io.StringIO()
    assert store.export_csv(out, ADMIN, details=True) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["description"] == "'=HYPERLINK(\"http://evil\")"
    assert rows[1]["description"] == "plain, with \"quotes\"\nand a newline"
    assert rows[0]["number"].endswith("-0001") and rows[0]["reporter"] == REPORTER


def test_logs_at_info_never_include_descriptions_questions_or_anonymous_identity(
        store, caplog):
    caplog.set_level(logging.DEBUG, logger="bot.cases")
    case, key = store.open_case({**DRAFT, "description": "SECRET-DESCRIPTION"}, None, True, [])
    store.ask_reporter(case["number"], "SECRET-QUESTION", ADMIN)
    store.answer_as_reporter(key, None, "SECRET-ANSWER")
    store.add_note(case["number"], "SECRET-NOTE", ADMIN)
    store.status_for_key(key)
    logged = caplog.text
    assert case["number"] in logged
    for secret in ("SECRET-", key, REPORTER):
        assert secret not in logged


def test_events_published_for_updates(store, published):
    number = open_named(store)["number"]
    store.assign(number, ADMIN, ADMIN)
    store.add_note(number, "x", ADMIN)
    assert [e.action for e in published if isinstance(e, CaseUpdated)] == [
        "assigned", "note_added"]


def _file_cases(path: str, count: int, queue) -> None:
    store = make_store(path)
    numbers = []
    for i in range(count):
        case, _ = store.open_case({**DRAFT, "description": f"case {i}"}, None, True, [])
        numbers.append(case["number"])
    queue.put(numbers)


def test_eight_processes_file_4000_cases_with_unique_gapless_numbers(db_path):
    make_store(db_path)  # migrate once up front
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_file_cases, args=(str(db_path), 500, queue))
               for _ in range(8)]
    for w in workers:
        w.start()
    acknowledged = [n for _ in workers for n in queue.get(timeout=120)]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    assert len(acknowledged) == len(set(acknowledged)) == 4000
    conn = sqlite3.connect(db_path)
    stored = [r[0] for r in conn.execute("SELECT number FROM cases ORDER BY seq")]
    seqs = [r[0] for r in conn.execute("SELECT seq FROM cases ORDER BY seq")]
    assert sorted(acknowledged) == sorted(stored)
    assert seqs == list(range(1, 4001))
    assert conn.execute("SELECT COUNT(*) FROM case_events WHERE action = 'opened'"
                        ).fetchone()[0] == 4000


def test_list_can_put_urgent_cases_first_and_filters_by_day(store):
    opened = [open_named(store, danger=danger)["number"]
              for danger in ("no", "yes", "no", "yes", "no")]
    urgent = store.list_cases(LOCAL_OPERATOR, urgent_first=True, limit=100)
    # the two urgent ones (newest first), then the three others (newest first)
    assert [c["number"] for c in urgent] == [opened[i] for i in (3, 1, 4, 2, 0)]
    assert [c["urgency"] for c in urgent] == ["urgent"] * 2 + ["normal"] * 3
    assert [c["number"] for c in store.list_cases(LOCAL_OPERATOR, limit=100)] == opened[::-1]
    assert len(store.list_cases(LOCAL_OPERATOR, urgency="urgent")) == 2
    today = urgent[0]["created_at"][:10]
    assert len(store.list_cases(LOCAL_OPERATOR, since=today, until=today)) == 5
    assert store.list_cases(LOCAL_OPERATOR, until="2000-01-01") == []
    assert store.list_cases(LOCAL_OPERATOR, since="2999-01-01") == []


def test_refusals_and_key_guesses_are_recorded_once_per_window_and_numbers_checked(store):
    """40 wrong keys in a burst, or the same refused action over and over, leave one row
    each in the append-only trail; a "case number" that is not one is not stored."""
    for i in range(40):
        with pytest.raises(CaseNotFoundError):
            store.find_by_key(f"wrong-key-{i:02d}-xxxxxxxxxxxxxxxxxx")
        store.record_denied("slack:UEMPLOYEE", "set_status", "2026-0001")
    store.record_denied("slack:UEMPLOYEE", "view", "2026-0001\nINFO forged line")
    rows = list(store.storage.db.query(
        "SELECT case_number, actor, detail FROM case_events WHERE action = 'denied'"))
    assert {(r["case_number"], r["actor"], json.loads(r["detail"])["attempted"])
            for r in rows} == {(None, "anonymous", "key_lookup"),
                               ("2026-0001", "slack:UEMPLOYEE", "set_status"),
                               (None, "slack:UEMPLOYEE", "view")}
    assert len(rows) == 3
