"""Real-shaped Slack payloads (tests/payloads/slack/) and their signatures, shared by the
Slack tests and the load script."""

from __future__ import annotations

import json
import time
from pathlib import Path

from slack_sdk.signature import SignatureVerifier

PAYLOADS = Path(__file__).resolve().parent.parent / "tests" / "payloads" / "slack"


def load(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def signed(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with `body`, signed with `secret`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def view_submission(values: dict, view_id: str = "V0REPORT01", user: str = "UTEACHER1") -> dict:
    """The report modal's submission with the state of each input block set from `values`."""
    payload = load("view_submission_report")
    payload["view"]["id"] = view_id
    payload["user"]["id"] = user
    payload["trigger_id"] = f"1700.{view_id}.{user}"  # Slack makes one per submission
    state = payload["view"]["state"]["values"]
    for block, value in values.items():
        action = state[block]["value"]
        if action["type"] in ("static_select", "radio_buttons"):
            action["selected_option"] = {"text": {"type": "plain_text", "text": value},
                                         "value": value} if value else None
        elif action["type"] == "datepicker":
            action["selected_date"] = value
        else:
            action["value"] = value
    return payload
