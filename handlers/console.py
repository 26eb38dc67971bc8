"""Terminal chat: the same Bot.handle as Slack and Teams, no network."""

from __future__ import annotations

import os
import re
import shutil
import string
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from bot import messages
from bot.i18n import _, language
from bot.models import Button, Incoming, Reply

LETTERS = string.ascii_lowercase
BOLD = re.compile(r"\*([^*\n]+)\*")
CODE = re.compile(r"`([^`\n]+)`")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
HANGING = re.compile(r"^(> |\d+\. |- |\[[a-z]\] )")
MAX_WIDTH = 100


@dataclass(frozen=True)
class Style:
    """How replies look on a terminal: wrapped at `width` (None: not wrapped), *bold* and
    `code` as ANSI bold and underline when `color`, else shown without their markers."""

    width: int | None = None
    color: bool = False

    @classmethod
    def for_stream(cls, stream: TextIO) -> Style:
        if not stream.isatty():
            return cls()
        width = min(shutil.get_terminal_size((80, 24)).columns, MAX_WIDTH)
        return cls(width=max(width, 20), color=not os.environ.get("NO_COLOR"))


def emphasis(line: str, color: bool) -> str:
    if color:
        return CODE.sub("\x1b[4m\\1\x1b[24m", BOLD.sub("\x1b[1m\\1\x1b[22m", line))
    return CODE.sub(r"\1", BOLD.sub(r"\1", line))


def wrap(line: str, width: int | None) -> list[str]:
    """Break a line between words to fit `width` visible columns (escape codes take none);
    a quote, list or shortcut prefix is repeated or indented on the lines that follow. A
    word longer than the width (a link, a case key) is never broken."""
    if width is None or len(ANSI.sub("", line)) <= width:
        return [line]
    prefix = HANGING.match(line)
    lead = prefix.group(1) if prefix else ""
    follow = lead if lead == "> " else " " * len(lead)
    out: list[str] = []
    current = ""
    for word in line[len(lead):].split(" "):
        start = follow if out else lead
        candidate = f"{current} {word}" if current else word
        if current and len(ANSI.sub("", start + candidate)) > width:
            out.append(start + current)
            current = word
        else:
            current = candidate
    out.append((follow if out else lead) + current)
    return out


def render_text(replies: list[Reply], with_shortcuts: bool = False,
                style: Style = Style(), lead: str = "") -> str:
    """Replies as terminal text (after `lead`); buttons listed, with letter shortcuts in chat."""
    out = []
    for r in replies:
        with language(r.lang):
            if r.kind == "related":
                out.append(f"[{messages.related_label()}]")
            out.append(r.text)
            if r.confidence is not None and r.status in ("answered", "ambiguous"):
                sure = f"{messages.uncertain_label()}, " if r.uncertain else ""
                out.append("(" + sure + _("confidence {percent:.0%}").format(
                    percent=r.confidence) + ")")
        buttons = [f"[{LETTERS[i]}] {b.label}" for i, b in enumerate(r.buttons[:len(LETTERS)])]
        if buttons and with_shortcuts:
            row = "   ".join(buttons)
            fits = style.width is None or len(row) <= style.width
            out += [row] if fits else buttons
    lines = (lead + "\n".join(out)).split("\n")
    return "\n".join(part for line in lines
                     for part in wrap(emphasis(line, style.color), style.width))


def shortcuts(replies: list[Reply]) -> list[Button]:
    return [b for r in replies for b in r.buttons][:len(LETTERS)]


def run_console(bot, read: Callable[[str], str] = input, write: Callable[[str], None] = print,
                conversation_id: str | None = None, style: Style = Style()) -> None:
    """Read a line, hand it to the core, print the replies; a single letter presses a button."""
    conversation_id = conversation_id or f"console:{uuid.uuid4().hex[:12]}"
    write(render_text(bot.handle(Incoming("help", conversation_id, "cli:local", platform="console")),
                      with_shortcuts=True, style=style))
    write(render_text([Reply(kind="info", text="(Type a question, a letter to press a button, "
                                               "or 'quit' to leave.)")], style=style))
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
        write("\n" + render_text(replies, with_shortcuts=True, style=style, lead="bot> "))
        sys.stdout.flush()
