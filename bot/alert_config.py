"""The alert settings (e-mail through SMTP, a daily digest, an outgoing webhook), read by
`Settings.from_env` and refused there with a message that says what to write instead.

POLICYBOT_SMTP_URL is `smtp://[user:password@]host[:port]` (plain, port 25; add
`?starttls=true` for STARTTLS, usually port 587) or `smtps://...` (TLS from the first
byte, port 465). A password never travels unencrypted beyond this machine: a plain
`smtp://` URL with a password is refused unless the host is loopback (`is_loopback` comes
from bot/config.py, which calls this module).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from email_validator import EmailNotValidError, validate_email

DIGEST_TIME = "07:00"
TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    tls: bool  # smtps: TLS from the start
    starttls: bool
    username: str | None
    password: str | None

    def __repr__(self) -> str:  # never the password in a log line or a traceback
        return f"SmtpTarget({self.host}:{self.port}, tls={self.tls}, starttls={self.starttls})"


def parse_smtp_url(url: str) -> SmtpTarget:
    """Raises ValueError with what is wrong (the message never repeats the password)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError("POLICYBOT_SMTP_URL is not a URL like "
                         "smtp://user:password@mail.example.org:587?starttls=true") from None
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"POLICYBOT_SMTP_URL must start with smtp:// or smtps://, "
                         f"got {parts.scheme + '://' if parts.scheme else 'no scheme'}")
    if not parts.hostname:
        raise ValueError("POLICYBOT_SMTP_URL names no host (smtp://user:password@HOST:587)")
    if parts.path not in ("", "/"):
        raise ValueError("POLICYBOT_SMTP_URL takes no path after the host and port")
    query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - {"starttls"})
    if unknown or query.get("starttls", "false") not in TRUE + FALSE:
        raise ValueError("POLICYBOT_SMTP_URL takes one option, ?starttls=true (or false)")
    tls = parts.scheme == "smtps"
    starttls = query.get("starttls") in TRUE
    if tls and starttls:
        raise ValueError("POLICYBOT_SMTP_URL: smtps:// is TLS already; ?starttls=true is for "
                         "smtp:// (port 587)")
    password = unquote(parts.password) if parts.password is not None else None
    return SmtpTarget(parts.hostname, port or (465 if tls else 587 if starttls else 25), tls,
                      starttls, unquote(parts.username) if parts.username else None, password)


def check_address(address: str) -> str:
    """The address as it should be written, or ValueError saying why it is not one."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise ValueError(f"{address!r} is not an e-mail address: {e}") from None


def check_http_url(key: str, url: str, is_loopback: Callable[[str], bool]) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ValueError(f"{key} is not a URL: {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{key} must be an http(s):// address with a host, got {url!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(f"{key} must use https:// beyond this machine, got {url!r}")
    return url


def alert_settings(problems: list[str], smtp_url: str | None, emails: str | None,
                   sender: str | None, webhook: str | None, public_url: str | None,
                   digest_time: str | None,
                   is_loopback: Callable[[str], bool]) -> dict[str, Any]:
    """The alert fields of `Settings` from the variables' values (None when unset); each
    problem is appended to `problems`. `is_loopback(host)`: nothing beyond this machine
    sees what is sent there."""
    values: dict[str, Any] = {}

    def check(key: str, test: Callable[[], Any]) -> Any:
        try:
            return test()
        except ValueError as e:
            problems.append(str(e) if str(e).startswith(key) else f"{key}: {e}")
            return None

    target = check("POLICYBOT_SMTP_URL", lambda: parse_smtp_url(smtp_url)) if smtp_url else None
    if target and target.password and not (target.tls or target.starttls) \
            and not is_loopback(target.host):
        problems.append(f"POLICYBOT_SMTP_URL would send the password unencrypted to "
                        f"{target.host}: use smtps:// (port 465) or add ?starttls=true")
        target = None
    addresses = [a.strip() for a in (emails or "").split(",") if a.strip()]
    values["alert_emails"] = tuple(
        a for a in (check("POLICYBOT_ALERT_EMAILS", lambda a=a: check_address(a))
                    for a in addresses) if a)
    sender = sender or (
        target.username if target and target.username and "@" in target.username else None)
    if sender:
        values["alert_from"] = check("POLICYBOT_ALERT_FROM", lambda: check_address(sender))
    if smtp_url and not addresses:
        problems.append("POLICYBOT_SMTP_URL is set but POLICYBOT_ALERT_EMAILS is not (the "
                        "comma-separated addresses that get the alerts)")
    if addresses and not smtp_url:
        problems.append("POLICYBOT_ALERT_EMAILS is set but POLICYBOT_SMTP_URL is not (the mail "
                        "server that sends them, e.g. smtps://user:password@smtp.example.org)")
    if target and not sender:
        problems.append("POLICYBOT_ALERT_FROM is needed (the sender address of the alerts): "
                        "the SMTP user name is not an e-mail address")
    values["smtp_url"] = smtp_url if target else None
    for key, field, url in (("POLICYBOT_ALERT_WEBHOOK_URL", "alert_webhook_url", webhook),
                            ("POLICYBOT_PUBLIC_URL", "public_url", public_url)):
        if url:
            values[field] = check(key, lambda key=key, url=url: check_http_url(key, url,
                                                                              is_loopback))
    if values.get("public_url"):  # links are made by adding /admin/cases/N
        values["public_url"] = values["public_url"].rstrip("/")
    digest_time = digest_time or DIGEST_TIME
    if not TIME_OF_DAY.fullmatch(digest_time):
        problems.append(f"POLICYBOT_DIGEST_TIME must be a time of day like 07:00 (24-hour, in "
                        f"the district's time zone), got {digest_time!r}")
        digest_time = DIGEST_TIME
    values["digest_time"] = digest_time
    return values
