"""The browser front ends: the chat at `/` and the admin console at `/admin`.

Shared pieces live here: the Jinja2 environment (autoescape on), safe rendering of
`Reply.text`, signed cookies, and security headers. The pages themselves are in
`web_chat.py`, `web_admin.py` and `web_charts.py`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from bot import i18n, messages
from bot.config import Settings
from handlers.runtime import BotRef

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
URL = re.compile(r"https?://[^\s<>\"'`]+")
BOLD = re.compile(r"\*([^*\n]+)\*")
CODE = re.compile(r"`([^`\n]+)`")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
WEB_PREFIXES = ("/admin", "/chat", "/static")
HSTS = "max-age=31536000; includeSubDomains"
JINJA = web.AppKey("web.jinja", jinja2.Environment)
SECRET = web.AppKey("web.secret", dict)  # {"key": cookie-signing key}, filled lazily


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


# ---------------------------------------------------------------- signed cookies


def sign(data: dict[str, Any], secret: str) -> str:
    body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def unsign(value: str | None, secret: str, max_age: float | None = None) -> dict[str, Any] | None:
    """The data of a cookie made by `sign`, or None (tampered, malformed or too old:
    `max_age` seconds after its "iat")."""
    if not value or "." not in value:
        return None
    body, mac = value.rsplit(".", 1)
    expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if max_age is not None and time.time() - float(data.get("iat", 0)) > max_age:
        return None
    return data


def is_secure(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str,
               max_age: int | None = None, path: str = "/") -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True,
                        samesite="Strict", secure=is_secure(request))


# ---------------------------------------------------------------- mounting


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = "policybot"  # not aiohttp's name and version
    if is_secure(request):  # browsers that once came over https never fall back to http
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.path == "/" or request.path.startswith(WEB_PREFIXES):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")


def mount(app: web.Application, ref: BotRef, settings: Settings) -> str:
    """Add the chat (`/`, `/chat/api`), the admin console (`/admin...`) and `/static`."""
    from handlers import web_admin, web_chat, web_knowledge

    app[JINJA] = make_env()
    app[SECRET] = {}
    web_chat.add_routes(app, ref, settings)
    web_admin.add_routes(app, ref, settings)
    web_knowledge.add_routes(app, ref)
    app.router.add_static("/static/", STATIC, name="static", append_version=False)
    app.on_response_prepare.append(_security_headers)
    return "chat at /, admin console at /admin"
