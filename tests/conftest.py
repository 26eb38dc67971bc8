"""Shared fixtures: a fast fake encoder for logic tests, the real model for a few."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from bot.config import Settings
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


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture(scope="session")
def real_encoder():
    from knowledge.index import ModelEncoder

    return ModelEncoder()


@pytest.fixture
def settings(tmp_path) -> Settings:
    # Teams tests talk to a fake connector on loopback with no app id: emulator mode.
    return Settings.from_env({"POLICYBOT_DB": str(tmp_path / "policybot.db"),
                              "POLICYBOT_ADMINS": "slack:UADMIN,teams:admin-1,web:admin",
                              "POLICYBOT_TEAMS_EMULATOR": "1"})


@pytest.fixture
def bot(settings, fake_encoder):
    from bot.app import build_bot

    return build_bot(settings, encoder=fake_encoder)


@pytest.fixture(scope="session")
def real_bot(tmp_path_factory, real_encoder):
    from bot.app import build_bot

    path = tmp_path_factory.mktemp("real") / "policybot.db"
    return build_bot(Settings.from_env({"POLICYBOT_DB": str(path)}), encoder=real_encoder)


@pytest.fixture(scope="session")
def model_db_template(tmp_path_factory, real_encoder):
    """A database with the real model's embeddings cached and nothing else in it."""
    from bot.app import build_bot

    path = tmp_path_factory.mktemp("model-template") / "policybot.db"
    build_bot(Settings.from_env({"POLICYBOT_DB": str(path)}), encoder=real_encoder
              ).storage.close()
    return path


@pytest.fixture
def model_bot(settings, real_encoder, model_db_template):
    """The bot with the real model on a fresh database of its own (the embedding cache is
    copied in, so it starts in milliseconds): for tests of what users really get."""
    import sqlite3

    from bot.app import build_bot

    with sqlite3.connect(model_db_template) as src, sqlite3.connect(settings.db_path) as dst:
        src.backup(dst)
    return build_bot(settings, encoder=real_encoder)
