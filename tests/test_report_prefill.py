"""The report form pre-filled from a reported chat message (Slack's shortcut, Teams'
message extension): whatever the message, the description fits the form and submits."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from bot.report_flow import DESCRIPTION_LIMIT, validate_form
from bot.report_prefill import REASON_ROOM, WHY, prefill_from_message

# Short messages and long ones (a few characters repeated up to far past the limit).
MESSAGES = st.text(max_size=200) | st.builds(lambda t, n: t * n, st.text(min_size=1, max_size=20),
                                              st.integers(1, DESCRIPTION_LIMIT))


@given(text=MESSAGES, author=st.text(min_size=1, max_size=200),
       where=st.none() | st.text(min_size=1, max_size=100))
def test_any_message_prefills_a_description_the_form_accepts(text, author, where):
    prefill = prefill_from_message("Teams", author, text, "https://teams.microsoft.com/l/1",
                                   where)
    description = prefill["description"]
    assert description.startswith(f"Teams message by {author}") and description.endswith(WHY)
    reason = "r" * REASON_ROOM  # the reporter's own words still fit
    values = {**prefill, "category": "other", "danger": "no", "target": "unknown",
              "identity": "named", "description": description + reason}
    _, errors = validate_form(values, today=date(2026, 3, 5))
    assert "description" not in errors and "link" not in errors, errors


def test_a_long_message_is_cut_with_an_ellipsis_and_short_ones_are_whole():
    short = prefill_from_message("Slack", "Pat", "one\ntwo", None, "#staff")["description"]
    assert short == "Slack message by Pat in #staff:\n> one\n> two" + WHY
    long = prefill_from_message("Slack", "Pat", "x" * 9000, None)["description"]
    assert len(long) == DESCRIPTION_LIMIT - REASON_ROOM and long.endswith("…" + WHY)
