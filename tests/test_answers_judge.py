"""Whether the closest clause answers the question, with the real model: a clause that is
near the question but silent on what was asked is shown as related, never as the answer.
The questions here are the examples of confidently wrong answers named in issue 10 and
questions written for this test, not questions of any evaluation set."""

import pytest

pytestmark = pytest.mark.model

SILENT = [
    # (question, what the closest clause does not speak to)
    ("Can I text a student from my personal phone?", "phone"),
    ("Can the District read the texts on my personal phone?", "phone"),
    ("Photos of coworkers from the holiday party?", "party"),
    ("Should I block a parent who leaves nasty comments?", "block"),
]


@pytest.mark.parametrize(("question", "silent_on"), SILENT)
def test_a_near_clause_that_does_not_answer_is_related(real_bot, question, silent_on):
    out = real_bot.retriever.decide(question)
    assert out.status == "related", (out.status, [c.entry.id for c in out.candidates])
    assert len(out.candidates) == 1
    if out.offers_report:
        # Someone else's conduct (a parent's nasty comments) may read as a report wish, near
        # the report judge's threshold: then the reply offers "Report it" instead of naming
        # what the clause is silent on.
        assert out.topic is None
    else:
        assert silent_on in (out.topic or "")


@pytest.mark.parametrize(("question", "entry"), [
    ("can I friend a parent?", "BUL-5688.0#1"),
    ("Am I allowed to put my students' pictures on the class Instagram?", "BUL-5688.0#3"),
    ("Is the district allowed to look through my work email?", "BUL-5688.0#5"),
])
def test_a_clause_that_speaks_to_the_question_is_the_answer(real_bot, question, entry):
    out = real_bot.retriever.decide(question)
    assert out.status == "answered" and out.candidates[0].entry.id == entry
    assert not out.offers_report


def test_a_story_is_not_answered_outright_and_a_wish_to_report_is_offered(real_bot):
    story = (
        "I coach the girls' volleyball team. After we lost on Friday, one of the players' "
        "dads posted on Facebook that I am a terrible coach who should be fired, and he "
        "tagged the school's page. Dozens of people have commented and some of the comments "
        "are really nasty. I have not replied to any of it. Can I make him take it down?")
    out = real_bot.retriever.decide(story)
    assert out.status in ("related", "report")
    assert out.offers_report


def test_out_of_scope_is_still_refused(real_bot):
    out = real_bot.retriever.decide("How do I apply for a parking permit at my school?")
    assert out.status == "no_answer"


def test_through_the_core_a_story_names_its_question_and_offers_the_report(model_bot):
    from bot.models import Incoming

    story = (
        "Last spring I took my fifth graders to the science museum and a parent chaperone "
        "came along. Yesterday I found out she posted a video on Instagram of me losing my "
        "temper with a student on that trip, with a caption calling me unfit to teach. It "
        "already has hundreds of views and other parents are sharing it. Who should I tell "
        "about this?")
    replies = model_bot.handle(Incoming(story, "story-1", "web-chat:abc"))
    first = replies[0]
    assert first.status == "related"
    assert "Who should I tell about this?" in first.text
    assert first.offers_report
    assert first.buttons[0].label == "Report it"
    assert first.buttons[0].value.startswith("report")


def test_through_the_core_a_related_clause_is_not_presented_as_the_answer(model_bot):
    from bot.models import Incoming

    [reply] = model_bot.handle(Incoming("Can I text a student from my personal phone?",
                                        "rel-1", "web-chat:abc"))
    assert reply.status == "related" and reply.kind == "related"
    assert "doesn't say anything specific about" in reply.text
    assert not reply.offers_report
