"""Settings from the environment: defaults, and one message naming every bad value."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.config import Settings
from infra.errors import ConfigError
from policybot.cli import main


def test_defaults_serve_one_process_on_3978():
    s = Settings.from_env({})
    assert (s.host, s.port, s.workers, s.db_path) == ("127.0.0.1", 3978, 1, "policybot.db")


def test_port_and_workers_are_read():
    s = Settings.from_env({"PORT": "8080", "POLICYBOT_WORKERS": "2"})
    assert (s.port, s.workers) == (8080, 2)


@pytest.mark.parametrize("value", ["abc", "0", "17", "-1", "1.5"])
def test_a_bad_worker_count_is_refused_by_name(value):
    with pytest.raises(ConfigError, match="POLICYBOT_WORKERS must be a number from 1 to 16"):
        Settings.from_env({"POLICYBOT_WORKERS": value})


def test_every_bad_value_is_named_in_one_message():
    with pytest.raises(ConfigError) as e:
        Settings.from_env({"PORT": "abc", "POLICYBOT_WORKERS": "many",
                           "POLICYBOT_LOG_LEVEL": "loud"})
    message = str(e.value)
    assert "PORT must be" in message and "POLICYBOT_WORKERS must be" in message
    assert "POLICYBOT_LOG_LEVEL must be" in message


def test_serve_refuses_a_bad_setting_before_starting(monkeypatch):
    monkeypatch.setenv("POLICYBOT_WORKERS", "zero")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code != 0
    assert "POLICYBOT_WORKERS must be a number from 1 to 16, got 'zero'" in result.output


def test_serve_refuses_a_worker_count_out_of_range():
    result = CliRunner().invoke(main, ["serve", "--workers", "40"])
    assert result.exit_code != 0 and "--workers" in result.output


def test_serve_with_workers_names_a_database_it_cannot_open(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("POLICYBOT_DB", str(blocker / "policybot.db"))
    result = CliRunner().invoke(main, ["serve", "--workers", "2", "--port", "1"])
    assert result.exit_code == 1
    assert "The database cannot be opened" in result.output


@pytest.mark.parametrize("env, message", [
    ({"POLICYBOT_ADMINS": "slack:U0AAA1111,U0BBB2222"},
     "POLICYBOT_ADMINS entries need a platform prefix"),
    ({"POLICYBOT_ADMINS": "teams:"}, "POLICYBOT_ADMINS entries need a platform prefix"),
    ({"POLICYBOT_ADMIN_CHANNEL": "#policybot-cases"}, "must be the channel's id"),
    ({"POLICYBOT_ADMIN_CHANNEL": "policybot-cases"}, "must be the channel's id"),
    ({"SLACK_BOT_TOKEN": "xapp-1-A0-123", "SLACK_SIGNING_SECRET": "s"},
     "SLACK_BOT_TOKEN must be the Bot User OAuth Token"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"},
     "SLACK_APP_TOKEN must be an app-level token"),
    ({"MicrosoftAppId": "policybot", "MicrosoftAppPassword": "p"},
     "MicrosoftAppId must be the bot's Microsoft App ID"),
])
def test_set_up_mistakes_are_refused_at_start_by_name(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_well_formed_set_up_values_are_accepted():
    s = Settings.from_env({
        "POLICYBOT_ADMINS": "slack:U0AAA1111 = Ana Ruiz, teams:29:1abc, web:maria",
        "POLICYBOT_ADMIN_CHANNEL": "C0123ABCD", "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
        "SLACK_APP_TOKEN": "xapp-1-A0-1", "MicrosoftAppId": "00000000-0000-4000-8000-00000000b0b0",
        "MicrosoftAppPassword": "p"})
    assert s.admins == {"slack:U0AAA1111", "teams:29:1abc", "web:maria"}
    assert s.admin_names == (("slack:U0AAA1111", "Ana Ruiz"),)  # what pickers show
    assert s.slack_admin_channel == "C0123ABCD"


def test_serve_refuses_an_admin_channel_name(monkeypatch):
    monkeypatch.setenv("POLICYBOT_ADMIN_CHANNEL", "#cases")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code != 0 and "must be the channel's id" in result.output


def test_serve_beyond_loopback_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("POLICYBOT_SECRET_KEY", raising=False)
    monkeypatch.setenv("POLICYBOT_DB", str(tmp_path / "policybot.db"))
    for host in ("0.0.0.0", "10.1.2.3", "::"):
        result = CliRunner().invoke(main, ["serve", "--host", host, "--port", "1"])
        assert result.exit_code == 1, result.output
        assert "POLICYBOT_SECRET_KEY is not set" in result.output
    assert not (tmp_path / "policybot.db").exists()  # refused before anything was opened


def test_loopback_check():
    from bot.config import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.8.9.10") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("")
    assert not is_loopback("example.org") and not is_loopback("10.0.0.1")
