"""`policybot knowledge add`: real PDF, Word and HTML documents become verbatim clauses;
bad input gets a clear message and changes nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.config import DEFAULT_KNOWLEDGE_DIR
from knowledge.documents import IntakeError
from knowledge.intake import prepare, publish
from knowledge.loader import load_knowledge
from policybot.cli import main
from testkit.bulletin_documents import (
    guideline_lines,
    guidelines,
    referenced_bulletins_only,
    write_docx,
    write_html,
    write_pdf,
)

CURATED = {e["id"]: e["text"] for e in yaml.safe_load(
    (DEFAULT_KNOWLEDGE_DIR / "BUL-5688.0.yaml").read_text(encoding="utf-8"))["entries"]}
SIX = [f"BUL-5688.0#{n}" for n in range(1, 7)]


@pytest.fixture
def folder(tmp_path) -> Path:
    """A knowledge folder with the two referenced bulletins and no BUL-5688.0."""
    return referenced_bulletins_only(tmp_path / "knowledge")


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.mark.parametrize("kind", ["pdf", "docx", "html"])
def test_the_six_guidelines_become_clauses_equal_to_the_verbatim_text(tmp_path, folder, kind):
    path = {"pdf": lambda p: write_pdf(p, guideline_lines()),
            "docx": lambda p: write_docx(p, guidelines()),
            "html": lambda p: write_html(p, guidelines())}[kind](tmp_path / f"bul.{kind}")
    draft = prepare(path, folder)  # bulletin number and title as the document states them
    assert draft.bulletin == "BUL-5688.0"
    assert draft.title == "Social Media Policy for Employees and Associated Persons"
    assert [c["id"] for c in draft.clauses] == SIX
    for clause in draft.clauses:
        assert clause["text"] == CURATED[clause["id"]], clause["id"]
        assert clause["verbatim"] is True and "answer" not in clause and "questions" not in clause
    assert draft.clauses[0]["related"] == ["BUL-5167.0"]  # "(BUL – 5167.0, …)" in its text
    assert draft.clauses[4]["related"] == ["BUL-999.4"]
    written = publish(draft, folder)
    kb = load_knowledge(folder)
    assert written.name == "BUL-5688.0.yaml"
    assert [e.id for e in kb.entries if e.bulletin == "BUL-5688.0"] == SIX
    assert all(e.answer == "" and e.questions == () for e in kb.entries
               if e.bulletin == "BUL-5688.0")


def test_the_pdf_layout_is_undone_headers_footers_page_numbers_and_broken_lines(tmp_path,
                                                                                folder):
    path = write_pdf(tmp_path / "bul.pdf", guideline_lines(), per_page=9)  # 4 pages
    texts = " ".join(c["text"] for c in prepare(path, folder).clauses)
    assert "Page " not in texts and "LOS ANGELES" not in texts
    assert texts.count("Social Media Policy for Employees") == 0
    # guideline 5 is broken over a page break: it is whole again
    assert CURATED["BUL-5688.0#5"] in texts


def test_words_hyphenated_by_the_line_break_are_joined_and_real_hyphens_kept(tmp_path, folder):
    body = ["GUIDELINES", "1. Keep personal social network accounts sep-",
            "arate from work related accounts. Invitations are, on a case-by-",
            "case basis, prohibited.",
            "2. Any employee engaging in inappropriate conduct may be subject to discipline."]
    # 8 lines a page: the first hyphenated word is broken over the page break too
    clauses = prepare(write_pdf(tmp_path / "h.pdf", body, per_page=8), folder).clauses
    assert clauses[0]["text"] == ("Keep personal social network accounts separate from work "
                                  "related accounts. Invitations are, on a case-by-case "
                                  "basis, prohibited.")


def test_headed_sections_and_paragraphs_get_ids_from_their_headings_and_stay_stable(tmp_path,
                                                                                  folder):
    md = tmp_path / "phones.md"
    md.write_text("# Staff Use of Cell Phones\n\nBUL-9999.1 · Effective: March 3, 2016\n\n"
                  "## Purpose\n\nThis bulletin sets out when staff may use personal cell\n"
                  "phones during the school day.\n\n## Policy\n\nStaff may not use personal "
                  "phones while supervising\nstudents, except in an emergency.\n\n"
                  "Personal calls are made during breaks, away from students.\n",
                  encoding="utf-8")
    first = prepare(md, folder)
    assert (first.bulletin, first.title, first.effective) == (
        "BUL-9999.1", "Staff Use of Cell Phones", "2016-03-03")
    assert [c["id"] for c in first.clauses] == [
        "BUL-9999.1#purpose", "BUL-9999.1#policy", "BUL-9999.1#policy-2"]
    publish(first, folder)
    again = prepare(md, folder)
    assert [c["id"] for c in again.clauses] == [c["id"] for c in first.clauses]
    assert again.notes[0] == "replaces BUL-9999.1.yaml"


def test_adding_again_keeps_what_an_administrator_added_to_unchanged_clauses(tmp_path,
                                                                           folder):
    pdf = write_pdf(tmp_path / "bul.pdf", guideline_lines())
    publish(prepare(pdf, folder), folder)
    path = folder / "BUL-5688.0.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["entries"][2]["questions"] = ["can I post pictures of my class?"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    publish(prepare(pdf, folder), folder)
    kb = load_knowledge(folder)
    assert kb.get("BUL-5688.0#3").questions == ("can I post pictures of my class?",)


def test_cli_dry_run_prints_the_clauses_and_writes_nothing(tmp_path, folder, monkeypatch):
    monkeypatch.setenv("POLICYBOT_KNOWLEDGE_DIR", str(folder))
    monkeypatch.setenv("POLICYBOT_DB", str(tmp_path / "p.db"))
    before = snapshot(folder)
    pdf = write_pdf(tmp_path / "bul.pdf", guideline_lines())
    result = CliRunner().invoke(main, ["knowledge", "add", str(pdf), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert [c["id"] for c in out["clauses"]] == SIX and out["written"] is None
    assert snapshot(folder) == before


def test_cli_add_writes_the_file_indexes_it_and_lists_it(tmp_path, folder, monkeypatch,
                                                         fake_encoder):
    monkeypatch.setenv("POLICYBOT_KNOWLEDGE_DIR", str(folder))
    monkeypatch.setenv("POLICYBOT_DB", str(tmp_path / "p.db"))
    monkeypatch.setattr("bot.app.load_encoder", lambda: fake_encoder)
    pdf = write_pdf(tmp_path / "bul.pdf", guideline_lines())
    runner = CliRunner()
    result = runner.invoke(main, ["knowledge", "add", str(pdf), "--effective", "2012-03-01",
                                  "--url", "https://example.org/BUL-5688.0.pdf"])
    assert result.exit_code == 0, result.output
    assert "BUL-5688.0#6" in result.output and "Indexed" in result.output
    head = yaml.safe_load((folder / "BUL-5688.0.yaml").read_text(encoding="utf-8"))
    assert head["curated"] is False and head["source_file"] == "bul.pdf"
    assert str(head["effective"]) == "2012-03-01"
    listed = json.loads(runner.invoke(main, ["knowledge", "list", "--json"]).output)
    row = next(r for r in listed if r["bulletin"] == "BUL-5688.0")
    assert (row["clauses"], row["effective"], row["status"]) == (6, "2012-03-01", "in force")
    assert runner.invoke(main, ["knowledge", "check"]).exit_code == 0


# --- bad input: a clear message, nothing changed --------------------------------------------


def _scanned_pdf(path: Path) -> Path:
    """Page 1 has text; page 2 is only an image, like a scanned page."""
    from PIL import Image
    from reportlab.pdfgen import canvas

    image = path.parent / "scan.png"
    Image.new("RGB", (200, 100), "white").save(image)
    pdf = canvas.Canvas(str(path))
    pdf.drawString(72, 700, "1. Keep personal social network accounts separate from work.")
    pdf.showPage()
    pdf.drawImage(str(image), 72, 500, 200, 100)
    pdf.showPage()
    pdf.save()
    return path


def _encrypted_pdf(path: Path) -> Path:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), encrypt="a secret")
    pdf.drawString(72, 700, "1. Keep personal social network accounts separate from work.")
    pdf.save()
    return path


def _corrupt_pdf(path: Path) -> Path:
    good = write_pdf(path.parent / "good.pdf", guideline_lines()).read_bytes()
    path.write_bytes(good[:9] + bytes(range(256)) * 20)
    return path


def _zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (30 * 1024 * 1024))
    return path


def _not_docx(path: Path) -> Path:
    path.write_text("1. Keep personal social network accounts separate.", encoding="utf-8")
    return path


def _other_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("photo.jpg", b"\xff\xd8\xff")
    return path


def _huge(path: Path) -> Path:
    with path.open("wb") as f:
        f.write(b"%PDF-1.4\n")
        f.truncate(21 * 1024 * 1024)
    return path


def _empty_of_clauses(path: Path) -> Path:
    path.write_text("<html><body><nav>Home</nav><p>Draft</p></body></html>", encoding="utf-8")
    return path


def _unsupported(path: Path) -> Path:
    path.write_bytes(b"{\\rtf1 Keep personal accounts separate.}")
    return path


@pytest.mark.parametrize("name, make, message", [
    ("scan.pdf", _scanned_pdf, "page 2 has no text layer"),
    ("locked.pdf", _encrypted_pdf, "encrypted"),
    ("broken.pdf", _corrupt_pdf, "damaged"),
    ("bomb.docx", _zip_bomb, "zip bomb"),
    ("letter.docx", _not_docx, "is not a Word .docx file"),
    ("photos.docx", _other_zip, "no word/document.xml"),
    ("big.pdf", _huge, "21.0 MB; policybot adds documents up to 20 MB"),
    ("draft.html", _empty_of_clauses, "no recognisable clauses"),
    ("bul.rtf", _unsupported, "unsupported format .rtf"),
])
def test_bad_documents_get_a_clear_message_and_change_nothing(tmp_path, folder, name, make,
                                                              message, monkeypatch):
    path = make(tmp_path / name)
    before = snapshot(folder)
    with pytest.raises(IntakeError, match=message):
        prepare(path, folder, bulletin="BUL-5688.0", title="T")
    monkeypatch.setenv("POLICYBOT_KNOWLEDGE_DIR", str(folder))
    monkeypatch.setenv("POLICYBOT_DB", str(tmp_path / "p.db"))
    result = CliRunner().invoke(main, ["knowledge", "add", str(path), "--bulletin", "BUL-1.0",
                                       "--title", "T"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message.split(";")[0] in result.output
    assert snapshot(folder) == before


def test_a_clause_id_another_file_holds_is_refused(tmp_path, folder):
    shutil.copy(DEFAULT_KNOWLEDGE_DIR / "BUL-5688.0.yaml", folder / "social-media.yaml")
    for name in ("BUL-5167.0.yaml", "BUL-999.4.yaml"):
        shutil.copy(DEFAULT_KNOWLEDGE_DIR / name, folder / name)
    before = snapshot(folder)
    with pytest.raises(IntakeError, match="duplicate clause id BUL-5688.0#1: social-media.yaml"):
        prepare(write_pdf(tmp_path / "bul.pdf", guideline_lines()), folder)
    assert snapshot(folder) == before


def test_supersedes_must_name_a_bulletin_we_hold_and_needs_a_date(tmp_path, folder):
    pdf = write_pdf(tmp_path / "new.pdf", guideline_lines(), bulletin="BUL-5688.1")
    with pytest.raises(IntakeError, match=r"--supersedes BUL-5688.0: there is no such bulletin"
                                          r".*BUL-5167.0, BUL-999.4"):
        prepare(pdf, folder, supersedes="BUL-5688.0", effective="2015-08-01")
    publish(prepare(write_pdf(tmp_path / "old.pdf", guideline_lines()), folder), folder)
    with pytest.raises(IntakeError, match="needs the date it takes effect"):
        prepare(pdf, folder, supersedes="BUL-5688.0")
    draft = prepare(pdf, folder, supersedes="BUL-5688.0", effective="2015-08-01")
    assert (draft.supersedes, draft.effective) == ("BUL-5688.0", "2015-08-01")


def test_a_document_without_a_bulletin_number_asks_for_one(tmp_path, folder):
    pdf = write_pdf(tmp_path / "guidelines.pdf", guideline_lines(), header=False)
    with pytest.raises(IntakeError, match="give it with --bulletin"):
        prepare(pdf, folder)
    draft = prepare(pdf, folder, bulletin="BUL-5688.0", title="Social media")
    assert [c["id"] for c in draft.clauses] == SIX


def test_a_document_that_would_break_a_reference_is_refused_and_nothing_changes(tmp_path,
                                                                              folder):
    publish(prepare(write_pdf(tmp_path / "six.pdf", guideline_lines()), folder), folder)
    path = folder / "BUL-999.4.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["entries"][0]["related"] = ["BUL-5688.0#6"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    five = [line for line in guideline_lines() if not line.startswith(("6.", "disparaging",
                                                                        "or associated"))]
    draft = prepare(write_pdf(tmp_path / "five.pdf", five), folder)
    assert "no longer in the document: BUL-5688.0#6" in draft.notes
    before = snapshot(folder)
    with pytest.raises(IntakeError, match="related entry 'BUL-5688.0#6' does not exist"):
        publish(draft, folder)
    assert snapshot(folder) == before


def test_adding_the_pdf_over_the_curated_file_keeps_its_answers_and_notes(tmp_path):
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, folder)
    draft = prepare(write_pdf(tmp_path / "bul.pdf", guideline_lines()), folder)
    assert draft.notes == ["replaces BUL-5688.0.yaml",
                           "6 unchanged clause(s) keep their curated fields",
                           "no longer in the document: BUL-5688.0#consequences"]
    publish(draft, folder)
    kb = load_knowledge(folder)
    g3 = kb.get("BUL-5688.0#3")
    assert g3.answer and len(g3.questions) >= 8 and g3.report_category == "student_identified"
    assert kb.get("BUL-5688.0#4").truncated
    assert "coverage_note" in kb.bulletins["BUL-5688.0"]


def test_a_bulletin_in_lausd_layout_numbered_sections_and_two_lists(tmp_path, folder):
    text = tmp_path / "devices.txt"
    text.write_text("""LOS ANGELES UNIFIED SCHOOL DISTRICT
POLICY BULLETIN
TITLE: Staff Use of Personal Devices
NUMBER: BUL-9999.2
DATE: September 13, 2018
ROUTING: All Employees

I. PURPOSE
This bulletin sets out when staff may use personal devices during the
school day.

II. POLICY
1. Staff may not use personal phones while supervising students, ex-
cept in an emergency.
2. Personal calls are made during breaks, away from students.

III. PROCEDURES
1. Report a lost device that holds student information to your
administrator within one day.
2. Do not store student records on a personal device.
""", encoding="utf-8")
    draft = prepare(text, folder)
    assert (draft.bulletin, draft.title, draft.effective) == (
        "BUL-9999.2", "Staff Use of Personal Devices", "2018-09-13")
    assert [c["id"].split("#")[1] for c in draft.clauses] == [
        "purpose", "1", "2", "procedures-1", "procedures-2"]
    assert draft.clauses[1]["text"] == ("Staff may not use personal phones while supervising "
                                        "students, except in an emergency.")


def test_replaces_and_date_stated_in_the_document_make_it_a_new_version(tmp_path, folder):
    publish(prepare(write_pdf(tmp_path / "old.pdf", guideline_lines()), folder), folder)
    body = ["REPLACES: BUL-5688.0", "", *guideline_lines()]
    pdf = write_pdf(tmp_path / "new.pdf", body, bulletin="BUL-5688.1", date="August 1, 2015")
    draft = prepare(pdf, folder)
    assert (draft.bulletin, draft.supersedes, draft.effective) == (
        "BUL-5688.1", "BUL-5688.0", "2015-08-01")
    assert [c["id"] for c in draft.clauses] == [f"BUL-5688.1#{n}" for n in range(1, 7)]
