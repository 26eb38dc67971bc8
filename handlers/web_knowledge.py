"""The console's Knowledge page: the bulletins policybot answers from, an upload form for a
bulletin's PDF, Word or HTML document, a preview of its clauses, publish or discard, and
the trail of every change. The work is done by bot.knowledge_desk; a publish is picked up
by this worker at once and by the others within seconds (bot.reload).
"""

from __future__ import annotations

import asyncio
import logging
import secrets

from aiohttp import web

from handlers.runtime import BotRef
from handlers.web_admin import (
    admin_only,
    flash,
    load_session,
    page,
    redirect,
    signed_in,
)
from infra.errors import PolicybotError
from knowledge.documents import FORMATS, MAX_BYTES
from knowledge.versions import bulletin_rows

log = logging.getLogger(__name__)
UPLOAD_FORMATS = (".pdf", ".docx", ".html", ".htm")
FIELD_LIMIT = 1000


class UploadError(Exception):
    pass


async def read_upload(request: web.Request) -> tuple[dict[str, str], str, bytes]:
    """The form's fields and its file, streamed (the app's body limit is for chat and
    webhooks; a bulletin may be up to MAX_BYTES)."""
    if (request.content_length or 0) > MAX_BYTES + 64 * 1024:
        raise UploadError(f"That file is larger than {MAX_BYTES // 1024 // 1024} MB; "
                          "policybot adds documents up to 20 MB.")
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError) as e:
        raise UploadError("The upload was not a file form; use the form on this page.") from e
    fields: dict[str, str] = {}
    name, data = "", b""
    while (part := await reader.next()) is not None:
        if part.name == "file" and part.filename:
            name = part.filename.replace("\\", "/").rsplit("/", 1)[-1][:200]
            chunks, size = [], 0
            while chunk := await part.read_chunk(64 * 1024):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise UploadError(f"{name} is larger than {MAX_BYTES // 1024 // 1024} "
                                      "MB; policybot adds documents up to 20 MB.")
                chunks.append(chunk)
            data = b"".join(chunks)
        elif part.name:
            fields[part.name] = (await part.text())[:FIELD_LIMIT]
    return fields, name, data


def add_routes(app: web.Application, ref: BotRef) -> None:
    bot = lambda: ref.bot

    @admin_only
    async def knowledge(request, session, form):
        b = bot()
        desk = b.knowledge_desk
        pending, events = await asyncio.to_thread(lambda: (desk.pending(), desk.events()))
        return page(request, session, "admin_knowledge.html", nav="knowledge",
                    bulletins=bulletin_rows(b.kb), pending=pending, events=events,
                    accept=",".join(UPLOAD_FORMATS))

    async def upload(request: web.Request) -> web.StreamResponse:
        session = load_session(request)
        if not await signed_in(request, session):
            raise web.HTTPSeeOther("/admin/login?next=/admin/knowledge")
        try:
            fields, name, data = await read_upload(request)
        except UploadError as e:
            flash(session, "error", str(e))
            return redirect("/admin/knowledge", request, session)
        token = fields.get("csrf")
        if not (isinstance(token, str) and secrets.compare_digest(token, session["csrf"])):
            return web.Response(status=403, text="Forbidden: the form was not sent from this "
                                "console (missing or stale CSRF token). Reload and retry.")
        ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if not name or ext not in UPLOAD_FORMATS:
            kinds = ", ".join(sorted({FORMATS[e].upper() for e in UPLOAD_FORMATS}))
            flash(session, "error", f"{name or 'No file'}: choose a bulletin as {kinds} "
                                    "(.pdf, .docx, .html).")
            return redirect("/admin/knowledge", request, session)
        try:
            draft_id, draft = await asyncio.to_thread(
                bot().knowledge_desk.upload, session.actor, name, data, fields)
        except PolicybotError as e:
            flash(session, "error", str(e))
            return redirect("/admin/knowledge", request, session)
        return redirect(f"/admin/knowledge/drafts/{draft_id}", request, session)

    def draft_id(request: web.Request) -> int:
        try:
            return int(request.match_info["draft"])
        except ValueError:
            raise web.HTTPNotFound() from None

    @admin_only
    async def preview(request, session, form):
        try:
            row, draft = await asyncio.to_thread(bot().knowledge_desk.preview,
                                                 draft_id(request), session.actor)
        except PolicybotError as e:
            flash(session, "error", str(e))
            return redirect("/admin/knowledge", request, session)
        return page(request, session, "admin_knowledge_draft.html", nav="knowledge",
                    row=row, draft=draft)

    @admin_only
    async def publish(request, session, form):
        b = bot()
        try:
            draft = await asyncio.to_thread(b.knowledge_desk.publish, draft_id(request),
                                            session.actor)
        except PolicybotError as e:
            flash(session, "error", str(e))
            return redirect(f"/admin/knowledge/drafts/{draft_id(request)}", request, session)
        if b.knowledge_watcher is not None:  # this worker answers from it before replying
            await asyncio.to_thread(b.knowledge_watcher.check)
        log.info("%s published %s from the console", session.actor, draft.bulletin)
        flash(session, "ok", f"Published {draft.bulletin}: {len(draft.clauses)} clauses. "
                             "policybot answers from it now.")
        return redirect("/admin/knowledge", request, session)

    @admin_only
    async def discard(request, session, form):
        try:
            await asyncio.to_thread(bot().knowledge_desk.discard, draft_id(request),
                                    session.actor)
        except PolicybotError as e:
            flash(session, "error", str(e))
        else:
            flash(session, "ok", "Draft discarded; nothing was changed.")
        return redirect("/admin/knowledge", request, session)

    async def curated(request, session, change, done: str) -> web.StreamResponse:
        b = bot()
        try:
            await asyncio.to_thread(change)
        except PolicybotError as e:
            flash(session, "error", str(e))
        else:
            if b.knowledge_watcher is not None:
                await asyncio.to_thread(b.knowledge_watcher.check)
            flash(session, "ok", done)
        return redirect("/admin/gaps", request, session)

    @admin_only
    async def attach(request, session, form):
        question = str(form.get("question", ""))
        entry_id = str(form.get("entry", "")).strip()
        return await curated(request, session, lambda: bot().knowledge_desk.attach_question(
            question, entry_id, session.actor),
            f"Attached to {entry_id}: policybot answers that question from it now.")

    @admin_only
    async def not_covered(request, session, form):
        question = str(form.get("question", ""))
        return await curated(request, session, lambda: bot().knowledge_desk.mark_not_covered(
            question, session.actor),
            "Marked as not covered: policybot answers it with 'I don't know'.")

    r = app.router
    r.add_post("/admin/knowledge/attach", attach)
    r.add_post("/admin/knowledge/not-covered", not_covered)
    r.add_get("/admin/knowledge", knowledge, name="admin_knowledge")
    r.add_post("/admin/knowledge/upload", upload)
    r.add_get("/admin/knowledge/drafts/{draft}", preview)
    r.add_post("/admin/knowledge/drafts/{draft}/publish", publish)
    r.add_post("/admin/knowledge/drafts/{draft}/discard", discard)
