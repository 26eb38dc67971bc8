"""Embedding cache, batching encoder, spelling correction and the pure search function."""

import threading
import time

import numpy as np
import pytest

from bot.config import DEFAULT_KNOWLEDGE_DIR
from infra.db import Storage
from knowledge.answer import Retriever
from knowledge.index import BatchingEncoder, build_vectors, entry_scores
from knowledge.loader import load_knowledge


class CountingEncoder:
    def __init__(self, inner):
        self.inner, self.name, self.calls, self.texts = inner, inner.name, 0, 0

    def encode(self, texts):
        self.calls += 1
        self.texts += len(texts)
        return self.inner.encode(texts)


def test_unchanged_knowledge_is_not_encoded_again(tmp_path, fake_encoder):
    storage = Storage(tmp_path / "x.db")
    storage.migrate()
    kb = load_knowledge(DEFAULT_KNOWLEDGE_DIR)
    first = CountingEncoder(fake_encoder)
    Retriever(kb, first, storage)
    assert first.texts > 100
    second = CountingEncoder(fake_encoder)
    Retriever(kb, second, storage)
    assert second.texts == 0


def test_changed_text_is_encoded_again(tmp_path, fake_encoder):
    storage = Storage(tmp_path / "x.db")
    storage.migrate()
    counting = CountingEncoder(fake_encoder)
    build_vectors(storage, counting, ["a", "b"])
    build_vectors(storage, counting, ["a", "b"])
    assert counting.texts == 2
    build_vectors(storage, counting, ["a", "c"])
    assert counting.texts == 4
    assert storage.db["embedding_cache"].count_where("key LIKE 'embeddings:%'") == 1


def test_entry_scores_takes_the_best_item_per_entry():
    items = np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float32)
    query = np.array([[0, 1]], dtype=np.float32)
    scores = entry_scores(query, items, np.array([0, 0, 1]), 3)
    assert scores.tolist() == pytest.approx([1.0, 0.8, -1.0])


def test_batching_encoder_gives_each_caller_its_own_vectors(fake_encoder):
    batching = BatchingEncoder(CountingEncoder(fake_encoder))
    texts = [f"question number {i} about photos" for i in range(40)]
    results: dict[int, np.ndarray] = {}

    def ask(i):
        results[i] = batching.encode([texts[i]])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, text in enumerate(texts):
        assert np.allclose(results[i], fake_encoder.encode([text]))


def test_requests_that_arrive_while_the_model_is_busy_share_one_call(fake_encoder):
    """The first request holds the model; the 39 that queue meanwhile go in one batch."""
    entered, release, sizes = threading.Event(), threading.Event(), []

    class Gated:
        name = "gated"

        def encode(self, texts):
            sizes.append(len(texts))
            entered.set()
            assert release.wait(10)
            return fake_encoder.encode(texts)

    batching = BatchingEncoder(Gated())
    threads = [threading.Thread(target=batching.encode, args=([f"question {i}"],))
               for i in range(40)]
    threads[0].start()
    assert entered.wait(10)
    for t in threads[1:]:
        t.start()
    deadline = time.monotonic() + 10
    while batching.waiting < 39 and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    for t in threads:
        t.join(10)
    assert sizes == [1, 39]


def test_a_lone_request_is_encoded_in_the_callers_own_thread(fake_encoder):
    """No hand-off to another thread when the model is free (that doubled a lone
    question's model time)."""
    ran_in = []

    class Recording:
        name = "recording"

        def encode(self, texts):
            ran_in.append(threading.current_thread())
            return fake_encoder.encode(texts)

    batching = BatchingEncoder(Recording())
    batching.encode(["one question"])
    worker = threading.Thread(target=batching.encode, args=(["another"],))
    worker.start()
    worker.join(10)
    assert ran_in == [threading.current_thread(), worker]


def test_batching_encoder_passes_errors_to_the_caller():
    class Broken:
        name = "broken"

        def encode(self, texts):
            raise RuntimeError("model failed")

    with pytest.raises(RuntimeError, match="model failed"):
        BatchingEncoder(Broken()).encode(["x"])


def test_spelling_is_corrected_against_the_knowledge_vocabulary(bot):
    assert bot.retriever.correct_spelling("can i frend a studnt on instagrm") == \
        "can i friend a student on instagram"
