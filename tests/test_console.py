"""The terminal chat: a conversation without log lines or progress bars, wrapped between
words, with emphasis rendered. The pty test runs `policybot chat` as a person would."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time

import pytest

from bot.models import Button, Reply
from handlers.console import ANSI, Style, render_text

WIDTH = 60


def test_lines_break_between_words_and_keep_quote_prefixes():
    text = ("Saw an inappropriate post? Type *report* to report it (you can stay anonymous).\n"
            "> Keep personal social network accounts separate from work related accounts.")
    out = render_text([Reply(kind="info", text=text)], style=Style(width=30))
    lines = out.split("\n")
    assert all(len(line) <= 30 for line in lines)
    words = text.replace("*", "").replace("\n> ", " ").split()
    assert " ".join(line.removeprefix("> ") for line in lines).split() == words
    assert all(line.startswith("> ") for line in lines[-3:])


def test_emphasis_is_rendered_and_never_shown_raw():
    reply = Reply(kind="info", text="Type *status* followed by `KEY`.")
    plain = render_text([reply])
    assert plain == "Type status followed by KEY."
    colored = render_text([reply], style=Style(width=80, color=True))
    assert "\x1b[1mstatus\x1b[22m" in colored and "\x1b[4mKEY\x1b[24m" in colored
    assert ANSI.sub("", colored) == plain


def test_a_long_word_is_never_broken_and_buttons_go_one_per_line_when_narrow():
    key = "7KQ2M-0D4XH-ABCDE-FGHJK-MNPQR-STVWX"
    reply = Reply(kind="receipt", text=f"Your case key: {key}",
                  buttons=(Button("Can I friend a parent on Facebook?", "q"),
                           Button("Report a post", "report")))
    lines = render_text([reply], with_shortcuts=True, style=Style(width=40)).split("\n")
    assert key in lines
    assert lines[-2:] == ["[a] Can I friend a parent on Facebook?", "[b] Report a post"]


def read_until(fd: int, marker: bytes, timeout: float) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while marker not in out:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{marker!r} not seen; got {out[-2000:]!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return out


@pytest.mark.model
def test_policybot_chat_in_a_terminal_shows_only_the_conversation(tmp_path):
    main, child = os.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, WIDTH, 0, 0))
    env = {**os.environ, "POLICYBOT_DB": str(tmp_path / "chat.db"),
           "POLICYBOT_LOG_LEVEL": "DEBUG", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-m", "policybot.cli", "chat"], stdin=child,
                               stdout=child, stderr=child, env=env, close_fds=True)
    os.close(child)
    try:
        shown = read_until(main, b"you> ", 240)
        os.write(main, b"report\r")
        shown += read_until(main, b"you> ", 60)
        os.write(main, b"quit\r")
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    text = shown.decode("utf-8", "replace").replace("\r", "")
    plain = ANSI.sub("", text)
    assert "What kind of post are you reporting?" in plain
    for noise in ("DEBUG", "INFO", "Loading", "Batches", "it/s", "%|"):
        assert noise not in plain, noise
    assert "*" not in plain and "`" not in plain
    assert "\x1b[1mreport\x1b[22m" in text  # *report* in the welcome, in bold
    # Every line fits, so the terminal never has to break one (mid-word) itself.
    lines = [line for line in plain.split("\n") if line.strip()]
    assert max(len(line) for line in lines) <= WIDTH
    assert "stay anonymous)." in plain and "you can\nstay" in plain
