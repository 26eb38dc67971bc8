"""The `policybot` command: ask (text, JSON, stdin), chat, eval, knowledge index."""

import json

import pytest
from click.testing import CliRunner

from policybot.cli import main

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    """One database for the module, so the embedding cache is built once."""
    return tmp_path_factory.mktemp("cli") / "cli.db"


@pytest.fixture
def cli(monkeypatch, cli_db, real_encoder):
    monkeypatch.setenv("POLICYBOT_DB", str(cli_db))
    monkeypatch.setattr("bot.app.load_encoder", lambda: real_encoder)
    runner = CliRunner()
    return lambda *args, **kw: runner.invoke(main, list(args), catch_exceptions=False, **kw)


def test_ask_prints_the_answer_with_quote_and_citation(cli):
    out = cli("ask", "can I friend a parent?")
    assert out.exit_code == 0
    assert "strongly discouraged" in out.output
    assert "BUL-5688.0#1" in out.output and "https://www.lausd.org/Page/6302" in out.output


def test_ask_json_has_the_documented_shape(cli):
    out = cli("ask", "--json", "Can I post photos of my students?")
    data = json.loads(out.output.strip().splitlines()[-1])
    assert set(data) == {"question", "status", "answer", "citations", "confidence",
                         "uncertain", "offers_report"}
    assert data["status"] == "answered" and data["offers_report"] is False
    assert data["citations"][0]["id"] == "BUL-5688.0#3"
    assert set(data["citations"][0]) == {"id", "bulletin", "title", "text", "url", "kind",
                                         "truncated", "source_note", "effective"}
    assert data["citations"][0]["effective"] is None  # the shipped bulletin states no date
    assert (data["citations"][0]["kind"], data["citations"][0]["truncated"]) == (
        "verbatim", False)
    assert 0.0 <= data["confidence"] <= 1.0


def test_ask_json_says_which_texts_are_summaries_and_which_are_cut_off(cli):
    out = cli("ask", "--json", "what is the acceptable use policy bulletin")
    data = json.loads(out.output.strip().splitlines()[-1])
    assert data["citations"][0]["id"] == "BUL-999.4"
    assert data["citations"][0]["kind"] == "summary"
    out = cli("ask", "--json", "can I share confidential pupil records online")
    data = json.loads(out.output.strip().splitlines()[-1])
    assert data["citations"][0]["id"] == "BUL-5688.0#4"
    assert (data["citations"][0]["kind"], data["citations"][0]["truncated"]) == (
        "verbatim", True)


def test_ask_json_carries_related_and_offers_report(cli, monkeypatch):
    from knowledge.answer import Candidate, Outcome, Retriever

    def decide(self, question):
        e = self.kb.get("BUL-5688.0#6" if "down" in question else "BUL-5688.0#1")
        c = (Candidate(e, 0.5, 0.5, 1.0),)
        if "down" in question:
            return Outcome("answered", c, 0.5, False, c, offers_report=True,
                           report_category="bullying")
        return Outcome("related", c, 0.2, False, c, topic="texting students")

    monkeypatch.setattr(Retriever, "decide", decide)
    out = cli("ask", "--json", "-", input="can I text a student?\ncan I get it taken down?\n")
    related, offer = [json.loads(x) for x in out.output.strip().splitlines()]
    assert (related["status"], related["offers_report"]) == ("related", False)
    assert related["citations"][0]["id"] == "BUL-5688.0#1"
    assert "doesn't say anything specific about texting students" in related["answer"]
    assert (offer["status"], offer["offers_report"]) == ("answered", True)


def test_ask_json_from_stdin_gives_one_object_per_line(cli):
    questions = "can I friend a parent?\nwhere do I park my car\nreport\n\n"
    out = cli("ask", "--json", "-", input=questions)
    lines = [json.loads(x) for x in out.output.strip().splitlines()]
    assert [x["status"] for x in lines] == ["answered", "no_answer", "report", "error"]
    assert lines[3]["answer"].startswith("I didn't get any text")


def test_eval_prints_the_metrics_and_misses(cli, tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text('{"q": "can I friend a parent?", "expect": ["BUL-5688.0#1"], "cat": "g1"}\n'
                 '{"q": "where is the staff parking lot", "expect": "none", "cat": "oos"}\n'
                 '{"q": "Can I post photos of my students?", "expect": ["BUL-5688.0#6"], '
                 '"cat": "g6"}\n')
    out = cli("eval", str(f))
    assert "top-1 accuracy (in scope):   50.0%" in out.output
    assert "no-answer recall (oos):      100.0%" in out.output
    assert "right / hedged / wrong:       66.7% / 0.0% / 33.3%" in out.output
    assert "not right (1)" in out.output and "Can I post photos" in out.output


def test_eval_reads_the_real_format_and_reports_per_source_and_without_alternates(
        cli, tmp_path):
    f = tmp_path / "real.jsonl"
    rows = [{"q": "can I friend a parent?", "source": "https://www.example.org/forum/1",
             "label": "BUL-5688.0#1", "also": [], "lang": "en", "kind": "short", "why": ""},
            {"q": "where is the staff parking lot", "source": "https://faq.example.net/x",
             "label": "no_answer", "also": [], "lang": "en", "kind": "short", "why": ""}]
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = cli("eval", str(f))
    assert "example.org" in out.output and "faq.example.net" in out.output
    assert "answered precision:" in out.output
    data = json.loads(cli("eval", "--json", "--no-alternates", str(f)).output)
    assert set(data["per_source"]) == {"example.org", "faq.example.net"}
    assert data["questions"] == 2 and set(data["per_label"]) == {"clause", "no_answer"}


def test_eval_rejects_a_malformed_file(cli, tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text("{not json\n")
    out = CliRunner().invoke(main, ["eval", str(f)])
    assert out.exit_code == 1 and "bad.jsonl:1: not valid JSON" in out.output


def test_chat_runs_a_conversation_with_button_shortcuts(cli):
    out = cli("chat", input="can I friend a parent?\na\nquit\n")
    assert "I'm policybot" in out.output
    assert "strongly discouraged" in out.output
    assert "Thanks, glad it helped." in out.output


def test_knowledge_index_rebuilds_the_cache(cli):
    out = cli("knowledge", "index")
    assert out.exit_code == 0 and "Indexed" in out.output
