"""The confidence curve: a logistic model over per-entry evidence (`FEATURES`), its values
in knowledge/calibration.json (fitted by scripts/calibrate.py), and the out-of-scope
examples (knowledge/calibration_negatives.yaml) that fitting and the entry classifier use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CALIBRATION_FILE = HERE / "calibration.json"
FEATURES = ("sem_max", "sem_top2", "sem_top3", "sem_margin", "knn_vote", "lex_rel", "lex_sat",
            "clf_prob", "clf_none")
NEGATIVES_FILE = HERE / "calibration_negatives.yaml"


@dataclass(frozen=True)
class Calibration:
    """A logistic model over per-entry evidence, fitted by scripts/calibrate.py on the
    knowledge base's alternate questions (held out by folds) plus
    knowledge/calibration_negatives.yaml, never on an evaluation set. Its output is both
    the ranking score and the confidence. knowledge/calibration.json holds every value
    (the fitted ones and the hand-set thresholds): no defaults here, so there is one
    source."""
    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    lexical_saturation: float
    classifier_c: float
    answer_confidence: float
    ambiguity_margin: float
    report_similarity: float
    report_similarity_with_keyword: float
    # Whether the best clause answers the question, not only whether it is near it
    # (chosen on tests/eval/real_dev.jsonl by scripts/tune_decision.py): a question is
    # answered when every word it turns on is spoken to by the clause (coverage_similarity)
    # and the score reaches answer_confidence, or when the score reaches sure_confidence with
    # at most uncovered_words words the clause does not speak to (and no more than it speaks
    # to), or when the question is as close as alternate_similarity to one of the entry's
    # curated alternate questions (a question of that kind, which the clause answers).
    # Otherwise the clause is shown as related when the score reaches related_confidence or
    # the question is close to the clause's own text (related_similarity); else no answer.
    # An answer below sure_confidence is shown with an "I'm not sure" note.
    sure_confidence: float
    uncovered_words: int
    coverage_similarity: float
    alternate_similarity: float
    related_confidence: float
    related_similarity: float
    # The learned judges (knowledge/judge.py): a clause is also given as the answer when the
    # answers judge reaches judge_answer (stories included), and a clause the rules above
    # would give is shown as related instead when the judge is below judge_veto; the report
    # flow is offered when the report judge reaches judge_report (or the report-wish reader
    # of knowledge/focus.py finds the wish). Chosen on real_dev by scripts/tune_decision.py.
    judge_answer: float
    judge_veto: float
    judge_report: float

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        data = json.loads(path.read_text())
        return cls(**{**data, "features": tuple(data["features"]),
                      "weights": tuple(data["weights"])})
