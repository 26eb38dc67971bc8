"""The browser chat's server side: safe rendering of Reply.text and the JSON API."""

import asyncio
import re

import pytest
from aiohttp.test_utils import TestClient, TestServer
from browser.helpers import run

from bot.models import Incoming
from handlers.runtime import BotRef
from handlers.server import create_app
from handlers.web_chat import COOKIE
from handlers.web_templates import format_text, safe_url


async def say(client, text, is_button=False):
    response = await client.post("/chat/api", json={"text": text, "is_button": is_button})
    assert response.status == 200, await response.text()
    return await response.json()


# ---------------------------------------------------------------- format_text


def test_format_text_escapes_everything_first():
    html = str(format_text('<script>alert(1)</script> <img src=x onerror="a()"> & "q"'))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html and "&#34;q&#34;" in html


def test_format_text_bold_quotes_newlines_links():
    html = str(format_text("*Case 2026-0001* filed.\n> quoted line\n> second\nsee "
                           "https://www.lausd.org/Page/6302)."))
    assert "<strong>Case 2026-0001</strong>" in html
    assert "<blockquote>quoted line<br>second</blockquote>" in html
    assert ('<a href="https://www.lausd.org/Page/6302" rel="noopener noreferrer" '
            'target="_blank">') in html
    assert "</a>)." in html


def test_format_text_never_links_other_schemes_or_breaks_out_of_attributes():
    html = str(format_text('javascript:alert(1) https://x.test/"onmouseover="a() '
                           "https://x.test/<b>"))
    assert "javascript:alert(1)" in html and 'href="javascript' not in html
    assert 'href="https://x.test/"' in html  # the quote ends the URL; it is not in the link
    assert "<b>" not in html
    assert safe_url("javascript:alert(1)") == "#"
    assert safe_url("https://lausd.org") == "https://lausd.org"


# ---------------------------------------------------------------- the page and API


def test_page_sets_an_httponly_strict_session_cookie_and_shows_the_intro(bot, settings):
    async def scenario(client):
        response = await client.get("/")
        assert response.status == 200
        cookie = response.headers["Set-Cookie"]
        assert "policybot_chat=" in cookie and "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        html = await response.text()
        assert "policybot" in html and 'data-value="report"' in html
        return html

    run(bot, settings, scenario)


def test_api_needs_the_session_cookie_and_json(bot, settings):
    async def scenario(client):
        response = await client.post("/chat/api", json={"text": "hi"})
        assert response.status == 400
        await client.get("/")
        response = await client.post("/chat/api", data="text=hi",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status == 415
        response = await client.post("/chat/api", json={"text": "hi"},
                                     headers={"Origin": "https://evil.example"})
        assert response.status == 403

    run(bot, settings, scenario)


@pytest.mark.model
def test_question_is_answered_with_the_quoted_clause_and_citation(model_bot, settings):
    bot = model_bot

    async def scenario(client):
        await client.get("/")
        data = await say(client, "can I friend a parent?")
        reply = data["replies"][0]
        assert reply["kind"] == "answered"
        assert reply["citations"][0]["id"] == "BUL-5688.0#1"
        assert "<blockquote>" in data["html"] and "BUL-5688.0#1" in data["html"]
        assert re.search(r'data-value="feedback helpful \d+"', data["html"])
        question_id = reply["data"]["question_id"]
        data = await say(client, f"feedback unhelpful {question_id}", is_button=True)
        assert data["replies"][0]["kind"] == "info"
        rows = list(bot.storage.db.query("SELECT * FROM feedback"))
        assert rows[0]["helpful"] == 0 and "user" not in str(rows[0]).lower()
        question = next(bot.storage.db.query("SELECT platform FROM questions"))
        assert question["platform"] == "web"

    run(bot, settings, scenario)


def test_whole_anonymous_report_flow_then_status_key(bot, settings):
    async def scenario(client):
        await client.get("/")
        data = await say(client, "report", is_button=True)
        assert data["step"]["id"] == "category"
        for answer, next_step in (("harassing", "danger"), ("no", "platform"),
                                  ("instagram", "link"), ("skip", "when"), ("skip", "target"),
                                  ("employee", "description")):
            data = await say(client, answer, is_button=True)
            assert data["step"]["id"] == next_step, data["replies"][-1]["text"]
        assert data["step"]["kind"] == "text"
        data = await say(client, "A post with <script>window.__pwned=1</script> in it.")
        assert data["step"]["id"] == "identity"
        data = await say(client, "anonymous", is_button=True)
        assert data["step"]["id"] == "confirm"
        assert "<script>" not in data["html"] and "&lt;script&gt;" in data["html"]
        data = await say(client, "submit", is_button=True)
        receipt = data["replies"][-1]
        assert receipt["kind"] == "receipt" and data["step"] is None
        key = receipt["data"]["case_key"]
        number = receipt["data"]["case_number"]
        data = await say(client, f"status {key}")
        assert data["replies"][0]["kind"] == "status"
        assert number in data["replies"][0]["text"]
        case = next(bot.storage.db.query("SELECT reporter FROM cases"))
        assert case["reporter"] is None  # anonymous: no web-chat session id stored

    run(bot, settings, scenario)


def test_each_browser_session_is_its_own_conversation(bot, settings):
    """Two browsers never share a session: the second one's question is not read as an
    answer to the first one's report in progress, and neither sees the other's report."""
    ref = BotRef()
    ref.set(bot)

    async def go():
        async with TestClient(TestServer(create_app(settings, ref))) as a, \
                TestClient(TestServer(create_app(settings, ref))) as b:
            await a.get("/")
            await b.get("/")
            cookie_a = a.session.cookie_jar.filter_cookies(a.make_url("/"))[COOKIE].value
            cookie_b = b.session.cookie_jar.filter_cookies(b.make_url("/"))[COOKIE].value
            assert cookie_a != cookie_b
            assert (await say(a, "report"))["step"]["id"] == "category"
            data = await say(b, "harassing")  # a's next answer, typed in b: not a's flow
            assert data["step"] is None
            assert (await say(a, "harassing"))["step"]["id"] == "danger"
            assert (await say(b, "report"))["step"]["id"] == "category"

    asyncio.run(go())


@pytest.mark.parametrize("path", ["/static/style.css", "/static/chat.js"])
def test_static_files_are_served(bot, settings, path):
    async def scenario(client):
        response = await client.get(path)
        assert response.status == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"

    run(bot, settings, scenario)


# ---------------------------------------------------------------- everyday use (issue 14)


async def to_description(client):
    await client.get("/")
    for answer in ("report", "harassing", "yes", "instagram", "instagram.com/p/abc",
                   "last tuesday", "employee"):
        data = await say(client, answer)
    assert data["step"]["id"] == "description", data["replies"][-1]["text"]
    return data


async def file_web_report(client, identity, contact=None):
    """A report through the chat API up to its receipt; returns the receipt's API data."""
    await to_description(client)
    await say(client, "A threatening post.")
    data = await say(client, identity)
    if contact:
        assert data["step"]["id"] == "contact"
        assert data["replies"][-1]["text"].startswith("Step 9 of 10")
        data = await say(client, contact)
    assert data["step"]["id"] == "confirm"
    return await say(client, "submit")


def test_opening_the_page_mid_report_sends_nothing_and_shows_the_open_step(bot, settings):
    async def scenario(client):
        await to_description(client)
        for _ in range(2):  # reload twice: "help" must never become the description
            html = await (await client.get("/")).text()
            assert 'data-current-step="description"' in html
            assert "Your report is still open" in html and "What happened?" in html
        data = await say(client, "The real description.")
        assert data["step"]["id"] == "identity"
        data = await say(client, "anonymous")
        assert "The real description." in data["replies"][-1]["text"]
        assert "help" not in data["replies"][-1]["text"].lower().split()

    run(bot, settings, scenario)


def test_the_welcome_page_asks_the_core_nothing(bot, settings):
    async def scenario(client):
        html = await (await client.get("/")).text()
        assert 'data-kind="intro"' in html and 'data-value="report"' in html
        assert "data-current-step" not in html
        assert bot.storage.db["conversations"].count == 0
        assert bot.storage.db["questions"].count == 0

    run(bot, settings, scenario)


def test_a_named_web_report_asks_a_name_and_email_and_the_admin_sees_them(bot, settings):
    async def scenario(client):
        data = await file_web_report(client, "named", "Maria Lopez, maria.lopez@lausd.net")
        receipt = data["replies"][-1]
        assert "maria.lopez@lausd.net" in receipt["text"]
        number = receipt["data"]["case_number"]
        case = bot.cases.get(number, "web:admin")
        assert (case["reporter_name"], case["reporter_email"]) == (
            "Maria Lopez", "maria.lopez@lausd.net")
        assert case["link"] == "https://instagram.com/p/abc"
        reply = bot.handle(Incoming(text=f"ask {number} Do you have a screenshot?",
                                    conversation_id="slack:D0ADMIN:", user_id="slack:UADMIN",
                                    platform="slack"))[0]
        assert "browser chat" in reply.text and "maria.lopez@lausd.net" in reply.text
        assert "Question sent" not in reply.text
        html = await (await client.get("/")).text()
        assert "An administrator asked you a question about your report" in html
        assert f'data-notice="{number} ' in html
        data = await say(client, "my reports")
        assert "Do you have a screenshot?" in data["replies"][0]["text"]

    run(bot, settings, scenario)


def test_a_named_reporter_is_known_by_a_public_id_not_their_cookie(bot, settings):
    """The id administrators see (list, CSV, logs) cannot be used as a chat cookie."""
    steps = ("report", "harassing", "no", "instagram", "skip", "skip", "employee",
             "Someone posted my home address.", "named", "Ana Ruiz, ana.ruiz@lausd.net", "submit")

    async def scenario(client):
        await client.get("/")
        cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE].value
        for text in steps:
            data = await say(client, text)
        assert data["replies"][-1]["kind"] == "receipt"
        reporter = next(bot.storage.db.query("SELECT reporter FROM cases"))["reporter"]
        assert reporter.startswith("web-chat:") and cookie not in reporter
        number = data["replies"][-1]["data"]["case_number"]
        assert number in (await say(client, "my reports"))["replies"][0]["text"]
        # the public id set as a cookie is a stranger's new session, not the reporter's
        client.session.cookie_jar.clear()
        client.session.cookie_jar.update_cookies({COOKIE: reporter.split(":", 1)[1]})
        data = await say(client, "my reports")
        assert number not in data["replies"][0]["text"]
        assert "no named reports" in data["replies"][0]["text"]

    run(bot, settings, scenario)


def test_an_anonymous_web_report_keeps_no_contact_and_the_admin_is_told_so(bot, settings):
    async def scenario(client):
        receipt = (await file_web_report(client, "anonymous"))["replies"][-1]
        key, number = receipt["data"]["case_key"], receipt["data"]["case_number"]
        assert f"`{key}`" in receipt["text"]
        html = (await say(client, f"status {key.lower().replace('-', ' ')}"))["html"]
        assert number in html
        row = next(bot.storage.db.query("SELECT reporter, reporter_name, reporter_email "
                                        "FROM cases"))
        assert row == {"reporter": None, "reporter_name": None, "reporter_email": None}
        delivery = bot.cases.ask_reporter(number, "More?", "web:admin")
        assert "anonymous" in delivery and "case key" in delivery

    run(bot, settings, scenario)


def test_the_chat_api_is_throttled_per_session_and_per_address(bot, settings):
    from handlers.web_chat import PER_ADDRESS, PER_SESSION

    per_session, per_address = int(PER_SESSION.split()[0]), int(PER_ADDRESS.split()[0])

    async def scenario(client):
        await client.get("/")
        for _ in range(per_session):
            assert (await client.post("/chat/api", json={"text": "status AAAAAAAAAAAAAAAAAAAAAA"})
                    ).status == 200
        refused = await client.post("/chat/api", json={"text": "status AAAAAAAAAAAAAAAAAAAAAA"})
        assert refused.status == 429 and int(refused.headers["Retry-After"]) >= 1
        # many fresh sessions from one address are held by the address limit
        statuses = []
        for i in range(per_address + 1):
            client.session.cookie_jar.clear()
            client.session.cookie_jar.update_cookies({COOKIE: f"fresh-session-{i:08d}"})
            r = await client.post("/chat/api", json={"text": "hi"},
                                  headers={"X-Forwarded-For": "203.0.113.5"})
            statuses.append(r.status)
        assert statuses[:per_address] == [200] * per_address and statuses[-1] == 429

    run(bot, settings, scenario)


def test_the_receipt_shows_the_key_in_a_box_with_copy_and_saved_buttons(bot, settings):
    async def scenario(client):
        data = await file_web_report(client, "anonymous")
        key = data["replies"][-1]["data"]["case_key"]
        assert f'data-case-key="{key}"' in data["html"]
        assert f'<code class="case-key">{key}</code>' in data["html"]
        assert 'class="copy-key"' in data["html"] and 'class="key-saved' in data["html"]
        assert "`" not in data["html"]

    run(bot, settings, scenario)


def test_format_text_renders_code_spans_without_backticks():
    html = str(format_text("Type `status KEY` or `<b>`."))
    assert html == '<p class="line">Type <code>status KEY</code> or <code>&lt;b&gt;</code>.</p>'


def test_hsts_over_https_only_and_no_server_version(bot, settings):
    async def scenario(client):
        for path in ("/", "/healthz", "/admin/login", "/api/messages"):
            plain = await client.get(path)
            assert "aiohttp" not in plain.headers.get("Server", "").lower(), path
            assert "Strict-Transport-Security" not in plain.headers, path
        secure = await client.get("/", headers={"X-Forwarded-Proto": "https"})
        assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")

    run(bot, settings, scenario)
