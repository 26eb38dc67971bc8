"""The browser chat at `/`: the same `Bot.handle` as Slack, Teams and the terminal.

A random session id in an HttpOnly cookie names the person and the conversation
(`web-chat:<id>`). The page posts JSON to `/chat/api` and gets back the replies as
HTML fragments rendered by the same template as the first page, plus the current
report-flow step (so the text box can follow it).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.models import Incoming, Reply
from handlers.runtime import BotRef
from handlers.web import JINJA, render, set_cookie

COOKIE = "policybot_chat"
COOKIE_AGE = 30 * 24 * 3600
SESSION_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_BODY = 64 * 1024


def session_id(request: web.Request) -> str | None:
    value = request.cookies.get(COOKIE, "")
    return value if SESSION_SHAPE.fullmatch(value) else None


def to_incoming(session: str, text: str, is_button: bool = False) -> Incoming:
    who = f"web-chat:{session}"
    return Incoming(text=text, conversation_id=who, user_id=who, platform="web",
                    is_button=is_button)


def current_step(replies: list[Reply]) -> dict[str, Any] | None:
    for reply in reversed(replies):
        if reply.step is not None:
            return reply.step
    return None


def add_routes(app: web.Application, ref: BotRef, settings: Settings) -> None:
    async def page(request: web.Request) -> web.Response:
        """The chat page. Opening (or reloading) it sends nothing to the bot: it shows the
        welcome, any notices and the report in progress; the page's script puts back the
        conversation shown before (kept in the tab's sessionStorage under `transcript`)."""
        session = session_id(request) or secrets.token_urlsafe(18)
        incoming = to_incoming(session, "")
        returning = await asyncio.to_thread(ref.bot.reports.on_return, incoming)
        transcript = hashlib.sha256(incoming.conversation_id.encode()).hexdigest()[:16]
        response = render(request, "chat.html", replies=[ref.bot.intro_reply()],
                          returning=returning, step=current_step(returning),
                          transcript=transcript)
        set_cookie(request, response, COOKIE, session, max_age=COOKIE_AGE)
        return response

    async def api(request: web.Request) -> web.Response:
        session = session_id(request)
        if session is None:
            return web.json_response({"error": "Your chat session has ended: reload the "
                                               "page."}, status=400)
        if request.content_type != "application/json":
            return web.json_response({"error": "Send JSON."}, status=415)
        origin = request.headers.get("Origin")
        if origin and origin.split("://", 1)[-1] != request.host:
            return web.json_response({"error": "Cross-site request refused."}, status=403)
        if (request.content_length or 0) > MAX_BODY:
            return web.json_response({"error": "That message is too long."}, status=413)
        try:
            body = await request.json()
            text = str(body.get("text", ""))
            is_button = bool(body.get("is_button", False))
        except (ValueError, AttributeError):
            return web.json_response({"error": "Send JSON like {\"text\": \"...\"}."},
                                     status=400)
        replies = await asyncio.to_thread(ref.bot.handle,
                                          to_incoming(session, text, is_button))
        env = request.app[JINJA]
        html = env.get_template("_replies.html").render(replies=replies)
        return web.json_response({
            "html": html,
            "step": current_step(replies),
            "replies": [{"kind": r.kind, "status": r.status, "text": r.text,
                         "citations": [c.to_dict() for c in r.citations],
                         "buttons": [{"label": b.label, "value": b.value, "style": b.style}
                                     for b in r.buttons],
                         "step": r.step, "data": r.data} for r in replies],
        }, headers={"Cache-Control": "no-store"})

    app.router.add_get("/", page, name="chat")
    app.router.add_post("/chat/api", api, name="chat_api")
