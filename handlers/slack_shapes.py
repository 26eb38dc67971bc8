"""The shape of every Slack payload field the listeners read, checked before they run.

Slack never sends a `view.state` that is `true` or an action that is a string, but a signed
request can (a bug in a proxy, a replay tool, a fuzzer). Rather than defend each listener
line by line, one Bolt global middleware compares the payload with the table below and
answers 400 with the offending field; the listeners can then trust what they read.

A path is dotted keys; `*` means every item of a list. A parent that is absent (or null)
makes its children absent; a child's spec says whether absent is allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slack_bolt.response import BoltResponse

STR, OPT_STR = ("text", False), ("text", True)
OBJ, OPT_OBJ = ("object", False), ("object", True)
LIST = ("list", False)  # a non-empty list
_TYPES = {"text": str, "object": dict, "list": list}

_USER = {"user": OBJ, "user.id": STR}
_EVENT = {"event": OBJ, "event.type": STR, "event_id": OPT_STR, "event.text": OPT_STR,
          "event.ts": OPT_STR, "event.thread_ts": OPT_STR, "event.channel": OPT_STR,
          "event.channel_type": OPT_STR, "event.user": OPT_STR, "event.tab": OPT_STR,
          "event.subtype": OPT_STR, "event.bot_id": OPT_STR}

SHAPES: dict[str, dict[str, tuple[str, bool]]] = {
    "event:app_mention": {**_EVENT, "event.ts": STR, "event.channel": STR},
    "event:message": {**_EVENT, "event.channel": STR},
    "event:app_home_opened": {**_EVENT, "event.user": STR},
    "event": _EVENT,
    "command": {"user_id": STR, "channel_id": STR, "text": OPT_STR, "trigger_id": OPT_STR,
                "response_url": OPT_STR},
    "message_action": {**_USER, "trigger_id": STR, "message": OPT_OBJ, "message.ts": OPT_STR,
                       "message.text": OPT_STR, "message.user": OPT_STR,
                       "message.bot_id": OPT_STR, "message.user_profile": OPT_OBJ,
                       "channel": OPT_OBJ, "channel.id": OPT_STR, "channel.name": OPT_STR,
                       "team": OPT_OBJ, "team.domain": OPT_STR},
    "block_actions": {**_USER, "trigger_id": STR, "response_url": OPT_STR,
                      "actions": LIST, "actions.*": OBJ, "actions.*.action_id": STR,
                      "actions.*.value": OPT_STR, "actions.*.block_id": OPT_STR,
                      "actions.*.selected_option": OPT_OBJ,
                      "actions.*.selected_option.value": OPT_STR,
                      "container": OPT_OBJ, "container.type": OPT_STR,
                      "container.channel_id": OPT_STR, "container.thread_ts": OPT_STR,
                      "channel": OPT_OBJ, "channel.id": OPT_STR,
                      "message": OPT_OBJ, "message.thread_ts": OPT_STR},
    "view_submission": {**_USER, "view": OBJ, "view.id": STR, "view.callback_id": OPT_STR,
                        "view.private_metadata": OPT_STR, "view.state": OPT_OBJ,
                        "view.state.values": OPT_OBJ},
}


def kind_of(body: dict[str, Any]) -> str | None:
    """Which row of SHAPES a payload is checked against (None: nothing we read)."""
    if "command" in body and "type" not in body:
        return "command"
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        event_type = event.get("type") if isinstance(event, dict) else None
        return f"event:{event_type}" if isinstance(event_type, str) \
            and f"event:{event_type}" in SHAPES else "event"
    return kind if kind in SHAPES else None


def _at(node: Any, parts: list[str]) -> Iterator[Any]:
    if not parts or node is None:
        yield node
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        for item in node if isinstance(node, list) else ():
            yield from _at(item, rest)
    elif isinstance(node, dict):
        yield from _at(node.get(head), rest)
    # a parent of the wrong type is reported by the parent's own spec


def problem(body: Any) -> str | None:
    """The first field of `body` whose shape the listeners cannot use, as a message."""
    if not isinstance(body, dict):
        return "the payload is not a JSON object"
    if not isinstance(body.get("type"), str | None):
        return "`type` must be text"
    kind = kind_of(body)
    for path, (want, optional) in SHAPES.get(kind, {}).items():
        for value in _at(body, path.split(".")):
            if value is None:
                if not optional:
                    return f"{kind} payload: `{path}` is missing"
            elif not isinstance(value, _TYPES[want]) or (want == "list" and not value):
                noun = {"list": "a non-empty list", "object": "an object"}.get(want, "text")
                return f"{kind} payload: `{path}` must be {noun}"
    return None


async def shape_guard(body: dict[str, Any], next, logger) -> BoltResponse | None:
    """Bolt global middleware: 400 with the reason for a payload of the wrong shape."""
    reason = problem(body)
    if reason is None:
        return await next()
    logger.warning("Slack request refused: %s", reason)
    return BoltResponse(status=400, body=f"Bad request: {reason}")
