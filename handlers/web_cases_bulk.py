"""The case list's bulk action: one status change for the ticked cases. Each case goes
through `CaseDesk.act` on its own (its own permission check, transition check and audit
entry), so one refusal stops nothing else; the page that follows lists what changed and,
case by case, what was refused and why."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.case_view import bulk_status_options, normalize_number
from handlers.runtime import BotRef
from handlers.web_admin import admin_only, page, safe_next

log = logging.getLogger(__name__)
MAX_CASES = 100  # more than a list page holds


def add_routes(app: web.Application, ref: BotRef) -> None:
    @admin_only
    async def bulk_status(request, session, form):
        value = str(form.get("value", "")).strip()
        back = safe_next(str(form.get("back", "/admin")))
        numbers = list(dict.fromkeys(
            n for n in (normalize_number(str(v)) for v in form.getall("number", [])) if n))
        if not numbers or value not in dict(bulk_status_options()):
            return page(request, session, "admin_error.html", status=400,
                        message="Tick at least one case and choose the status to give them.")
        if len(numbers) > MAX_CASES:
            return page(request, session, "admin_error.html", status=400,
                        message=f"At most {MAX_CASES} cases at a time.")
        desk = ref.bot.case_desk

        def run():
            return [(n, desk.act(n, session.actor, "status", value)) for n in numbers]

        outcomes = await asyncio.to_thread(run)
        changed = [n for n, o in outcomes if o.ok]
        refused = [(n, o.text.replace("*", "")) for n, o in outcomes if not o.ok]
        log.info("bulk status %s by %s: %d changed, %d refused", value, session.actor,
                 len(changed), len(refused))
        return page(request, session, "admin_bulk.html", nav="cases",
                    label_text=dict(bulk_status_options())[value], changed=changed,
                    refused=refused, back=back)

    app.router.add_post("/admin/cases/bulk", bulk_status)
