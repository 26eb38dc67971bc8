"""The knowledge-gaps loop: attach a missed question to the clause that answers it, or mark
it as not covered; the next answer reflects it; the change is in the trail."""

from __future__ import annotations

import shutil

import pytest
from browser.helpers import ADMIN_NAME, ADMIN_PASSWORD, add_admin, csrf_from, run

from bot.config import DEFAULT_KNOWLEDGE_DIR, Settings
from bot.models import Incoming
from knowledge.curation import CurationError, attach_question, mark_not_covered
from knowledge.intake import prepare, publish
from knowledge.loader import load_knowledge
from testkit.bulletin_documents import guideline_lines, write_pdf

MISSED = "may I share a video of my class play on my own youtube channel"


@pytest.fixture
def folder(tmp_path):
    out = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, out)
    return out


def test_attaching_to_a_hand_written_file_adds_one_line_and_nothing_else(folder):
    before = (folder / "BUL-5688.0.yaml").read_text(encoding="utf-8").splitlines()
    assert attach_question(folder, "BUL-5688.0#3", MISSED) == "BUL-5688.0.yaml"
    after = (folder / "BUL-5688.0.yaml").read_text(encoding="utf-8").splitlines()
    added = [line for line in after if line not in before]
    assert added == [f'      - "{MISSED}"'] and len(after) == len(before) + 1
    assert load_knowledge(folder).get("BUL-5688.0#3").questions[-1] == MISSED
    attach_question(folder, "BUL-5688.0#3", MISSED.upper())  # already there: no change
    assert (folder / "BUL-5688.0.yaml").read_text(encoding="utf-8").splitlines() == after


def test_attaching_to_a_clause_added_from_a_pdf(tmp_path):
    folder = tmp_path / "k"
    folder.mkdir()
    publish(prepare(write_pdf(tmp_path / "b.pdf", guideline_lines()), folder), folder)
    attach_question(folder, "BUL-5688.0#3", MISSED)
    assert load_knowledge(folder).get("BUL-5688.0#3").questions == (MISSED,)


def test_an_unknown_clause_or_an_empty_question_changes_nothing(folder):
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(CurationError, match="no entry 'BUL-0.0#9'"):
        attach_question(folder, "BUL-0.0#9", MISSED)
    with pytest.raises(CurationError, match="A question of 1 to 1000 characters"):
        mark_not_covered(folder, "   ")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_gaps_page_attach_and_not_covered_change_the_next_answer(folder, tmp_path,
                                                                fake_encoder):
    from bot.app import build_bot

    settings = Settings.from_env({"POLICYBOT_DB": str(tmp_path / "p.db"),
                                  "POLICYBOT_KNOWLEDGE_DIR": str(folder),
                                  "POLICYBOT_ADMINS": "web:admin"})
    bot = build_bot(settings, encoder=fake_encoder)
    add_admin(bot)
    covered = "can I post photos of my students?"
    assert bot.handle(Incoming(covered, "t", "cli:local"))[0].status == "answered"
    bot.handle(Incoming(MISSED, "t", "cli:local"))  # logged as a question for the gaps page

    async def scenario(client):
        page = await client.get("/admin/login")
        await client.post("/admin/login", data={
            "csrf": csrf_from(await page.text()), "name": ADMIN_NAME,
            "password": ADMIN_PASSWORD, "next": "/admin/gaps"})
        gaps = await (await client.get("/admin/gaps")).text()
        assert 'action="/admin/knowledge/attach"' in gaps
        csrf = csrf_from(gaps)
        done = await client.post("/admin/knowledge/attach", data={
            "csrf": csrf, "question": MISSED, "entry": "BUL-5688.0#3"})
        assert "Attached to BUL-5688.0#3" in await done.text()
        done = await client.post("/admin/knowledge/not-covered", data={
            "csrf": csrf, "question": covered})
        assert "Marked as not covered" in await done.text()
        forged = await client.post("/admin/knowledge/not-covered", data={
            "csrf": "forged", "question": "anything"}, allow_redirects=False)
        assert forged.status == 403

    run(bot, settings, scenario)
    ranked, _ = bot.retriever.rank(MISSED)
    assert ranked[0].entry.id == "BUL-5688.0#3" and ranked[0].semantic > 0.99
    assert bot.handle(Incoming(covered, "t2", "cli:local"))[0].status == "no_answer"
    actions = [r["action"] for r in bot.storage.db.query(
        "SELECT action FROM knowledge_events ORDER BY id")]
    assert actions == ["question_attached", "marked_not_covered"]
