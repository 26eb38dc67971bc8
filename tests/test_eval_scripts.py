"""scripts/baselines.py and scripts/risk_coverage.py on a small made-up fixture (tooling
only: the fixture is never an evaluation set) with the fake encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.evaluate import Question, evaluate, read_questions
from scripts.baselines import (
    BM25,
    COSINE,
    choose_threshold,
    decide_with,
    systems,
)
from scripts.risk_coverage import curve, measure, operating_point, plot

ROOT = Path(__file__).resolve().parent.parent

FIXTURE = ROOT / "tests" / "fixtures" / "real_format_fixture.jsonl"  # made up


def test_curve_is_risk_after_answering_the_most_confident_first():
    got = curve([0.1, 0.9, 0.8], [True, True, False])
    assert np.allclose(got, [(1 / 3, 0.0), (2 / 3, 0.5), (1.0, 1 / 3)])
    # what the system answered itself comes first, whatever its confidence
    got = curve([0.1, 0.9, 0.8], [True, True, False], answered=[True, False, False])
    assert np.allclose(got, [(1 / 3, 0.0), (2 / 3, 0.0), (1.0, 1 / 3)])


def test_the_threshold_is_chosen_for_most_right_then_fewest_wrong(bot):
    kb = bot.kb
    ids = [e.id for e in kb.entries]
    g1 = ids.index("BUL-5688.0#1")
    table = {"a": (g1, 0.9), "b": (g1, 0.5), "c": (g1, 0.2)}

    def scores_for(q):
        s = np.zeros(len(ids))
        s[table[q][0]] = table[q][1]
        return s

    dev = [Question("a", "BUL-5688.0#1"), Question("b", "no_answer"),
           Question("c", "no_answer")]
    t = choose_threshold(dev, kb, scores_for)
    assert 0.5 < t <= 0.9  # answers "a", refuses "b" and "c"
    assert evaluate(dev, decide_with(kb, scores_for, t)).rates()["right"] == 1.0


def test_baselines_and_the_plot_run_on_a_fixture(bot, tmp_path):
    questions = read_questions(FIXTURE)
    found = systems(bot, questions, no_alternates=True)
    assert set(found) == {"policybot", "policybot, alternates removed", BM25, COSINE}
    assert found["policybot"][0] is None and found[BM25][0] is not None
    results = measure(questions, {n: d for n, (_, d) in found.items()})
    for r in results.values():
        assert len(r["curve"]) == len(questions) and r["curve"][-1][0] == 1.0
        assert 0.0 <= r["point"][0] <= 1.0
    path = plot(results, "fixture", tmp_path / "rc.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_operating_point_counts_only_what_is_answered(bot):
    from knowledge.answer import Candidate, Outcome

    e = bot.kb.get("BUL-5688.0#1")
    c = (Candidate(e, 0.9, 0.0, 0.0),)
    qs = [Question("a", "BUL-5688.0#1"), Question("b", "no_answer"), Question("c", "no_answer")]
    outs = [Outcome("answered", c, 0.9, False, c), Outcome("answered", c, 0.8, False, c),
            Outcome("no_answer", (), 0.1, False, c)]
    assert operating_point(qs, outs) == pytest.approx((2 / 3, 0.5))
