"""Everyday use of the browser chat in a real headless Chromium (issue 14: reload, named
reports, the case key, report steps). The fake encoder is enough: nothing here depends on
which policy clause answers."""

from __future__ import annotations

import pytest
from browser.helpers import send_chat, sign_in_page

pytestmark = pytest.mark.browser


def turns(page):
    return page.locator(".turn").count()


def press(page, label):
    before = turns(page)
    page.locator("#log .cmd:not([disabled])", has_text=label).last.click()
    page.locator(".turn").nth(before).wait_for()
    return page.locator(".turn").last


def to_description(page):
    press(page, "Report a post")
    for label in ("Harassing", "Yes", "Instagram"):
        press(page, label)
    send_chat(page, "instagram.com/p/abc")
    send_chat(page, "last tuesday")
    return press(page, "An employee")


def test_a_reload_keeps_the_conversation_and_the_step_and_sends_nothing(page, bot):
    to_description(page)
    before = page.inner_text("#log")
    said = page.locator("#log .msg.user").count()
    assert "call 911" in before  # the emergency guidance
    page.reload()
    page.wait_for_selector("#log .kind-flow")
    after = page.inner_text("#log")
    assert "call 911" in after and "What happened?" in after
    assert page.get_attribute("#text", "placeholder").startswith("Describe")
    assert page.locator("#log .msg.user").count() == said == 7
    assert after.count("What happened?") == 1  # the open step is not shown twice
    turn = send_chat(page, "A real description.")
    assert "Step 8 of 10" in turn.inner_text()
    review = press(page, "Anonymous").inner_text()  # nothing else became the description
    assert "A real description." in review and "help" not in review.lower().split()


def test_welcome_buttons_are_disabled_while_a_report_is_open(page):
    intro = page.locator("#log .kind-intro .cmd")
    assert intro.count() >= 2 and all(intro.nth(i).is_enabled() for i in range(intro.count()))
    press(page, "Report a post")
    assert not any(intro.nth(i).is_enabled() for i in range(intro.count()))
    page.reload()
    page.wait_for_selector("#log .kind-flow")
    intro = page.locator("#log .kind-intro .cmd")
    assert not any(intro.nth(i).is_enabled() for i in range(intro.count()))
    press(page, "Cancel")
    assert all(intro.nth(i).is_enabled() for i in range(intro.count()))


def test_shift_enter_makes_a_new_line_in_the_description(page):
    to_description(page)
    before = turns(page)
    page.click("#text")
    page.keyboard.type("First line.")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("Second line.")
    assert turns(page) == before  # nothing sent yet
    assert page.input_value("#text") == "First line.\nSecond line."
    page.keyboard.press("Enter")
    page.locator(".turn").nth(before).wait_for()
    press(page, "Anonymous")
    review = page.locator(".turn").last.inner_text()
    assert "First line." in review and "Second line." in review
    assert "Step 10 of 10" in review and "https://instagram.com/p/abc" in review


def test_the_case_key_is_monospace_copyable_and_must_be_saved_before_going_on(page, server):
    to_description(page)
    send_chat(page, "A post.")
    press(page, "Anonymous")
    press(page, "Submit")
    key_box = page.locator(".key-box")
    key = key_box.get_attribute("data-case-key")
    assert page.inner_text(".case-key") == key
    font = page.eval_on_selector(".case-key", "e => getComputedStyle(e).fontFamily")
    assert "monospace" in font
    assert "`" not in page.inner_text("#log")
    assert page.is_disabled("#text") and page.is_disabled("#send")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page.click("button.copy-key")
    page.wait_for_selector(".copy-status:has-text('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == key
    page.reload()  # before saving: the key is still there
    page.wait_for_selector(".key-box")
    assert page.get_attribute(".key-box", "data-case-key") == key
    page.click("button.key-saved")
    assert page.is_enabled("#text") and key not in page.inner_text("#log")
    page.reload()
    page.wait_for_selector("#log .kind-receipt")
    assert key not in page.content()
    turn = send_chat(page, f"status {key.lower()}")
    assert "new" in turn.inner_text()


def test_a_named_report_asks_name_and_email_and_a_question_waits_as_a_notice(page, bot):
    to_description(page)
    send_chat(page, "A threatening post.")
    turn = press(page, "Named")
    assert "Step 9 of 10" in turn.inner_text() and "e-mail" in turn.inner_text()
    send_chat(page, "Maria Lopez, maria.lopez@lausd.net")
    receipt = press(page, "Submit").inner_text()
    assert "maria.lopez@lausd.net" in receipt
    number = bot.cases.list_cases("web:admin")[0]["number"]
    bot.cases.ask_reporter(number, "Do you have a screenshot?", "web:admin")
    page.reload()
    notice = page.locator("#log .kind-notice")
    notice.wait_for()
    assert number in notice.inner_text()
    page.reload()
    assert page.locator("#log .kind-notice").count() == 1  # not repeated on each reload
    turn = press(page, "Read and answer it")
    assert "Do you have a screenshot?" in turn.inner_text()


def test_on_a_phone_enter_is_a_new_line_in_the_description_and_send_sends(server, browser):
    context = browser.new_context(has_touch=True, is_mobile=True,
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(server.url + "/")
    to_description(page)
    assert "Shift+Enter" not in page.get_attribute("#text", "placeholder")
    before = turns(page)
    page.click("#text")
    page.keyboard.type("First line.")
    page.keyboard.press("Enter")
    page.keyboard.type("Second line.")
    assert turns(page) == before and page.input_value("#text") == "First line.\nSecond line."
    page.click("#send")
    page.locator(".turn").nth(before).wait_for()
    assert page.locator(".turn").last.get_attribute("class") == "turn"
    assert "Step 8 of 10" in page.locator(".turn").last.inner_text()
    context.close()


def test_the_date_step_offers_a_date_picker(page):
    press(page, "Report a post")
    for label in ("Harassing", "No", "Instagram", "Skip"):
        press(page, label)
    assert page.is_visible("#date-pick")
    page.fill("#date-pick", "2026-01-15")
    assert page.input_value("#text") == "2026-01-15"
    page.press("#text", "Enter")
    page.wait_for_selector("#log .kind-flow[data-step=target]")
    assert not page.is_visible("#date-pick")
    press(page, "Back")
    page.wait_for_selector("#date-pick", state="visible")


def test_the_admin_console_shows_a_web_reporters_contact_on_reveal_and_how_questions_reach_them(
        page, server, bot):
    to_description(page)
    send_chat(page, "A threatening post.")
    press(page, "Named")
    send_chat(page, "Maria Lopez, maria.lopez@lausd.net")
    press(page, "Submit")
    number = bot.cases.list_cases("web:admin")[0]["number"]
    admin = page.context.new_page()  # the `server` fixture added the admin account
    sign_in_page(admin, server.url)
    admin.goto(server.url + f"/admin/cases/{number}")
    assert "maria.lopez@lausd.net" not in admin.inner_text("#facts")  # masked until revealed
    admin.click("#do-reveal")
    admin.wait_for_selector("#description")
    assert "(Maria Lopez, maria.lopez@lausd.net)" in admin.inner_text("#facts")
    assert "browser reporter sees it when they come back" in admin.inner_text("#ask-form")
    admin.fill("#ask-value", "Do you have a screenshot?")
    admin.click("#do-ask")
    flash = admin.locator(".flash.ok")
    flash.wait_for()
    assert "browser chat" in flash.inner_text() and "maria.lopez@lausd.net" in flash.inner_text()
    assert "Question sent" not in flash.inner_text()
