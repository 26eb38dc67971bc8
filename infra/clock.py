"""Time in one place, so tests can reason about it."""

from datetime import UTC, datetime


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def hour_iso() -> str:
    """Now, to the hour: for stamps that must not line up with a platform's message log
    (case creation, conversation state, de-duplication keys)."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0).isoformat(
        timespec="seconds")
