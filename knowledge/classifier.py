"""Which entry a question belongs to (or none of them), learned from the knowledge base's
own questions and the out-of-scope examples; used as evidence by knowledge/answer.py.
"""

from __future__ import annotations

import hashlib

import numpy as np

from infra.db import Storage
from knowledge.index import load_cached, store_cached


class EntryClassifier:
    """Which entry (or none of them: the last class) a question belongs to: a logistic
    regression over the embeddings of every alternate question, clause text and title,
    plus the out-of-scope examples. Trained once per content (scikit-learn) and cached
    beside the embeddings; prediction is a softmax over two small arrays."""

    _memo: dict[str, np.ndarray] = {}  # trained once per process, stored in every database

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray):
        self.coef, self.intercept, self.classes = coef, intercept, classes

    @classmethod
    def trained(cls, storage: Storage | None, model: str, vectors: np.ndarray,
                labels: np.ndarray, c: float) -> EntryClassifier:
        digest = hashlib.sha256(vectors.tobytes() + labels.tobytes() + repr(c).encode())
        key = f"classifier:{model}:{digest.hexdigest()}"
        packed = load_cached(storage, key)
        if packed is None:
            packed = cls._memo.get(key)
            if packed is None:
                from sklearn.linear_model import LogisticRegression

                clf = LogisticRegression(C=c, max_iter=2000).fit(vectors, labels)
                packed = np.hstack([clf.coef_, clf.intercept_[:, None],
                                    clf.classes_[:, None]]).astype(np.float32)
            store_cached(storage, key, model, packed)
        cls._memo[key] = packed
        return cls(packed[:, :-2], packed[:, -2], packed[:, -1].astype(int))

    def proba(self, vectors: np.ndarray, n_classes: int) -> np.ndarray:
        z = vectors @ self.coef.T + self.intercept
        z = np.exp(z - z.max(axis=1, keepdims=True))
        out = np.zeros((len(vectors), n_classes), dtype=np.float32)
        out[:, self.classes] = z / z.sum(axis=1, keepdims=True)
        return out
