"""Hot reload: published knowledge is picked up while questions keep being answered."""

from __future__ import annotations

import shutil
import threading
import time

from bot.app import build_bot
from bot.config import DEFAULT_KNOWLEDGE_DIR, Settings
from bot.models import Incoming
from bot.reload import KnowledgeWatcher
from knowledge.intake import prepare, publish

PHONES = """# Staff Use of Cell Phones

BUL-9999.1 · Effective: March 3, 2016

## Purpose

This bulletin sets out when staff may use personal cell phones during the school day.

## Policy

Staff may not use personal phones while supervising students, except in an emergency.
"""


def _bot(tmp_path, fake_encoder):
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, folder)
    settings = Settings.from_env({"POLICYBOT_DB": str(tmp_path / "p.db"),
                                  "POLICYBOT_KNOWLEDGE_DIR": str(folder)})
    return build_bot(settings, encoder=fake_encoder), folder


def test_published_knowledge_is_answered_after_a_reload_and_no_request_fails(tmp_path,
                                                                            fake_encoder):
    bot, folder = _bot(tmp_path, fake_encoder)
    watcher = KnowledgeWatcher(bot, interval=0.05)
    assert bot.handle(Incoming("show BUL-9999.1#policy", "t", "cli:local"))[0].kind == "error"
    stop = threading.Event()
    answered, failed = [], []

    def ask_forever(n: int) -> None:
        while not stop.is_set():
            [reply] = bot.handle(Incoming("can I post photos of my students?", f"t{n}",
                                          "cli:local"))
            (failed if reply.kind == "error" else answered).append(reply.status)

    askers = [threading.Thread(target=ask_forever, args=(n,)) for n in range(3)]
    for t in askers:
        t.start()
    try:
        watcher.start()
        md = tmp_path / "phones.md"
        md.write_text(PHONES, encoding="utf-8")
        publish(prepare(md, folder), folder)
        deadline = time.monotonic() + 30
        while watcher.reloads == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        during = len(answered)
        time.sleep(0.3)
    finally:
        stop.set()
        for t in askers:
            t.join()
        watcher.stop()
    assert watcher.reloads == 1
    assert failed == [] and len(answered) > during > 0
    [shown] = bot.handle(Incoming("show BUL-9999.1#policy", "t", "cli:local"))
    assert shown.kind == "answered" and "supervising students" in shown.text
    assert bot.retriever.kb.get("BUL-9999.1#policy") is not None  # answers come from it


def test_a_folder_that_does_not_load_keeps_the_running_knowledge(tmp_path, fake_encoder,
                                                                 caplog):
    bot, folder = _bot(tmp_path, fake_encoder)
    watcher = KnowledgeWatcher(bot)
    before = bot.kb
    (folder / "BUL-999.4.yaml").write_text("entries: [unclosed", encoding="utf-8")
    assert watcher.check() is False
    assert bot.kb is before and "does not load" in caplog.text
    assert watcher.check() is False  # not retried until the folder changes again
    [reply] = bot.handle(Incoming("show BUL-5688.0#3", "t", "cli:local"))
    assert reply.kind == "answered"


def test_a_reload_sends_only_new_texts_to_the_model(tmp_path, fake_encoder):
    class Counting:
        name = fake_encoder.name

        def __init__(self):
            self.seen: list[str] = []

        def encode(self, texts):
            self.seen.extend(texts)
            return fake_encoder.encode(texts)

    counting = Counting()
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, folder)
    bot = build_bot(Settings.from_env({"POLICYBOT_DB": str(tmp_path / "p.db"),
                                       "POLICYBOT_KNOWLEDGE_DIR": str(folder)}),
                    encoder=counting)
    watcher = KnowledgeWatcher(bot)
    md = tmp_path / "phones.md"
    md.write_text(PHONES, encoding="utf-8")
    publish(prepare(md, folder), folder)
    counting.seen.clear()
    assert watcher.check() is True
    assert "friend a student?" not in counting.seen  # an unchanged alternate question
    assert any("supervising students" in t for t in counting.seen)  # the new clause
