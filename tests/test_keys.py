"""The secret key lives outside the database; ids and de-duplication keys are keyed hashes."""

from __future__ import annotations

import hashlib
import stat

from bot.dedup import KEEP_HOURS, claim_event
from infra.db import Storage
from infra.keys import key_file, keyed_hash, load_secret


def test_key_file_beside_the_database_owner_only_and_stable(tmp_path):
    db = str(tmp_path / "p.db")
    first = load_secret(db)
    assert load_secret(db) == first and len(first) == 64
    assert stat.S_IMODE(key_file(db).stat().st_mode) == 0o600
    assert load_secret(db, "from-env") == b"from-env"


def test_the_database_never_holds_the_key(tmp_path):
    storage = Storage(tmp_path / "p.db")
    storage.migrate()
    storage.keyed("teams:someone")
    storage.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = (tmp_path / "p.db").read_bytes()
    assert storage.secret not in raw


def test_keyed_hash_depends_on_key_and_purpose_and_is_not_a_plain_hash():
    value = "teams:6a1b2c3d"
    assert keyed_hash(b"k", value) == keyed_hash(b"k", value)
    assert keyed_hash(b"k", value) != keyed_hash(b"other", value)
    assert keyed_hash(b"k", value, "dedup") != keyed_hash(b"k", value, "id")
    assert hashlib.sha256(value.encode()).hexdigest()[:40] not in keyed_hash(b"k", value)


def test_dedup_keys_are_keyed_hourly_and_pruned(tmp_path):
    storage = Storage(tmp_path / "p.db")
    storage.migrate()
    key = "teams:a:1personalConversationIdXyZ:activity-1"
    assert claim_event(storage, key) and not claim_event(storage, key)
    [row] = storage.db.query("SELECT key, created_at FROM processed_events")
    assert "personalConversation" not in row["key"] and row["key"].startswith("k1:")
    assert row["created_at"].endswith(":00:00+00:00")
    with storage.write() as db:
        db.execute("UPDATE processed_events SET created_at = '2000-01-01T00:00:00+00:00'")
    assert KEEP_HOURS <= 24
    assert claim_event(storage, "another")  # any claim prunes what is older than KEEP_HOURS
    assert storage.db["processed_events"].count == 1
    assert claim_event(storage, key)  # forgotten: a repeat days later is new work
