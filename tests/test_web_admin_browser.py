"""The admin console in a real headless Chromium (issue 14, items 10, 11 and 13):
revealing in place, exports that follow the filters, the overview's range and
click-through. The fake encoder is enough: nothing here depends on which clause answers."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from browser.helpers import file_report, sign_in_page

pytestmark = pytest.mark.browser
STUDENT = "Student Jane Doe is named in the post."


@pytest.fixture
def page(server, browser):
    """The console, signed in (instead of the chat page of conftest.py)."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    sign_in_page(page, server.url)
    yield page
    context.close()


def trail(bot, number, action):
    return bot.storage.db.execute("SELECT COUNT(*) FROM case_events WHERE case_number = ? "
                                  "AND action = ?", [number, action]).fetchone()[0]


def test_reveal_shows_the_details_in_place_and_a_reload_masks_them_again(page, server, bot):
    number = file_report(bot, STUDENT, category="student_identified",
                         link="https://facebook.com/p/123")
    address = server.url + f"/admin/cases/{number}"
    page.goto(address)
    masked = page.inner_text("#description-masked")
    assert "the description (" in masked and "the link" in masked
    assert "may identify a student" in masked and "Jane Doe" not in page.content()
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.click("#do-reveal")
    page.wait_for_selector("#description")
    assert STUDENT in page.inner_text("#description")
    assert "facebook.com/p/123" in page.inner_text("#report")
    assert page.url == address  # the same page, still its GET address
    assert page.locator('#audit li[data-action="revealed"]').count() == 1
    assert page.locator("#do-reveal").count() == 0
    assert posts == [address + "/reveal"]
    page.reload()
    assert "Jane Doe" not in page.content() and page.locator("#description-masked").count()
    assert posts == [address + "/reveal"]  # the reload sent no POST
    assert trail(bot, number, "revealed") == 1
    assert trail(bot, number, "viewed") == 1  # opening, revealing and reloading: one visit
    page.reload()
    assert trail(bot, number, "viewed") == 1


def test_the_masked_note_says_student_only_when_the_case_may_identify_one(page, server, bot):
    number = file_report(bot, "A post mocks a colleague's accent.", category="harassing")
    page.goto(server.url + f"/admin/cases/{number}")
    masked = page.inner_text("#description-masked")
    assert "the description (" in masked and "student" not in masked
    assert "link" not in masked  # no link was given: nothing is said to be hidden


def download(page, button):
    with page.expect_download() as info:
        page.click(button)
    raw = open(info.value.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads it right
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_export_follows_the_filters_and_details_are_a_logged_choice(page, server, bot):
    file_report(bot, "A post mocks a colleague.", category="bullying")
    target = file_report(bot, "Señora García's student is named.", category="student_identified")
    page.goto(server.url + "/admin")
    page.select_option("select[name=category]", "student_identified")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*category=student_identified.*"))
    rows = download(page, "#export-masked")
    assert [r["number"] for r in rows] == [target]
    assert rows[0]["description"] == "(hidden)" and "García" not in json.dumps(rows)
    assert rows[0]["created_at"].endswith("+00:00")
    rows = download(page, "#export-details")
    assert rows[0]["description"] == "Señora García's student is named."
    logged = [json.loads(r["detail"]) for r in bot.storage.db.query(
        "SELECT detail FROM case_events WHERE action = 'exported' ORDER BY id")]
    assert logged == [
        {"rows": 1, "filters": {"category": "student_identified"}, "details": False},
        {"rows": 1, "filters": {"category": "student_identified"}, "details": True}]


def test_overview_has_a_range_and_every_case_chart_opens_the_filtered_list(page, server, bot):
    for category in ("bullying", "bullying", "harassing"):
        file_report(bot, "A post.", category=category)
    first = file_report(bot, "A post.", category="threatening")
    bot.cases.assign(first, "web:admin", "web:admin")
    page.goto(server.url + "/admin/overview")
    assert "All cases: 4" in page.inner_text("#total-cases")
    today = datetime.now(UTC).date()
    page.fill("#range input[name=since]", (today + timedelta(days=1)).isoformat())
    page.click("#range button[type=submit]")
    page.wait_for_url(re.compile(r".*since=.*"))
    assert page.inner_text("#total-cases").endswith(": 0")
    page.fill("#range input[name=since]", today.isoformat())
    page.click("#range button[type=submit]")
    page.wait_for_url(re.compile(rf".*since={today}.*"))
    assert page.inner_text("#total-cases").endswith(": 4")
    overview = page.url
    for chart, label, expected in (("#chart-category", "Bullying", 2),
                                   ("#chart-status", "new", 4),
                                   ("#chart-assignee", "web:admin", 1),
                                   ("#chart-assignee", "Unassigned", 3),
                                   ("#chart-age", "Opened today", 4)):
        page.goto(overview)
        page.locator(f"{chart} a.bar-link", has_text=label).first.click()
        page.wait_for_url(re.compile(r".*/admin\?.*"))
        assert f"since={today}" in page.url
        assert page.locator("#case-table tbody tr[data-number]").count() == expected, chart
    page.goto(overview)
    page.click("#total-cases")
    page.wait_for_url(re.compile(rf".*/admin\?since={today}$"))
    assert page.locator("#case-table tbody tr[data-number]").count() == 4


def test_reveal_after_the_session_ended_goes_to_sign_in_and_reveals_nothing(page, server,
                                                                            bot):
    number = file_report(bot, STUDENT, category="student_identified")
    page.goto(server.url + f"/admin/cases/{number}")
    page.context.clear_cookies()  # signed out meanwhile (another tab, expiry)
    page.click("#do-reveal")
    page.wait_for_url(re.compile(r".*/admin/login.*"))
    assert "Jane Doe" not in page.content() and trail(bot, number, "revealed") == 0
