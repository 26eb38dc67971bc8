"""The browser pages' templates: the Jinja2 environment (autoescape on, strict) and
`Reply.text` rendered as safe HTML."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from bot import i18n, messages

TEMPLATES = Path(__file__).resolve().parent / "templates"
URL = re.compile(r"https?://[^\s<>\"'`]+")
BOLD = re.compile(r"\*([^*\n]+)\*")
CODE = re.compile(r"`([^`\n]+)`")
JINJA = web.AppKey("web.jinja", jinja2.Environment)


# ---------------------------------------------------------------- Reply.text -> HTML


def _emphasis(escaped: str) -> str:
    return CODE.sub(r"<code>\1</code>", BOLD.sub(r"<strong>\1</strong>", escaped))


def _inline(line: str) -> str:
    """Escape one line, then turn URLs into links, *bold* into <strong> and `code` into
    <code>."""
    out, pos = [], 0
    for m in URL.finditer(line):
        url = m.group(0).rstrip(".,;:!?)]")
        end = m.start() + len(url)
        out.append(_emphasis(str(escape(line[pos:m.start()]))))
        out.append(f'<a href="{escape(url)}" rel="noopener noreferrer" target="_blank">'
                   f"{escape(url)}</a>")
        pos = end
    out.append(_emphasis(str(escape(line[pos:]))))
    return "".join(out)


def format_text(text: str | None) -> Markup:
    """`Reply.text` as safe HTML: everything escaped first; then only *bold*, `code`, `> `
    quote blocks, newlines and http(s) URLs become markup."""
    parts: list[str] = []
    quote: list[str] = []
    lines: list[str] = []

    def flush_lines() -> None:
        if lines:
            parts.append('<p class="line">' + "<br>".join(lines) + "</p>")
            lines.clear()

    def flush_quote() -> None:
        if quote:
            parts.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
            quote.clear()

    for raw in (text or "").split("\n"):
        if raw.startswith(">"):
            flush_lines()
            quote.append(_inline(raw[1:].removeprefix(" ")))
        else:
            flush_quote()
            if raw.strip():
                lines.append(_inline(raw))
            else:
                flush_lines()
    flush_lines()
    flush_quote()
    return Markup("".join(parts))


# ---------------------------------------------------------------- templates


def safe_url(url: str | None) -> str:
    """Only http(s) links are rendered; anything else (javascript:, data:) becomes "#"."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else "#"


def make_env() -> jinja2.Environment:
    """Templates say their text with `_()` (the message catalogue, bot.i18n): a page comes
    out in the language in force while it is rendered (`i18n.language`), and its
    `<html lang>` says which."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(i18n._, i18n.ngettext, newstyle=True)
    env.filters["reply_text"] = format_text
    env.filters["safe_url"] = safe_url
    env.globals.update(related_label=messages.related_label,
                       uncertain_heading=messages.uncertain_heading, page_lang=i18n.current)
    return env


def render(request: web.Request, template: str, /, status: int = 200,
           **context: Any) -> web.Response:
    env: jinja2.Environment = request.app[JINJA]
    html = env.get_template(template).render(**context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store"})
