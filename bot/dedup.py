"""Persistent deduplication of platform deliveries (Slack retries, repeated Teams activities)."""

from __future__ import annotations

import sqlite3

from bot.clock import now_iso
from bot.db import Storage


def claim_event(storage: Storage, key: str) -> bool:
    """Record `key` as handled. True the first time, False for every repeat (any process)."""
    try:
        with storage.write() as db:
            db.execute("INSERT INTO processed_events (key, created_at) VALUES (?, ?)",
                       [key, now_iso()])
        return True
    except sqlite3.IntegrityError:
        return False
