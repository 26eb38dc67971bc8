"""Knowledge gaps: unanswered, low-confidence and not-helpful questions, grouped."""

import numpy as np

from bot.gaps import (
    answer_outcomes,
    cluster,
    gap_questions,
    knowledge_gaps,
    median_triage_hours,
    questions_per_day,
)


def add_question(bot, text, status="answered", confidence=0.9, helpful=None, day="2026-03-05"):
    with bot.storage.write() as db:
        qid = db["questions"].insert({"asked_at": f"{day}T10:00:00+00:00", "platform": "web",
                                      "text": text, "status": status, "confidence": confidence,
                                      "top_entry": "BUL-5688.0#1"}).last_pk
    if helpful is not None:
        bot.record_feedback(qid, helpful)
    return qid


def test_cluster_greedy_by_cosine():
    vectors = np.array([[1, 0], [0.99, 0.1], [0, 1], [0.1, 0.99], [1, 1]], dtype=float)
    groups = cluster(vectors, threshold=0.95)
    assert groups == [[0, 1], [2, 3], [4]]


def test_gap_questions_picks_the_three_kinds(bot):
    add_question(bot, "fine answer", confidence=0.9)
    add_question(bot, "fine but unhelpful", confidence=0.9, helpful=False)
    add_question(bot, "fine and helpful", confidence=0.9, helpful=True)
    add_question(bot, "no idea", status="no_answer", confidence=0.1)
    add_question(bot, "shaky answer", confidence=0.3)
    add_question(bot, "a report", status="report", confidence=0.2)
    rows = {r["text"]: r["reason"] for r in gap_questions(bot.storage)}
    assert rows == {"fine but unhelpful": "not_helpful", "no idea": "no_answer",
                    "shaky answer": "low_confidence"}


def test_knowledge_gaps_groups_similar_wordings(bot):
    for text in ("can I use tiktok in class", "can I use tiktok in my class",
                 "can i use tiktok in class?"):
        add_question(bot, text, status="no_answer", confidence=0.2)
    add_question(bot, "what is the parking policy", status="no_answer", confidence=0.1)
    gaps = knowledge_gaps(bot.storage, bot.retriever.encoder)
    assert [g.count for g in gaps] == [3, 1]
    assert "tiktok" in gaps[0].question
    assert gaps[0].reasons["no_answer"] == 3
    assert len(gaps[0].examples) == 2  # the other distinct wordings
    assert knowledge_gaps(bot.storage, bot.retriever.encoder, since="2099-01-01") == []


def test_overview_figures(bot):
    add_question(bot, "a", day="2026-03-04")
    add_question(bot, "b", day="2026-03-05", status="no_answer", helpful=False)
    from datetime import date

    per_day = questions_per_day(bot.storage, days=3, today=date(2026, 3, 5))
    assert per_day == [("2026-03-03", 0), ("2026-03-04", 1), ("2026-03-05", 1)]
    outcomes = answer_outcomes(bot.storage)
    assert outcomes["answered"] == 1 and outcomes["no_answer"] == 1
    assert outcomes["not_helpful"] == 1 and outcomes["helpful"] == 0
    assert median_triage_hours(bot.storage) is None


def test_answer_outcomes_in_a_date_range(bot):
    from datetime import date

    add_question(bot, "a", day="2026-03-04")
    add_question(bot, "b", day="2026-03-05", status="no_answer", helpful=False)
    day = date(2026, 3, 5)
    outcomes = answer_outcomes(bot.storage, since=day, until=day)
    assert outcomes["answered"] == 0 and outcomes["no_answer"] == 1
    assert outcomes["not_helpful"] == 0  # the feedback was given today, after the range
    assert answer_outcomes(bot.storage, since=day)["not_helpful"] == 1
    assert answer_outcomes(bot.storage, until=date(2026, 3, 4))["answered"] == 1
