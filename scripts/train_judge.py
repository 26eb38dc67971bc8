"""Fit the two learned judges of knowledge/judge.py on the real-question training set and
write knowledge/judge.json.

Training questions: knowledge/training/real_train.jsonl (real questions from public pages,
labelled by the rules of tests/eval/REAL-QUESTIONS.md; no page of an evaluation set;
tests/test_no_leak.py fails on any evaluation question in it). Each question is read twice,
with the knowledge base as it is and with every alternate question removed, so the judges
learn what an administrator's new bulletin (clause text and title only) looks like too.

- answers: 1 when the closest clause is one the label accepts, else 0 (a related clause, no
  answer, a report wish, or the wrong clause at the top).
- report: 1 when the label is `report`.

The regularisation strength is chosen by cross-validation grouped by page (questions from
one page never on both sides). Thresholds are not chosen here: scripts/tune_decision.py does
that on tests/eval/real_dev.jsonl.

Usage: .venv/bin/python scripts/train_judge.py [--train FILE] [--write]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bot.config import DEFAULT_KNOWLEDGE_DIR  # noqa: E402
from knowledge.answer import Retriever  # noqa: E402
from knowledge.evaluate import read_questions, without_alternates  # noqa: E402
from knowledge.index import MemoEncoder, ModelEncoder  # noqa: E402
from knowledge.judge import (  # noqa: E402
    ANSWER_FEATURES,
    JUDGE_FILE,
    TRAINING_FILE,
    Judge,
    Logistic,
)
from knowledge.loader import load_knowledge  # noqa: E402

C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)


def neutral(n: int) -> Logistic:
    return Logistic((0.0,) * n, (1.0,) * n, (0.0,) * n, 0.0)


def fit(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[Logistic, float, float]:
    """Standardise, choose C by grouped 5-fold log-loss, refit on everything."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.model_selection import GroupKFold

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    best = None
    for c in C_GRID:
        losses = []
        for tr, te in GroupKFold(n_splits=5).split(z, y, groups):
            m = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(z[tr], y[tr])
            losses.append(log_loss(y[te], m.predict_proba(z[te])[:, 1], labels=[0, 1]))
        loss = float(np.mean(losses))
        if best is None or loss < best[0]:
            best = (loss, c)
    loss, c = best
    m = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(z, y)
    model = Logistic(tuple(map(float, mean)), tuple(map(float, scale)),
                     tuple(float(w) for w in m.coef_[0]), float(m.intercept_[0]))
    return model, c, loss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", default=str(TRAINING_FILE))
    ap.add_argument("--write", action="store_true", help=f"write {JUDGE_FILE.name}")
    args = ap.parse_args()
    kb = load_knowledge(DEFAULT_KNOWLEDGE_DIR)
    encoder = MemoEncoder(ModelEncoder())
    blank = Judge(encoder.name, neutral(len(ANSWER_FEATURES)), neutral(1))
    retrievers = [Retriever(k, encoder, storage=None, judgement=blank)
                  for k in (kb, without_alternates(kb))]
    questions = read_questions(args.train)
    xa, ya, ga, xr, yr, gr = [], [], [], [], [], []
    for q in questions:
        for r in retrievers:
            ev = r.evidence(q.q)
            xa.append(r.answer_features(q.q, ev))
            ya.append(q.label_kind == "clause" and ev.ranked[0].entry.id in q.acceptable)
            ga.append(q.source)
        xr.append(ev.report_features)
        yr.append(q.label_kind == "report")
        gr.append(q.source)
    pages = {s: i for i, s in enumerate(sorted(set(ga)))}
    answers, ca, la = fit(np.array(xa), np.array(ya, dtype=int), np.array([pages[s] for s in ga]))
    report, cr, lr = fit(np.array(xr), np.array(yr, dtype=int), np.array([pages[s] for s in gr]))
    print(f"{len(questions)} questions from {len(pages)} pages: answers {sum(ya)}/{len(ya)} "
          f"positive, C={ca}, cv log-loss {la:.3f}; report {sum(yr)}/{len(yr)} positive, "
          f"C={cr}, cv log-loss {lr:.3f}")
    for name, w in sorted(zip(ANSWER_FEATURES, answers.weights, strict=True),
                          key=lambda t: -abs(t[1])):
        print(f"  {name:22} {w:+.3f}")
    if args.write:
        digest = hashlib.sha256(Path(args.train).read_bytes()).hexdigest()[:16]
        JUDGE_FILE.write_text(json.dumps({
            "trained_on": f"{Path(args.train).name} sha256:{digest} ({len(questions)} questions)",
            "model": encoder.name,
            "answers": answers.to_dict(), "report": report.to_dict()}, indent=1) + "\n")
        print(f"wrote {JUDGE_FILE}")


if __name__ == "__main__":
    main()
