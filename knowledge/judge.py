"""Two learned judgements the retriever makes after ranking: does the closest clause *answer*
the question (not only sit near it), and does the person want something done about someone
else's post.

Both are logistic models over features that name no entry, so they carry over to a bulletin
an administrator adds (clause text and title only). scripts/train_judge.py fits them on
knowledge/training/real_train.jsonl (real questions from public pages, disjoint from every
evaluation set: tests/test_no_leak.py) and writes knowledge/judge.json; the thresholds that
use them live in knowledge/calibration.json (chosen on tests/eval/real_dev.jsonl by
scripts/tune_decision.py).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
JUDGE_FILE = HERE / "judge.json"
TRAINING_FILE = HERE / "training" / "real_train.jsonl"

# Whether the closest clause answers: how sure the ranking is and how far ahead, how close
# the question is to the clause's own words and to a curated question of it (0 when the entry
# has none), how many of the words the question turns on the clause speaks to, and the shape
# of the message (a story, how long, how many questions, Spanish); the entry classifier's
# belief in "none of the entries" and in this one; how close a story's question sentence is
# to the clause.
ANSWER_FEATURES = ("score", "lead", "clause_similarity", "alternate_similarity",
                   "has_alternates", "covered_share", "uncovered", "least_covered",
                   "focus_words", "story", "log_words", "question_parts", "spanish",
                   "out_of_scope", "top_share", "asked_similarity")


@dataclass(frozen=True)
class Logistic:
    """p = sigmoid(((x - mean) / scale) . weights + bias)."""
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def probability(self, x: np.ndarray) -> float:
        z = (np.asarray(x, dtype=np.float64) - np.asarray(self.mean)) / np.asarray(self.scale)
        return 1.0 / (1.0 + math.exp(-(float(z @ np.asarray(self.weights)) + self.bias)))

    def to_dict(self) -> dict:
        return {"mean": list(self.mean), "scale": list(self.scale),
                "weights": list(self.weights), "bias": self.bias}

    @classmethod
    def from_dict(cls, d: dict) -> Logistic:
        return cls(tuple(d["mean"]), tuple(d["scale"]), tuple(d["weights"]), float(d["bias"]))


@dataclass(frozen=True)
class Judge:
    """Fitted on one model's numbers (`model`, an Encoder name): with another encoder (the
    tests' fake one) its inputs mean something else, and the retriever decides by its rules
    alone (Retriever.judge is None)."""
    model: str
    answers: Logistic  # over answer_features()
    report: Logistic  # over report_features()

    @classmethod
    def load(cls, path: Path = JUDGE_FILE) -> Judge:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["model"], Logistic.from_dict(data["answers"]),
                   Logistic.from_dict(data["report"]))


def answer_features(*, score: float, second_score: float, clause_similarity: float,
                    alternate_similarity: float, coverage: np.ndarray, coverage_similarity: float,
                    text: str, parts: int, spanish: bool, out_of_scope: float,
                    top_share: float, asked_similarity: float) -> np.ndarray:
    n = len(coverage)
    covered = int((coverage >= coverage_similarity).sum()) if n else 0
    has_alternates = alternate_similarity >= 0
    return np.array([
        score, score - second_score, clause_similarity,
        alternate_similarity if has_alternates else 0.0, float(has_alternates),
        covered / n if n else 1.0, float(n - covered), float(coverage.min()) if n else 1.0,
        float(n), float(parts > 0), math.log1p(len(text.split())), float(parts),
        float(spanish), out_of_scope, top_share, asked_similarity], dtype=np.float64)


def report_features(signals: dict[str, bool], story: bool, vector: np.ndarray) -> np.ndarray:
    """The message's embedding, the report-wish reader's signals (focus.report_signals) and
    whether the message tells a story before it asks."""
    return np.concatenate([np.asarray(vector, dtype=np.float64),
                           np.array([float(v) for v in signals.values()] + [float(story)])])
