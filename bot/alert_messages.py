"""What an alert says: built from `AlertCase`, the only case fields an alert may carry.

An alert leaves the district's systems (a mailbox, a webhook receiver), so it never holds
what the console masks (description, link, reporter, the reporter's answers) nor
anything about who reported: the case's number, category, urgency, the hour it was
opened and a link to the admin console. `AlertCase.of(case)` is the one way from a case
to an alert; adding a field here is adding it to every e-mail and webhook.

Alerts go to the administrators' addresses and are in English; the one message here for a
reporter (`question_email`) is in the language they reported in (bot/i18n.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from bot.i18n import _, language
from bot.report_flow import label_for
from bot.times import Times

FIND_CONSOLE = ("Open the admin console (/admin on the address policybot serves, e.g. "
                "https://policybot.example.org/admin) and look the case up by its number. "
                "Set POLICYBOT_PUBLIC_URL to get a link here.")
NOT_HERE = ("The report's details are not in this message: they are shown only in the admin "
            "console, where revealing them is recorded.")


@dataclass(frozen=True)
class AlertCase:
    number: str
    category: str  # the category id ("harassing")
    category_label: str
    urgency: str
    opened_at: str  # UTC, ISO 8601, to the hour as stored

    @classmethod
    def of(cls, case: dict[str, Any]) -> AlertCase:
        return cls(case["number"], case["category"], label_for("category", case["category"]),
                   case["urgency"], case["created_at"])

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def local_time(iso: str, timezone: str) -> str:
    """'Wed 2 Dec 2026, 5:00 AM PST' for a stored UTC time (bot.times, in English: an
    alert goes to a list of addresses, not to one person's conversation)."""
    with language("en"):
        return Times.of(timezone).readable(iso)


def case_link(public_url: str | None, number: str) -> str | None:
    return f"{public_url}/admin/cases/{number}" if public_url else None


def _case_lines(case: AlertCase, public_url: str | None, timezone: str) -> list[str]:
    link = case_link(public_url, case.number)
    return [f"Case:      {case.number}", f"Category:  {case.category_label}",
            f"Urgency:   {case.urgency}",
            f"Reported:  {local_time(case.opened_at, timezone)} (to the hour)",
            f"Open it:   {link}" if link else f"Open it:   {FIND_CONSOLE}"]


def urgent_email(case: AlertCase, sender: str, recipients: tuple[str, ...],
                 public_url: str | None, timezone: str) -> EmailMessage:
    body = ["A new urgent case was reported to policybot. Please look at it now.", "",
            *_case_lines(case, public_url, timezone), "", NOT_HERE]
    return _email(f"[policybot] Urgent case {case.number}: {case.category_label}", body,
                  sender, recipients)


def digest_email(cases: list[AlertCase], since: str, until: str, sender: str,
                 recipients: tuple[str, ...], public_url: str | None,
                 timezone: str) -> EmailMessage:
    urgent = sum(c.urgency == "urgent" for c in cases)
    body = [f"{len(cases)} new case{'s' if len(cases) != 1 else ''} ({urgent} urgent) from "
            f"{local_time(since, timezone)} to {local_time(until, timezone)}.", ""]
    for case in sorted(cases, key=lambda c: (c.urgency != "urgent", c.number)):
        link = case_link(public_url, case.number)
        body.append(f"{case.number}  {case.urgency:<7} {case.category_label}, reported "
                    f"{local_time(case.opened_at, timezone)}" + (f"\n    {link}" if link else ""))
    body += ["", FIND_CONSOLE if not public_url else f"All cases: {public_url}/admin", "",
             NOT_HERE]
    return _email(f"[policybot] Daily digest: {len(cases)} new case"
                  f"{'s' if len(cases) != 1 else ''}", body, sender, recipients)


def _email(subject: str, body: list[str], sender: str,
           recipients: tuple[str, ...]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid("policybot", domain=sender.rpartition("@")[2])
    message.set_content("\n".join(body) + "\n")
    return message


def question_email(number: str, reporter: str, sender: str, public_url: str | None,
                   lang: str | None = None) -> EmailMessage:
    """To a named reporter, in `lang` (the one they reported in): there is a question (the
    question itself stays in the chat)."""
    with language(lang) as lang:
        chat = (_("the policybot chat ({url})").format(url=f"{public_url}/") if public_url
                else _("the policybot chat"))
        message = _email(_("[policybot] A question about your report {number}").format(
            number=number), [
            _("An administrator has a question about the report you made (case "
              "{number}).").format(number=number), "",
            _("To read and answer it, open {chat} in the browser you reported from; it is "
              "shown there, and `my reports` lists your reports.").format(chat=chat), "",
            _("The question is not in this e-mail, so that only you read it.")],
            sender, (reporter,))
    message["Content-Language"] = lang
    return message


def trial_email(sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    return _email("[policybot] Test alert", [
        "This is a test from `policybot alerts test`: alerts about new urgent cases and the "
        "daily digest will reach this address.", "", NOT_HERE], sender, recipients)


def trial_json() -> dict[str, Any]:
    return {"event": "test"}


def urgent_json(case: AlertCase, public_url: str | None) -> dict[str, Any]:
    return {"event": "case.urgent", "case": case.to_dict(),
            "url": case_link(public_url, case.number)}


def digest_json(cases: list[AlertCase], since: str, until: str,
                public_url: str | None) -> dict[str, Any]:
    return {"event": "cases.digest", "since": since, "until": until,
            "cases": [dict(c.to_dict(), url=case_link(public_url, c.number)) for c in cases]}
