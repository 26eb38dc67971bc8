"""Casework through the core (issue 14, items 9 and 12): times in the district's zone with
their age, a case's age against its urgency's target, possible and linked duplicates (the
masked link never said), the unread-reply marker per administrator; chat commands go
through `Bot.handle`, the terminal through the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from browser.helpers import file_report
from click.testing import CliRunner

from bot.case_duplicates import link_key
from bot.config import Settings
from bot.models import Incoming
from bot.times import Times
from infra.errors import ConfigError
from policybot.cli_cases import cases as cases_cli

ADMIN = "teams:admin-1"
OTHER_ADMIN = "slack:UADMIN"
NOON_UTC = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # noon in Los Angeles (PST)


def say(bot, text, user=ADMIN):
    return bot.handle(Incoming(text, "teams:c", user, platform="teams"))


def reported_ago(bot, number, hours):
    stamp = (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")
    with bot.storage.write() as db:
        db.execute("UPDATE cases SET created_at = ? WHERE number = ?", [stamp, number])


def trail(bot, number, action):
    return [dict(r) for r in bot.storage.db.query(
        "SELECT actor, detail FROM case_events WHERE case_number = ? AND action = ? "
        "ORDER BY id", [number, action])]


# ---------------------------------------------------------------- times and settings


def test_times_read_in_the_district_zone_with_their_age():
    times = Times.of("America/Los_Angeles", NOON_UTC)
    assert times.when("2026-12-01T18:00:00+00:00") == "Tue 1 Dec 2026, 10:00 AM PST (2 hours ago)"
    assert times.readable("2026-07-04T17:30:00+00:00") == "Sat 4 Jul 2026, 10:30 AM PDT"
    assert times.ago("2026-12-01T19:59:30+00:00") == "just now"
    assert times.ago("2026-12-01T20:05:00+00:00") == "just now"  # a clock a little ahead
    assert times.ago("2026-11-28T20:00:00+00:00") == "3 days ago"
    assert times.readable("2026-12-01T18:00:00") == "Tue 1 Dec 2026, 10:00 AM PST"  # bare: UTC
    assert times.when(None) == times.when("not a time") == ""
    assert times.today().isoformat() == "2026-12-01"
    assert Times.of("America/New_York", NOON_UTC).readable("2026-12-02T03:00:00+00:00") \
        == "Tue 1 Dec 2026, 10:00 PM EST"
    assert Times.of("America/New_York", NOON_UTC).today().isoformat() == "2026-12-01"


def test_time_zone_and_targets_are_settings_checked_at_start():
    settings = Settings.from_env({})
    assert settings.timezone == "America/Los_Angeles"
    assert dict(settings.target_hours) == {"urgent": 4, "normal": 72}
    settings = Settings.from_env({"POLICYBOT_TIMEZONE": "America/Chicago",
                                  "POLICYBOT_TARGET_HOURS": "normal=48, urgent=2"})
    assert settings.timezone == "America/Chicago"
    assert dict(settings.target_hours) == {"urgent": 2, "normal": 48}
    assert dict(Settings.from_env({"POLICYBOT_TARGET_HOURS": "urgent=1"}).target_hours) \
        == {"urgent": 1, "normal": 72}  # one left out keeps its default
    with pytest.raises(ConfigError) as bad:
        Settings.from_env({"POLICYBOT_TIMEZONE": "Pacific Time",
                           "POLICYBOT_TARGET_HOURS": "urgent=4,high=24,normal=0,urgent"})
    text = str(bad.value)
    assert "POLICYBOT_TIMEZONE" in text and "'Pacific Time'" in text
    for item in ("'high=24'", "'normal=0'", "'urgent'"):
        assert item in text


# ---------------------------------------------------------------- age and overdue


def test_an_open_case_past_its_target_is_overdue_everywhere_it_is_shown(bot):
    late = file_report(bot, "Waiting", danger="yes")
    reported_ago(bot, late, 5)
    [reply] = say(bot, f"case {late}")
    assert reply.text.startswith(f"URGENT OVERDUE *Case {late}*")
    assert "*Age:* 5 hours, overdue (target 4 hours)" in reply.text
    assert reply.data["case_view"].overdue
    [listing] = say(bot, "cases")
    assert f"*{late}*" in listing.text and "reported 5 hours ago, *OVERDUE*" in listing.text
    for status in ("triaged", "investigating"):
        say(bot, f"set-status {late} {status}")
    say(bot, f"close {late} Post removed.")
    [reply] = say(bot, f"case {late}")
    assert "OVERDUE" not in reply.text and "*Age:* 5 hours\n" in reply.text


def test_a_normal_case_within_its_target_is_not_overdue(bot):
    number = file_report(bot, "Waiting a while")
    reported_ago(bot, number, 49)
    [reply] = say(bot, f"case {number}")
    assert "*Age:* 2 days (target 72 hours)" in reply.text
    assert not reply.data["case_view"].overdue


# ---------------------------------------------------------------- duplicates


@pytest.mark.parametrize("link", [
    "https://www.instagram.com/p/abc/", "http://instagram.com/p/abc", "instagram.com/p/abc",
    "HTTPS://WWW.INSTAGRAM.COM/p/abc", "www.instagram.com/p/abc/"])
def test_links_that_name_the_same_post_match(link):
    assert link_key(link) == "instagram.com/p/abc"


def test_links_to_different_posts_do_not_match():
    assert link_key("instagram.com/p/ABC") != link_key("instagram.com/p/abc")  # paths keep case
    assert link_key("instagram.com/p/abc?img=2") != link_key("instagram.com/p/abc")
    assert link_key("") is link_key(None) is link_key("none") is None
    assert link_key("example.com:notaport/x") is None
    assert link_key("example.com:8080/x") != link_key("example.com/x")


def test_links_with_like_wildcards_match_only_themselves(bot):
    first = file_report(bot, "First", link="https://x.com/a_b%c")
    file_report(bot, "Near", link="https://x.com/aXbYc")
    again = file_report(bot, "Again", link="x.com/A_B%c/")  # the path's case matters
    same = file_report(bot, "Same", link="www.x.com/a_b%c/")
    [reply] = say(bot, f"case {same}")
    assert f"*Possible duplicate of:* {first}\n" in reply.text
    assert again not in reply.text


def test_the_same_link_shows_a_possible_duplicate_by_number_only(bot):
    first = file_report(bot, "First", link="https://www.tiktok.com/@teacher/video/1/")
    other = file_report(bot, "Other", link="https://tiktok.com/@teacher/video/2")
    second = file_report(bot, "Again", link="tiktok.com/@teacher/video/1")
    [reply] = say(bot, f"case {second}")
    assert f"*Possible duplicate of:* {first}" in reply.text
    assert other not in reply.text and "video/1" not in reply.text
    [reply] = say(bot, f"case {first}")
    assert f"*Same link reported later in:* {second}" in reply.text
    [listing] = say(bot, "cases")
    assert "video" not in listing.text


def test_linking_a_duplicate_is_an_audited_admin_action(bot):
    first = file_report(bot, "First", link="facebook.com/p/1")
    second = file_report(bot, "Again", link="https://facebook.com/p/1/")
    [done] = say(bot, f"link-duplicate {second} {first.replace('-000', '-')}")
    assert done.text == f"Case *{second}* is linked as a duplicate of {first}."
    assert trail(bot, second, "duplicate_linked") == [
        {"actor": ADMIN, "detail": f'{{"of": "{first}"}}'}]
    [reply] = say(bot, f"case {second}")
    assert f"*Duplicate of:* {first}" in reply.text and "Possible duplicate" not in reply.text
    assert reply.data["case_view"].action("unlink") is not None
    [reply] = say(bot, f"case {first}")
    assert f"*Duplicates linked to it:* {second}" in reply.text
    # no loops, no second link, not itself, only real case numbers
    [refused] = say(bot, f"link-duplicate {first} {second}")
    assert refused.kind == "error" and "itself a duplicate of" in refused.text
    [refused] = say(bot, f"link-duplicate {second} {first}")
    assert "already linked" in refused.text
    [refused] = say(bot, f"link-duplicate {first} {first}")
    assert "cannot be a duplicate of itself" in refused.text
    [refused] = say(bot, f"link-duplicate {first} banana")
    assert "a case number like" in refused.text
    [done] = say(bot, f"unlink-duplicate {second}")
    assert done.text == f"Case *{second}* is no longer linked as a duplicate of {first}."
    assert len(trail(bot, second, "duplicate_unlinked")) == 1
    [refused] = say(bot, f"unlink-duplicate {second}")
    assert "is not linked" in refused.text


def test_a_non_admin_cannot_link_and_the_attempt_is_recorded(bot):
    first = file_report(bot, "First", link="facebook.com/p/1")
    second = file_report(bot, "Again", link="facebook.com/p/1")
    outcome = bot.case_desk.act(second, "teams:employee", "duplicate", first)
    assert not outcome.ok and outcome.problem == "not_permitted"
    assert trail(bot, second, "denied") == [
        {"actor": "teams:employee", "detail": '{"attempted": "link_duplicate"}'}]
    assert not list(bot.storage.db.query("SELECT * FROM case_duplicates"))


# ---------------------------------------------------------------- unread replies


def test_a_reporters_answer_is_unread_per_admin_until_they_open_the_case(bot):
    number = file_report(bot, "Named", identity="named", user="slack:UREPORTER")
    bot.cases.ask_reporter(number, "Which school?", ADMIN)
    bot.cases.answer_as_reporter("slack:UREPORTER", number, "Roosevelt.")
    new_reply = "new reply from the reporter"
    assert new_reply in say(bot, "cases")[0].text
    say(bot, f"case {number}")
    assert new_reply not in say(bot, "cases")[0].text
    assert new_reply in say(bot, "cases", OTHER_ADMIN)[0].text  # not read by this one
    bot.cases.answer_as_reporter("slack:UREPORTER", number, "On Friday.")
    assert new_reply in say(bot, "cases")[0].text


# ---------------------------------------------------------------- the terminal and reporters


def test_the_terminal_list_shows_readable_times_with_age(bot, settings, monkeypatch):
    monkeypatch.setenv("POLICYBOT_DB", settings.db_path)
    monkeypatch.setenv("POLICYBOT_TIMEZONE", "America/New_York")
    number = file_report(bot, "A report")
    reported_ago(bot, number, 3)
    result = CliRunner().invoke(cases_cli, ["list"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if number in ln)
    assert "reported 3 hours ago" in line and line.rstrip().endswith(("EST)", "EDT)"))


def test_my_reports_shows_when_each_was_filed_in_the_district_zone(bot):
    number = file_report(bot, "Mine", identity="named", user="slack:UREPORTER")
    created = bot.storage.db["cases"].get(1)["created_at"]
    [reply] = bot.handle(Incoming("my reports", "slack:D1", "slack:UREPORTER",
                                  platform="slack"))
    expected = Times.of("America/Los_Angeles").when(created)
    assert f"Case *{number}* (Harassing), filed {expected}: *new*." in reply.text


def test_slack_and_teams_head_an_overdue_case_with_it(bot):
    from handlers import slack_views, teams_cards

    late = file_report(bot, "Waiting", danger="yes")
    reported_ago(bot, late, 5)
    view = bot.case_desk.act(late, ADMIN, "view").view
    head = slack_views.case_message(view, "slack:C0ADMINS:")["blocks"][0]["text"]["text"]
    assert head == f":rotating_light: *URGENT* :hourglass: *OVERDUE* *Case {late}*"
    card = teams_cards.case_card(view)
    assert card["body"][0]["items"][0]["text"] == f"URGENT: OVERDUE: Case {late}"


def test_times_follow_the_replys_language():
    from bot.i18n import language

    times = Times.of("America/Los_Angeles", NOON_UTC)
    with language("es"):
        assert times.when("2026-12-01T18:00:00+00:00") == \
            "mar 1 dic 2026, 10:00 a.m. PST (hace 2 horas)"
        assert times.ago(NOON_UTC.isoformat()) == "justo ahora"


def test_my_reports_in_spanish_says_when_in_spanish(bot):
    number = file_report(bot, "Mía", identity="named", user="slack:UREPORTER")
    [reply] = bot.handle(Incoming("mis denuncias", "slack:D1", "slack:UREPORTER",
                                  platform="slack"))
    assert f"*{number}*" in reply.text and "presentado el " in reply.text
    assert "(justo ahora)" in reply.text or "(hace " in reply.text
