"""A question gets the same vector, and so the same reply, whatever else the model encodes
with it (knowledge/int8.py): under load the batching encoder puts concurrent people's
questions in one batch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from knowledge.int8 import RowInt8Linear, quantize_linear_layers

ROOT = Path(__file__).resolve().parent.parent


def test_a_row_gets_the_same_output_alone_and_in_a_batch():
    torch.manual_seed(0)
    layer = RowInt8Linear(torch.nn.Linear(64, 48))
    x = torch.randn(5, 9, 64)
    x[3] *= 40.0  # one text with far larger activations than the others
    batch = layer(x)
    for i in range(len(x)):
        assert torch.equal(layer(x[i:i + 1])[0], batch[i])


def test_the_int8_layer_stays_close_to_the_float_one():
    torch.manual_seed(1)
    linear = torch.nn.Linear(384, 1536)
    x = torch.randn(20, 384)
    exact, approx = linear(x), RowInt8Linear(linear)(x)
    assert torch.nn.functional.cosine_similarity(exact, approx, dim=1).min() > 0.999
    assert approx.shape == exact.shape


def test_every_linear_layer_is_replaced():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Sequential(
        torch.nn.ReLU(), torch.nn.Linear(4, 2, bias=False)))
    quantize_linear_layers(model)
    assert not any(type(m) is torch.nn.Linear for m in model.modules())
    assert model(torch.ones(3, 4)).shape == (3, 2)


def test_query_key_and_value_share_one_product_and_never_a_stale_one():
    torch.manual_seed(2)
    attention = torch.nn.Module()
    for name in ("query", "key", "value"):
        setattr(attention, name, torch.nn.Linear(16, 16))
    alone = {n: RowInt8Linear(getattr(attention, n)) for n in ("query", "key", "value")}
    quantize_linear_layers(attention)
    for x in (torch.randn(2, 5, 16), torch.randn(2, 5, 16)):
        for name, layer in alone.items():
            assert torch.allclose(getattr(attention, name)(x), layer(x), atol=1e-6)
        assert attention.shared_input._last is None  # nothing of the batch is kept
    x = torch.randn(3, 16)
    attention.query(x)
    x.add_(1.0)  # the same tensor changed in place: the cached product must not be served
    assert torch.allclose(attention.key(x), alone["key"](x), atol=1e-6)


class WithCompany:
    """The real encoder, with other people's questions in the same model call."""

    def __init__(self, inner, company):
        self.inner, self.name, self.company = inner, inner.name, company
        self.known_words = inner.known_words

    def encode(self, texts):
        texts = list(texts)
        return self.inner.encode(texts + self.company)[:len(texts)]


def _questions(path: Path, n: int) -> list[str]:
    return [json.loads(line)["q"] for line in path.read_text().splitlines()[:n]]


@pytest.mark.model
def test_a_question_gets_the_same_reply_alone_and_batched_with_others(real_bot, real_encoder):
    """With one quantisation scale for the whole batch (torch's dynamic quantisation) about one
    question in ten got another reply here when encoded beside seven others."""
    import copy

    questions = (_questions(ROOT / "tests" / "eval" / "real_dev.jsonl", 60)
                 + _questions(ROOT / "tests" / "eval" / "own_questions.jsonl", 60))
    company = questions[-7:] + ["a much longer message " * 30]
    alone = real_bot.retriever
    crowded = copy.copy(alone)  # the same index: only the question's model call differs
    crowded.encoder = WithCompany(real_encoder, company)

    def key(out):
        return out.status, tuple(c.entry.id for c in out.candidates), out.offers_report

    moved = [q for q in questions if key(alone.decide(q)) != key(crowded.decide(q))]
    assert len(moved) <= 1, moved
    v1 = real_encoder.encode([questions[0]])
    v2 = real_encoder.encode([questions[0], *company])[:1]
    assert float((v1 * v2).sum()) > 0.9999
    assert np.abs(v1 - v2).max() < 0.01
