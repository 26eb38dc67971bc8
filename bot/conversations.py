"""Per-conversation state in the `conversations` table: one JSON object per conversation,
each part owned by one component under its own key ("report", "context", ...).

Rows are found by a keyed hash of the conversation id (`Storage.keyed`), never by the id
itself: the table does not say whose chat a row belongs to. Times are kept to the hour.
`forget` drops a conversation's whole state (an anonymous report leaves nothing behind).
"""

from __future__ import annotations

import json
from typing import Any

from infra.clock import hour_iso
from infra.db import Storage


def _row_id(storage: Storage, conversation_id: str) -> str:
    return storage.keyed(conversation_id, "conversation")


def _state(storage: Storage, row_id: str) -> dict[str, Any]:
    rows = list(storage.db.query("SELECT state FROM conversations WHERE id = ?", [row_id]))
    try:
        state = json.loads(rows[0]["state"] or "{}") if rows else {}
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def load_part(storage: Storage, conversation_id: str, key: str) -> Any:
    return _state(storage, _row_id(storage, conversation_id)).get(key)


def save_part(storage: Storage, conversation_id: str, key: str, value: Any) -> None:
    """Set (or, with value None, remove) one part; removes the row when nothing is left.
    Joins the caller's write transaction if one is open."""
    row_id = _row_id(storage, conversation_id)
    with storage.write() as db:
        state = _state(storage, row_id)
        if value is None:
            if key not in state:
                return
            state.pop(key)
        else:
            state[key] = value
        if state:
            db.execute("INSERT INTO conversations (id, state, updated_at) VALUES (?, ?, ?) "
                       "ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
                       "updated_at = excluded.updated_at",
                       [row_id, json.dumps(state, ensure_ascii=False), hour_iso()])
        else:
            db.execute("DELETE FROM conversations WHERE id = ?", [row_id])


def forget(storage: Storage, conversation_id: str) -> None:
    """Drop everything kept for this conversation. Joins an open write transaction."""
    with storage.write() as db:
        db.execute("DELETE FROM conversations WHERE id = ?",
                   [_row_id(storage, conversation_id)])
