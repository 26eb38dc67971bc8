import json
from datetime import date

import pytest

from bot.report_flow import (
    CATEGORIES,
    DESCRIPTION_LIMIT,
    PLATFORMS,
    STEP_IDS,
    STEPS,
    TARGETS,
    validate,
    validate_form,
)
from bot.report_machine import FlowState, advance, begin

TODAY = date(2026, 3, 10)
HAPPY = ["harassing", "no", "instagram", "https://instagram.com/p/abc", "yesterday", "student",
         "A post naming a student.", "named"]


def run(answers, state=None):
    state = state or begin().state
    transitions = []
    for answer in answers:
        t = advance(state, answer, TODAY)
        transitions.append(t)
        state = t.state
    return state, transitions


def test_step_ids_and_option_ids_follow_the_contract():
    assert STEP_IDS == ("category", "danger", "platform", "link", "when", "target",
                        "description", "identity", "confirm")
    assert [v for v, _ in CATEGORIES] == ["threatening", "harassing", "racist_biased",
                                          "derogatory", "bullying", "student_identified",
                                          "confidential_info", "other"]
    assert [v for v, _ in PLATFORMS] == ["facebook", "instagram", "x", "tiktok", "youtube",
                                         "snapchat", "district", "other"]
    assert [v for v, _ in TARGETS] == ["student", "employee", "associated", "unknown"]


def test_step_to_dict_has_the_documented_keys_and_is_json():
    for step in STEPS:
        d = step.to_dict()
        assert set(d) == {"id", "prompt", "kind", "options", "optional", "max_length", "help"}
        json.dumps(d)
    assert [s.id for s in STEPS if s.optional] == ["link", "when"]
    assert STEPS[6].to_dict()["max_length"] == DESCRIPTION_LIMIT


@pytest.mark.parametrize("raw", ["2", "harassing", "Harassing", " HARASSING "])
def test_choice_accepts_number_id_or_label(raw):
    assert validate("category", raw, TODAY) == ("harassing", None)


def test_choice_accepts_label_parts_and_refuses_unknown_with_reason():
    assert validate("platform", "twitter", TODAY)[0] == "x"
    assert validate("platform", "X/Twitter", TODAY)[0] == "x"
    assert validate("category", "Racist or biased", TODAY)[0] == "racist_biased"
    value, error = validate("category", "9", TODAY)
    assert value is None and "1 Threatening" in error


@pytest.mark.parametrize("raw,expected", [("yes", "yes"), ("Y", "yes"), ("no", "no"),
                                          ("2", "no")])
def test_danger_is_yes_or_no(raw, expected):
    assert validate("danger", raw, TODAY) == (expected, None)


def test_link_is_optional_and_must_be_http_url():
    assert validate("link", "skip", TODAY) == (None, None)
    assert validate("link", "", TODAY) == (None, None)
    assert validate("link", "https://www.tiktok.com/@x/video/1", TODAY)[1] is None
    for bad in ("javascript:alert(1)", "ftp://x.com/a", "not a link", "https://", "x",
                "data:text/html,hi"):
        value, error = validate("link", bad, TODAY)
        assert value is None and "does not look like a web link" in error


@pytest.mark.parametrize("typed, stored", [
    ("instagram.com/p/abc", "https://instagram.com/p/abc"),
    ("www.x.com/someone/status/1", "https://www.x.com/someone/status/1"),
    ("//tiktok.com/@x", "https://tiktok.com/@x"),
    ("http://example.org/a", "http://example.org/a"),
])
def test_a_link_without_its_scheme_is_taken_as_https(typed, stored):
    assert validate("link", typed, TODAY) == (stored, None)


@pytest.mark.parametrize("raw, expected", [  # TODAY is Tuesday 2026-03-10
    ("last tuesday", "2026-03-03"), ("Tuesday", "2026-03-10"), ("on monday", "2026-03-09"),
    ("last Sunday", "2026-03-08"), ("fri", "2026-03-06"), ("this past wed", "2026-03-04"),
    ("3 days ago", "2026-03-07"), ("a week ago", "2026-03-03"), ("last week", "2026-03-03"),
    ("03/05", "2026-03-05"), ("December 24", "2025-12-24"), ("march 9", "2026-03-09"),
])
def test_everyday_dates_are_understood(raw, expected):
    assert validate("when", raw, TODAY) == (expected, None)


@pytest.mark.parametrize("raw,expected", [
    ("today", "2026-03-10"), ("Yesterday", "2026-03-09"), ("2026-03-01", "2026-03-01"),
    ("03/01/2026", "2026-03-01"), ("3/1/26", "2026-03-01"), ("March 1, 2026", "2026-03-01"),
    ("skip", None)])
def test_when_accepts_iso_us_dates_and_words(raw, expected):
    assert validate("when", raw, TODAY) == (expected, None)


def test_when_refuses_future_and_garbage():
    assert "future" in validate("when", "2026-03-11", TODAY)[1]
    assert validate("when", "last week sometime", TODAY)[0] is None
    assert validate("when", "13/45/2026", TODAY)[1]


def test_description_required_and_limited_with_limit_stated():
    assert validate("description", "   ", TODAY)[1]
    exact = "é" * DESCRIPTION_LIMIT
    assert validate("description", exact, TODAY) == (exact, None)
    value, error = validate("description", "x" * (DESCRIPTION_LIMIT + 1), TODAY)
    assert value is None and "5,000" in error and "5,001" in error


def test_happy_path_walks_every_step_in_order_then_finishes():
    state = begin().state
    seen = [state.step]
    for answer in HAPPY:
        t = advance(state, answer, TODAY)
        assert t.error is None
        state = t.state
        seen.append(state.step)
        assert t.replies[-1].kind == "flow" and t.replies[-1].step["id"] == state.step
    assert seen == list(STEP_IDS)
    t = advance(state, "submit", TODAY)
    assert t.state is None and t.replies == []
    assert t.finished == {"category": "harassing", "danger": "no", "platform": "instagram",
                          "link": "https://instagram.com/p/abc", "when": "2026-03-09",
                          "target": "student", "description": "A post naming a student.",
                          "identity": "named"}


def test_prompt_lists_numbered_options_and_buttons_with_option_values_and_cancel():
    reply = begin().replies[0]
    assert reply.kind == "flow" and reply.step["id"] == "category"
    assert "1. Threatening" in reply.text and "8. Other" in reply.text
    values = [b.value for b in reply.buttons]
    assert values[:8] == [v for v, _ in CATEGORIES]
    assert values[-1] == "cancel"


def test_identity_prompt_explains_both_choices_honestly():
    state, transitions = run(HAPPY[:7])
    assert state.step == "identity"
    text = transitions[-1].replies[-1].text
    assert "administrators see who you are" in text
    assert "no identity is stored" in text and "case key, shown once" in text


def test_confirm_reviews_every_answer():
    _state, transitions = run(HAPPY)
    review = transitions[-1].replies[-1].text
    for fragment in ("Harassing", "Instagram", "https://instagram.com/p/abc", "2026-03-09",
                     "A student", "A post naming a student.", "Named"):
        assert fragment in review
    assert "submit" in [b.value for b in transitions[-1].replies[-1].buttons]


def test_invalid_answer_reasks_same_step_with_reason_and_keeps_state():
    state, _ = run(HAPPY[:2])
    t = advance(state, "myspace", TODAY)
    assert t.error and t.state == state
    assert t.replies[0].text.startswith("Please choose") and t.replies[0].step["id"] == "platform"
    assert t.replies[0].data["error"] == t.error


def test_oversize_description_refused_and_nothing_lost():
    state, _ = run(HAPPY[:6])
    before = state.to_dict()
    t = advance(state, "y" * 6000, TODAY)
    assert t.error and "5,000" in t.replies[0].text
    assert t.state.to_dict() == before and t.state.step == "description"
    t2 = advance(t.state, "shorter", TODAY)
    assert t2.state.answers["description"] == "shorter"
    assert t2.state.answers["category"] == "harassing"


def test_back_returns_to_previous_step_and_keeps_answers():
    state, _ = run(HAPPY[:3])
    assert state.step == "link"
    t = advance(state, "back", TODAY)
    assert t.state.step == "platform" and t.state.answers["platform"] == "instagram"
    t = advance(t.state, "BACK", TODAY)
    assert t.state.step == "danger"
    first = begin().state
    t = advance(first, "back", TODAY)
    assert t.error and t.state.step == "category"


def test_cancel_at_any_step_stops():
    for n in range(len(HAPPY) + 1):
        state, _ = run(HAPPY[:n])
        t = advance(state, "cancel", TODAY)
        assert t.cancelled and t.state is None and t.finished is None
        assert "Nothing was stored" in t.replies[0].text


def test_danger_yes_gives_emergency_guidance_first():
    state, _ = run(["threatening"])
    t = advance(state, "yes", TODAY)
    assert [r.kind for r in t.replies] == ["emergency", "flow"]
    text = t.replies[0].text
    assert "911" in text and "school police" in text and "988" in text and "urgent" in text
    assert t.state.answers["danger"] == "yes"


def test_prefilled_category_skips_to_danger_and_back_reaches_category():
    t = begin("bullying")
    assert t.state.step == "danger" and t.state.answers == {"category": "bullying"}
    assert advance(t.state, "back", TODAY).state.step == "category"
    assert begin("not-a-category").state.step == "category"


def test_edit_from_review_changes_one_answer_and_returns_to_review():
    state, _ = run(HAPPY)
    t = advance(state, "edit platform", TODAY)
    assert t.state.step == "platform" and t.state.editing
    t = advance(t.state, "tiktok", TODAY)
    assert t.state.step == "confirm" and "TikTok" in t.replies[-1].text
    assert advance(t.state, "yes", TODAY).finished["platform"] == "tiktok"
    assert advance(state, "edit nothing", TODAY).error


def test_confirm_refuses_other_answers():
    state, _ = run(HAPPY)
    t = advance(state, "maybe", TODAY)
    assert t.error and t.state.step == "confirm" and t.finished is None


def test_state_round_trips_through_json():
    state, _ = run(HAPPY[:5])
    again = FlowState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again == state


def test_validate_form_collects_every_error_and_builds_draft():
    draft, errors = validate_form(dict(zip(STEP_IDS, HAPPY, strict=False)), today=TODAY)
    assert errors == {} and draft["when"] == "2026-03-09"
    draft, errors = validate_form({"category": "nope", "link": "bad",
                                   "description": "z" * 5001}, today=TODAY)
    assert set(errors) == {"category", "danger", "platform", "link", "target", "description",
                           "identity"}
    assert "5,000" in errors["description"]


def test_every_prompt_says_which_step_of_how_many():
    _, transitions = run(HAPPY)
    texts = [t.replies[-1].text for t in transitions]
    assert [t.split(":")[0] for t in [begin().replies[0].text] + texts] == [
        f"Step {n} of 9" for n in range(1, 10)]
    assert transitions[-1].replies[-1].data["progress"] == {"step": 9, "of": 9}


def test_no_prompt_shows_developer_text_or_markdown_code():
    state = begin(ask_contact=True).state
    prompts = [begin(ask_contact=True).replies[0]]
    for answer in HAPPY + ["Maria Lopez, maria@lausd.net"]:
        t = advance(state, answer, TODAY)
        state = t.state
        prompts += t.replies
    prompts += advance(state, "edit nothing", TODAY).replies
    for reply in prompts:
        assert "`" not in reply.text and "STEP" not in reply.text
        assert "steps:" not in reply.text.lower() and "_" not in reply.text


def test_a_named_report_where_the_platform_does_not_say_who_asks_name_and_email():
    state = begin(ask_contact=True).state
    for answer in HAPPY:
        state = advance(state, answer, TODAY).state
    assert state.step == "contact" and state.progress() == (9, 10)
    t = advance(state, "maria.lopez@lausd.net", TODAY)
    assert t.error and "name" in t.error
    t = advance(state, "Maria Lopez, maria.lopez@lausd.net", TODAY)
    assert t.state.step == "confirm" and t.state.progress() == (10, 10)
    assert "Maria Lopez, maria.lopez@lausd.net" in t.replies[-1].text
    done = advance(t.state, "submit", TODAY)
    assert done.finished["contact"] == {"name": "Maria Lopez", "email": "maria.lopez@lausd.net"}


def test_an_anonymous_report_skips_the_contact_step_and_keeps_no_contact():
    state = begin(ask_contact=True).state
    for answer in HAPPY[:-1] + ["named", "Maria Lopez, maria@lausd.net", "edit reporting as",
                                "anonymous"]:
        state = advance(state, answer, TODAY).state
    assert state.step == "confirm" and "contact" not in state.answers
    assert "Maria" not in prompt_text(state)
    state = begin(ask_contact=True).state
    for answer in HAPPY[:-1] + ["anonymous"]:
        state = advance(state, answer, TODAY).state
    assert state.step == "confirm" and state.progress() == (10, 10)
    assert "contact" not in advance(state, "submit", TODAY).finished


def test_switching_to_named_in_the_review_asks_for_the_contact():
    state = begin(ask_contact=True).state
    for answer in HAPPY[:-1] + ["anonymous", "edit reporting as", "named"]:
        state = advance(state, answer, TODAY).state
    assert state.step == "contact"
    state = advance(state, "Maria Lopez <maria@lausd.net>", TODAY).state
    assert state.step == "confirm" and state.answers["contact"]["email"] == "maria@lausd.net"


def test_edit_takes_an_answer_by_its_name():
    state, _ = run(HAPPY)
    assert advance(state, "edit what happened", TODAY).state.step == "description"
    assert advance(state, "edit link", TODAY).state.step == "link"
    assert advance(state, "change posted or seen", TODAY).state.step == "when"


def prompt_text(state):
    from bot.report_machine import prompt_reply

    return prompt_reply(state).text
