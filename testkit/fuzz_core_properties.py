"""The core's fuzz properties (hypothesis strategies and checks), run by
tests/test_fuzz_core.py with FUZZ_EXAMPLES each and by scripts/fuzz_core.py with many more.

(a) report_machine.advance over random answer sequences never raises, always answers
    (or finishes / cancels), and its state survives JSON;
(b) Bot.handle on arbitrary messages always returns at least one reply with text,
    and never the "something went wrong" of an unhandled exception;
(c) CaseStore keeps any description within the limit exactly (trimmed), and refuses
    longer ones without storing anything.
"""

from __future__ import annotations

import atexit
import collections
import json
import shutil
import tempfile
from datetime import date

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot import messages
from bot.config import Settings
from bot.models import Incoming
from bot.report_flow import DESCRIPTION_LIMIT, FORM_FIELDS, STEP_IDS, STEPS, get_step, validate_form
from bot.report_machine import FlowState, advance, begin
from infra.errors import InputTooLargeError
from testkit.fake_encoder import FakeEncoder

FUZZ_EXAMPLES = 100
COUNTS: collections.Counter[str] = collections.Counter()  # examples run, per property
ADMIN = "slack:UADMIN"
USERS = ("slack:UFUZZ1", "teams:fuzz-2", ADMIN, None)
YEAR = date.today().year


def fuzz_settings(examples: int, explore: bool = False) -> settings:
    """The test suite is a gate: the same examples on every run (derandomized), so CI never
    fails on a new random find. scripts/fuzz_core.py explores (explore=True: new examples
    each run); whatever it finds becomes a fixed regression test here."""
    return settings(max_examples=examples, deadline=None, database=None,
                    derandomize=not explore,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example])


# ------------------------------------------------------------------ strategies

EDGE = ("", " ", "\t", "\r\n", "\x00", "\x07", "\x1b[31mred\x1b[0m", "\x7f", "\u200b",
        "\ufeff", "\u202eevil\u202c", "\u200f", "مرحبا بالعالم", "שלום", "👩‍👩‍👧‍👦", "🏳️‍🌈",
        "e\u0301", "Ⅻ", "ǅ", "ß", "İ", "\u2028", "\u0085", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "'; DROP TABLE cases; --",
        "%s %d {0}", "<script>alert(1)</script>", "*bold* > quote `code`", "\\", '"')
edge = st.lists(st.sampled_from(EDGE), min_size=1, max_size=4).map("".join)
plain_text = st.text(max_size=300)  # lone surrogates included
huge = st.builds(lambda chars, n: (chars * n)[:n], st.text(min_size=1, max_size=3),
                 st.integers(0, 20_000))
near_limit = st.builds(lambda n, tail: "x" * n + tail,
                       st.integers(DESCRIPTION_LIMIT - 3, DESCRIPTION_LIMIT + 3),
                       st.sampled_from(["", " ", "é", "👍", "\n"]))
COMMANDS = ("back", "cancel", "skip", "submit", "yes", "no", "stop", "quit", "none", "-", "n/a",
            "today", "yesterday", "2026-03-05", "03/05/2026", "March 5, 2026", "2999-01-01",
            "https://facebook.com/p/1", "http://localhost", "ftp://x.y", "edit nope", "change link",
            *(f"edit {s}" for s in FORM_FIELDS), *(str(i) for i in range(0, 10)))
OPTION_WORDS = tuple(sorted({w for s in STEPS for v, label in s.options
                             for w in (v, label, label.split(":")[0])}))
dates = st.dates(date(1990, 1, 1), date(2100, 12, 31)).flatmap(
    lambda d: st.sampled_from([d.isoformat(), d.strftime("%m/%d/%Y"), d.strftime("%B %d, %Y")]))
mixed_text = st.builds(lambda a, b, c: a + b + c, plain_text, edge, plain_text)


anything = st.one_of(st.sampled_from(COMMANDS), st.sampled_from(OPTION_WORDS), plain_text, edge,
                     mixed_text, huge, near_limit, dates)


def valid_for(step_id: str) -> st.SearchStrategy[str]:
    """Answers the step accepts, so random walks reach the review and submit."""
    step = get_step(step_id)
    if step.kind == "choice":
        return st.sampled_from([v for v, _ in step.options]
                               + [str(i) for i in range(1, len(step.options) + 1)])
    if step.kind == "url":
        return st.sampled_from(["skip", "https://x.com/p/1", "https://www.tiktok.com/@a/v/1"])
    if step.kind == "date":
        return st.sampled_from(["skip", "today", "yesterday", "2020-02-29"])
    if step.kind == "text":
        return st.one_of(mixed_text.filter(str.strip), near_limit)
    return st.sampled_from(["submit", "edit description", "back"])


# ------------------------------------------------------------------ (a) the report flow

def check_flow(data) -> None:
    COUNTS["report_flow"] += 1
    today = data.draw(st.dates(date(2000, 1, 1), date(2100, 12, 31)), label="today")
    start = data.draw(st.one_of(st.none(), st.sampled_from(OPTION_WORDS),
                                plain_text))
    transition = begin(start)
    assert transition.replies and transition.state is not None
    state = transition.state
    for _ in range(data.draw(st.integers(0, 30), label="length")):
        answer = data.draw(st.one_of(valid_for(state.step), valid_for(state.step), anything),
                           label="answer")
        transition = advance(state, answer, today)
        assert transition.replies or transition.finished is not None or transition.cancelled
        assert all(r.text.strip() for r in transition.replies)
        if transition.finished is not None or transition.cancelled:
            assert transition.state is None
            if transition.finished is not None:
                COUNTS["report_flow: reports finished"] += 1
                assert set(transition.finished) == set(FORM_FIELDS)
                assert validate_form(transition.finished, today=today)[1] == {}
                assert len(transition.finished["description"]) <= DESCRIPTION_LIMIT
            state = begin().state
            continue
        new = transition.state
        assert new is not None and new.step in STEP_IDS
        assert transition.replies[-1].step["id"] == new.step
        data_ = json.loads(json.dumps(new.to_dict(), ensure_ascii=False))
        assert FlowState.from_dict(data_) == new
        if transition.error:
            assert new == state  # a refused answer changes nothing
        state = new


# ------------------------------------------------------------------ (b) Bot.handle

_SHARED: dict[str, object] = {}


def shared_bot():
    """One bot for all examples (state accumulates: reports in progress, cases)."""
    if "bot" not in _SHARED:
        from bot.app import build_bot

        folder = tempfile.mkdtemp(prefix="policybot-fuzz-")
        atexit.register(shutil.rmtree, folder, True)
        _SHARED["bot"] = build_bot(Settings.from_env({"POLICYBOT_DB": f"{folder}/fuzz.db",
                                                      "POLICYBOT_ADMINS": ADMIN}),
                                   encoder=FakeEncoder())
    return _SHARED["bot"]


numbers = st.integers(1, 30).map(lambda n: f"{YEAR}-{n:04d}")
BOT_COMMANDS = ("help", "hi", "thanks", "report", "report harassing", "report nonsense", "cancel",
                "back", "my reports", "cases", "cases status=new", "cases category=nope",
                "my cases",
                "feedback helpful 1", "feedback unhelpful 999999", "feedback",
                "show BUL-5688.0#3", "show nothing", "status " + "A" * 24,
                "reply " + "A" * 24 + " hi",
                "Can I friend a student's parent on Facebook?", "¿Puedo publicar fotos de mis "
                "estudiantes?", "what about instagram?")
admin_commands = st.builds(
    lambda verb, number, rest: f"{verb} {number} {rest}".strip(),
    st.sampled_from(["case", "claim", "assign", "set-status", "close", "reopen", "set-category",
                     "set-urgency", "note", "ask", "reply"]), numbers,
    st.one_of(st.sampled_from(["", "triaged", "investigating", "resolved", "dismissed duplicate",
                               "dismissed", "slack:U9", "why?", "threatening", "urgent"]),
              plain_text)
)
message = st.one_of(st.sampled_from(BOT_COMMANDS), admin_commands, anything,
                    *(valid_for(s) for s in STEP_IDS))


def check_bot(turns) -> None:
    COUNTS["bot_handle"] += 1
    bot = shared_bot()
    for conversation, user, text, is_button in turns:
        incoming = Incoming(text=text, conversation_id=f"fuzz:{conversation}", user_id=user,
                            platform="slack", is_button=is_button)
        replies = bot.handle(incoming)
        COUNTS["bot_handle: messages"] += 1
        COUNTS.update(f"bot_handle: {r.kind} replies" for r in replies if r.kind == "receipt")
        assert len(replies) >= 1
        for reply in replies:
            assert reply.text and reply.text.strip()
            assert reply.text != messages.internal_error(), (text, reply)


turns = st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(USERS), message,
                           st.booleans()), min_size=1, max_size=8)


# ------------------------------------------------------------------ (c) CaseStore

DRAFT = {"category": "other", "danger": "no", "platform": "other", "link": None, "when": None,
         "target": "unknown", "identity": "named"}
descriptions = st.one_of(plain_text, mixed_text, near_limit, huge, edge,
                         st.text(st.characters(exclude_categories=("Cs",)), min_size=4000,
                                 max_size=5100))


def check_case_store(description: str, anonymous: bool) -> None:
    COUNTS["case_store"] += 1
    cases = shared_bot().cases
    before = cases.storage.db["cases"].count
    reporter = None if anonymous else "slack:UFUZZ1"
    if not description.strip() or len(description) > DESCRIPTION_LIMIT:
        # Blank is refused first (ValueError), then too long (InputTooLargeError).
        error = ValueError if not description.strip() else InputTooLargeError
        with pytest.raises(error):
            cases.open_case({**DRAFT, "description": description}, reporter, anonymous, [])
        assert cases.storage.db["cases"].count == before
        return
    case, _ = cases.open_case({**DRAFT, "description": description}, reporter, anonymous, [])
    COUNTS["case_store: cases stored"] += 1
    assert case["description"] == description.strip()
    assert cases.get(case["number"], ADMIN)["description"] == description.strip()
    raw = cases.storage.db.execute("SELECT description FROM cases WHERE number = ?",
                                   [case["number"]]).fetchone()[0]
    assert raw == description.strip()


PROPERTIES = {  # name -> (check, strategies); scripts/fuzz_core.py runs them with more examples
    "report_flow": (check_flow, (st.data(),)),
    "bot_handle": (check_bot, (turns,)),
    "case_store": (check_case_store, (descriptions, st.booleans())),
}
