"""Settings.from_env(): the only reader of os.environ. One error names every bad key."""

from __future__ import annotations

import ipaddress
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.alert_config import DIGEST_TIME, alert_settings
from infra.errors import ConfigError

DEFAULT_CONTACT = "your principal or site administrator"
DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "bulletins"
LOCAL_OPERATOR = "cli:local"
ADMIN_PREFIXES = ("slack:", "teams:", "web:")
SLACK_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,}")
DEFAULT_TIMEZONE = "America/Los_Angeles"
URGENCIES = ("urgent", "normal")
# Hours a case may stay open after it was reported before it is shown as overdue.
DEFAULT_TARGET_HOURS = (("urgent", 4), ("normal", 72))


def timezone_problems(name: str) -> list[str]:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return [f"POLICYBOT_TIMEZONE must be an IANA time zone such as America/Los_Angeles, "
                f"got {name!r}"]
    return []


def parse_target_hours(text: str | None) -> tuple[tuple[tuple[str, int], ...], list[str]]:
    """POLICYBOT_TARGET_HOURS "urgent=4,normal=72" -> ((urgency, hours), ...); an urgency
    left out keeps its default. Returns (targets, problems)."""
    targets = dict(DEFAULT_TARGET_HOURS)
    problems = []
    for item in (text or "").split(","):
        if not item.strip():
            continue
        urgency, sep, hours = (part.strip() for part in item.partition("="))
        if not sep or urgency.lower() not in URGENCIES or not hours.isdigit() \
                or not 1 <= int(hours) <= 24 * 365:
            problems.append(f"POLICYBOT_TARGET_HOURS must be urgency=hours pairs such as "
                            f"\"urgent=4,normal=72\" (urgencies: {', '.join(URGENCIES)}; "
                            f"hours 1 to {24 * 365}), got {item.strip()!r}")
            continue
        targets[urgency.lower()] = int(hours)
    return tuple(targets.items()), problems


def admin_problems(admins: frozenset[str]) -> list[str]:
    """POLICYBOT_ADMINS entries are platform-qualified ids: slack:U0123, teams:29:abc,
    web:name. A bare id would silently make nobody an administrator."""
    bad = sorted(a for a in admins if not a.startswith(ADMIN_PREFIXES) or a.endswith(":"))
    if not bad:
        return []
    return [f"POLICYBOT_ADMINS entries need a platform prefix ({', '.join(ADMIN_PREFIXES)} "
            f"followed by the id, e.g. slack:U0123ABCD), got {', '.join(map(repr, bad))}"]


def slack_problems(bot_token: str | None, app_token: str | None,
                   admin_channel: str | None) -> list[str]:
    problems = []
    if bot_token and not bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must be the Bot User OAuth Token (it starts with "
                        "xoxb-); the app-level (xapp-) and user (xoxp-) tokens do not work here")
    if app_token and not app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN must be an app-level token (it starts with xapp-)")
    if admin_channel and not SLACK_CHANNEL_ID.fullmatch(admin_channel):
        problems.append(f"POLICYBOT_ADMIN_CHANNEL must be the channel's id (like C0123ABCD: "
                        f"channel name -> View channel details -> About), not its name; "
                        f"got {admin_channel!r}")
    return problems


def teams_app_id_problems(app_id: str | None) -> list[str]:
    if not app_id:
        return []
    try:
        uuid.UUID(app_id)
    except ValueError:
        return [f"MicrosoftAppId must be the bot's Microsoft App ID, a GUID like "
                f"00000000-0000-0000-0000-000000000000; got {app_id!r}"]
    return []


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    db_path: str = "policybot.db"
    knowledge_dir: str = str(DEFAULT_KNOWLEDGE_DIR)
    contact: str = DEFAULT_CONTACT
    admins: frozenset[str] = field(default_factory=frozenset)
    admin_names: tuple[tuple[str, str], ...] = ()  # (id, name) from "slack:U0123=Ana Ruiz"
    host: str = "127.0.0.1"
    port: int = 3978
    workers: int = 1
    log_level: str = "INFO"
    secret_key: str | None = None
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str | None = None
    slack_admin_channel: str | None = None
    teams_app_id: str | None = None
    teams_app_password: str | None = None
    teams_app_type: str = "MultiTenant"
    teams_tenant_id: str | None = None
    teams_emulator: bool = False  # POLICYBOT_TEAMS_EMULATOR=1: /api/messages without an app id
    timezone: str = DEFAULT_TIMEZONE  # how times are shown; storage stays UTC
    target_hours: tuple[tuple[str, int], ...] = DEFAULT_TARGET_HOURS
    public_url: str | None = None  # where people reach the server (links in alerts)
    smtp_url: str | None = field(default=None, repr=False)  # may hold a password
    alert_emails: tuple[str, ...] = ()
    alert_from: str | None = None
    alert_webhook_url: str | None = None
    digest_time: str = DIGEST_TIME  # HH:MM in `timezone`

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        problems: list[str] = []

        def get(key: str) -> str | None:
            value = env.get(key, "").strip()
            return value or None

        def number(key: str, default: int, low: int, high: int) -> int:
            if not get(key):
                return default
            try:
                value = int(get(key))
                if low <= value <= high:
                    return value
            except ValueError:
                pass
            problems.append(f"{key} must be a number from {low} to {high}, got {env[key]!r}")
            return default

        port = number("PORT", cls.port, 1, 65535)
        workers = number("POLICYBOT_WORKERS", cls.workers, 1, 16)
        log_level = (get("POLICYBOT_LOG_LEVEL") or "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            problems.append("POLICYBOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        knowledge_dir = get("POLICYBOT_KNOWLEDGE_DIR") or str(DEFAULT_KNOWLEDGE_DIR)
        if not Path(knowledge_dir).is_dir():
            problems.append(f"POLICYBOT_KNOWLEDGE_DIR {knowledge_dir!r} is not a folder")
        if get("SLACK_BOT_TOKEN") and not (get("SLACK_SIGNING_SECRET") or get("SLACK_APP_TOKEN")):
            problems.append("SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET "
                            "(HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is")
        if (get("MicrosoftAppId") and not get("MicrosoftAppPassword")
                and (get("MicrosoftAppType") or "").lower() != "userassignedmsi"):
            problems.append("MicrosoftAppId is set but MicrosoftAppPassword is not "
                            "(only MicrosoftAppType=UserAssignedMSI needs no password)")
        # "slack:U0123ABCD=Ana Ruiz": an id, and optionally the name pickers show for it
        named = [(i.strip(), n.strip()) for i, _, n in (
            a.partition("=") for a in (get("POLICYBOT_ADMINS") or "").split(",") if a.strip())]
        admins = frozenset(i for i, _ in named)
        problems += admin_problems(admins)
        problems += slack_problems(get("SLACK_BOT_TOKEN"), get("SLACK_APP_TOKEN"),
                                   get("POLICYBOT_ADMIN_CHANNEL"))
        problems += teams_app_id_problems(get("MicrosoftAppId"))
        timezone = get("POLICYBOT_TIMEZONE") or DEFAULT_TIMEZONE
        problems += timezone_problems(timezone)
        target_hours, target_problems = parse_target_hours(get("POLICYBOT_TARGET_HOURS"))
        problems += target_problems
        alerts = alert_settings(problems, smtp_url=get("POLICYBOT_SMTP_URL"),
                                emails=get("POLICYBOT_ALERT_EMAILS"),
                                sender=get("POLICYBOT_ALERT_FROM"),
                                webhook=get("POLICYBOT_ALERT_WEBHOOK_URL"),
                                public_url=get("POLICYBOT_PUBLIC_URL"),
                                digest_time=get("POLICYBOT_DIGEST_TIME"),
                                is_loopback=is_loopback)
        if problems:
            raise ConfigError("Invalid settings:\n  - " + "\n  - ".join(problems))
        return cls(
            db_path=get("POLICYBOT_DB") or cls.db_path,
            knowledge_dir=knowledge_dir,
            contact=get("POLICYBOT_CONTACT") or DEFAULT_CONTACT,
            admins=admins,
            admin_names=tuple(sorted((i, n) for i, n in named if n)),
            host=get("POLICYBOT_HOST") or cls.host,
            port=port,
            workers=workers,
            log_level=log_level,
            secret_key=get("POLICYBOT_SECRET_KEY"),
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_api_url=get("SLACK_API_URL"),
            slack_admin_channel=get("POLICYBOT_ADMIN_CHANNEL"),
            teams_app_id=get("MicrosoftAppId"),
            teams_app_password=get("MicrosoftAppPassword"),
            teams_app_type=get("MicrosoftAppType") or cls.teams_app_type,
            teams_tenant_id=get("MicrosoftAppTenantId"),
            teams_emulator=get("POLICYBOT_TEAMS_EMULATOR") in ("1", "true", "yes"),
            timezone=timezone,
            target_hours=target_hours,
            **alerts,
        )

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    def is_admin(self, actor: str | None) -> bool:
        """The local CLI operator is always an administrator; others must be listed."""
        return actor == LOCAL_OPERATOR or (actor is not None and actor in self.admins)

    @property
    def loopback_only(self) -> bool:
        """True when `host` is a loopback address: nothing off this machine can connect."""
        return is_loopback(self.host)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))
