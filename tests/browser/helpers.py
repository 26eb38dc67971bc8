"""A live policybot server in a background thread, the system Chromium via Playwright, and
`run(bot, settings, scenario)` for HTTP tests against the same aiohttp app.

Browser tests use `chromium_browser()`; it skips (with the reason) only when
/usr/bin/chromium is missing. Never `playwright install`: the Debian package is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Self

import pytest
from aiohttp import web


def run(bot, settings, scenario):
    """Run `scenario(client)` against create_app(settings) serving `bot` (aiohttp test client)."""
    from aiohttp.test_utils import TestClient, TestServer

    from handlers.runtime import BotRef
    from handlers.server import create_app

    ref = BotRef()
    ref.set(bot)

    async def go():
        async with TestClient(TestServer(create_app(settings, ref))) as client:
            return await scenario(client)

    return asyncio.run(go())


CHROMIUM = os.environ.get("POLICYBOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class LiveServer:
    """`create_app(settings, ref)` with the given bot, served on 127.0.0.1:<free port>."""

    def __init__(self, bot, settings):
        self.bot, self.settings = bot, settings
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    async def _start(self) -> None:
        from handlers.runtime import BotRef
        from handlers.server import create_app

        ref = BotRef()
        ref.set(self.bot)
        self._runner = web.AppRunner(create_app(self.settings, ref), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self

    def __exit__(self, *exc) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@contextlib.contextmanager
def chromium_browser() -> Iterator:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# ---------------------------------------------------------------- data helpers

ADMIN_NAME = "admin"  # acts as "web:admin", listed in the `settings` fixture's POLICYBOT_ADMINS
ADMIN_PASSWORD = "correct horse battery"


def add_admin(bot, name: str = ADMIN_NAME, password: str = ADMIN_PASSWORD) -> None:
    from bot.admin_accounts import AdminAccounts

    AdminAccounts(bot.storage).add(name, password)


def file_report(bot, description: str = "A post calls a colleague names.", *,
                category: str = "harassing", danger: str = "no", platform: str = "facebook",
                link: str = "", identity: str = "anonymous",
                user: str = "web-chat:testreporter000000") -> str:
    """A stored report through the core's form path; returns the case number."""
    from bot.models import Incoming

    result = bot.reports.submit_form(
        Incoming(text="", conversation_id=user, user_id=user, platform="web"),
        {"category": category, "danger": danger, "platform": platform, "link": link,
         "when": "", "target": "employee", "description": description, "identity": identity})
    assert not result.errors, result.errors
    return result.case_number


async def sign_in(client, name: str = ADMIN_NAME, password: str = ADMIN_PASSWORD):
    """Sign in to the admin console over HTTP (aiohttp test client); the response."""
    page = await client.get("/admin/login")
    token = csrf_from(await page.text())
    response = await client.post("/admin/login", data={"csrf": token, "name": name,
                                                       "password": password, "next": "/admin"},
                                 allow_redirects=False)
    return response


async def signed_in(client) -> str:
    """Sign in and return the CSRF token of the signed-in pages."""
    response = await sign_in(client)
    assert response.status == 303, await response.text()
    page = await client.get("/admin")
    return csrf_from(await page.text())


def csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def send_chat(page, text: str):
    """Type into the chat page, send, and wait for the bot's reply; returns the last turn."""
    before = page.locator(".turn").count()
    page.fill("#text", text)
    page.press("#text", "Enter")
    page.locator(".turn").nth(before).wait_for()
    return page.locator(".turn").last


def sign_in_page(page, url: str, name: str = ADMIN_NAME, password: str = ADMIN_PASSWORD):
    """Sign in to the admin console in a Playwright page (`url`: the server's) the way a
    signed-out administrator does: /admin sends them to the sign-in form, which brings
    them back to /admin. Returns the page (`sign_in_page(browser.new_page(), url)` for a
    page of its own, with its own cookies)."""
    page.goto(url + "/admin")
    assert "/admin/login" in page.url, "signed out, /admin should ask to sign in"
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/admin")
    return page
