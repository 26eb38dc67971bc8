"""Answers from clauses added from a PDF (nobody curated them), and bulletin versions:
a superseding bulletin answers, the old one answers when asked for, changes are named."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from bot.config import Settings
from bot.models import Incoming
from knowledge.intake import prepare, publish
from policybot.cli import main
from testkit.bulletin_documents import guideline_lines, write_pdf

pytestmark = pytest.mark.model

# A made-up revision for these tests only (the text of the real BUL-5688.1 is not held):
# guideline 3 gains a clause, the others stay as they were.
ADDED = " Do not tag students in photographs."


def revised_lines() -> list[str]:
    lines = guideline_lines()
    i = next(n for n, line in enumerate(lines) if line.startswith("child’s parent"))
    lines[i] += ADDED
    return lines


@pytest.fixture
def versions(tmp_path):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    old = write_pdf(tmp_path / "BUL-5688.0.pdf", guideline_lines(), date="March 1, 2012")
    publish(prepare(old, folder), folder)
    new = write_pdf(tmp_path / "BUL-5688.1.pdf", revised_lines(), bulletin="BUL-5688.1")
    publish(prepare(new, folder, supersedes="BUL-5688.0", effective="2015-08-01"), folder)
    return folder


def _bot(folder, tmp_path, encoder):
    from bot.app import build_bot

    return build_bot(Settings.from_env({"POLICYBOT_DB": str(tmp_path / "v.db"),
                                        "POLICYBOT_KNOWLEDGE_DIR": str(folder)}),
                     encoder=encoder)


def ask(bot, text, **kw):
    [reply] = bot.answer_question(Incoming(text, "test:versions", "cli:local"), **kw)
    return reply


def test_an_uncurated_clause_is_quoted_with_the_answering_sentence_marked(tmp_path,
                                                                         real_encoder):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    publish(prepare(write_pdf(tmp_path / "b.pdf", guideline_lines()), folder), folder)
    bot = _bot(folder, tmp_path, real_encoder)
    [reply] = bot.handle(Incoming("Does the District reserve the right to monitor users' "
                                  "online activities?", "test:1", "cli:local"))
    assert reply.status == "answered" and reply.citations[0].id == "BUL-5688.0#5"
    answering = ("The District reserves the right to monitor users’ online activities and to "
                 "access, review, copy, and store or delete any electronic communication or "
                 "files and/or disclose them to others as it deems necessary.")
    assert f"*{answering}*" in reply.text  # marked inside the quoted clause
    assert "> Users should have no expectation of privacy" in reply.text
    assert reply.data["short_answer"] == answering
    assert "— BUL-5688.0#5, Social Media Policy for Employees" in reply.text
    [shown] = bot.handle(Incoming("show BUL-5688.0#3", "test:1", "cli:local"))
    assert shown.kind == "answered" and "> Never post any identifying" in shown.text


def test_the_superseding_bulletin_answers_and_says_the_clause_changed(versions, tmp_path,
                                                                      real_encoder):
    bot = _bot(versions, tmp_path, real_encoder)
    reply = ask(bot, "can I post identifying student information like photographs without "
                     "the written consent of the parent?")
    assert reply.status == "answered" and reply.citations[0].id == "BUL-5688.1#3"
    assert reply.citations[0].effective == "2015-08-01"
    assert reply.citations[0].to_dict()["effective"] == "2015-08-01"
    assert "effective 2015-08-01" in reply.text and ADDED.strip() in reply.text
    assert "This clause changed: BUL-5688.0 (effective 2012-03-01) said it differently" in (
        reply.text)
    assert ("See BUL-5688.0#3", "show BUL-5688.0#3") in [(b.label, b.value)
                                                         for b in reply.buttons]
    unchanged = ask(bot, "Does the District reserve the right to monitor users' online "
                         "activities?")
    assert unchanged.citations[0].id == "BUL-5688.1#5" and "changed" not in unchanged.text


def test_the_old_version_answers_when_asked_for(versions, tmp_path, real_encoder):
    bot = _bot(versions, tmp_path, real_encoder)
    question = ("what did the 2012 version say about posting identifying student "
                "information like photographs without the consent of the parent?")
    reply = ask(bot, question)
    assert reply.status == "answered" and reply.citations[0].id == "BUL-5688.0#3"
    assert ADDED.strip() not in reply.citations[0].text
    assert ("This is BUL-5688.0 (effective 2012-03-01), an earlier version: BUL-5688.1 "
            "(effective 2015-08-01) replaced it and changed this clause (now BUL-5688.1#3)."
            ) in reply.text
    same = ask(bot, "can I post identifying student information like photographs without "
                    "the written consent of the parent?", as_of=date(2013, 1, 1))
    assert same.citations[0].id == "BUL-5688.0#3"
    later = ask(bot, "can I post identifying student information like photographs without "
                     "the written consent of the parent?", as_of=date(2016, 1, 1))
    assert later.citations[0].id == "BUL-5688.1#3"
    before = ask(bot, "can I post photographs of students?", as_of=date(2011, 1, 1))
    assert before.status == "no_answer" and "in force on 2011-01-01" in before.text


def test_ask_as_of_and_knowledge_list_in_the_terminal(versions, tmp_path, real_encoder,
                                                      monkeypatch):
    monkeypatch.setenv("POLICYBOT_KNOWLEDGE_DIR", str(versions))
    monkeypatch.setenv("POLICYBOT_DB", str(tmp_path / "cli.db"))
    monkeypatch.setattr("bot.app.load_encoder", lambda: real_encoder)
    runner = CliRunner()
    question = ("can I post identifying student information like photographs without the "
                "written consent of the parent?")
    old = json.loads(runner.invoke(main, ["ask", "--json", "--as-of", "2013-01-01",
                                          question]).output)
    assert old["citations"][0]["id"] == "BUL-5688.0#3"
    assert old["citations"][0]["effective"] == "2012-03-01"
    now = json.loads(runner.invoke(main, ["ask", "--json", question]).output)
    assert now["citations"][0]["id"] == "BUL-5688.1#3"
    rows = {r["bulletin"]: r for r in json.loads(
        runner.invoke(main, ["knowledge", "list", "--json"]).output)}
    assert rows["BUL-5688.0"]["status"] == "superseded"
    assert rows["BUL-5688.0"]["superseded_by"] == "BUL-5688.1"
    assert (rows["BUL-5688.1"]["status"], rows["BUL-5688.1"]["clauses"]) == ("in force", 6)
    text = runner.invoke(main, ["knowledge", "list"]).output
    assert "BUL-5688.1   in force" in text and "supersedes BUL-5688.0" in text
