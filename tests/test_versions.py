"""Which bulletins are in force on a date, and when a question asks for an older one."""

from __future__ import annotations

from datetime import date

from knowledge.loader import Entry, KnowledgeBase
from knowledge.versions import counterpart, in_force, requested_date


def entry(eid: str, text: str) -> Entry:
    return Entry(id=eid, bulletin=eid.split("#")[0], bulletin_title="T", title="t", text=text,
                 url="https://x", answer="", questions=())


KB = KnowledgeBase(
    (entry("BUL-1.0#1", "Never post student photos without consent."),
     entry("BUL-1.1#1", "Never post student photos without written consent."),
     entry("BUL-1.2#1", "Do not tag students."),
     entry("BUL-1.2#2", "Never post student photos without written consent of a parent.")),
    {"BUL-1.0": {"title": "T"},
     "BUL-1.1": {"title": "T", "effective": "2015-08-01", "supersedes": "BUL-1.0"},
     "BUL-1.2": {"title": "T", "effective": date(2018, 9, 13), "supersedes": "BUL-1.1"}})


def test_in_force_follows_effective_dates_and_supersedes():
    assert in_force(KB, date(2014, 1, 1)) == {"BUL-1.0"}
    assert in_force(KB, date(2015, 8, 1)) == {"BUL-1.1"}
    assert in_force(KB, date(2020, 1, 1)) == {"BUL-1.2"}


def test_a_question_asks_for_an_older_version_only_when_it_says_so():
    today = date(2026, 1, 1)
    asks = lambda q: requested_date(q, KB, today)  # noqa: E731
    assert asks("what did the 2012 version say about photos?") == date(2012, 12, 31)
    assert asks("what did the policy from 2015 say?") == date(2015, 8, 1)
    assert asks("what does BUL-1.0 say about photos?") == date(2015, 7, 31)
    assert asks("what did the previous version say?") == date(2018, 9, 12)
    assert asks("can I post photos from the 2019 football game?") is None
    assert asks("my post was from 2012, is that a problem?") is None
    assert asks("what does BUL-1.2 say?") is None  # the one in force
    assert requested_date("the 2012 version?", KnowledgeBase(KB.entries, {"BUL-1.0": {}}),
                          today) is None  # no versions at all


def test_counterpart_is_the_same_number_or_the_most_similar_clause():
    assert counterpart(KB, KB.get("BUL-1.0#1"), "BUL-1.1").id == "BUL-1.1#1"
    assert counterpart(KB, KB.get("BUL-1.1#1"), "BUL-1.2").id == "BUL-1.2#2"  # renumbered
