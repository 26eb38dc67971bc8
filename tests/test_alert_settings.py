"""The alert settings are refused at start with a message naming the variable (and never
the password); good ones are read as written."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.alert_config import parse_smtp_url
from bot.config import Settings
from infra.errors import ConfigError
from policybot.cli import main


@pytest.mark.parametrize("env, message", [
    ({"POLICYBOT_SMTP_URL": "http://mail.lausd.net", "POLICYBOT_ALERT_EMAILS": "a@lausd.net"},
     "POLICYBOT_SMTP_URL must start with smtp:// or smtps://"),
    ({"POLICYBOT_SMTP_URL": "smtp://", "POLICYBOT_ALERT_EMAILS": "a@lausd.net"},
     "POLICYBOT_SMTP_URL names no host"),
    ({"POLICYBOT_SMTP_URL": "smtp://u%40lausd.net:pw@mail.lausd.net:587",
      "POLICYBOT_ALERT_EMAILS": "a@lausd.net"},
     "would send the password unencrypted to mail.lausd.net"),
    ({"POLICYBOT_SMTP_URL": "smtp://mail.lausd.net:port", "POLICYBOT_ALERT_EMAILS": "a@lausd.net"},
     "POLICYBOT_SMTP_URL is not a URL"),
    ({"POLICYBOT_SMTP_URL": "smtps://mail.lausd.net?starttls=true",
      "POLICYBOT_ALERT_EMAILS": "a@lausd.net"}, "smtps:// is TLS already"),
    ({"POLICYBOT_SMTP_URL": "smtps://mail.lausd.net",
      "POLICYBOT_ALERT_EMAILS": "safety@lausd.net, principal at lausd.net",
      "POLICYBOT_ALERT_FROM": "p@lausd.net"},
     "POLICYBOT_ALERT_EMAILS: 'principal at lausd.net' is not an e-mail address"),
    ({"POLICYBOT_SMTP_URL": "smtps://mail.lausd.net"},
     "POLICYBOT_SMTP_URL is set but POLICYBOT_ALERT_EMAILS is not"),
    ({"POLICYBOT_ALERT_EMAILS": "a@lausd.net"},
     "POLICYBOT_ALERT_EMAILS is set but POLICYBOT_SMTP_URL is not"),
    ({"POLICYBOT_SMTP_URL": "smtps://alerts:pw@mail.lausd.net",
      "POLICYBOT_ALERT_EMAILS": "a@lausd.net"}, "POLICYBOT_ALERT_FROM is needed"),
    ({"POLICYBOT_ALERT_WEBHOOK_URL": "ftp://hooks.lausd.net/x"},
     "POLICYBOT_ALERT_WEBHOOK_URL must be an http\\(s\\):// address"),
    ({"POLICYBOT_ALERT_WEBHOOK_URL": "http://hooks.lausd.net/x"},
     "POLICYBOT_ALERT_WEBHOOK_URL must use https:// beyond this machine"),
    ({"POLICYBOT_PUBLIC_URL": "policybot.lausd.net"},
     "POLICYBOT_PUBLIC_URL must be an http\\(s\\):// address"),
    ({"POLICYBOT_DIGEST_TIME": "7am"}, "POLICYBOT_DIGEST_TIME must be a time of day"),
])
def test_bad_alert_settings_are_refused_by_name(env, message):
    with pytest.raises(ConfigError, match=message) as e:
        Settings.from_env(env)
    assert ":pw@" not in str(e.value) and "pw" not in str(e.value).split()


def test_serve_refuses_a_bad_alert_address_before_starting(monkeypatch):
    monkeypatch.setenv("POLICYBOT_SMTP_URL", "smtps://mail.lausd.net")
    monkeypatch.setenv("POLICYBOT_ALERT_EMAILS", "safety")
    monkeypatch.setenv("POLICYBOT_ALERT_FROM", "policybot@lausd.net")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code != 0
    assert "POLICYBOT_ALERT_EMAILS: 'safety' is not an e-mail address" in result.output


def test_starttls_and_user_as_sender_are_read_from_the_url():
    s = Settings.from_env({"POLICYBOT_SMTP_URL":
                           "smtp://alerts%40lausd.net:p%40ss@smtp.lausd.net:587?starttls=true",
                           "POLICYBOT_ALERT_EMAILS": "safety@lausd.net"})
    target = parse_smtp_url(s.smtp_url)
    assert (target.host, target.port, target.tls, target.starttls) == \
        ("smtp.lausd.net", 587, False, True)
    assert (target.username, target.password) == ("alerts@lausd.net", "p@ss")
    assert s.alert_from == "alerts@lausd.net" and s.alert_emails == ("safety@lausd.net",)
    assert "p@ss" not in repr(target) and "p%40ss" not in repr(s)
    assert Settings.from_env({"POLICYBOT_PUBLIC_URL": "https://policybot.lausd.net/",
                              "POLICYBOT_ALERT_WEBHOOK_URL": "https://hooks.lausd.net/in/"}
                             ).public_url == "https://policybot.lausd.net"
    assert parse_smtp_url("smtps://mail.lausd.net").port == 465
