"""In a real Chromium: an administrator uploads a bulletin's PDF on the Knowledge page,
previews its clauses, publishes it, and the chat answers from it (the real model)."""

from __future__ import annotations

import pytest
from browser.helpers import ADMIN_NAME, ADMIN_PASSWORD

from bot.config import Settings
from testkit.bulletin_documents import guideline_lines, referenced_bulletins_only, write_pdf

pytestmark = [pytest.mark.browser, pytest.mark.model]


@pytest.fixture
def settings(tmp_path):
    """policybot knowing BUL-5167.0 and BUL-999.4 only: BUL-5688.0 comes from the PDF."""
    folder = referenced_bulletins_only(tmp_path / "knowledge")
    return Settings.from_env({"POLICYBOT_DB": str(tmp_path / "p.db"),
                              "POLICYBOT_KNOWLEDGE_DIR": str(folder)})


@pytest.fixture
def bot(settings, real_encoder):
    from bot.app import build_bot

    return build_bot(settings, encoder=real_encoder)


def test_upload_preview_publish_then_the_chat_answers_from_the_pdf(server, browser, tmp_path):
    pdf = write_pdf(tmp_path / "BUL-5688.0.pdf", guideline_lines())
    page = browser.new_page()
    page.goto(server.url + "/admin/knowledge")
    page.fill("input[name=name]", ADMIN_NAME)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/admin/knowledge")
    page.set_input_files("input[name=file]", str(pdf))
    page.fill("input[name=effective]", "2012-03-01")
    page.click("#upload")
    page.wait_for_url("**/admin/knowledge/drafts/*")
    ids = page.locator("#clauses .clause-id").all_inner_texts()
    assert ids == [f"BUL-5688.0#{n}" for n in range(1, 7)]
    page.screenshot(path=str(tmp_path / "knowledge-preview.png"), full_page=True)
    page.click("#publish")
    page.wait_for_url(server.url + "/admin/knowledge")
    assert "Published BUL-5688.0: 6 clauses" in page.inner_text(".flash")
    assert "published" in page.inner_text("#knowledge-trail")

    page.goto(server.url + "/")
    page.fill("#text", "Does the District reserve the right to monitor users' online "
                       "activities?")
    page.press("#text", "Enter")
    turn = page.locator(".turn").last
    turn.locator("a.citation").first.wait_for()
    assert turn.locator("a.citation").first.inner_text() == "BUL-5688.0#5"
    assert "reserves the right to monitor" in turn.locator("blockquote strong").inner_text()
    assert "effective 2012-03-01" in turn.inner_text()
