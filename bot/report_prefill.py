"""The report form pre-filled from a chat message someone reports from its menu.

Slack's "Report this message" shortcut and Teams' "Report to policybot" message
extension open the same form the same way: the platform is "A district system", the
link is the message's, and the description quotes the message and who posted it,
ending where the reporter says why. Everything else (what kind of post, who is
targeted, danger, named or anonymous) is left for the reporter to choose.
"""

from __future__ import annotations

from typing import Any

from bot.report_flow import DESCRIPTION_LIMIT

WHY = "\n\nWhy I am reporting it: "
REASON_ROOM = 500  # characters left free for the reporter's own words after WHY


def prefill_from_message(platform: str, author: str, text: str, link: str | None,
                         where: str | None = None) -> dict[str, Any]:
    """`platform` names the chat ("Slack"), `author` who posted, `where` the channel. A
    message too long for the description is cut (with "…") so the form still submits."""
    head = f"{platform} message by {author}" + (f" in {where}" if where else "") + ":\n"
    room = DESCRIPTION_LIMIT - REASON_ROOM - len(head) - len(WHY)
    quoted = _quote(text)
    if len(quoted) > room:
        quoted = quoted[:room - 1] + "…"
    return {"platform": "district", "link": link, "description": head + quoted + WHY}


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in text.splitlines())
