"""Storage faults end in a clear message and lose nothing: a full disk, a read-only
file or folder, a database locked by another program, a corrupt embedding cache,
an invalid knowledge base."""

import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.app import build_bot
from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.models import Incoming
from infra.db import Storage
from infra.errors import KnowledgeError, StorageError
from knowledge.classifier import EntryClassifier
from knowledge.index import load_cached

USER = "slack:U0REPORTER42"
CONV = "slack:D0CHAN:"
LONG = "A long description of the post. " * 140  # ~4,500 characters: needs new pages
ANSWERS = ["harassing", "no", "facebook", "skip", "today", "employee", LONG, "named"]
QUESTION = "Can I friend a student's parent on Facebook?"


def say(bot, text, conv=CONV):
    return bot.handle(Incoming(text=text, conversation_id=conv, user_id=USER, platform="slack"))


def fill_disk(storage: Storage) -> None:
    """Simulate a full disk: no free pages, and the file may not grow (this connection)."""
    db = storage.db
    db.execute("VACUUM")
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")


def free_disk(storage: Storage) -> None:
    storage.db.execute("PRAGMA max_page_count = 1073741823")


def snapshot(path):
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                for t in ("cases", "case_events", "conversations")}
    finally:
        conn.close()


# ------------------------------------------------------------------ disk full

def test_disk_full_is_a_storage_error_and_rolls_back(tmp_path):
    storage = Storage(tmp_path / "full.db")
    storage.migrate()
    with storage.write() as db:
        db.execute("INSERT INTO app_settings VALUES ('kept', '1')")
    fill_disk(storage)
    with pytest.raises(StorageError) as err, storage.write() as db:
        db.execute("INSERT INTO app_settings VALUES ('small', '2')")
        db.execute("INSERT INTO app_settings VALUES ('big', ?)", ["x" * 50_000])
    assert str(err.value).startswith("The disk is full: full.db could not be written.")
    assert isinstance(err.value.__cause__, sqlite3.OperationalError)
    assert not storage.db.conn.in_transaction
    assert [r["key"] for r in storage.db["app_settings"].rows] == ["kept"]
    free_disk(storage)
    with storage.write() as db:
        db.execute("INSERT INTO app_settings VALUES ('big', ?)", ["x" * 50_000])
    assert storage.db["app_settings"].count == 2


def test_report_submitted_on_a_full_disk_is_kept_and_goes_through_later(bot):
    assert say(bot, "report")[0].kind == "flow"
    for answer in ANSWERS:
        replies = say(bot, answer)
    assert replies[-1].step["id"] == "confirm"
    before = snapshot(bot.storage.path)

    fill_disk(bot.storage)
    replies = say(bot, "submit")
    assert len(replies) == 1 and replies[0].kind == "error" and replies[0].private
    assert replies[0].text.startswith("The disk is full: policybot.db could not be written. "
                                      "Nothing was saved")
    assert snapshot(bot.storage.path) == before  # no half case, flow state intact

    free_disk(bot.storage)
    receipt = say(bot, "submit")[0]
    assert receipt.kind == "receipt"
    number = receipt.data["case_number"]
    case = bot.cases.get(number, "slack:UADMIN")
    assert case["description"] == LONG.strip() and case["reporter"] == USER
    assert snapshot(bot.storage.path)["conversations"] == []  # flow state cleared with it


# ------------------------------------------------------------------ locked

def test_locked_database_is_a_storage_error_after_the_busy_timeout(tmp_path):
    path = tmp_path / "busy.db"
    Storage(path).migrate()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    storage = Storage(path, busy_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(StorageError) as err, storage.write() as db:
        db.execute("INSERT INTO app_settings VALUES ('a', '1')")
    assert time.monotonic() - started >= 0.25
    assert str(err.value).startswith("The database is locked by another program: busy.db "
                                     "stayed busy for 0.3 s.")
    other.execute("ROLLBACK")
    other.close()
    with storage.write() as db:
        db.execute("INSERT INTO app_settings VALUES ('a', '1')")
    assert storage.db["app_settings"].count == 1


def test_bot_replies_clearly_when_the_database_is_locked(bot):
    bot.storage.busy_timeout = 0.2
    bot.storage.db.execute("PRAGMA busy_timeout = 200")
    other = sqlite3.connect(bot.storage.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        replies = say(bot, "report")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert [r.kind for r in replies] == ["error"]
    assert replies[0].text.startswith("The database is locked by another program:")
    assert say(bot, "report")[0].kind == "flow"


def test_other_sqlite_errors_are_not_disguised(tmp_path):
    storage = Storage(tmp_path / "x.db")
    storage.migrate()
    with pytest.raises(sqlite3.IntegrityError), storage.write() as db:
        db.execute("INSERT INTO app_settings VALUES ('same', '1')")
        db.execute("INSERT INTO app_settings VALUES ('same', '2')")
    assert storage.db["app_settings"].count == 0


# ------------------------------------------------------------------ read-only

CHILD = textwrap.dedent("""
    import sys
    from infra.db import Storage
    from infra.errors import StorageError
    try:
        storage = Storage(sys.argv[1])
        with storage.write() as db:
            db.execute("INSERT INTO app_settings VALUES ('written', '1')")
        print("WROTE")
    except StorageError as e:
        print("STORAGE ERROR:", e)
""")


@pytest.fixture
def shared_dir():
    """A folder another (unprivileged) user can reach: pytest's tmp_path is private."""
    folder = Path(tempfile.mkdtemp(prefix="policybot-ro-"))
    folder.chmod(0o755)
    yield folder
    for p in (folder, *folder.iterdir()):
        p.chmod(0o777)
    shutil.rmtree(folder)


def importable_copy(folder: Path) -> Path:
    """Copy the top-level modules the child imports (the project's and third parties')
    into `folder`, readable by anyone: the checkout and its virtual environment may sit
    under a private folder (a home folder, `mktemp -d`) that nobody cannot enter."""
    listing = subprocess.run(
        [sys.executable, "-c", "import sys\nbefore = set(sys.modules)\n"
         "import infra.db, infra.errors\n"
         "for name, m in list(sys.modules.items()):\n"
         "    if not ('.' in name or name in before or name in sys.stdlib_module_names\n"
         "            or name.startswith('_sysconfigdata')):\n"
         "        print(getattr(m, '__file__', None) or '')"],
        capture_output=True, text=True, check=True, cwd="/").stdout.split()
    target = folder / "importable"
    target.mkdir()
    for file in map(Path, listing):
        if file.name == "__init__.py":
            shutil.copytree(file.parent, target / file.parent.name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(file, target / file.name)
    assert (target / "infra" / "db.py").is_file() and (target / "sqlite_utils").is_dir()
    for p in (target, *target.rglob("*")):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return target


def run_unprivileged(path: Path) -> str:
    """Try one write in a child process that cannot write `path` (root ignores file
    modes, so as root the child runs as nobody through setpriv, with the base interpreter
    and a readable copy of what it imports)."""
    command = [sys.executable, "-c", CHILD, str(path)]
    env = dict(os.environ)
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot drop privileges")
        command[0] = getattr(sys, "_base_executable", sys.executable)
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "PYTHONPATH": str(importable_copy(path.parent)), "PYTHONNOUSERSITE": "1"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/",
                            env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("case", ["read-only file", "read-only folder"])
def test_read_only_database_is_a_storage_error(shared_dir, case):
    path = shared_dir / "ro.db"
    storage = Storage(path)
    storage.migrate()
    storage.close()  # a clean close removes -wal and -shm
    if case == "read-only file":
        shared_dir.chmod(0o777)
        path.chmod(0o444)
    else:
        path.chmod(0o666)
        shared_dir.chmod(0o555)
    out = run_unprivileged(path)
    assert out.startswith("STORAGE ERROR: The database is read-only: ro.db (or its folder) "
                          "cannot be written."), out
    shared_dir.chmod(0o755)
    path.chmod(0o644)
    rows = sqlite3.connect(path).execute("SELECT COUNT(*) FROM app_settings").fetchone()
    assert rows == (0,)


# ------------------------------------------------------------------ embedding cache

class CountingEncoder:
    def __init__(self, inner):
        self.inner, self.name, self.calls = inner, inner.name, 0

    def encode(self, texts):
        self.calls += 1
        return self.inner.encode(texts)


def _answer(bot):
    reply = bot.handle(Incoming(text=QUESTION, conversation_id="cache", platform="cli"))[0]
    return reply.kind, [c.id for c in reply.citations], reply.confidence


@pytest.mark.parametrize("garbage", ["text", "random bytes, same length"])
def test_corrupt_embedding_cache_is_rebuilt(settings, fake_encoder, caplog, monkeypatch,
                                            garbage):
    monkeypatch.setattr(EntryClassifier, "_memo", {})  # no in-process shortcut
    first = build_bot(settings, encoder=fake_encoder)
    expected = _answer(first)
    original = {r["key"]: r["vectors"] for r in first.storage.db["embedding_cache"].rows}
    assert {k.split(":")[0] for k in original} == {"embeddings", "classifier", "words"}
    with first.storage.write() as db:
        for key, blob in original.items():
            bad = b"not vectors" if garbage == "text" else os.urandom(len(blob))
            db.execute("UPDATE embedding_cache SET vectors = ? WHERE key = ?", [bad, key])
    monkeypatch.setattr(EntryClassifier, "_memo", {})
    encoder = CountingEncoder(fake_encoder)
    with caplog.at_level(logging.WARNING, logger="knowledge.index"):
        second = build_bot(settings, encoder=encoder)
    assert "cache entry embeddings is corrupt; rebuilding it" in caplog.text
    assert "cache entry classifier is corrupt; rebuilding it" in caplog.text
    assert encoder.calls > 0
    rebuilt = {r["key"]: r["vectors"] for r in second.storage.db["embedding_cache"].rows}
    assert rebuilt == original
    assert _answer(second) == expected


def test_zero_filled_embedding_cache_is_detected(settings, fake_encoder, monkeypatch):
    first = build_bot(settings, encoder=fake_encoder)
    expected = _answer(first)
    with first.storage.write() as db:
        db.execute("UPDATE embedding_cache SET vectors = zeroblob(length(vectors)) "
                   "WHERE key LIKE 'embeddings:%'")
    monkeypatch.setattr(EntryClassifier, "_memo", {})
    second = build_bot(settings, encoder=fake_encoder)
    key = next(iter(second.storage.db["embedding_cache"].rows_where("key LIKE 'emb%'")))["key"]
    assert np.any(load_cached(second.storage, key))
    assert _answer(second) == expected


# ------------------------------------------------------------------ knowledge

def test_build_bot_refuses_an_invalid_knowledge_file_before_touching_anything(
        settings, tmp_path):
    folder = tmp_path / "kb"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, folder)
    path = folder / "BUL-5167.0.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["entries"][0]["related"] = ["nope"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    class NoEncoder:
        name = "never"

        def encode(self, texts):
            raise AssertionError("the model must not be used on an invalid knowledge base")

    with pytest.raises(KnowledgeError) as err:
        build_bot(settings.with_(knowledge_dir=str(folder)), encoder=NoEncoder())
    assert "BUL-5167.0.yaml: entry BUL-5167.0: related entry 'nope' does not exist" in str(
        err.value)
    assert not Path(settings.db_path).exists()


def test_questions_are_still_answered_when_the_database_cannot_be_written(bot):
    """The knowledge-gaps log is skipped (and so are feedback buttons), not the answer."""
    question = bot.kb.get("BUL-5688.0#3").questions[0]
    bot.storage.busy_timeout = 0.2
    bot.storage.db.execute("PRAGMA busy_timeout = 200")
    other = sqlite3.connect(bot.storage.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        [reply] = say(bot, question)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert reply.status == "answered" and reply.citations[0].id == "BUL-5688.0#3"
    assert not any(b.value.startswith("feedback") for b in reply.buttons)
