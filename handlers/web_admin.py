"""The admin console at `/admin`: sign-in, case list and detail, gaps, overview, export.

Sessions are signed, HttpOnly, SameSite=Strict cookies holding the account name, a
CSRF token and a version that changes with the password. Every page and action
checks the session (and the account still existing) before doing anything; every
POST checks the CSRF token. Permission on cases is checked again by `bot.cases`.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.admin_accounts import ACTOR_PREFIX, AdminAccounts, session_secret
from bot.admin_commands import normalize_number
from bot.case_text import say
from bot.case_view import bulk_status_options
from bot.cases import FILTER_KEYS, STATUSES
from bot.config import Settings
from bot.report_flow import CATEGORIES, label_for
from handlers import web_charts
from handlers.runtime import REF, BotRef
from handlers.throttle import Throttle, client_address
from handlers.web_cookies import SECRET, set_cookie, sign, unsign
from handlers.web_templates import render
from infra.errors import NotPermittedError

log = logging.getLogger(__name__)

COOKIE = "policybot_admin"
SESSION_AGE = 12 * 3600
PAGE_SIZE = 25
MAX_PAGE = 100_000
SIGNIN_FAILURES = "20 per 15 minutes"  # failed sign-ins from one address, any names
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# ---------------------------------------------------------------- sessions


class Session(dict):
    """The decoded cookie: {"csrf", "u" (account name or absent), "v", "iat", "flash"}."""

    @property
    def name(self) -> str | None:
        return self.get("u")

    @property
    def actor(self) -> str | None:
        return ACTOR_PREFIX + self["u"] if self.get("u") else None


def _secret(request: web.Request) -> str:
    app = request.app
    holder = app[SECRET]
    if "key" not in holder:
        holder["key"] = session_secret(app[REF].bot.storage)
    return holder["key"]


def load_session(request: web.Request) -> Session:
    data = unsign(request.cookies.get(COOKIE), _secret(request), max_age=SESSION_AGE)
    if not data or not isinstance(data.get("csrf"), str):
        data = {"csrf": secrets.token_urlsafe(24), "iat": time.time()}
    return Session(data)


def save_session(request: web.Request, response: web.StreamResponse, session: Session) -> None:
    set_cookie(request, response, COOKIE, sign(dict(session), _secret(request)), path="/admin")


def accounts(request: web.Request) -> AdminAccounts:
    return AdminAccounts(request.app[REF].bot.storage)


async def signed_in(request: web.Request, session: Session) -> bool:
    name = session.name
    if not name:
        return False
    version = await asyncio.to_thread(accounts(request).session_version, name)
    return version is not None and version == session.get("v")


def redirect(location: str, request: web.Request | None = None,
             session: Session | None = None) -> web.HTTPSeeOther:
    response = web.HTTPSeeOther(location)
    if session is not None and request is not None:
        save_session(request, response, session)
    return response


def flash(session: Session, kind: str, text: str) -> None:
    session["flash"] = [kind, text[:500]]


async def csrf_ok(request: web.Request, session: Session) -> tuple[bool, Any]:
    form = await request.post()
    token = form.get("csrf")
    good = isinstance(token, str) and secrets.compare_digest(token, session["csrf"])
    return good, form


def admin_only(fn: Callable[..., Awaitable[web.StreamResponse]]) -> Handler:
    """Sign-in required (else redirect to sign-in); POSTs need the session's CSRF token
    (else 403). The handler gets (request, session, form-or-None)."""

    @functools.wraps(fn)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        session = load_session(request)
        if not await signed_in(request, session):
            target = request.path_qs if request.method == "GET" else "/admin"
            raise web.HTTPSeeOther("/admin/login?" + urlencode({"next": target}))
        form = None
        if request.method == "POST":
            ok, form = await csrf_ok(request, session)
            if not ok:
                log.warning("admin POST %s refused: bad CSRF token (%s)", request.path,
                            session.actor)
                return web.Response(status=403, text="Forbidden: the form was not sent from "
                                    "this console (missing or stale CSRF token). Reload the "
                                    "page and try again.")
        try:
            return await fn(request, session, form)
        except NotPermittedError:
            return page(request, session, "admin_error.html", status=403,
                        message="Your account is not a case administrator here: ask the "
                                "operator to add it. The attempt was recorded.")

    return wrapper


def page(request: web.Request, session: Session, template: str, /, status: int = 200,
         **context: Any) -> web.Response:
    """Render an admin page (the flash message is shown once)."""
    message = session.pop("flash", None)
    response = render(request, template, status=status, session=session, csrf=session["csrf"],
                      who=session.name, flash=message, nav=context.pop("nav", ""),
                      label=label_for, say=say, when=request.app[REF].bot.case_desk.times().when,
                      **context)
    save_session(request, response, session)
    return response


def safe_next(value: str | None) -> str:
    if value and value.startswith("/admin") and "//" not in value and "\\" not in value:
        return value
    return "/admin"


# ---------------------------------------------------------------- case list helpers


def list_filters(query: Any) -> dict[str, str]:
    """The case list's filters from a query string or a form (the export sends them)."""
    out = {k: str(query.get(k) or "").strip()[:200] for k in FILTER_KEYS}
    for key in ("since", "until"):
        if out[key]:
            try:
                date.fromisoformat(out[key])
            except ValueError:
                out[key] = ""
    return out


def fetch_page(cases, actor: str, filters: dict[str, str], page_no: int,
               size: int = PAGE_SIZE) -> tuple[list[dict[str, Any]], bool]:
    """One page of cases, urgent cases on top (then newest first). Returns (rows, more)."""
    kw = {k: filters[k] or None for k in FILTER_KEYS}
    rows = cases.list_cases(actor, limit=size + 1, offset=(page_no - 1) * size,
                            urgent_first=True, **kw)
    return rows[:size], len(rows) > size


# ---------------------------------------------------------------- routes


def add_routes(app: web.Application, ref: BotRef, settings: Settings) -> None:
    bot = lambda: ref.bot
    signin_failures = Throttle(SIGNIN_FAILURES)

    async def login_form(request: web.Request) -> web.Response:
        session = load_session(request)
        if await signed_in(request, session):
            raise web.HTTPSeeOther(safe_next(request.query.get("next")))
        return page(request, session, "admin_login.html", next=safe_next(
            request.query.get("next")), error=None, name="")

    async def login(request: web.Request) -> web.Response:
        session = load_session(request)
        ok, form = await csrf_ok(request, session)
        if not ok:
            return web.Response(status=403, text="Forbidden: missing or stale CSRF token. "
                                "Reload the sign-in page and try again.")
        name = str(form.get("name", "")).strip()[:64]
        password = str(form.get("password", ""))
        target = safe_next(form.get("next"))
        store = accounts(request)
        address = client_address(request) or "this machine"
        if not signin_failures.open(address):
            minutes = math.ceil(signin_failures.retry_after(address) / 60)
            log.warning("admin sign-in refused: too many failures from one address")
            return page(request, session, "admin_login.html", status=429, next=target,
                        error=f"Too many failed sign-ins from your network: try again in "
                              f"{minutes} minute{'s' if minutes != 1 else ''}.", name=name)
        if await asyncio.to_thread(store.verify, name, password):
            version = await asyncio.to_thread(store.session_version, name)
            fresh = Session({"csrf": secrets.token_urlsafe(24), "u": name, "v": version,
                             "iat": time.time()})
            log.info("admin %s signed in to the console", name)
            return redirect(target, request, fresh)
        signin_failures.allow(address)
        locked = await asyncio.to_thread(store.locked_until, name) if name else None
        # The same words whether or not the name has an account.
        error = (f"Too many failed sign-ins for this name: it is locked until "
                 f"{bot().case_desk.times().readable(locked.isoformat())}." if locked
                 else "Wrong name or password.")
        return page(request, session, "admin_login.html", status=401, next=target,
                    error=error, name=name)

    @admin_only
    async def logout(request, session, form):
        await asyncio.to_thread(accounts(request).end_sessions, session.name)
        log.info("admin %s signed out of the console", session.name)
        response = redirect("/admin/login")
        response.del_cookie(COOKIE, path="/admin")
        return response

    @admin_only
    async def case_list(request, session, form):
        filters = list_filters(request.query)
        try:
            page_no = int(request.query.get("page", "1"))
        except ValueError:
            page_no = 0
        if not 1 <= page_no <= MAX_PAGE:
            return page(request, session, "admin_error.html", status=400,
                        message=f"No such page: pages are numbered 1 to {MAX_PAGE}.")
        cases = bot().cases

        def load():
            rows, more = fetch_page(cases, session.actor, filters, page_no, PAGE_SIZE)
            rows = bot().case_desk.listed(session.actor, rows)
            return rows, more, cases.count_by_status(session.actor), cases.admins.assignees()

        rows, more, counts, assignees = await asyncio.to_thread(load)
        base = {k: v for k, v in filters.items() if v}
        return page(request, session, "admin_cases.html", nav="cases", cases=rows,
                    filters=filters, counts=counts, total=sum(counts.values()),
                    page_no=page_no, more=more, statuses=STATUSES, categories=CATEGORIES,
                    bulk_options=bulk_status_options(), here=request.path_qs,
                    assignees=assignees,
                    prev_url="?" + urlencode({**base, "page": page_no - 1}),
                    next_url="?" + urlencode({**base, "page": page_no + 1}))

    def case_number(request: web.Request) -> str:
        number = normalize_number(request.match_info["number"])
        if number is None:
            raise web.HTTPNotFound(text="No such case.")
        return number

    async def show_case(request, session, revealed: bool):
        outcome = await asyncio.to_thread(bot().case_desk.act, case_number(request),
                                          session.actor, "reveal" if revealed else "view")
        if not outcome.ok:
            return page(request, session, "admin_error.html", message=outcome.text,
                        status=403 if outcome.problem == "not_permitted" else 404)
        policies = []
        for pid in outcome.view.policy_ids:
            entry = bot().kb.get(pid)
            policies.append({"id": pid, "title": entry.title if entry else "(not in the "
                             "knowledge base any more)", "text": entry.text if entry else "",
                             "url": entry.url if entry else ""})
        return page(request, session, "admin_case.html", nav="cases", view=outcome.view,
                    policies=policies)

    @admin_only
    async def case_detail(request, session, form):
        return await show_case(request, session, revealed=False)

    @admin_only
    async def case_action(request, session, form):
        """POST /admin/cases/N/ACTION (value=...): one `CaseDesk.act`; "reveal" shows the
        page revealed, every other action comes back to the case with its outcome."""
        action = request.match_info["action"]
        if action == "reveal":
            return await show_case(request, session, revealed=True)
        number = case_number(request)
        outcome = await asyncio.to_thread(bot().case_desk.act, number, session.actor, action,
                                          str(form.get("value", "")))
        flash(session, "ok" if outcome.ok else "error", outcome.text.replace("*", ""))
        return redirect(f"/admin/cases/{number}", request, session)

    @admin_only
    async def export(request, session, form):
        """POST /admin/export with the case list's filters: the matching cases as CSV
        (UTF-8 with a byte-order mark for Excel), hidden fields masked unless
        details=yes (recorded with the filter and the count, as every export is)."""
        filters = list_filters(form)
        details = form.get("details") == "yes"
        buffer = io.StringIO()
        count = await asyncio.to_thread(bot().cases.export_csv, buffer, session.actor,
                                        details, **filters)
        log.info("%d cases exported from the console by %s", count, session.actor)
        name = f"policybot-cases-{date.today()}{'-details' if details else ''}.csv"
        return web.Response(body=buffer.getvalue().encode("utf-8-sig"), headers={
            "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{name}"'})

    @admin_only
    async def gaps(request, session, form):
        from bot.gaps import knowledge_gaps

        since = request.query.get("since", "")
        try:
            date.fromisoformat(since)
        except ValueError:
            since = ""
        b = bot()
        found = await asyncio.to_thread(knowledge_gaps, b.storage, b.retriever.encoder,
                                        since or None)
        return page(request, session, "admin_gaps.html", nav="gaps", gaps=found, since=since)

    @admin_only
    async def overview(request, session, form):
        """GET /admin/overview?since=YYYY-MM-DD&until=YYYY-MM-DD (both optional)."""
        b = bot()
        span = {k: v for k, v in list_filters(request.query).items() if k in ("since", "until")}
        dates = {k: date.fromisoformat(v) if v else None for k, v in span.items()}
        charts = await asyncio.to_thread(web_charts.overview, b.storage, b.cases,
                                         session.actor, dates["since"], dates["until"])
        return page(request, session, "admin_overview.html", nav="overview", charts=charts,
                    span=span)

    async def slash(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/admin")

    r = app.router
    r.add_get("/admin", case_list, name="admin")
    r.add_get("/admin/", slash)
    r.add_get("/admin/login", login_form, name="admin_login")
    r.add_post("/admin/login", login)
    r.add_post("/admin/logout", logout)
    r.add_get("/admin/cases/{number}", case_detail, name="admin_case")
    r.add_post("/admin/cases/{number}/{action}", case_action)
    r.add_post("/admin/export", export)
    r.add_get("/admin/gaps", gaps, name="admin_gaps")
    r.add_get("/admin/overview", overview, name="admin_overview")

