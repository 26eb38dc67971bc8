"""The real all-MiniLM-L6-v2 model: offline loading, and the accuracy bars on question sets."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.models import Incoming
from knowledge.evaluate import evaluate, format_result, read_questions

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parent.parent
OWN_SET = ROOT / "tests" / "eval" / "own_questions.jsonl"


def test_model_loads_and_answers_with_the_network_switched_off(tmp_path):
    """In a fresh interpreter where any socket connection raises, the model still loads
    from the installed package and answers: no download is attempted."""
    script = f"""
import socket
def refuse(*a, **k):
    raise RuntimeError("network access attempted")
socket.socket.connect = refuse
socket.create_connection = refuse
from bot.app import build_bot
from bot.config import Settings
from bot.models import Incoming
bot = build_bot(Settings.from_env({{"POLICYBOT_DB": r"{tmp_path / 'x.db'}"}}))
[r] = bot.handle(Incoming("can I friend a parent?", "t", "cli:local"))
print(r.status, r.citations[0].id)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("answered BUL-5688.0#1")
    assert socket.socket.connect is not None  # this process is untouched


def _check_bars(result):
    rates = result.rates()
    report = format_result(result)
    assert rates["top1_in_scope"] >= 0.95, report
    assert rates["no_answer_recall"] >= 0.90, report
    assert rates["report_intent"] >= 0.95, report


def test_dev_set_meets_the_bars(shared_file, real_bot):
    dev_set = shared_file("eval/dev_questions.jsonl")
    _check_bars(evaluate(read_questions(dev_set), real_bot.retriever.decide))


def test_own_question_set_meets_the_bars(real_bot):
    rows = read_questions(OWN_SET)
    assert len(rows) >= 60
    result = evaluate(rows, real_bot.retriever.decide)
    rates = result.rates()
    report = format_result(result)
    # Our own, harder set: published in BENCHMARKS.md; held to slightly lower bars here.
    assert rates["top1_in_scope"] >= 0.92, report
    assert rates["no_answer_recall"] >= 0.90, report
    assert rates["report_intent"] >= 0.95, report


def test_can_i_friend_a_parent(real_bot):
    [reply] = real_bot.handle(Incoming("can I friend a parent?", "m1", "cli:local"))
    assert reply.status == "answered"
    assert reply.citations[0].id == "BUL-5688.0#1"
    assert reply.citations[0].bulletin == "BUL-5688.0"
    assert "strongly discouraged" in reply.text


def test_spanish_question_gets_the_spanish_short_answer(real_bot):
    [reply] = real_bot.handle(Incoming("¿Puedo publicar fotos de mis estudiantes en Instagram?",
                                       "m2", "cli:local"))
    assert reply.status == "answered" and reply.citations[0].id == "BUL-5688.0#3"
    assert reply.data["short_answer"] == real_bot.kb.get("BUL-5688.0#3").answer_es


def test_follow_up_in_the_same_conversation_uses_the_context(real_bot):
    real_bot.handle(Incoming("Can I post photos of my students on Instagram?", "m3", "cli:local"))
    [reply] = real_bot.handle(Incoming("what about videos?", "m3", "cli:local"))
    assert reply.status == "answered" and reply.citations[0].id == "BUL-5688.0#3"


def test_out_of_scope_question_says_where_to_ask(real_bot):
    [reply] = real_bot.handle(Incoming("How do I change my direct deposit?", "m4", "cli:local"))
    assert reply.status == "no_answer"
    assert "principal or site administrator" in reply.text


def test_report_intent_starts_the_flow(real_bot):
    replies = real_bot.handle(Incoming("I want to report a racist comment someone posted",
                                       "m5", "slack:U1"))
    assert replies[0].status == "report"
    assert replies[-1].step["id"] in ("category", "danger")


def test_an_unrelated_short_question_after_an_answer_is_not_treated_as_a_follow_up(real_bot):
    real_bot.handle(Incoming("Does the district read my school email?", "m6", "cli:local"))
    [reply] = real_bot.handle(Incoming("where do I get my parking permit?", "m6", "cli:local"))
    assert reply.status == "no_answer"
