"""Value types the core speaks: Incoming in, Reply out.

Every front end (console, web chat, Slack, Teams) turns what a person did into an
`Incoming` and renders the `Reply` objects that `Bot.handle` returns. A button is
a `Button` whose `value` is a chat command the core understands (for example
``show BUL-5688.0#3`` or ``report harassing``); pressing it sends that value back
as the text of a new `Incoming`, so every action also works typed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bot import i18n


@dataclass(frozen=True)
class Incoming:
    text: str
    conversation_id: str
    user_id: str | None = None  # platform-qualified: "slack:U123", "teams:29:abc", "cli:local"
    user_name: str | None = None
    platform: str = "console"  # console | web | slack | teams | cli
    is_button: bool = False  # True when text is a Button.value the person pressed
    wants_form: bool = False  # the front end takes reports with a form (modal/card), not chat
    # Not addressed to the bot (a reply in a channel thread it answered): only a policy
    # question it can answer gets a reply; anything else gets none (see Bot.handle).
    overheard: bool = False


@dataclass(frozen=True)
class Citation:
    id: str
    bulletin: str
    title: str
    text: str
    url: str
    truncated: bool = False
    full_text_available: bool = True
    source_note: str | None = None
    effective: str | None = None  # the bulletin's effective date, when known

    @property
    def kind(self) -> str:
        """verbatim: the text is the bulletin's own words; summary: what is known about it,
        in policybot's words (never to be presented as a quotation)."""
        return "verbatim" if self.full_text_available else "summary"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "bulletin": self.bulletin, "title": self.title,
                "text": self.text, "url": self.url, "kind": self.kind,
                "truncated": self.truncated, "source_note": self.source_note,
                "effective": self.effective}


@dataclass(frozen=True)
class Button:
    label: str
    value: str  # a chat command, sent back as Incoming.text
    style: str | None = None  # "primary" | "danger" | None


@dataclass(frozen=True)
class Reply:
    """One message from the bot.

    kind: intro | answered | ambiguous | related | no_answer | report | report_form | flow |
          emergency | receipt | status | notice | admin | info | error
          (notice: something waiting for the person, e.g. an administrator's question)
          (report_form: open the report form, pre-filled with data["prefill"]; only for an
          Incoming with wants_form=True)
    text: plain-text rendering (Markdown-light: *bold* and > quotes), always present.
    status: for answers to questions, the outcome (answered|ambiguous|related|no_answer|
            report). related: citations[0] is the closest clause, on the topic but not an
            answer; front ends must not present it as the answer.
    offers_report: the person wants something done about someone else's post; buttons
          include "Report it" (value ``report [category]``), shown prominently.
    uncertain: answered, but not confidently: front ends say so in words
          (messages.uncertain_note), not only as a number.
    step: for report-flow prompts, the step as data (see bot.report_flow) so a front
          end can render a form field instead of text.
    private: only the person who asked may see it (receipts, case keys, admin data).
    data: extra structured payload (e.g. {"question_id": 12} or {"case_number": ...}).
    lang: the language of `text` and of the button labels.
    """

    kind: str
    text: str
    status: str | None = None
    citations: tuple[Citation, ...] = ()
    buttons: tuple[Button, ...] = ()
    confidence: float | None = None
    offers_report: bool = False
    uncertain: bool = False
    step: dict[str, Any] | None = None
    private: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    # The language the text was written in ("en", "es"): the one in force where the reply
    # was built (bot.i18n.language); a front end renders its own labels in it.
    lang: str = field(default_factory=i18n.current)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["citations"] = [c.to_dict() for c in self.citations]
        return d
