"""The message catalogue: every sentence a person reads goes through `_` (gettext).

English is the source language, written in the code; other languages are gettext
catalogues under `bot/locale/<lang>/LC_MESSAGES/policybot.mo`, compiled from the `.po`
files next to them (see README, "Translations": `make messages` extracts the `.pot` and
updates the `.po`, `make translations` compiles the `.mo`; tests/test_i18n.py checks the
three are in step and that Spanish has every message).

The language is chosen per message (`detect`) and set for the work that answers it
(`language(lang)`, a context variable, so threads and requests do not share it). Every
`Reply` records the language it was built in (`Reply.lang`), so a front end renders its
own labels ("Source", "Share in channel") in the same language with `language(reply.lang)`.
Text marked with `N_` at import time (step prompts, option labels) is translated where it
is shown.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

DOMAIN = "policybot"
LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT = "en"
LANGUAGES = ("en", "es")
_current: ContextVar[str] = ContextVar("policybot_language", default=DEFAULT)
# The reporter's chat commands under their Spanish names (bot.reporting reads them as the
# English command); a message that starts with one is Spanish.
SPANISH_COMMANDS = {"denunciar": "report", "mis denuncias": "my reports", "estado": "status",
                    "responder": "reply"}
# One-word Spanish openers the detection in knowledge.answer (two hint words) cannot see.
_SPANISH_WORDS = re.compile(
    r"^(hola|buenos días|buenos dias|buenas tardes|buenas noches|buenas|ayuda|gracias|"
    r"reportar|denuncia)\W*$", re.IGNORECASE)

# Common English words: two of them make a message English (a case key, a link, a date or a
# name has none, so it keeps the conversation's language).
_ENGLISH_HINTS = re.compile(
    r"\b(the|a|an|i|my|me|you|your|can|could|is|are|was|were|do|does|did|to|of|in|on|for|"
    r"with|what|how|who|when|where|why|should|may|about|and|or|it|this|that|post|posted|"
    r"hello|hi|thanks|please)\b", re.IGNORECASE)


@functools.cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of `lang` (English: the source text itself)."""
    if lang == DEFAULT:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])


def current() -> str:
    return _current.get()


def _(message: str) -> str:
    """`message` in the current language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it yet (module constants)."""
    return message


@contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Build replies in `lang` (an unknown or missing language: English) inside the block."""
    lang = lang if lang in LANGUAGES else DEFAULT
    token = _current.set(lang)
    try:
        yield lang
    finally:
        _current.reset(token)


def detect(text: str) -> str | None:
    """"es" or "en" for a message written in words; None for a command, a button value or
    a short answer that says nothing about the language (the conversation's stays)."""
    from knowledge.answer import is_spanish  # the retrieval's own test, loaded when needed

    text = (text or "").strip()
    if is_spanish(text) or _SPANISH_WORDS.match(text) or spanish_command(text) != text:
        return "es"
    if len(_ENGLISH_HINTS.findall(text)) >= 2:
        return "en"
    return None


def spanish_command(text: str) -> str:
    """A reporter's command typed in Spanish ("estado CLAVE") as the command the desk reads
    ("status CLAVE"); any other text as it is."""
    low = text.lower()
    for alias, command in SPANISH_COMMANDS.items():
        if low == alias or low.startswith(alias + " "):
            return command + text[len(alias):]
    return text
