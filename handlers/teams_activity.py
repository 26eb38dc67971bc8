"""What a Teams activity says: the translators to the core's `Incoming` and the checks
an activity must pass before any turn runs.

A Teams activity becomes an `Incoming` with a `teams:<aadObjectId>` user and a
`teams:<conversation.id>` conversation; a pressed card button carries ``{"pb": command}``.
Replies may go only to a Bot Framework host (authenticated) or to loopback (emulator).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from botbuilder.core import CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.schema import Activity

from bot.config import is_loopback
from bot.models import Incoming
from handlers import teams_cards as cards

ADMIN_CHANNEL_COMMAND = re.compile(
    r"^(please\s+)?use\s+this\s+(channel|chat|conversation)\s+for\s+(new\s+)?cases\W*$", re.IGNORECASE)
GROUP_TYPES = ("channel", "groupChat")
# Where the Bot Framework's connectors live (public cloud, Teams, US government clouds).
BOT_FRAMEWORK_HOSTS = (".botframework.com", ".botframework.us", ".botframework.azure.us",
                       "smba.trafficmanager.net", ".teams.microsoft.com",
                       ".teams.microsoft.us")
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_TYPE = "application/vnd.microsoft.activity.message"


def user_id(activity: Activity) -> str:
    who = activity.from_property
    return f"teams:{who.aad_object_id or who.id}"


def conversation_id(activity: Activity) -> str:
    return f"teams:{activity.conversation.id}"


def in_group(activity: Activity) -> bool:
    return (activity.conversation.conversation_type or "personal") in GROUP_TYPES


def message_text(activity: Activity) -> str:
    """The typed text with the bot's @mention removed."""
    text = activity.text or ""
    if activity.entities and activity.recipient:
        try:
            text = TurnContext.remove_recipient_mention(activity) or ""
        except (KeyError, TypeError, AttributeError, re.error):
            pass
    text = re.sub(r"<at>[^<]*</at>", " ", text) if "<at>" in text else text
    return text.replace("&nbsp;", " ").strip()


def command_from_value(value: Any) -> str | None:
    """A pressed card button: {"pb": command} (plus an optional typed `pbText`)."""
    if not isinstance(value, dict) or not isinstance(value.get("pb"), str):
        return None
    extra = value.get(cards.TEXT_INPUT)
    if isinstance(extra, str) and extra.strip():
        return f"{value['pb']} {extra.strip()}"
    return value["pb"]


def to_incoming(activity: Activity, text: str, is_button: bool = False) -> Incoming:
    return Incoming(text=text, conversation_id=conversation_id(activity),
                    user_id=user_id(activity), user_name=activity.from_property.name,
                    platform="teams", is_button=is_button, wants_form=True)


def card_activity(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


def service_url_problem(url: str, authenticated: bool) -> str | None:
    """Where replies may go: a Bot Framework host over https once authentication is on,
    a loopback address in emulator mode. Anything else would let a sender point the bot's
    replies (and its token) at a server of their choosing."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "serviceUrl is not a URL"
    if parts.scheme not in ("http", "https") or not host:
        return "serviceUrl is missing or not an http(s) URL"
    if authenticated:
        if parts.scheme != "https" or not host.endswith(BOT_FRAMEWORK_HOSTS):
            return "serviceUrl is not a Bot Framework host"
    elif not is_loopback(host):
        return "serviceUrl must be on loopback in emulator mode"
    return None


def shape_problem(activity: Activity, authenticated: bool) -> str | None:
    """What a usable activity must carry before any turn runs (400 otherwise)."""
    problem = service_url_problem(activity.service_url or "", authenticated)
    if problem:
        return problem
    if not (activity.conversation and isinstance(activity.conversation.id, str)
            and activity.conversation.id):
        return "conversation.id is missing"
    if not (activity.from_property and activity.from_property.id):
        return "from.id is missing"
    if not (activity.recipient and activity.recipient.id):
        return "recipient.id is missing"
    return None


def invoke_response(status: int, kind: str, value: Any) -> InvokeResponse:
    """The body Teams expects for adaptiveCard/action (statusCode, type, value)."""
    return InvokeResponse(status=200, body={"statusCode": status, "type": kind, "value": value})

