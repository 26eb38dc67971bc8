"""The `policybot` command: ask (text, JSON, stdin), chat, eval, knowledge index."""

import json

import pytest
from click.testing import CliRunner

from bot.cli import main

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
    assert set(data) == {"question", "status", "answer", "citations", "confidence"}
    assert data["status"] == "answered"
    assert data["citations"][0]["id"] == "BUL-5688.0#3"
    assert set(data["citations"][0]) == {"id", "bulletin", "title", "text", "url"}
    assert 0.0 <= data["confidence"] <= 1.0


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
    assert "misses (1)" in out.output and "Can I post photos" in out.output


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
