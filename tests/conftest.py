"""Shared fixtures: a fast fake encoder for logic tests, the real model for a few."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import Settings
from testkit.fake_encoder import FakeEncoder

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def shared_file():
    """`shared_file("eval/dev_questions.jsonl")`: a file of ../shared, beside the checkout.
    When it is missing the test is skipped on a laptop but fails under CI (CI=true), where
    a quiet skip would hide the dev-set bars and the verbatim-clause check."""
    def get(relative: str) -> Path:
        path = SHARED / relative
        if not path.exists():
            message = f"{path} is missing: ../shared is not beside this checkout"
            if os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}:
                pytest.fail(message + " (CI=true: the check must run)")
            pytest.skip(message)
        return path
    return get


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


@pytest.fixture
def server(bot, settings):
    """`bot` served live on loopback for the browser tests, with the admin account
    (browser.helpers.ADMIN_NAME) added; `server.url` is its address."""
    from browser.helpers import LiveServer, add_admin

    add_admin(bot)
    with LiveServer(bot, settings) as live:
        yield live


@pytest.fixture
def browser():
    """The system Chromium driven by Playwright (skipped only when it is missing)."""
    from browser.helpers import chromium_browser

    with chromium_browser() as b:
        yield b


@pytest.fixture
def page(server, browser):
    """The browser chat, opened in a fresh context."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + "/")
    yield page
    context.close()


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
