"""How every front end shows an outcome: related (the closest clause, not an answer), an
answer that offers the report flow, an uncertain answer, a summary (not the bulletin's
words), and a refusal that only speaks for what policybot holds.

The decision itself is not tested here: each test fixes the Outcome that
`Retriever.decide` returns and goes through `Bot.handle` (or a platform's real-shaped
payload) from there.
"""

from __future__ import annotations

import json

import pytest
from browser.helpers import add_admin, signed_in
from browser.helpers import run as run_web
from slack_harness import Slack, buttons, drive, event_payload
from teams_harness import payload
from teams_harness import run as run_teams

from bot import messages
from bot.gaps import gap_questions, knowledge_gaps
from bot.models import Incoming
from handlers import slack_views, teams_cards
from handlers.console import render_text
from knowledge import BULLETIN_INDEX_URL
from knowledge.answer import Candidate, Outcome
from testkit.slack_payloads import load

QUESTION = "Can I text a student from my personal phone?"


def outcome(bot, status: str, entry_id: str = "BUL-5688.0#1", confidence: float = 0.4,
            **kw) -> Outcome:
    entry = bot.kb.get(entry_id)
    cands = () if status == "no_answer" else (Candidate(entry, confidence, 0.5, 1.0),)
    return Outcome(status, cands, confidence, kw.pop("spanish", False), cands, **kw)


def decided(bot, out: Outcome):
    bot.retriever.decide = lambda question: out
    return bot


def ask(bot, text: str = QUESTION, **kw):
    return bot.handle(Incoming(text, "c1", "web:u1", platform="web", **kw))


def say_all(replies) -> str:
    return "\n".join(r.text for r in replies)


# ---------------------------------------------------------------- the core


def test_related_names_the_topic_and_shows_the_clause_as_context_not_as_the_answer(bot):
    decided(bot, outcome(bot, "related", topic="texting students"))
    [reply] = ask(bot)
    assert (reply.kind, reply.status) == ("related", "related")
    assert reply.text.startswith("The policy doesn't say anything specific about texting "
                                 "students")
    assert "The closest guideline is BUL-5688.0#1" in reply.text
    assert "does not answer your question directly" in reply.text
    assert [c.id for c in reply.citations] == ["BUL-5688.0#1"]
    assert "short_answer" not in reply.data  # nothing is offered as "the answer"
    assert bot.kb.get("BUL-5688.0#1").answer not in reply.text
    assert "Share" not in json.dumps(slack_views.reply_blocks(reply, "c1", share=True))


def test_related_without_a_topic_and_in_spanish(bot):
    decided(bot, outcome(bot, "related"))
    [reply] = ask(bot)
    assert "anything specific about what you asked" in reply.text
    decided(bot, outcome(bot, "related", spanish=True, topic="los mensajes de texto"))
    [reply] = ask(bot, "¿Puedo mandar mensajes a un estudiante?")
    assert reply.text.startswith("La política no dice nada específico sobre los mensajes de "
                                 "texto")
    assert "La pauta más cercana es BUL-5688.0#1" in reply.text


def test_related_questions_land_in_the_knowledge_gaps(bot):
    decided(bot, outcome(bot, "related", confidence=0.9))  # whatever the confidence
    ask(bot)
    [row] = gap_questions(bot.storage)
    assert (row["text"], row["status"], row["reason"]) == (QUESTION, "related", "related")
    [gap] = knowledge_gaps(bot.storage, bot.retriever.encoder)
    assert gap.reasons == {"related": 1} and gap.top_entries == {"BUL-5688.0#1": 1}


def test_an_answer_that_offers_the_report_flow_puts_report_it_first_and_prefills(bot):
    decided(bot, outcome(bot, "answered", "BUL-5688.0#6", offers_report=True,
                         report_category="bullying"))
    [reply] = ask(bot, "A parent posted mean things about a colleague, can I get it taken down?")
    assert reply.status == "answered" and reply.offers_report
    first = reply.buttons[0]
    assert (first.label, first.value, first.style) == ("Report it", "report bullying", "primary")
    assert [b.value for b in reply.buttons].count("report harassing") == 0  # one offer only
    assert messages.report_it_offer() in reply.text
    replies = bot.handle(Incoming(first.value, "c1", "web:u1", platform="web", is_button=True))
    assert replies[-1].step is not None and replies[-1].step["id"] != "category"


def test_an_offer_without_a_known_category_uses_the_entrys_or_none(bot):
    decided(bot, outcome(bot, "answered", "BUL-5688.0#6", offers_report=True))
    [reply] = ask(bot)
    assert reply.buttons[0].value == "report harassing"  # the entry's own category
    decided(bot, outcome(bot, "answered", "BUL-5688.0#1", offers_report=True))
    [reply] = ask(bot)
    assert reply.buttons[0].value == "report"
    decided(bot, outcome(bot, "answered", "BUL-5688.0#1"))
    [reply] = ask(bot)
    assert not reply.offers_report and all(b.label != "Report it" for b in reply.buttons)


def test_an_uncertain_answer_says_so_in_words(bot):
    decided(bot, outcome(bot, "answered", uncertain=True))
    [reply] = ask(bot)
    assert reply.uncertain and messages.uncertain_note() in reply.text
    assert reply.text.index(messages.uncertain_note()) < reply.text.index("> ")
    assert "(Not sure, confidence 40%)" in render_text([reply])
    decided(bot, outcome(bot, "answered"))
    [reply] = ask(bot)
    assert not reply.uncertain and messages.uncertain_note() not in reply.text
    assert "Not sure" not in render_text([reply])


@pytest.mark.parametrize("entry_id", ["BUL-5167.0", "BUL-999.4", "BUL-5688.0#consequences"])
def test_summaries_are_never_presented_as_quotations(bot, entry_id):
    [reply] = bot.handle(Incoming(f"show {entry_id}", "c1", "web:u1", platform="web"))
    entry = bot.kb.get(entry_id)
    assert reply.citations[0].kind == "summary"
    assert messages.summary_heading(entry.bulletin) in reply.text
    assert not any(line.startswith(">") for line in reply.text.splitlines())
    assert "exact clause" not in reply.text.lower()
    context = slack_views.confidence_line(reply)
    assert "summary of what is known" in context
    card = json.dumps(teams_cards.to_card(reply), ensure_ascii=False)
    assert messages.summary_heading(entry.bulletin) in card
    assert '"style": "emphasis"' not in card  # the quote style is for the bulletin's words


def test_verbatim_clauses_are_quoted_and_the_source_note_is_shown_where_it_matters(bot):
    [reply] = bot.handle(Incoming("show BUL-5688.0#6", "c1", "web:u1", platform="web"))
    assert reply.citations[0].kind == "verbatim"
    assert any(line.startswith("> ") for line in reply.text.splitlines())
    assert "Source note: Ends '...may be subject to discipline.' as quoted by LA Weekly" \
        in reply.text
    assert "summary of what is known" not in slack_views.confidence_line(reply)
    assert "Summary of what is known" not in reply.text


def test_the_intro_does_not_promise_the_exact_clause_for_everything(bot):
    [reply] = bot.handle(Incoming("help", "c1", "web:u1", platform="web"))
    assert "quoting the exact clause." not in reply.text
    assert "summary" in reply.text


def test_the_refusal_speaks_only_for_the_parts_policybot_holds(bot):
    decided(bot, outcome(bot, "no_answer"))
    [reply] = ask(bot, "Can I bring my dog to school?")
    assert "don't cover that" in reply.text and "parts of the social media policy" in reply.text
    assert "guidelines 7–9, the definitions section and the end of guideline 4 of BUL-5688.0" \
        in reply.text
    assert "the text of BUL-999.4" in reply.text and BULLETIN_INDEX_URL in reply.text
    assert "The full bulletin may say more" in reply.text


# ---------------------------------------------------------------- front ends


def test_slack_renders_related_distinctly_and_the_report_offer_as_a_button(settings, bot):
    async def scenario(s: Slack) -> None:
        decided(bot, outcome(bot, "related", topic="texting students"))
        await s.event(load("message_im"))
        [call] = await s.fake.wait_for("chat.postMessage")
        blocks = call.args["blocks"]
        assert blocks[0]["type"] == "context"
        assert messages.related_label() in blocks[0]["elements"][0]["text"]
        line = [b for b in blocks if b["type"] == "context"][-1]["elements"][0]["text"]
        assert line.startswith("Closest guideline: ") and "Confidence" not in line
        decided(bot, outcome(bot, "answered", "BUL-5688.0#6", offers_report=True,
                             report_category="bullying", uncertain=True))
        await s.event(event_payload("message_im", event_id="Ev0SECOND"))
        calls = await s.fake.wait_for("chat.postMessage", 2)
        blocks = calls[-1].args["blocks"]
        assert messages.uncertain_label() in blocks[0]["elements"][0]["text"]
        first = buttons(blocks)[0]
        assert (first["text"]["text"], first["value"], first.get("style")) == (
            "Report it", "report bullying", "primary")

    drive(settings, bot, scenario)


def test_teams_renders_related_uncertain_and_report_offer(settings, bot):
    async def scenario(env):
        decided(bot, outcome(bot, "related", topic="texting students"))
        await env.post(payload("personal_message"))
        decided(bot, outcome(bot, "answered", "BUL-5688.0#6", offers_report=True,
                             report_category="bullying", uncertain=True))
        await env.post(payload("personal_message", id="second-activity"))
        related, answer = env.connector.cards()
        head = related["body"][0]
        assert head["style"] == "warning" and messages.related_label() in json.dumps(head)
        assert "texting students" in json.dumps(related)
        assert answer["body"][0]["color"] == "Warning"
        assert messages.uncertain_label() in answer["body"][0]["text"]
        first = answer["actions"][0]
        assert (first["data"]["pb"], first["style"]) == ("report bullying", "positive")

    run_teams(settings, bot, scenario)


def test_web_chat_renders_related_uncertain_summary_and_report_offer(settings, bot):
    async def scenario(client):
        await client.get("/")

        async def say(text):
            response = await client.post("/chat/api", json={"text": text})
            assert response.status == 200
            return await response.json()

        decided(bot, outcome(bot, "related", topic="texting students"))
        data = await say(QUESTION)
        assert data["replies"][0]["status"] == "related"
        assert "kind-related" in data["html"] and messages.related_label() in data["html"]
        assert "Closest guideline:" in data["html"] and "Source:" not in data["html"]
        decided(bot, outcome(bot, "answered", "BUL-5688.0#6", offers_report=True,
                             report_category="bullying", uncertain=True))
        data = await say(QUESTION)
        assert data["replies"][0]["uncertain"] and data["replies"][0]["offers_report"]
        assert "msg bot kind-answered uncertain offers-report" in data["html"]
        assert 'uncertain-label">Not sure' in data["html"]
        assert 'data-value="report bullying">Report it' in data["html"]
        data = await say("show BUL-999.4")
        assert 'data-citation-kind="summary"' in data["html"]
        assert "(summary of what is known)" in data["html"]

    run_web(bot, settings, scenario)


def test_console_labels_related(bot):
    decided(bot, outcome(bot, "related"))
    text = render_text(ask(bot))
    assert text.startswith(f"[{messages.related_label()}]")
    assert "confidence" not in text


def test_the_admins_gaps_page_lists_related_questions_as_such(bot, settings):
    add_admin(bot)
    decided(bot, outcome(bot, "related", confidence=0.9))
    ask(bot)

    async def scenario(client):
        await signed_in(client)
        html = await (await client.get("/admin/gaps")).text()
        assert QUESTION.replace("'", "&#39;") in html
        assert "closest clause only related: 1" in html and "BUL-5688.0#1" in html

    run_web(bot, settings, scenario)
