"""A fast, deterministic stand-in for the sentence model: logic tests, fuzzing and the
load-test server use it instead of all-MiniLM-L6-v2."""

from __future__ import annotations

import hashlib

import numpy as np

from knowledge.index import tokenize


class FakeEncoder:
    """Deterministic bag of words and character trigrams, hashed into 512 dimensions.
    Similar wording gives similar vectors, which is all the logic tests need."""

    name = "fake-encoder"
    dim = 512

    def encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = tokenize(text)
            grams = words + [w[i:i + 3] for w in words for i in range(max(1, len(w) - 2))]
            for g in grams:
                h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "big")
                out[row, h % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out
