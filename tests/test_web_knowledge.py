"""The console's Knowledge page over HTTP: upload a bulletin, preview, publish or discard;
bad uploads get a message and change nothing; every step is in the trail."""

from __future__ import annotations

import shutil

import pytest
from aiohttp import FormData
from browser.helpers import ADMIN_NAME, ADMIN_PASSWORD, add_admin, csrf_from, run

from bot.config import DEFAULT_KNOWLEDGE_DIR, Settings
from bot.models import Incoming
from testkit.bulletin_documents import guideline_lines, write_pdf


@pytest.fixture
def kb_bot(tmp_path, fake_encoder):
    from bot.app import build_bot

    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, folder)
    settings = Settings.from_env({"POLICYBOT_DB": str(tmp_path / "p.db"),
                                  "POLICYBOT_KNOWLEDGE_DIR": str(folder)})
    bot = build_bot(settings, encoder=fake_encoder)
    add_admin(bot)
    return bot, settings, folder


async def sign_in(client) -> str:
    page = await client.get("/admin/login")
    await client.post("/admin/login", data={"csrf": csrf_from(await page.text()),
                                            "name": ADMIN_NAME, "password": ADMIN_PASSWORD,
                                            "next": "/admin"})
    page = await client.get("/admin/knowledge")
    assert page.status == 200
    return csrf_from(await page.text())


def upload_form(csrf: str | None, name: str, data: bytes, **fields) -> FormData:
    form = FormData()
    if csrf is not None:
        form.add_field("csrf", csrf)
    for key, value in fields.items():
        form.add_field(key, value)
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    return form


def trail(bot) -> list[str]:
    return [r["action"] for r in bot.storage.db.query(
        "SELECT action FROM knowledge_events ORDER BY id")]


def test_upload_preview_publish_and_the_bot_answers_from_it(kb_bot, tmp_path):
    bot, settings, folder = kb_bot
    pdf = write_pdf(tmp_path / "BUL-5688.1.pdf", guideline_lines(), bulletin="BUL-5688.1")

    async def scenario(client):
        csrf = await sign_in(client)
        response = await client.post("/admin/knowledge/upload", data=upload_form(
            csrf, "BUL-5688.1.pdf", pdf.read_bytes(), effective="2015-08-01",
            supersedes="BUL-5688.0"), allow_redirects=False)
        assert response.status == 303, await response.text()
        preview = await client.get(response.headers["Location"])
        html = await preview.text()
        assert "BUL-5688.1#6" in html and "school approved website" in html
        assert not (folder / "BUL-5688.1.yaml").exists()  # nothing changes before publish
        action = response.headers["Location"] + "/publish"
        done = await client.post(action, data={"csrf": csrf}, allow_redirects=False)
        assert done.status == 303
        page = await (await client.get("/admin/knowledge")).text()
        assert "Published BUL-5688.1: 6 clauses" in page
        assert "superseded by BUL-5688.1" in page

    run(bot, settings, scenario)
    assert (folder / "BUL-5688.1.yaml").exists()
    assert trail(bot) == ["uploaded", "published"]
    [shown] = bot.handle(Incoming("show BUL-5688.1#3", "t", "cli:local"))
    assert shown.kind == "answered" and "effective 2015-08-01" in shown.text
    assert {e.bulletin for e in bot.retriever.kb.entries} >= {"BUL-5688.1"}
    assert "BUL-5688.0" not in {e.bulletin for e in bot.retriever.kb.entries}


def test_discard_changes_nothing_and_is_recorded(kb_bot, tmp_path):
    bot, settings, folder = kb_bot
    pdf = write_pdf(tmp_path / "x.pdf", guideline_lines(), bulletin="BUL-5688.1")
    before = sorted(p.name for p in folder.iterdir())

    async def scenario(client):
        csrf = await sign_in(client)
        response = await client.post("/admin/knowledge/upload", data=upload_form(
            csrf, "x.pdf", pdf.read_bytes()), allow_redirects=False)
        location = response.headers["Location"]
        await client.post(location + "/discard", data={"csrf": csrf})
        gone = await client.get(location)
        assert "There is no pending draft" in await gone.text()
        late = await client.post(location + "/publish", data={"csrf": csrf})
        assert "There is no pending draft" in await late.text()

    run(bot, settings, scenario)
    assert sorted(p.name for p in folder.iterdir()) == before
    assert trail(bot) == ["uploaded", "discarded"]


@pytest.mark.parametrize("name, data, message", [
    ("notes.txt", b"1. Keep accounts separate.", "choose a bulletin as DOCX, HTML, PDF"),
    ("broken.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 10, "the PDF is damaged"),
    ("letter.docx", b"PK\x03\x04 not really a zip", "is not a Word .docx file"),
    ("huge.pdf", b"%PDF-1.4\n" + b"0" * (21 * 1024 * 1024), "larger than 20 MB"),
])
def test_a_bad_upload_gets_a_message_and_changes_nothing(kb_bot, name, data, message):
    bot, settings, folder = kb_bot
    before = sorted(p.name for p in folder.iterdir())

    async def scenario(client):
        csrf = await sign_in(client)
        response = await client.post("/admin/knowledge/upload",
                                     data=upload_form(csrf, name, data))
        assert response.status == 200
        assert message in await response.text()

    run(bot, settings, scenario)
    assert sorted(p.name for p in folder.iterdir()) == before
    assert trail(bot) in ([], ["refused"])


def test_upload_needs_a_session_and_the_csrf_token(kb_bot, tmp_path):
    bot, settings, folder = kb_bot
    pdf = write_pdf(tmp_path / "x.pdf", guideline_lines(), bulletin="BUL-5688.1").read_bytes()

    async def scenario(client):
        anonymous = await client.post("/admin/knowledge/upload",
                                      data=upload_form("x", "x.pdf", pdf),
                                      allow_redirects=False)
        assert anonymous.status == 303
        assert anonymous.headers["Location"].startswith("/admin/login")
        await sign_in(client)
        forged = await client.post("/admin/knowledge/upload",
                                   data=upload_form("not-the-token", "x.pdf", pdf))
        assert forged.status == 403

    run(bot, settings, scenario)
    assert trail(bot) == []
