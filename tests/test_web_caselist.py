"""The console's case list for everyday casework, in a real headless Chromium (issue 14,
items 9, 12, 14): duplicates, age and overdue, the unread-reply marker, bulk status change,
times in the district's zone, and a list that fits a 390 px phone. The fake encoder is
enough: nothing here depends on which policy clause answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from browser.helpers import ADMIN_PASSWORD, add_admin, file_report, sign_in_page

pytestmark = pytest.mark.browser
LINK = "https://www.Instagram.com/p/abc123/"


@pytest.fixture
def settings(settings):
    return settings.with_(admins=settings.admins | {"web:second"},
                          target_hours=(("urgent", 4), ("normal", 72)))


@pytest.fixture
def bot(bot):
    add_admin(bot, "second", ADMIN_PASSWORD)  # besides the `server` fixture's ADMIN_NAME
    return bot


def reported_ago(bot, number, hours):
    stamp = (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")
    with bot.storage.write() as db:
        db.execute("UPDATE cases SET created_at = ? WHERE number = ?", [stamp, number])
    return stamp


def los_angeles(stamp):
    """What the page should say, worked out here with the standard library."""
    local = datetime.fromisoformat(stamp).astimezone(ZoneInfo("America/Los_Angeles"))
    return local.strftime("%a %-d %b %Y, %-I:%M %p %Z")


def events(bot, number, action):
    return [dict(r) for r in bot.storage.db.query(
        "SELECT actor, detail FROM case_events WHERE case_number = ? AND action = ? "
        "ORDER BY id", [number, action])]


def row(page, number):
    return page.locator(f"#case-table tr[data-number='{number}']")


def test_the_case_list_fits_a_390px_phone_as_cards(bot, server, browser, tmp_path):
    add_admin(bot, "someone-with-a-very-long-account-name")  # cases go to administrators
    for i in range(4):
        number = file_report(bot, f"Report {i}", danger="yes" if i == 0 else "no",
                             link=f"https://facebook.com/a-rather-long-path/{i}" * 3)
        bot.cases.assign(number, "web:someone-with-a-very-long-account-name", "web:admin")
    page = sign_in_page(browser.new_page(viewport={"width": 390, "height": 844}), server.url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    first = row(page, "2026-0001")
    assert first.bounding_box()["width"] <= 390
    # a card: the labels stand before the values, the header row is hidden
    assert not page.locator("#case-table thead").is_visible()
    labels = first.locator("td[data-label]").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)")
    assert labels[-3:] == ['"Assignee"', '"Reported"', '"Age"']
    page.screenshot(path=str(tmp_path / "cases-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})  # a desktop still gets the table
    assert page.locator("#case-table thead").is_visible()


def test_times_are_in_the_district_zone_with_age_and_overdue_is_highlighted(bot, server,
                                                                            browser):
    late = file_report(bot, "Urgent and waiting", danger="yes")
    fresh = file_report(bot, "Urgent but new", danger="yes")
    waiting = file_report(bot, "Normal, two days", danger="no")
    stamp = reported_ago(bot, late, 6)
    reported_ago(bot, fresh, 1)
    reported_ago(bot, waiting, 49)
    page = sign_in_page(browser.new_page(), server.url)
    assert "overdue" in row(page, late).locator("td.age").inner_text()
    assert "6 hours" in row(page, late).locator("td.age").inner_text()
    assert "overdue" not in row(page, fresh).inner_text()
    assert "overdue" not in row(page, waiting).inner_text()  # 49 h of a 72 h target
    assert "2 days" in row(page, waiting).locator("td.age").inner_text()
    assert row(page, late).locator("time").inner_text() == los_angeles(stamp)
    page.click(f"a[href='/admin/cases/{late}']")
    assert page.locator("#overdue").is_visible()
    facts = page.inner_text("#facts")
    assert "6 hours, overdue (target 4 hours)" in facts
    assert f"{los_angeles(stamp)} (6 hours ago)" in facts
    # resolving it: a closed case is never overdue
    bot.cases.set_status(late, "triaged", "web:admin")
    bot.cases.set_status(late, "investigating", "web:admin")
    bot.cases.close(late, "Post removed.", "web:admin")
    page.goto(server.url + "/admin")
    assert "overdue" not in row(page, late).inner_text()


def test_a_reporters_answer_is_unread_for_each_admin_until_they_open_it(bot, server,
                                                                        browser):
    number = file_report(bot, "Named report", identity="named", user="slack:UREPORTER")
    other = file_report(bot, "Nobody answered here")
    bot.cases.ask_reporter(number, "Which school?", "web:admin")
    page = sign_in_page(browser.new_page(), server.url)
    assert row(page, number).locator(".badge.unread").count() == 0  # nothing answered yet
    bot.cases.answer_as_reporter("slack:UREPORTER", number, "Roosevelt High.")
    page.reload()
    assert row(page, number).locator(".badge.unread").inner_text() == "new reply"
    assert row(page, other).locator(".badge.unread").count() == 0
    page.click(f"a[href='/admin/cases/{number}']")
    page.click("a[href='/admin']")
    assert row(page, number).locator(".badge.unread").count() == 0
    # per administrator: still unread for them
    second = sign_in_page(browser.new_page(), server.url, "second")
    assert row(second, number).locator(".badge.unread").count() == 1
    bot.cases.answer_as_reporter("slack:UREPORTER", number, "And it was on Friday.")
    page.reload()
    assert row(page, number).locator(".badge.unread").count() == 1  # a new answer again


def test_bulk_status_change_acts_per_case_and_lists_refusals(bot, server, browser):
    a, b, c = (file_report(bot, f"Report {i}") for i in range(3))
    for status in ("triaged", "investigating"):
        bot.cases.set_status(c, status, "web:admin")
    bot.cases.close(c, "Post removed.", "web:admin")  # closed: it cannot be triaged
    page = sign_in_page(browser.new_page(), server.url)
    for number in (a, b, c):
        row(page, number).locator("input[name=number]").check()
    page.select_option("#bulk-value", "triaged")
    page.click("#do-bulk")
    assert sorted(page.locator("#changed li").all_inner_texts()) == [a, b]
    refused = page.locator(f"#refused li[data-number='{c}']").inner_text()
    assert "is resolved; it cannot become triaged" in refused
    for number in (a, b):
        [entry] = events(bot, number, "status_changed")
        assert entry["actor"] == "web:admin" and '"to": "triaged"' in entry["detail"]
    assert len(events(bot, c, "status_changed")) == 3  # only the three made above
    page.click("#back")
    assert row(page, a).locator(".badge").first.inner_text() == "triaged"
    # "select every case on this page" ticks them all; unticking one leaves it out
    page.check("#select-all")
    assert all(box.is_checked() for box in page.locator("input[name=number]").all())
    row(page, c).locator("input[name=number]").uncheck()
    assert page.evaluate("document.getElementById('select-all').indeterminate")
    page.select_option("#bulk-value", "investigating")
    page.click("#do-bulk")
    assert sorted(page.locator("#changed li").all_inner_texts()) == [a, b]
    assert page.locator("#refused").count() == 0
    page.click("#back")
    # with nothing ticked, nothing happens and the admin is told why
    page.select_option("#bulk-value", "dismissed duplicate")
    page.click("#do-bulk")
    assert "Tick at least one case" in page.inner_text("main")


def test_the_same_link_shows_a_possible_duplicate_and_can_be_linked(bot, server, browser):
    first = file_report(bot, "The first report", link=LINK)
    file_report(bot, "Another post", link="https://instagram.com/p/other")
    second = file_report(bot, "The same post again", link="instagram.com/p/abc123")
    page = sign_in_page(browser.new_page(), server.url)
    assert "abc123" not in page.content()  # the list never shows the masked link
    page.goto(f"{server.url}/admin/cases/{second}")
    facts = page.inner_text("#facts")
    assert f"Possible duplicate of\t{first}" in facts or f"Possible duplicate of\n{first}" in facts
    assert "abc123" not in page.content()  # masked: only the number is said
    page.fill("#duplicate-value", first)
    page.click("#do-duplicate")
    assert f"linked as a duplicate of {first}" in page.inner_text(".flash")
    assert "Duplicate of" in page.inner_text("#facts")
    assert "Possible duplicate" not in page.inner_text("#facts")
    [entry] = events(bot, second, "duplicate_linked")
    assert entry["actor"] == "web:admin" and first in entry["detail"]
    page.goto(f"{server.url}/admin/cases/{first}")
    assert second in page.inner_text("#facts")  # "Duplicates linked to it"
    page.goto(f"{server.url}/admin/cases/{second}")
    page.click("#do-unlink")
    assert "no longer linked" in page.inner_text(".flash")
    assert len(events(bot, second, "duplicate_unlinked")) == 1
    assert "Possible duplicate of" in page.inner_text("#facts")
