"""Fit the retrieval score model (knowledge/calibration.json) without touching any test set.

Positives: each entry's own alternate questions, held out 5 folds at a time (the index
is rebuilt without the held-out fold, so a question never finds itself). Negatives:
knowledge/calibration_negatives.yaml (which also trains the out-of-scope class of the
run-time entry classifier). A logistic regression over the per-entry evidence
(knowledge.calibration.FEATURES) gives both the ranking score and the confidence.
tests/test_no_leak.py keeps evaluation questions out of both sources.

Usage: .venv/bin/python scripts/calibrate.py [--write]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bot.config import DEFAULT_KNOWLEDGE_DIR  # noqa: E402
from knowledge.answer import Retriever  # noqa: E402
from knowledge.calibration import CALIBRATION_FILE, FEATURES, Calibration  # noqa: E402
from knowledge.index import MemoEncoder, ModelEncoder  # noqa: E402
from knowledge.loader import load_knowledge  # noqa: E402

FOLDS = 5


def fold_kb(kb, fold):
    entries = []
    held = []
    for e in kb.entries:
        qs = [q for i, q in enumerate(e.questions) if i % FOLDS != fold]
        qes = [q for i, q in enumerate(e.questions_es) if i % FOLDS != fold]
        held += [(q, e.id) for i, q in enumerate(e.questions) if i % FOLDS == fold]
        held += [(q, e.id) for i, q in enumerate(e.questions_es) if i % FOLDS == fold]
        entries.append(dataclasses.replace(e, questions=tuple(qs), questions_es=tuple(qes)))
    return dataclasses.replace(kb, entries=tuple(entries)), held


def collect(kb, encoder, negatives, features):
    """Feature rows and labels, plus per question (top prob, top correct?, in scope?)."""
    X, y, tops = [], [], []
    for fold in range(FOLDS):
        fkb, held = fold_kb(kb, fold)
        train_neg = [q for i, q in enumerate(negatives) if i % FOLDS != fold]
        held_neg = [q for i, q in enumerate(negatives) if i % FOLDS == fold]
        r = Retriever(fkb, encoder, storage=None, negatives=train_neg,
                      calibration=dataclasses.replace(Calibration.load(), features=features,
                                                      weights=(0.0,) * len(features)))
        for q, eid in held + [(q, None) for q in held_neg]:
            feats, _, _, _ = r.features(q)
            for i, e in enumerate(fkb.entries):
                X.append(feats[i])
                y.append(1.0 if e.id == eid else 0.0)
            tops.append((len(X) - len(fkb.entries), len(fkb.entries), eid))
    return np.array(X, dtype=np.float64), np.array(y), tops


def choose_threshold(p, y, tops):
    """The answer threshold that maximises (in-scope answered right) + (out of scope refused),
    each as a rate, on the held-out calibration questions."""
    best = (0.0, 0.5)
    for t in np.arange(0.05, 0.95, 0.01):
        right = refused = n_in = n_out = 0
        for start, n, eid in tops:
            probs = p[start:start + n]
            i = int(np.argmax(probs))
            if eid is None:
                n_out += 1
                refused += probs[i] < t
            else:
                n_in += 1
                right += probs[i] >= t and y[start + i] == 1
        score = right / n_in + refused / n_out
        if score > best[0] + 1e-9:
            best = (score, round(float(t), 2))
    return best


def fit_logistic(X, y, ridge=1e-3, iterations=50):
    """Logistic regression by Newton's method (IRLS) with a small ridge penalty."""
    A = np.hstack([X, np.ones((len(X), 1))])
    theta = np.zeros(A.shape[1])
    penalty = ridge * np.eye(A.shape[1])
    penalty[-1, -1] = 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(A @ theta)))
        grad = A.T @ (p - y) + penalty @ theta
        hess = (A * (p * (1 - p))[:, None]).T @ A + penalty
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta[:-1], theta[-1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help=f"write {CALIBRATION_FILE}")
    ap.add_argument("--features", default=",".join(FEATURES),
                    help="comma-separated subset of " + ",".join(FEATURES))
    args = ap.parse_args()
    kb = load_knowledge(DEFAULT_KNOWLEDGE_DIR)
    negatives = yaml.safe_load(
        (Path(__file__).resolve().parent.parent / "knowledge" / "calibration_negatives.yaml")
        .read_text())
    features = tuple(args.features.split(","))
    X, y, tops = collect(kb, MemoEncoder(ModelEncoder()), negatives, features)
    w, b = fit_logistic(X, y)
    p = 1 / (1 + np.exp(-(X @ w + b)))
    utility, threshold = choose_threshold(p, y, tops)
    print(f"answer threshold {threshold} (in-scope right + out-of-scope refused = {utility:.3f})")
    print(f"pairs: {len(y)}, positives: {int(y.sum())}, log-loss: "
          f"{-np.mean(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9)):.4f}")
    cal = dataclasses.replace(Calibration.load(), features=features, weights=tuple(round(float(v), 4) for v in w),
                              bias=round(float(b), 4), answer_confidence=threshold)
    out = dataclasses.asdict(cal)
    print(json.dumps(out, indent=2))
    if args.write:
        CALIBRATION_FILE.write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {CALIBRATION_FILE}")


if __name__ == "__main__":
    main()
