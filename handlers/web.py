"""The browser front ends: the chat at `/` and the admin console at `/admin`, mounted
with `/static` and the security headers every page gets.

The pages are in `web_chat.py`, `web_admin.py`, `web_knowledge.py` and `web_charts.py`;
what they share is in `web_templates.py` (Jinja2, `Reply.text` as HTML) and
`web_cookies.py` (signed cookies).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.config import Settings
from handlers import web_admin, web_chat, web_knowledge
from handlers.runtime import BotRef
from handlers.web_cookies import SECRET, is_secure
from handlers.web_templates import JINJA, make_env

STATIC = Path(__file__).resolve().parent / "static"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
WEB_PREFIXES = ("/admin", "/chat", "/static")
HSTS = "max-age=31536000; includeSubDomains"


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
    app[JINJA] = make_env()
    app[SECRET] = {}
    web_chat.add_routes(app, ref, settings)
    web_admin.add_routes(app, ref, settings)
    web_knowledge.add_routes(app, ref)
    app.router.add_static("/static/", STATIC, name="static", append_version=False)
    app.on_response_prepare.append(_security_headers)
    return "chat at /, admin console at /admin"
