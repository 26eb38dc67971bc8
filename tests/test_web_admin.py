"""The admin console over HTTP: sessions, CSRF, lockout, masking, actions, escaping."""

import csv
import io
import re
import time

import pytest
from browser.helpers import (
    ADMIN_NAME,
    ADMIN_PASSWORD,
    add_admin,
    csrf_from,
    file_report,
    run,
    sign_in,
    signed_in,
)

from bot.admin_accounts import MAX_FAILURES, AdminAccounts, session_secret
from handlers.web_cookies import sign

XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'
ADMIN_GET = ["/admin", "/admin/?", "/admin/cases/2026-0001", "/admin/gaps", "/admin/overview",
             "/admin/cases/2026-0001?x=1"]
ADMIN_POST = ["/admin/logout", "/admin/export", "/admin/cases/2026-0001/reveal",
              "/admin/cases/2026-0001/assign", "/admin/cases/2026-0001/status",
              "/admin/cases/2026-0001/claim",
              "/admin/cases/2026-0001/note", "/admin/cases/2026-0001/ask",
              "/admin/cases/2026-0001/close", "/admin/cases/2026-0001/reopen",
              "/admin/cases/2026-0001/category", "/admin/cases/2026-0001/urgency"]


@pytest.fixture
def web_bot(bot):
    add_admin(bot)
    return bot




def events(bot, number):
    return [e["action"] for e in bot.storage.db.query(
        "SELECT action FROM case_events WHERE case_number = ? ORDER BY id", [number])]


# ---------------------------------------------------------------- sessions and CSRF


def test_every_admin_url_without_a_session_redirects_to_sign_in(web_bot, settings):
    async def scenario(client):
        for path in ADMIN_GET:
            response = await client.get(path, allow_redirects=False)
            assert response.status in (301, 303), path
            if response.status == 301:  # /admin/ -> /admin first
                response = await client.get(response.headers["Location"], allow_redirects=False)
            assert response.headers["Location"].startswith("/admin/login"), path
        for path in ADMIN_POST:
            response = await client.post(path, data={"csrf": "x"}, allow_redirects=False)
            assert response.status == 303, path
            assert response.headers["Location"].startswith("/admin/login"), path

    run(web_bot, settings, scenario)


def test_a_forged_or_tampered_cookie_is_not_a_session(web_bot, settings):
    """The forged cookie carries the account's real session version, so only the MAC
    check can refuse it; the same data signed with the real key is let in."""
    version = AdminAccounts(web_bot.storage).session_version(ADMIN_NAME)
    data = {"csrf": "t", "u": ADMIN_NAME, "v": version, "iat": time.time()}

    async def scenario(client):
        client.session.cookie_jar.update_cookies(
            {"policybot_admin": sign(data, "not-the-secret")})
        response = await client.get("/admin", allow_redirects=False)
        assert response.headers["Location"].startswith("/admin/login")
        body, mac = sign(data, session_secret(web_bot.storage)).rsplit(".", 1)
        client.session.cookie_jar.update_cookies({"policybot_admin": f"{body}.{mac[::-1]}"})
        response = await client.get("/admin", allow_redirects=False)
        assert response.headers["Location"].startswith("/admin/login")
        client.session.cookie_jar.update_cookies(
            {"policybot_admin": sign(data, session_secret(web_bot.storage))})
        response = await client.get("/admin", allow_redirects=False)
        assert response.status == 200  # the control: everything but the MAC was right

    run(web_bot, settings, scenario)


def test_sign_out_makes_the_old_cookie_worthless(web_bot, settings):
    async def scenario(client):
        csrf = await signed_in(client)
        old = client.session.cookie_jar.filter_cookies(client.make_url("/admin"))
        cookie = old["policybot_admin"].value
        response = await client.post("/admin/logout", data={"csrf": csrf},
                                     allow_redirects=False)
        assert response.status == 303
        client.session.cookie_jar.update_cookies({"policybot_admin": cookie})
        response = await client.get("/admin", allow_redirects=False)
        assert response.headers["Location"].startswith("/admin/login")

    run(web_bot, settings, scenario)


def test_failed_sign_ins_from_one_address_are_throttled_whatever_the_name(web_bot, settings):
    from handlers.web_admin import SIGNIN_FAILURES

    limit = int(SIGNIN_FAILURES.split()[0])

    async def scenario(client):
        page = await client.get("/admin/login")
        token = csrf_from(await page.text())

        async def attempt(name, password, address):
            return await client.post("/admin/login", data={
                "csrf": token, "name": name, "password": password, "next": "/admin"},
                headers={"X-Forwarded-For": address}, allow_redirects=False)

        for i in range(limit):
            assert (await attempt(f"name{i}", "wrong guess", "203.0.113.9")).status == 401
        refused = await attempt(ADMIN_NAME, ADMIN_PASSWORD, "203.0.113.9")
        assert refused.status == 429 and "try again in" in await refused.text()
        assert (await attempt(ADMIN_NAME, ADMIN_PASSWORD, "198.51.100.7")).status == 303

    run(web_bot, settings, scenario)


def test_a_page_number_out_of_range_is_a_400_not_a_500(web_bot, settings):
    async def scenario(client):
        await signed_in(client)
        for value in ("99999999999999999999", "0", "-3", "100001"):
            response = await client.get(f"/admin?page={value}")
            assert response.status == 400, value
        assert (await client.get("/admin?page=abc")).status == 400
        assert (await client.get("/admin?page=2")).status == 200

    run(web_bot, settings, scenario)


def test_sign_in_sets_a_signed_httponly_strict_cookie(web_bot, settings):
    async def scenario(client):
        response = await sign_in(client)
        assert response.status == 303 and response.headers["Location"] == "/admin"
        cookie = response.headers["Set-Cookie"]
        assert "policybot_admin=" in cookie and "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie and "Path=/admin" in cookie
        page = await client.get("/admin")
        assert page.status == 200 and "Signed in as" in await page.text()

    run(web_bot, settings, scenario)


def test_posts_without_the_csrf_token_are_refused(web_bot, settings):
    number = file_report(web_bot)

    async def scenario(client):
        await signed_in(client)
        for path in ADMIN_POST:
            path = path.replace("2026-0001", number)
            response = await client.post(path, data={"value": "triaged"},
                                         allow_redirects=False)
            assert response.status == 403, path
            response = await client.post(path, data={"csrf": "wrong", "value": "triaged"},
                                         allow_redirects=False)
            assert response.status == 403, path
        # The login form is protected as well.
        response = await client.post("/admin/login", data={"name": ADMIN_NAME,
                                                           "password": ADMIN_PASSWORD})
        assert response.status == 403

    run(web_bot, settings, scenario)
    assert "status_changed" not in events(web_bot, number)
    assert "revealed" not in events(web_bot, number)


def test_lockout_after_repeated_failed_sign_ins(web_bot, settings):
    async def scenario(client):
        for _ in range(MAX_FAILURES - 1):
            response = await sign_in(client, password="wrong guess")
            assert response.status == 401
            assert "Wrong name or password" in await response.text()
        response = await sign_in(client, password="wrong guess")
        # in the district's time zone, as every time is shown
        assert re.search(r"it is locked until \w{3} \d+ \w{3} \d{4}, \d+:\d\d [AP]M P[SD]T\.",
                         await response.text())
        response = await sign_in(client)  # the right password, but locked
        assert response.status == 401
        assert "locked" in await response.text()

    run(web_bot, settings, scenario)
    outcomes = [r["outcome"] for r in AdminAccounts(web_bot.storage).signins(ADMIN_NAME)]
    assert outcomes[:2] == ["locked", "locked_out"]


def test_sessions_end_when_the_account_is_removed_or_its_password_reset(web_bot, settings):
    async def scenario(client):
        await signed_in(client)
        AdminAccounts(web_bot.storage).reset_password(ADMIN_NAME, "a brand new one")
        response = await client.get("/admin", allow_redirects=False)
        assert response.headers["Location"].startswith("/admin/login")
        await sign_in(client, password="a brand new one")
        assert (await client.get("/admin", allow_redirects=False)).status == 200
        AdminAccounts(web_bot.storage).remove(ADMIN_NAME)
        response = await client.get("/admin", allow_redirects=False)
        assert response.headers["Location"].startswith("/admin/login")

    run(web_bot, settings, scenario)


def test_sign_out(web_bot, settings):
    async def scenario(client):
        token = await signed_in(client)
        response = await client.post("/admin/logout", data={"csrf": token},
                                     allow_redirects=False)
        assert response.status == 303
        response = await client.get("/admin", allow_redirects=False)
        assert response.headers["Location"].startswith("/admin/login")

    run(web_bot, settings, scenario)


def test_next_only_goes_to_admin_pages(web_bot, settings):
    async def scenario(client):
        page = await client.get("/admin/login?next=https://evil.example/")
        token = csrf_from(await page.text())
        response = await client.post("/admin/login", allow_redirects=False, data={
            "csrf": token, "name": ADMIN_NAME, "password": ADMIN_PASSWORD,
            "next": "//evil.example/admin"})
        assert response.headers["Location"] == "/admin"

    run(web_bot, settings, scenario)


# ---------------------------------------------------------------- the case list


def test_case_list_filters_counts_and_urgent_first(web_bot, settings):
    normal = file_report(web_bot, "someone mocks a colleague", category="bullying")
    urgent = file_report(web_bot, "a threat against the school", category="threatening",
                         danger="yes")
    later = file_report(web_bot, "another mocking post", category="bullying")

    async def scenario(client):
        await signed_in(client)
        html = await (await client.get("/admin")).text()
        order = [html.index(n) for n in (urgent, later, normal)]
        assert order == sorted(order)  # urgent first, then newest first
        assert 'data-status="new">new: <strong>3</strong>' in html
        html = await (await client.get("/admin?category=bullying")).text()
        assert normal in html and later in html and urgent not in html
        html = await (await client.get("/admin?urgency=urgent")).text()
        assert urgent in html and normal not in html
        html = await (await client.get("/admin?q=mocking")).text()
        assert later in html and normal not in html
        html = await (await client.get("/admin?since=2099-01-01")).text()
        assert "No cases match" in html
        html = await (await client.get("/admin?until=2000-01-01")).text()
        assert "No cases match" in html
        today = web_bot.cases.list_cases("web:admin")[0]["created_at"][:10]
        html = await (await client.get(f"/admin?since={today}&until={today}")).text()
        assert normal in html and urgent in html
        html = await (await client.get("/admin?status=triaged")).text()
        assert "No cases match" in html

    run(web_bot, settings, scenario)


def test_pagination_keeps_urgent_cases_on_top(web_bot, settings, monkeypatch):
    from handlers import web_admin

    monkeypatch.setattr(web_admin, "PAGE_SIZE", 2)
    numbers = [file_report(web_bot, f"post {i}", danger="yes" if i == 0 else "no")
               for i in range(4)]

    async def scenario(client):
        await signed_in(client)
        first = await (await client.get("/admin")).text()
        second = await (await client.get("/admin?page=2")).text()
        assert numbers[0] in first and numbers[3] in first and 'rel="next"' in first
        assert numbers[2] in second and numbers[1] in second and 'rel="next"' not in second

    run(web_bot, settings, scenario)


# ---------------------------------------------------------------- the case detail


def test_case_detail_masks_until_reveal_which_is_audited(web_bot, settings):
    number = file_report(web_bot, "Student Jane Doe is named in the post.",
                         link="https://facebook.com/p/123", category="student_identified")

    async def scenario(client):
        token = await signed_in(client)
        html = await (await client.get(f"/admin/cases/{number}")).text()
        assert "Jane Doe" not in html and "facebook.com/p/123" not in html
        assert "Hidden until revealed: the description (" in html and "the link" in html
        assert "may identify a student" in html
        assert "BUL-5688.0" in html  # matched clauses with their text
        response = await client.post(f"/admin/cases/{number}/reveal", data={"csrf": token})
        html = await response.text()
        assert "Jane Doe" in html and "facebook.com/p/123" in html
        assert 'data-action="revealed"' in html

    run(web_bot, settings, scenario)
    trail = next(web_bot.storage.db.query(
        "SELECT actor FROM case_events WHERE case_number = ? AND action = 'revealed'",
        [number]))
    assert trail["actor"] == "web:admin"


def test_case_actions_claim_assign_status_note_ask(web_bot, settings):
    number = file_report(web_bot)

    async def scenario(client):
        token = await signed_in(client)
        base = f"/admin/cases/{number}"
        r = await client.post(base + "/claim", data={"csrf": token})
        assert f"You now have case {number}" in await r.text()
        r = await client.post(base + "/assign", data={"csrf": token, "value": "slack:UADMIN"})
        assert "assigned to slack:UADMIN" in await r.text()
        r = await client.post(base + "/status", data={"csrf": token, "value": "triaged"})
        assert "is now triaged" in await r.text()
        r = await client.post(base + "/status", data={"csrf": token, "value": "resolved"})
        assert "flash error" in await r.text()  # not allowed from triaged
        r = await client.post(base + "/note", data={"csrf": token, "value": "Called HR."})
        assert "Called HR." in await r.text()
        r = await client.post(base + "/ask", data={"csrf": token, "value": "Which account?"})
        html = await r.text()
        assert "Which account?" in html
        r = await client.post(base + "/status", data={"csrf": token,
                                                      "value": "dismissed duplicate"})
        html = await r.text()
        assert "dismissed (duplicate)" in html and 'id="status-form"' not in html
        r = await client.post(base + "/explode", data={"csrf": token, "value": "x"})
        assert "no case action called" in await r.text()
        assert (await client.get("/admin/cases/2026-9999")).status == 404
        assert (await client.get("/admin/cases/nonsense")).status == 404

    run(web_bot, settings, scenario)
    assert {"status_changed", "assigned", "note_added", "question_asked"} <= set(events(web_bot, number))


def test_stored_html_is_shown_inert(web_bot, settings):
    number = file_report(web_bot, XSS)
    web_bot.cases.add_note(number, XSS, "web:admin")
    web_bot.cases.ask_reporter(number, XSS, "web:admin")

    async def scenario(client):
        token = await signed_in(client)
        response = await client.post(f"/admin/cases/{number}/reveal", data={"csrf": token})
        html = await response.text()
        assert "<script>window" not in html and "<img src=x" not in html
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html

    run(web_bot, settings, scenario)


def test_export_csv_is_recorded(web_bot, settings):
    number = file_report(web_bot, "=HYPERLINK(\"http://evil\")")

    async def scenario(client):
        token = await signed_in(client)
        response = await client.post("/admin/export", data={"csrf": token, "details": "yes"})
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig"))))
        assert rows[0]["number"] == number
        assert rows[0]["description"].startswith("'=")

    run(web_bot, settings, scenario)
    exported = list(web_bot.storage.db.query(
        "SELECT actor FROM case_events WHERE action = 'exported'"))
    assert exported == [{"actor": "web:admin"}]


def test_gaps_and_overview_pages(web_bot, settings):
    from bot.models import Incoming

    for text in ("what is the parking policy", "what's the parking policy?"):
        web_bot.handle(Incoming(text=text, conversation_id="t", platform="web"))
    number = file_report(web_bot)
    web_bot.cases.set_status(number, "triaged", "web:admin")

    async def scenario(client):
        await signed_in(client)
        html = await (await client.get("/admin/gaps")).text()
        assert "parking policy" in html
        html = await (await client.get("/admin/overview")).text()
        assert html.count("<svg") == 6 and "Questions per day" in html
        assert 'id="median-triage"' in html

    run(web_bot, settings, scenario)


def test_a_console_account_administers_cases_until_it_is_removed(bot, settings):
    """build_bot makes every console account a case administrator (not only those in
    POLICYBOT_ADMINS); removing the account takes that away in the core too."""
    add_admin(bot, "newadmin", "newadmin password")
    assert "web:newadmin" not in settings.admins
    assert bot.cases.is_admin("web:newadmin")
    number = file_report(bot)

    async def scenario(client):
        await sign_in(client, "newadmin", "newadmin password")
        response = await client.get(f"/admin/cases/{number}")
        assert response.status == 200, await response.text()

    run(bot, settings, scenario)
    AdminAccounts(bot.storage).remove("newadmin")
    assert not bot.cases.is_admin("web:newadmin")


def test_every_console_account_is_a_case_administrator(bot, settings):
    """docs/web.md: a console account needs no POLICYBOT_ADMINS entry."""
    assert "web:maria" not in settings.admins
    add_admin(bot, "maria", ADMIN_PASSWORD)
    number = file_report(bot)

    async def scenario(client):
        assert (await sign_in(client, name="maria")).status == 303
        response = await client.get(f"/admin/cases/{number}")
        assert response.status == 200 and number in await response.text()

    run(bot, settings, scenario)
    assert bot.cases.is_admin("web:maria") and not bot.cases.is_admin("web:nobody")


def test_reporter_answers_stay_hidden_until_reveal(web_bot, settings):
    from bot.models import Incoming

    result = web_bot.reports.submit_form(
        Incoming(text="", conversation_id="web-chat:answers", user_id="web-chat:answers",
                 platform="web"),
        {"category": "harassing", "danger": "no", "platform": "facebook", "link": "",
         "when": "", "target": "employee", "description": "A post about a colleague.",
         "identity": "anonymous"})
    number = result.case_number
    key = next(r.data["case_key"] for r in result.replies if r.data.get("case_key"))
    web_bot.cases.ask_reporter(number, "Which account posted it?", "web:admin")
    web_bot.cases.answer_as_reporter(key, None, "It was Zebulon Quartermaine's page.")

    async def scenario(client):
        token = await signed_in(client)
        html = await (await client.get(f"/admin/cases/{number}")).text()
        assert "Which account posted it?" in html  # the administrators' own question
        assert "Zebulon" not in html and "(hidden until revealed)" in html
        html = await (await client.post(f"/admin/cases/{number}/reveal",
                                        data={"csrf": token})).text()
        assert "Zebulon Quartermaine" in html

    run(web_bot, settings, scenario)


def test_my_cases_link_assignee_picker_and_unknown_assignee(web_bot, settings):
    mine = file_report(web_bot)
    other = file_report(web_bot)

    async def scenario(client):
        token = await signed_in(client)
        page = await (await client.get(f"/admin/cases/{mine}")).text()
        picker = re.search(r'<select name="value" id="assign-value">(.*?)</select>', page, re.S)
        assert re.findall(r'<option value="([^"]+)">([^<]+)<', picker.group(1)) == [
            ("web:admin", "admin (console)"), ("slack:UADMIN", "Slack user UADMIN"),
            ("teams:admin-1", "Teams user admin-1")]
        assert 'name="value" id="assign-value" rows' not in page  # no free-text box
        r = await client.post(f"/admin/cases/{mine}/assign",
                              data={"csrf": token, "value": "web:nobody"})
        assert "flash error" in (text := await r.text())
        assert "web:nobody is not a case administrator" in text
        await client.post(f"/admin/cases/{mine}/claim", data={"csrf": token})
        await client.post(f"/admin/cases/{other}/assign",
                          data={"csrf": token, "value": "slack:UADMIN"})
        listing = await (await client.get("/admin")).text()
        link = re.search(r'<a class="count" href="([^"]+)" id="my-cases">My cases</a>', listing)
        assert link.group(1) == "/admin?assignee=web%3Aadmin"
        rows = re.findall(r'data-number="([^"]+)"', await (await client.get(link.group(1))).text())
        assert rows == [mine]
        filtered = await (await client.get("/admin?assignee=slack%3AUADMIN")).text()
        assert re.findall(r'data-number="([^"]+)"', filtered) == [other]
        assert '<option value="slack:UADMIN" selected>Slack user UADMIN</option>' in filtered
        gone = await (await client.get("/admin?assignee=slack%3AUFORMER")).text()  # not an
        assert '<option value="slack:UFORMER" selected>slack:UFORMER</option>' in gone  # admin now

    run(web_bot, settings, scenario)
