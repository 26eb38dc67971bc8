"""Per-conversation state in the `conversations` table: one JSON object per conversation,
each part owned by one component under its own key ("report", "context", ...)."""

from __future__ import annotations

import json
from typing import Any

from bot.clock import now_iso
from bot.db import Storage


def load_part(storage: Storage, conversation_id: str, key: str) -> Any:
    row = next(storage.db["conversations"].rows_where("id = ?", [conversation_id]), None)
    if row is None:
        return None
    try:
        return json.loads(row["state"] or "{}").get(key)
    except (ValueError, AttributeError):
        return None


def save_part(storage: Storage, conversation_id: str, key: str, value: Any) -> None:
    """Set (or, with value None, remove) one part; removes the row when nothing is left."""
    with storage.write() as db:
        row = next(db["conversations"].rows_where("id = ?", [conversation_id]), None)
        try:
            state = json.loads(row["state"]) if row and row["state"] else {}
        except ValueError:
            state = {}
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value
        if state:
            db["conversations"].upsert(
                {"id": conversation_id, "state": json.dumps(state, ensure_ascii=False),
                 "updated_at": now_iso()}, pk="id")
        elif row:
            db["conversations"].delete(conversation_id)
