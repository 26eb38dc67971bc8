"""The knowledge base: the shipped files are valid, and every kind of mistake is named."""

import shutil

import pytest
import yaml
from click.testing import CliRunner

from bot.config import DEFAULT_KNOWLEDGE_DIR
from infra.errors import KnowledgeError
from knowledge.loader import load_knowledge
from policybot.cli import main


def test_shipped_knowledge_base_has_every_guideline_and_referenced_bulletin():
    kb = load_knowledge(DEFAULT_KNOWLEDGE_DIR)
    ids = {e.id for e in kb.entries}
    assert {f"BUL-5688.0#{n}" for n in range(1, 7)} | {"BUL-5167.0", "BUL-999.4"} <= ids
    for e in kb.entries:
        assert e.text and e.answer and len(e.questions) >= 8, e.id
        assert e.url.startswith("https://"), e.id
    assert "BUL-5167.0" in kb.get("BUL-5688.0#1").related
    assert "BUL-999.4" in kb.get("BUL-5688.0#5").related


def test_guideline_texts_are_quoted_from_the_source(shared_file):
    source = shared_file("sources/social-media-policy-blog-post.txt")
    flat = " ".join(source.read_text(encoding="utf-8").split())
    kb = load_knowledge(DEFAULT_KNOWLEDGE_DIR)
    for n in range(1, 6):
        assert kb.get(f"BUL-5688.0#{n}").text in flat, n
    g6 = kb.get("BUL-5688.0#6").text
    assert g6.endswith("may be subject to discipline.")
    assert g6.removesuffix(" discipline.") in flat


def test_guideline_4_is_marked_truncated_and_referenced_bulletins_say_text_is_missing():
    kb = load_knowledge(DEFAULT_KNOWLEDGE_DIR)
    assert kb.get("BUL-5688.0#4").truncated
    assert kb.get("BUL-5688.0#4").text.endswith("pupil/personnel record")
    for ref in ("BUL-5167.0", "BUL-999.4"):
        e = kb.get(ref)
        assert not e.verbatim
        assert "not in policybot" in e.text or "not in policybot" in e.answer


@pytest.fixture
def kb_copy(tmp_path):
    folder = tmp_path / "bulletins"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, folder)
    return folder


def _edit(folder, name, change):
    path = folder / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_duplicate_ids_dangling_references_and_missing_fields_are_all_reported(kb_copy):
    def break_it(data):
        data["entries"][1]["id"] = data["entries"][0]["id"]
        data["entries"][2]["related"] = ["BUL-0000.0"]
        del data["entries"][3]["answer"]
        data["entries"][4]["questions"] = ["only one?"]
    _edit(kb_copy, "BUL-5688.0.yaml", break_it)
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_copy)
    message = str(err.value)
    assert "BUL-5688.0.yaml: entry BUL-5688.0#1: duplicate id" in message
    assert "related entry 'BUL-0000.0' does not exist" in message
    assert "missing or empty 'answer'" in message
    assert "at least 8 alternate questions" in message


def test_wrong_bulletin_prefix_and_unknown_report_category(kb_copy):
    def break_it(data):
        data["entries"][0]["id"] = "BUL-9999.0#1"
        data["entries"][1]["report_category"] = "gossip"
    _edit(kb_copy, "BUL-5688.0.yaml", break_it)
    with pytest.raises(KnowledgeError, match="must be 'BUL-5688.0' or start with 'BUL-5688.0#'"):
        load_knowledge(kb_copy)


def test_invalid_yaml_names_the_file(kb_copy):
    (kb_copy / "BUL-999.4.yaml").write_text("entries: [unclosed", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="BUL-999.4.yaml: not valid YAML"):
        load_knowledge(kb_copy)


def test_knowledge_check_command_reports_ok_and_errors(kb_copy, monkeypatch):
    runner = CliRunner()
    monkeypatch.setenv("POLICYBOT_KNOWLEDGE_DIR", str(kb_copy))
    ok = runner.invoke(main, ["knowledge", "check"])
    assert ok.exit_code == 0 and "OK:" in ok.output
    _edit(kb_copy, "BUL-5167.0.yaml", lambda d: d["entries"][0].update(related=["nope"]))
    bad = runner.invoke(main, ["knowledge", "check"])
    assert bad.exit_code == 1
    assert "BUL-5167.0.yaml: entry BUL-5167.0: related entry 'nope' does not exist" in bad.output


def test_serve_refuses_to_start_on_an_invalid_knowledge_base(kb_copy, monkeypatch, tmp_path):
    _edit(kb_copy, "BUL-5167.0.yaml", lambda d: d["entries"][0].update(related=["nope"]))
    monkeypatch.setenv("POLICYBOT_KNOWLEDGE_DIR", str(kb_copy))
    monkeypatch.setenv("POLICYBOT_DB", str(tmp_path / "x.db"))
    result = CliRunner().invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "related entry 'nope' does not exist" in result.output
