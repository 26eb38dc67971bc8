"""Persistent deduplication of platform deliveries (Slack retries, repeated Teams activities).

A delivery's key (e.g. a Teams conversation and activity id) is stored only as a keyed
hash (`Storage.keyed`), stamped to the hour, and forgotten after `KEEP_HOURS`: platforms
retry within minutes, and a key kept longer would only record who wrote when.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from infra.clock import hour_iso
from infra.db import Storage

KEEP_HOURS = 6


def claim_event(storage: Storage, key: str) -> bool:
    """Record `key` as handled. True the first time, False for every repeat (any process)."""
    cutoff = (datetime.now(UTC) - timedelta(hours=KEEP_HOURS)).isoformat(timespec="seconds")
    try:
        with storage.write() as db:
            db.execute("DELETE FROM processed_events WHERE created_at < ?", [cutoff])
            db.execute("INSERT INTO processed_events (key, created_at) VALUES (?, ?)",
                       [storage.keyed(key, "dedup"), hour_iso()])
        return True
    except sqlite3.IntegrityError:
        return False
