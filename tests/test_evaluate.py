"""knowledge/evaluate.py: both file formats, the right/hedged/wrong verdicts exactly as
shared/eval/REAL-QUESTIONS.md defines them, and the figures built from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.answer import Candidate, Outcome, Retriever
from knowledge.evaluate import (
    Question,
    evaluate,
    format_result,
    parse_question,
    read_questions,
    verdict,
    without_alternates,
)

FIXTURE = Path(__file__).parent / "fixtures" / "real_format_fixture.jsonl"  # made up


@pytest.fixture
def kb(bot):
    return bot.kb


def out(kb, status, *ids, offers=False):
    cands = tuple(Candidate(kb.get(i), 0.5, 0.5, 1.0) for i in ids)
    return Outcome(status, cands, 0.5, False, cands, offers_report=offers)


def test_both_formats_read_into_questions():
    dev = [parse_question({"q": "a", "expect": ["X#1", "X#2"], "cat": "g1"}),
           parse_question({"q": "b", "expect": "none", "cat": "oos"}),
           parse_question({"q": "c", "expect": "report", "cat": "report"})]
    assert [(q.label, q.also, q.label_kind) for q in dev] == [
        ("X#1", ("X#2",), "clause"), ("no_answer", (), "no_answer"), ("report", (), "report")]
    real = read_questions(FIXTURE)
    assert [q.label_kind for q in real] == ["clause", "related", "no_answer", "report", "clause"]
    assert real[1].acceptable == ("BUL-5688.0#1",)
    assert [q.host for q in real] == ["forum.example", "forum.example", "faq.example.net",
                                      "faq.example.net", "(no source)"]
    assert real[4].acceptable == ("BUL-5688.0#3", "BUL-5688.0#2") and real[4].lang == "es"


@pytest.mark.parametrize("row", [{"q": ""}, {"q": "x"}, {"q": "x", "expect": []},
                                 {"q": "x", "label": "related:"},
                                 {"q": "x", "label": "A", "also": "B"}])
def test_malformed_rows_are_refused_with_where(row):
    with pytest.raises(ValueError, match="f.jsonl:3"):
        parse_question(row, "f.jsonl:3")


G1, G3, G6 = "BUL-5688.0#1", "BUL-5688.0#3", "BUL-5688.0#6"


@pytest.mark.parametrize(("label", "status", "ids", "offers", "expected"), [
    (G1, "answered", [G1], False, "right"),
    (G1, "answered", [G3], False, "wrong"),  # a clause that does not answer it
    (G1, "ambiguous", [G3, G1], False, "hedged"),
    (G1, "ambiguous", [G3, G6], False, "wrong"),
    (G1, "related", [G1], False, "hedged"),
    (G1, "related", [G3], False, "wrong"),
    (G1, "no_answer", [], False, "wrong"),  # a refusal where a clause answers it
    (G1, "report", [G1], False, "wrong"),
    ("related:" + G1, "related", [G1], False, "right"),
    ("related:" + G1, "no_answer", [], False, "right"),
    ("related:" + G1, "answered", [G1], False, "wrong"),  # shown as the answer: harmful
    ("related:" + G1, "ambiguous", [G1, G3], False, "hedged"),
    ("no_answer", "no_answer", [], False, "right"),
    ("no_answer", "related", [G3], False, "right"),
    ("no_answer", "answered", [G3], False, "wrong"),
    ("no_answer", "ambiguous", [G3, G6], False, "wrong"),
    ("report", "report", [G6], False, "right"),
    ("report", "answered", [G6], True, "right"),  # an answer that offers the report flow
    ("report", "answered", [G6], False, "wrong"),
    ("report", "no_answer", [], False, "wrong"),
])
def test_verdicts_follow_the_written_rules(kb, label, status, ids, offers, expected):
    assert verdict(Question("q", label), out(kb, status, *ids, offers=offers)) == expected


def test_also_ids_count_as_right(kb):
    assert verdict(Question("q", G1, also=(G3,)), out(kb, "answered", G3)) == "right"


def test_figures_per_source_label_kind_and_answered_precision(kb):
    questions = read_questions(FIXTURE)
    answers = {0: out(kb, "answered", G1), 1: out(kb, "answered", G1),
               2: out(kb, "related", G3), 3: out(kb, "answered", G3, offers=True),
               4: out(kb, "ambiguous", G6, G3)}
    by_q = {q.q: answers[i] for i, q in enumerate(questions)}
    res = evaluate(questions, by_q.__getitem__)
    d = res.to_dict()
    assert (d["right"], d["hedged"], d["wrong"]) == (0.6, 0.2, 0.2)
    assert d["answered_precision"] == round(2 / 3, 4)  # the related-labelled one is wrong
    assert d["statuses"] == {"ambiguous": 1, "answered": 3, "related": 1}
    assert d["per_source"]["forum.example"] == {"n": 2, "right": 0.5, "hedged": 0.0,
                                                "wrong": 0.5}
    assert d["per_label"]["report"]["right"] == 1.0 and d["per_label"]["related"]["wrong"] == 1
    assert d["no_answer_recall"] == 0.5  # of no_answer + related labels, one refused
    assert [m["verdict"] for m in d["misses"]] == ["wrong", "hedged"]
    assert d["per_kind"]["narrative"] == {"n": 1, "right": 1.0, "hedged": 0.0, "wrong": 0.0}
    assert d["per_lang"]["es"]["hedged"] == 1.0 and d["per_lang"]["en"]["n"] == 4
    text = format_result(res)
    assert "right / hedged / wrong:       60.0% / 20.0% / 20.0%  (3/1/1)" in text
    assert "related 1" in text and "faq.example.net" in text
    json.dumps(d)  # serialisable for --json


def test_without_alternates_leaves_clause_texts_and_titles_only(bot):
    bare = without_alternates(bot.kb)
    assert all(not e.questions and not e.questions_es for e in bare.entries)
    assert [e.text for e in bare.entries] == [e.text for e in bot.kb.entries]
    assert any(e.questions for e in bot.kb.entries)  # the original is untouched
    r = Retriever(bare, bot.retriever.encoder, storage=None, calibration=bot.retriever.cal)
    # clause text, title and (for a clause nobody curated) its sentences: no question
    assert {it.kind for it in r.items} <= {"text", "title", "sentence"}
    assert {"text", "title"} <= {it.kind for it in r.items}
    assert len(r.decide("can I friend a parent on facebook").ranked) == len(bare.entries)


def test_answered_precision_is_not_a_number_when_nothing_was_answered(kb):
    res = evaluate([Question("q", G1)], lambda q: out(kb, "no_answer"))
    assert res.rates()["answered_precision"] is None
    assert "answered precision:          n/a  (0/0)" in format_result(res)


def test_a_report_flow_nobody_asked_for_is_counted(kb):
    """The verdicts cannot see a report offer on a clause or related question; this figure
    does (a tuning that offered the report flow everywhere would look free otherwise)."""
    questions = [Question("a", G1), Question("b", f"related:{G3}"), Question("c", "report"),
                 Question("d", "no_answer")]
    replies = {"a": out(kb, "answered", G1, offers=True), "b": out(kb, "related", G3),
               "c": out(kb, "related", G6, offers=True), "d": out(kb, "report", G6)}
    res = evaluate(questions, replies.__getitem__)
    assert res.verdicts["right"] == 3  # the offer on "a" does not change its verdict
    assert res.rates()["unasked_report_offers"] == round(2 / 3, 4)
    assert "report offered, not asked:   66.7%  (2/3)" in format_result(res)
