"""Anonymous case keys people can keep: Crockford base32, grouped, forgiving of case and
look-alikes, a check symbol that catches typos, and the old keys still open their cases."""

from __future__ import annotations

import hashlib
import re
import secrets

import pytest

from bot.case_keys import BITS, canonical, key_hashes, looks_like_key, new_key
from bot.cases import CaseStore
from bot.config import Settings
from bot.events import EventBus
from infra.db import Storage
from infra.errors import CaseNotFoundError

ADMIN = "slack:UADMIN"
DRAFT = {"category": "harassing", "danger": "no", "platform": "instagram", "link": None,
         "when": None, "target": "employee", "description": "A post.", "identity": "anonymous"}
SHAPE = re.compile(r"([0-9A-HJKMNP-TV-Z]{5}-){5}[0-9A-HJKMNP-TV-Z]{5}")


@pytest.fixture
def store(tmp_path):
    storage = Storage(tmp_path / "k.db")
    storage.migrate()
    return CaseStore(storage, Settings(db_path=str(tmp_path / "k.db"), admins=frozenset({ADMIN})),
                     EventBus())


def test_a_key_is_six_groups_of_five_readable_symbols_with_at_least_144_bits():
    keys = {new_key() for _ in range(300)}
    assert len(keys) == 300
    assert all(SHAPE.fullmatch(k) for k in keys)  # no I, L, O, U; no * ~ $ = check symbol
    assert BITS >= 145  # 29 symbols; drawing a letter/digit check symbol costs 0.2 bits


def test_a_key_is_read_back_forgivingly():
    key = new_key()
    stored = canonical(key)
    assert stored is not None and len(stored) == 30 and "-" not in stored
    assert canonical(key.lower()) == stored
    assert canonical(key.replace("-", " ")) == stored
    assert canonical(key.replace("-", "")) == stored
    assert canonical(key.replace("1", "l").replace("0", "O")) == stored  # look-alikes


def test_one_mistyped_symbol_is_caught_by_the_check_symbol():
    key = new_key()
    caught = 0
    for i, char in enumerate(key):
        if char == "-":
            continue
        wrong = "7" if char != "7" else "8"
        caught += canonical(key[:i] + wrong + key[i + 1:]) is None
    assert caught == 30


def test_the_store_opens_a_case_with_the_key_in_any_case_and_grouping(store):
    case, key = store.open_case(DRAFT, None, True, [])
    assert SHAPE.fullmatch(key)
    typed = "  " + key.lower().replace("-", " ").replace("1", "i").replace("0", "o") + " "
    assert store.status_for_key(typed)["number"] == case["number"]
    with pytest.raises(CaseNotFoundError):
        store.status_for_key(key[:-1] + ("A" if key[-1] != "A" else "B"))


def test_a_key_made_before_the_new_format_still_opens_its_case(store):
    case, _ = store.open_case(DRAFT, None, True, [])
    old = secrets.token_urlsafe(18)  # how keys were made before
    with store.storage.write() as db:
        db.execute("UPDATE cases SET key_hash = ? WHERE number = ?",
                   [hashlib.sha256(old.encode()).hexdigest(), case["number"]])
    assert store.status_for_key(old)["number"] == case["number"]
    assert store.answer_as_reporter(old, None, "More detail.")["number"] == case["number"]
    assert len(key_hashes(old)) == 1


def test_what_looks_like_a_key_and_what_is_a_sentence():
    key = new_key()
    assert looks_like_key(key) and looks_like_key(key.lower().replace("-", " "))
    assert looks_like_key(key[:-2])  # a key missing a symbol is still answered as a key
    assert looks_like_key(secrets.token_urlsafe(18))
    assert not looks_like_key("of my paycheck please tell me when")
    assert not looks_like_key("of the report I filed last week about it")
