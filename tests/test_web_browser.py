"""The chat and the admin console in a real headless Chromium (Debian package).

Skipped only when /usr/bin/chromium is missing. The server runs the real model (the
`model_bot` fixture), as users get it.
"""

import re

import pytest
from browser.helpers import file_report, send_chat, sign_in_page

pytestmark = [pytest.mark.browser, pytest.mark.model]
XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'


@pytest.fixture
def bot(model_bot):
    """The browser tests show what users get: the real model answers."""
    return model_bot


def press(page, label):
    before = page.locator(".turn").count()
    page.locator(".turn, #log").last.get_by_role("button", name=label, exact=True).last.click()
    page.locator(".turn").nth(before).wait_for()
    return page.locator(".turn").last


def test_chat_answers_with_citation_and_completes_an_anonymous_report(server, browser,
                                                                      tmp_path):
    page = browser.new_page()
    page.goto(server.url + "/")
    assert "policybot" in page.title()
    turn = send_chat(page, "can I friend a parent?")
    assert turn.locator("a.citation").first.inner_text() == "BUL-5688.0#1"
    assert turn.locator("blockquote").count() >= 1
    assert "strongly discouraged" in turn.inner_text()
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
    turn = press(page, "Helpful")
    assert "Thank" in turn.inner_text() or "thank" in turn.inner_text()

    turn = send_chat(page, "report")
    for label in ("Harassing", "No", "Instagram", "Skip", "Skip", "An employee"):
        turn = press(page, label)
    assert page.get_attribute("#text", "placeholder").startswith("Describe")
    turn = send_chat(page, "A post mocks a colleague's accent.")
    turn = press(page, "Anonymous")
    assert "Please review your report" in turn.inner_text()
    turn = press(page, "Submit")
    text = turn.inner_text()
    assert "Your case key" in text
    key = page.inner_text(".case-key")
    assert re.fullmatch(r"([0-9A-Z]{5}-){5}[0-9A-Z]{5}", key) and key in text
    page.click("button.key-saved")  # the composer waits until the key is saved
    turn = send_chat(page, f"status {key}")
    assert re.search(r"Case \d{4}-\d{4}", turn.inner_text())
    assert "new" in turn.inner_text()
    # Old flow buttons are retired so they cannot be pressed out of order.
    assert page.locator(".kind-flow button.cmd:not([disabled])").count() == 0


def test_admin_signs_in_filters_opens_reveals_and_changes_status(server, browser, bot):
    file_report(bot, "Someone mocks a colleague.", category="bullying")
    target = file_report(bot, "Student Jane Doe is named in the post.",
                         category="student_identified")
    page = browser.new_page()
    page.goto(server.url + f"/admin/cases/{target}")
    assert "/admin/login" in page.url  # no session: sent to sign in
    sign_in_page(page, server.url)
    page.select_option("select[name=category]", "student_identified")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*category=student_identified.*"))
    rows = page.locator("#case-table tbody tr")
    assert rows.count() == 1 and target in rows.first.inner_text()
    rows.first.get_by_role("link").click()
    page.wait_for_url(re.compile(rf".*/admin/cases/{target}$"))
    assert "Jane Doe" not in page.content()
    page.click("#do-reveal")
    page.wait_for_selector("#description")
    assert "Jane Doe" in page.inner_text("#description")
    assert page.locator('#audit li[data-action="revealed"]').count() == 1
    page.select_option("#status-value", "triaged")
    page.click("#do-status")
    page.wait_for_selector(".flash.ok")
    assert page.inner_text("#status") == "triaged"
    entry = page.locator('#audit li[data-action="status_changed"]')
    assert entry.count() == 1 and "new → triaged" in entry.inner_text()
    assert "web:admin" in entry.inner_text()


def test_stored_script_never_runs_in_the_chat_or_the_console(server, browser, bot):
    page = browser.new_page()
    page.goto(server.url + "/")
    send_chat(page, "report")
    for label in ("Harassing", "No", "Facebook", "Skip", "Skip", "An employee"):
        press(page, label)
    send_chat(page, XSS)
    turn = press(page, "Anonymous")  # the review echoes the description
    assert "window.__pwned=1" in turn.inner_text()
    press(page, "Submit")
    assert page.evaluate("typeof window.__pwned") == "undefined"

    number = bot.cases.list_cases("web:admin")[0]["number"]
    bot.cases.add_note(number, XSS, "web:admin")
    admin = browser.new_page()
    sign_in_page(admin, server.url)
    admin.goto(server.url + f"/admin/cases/{number}")
    admin.click("#do-reveal")
    admin.wait_for_selector("#description")
    assert "<script>window.__pwned=1</script>" in admin.inner_text("#description")
    admin.wait_for_timeout(300)  # give a broken image's onerror the chance to fire
    assert admin.evaluate("typeof window.__pwned") == "undefined"
    assert admin.locator("#description img, #description script").count() == 0


def test_admin_pages_redirect_to_sign_in_in_the_browser(server, browser):
    page = browser.new_page()
    for path in ("/admin", "/admin/gaps", "/admin/overview", "/admin/cases/2026-0001"):
        page.goto(server.url + path)
        assert "/admin/login" in page.url, path
        assert page.locator("input[name=password]").count() == 1


def test_admin_assigns_from_the_picker_and_finds_it_under_my_cases(server, browser, bot):
    number = file_report(bot, "A post mocks a colleague.", category="bullying")
    page = browser.new_page()
    sign_in_page(page, server.url)
    page.goto(server.url + f"/admin/cases/{number}")
    picker = page.locator("#assign-value")
    assert picker.evaluate("e => e.tagName") == "SELECT"  # a choice, never free text
    assert picker.locator("option").all_inner_texts() == [
        "admin (console)", "Slack user UADMIN", "Teams user admin-1"]
    page.select_option("#assign-value", label="Teams user admin-1")
    page.click("#do-assign")
    page.wait_for_selector(".flash.ok")
    assert f"Case {number} assigned to teams:admin-1." in page.inner_text(".flash.ok")
    page.select_option("#urgency-value", "urgent")
    page.click("#do-urgency")
    page.wait_for_selector(".flash.ok")
    entry = page.locator('#audit li[data-action="urgency_changed"]')
    assert "Normal → Urgent" in entry.inner_text() and "web:admin" in entry.inner_text()
    page.goto(server.url + "/admin")
    page.click("#my-cases")
    page.wait_for_url(re.compile(r".*assignee=web%3Aadmin.*"))
    assert page.locator("#case-table tbody tr[data-number]").count() == 0
    page.goto(server.url + f"/admin/cases/{number}")
    page.click("#do-claim")
    page.wait_for_selector(".flash.ok")
    page.goto(server.url + "/admin")
    page.click("#my-cases")
    page.wait_for_url(re.compile(r".*assignee=web%3Aadmin.*"))
    rows = page.locator("#case-table tbody tr[data-number]")
    assert rows.count() == 1 and number in rows.first.inner_text()
    assert page.locator("#assignee-filter").input_value() == "web:admin"
