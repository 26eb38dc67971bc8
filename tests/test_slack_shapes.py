"""The Slack payload shape check (handlers/slack_shapes.py): every real-shaped payload in
tests/payloads/slack passes; a field the listeners read, given the wrong type, is refused
with its path named. The HTTP-level answer (400, nothing run) is in test_fuzz_http.py."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from handlers.slack_shapes import SHAPES, kind_of, problem

PAYLOADS = sorted((Path(__file__).parent / "payloads" / "slack").glob("*.json"))


def _payload(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda p: p.stem)
def test_every_real_shaped_payload_passes(path):
    assert problem(_payload(path)) is None


def test_each_kind_we_listen_to_has_a_payload_file():
    kinds = {kind_of(_payload(p)) for p in PAYLOADS}
    assert {"event:app_mention", "event:message", "event:app_home_opened", "command",
            "message_action", "block_actions", "view_submission"} <= kinds


def _set(body: dict, dotted: str, value) -> bool:
    """Set body[dotted] (first list item for `*`); False when the parent is absent."""
    *parents, last = dotted.split(".")
    node = body
    for part in parents:
        node = node[0] if part == "*" and isinstance(node, list) and node else (
            node.get(part) if isinstance(node, dict) else None)
        if not isinstance(node, dict | list):
            return False
    if last == "*":
        if not node:
            return False
        node[0] = value
    else:
        node[last] = value
    return True


def _mutations():
    for path in PAYLOADS:
        body = _payload(path)
        kind = kind_of(body)
        for field, (want, _optional) in SHAPES.get(kind, {}).items():
            wrong = 7 if want != "list" else {"x": 1}
            yield pytest.param(path, field, wrong, id=f"{path.stem}:{field}")
            if want == "text":
                yield pytest.param(path, field, ["a"], id=f"{path.stem}:{field}:list")


@pytest.mark.parametrize("path,field,wrong", list(_mutations()))
def test_a_field_of_the_wrong_type_is_refused_with_its_name(path, field, wrong):
    body = copy.deepcopy(_payload(path))
    if not _set(body, field, wrong):
        pytest.skip(f"{field} has no parent in this payload")
    assert f"`{field}` must be" in (problem(body) or ""), field


@pytest.mark.parametrize("body,expected", [
    ([], "not a JSON object"),
    ({"type": {"x": "event_callback"}}, "`type` must be text"),
    ({"type": "block_actions", "user": {"id": "U1"}, "trigger_id": "t", "actions": []},
     "`actions` must be a non-empty list"),
    ({"type": "view_submission", "user": {"id": "U1"}, "view": {"id": "V1", "state": True}},
     "`view.state` must be an object"),
    ({"type": "event_callback", "event": {"type": "app_mention", "channel": "C1",
                                          "user": "U1"}}, "`event.ts` is missing"),
    ({"command": "/policy", "channel_id": "C1"}, "`user_id` is missing"),
])
def test_known_bad_shapes_name_the_field(body, expected):
    assert expected in (problem(body) or "")


def test_payloads_we_do_not_read_pass_untouched():
    assert problem({"type": "url_verification", "challenge": "x"}) is None
    assert problem({"type": "view_closed", "view": 3}) is None
