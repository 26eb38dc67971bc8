"""The report's steps as data, and their validation: one answer (`validate`) or a whole form.

Nothing here touches storage or a platform. The chat conversation over these steps is
the state machine in bot/report_machine.py; a form front end (Slack modal, Teams card,
web form) renders `STEPS` as fields and calls `validate_form(values)`. Invalid answers
are values (an error string and a re-ask), never exceptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from bot.i18n import N_, _
from bot.report_dates import parse_date
from bot.text import replace_lone_surrogates

Options = tuple[tuple[str, str], ...]

CATEGORIES: Options = (
    ("threatening", N_("Threatening")),
    ("harassing", N_("Harassing")),
    ("racist_biased", N_("Racist or biased")),
    ("derogatory", N_("Derogatory or disparaging")),
    ("bullying", N_("Bullying")),
    ("student_identified", N_("Identifies a student without consent")),
    ("confidential_info", N_("Shares confidential student or personnel information")),
    ("other", N_("Other")),
)
# Brand names stay as they are (not marked for translation).
PLATFORMS: Options = (
    ("facebook", "Facebook"),
    ("instagram", "Instagram"),
    ("x", "X/Twitter"),
    ("tiktok", "TikTok"),
    ("youtube", "YouTube"),
    ("snapchat", "Snapchat"),
    ("district", N_("A district system")),
    ("other", N_("Other")),
)
TARGETS: Options = (
    ("student", N_("A student")),
    ("employee", N_("An employee")),
    ("associated", N_("Another person associated with the district")),
    ("unknown", N_("Unknown")),
)
DANGER: Options = (("yes", N_("Yes")), ("no", N_("No")))
IDENTITY: Options = (("named", N_("Named")), ("anonymous", N_("Anonymous")))
IDENTITY_DETAILS: Options = (
    ("named", N_("administrators see who you are and can follow up with you")),
    ("anonymous", N_("no identity is stored; you get a case key, shown once, to check the "
                     "status")),
)
CONFIRM: Options = (("submit", N_("Submit the report")),)

DESCRIPTION_LIMIT = 5000
LINK_LIMIT = 2000
# The command words of the flow, English and Spanish (the buttons send the English ones).
SKIP_WORDS = frozenset({"skip", "none", "n/a", "-", "omitir", "saltar", "ninguno", "ninguna"})
YES_WORDS = frozenset({"yes", "y", "yeah", "yep", "sí", "si", "s"})
NO_WORDS = frozenset({"no", "n", "nope"})
SUBMIT_WORDS = frozenset({"yes", "y", "submit", "confirm", "send", "ok", "enviar", "sí", "si",
                          "confirmar"})
CANCEL_WORDS = frozenset({"cancel", "stop", "quit", "cancelar", "parar"})
BACK_WORDS = frozenset({"back", "atrás", "atras", "volver"})


@dataclass(frozen=True)
class Step:
    id: str
    prompt: str
    kind: str  # choice | url | date | text | confirm
    options: Options = ()
    optional: bool = False
    max_length: int | None = None
    help: str | None = None
    title: str = ""  # short label used in the review ("Category", "Platform", ...)
    details: Options = ()  # (value, description) of the options that need one

    # The fields hold the English source text (marked with N_); these give it in the
    # current language (bot.i18n), as every front end shows it.
    def detail(self, value: str) -> str:
        text = dict(self.details).get(value, "")
        return _(text) if text else ""

    def shown_prompt(self) -> str:
        return _(self.prompt).format(limit=self.max_length or 0)

    def shown_title(self) -> str:
        return _(self.title) if self.title else ""

    def shown_help(self) -> str | None:
        return _(self.help) if self.help else None

    def shown_options(self) -> Options:
        return tuple((v, _(label)) for v, label in self.options)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "prompt": self.shown_prompt(), "kind": self.kind,
                "options": [{"value": v, "label": label, "description": self.detail(v)}
                            for v, label in self.shown_options()],
                "optional": self.optional, "max_length": self.max_length,
                "help": self.shown_help()}


STEPS: tuple[Step, ...] = (
    Step("category", N_("What kind of post are you reporting?"), "choice", CATEGORIES,
         title=N_("Kind of post")),
    Step("danger", N_("Is anyone in immediate danger (a threat of violence or self-harm)?"),
         "choice", DANGER, title=N_("Immediate danger"),
         help=N_("If you answer yes you will get emergency guidance at once.")),
    Step("platform", N_("Where was it posted?"), "choice", PLATFORMS, title=N_("Platform")),
    Step("link", N_("Send a link to the post (optional: reply *skip* if you have none)."),
         "url", optional=True, max_length=LINK_LIMIT, title=N_("Link"),
         help=N_("A web address, like instagram.com/p/abc (https:// is not needed).")),
    Step("when", N_("When was it posted or seen? For example 2026-03-05, 03/05, *today*, "
                    "*yesterday*, *last tuesday* or *3 days ago* (optional: reply *skip*)."),
         "date", optional=True, title=N_("Posted or seen")),
    Step("target", N_("Who is targeted?"), "choice", TARGETS, title=N_("Targeted")),
    Step("description", N_("What happened? Describe the post and what it says (up to "
                           "{limit:,} characters)."), "text", max_length=DESCRIPTION_LIMIT,
         title=N_("What happened")),
    Step("identity", N_("Do you want to report named or anonymously?"), "choice", IDENTITY,
         title=N_("Reporting as"), details=IDENTITY_DETAILS,
         help=N_("Named: administrators see who you are and can follow up with you. "
                 "Anonymous: no identity is stored; you get a one-time case key.")),
    Step("confirm", N_("Please review your report."), "confirm", CONFIRM, title=N_("Confirm")),
)
# Asked only in a chat whose platform does not say who the person is (the browser), and
# only for a named report: how administrators can see who reported and follow up.
CONTACT_STEP = Step(
    "contact", N_("Your name and an e-mail address administrators can use to follow up with "
                  "you, for example: Maria Lopez, maria.lopez@lausd.net"), "contact",
    max_length=320, title=N_("Your name and e-mail"))
STEP_IDS: tuple[str, ...] = tuple(s.id for s in STEPS)
BY_ID = {s.id: s for s in (*STEPS, CONTACT_STEP)}
FORM_FIELDS: tuple[str, ...] = STEP_IDS[:-1]
EMAIL = re.compile(r"[^\s@,;<>()]+@[^\s@,;<>()]+\.[A-Za-z]{2,}")


def get_step(step_id: str) -> Step:
    return BY_ID[step_id]


def label_for(step_id: str, value: str | None) -> str:
    """The human label of a stored choice value ("racist_biased" -> "Racist or biased"),
    in the current language."""
    if value is None:
        return _("(skipped)")
    for v, label in BY_ID[step_id].shown_options():
        if v == value:
            return label
    return value


# ---------------------------------------------------------------- validation

def match_choice(step: Step, raw: str) -> str | None:
    text = raw.strip().strip(".").lower()
    if step.id == "danger":
        if text in YES_WORDS:
            return "yes"
        if text in NO_WORDS:
            return "no"
    if text.isdecimal() and len(text) <= 2 and 1 <= int(text) <= len(step.options):
        return step.options[int(text) - 1][0]
    for (value, label), (_same, shown) in zip(step.options, step.shown_options(), strict=True):
        names = {value}
        for name in {label.lower(), shown.lower()}:  # English, and the reply's language
            names |= {name, *(p.strip() for p in name.split("/"))}
        if text in names:
            return value
    return None


def _valid_url(text: str) -> bool:
    if re.search(r"\s", text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and ("." in host or host == "localhost")


def _with_scheme(text: str) -> str:
    """A link typed without its scheme (instagram.com/p/abc, www.x.com/...) gets https://."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
        return text
    return "https://" + text.removeprefix("//")


def parse_contact(text: str) -> tuple[dict[str, str] | None, str | None]:
    """"Maria Lopez, maria.lopez@lausd.net" (in any order) -> {"name", "email"}."""
    emails = EMAIL.findall(text)
    if len(emails) != 1:
        return None, _("Please give your name and one e-mail address, for example: "
                       "Maria Lopez, maria.lopez@lausd.net")
    name = " ".join(text.replace(emails[0], " ").replace(",", " ").replace(";", " ").split())
    name = name.strip("<>()\"' ")
    if len(name) < 2:
        return None, _("Please add your name as well as your e-mail address.")
    return {"name": name[:120], "email": emails[0].strip(".")}, None


def validate(step_id: str, raw: str | None, today: date) -> tuple[Any, str | None]:
    """Check one answer. Returns (value, None) or (None, reason). Skipped optional -> (None, None)."""
    step = BY_ID[step_id]
    text = replace_lone_surrogates(raw or "").strip()
    if step.optional and (not text or text.lower() in SKIP_WORDS):
        return None, None
    if step.kind == "choice":
        value = match_choice(step, text)
        if value is None:
            choices = ", ".join(f"{i} {label}"
                                for i, (_value, label) in enumerate(step.shown_options(), 1))
            return None, _("Please choose one of the options by number or name "
                           "({choices}).").format(choices=choices)
        return value, None
    if step.kind == "url":
        if len(text) > LINK_LIMIT:
            return None, _("That link is too long (the limit is {limit:,} characters).").format(
                limit=LINK_LIMIT)
        link = _with_scheme(text)
        if not _valid_url(link):
            return None, _("That does not look like a web link. Send the post's address, like "
                           "instagram.com/p/abc, or reply *skip*.")
        return link, None
    if step.kind == "contact":
        return parse_contact(text)
    if step.kind == "date":
        day = parse_date(text, today)
        if day is None:
            return None, _("I could not read that date. Try 2026-03-05, 03/05, *today*, "
                           "*yesterday* or *last tuesday*, or reply *skip*.")
        if day > today:
            return None, _("That date is in the future. When was the post made or seen?")
        return day.isoformat(), None
    if step.kind == "text":
        if not text:
            return None, _("Please describe what happened; this part is required.")
        if len(text) > DESCRIPTION_LIMIT:
            return None, _("That description is {length:,} characters; the limit is {limit:,}. "
                           "Nothing was saved from that message and your earlier answers are "
                           "kept: please send a shorter description.").format(
                length=len(text), limit=DESCRIPTION_LIMIT)
        return text, None
    raise ValueError(f"step {step_id!r} is not validated on its own")


def validate_form(values: dict[str, Any], today: date | None = None
                  ) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate every field of a submitted form at once. Returns (draft, {step_id: error})."""
    today = today or date.today()
    draft: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for step_id in FORM_FIELDS:
        raw = values.get(step_id)
        value, error = validate(step_id, None if raw is None else str(raw), today)
        if error:
            errors[step_id] = error
        else:
            draft[step_id] = value
    return draft, errors
