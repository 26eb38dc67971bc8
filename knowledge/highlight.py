"""The sentence of a clause that answers a question: the one most similar to it.

Used for clauses nobody curated (no hand-written answer): the reply quotes the whole
clause and marks this sentence.
"""

from __future__ import annotations

import re

import numpy as np

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[\"“(\[]?[A-Z0-9])")
MIN_SIMILARITY = 0.2  # below this no sentence answers, and none is marked
_MAX_CACHED = 20_000


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_BREAK.split(" ".join(text.split())) if s.strip()]


class Highlighter:
    def __init__(self, encoder):
        self.encoder = encoder
        self._vectors: dict[str, np.ndarray] = {}  # clause sentences only, never questions

    def best_sentence(self, question: str, text: str) -> str | None:
        """The sentence of `text` closest to `question`, when the clause has more than one
        and the closest is close enough; else None."""
        parts = sentences(text)
        if len(parts) < 2:
            return None
        missing = [s for s in parts if s not in self._vectors]
        if missing:
            if len(self._vectors) > _MAX_CACHED:
                self._vectors.clear()
            self._vectors.update(zip(missing, self.encoder.encode(missing), strict=True))
        q = self.encoder.encode([question])[0]
        sims = np.array([float(self._vectors[s] @ q) for s in parts])
        best = int(sims.argmax())
        return parts[best] if sims[best] >= MIN_SIMILARITY else None
