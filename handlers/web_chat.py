"""The browser chat at `/`: the same `Bot.handle` as Slack, Teams and the terminal.

A random session id in an HttpOnly cookie is the conversation (`web-chat:<id>`); the
person is `web-chat:<keyed hash of the id>` (`Storage.keyed`), a public id that can be
shown to administrators, exported and logged without handing anyone the cookie. The page posts JSON to `/chat/api` and gets back the replies as
HTML fragments rendered by the same template as the first page, plus the current
report-flow step (so the text box can follow it).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup

from bot.config import Settings
from bot.i18n import _, language
from bot.models import Incoming, Reply
from handlers.runtime import BotRef
from handlers.throttle import Throttle, client_address, too_many
from handlers.web_cookies import set_cookie
from handlers.web_templates import JINJA, render
from infra.db import Storage
from infra.keys import HASH_PREFIX

COOKIE = "policybot_chat"
COOKIE_AGE = 30 * 24 * 3600
SESSION_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_BODY = 64 * 1024
PER_SESSION = "60 per minute"  # messages from one chat session: one a second
PER_ADDRESS = "600 per minute"  # one address (a school site behind one NAT), any sessions


def session_id(request: web.Request) -> str | None:
    value = request.cookies.get(COOKIE, "")
    return value if SESSION_SHAPE.fullmatch(value) else None


def to_incoming(storage: Storage, session: str, text: str, is_button: bool = False
                ) -> Incoming:
    public = storage.keyed(session, "web-chat")[len(HASH_PREFIX):][:24]
    return Incoming(text=text, conversation_id=f"web-chat:{session}",
                    user_id=f"web-chat:{public}", platform="web", is_button=is_button)


def current_step(replies: list[Reply]) -> dict[str, Any] | None:
    for reply in reversed(replies):
        if reply.step is not None:
            return reply.step
    return None


def replies_html(env: jinja2.Environment, replies: list[Reply]) -> Markup:
    """The replies as HTML, each in its own language (its labels and buttons)."""
    template = env.get_template("_replies.html")
    parts = []
    for reply in replies:
        with language(reply.lang):
            parts.append(template.render(replies=[reply]))
    return Markup("".join(parts))  # noqa: S704 - rendered by the autoescaping template


def page_language(replies: list[Reply], remembered: str) -> str:
    """The page's `lang`: the last reply's, else the conversation's."""
    return replies[-1].lang if replies else remembered


def add_routes(app: web.Application, ref: BotRef, settings: Settings) -> None:
    per_session, per_address = Throttle(PER_SESSION), Throttle(PER_ADDRESS)

    async def page(request: web.Request) -> web.Response:
        """The chat page. Opening (or reloading) it sends nothing to the bot: it shows the
        welcome, any notices and the report in progress; the page's script puts back the
        conversation shown before (kept in the tab's sessionStorage under `transcript`)."""
        session = session_id(request) or secrets.token_urlsafe(18)
        incoming = to_incoming(ref.bot.storage, session, "")

        def opening() -> tuple[str, list[Reply]]:
            remembered = ref.bot.language_for(incoming)
            with language(remembered):  # the notices in the conversation's language
                return remembered, ref.bot.reports.on_return(incoming)

        remembered, returning = await asyncio.to_thread(opening)
        # The tab's copy of the conversation is filed under the person's public id.
        transcript = incoming.user_id.split(":", 1)[1][:16]
        env = request.app[JINJA]
        with language(page_language(returning, remembered)):
            intro = ref.bot.intro_reply()
            response = render(request, "chat.html", replies_html=replies_html(
                env, [intro, *returning]), step=current_step(returning),
                transcript=transcript)
        set_cookie(request, response, COOKIE, session, max_age=COOKIE_AGE)
        return response

    async def api(request: web.Request) -> web.Response:
        session = session_id(request)
        if session is None:
            return web.json_response({"error": _("Your chat session has ended: reload the "
                                                 "page.")}, status=400)
        address = client_address(request)
        for throttle, key in ((per_session, session), (per_address, address)):
            if key is not None and not throttle.allow(key):
                return too_many(throttle.retry_after(key), _(
                    "You are sending messages faster than anyone types: wait a moment and "
                    "try again."))
        if request.content_type != "application/json":
            return web.json_response({"error": "Send JSON."}, status=415)
        origin = request.headers.get("Origin")
        if origin and origin.split("://", 1)[-1] != request.host:
            return web.json_response({"error": "Cross-site request refused."}, status=403)
        if (request.content_length or 0) > MAX_BODY:
            return web.json_response({"error": _("That message is too long.")}, status=413)
        try:
            body = await request.json()
            text = str(body.get("text", ""))
            is_button = bool(body.get("is_button", False))
        except (ValueError, AttributeError):
            return web.json_response({"error": "Send JSON like {\"text\": \"...\"}."},
                                     status=400)
        replies = await asyncio.to_thread(ref.bot.handle,
                                          to_incoming(ref.bot.storage, session, text,
                                                      is_button))
        html = replies_html(request.app[JINJA], replies)
        return web.json_response({
            "html": str(html),
            "lang": page_language(replies, "en"),
            "step": current_step(replies),
            "replies": [r.to_dict() for r in replies],
        }, headers={"Cache-Control": "no-store"})

    app.router.add_get("/", page, name="chat")
    app.router.add_post("/chat/api", api, name="chat_api")
