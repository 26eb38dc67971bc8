"""Property-based fuzzing of the core (hypothesis): the properties of
testkit/fuzz_core_properties.py (the report flow, Bot.handle, CaseStore descriptions), plus
regression tests for what they found.

The default run is small (FUZZ_EXAMPLES per property); scripts/fuzz_core.py runs
the same properties with a large count and prints how many cases were tried.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import messages
from bot.models import Incoming
from bot.report_machine import advance, begin
from testkit.fuzz_core_properties import (
    FUZZ_EXAMPLES,
    check_bot,
    check_case_store,
    check_flow,
    descriptions,
    fuzz_settings,
    turns,
)

# ------------------------------------------------------------------ the tests

@fuzz_settings(FUZZ_EXAMPLES * 3)
@given(st.data())
def test_report_flow_survives_any_answers(data):
    check_flow(data)


@fuzz_settings(FUZZ_EXAMPLES)
@given(turns)
def test_bot_handle_always_replies(turns):
    check_bot(turns)


@fuzz_settings(FUZZ_EXAMPLES)
@given(descriptions, st.booleans())
def test_case_store_keeps_descriptions_verbatim(description, anonymous):
    check_case_store(description, anonymous)


@pytest.mark.parametrize("answer", ["²", "1" * 4301])
def test_digit_like_answers_are_reasked_not_raised(answer):
    assert advance(begin().state, answer, date(2026, 3, 10)).error


def test_lone_surrogates_get_the_answer_the_question_gets_without_them(bot):
    [reply] = bot.handle(Incoming(text="can I post \ud800 photos?", conversation_id="s",
                                  platform="slack"))
    [plain] = bot.handle(Incoming(text="can I post photos?", conversation_id="t",
                                  platform="slack"))
    assert reply.text != messages.internal_error()
    assert (reply.kind, reply.status, [c.id for c in reply.citations], reply.confidence) == (
        "answered", "answered", [c.id for c in plain.citations], plain.confidence)
