"""knowledge/judge.py: the learned judges are fitted on the committed training set, used only
with the model they were fitted on, and wired into the decision as calibration.json says.

The wiring tests inject judges that always (or never) say yes, so each threshold's effect is
visible whatever the fitted weights are; what the fitted judges are worth is measured on the
real-question sets (BENCHMARKS.md), not asserted here."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import pytest

from knowledge.answer import Retriever
from knowledge.index import MODEL_NAME
from knowledge.judge import ANSWER_FEATURES, JUDGE_FILE, TRAINING_FILE, Judge, Logistic

STORY = ("Last week one of the parents in my class came to me after school and we talked for a "
         "long time about her son and how he is doing this year in reading and in maths and in "
         "his friendships, which have been hard for him since the move. She then told me she "
         "would love to stay in touch. Can I accept a facebook friend request from a parent?")


def always(yes: bool, n: int) -> Logistic:
    return Logistic((0.0,) * n, (1.0,) * n, (0.0,) * n, 30.0 if yes else -30.0)


def retriever(bot, *, answers: bool | None = None, report: bool | None = None,
              **thresholds) -> Retriever:
    n_report = bot.retriever.encoder.dim + 7
    judge = Judge(bot.retriever.encoder.name,
                  always(bool(answers), len(ANSWER_FEATURES)), always(bool(report), n_report))
    r = Retriever(bot.kb, bot.retriever.encoder, storage=None, calibration=bot.retriever.cal,
                  judgement=judge)
    r.cal = dataclasses.replace(r.cal, **thresholds)
    return r


def test_the_committed_judge_was_fitted_on_the_committed_training_set():
    data = json.loads(JUDGE_FILE.read_text())
    digest = hashlib.sha256(TRAINING_FILE.read_bytes()).hexdigest()[:16]
    assert f"sha256:{digest}" in data["trained_on"], (
        "knowledge/training/real_train.jsonl changed: rerun scripts/train_judge.py --write")
    assert data["model"].startswith(MODEL_NAME)
    judge = Judge.load()
    assert len(judge.answers.weights) == len(ANSWER_FEATURES)
    assert len(judge.report.weights) == 384 + 7  # the model's vector and the reader's flags


def test_training_rows_are_well_formed():
    rows = [json.loads(line) for line in TRAINING_FILE.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 100
    assert all(r["q"].strip() and r["source"].startswith("http") and r["label"] for r in rows)


def test_logistic_is_the_sigmoid_of_the_standardised_sum():
    m = Logistic((1.0, 0.0), (2.0, 1.0), (1.0, -1.0), 0.5)
    z = (3.0 - 1.0) / 2.0 * 1.0 + (2.0 - 0.0) * -1.0 + 0.5
    assert m.probability(np.array([3.0, 2.0])) == pytest.approx(1 / (1 + np.exp(-z)))
    assert Logistic.from_dict(m.to_dict()) == m


def test_a_judge_fitted_on_another_model_is_not_used(bot):
    judge = Judge("some-other-model", always(True, len(ANSWER_FEATURES)), always(True, 519))
    r = Retriever(bot.kb, bot.retriever.encoder, storage=None, judgement=judge)
    assert r.judge is None
    assert bot.retriever.judge is None  # the committed judge is the real model's, not the fake's


def test_the_answers_judge_can_answer_a_story_the_rules_only_show_as_related(bot):
    rules = retriever(bot, answers=False, judge_answer=2.0, judge_veto=0.0)
    assert rules.decide(STORY).status == "related"
    judged = retriever(bot, answers=True, judge_answer=0.5)
    out = judged.decide(STORY)
    assert out.status in ("answered", "ambiguous")
    assert out.candidates[0].entry.id == rules.decide(STORY).candidates[0].entry.id


def test_the_answers_judge_can_veto_an_answer_the_rules_would_give(bot):
    question = "can I friend a parent on facebook"
    assert retriever(bot, answers=True, judge_veto=0.5).decide(question).status == "answered"
    vetoed = retriever(bot, answers=False, judge_veto=0.5, judge_answer=2.0).decide(question)
    assert vetoed.status == "related"


def test_the_report_judge_adds_offers_and_never_removes_the_readers(bot):
    plain = "can I friend a parent on facebook"
    assert not retriever(bot, report=False, judge_report=0.5).decide(plain).offers_report
    assert retriever(bot, report=True, judge_report=0.5).decide(plain).offers_report
    wish = "A parent posted lies about me on facebook. Can I get it taken down?"
    assert retriever(bot, report=False, judge_report=0.5).decide(wish).offers_report
