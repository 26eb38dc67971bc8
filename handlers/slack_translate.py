"""Slack in, the core's terms out: Slack's text escapes, conversation ids, the `Incoming`
of a message, and where the replies to it go."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import Incoming

_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def unescape(text: str) -> str:
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def conversation_id(channel: str, thread_ts: str | None = None) -> str:
    return f"slack:{channel}:{thread_ts or ''}"


def slash_conversation_id(channel: str, user: str) -> str:
    """A slash command in a DM is that DM's conversation; in a channel it gets a slot of its
    own per user, so one person's context never leaks into another's."""
    return conversation_id(channel) if channel.startswith("D") else f"slack:{channel}:cmd-{user}"


def to_incoming(text: str, conversation: str, user: str, is_button: bool = False) -> Incoming:
    """Outside a DM a report is never taken in the conversation: the core answers a report
    with a `report_form` reply and the adapter opens the private modal."""
    return Incoming(text=unescape(text or ""), conversation_id=conversation,
                    user_id=f"slack:{user}", platform="slack", is_button=is_button,
                    wants_form=not conversation.startswith("slack:D"))


@dataclass(frozen=True)
class Where:
    """Where replies go. In a DM everything is posted; in a channel public replies go to the
    thread and private ones are ephemeral; with a response_url (slash commands, ephemeral
    messages) everything is ephemeral; with no channel (App Home) replies go by DM."""
    user: str
    conversation: str
    channel: str | None = None
    thread_ts: str | None = None
    is_dm: bool = False
    response_url: str | None = None
    private_only: bool = False
