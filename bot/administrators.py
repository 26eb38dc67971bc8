"""Who administers cases: the platform ids configured in POLICYBOT_ADMINS, the admin
console's accounts (`web:<name>`), and the local terminal operator.

`Administrators` answers "is this actor an administrator?" for every core desk, and
lists the people a case can be assigned to (real accounts only: never free text).
"""

from __future__ import annotations

from bot.admin_accounts import ACTOR_PREFIX, AdminAccounts
from bot.config import Settings

PLATFORM_NAMES = {"slack": "Slack", "teams": "Teams", "web": "console"}


def admin_label(actor: str, name: str | None = None) -> str:
    """How an administrator is shown in a picker: "ana (console)", "Ana Ruiz (Slack)" (a
    name given in POLICYBOT_ADMINS), else "Slack user U0123"."""
    platform, _, ident = actor.partition(":")
    where = PLATFORM_NAMES.get(platform, platform)
    if platform == "web" or name:
        return f"{name or ident} ({where})"
    return f"{where} user {ident}"


class Administrators:
    def __init__(self, settings: Settings, accounts: AdminAccounts | None = None):
        self.settings = settings
        self.accounts = accounts

    def is_admin(self, actor: str | None) -> bool:
        return self.settings.is_admin(actor) or (
            self.accounts is not None and self.accounts.is_admin_actor(actor))

    def assignees(self) -> tuple[tuple[str, str], ...]:
        """Everyone a case can be assigned to, as (actor id, label), in label order."""
        ids = set(self.settings.admins)
        if self.accounts is not None:
            ids |= {ACTOR_PREFIX + a["name"] for a in self.accounts.list()}
        names = dict(self.settings.admin_names)
        return tuple(sorted(((a, admin_label(a, names.get(a))) for a in ids),
                            key=lambda p: p[1].lower()))
