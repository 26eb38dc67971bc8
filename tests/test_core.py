"""Conversations through Bot.handle, the entry point every front end uses (fake encoder)."""

import pytest

from bot.models import Incoming


def say(bot, text, conversation="console:t1", user="cli:local", **kw):
    return bot.handle(Incoming(text, conversation, user, platform="console", **kw))


def test_greeting_and_help_introduce_the_bot_with_examples(bot):
    for text, example in (("hi", "Can I friend a parent"), ("Hello!", "Can I friend a parent"),
                          ("help", "Can I friend a parent"),
                          ("hola", "¿Puedo agregar a un padre")):  # Spanish greets in Spanish
        [reply] = say(bot, text)
        assert reply.kind == "intro"
        assert example in reply.text
        assert any(b.value == "report" for b in reply.buttons)


def test_an_alternate_question_is_answered_with_quote_citation_and_buttons(bot):
    e = bot.kb.get("BUL-5688.0#3")
    [reply] = say(bot, e.questions[0])
    assert reply.status == "answered"
    assert reply.citations[0].id == "BUL-5688.0#3"
    assert "> " + e.text.splitlines()[0] in reply.text
    assert "BUL-5688.0#3" in reply.text and e.url in reply.text
    values = [b.value for b in reply.buttons]
    assert any(v.startswith("feedback helpful ") for v in values)
    assert "report student_identified" in values


def test_related_bulletin_is_cited_after_the_guideline(bot):
    [reply] = say(bot, "show BUL-5688.0#5")
    assert [c.id for c in reply.citations][:2] == ["BUL-5688.0#5", "BUL-999.4"]


def test_referenced_bulletin_says_its_text_is_not_in_the_knowledge_base(bot):
    [reply] = say(bot, "show BUL-5167.0")
    assert "not in policybot's knowledge base" in reply.text
    assert "https://www.lausd.org/Page/6302" in reply.text


def test_truncated_guideline_is_flagged(bot):
    [reply] = say(bot, "show BUL-5688.0#4")
    assert "breaks off" in reply.text


def test_show_unknown_entry_is_a_clear_message(bot):
    [reply] = say(bot, "show BUL-1.0")
    assert reply.kind == "error" and "BUL-1.0" in reply.text


@pytest.mark.parametrize("text,expected", [
    ("", "didn't get any text"),
    ("   \n\t ", "didn't get any text"),
    ("x" * 20_000, "at most 10,000"),
    ("a" * 1_500 + "?", "at most 1,000 characters"),
    ("\x00\x01\x02binary\xff", "binary"),
    ("🙂🙂🔥", "couldn't find a question"),
])
def test_bad_input_gets_a_clear_reply(bot, text, expected):
    [reply] = say(bot, text)
    assert expected in reply.text


@pytest.mark.parametrize("text,plain", [("can I\x07 friend a\x1b parent?", "can I friend a parent?"),
                                        ("Ｃａｎ Ｉ ｆｒｉｅｎｄ？", "Can I friend?"),
                                        ("can I post\x07photos of\x1bmy students?",
                                         "can I post photos of my students?")])
def test_control_characters_and_full_width_letters_get_the_plain_questions_answer(bot, text,
                                                                                  plain):
    [reply] = say(bot, text, conversation="console:odd")
    [expected] = say(bot, plain, conversation="console:plain")
    assert (reply.status, reply.confidence, [c.id for c in reply.citations]) == (
        expected.status, expected.confidence, [c.id for c in expected.citations])


@pytest.mark.parametrize("text", ["我可以加家长为好友吗？", "هل يمكنني إضافة أحد الوالدين؟"])
def test_other_scripts_get_a_no_answer_reply_not_a_traceback(bot, text):
    [reply] = say(bot, text)
    assert (reply.kind, reply.status) == ("no_answer", "no_answer")
    assert "your principal or site administrator" in reply.text


def test_unrelated_gibberish_is_not_answered_with_policy(bot):
    [reply] = say(bot, "zzqx vvbn plok")
    assert reply.status == "no_answer"
    assert "your principal or site administrator" in reply.text


def test_feedback_is_stored_without_user_id(bot):
    e = bot.kb.get("BUL-5688.0#1")
    [reply] = say(bot, e.questions[0], user="slack:U999")
    qid = reply.data["question_id"]
    [thanks] = say(bot, f"feedback unhelpful {qid}", is_button=True)
    assert thanks.kind == "info"
    row = next(bot.storage.db["feedback"].rows)
    assert row["question_id"] == qid and row["helpful"] == 0
    for table in ("questions", "feedback"):
        for r in bot.storage.db[table].rows:
            assert "U999" not in str(r)


def test_feedback_for_unknown_question_is_refused(bot):
    [reply] = say(bot, "feedback helpful 424242")
    assert reply.kind == "error"


def test_report_intent_starts_the_report_flow(bot):
    replies = say(bot, "report")
    assert replies[-1].kind == "flow" and replies[-1].step["id"] == "category"


def test_a_question_is_logged_for_knowledge_gaps(bot):
    [reply] = say(bot, "how do I fix the copier jam")
    row = next(bot.storage.db["questions"].rows)
    assert row["text"] == "how do I fix the copier jam"
    assert row["status"] == reply.status == "no_answer"


def test_a_failure_inside_the_core_becomes_a_friendly_reply(bot, monkeypatch):
    def boom(question):
        raise RuntimeError("index exploded")
    monkeypatch.setattr(bot.retriever, "decide", boom)
    [reply] = say(bot, "can I friend a parent?")
    assert reply.kind == "error" and "something went wrong" in reply.text


def test_a_front_end_with_forms_gets_a_report_form_and_no_chat_flow(bot):
    [reply] = say(bot, "report Harassing", conversation="slack:C1:", wants_form=True)
    assert reply.kind == "report_form" and reply.private
    assert reply.data["prefill"] == {"category": "harassing"}
    [next_reply] = say(bot, "can I friend a parent?", conversation="slack:C1:")
    assert next_reply.kind != "flow"
    assert not list(bot.storage.db["conversations"].rows_where("state LIKE '%report%'"))


# ------------------------------------------------------------ overheard (not addressed)

def overheard(text: str) -> Incoming:
    return Incoming(text=text, conversation_id="slack:C0STAFF:1700000200.000200",
                    user_id="slack:UTEACHER2", platform="slack", overheard=True)


def test_an_overheard_policy_question_is_answered(bot):
    reply = bot.handle(overheard("Can I post photos of my students?"))[0]
    assert reply.kind == "answered" and reply.citations[0].id == "BUL-5688.0#3"


@pytest.mark.parametrize("text", ["thanks, that helps!", "report", "cases", "hi",
                                  "I think that is fine", "Who is bringing snacks on Friday?",
                                  "", "?!", "can I " + "post " * 2000 + "?", "\x00\x01bin"])
def test_overheard_chatter_commands_and_unanswerable_questions_get_no_reply(bot, text):
    assert bot.handle(overheard(text)) == []
    # nothing was started or stored: no conversation state, no question log entry
    assert bot.storage.db["conversations"].count == 0
    assert bot.storage.db["questions"].count == 0
