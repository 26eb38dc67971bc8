"""Terminal chat: the same Bot.handle as Slack and Teams, no network."""

from __future__ import annotations

import string
import sys
import uuid
from collections.abc import Callable

from bot import messages
from bot.models import Button, Incoming, Reply

LETTERS = string.ascii_lowercase


def render_text(replies: list[Reply], with_shortcuts: bool = False) -> str:
    """Replies as terminal text; buttons listed, with letter shortcuts in chat."""
    out = []
    for r in replies:
        if r.kind == "related":
            out.append(f"[{messages.RELATED_LABEL}]")
        out.append(r.text)
        if r.confidence is not None and r.status in ("answered", "ambiguous"):
            sure = f"{messages.UNCERTAIN_LABEL}, " if r.uncertain else ""
            out.append(f"({sure}confidence {r.confidence:.0%})")
        buttons = [b for b in r.buttons]
        if buttons and with_shortcuts:
            out.append("   ".join(f"[{LETTERS[i]}] {b.label}"
                                   for i, b in enumerate(buttons[:len(LETTERS)])))
    return "\n".join(out)


def shortcuts(replies: list[Reply]) -> list[Button]:
    return [b for r in replies for b in r.buttons][:len(LETTERS)]


def run_console(bot, read: Callable[[str], str] = input, write: Callable[[str], None] = print,
                conversation_id: str | None = None) -> None:
    """Read a line, hand it to the core, print the replies; a single letter presses a button."""
    conversation_id = conversation_id or f"console:{uuid.uuid4().hex[:12]}"
    write(render_text(bot.handle(Incoming("help", conversation_id, "cli:local", platform="console")),
                      with_shortcuts=True))
    write("(Type a question, a letter to press a button, or 'quit' to leave.)")
    last: list[Button] = []
    while True:
        try:
            line = read("\nyou> ")
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if line.strip().lower() in ("quit", "exit"):
            return
        pressed = line.strip().lower()
        is_button = len(pressed) == 1 and pressed in LETTERS[:len(last)]
        text = last[LETTERS.index(pressed)].value if is_button else line
        replies = bot.handle(Incoming(text, conversation_id, "cli:local", platform="console",
                                      is_button=is_button))
        last = shortcuts(replies)
        write("\nbot> " + render_text(replies, with_shortcuts=True))
        sys.stdout.flush()
