"""How an administrator's question reaches a reporter, said honestly to the administrator,
the notice a returning browser reporter sees, and the language of what a named reporter is
sent about their report."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from bot.i18n import _


def question_delivery(case: dict[str, Any], emails_reporters: bool = False) -> str:
    """One sentence for the administrator who just asked the reporter of `case` a question
    (`emails_reporters`: alert e-mail is set up, bot/alerts.py)."""
    reporter = case.get("reporter")
    if reporter is None:
        return _("The reporter is anonymous: they see the question only when they check the "
                 "case with their case key. policybot has no way to reach them first.")
    if reporter.startswith("slack:"):
        return _("policybot sends it to the reporter as a Slack direct message.")
    if reporter.startswith("teams:"):
        return _("policybot sends it to the reporter in a Teams chat.")
    if reporter.startswith("cli:"):
        return _("They reported from the terminal: they see it with my reports there.")
    # Anyone else reported in the browser chat: only an e-mail notice (if set up) reaches them.
    email = case.get("reporter_email")
    if email and emails_reporters:
        return _("They reported in the browser chat: policybot e-mails {email} that there is a "
                 "question (not the question itself); they read and answer it when they next "
                 "open the chat in the same browser.").format(email=email)
    if email:
        return _("They reported in the browser chat: they see it when they next open the chat "
                 "in the same browser. policybot does not e-mail it; to reach them sooner, "
                 "write to {email}.").format(email=email)
    return _("They reported in the browser chat: they see it when they next open the chat in "
             "the same browser. policybot does not e-mail it.")


def pending_questions(views: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(case number, asked at) of a reporter's views whose last message is an unanswered
    question."""
    return [(v["number"], v["messages"][-1]["created_at"]) for v in views
            if v["messages"] and v["messages"][-1]["direction"] == "question"]


def reporter_language(db: Database, number: str) -> str | None:
    """The language the named reporter of case `number` filed it in ("en", "es"), for what
    policybot sends them about it (inside `bot.i18n.language`); None when not known (an
    anonymous report, a case filed before it was kept), which is English."""
    row = db.execute("SELECT reporter_lang FROM cases WHERE number = ?", [number]).fetchone()
    return row[0] if row else None
