"""scripts/judge_lab.py: how a candidate judge's decision on real_dev is read back from the
outcomes extracted once, and that its thresholds obey scripts/tune_decision.py's constraints.
Made-up rows only (no model, no evaluation set)."""

from __future__ import annotations

import numpy as np
import pytest

from scripts import judge_lab as lab


def outcome(status, verdict, unasked=False):
    return {"status": status, "verdict": verdict, "unasked": unasked}


def row(q, kind, rules, forced=None, vetoed=None, file=lab.REAL_DEV, variant=0):
    return {"q": q, "kind": kind, "file": file, "variant": variant, "source": q,
            "outcomes": {"rules": rules, "forced": forced or rules, "vetoed": vetoed or rules}}


HEDGED = row("story", "clause", outcome("related", "hedged"), forced=outcome("answered", "right"))
TOPIC = row("near", "related", outcome("related", "right"),
            forced=outcome("answered", "wrong"))
WRONG_ANSWER = row("short", "related", outcome("answered", "wrong"),
                   vetoed=outcome("related", "right"))


def test_the_judge_answers_what_the_rules_do_not_and_vetoes_what_they_do():
    assert lab.final(HEDGED, 0.9, a=0.8, v=0.0)["verdict"] == "right"
    assert lab.final(HEDGED, 0.7, a=0.8, v=0.0)["verdict"] == "hedged"
    assert lab.final(WRONG_ANSWER, 0.1, a=2.0, v=0.0)["status"] == "answered"  # veto off
    assert lab.final(WRONG_ANSWER, 0.1, a=2.0, v=0.2)["status"] == "related"
    assert lab.final(WRONG_ANSWER, 0.3, a=2.0, v=0.2)["status"] == "answered"


def test_tuning_keeps_the_objective_of_tune_decision():
    rows = [HEDGED, TOPIC, WRONG_ANSWER]
    rules = lab.rules_alone(rows)
    assert rules[0] == 0 + 1 - 4  # hedged 0, right 1, a wrong answer -2 - 2
    knows = {"story": 0.99, "near": 0.6, "short": 0.01}
    best = lab.tune_answers(rows, lambda rs: np.array([knows[r["q"]] for r in rs]))
    assert best[0] == 3 and best[1] <= 0.95 and best[2] > 0.01


def test_a_threshold_that_breaks_the_shared_dev_set_is_never_chosen():
    shared = row("shared", "clause", outcome("answered", "right"),
                 vetoed=outcome("related", "hedged"), file=lab.SHARED_DEV)
    rows = [WRONG_ANSWER, shared]
    # vetoing the wrong answer would also veto the shared question: not allowed
    best = lab.tune_answers(rows, lambda rs: np.full(len(rs), 0.01))
    assert best[2] == 0.0


def test_fitted_parts_of_a_feature_see_the_training_rows_only():
    rng = np.random.default_rng(0)
    train = [{"q0": v} for v in rng.normal(size=(20, 6))]
    other = [{"q0": v} for v in rng.normal(size=(5, 6)) * 100]
    feat = lab.pca(lab.q0, 2)
    a, _ = feat(train, other)
    b, _ = feat(train, other[:1])
    assert np.allclose(a, b)


def test_the_test_split_is_refused():
    with pytest.raises(SystemExit):
        lab.refuse_test(["tests/eval/real_test.jsonl"])
