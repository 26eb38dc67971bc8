"""The report desk: runs the report flow in a conversation and the reporter's commands.

`handle(incoming)` returns None when a message is not for it. It owns the flow
state under the "report" key of the conversation's JSON `state` (other keys
belong to others and are left untouched), and the commands `report`,
`report CATEGORY`, `status KEY`, `reply KEY TEXT` and `my reports`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlite_utils import Database

from bot.case_keys import looks_like_key
from bot.case_text import status_text
from bot.cases import CaseStore
from bot.config import Settings
from bot.conversations import forget, load_part, save_part
from bot.events import EventBus
from bot.follow_up import pending_questions
from bot.i18n import _, current, language, spanish_command
from bot.models import Button, Incoming, Reply
from bot.report_flow import label_for, validate_form
from bot.report_machine import FlowState, Transition, advance, begin, emergency_reply, prompt_reply
from bot.times import Times
from infra.db import Storage
from infra.errors import CaseNotFoundError, InputTooLargeError, NotPermittedError

log = logging.getLogger(__name__)

STATE_KEY = "report"
QUESTION_START = re.compile(
    r"^(can|could|may|might|is|are|am|should|shall|what|how|do|does|did|why|when|where|who|"
    r"which|will|would|am i|must|have|has)\b", re.IGNORECASE)
# Platforms that do not say who the person is: a named report asks for a name and e-mail.
ASK_CONTACT_PLATFORMS = frozenset({"web"})
NUMBER_SHAPE = re.compile(r"(\d{4})-(\d{1,6})")


def looks_like_question(text: str) -> bool:
    text = text.strip()
    return text.endswith("?") or bool(QUESTION_START.match(text))


@dataclass
class FormResult:
    errors: dict[str, str] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    case_number: str | None = None


class ReportDesk:
    def __init__(self, storage: Storage, cases: CaseStore, settings: Settings, events: EventBus,
                 answer_question: Callable[[Incoming], list[Reply]],
                 match_policies: Callable[[str], list[str]],
                 today: Callable[[], date] | None = None):
        """`today`: the district's date (POLICYBOT_TIMEZONE) unless a test fixes it."""
        self.storage = storage
        self.cases = cases
        self.settings = settings
        self.events = events
        self.answer_question = answer_question
        self.match_policies = match_policies
        self.today = today or (lambda: self._times().today())

    def _times(self) -> Times:
        return Times.of(self.settings.timezone)

    # ------------------------------------------------------------ conversation state

    def _load(self, conversation_id: str) -> FlowState | None:
        data = load_part(self.storage, conversation_id, STATE_KEY)
        return FlowState.from_dict(data) if data else None

    def _save(self, conversation_id: str, flow: FlowState | None) -> None:
        save_part(self.storage, conversation_id, STATE_KEY,
                  None if flow is None else flow.to_dict())

    # ------------------------------------------------------------ entry points

    def handle(self, incoming: Incoming) -> list[Reply] | None:
        text = (incoming.text or "").strip()
        flow = self._load(incoming.conversation_id)
        if flow is not None:
            asked_in = current()
            with language(flow.lang):  # a report keeps the language it started in
                return self._continue(incoming, flow, text, asked_in)
        text = spanish_command(text)
        low = text.lower()
        if low == "report" or low.startswith("report "):
            return self.start(incoming, text[len("report"):].strip() or None)
        return self._reporter_command(incoming, text)

    def start(self, incoming: Incoming, category: str | None = None) -> list[Reply]:
        """Start (or restart) a report in this conversation; a known category is pre-filled.
        A front end that takes reports with a form gets a `report_form` reply instead and
        no chat flow is saved."""
        transition = begin(category, ask_contact=incoming.platform in ASK_CONTACT_PLATFORMS)
        if incoming.wants_form:
            prefill = {k: v for k, v in transition.state.answers.items() if k == "category"}
            return [Reply(kind="report_form", text=_("Opening the report form."), private=True,
                          data={"prefill": prefill})]
        self._save(incoming.conversation_id, transition.state)
        return transition.replies

    def on_return(self, incoming: Incoming) -> list[Reply]:
        """What a person coming back to a conversation should see, without any input from
        them: a notice per named report with an unanswered administrator question (in the
        current language: the front end sets the conversation's), then the report in
        progress (its current step, in the report's language), if any. Changes nothing."""
        replies = []
        for number, asked_at in pending_questions(self.cases.reports_by(incoming.user_id or "")):
            replies.append(Reply(
                kind="notice", private=True, data={"case_number": number, "asked_at": asked_at},
                text=_("An administrator asked you a question about your report "
                       "*{number}* ({when}).").format(number=number,
                                                      when=self._times().when(asked_at)),
                buttons=(Button(_("Read and answer it"), "my reports"),)))
        flow = self._load(incoming.conversation_id)
        if flow is not None:
            with language(flow.lang):
                prompt = prompt_reply(flow)
                replies.append(replace(prompt, text=_("Your report is still open.") + "\n"
                                       + prompt.text))
        return replies

    def submit_form(self, incoming: Incoming, values: dict[str, Any]) -> FormResult:
        """A whole report from a form (Slack modal, Teams card, web form)."""
        draft, errors = validate_form(values, today=self.today())
        if errors:
            return FormResult(errors=errors)
        receipt, number = self._store(incoming, draft, clear_state=False)
        replies = [emergency_reply()] if draft.get("danger") == "yes" else []
        return FormResult(replies=replies + [receipt], case_number=number)

    # ------------------------------------------------------------ internals

    def _continue(self, incoming: Incoming, flow: FlowState, text: str,
                  asked_in: str) -> list[Reply]:
        """`asked_in`: the language of this message, for a question asked mid-report."""
        transition: Transition = advance(flow, text, self.today())
        if transition.cancelled:
            self._save(incoming.conversation_id, None)
            return transition.replies
        if transition.finished is not None:
            receipt, _number = self._store(incoming, transition.finished, clear_state=True)
            return [receipt]
        if transition.error:  # not an answer to this step: perhaps a command or a question
            text = spanish_command(text)
            if text.lower() == "report" or text.lower().startswith("report "):
                note = Reply(kind="info", private=True, text=_(
                    "You already have a report in progress: reply *cancel* to start over."))
                return [note, prompt_reply(flow)]
            command = self._reporter_command(incoming, text)
            if command is not None:
                return command + [prompt_reply(flow)]
            if looks_like_question(text):
                prompt = prompt_reply(flow)
                resume = replace(prompt, text=_("Back to your report.") + "\n" + prompt.text)
                with language(asked_in):
                    answers = list(self.answer_question(incoming))
                return answers + [resume]
            return transition.replies
        self._save(incoming.conversation_id, transition.state)
        return transition.replies

    def _store(self, incoming: Incoming, draft: dict[str, Any],
               clear_state: bool) -> tuple[Reply, str]:
        anonymous = draft.get("identity") == "anonymous" or not incoming.user_id
        matched = list(self.match_policies(
            f"{label_for('category', draft['category'])} {draft['description']}"))

        def clear(db: Database) -> None:
            # An anonymous chat report drops the conversation's whole state, so no row
            # of this chat is written at the moment the case is (a form leaves it as it was).
            if clear_state and anonymous:
                forget(self.storage, incoming.conversation_id)
            elif clear_state:
                self._save(incoming.conversation_id, None)

        # current(): the report's language (the chat flow's, or the form's), kept for a
        # named reporter so later messages about the case are in it
        case, key = self.cases.open_case(
            draft, None if anonymous else incoming.user_id, anonymous, matched,
            in_transaction=clear, lang=current())
        if anonymous and clear_state:
            # The draft was kept under this conversation: make sure no older copy of it
            # survives in the write-ahead log.
            self.storage.forget_deleted()
        return self._receipt(case, key, switched=anonymous and draft.get("identity") != "anonymous"
                             ), case["number"]

    @staticmethod
    def _receipt(case: dict[str, Any], key: str | None, switched: bool = False) -> Reply:
        number = case["number"]
        lines = [_("Thank you. Your report is case *{number}*.").format(number=number)]
        if case["urgency"] == "urgent":
            lines.append(_("It is marked *urgent*. If anyone is in immediate danger, call 911 "
                           "or school police; for self-harm, call or text 988."))
        data: dict[str, Any] = {"case_number": number}
        if key:
            if switched:
                lines.append(_("This platform did not tell me who you are, so the report was "
                               "filed anonymously."))
            lines += ["", _("*Save your case key now: it cannot be shown again.*"),
                      _("*Your case key:*") + f" `{key}`",
                      _("No identity was stored with your report, so this key is the only way "
                        "to check its status or answer an administrator's questions. Copy it "
                        "or write it down (capitals and dashes do not matter)."),
                      _("Later, type *status* followed by your key to see the status and any "
                        "questions.")]
            data["case_key"] = key
        elif case.get("reporter_email"):
            lines.append(_("Administrators can see your name and e-mail ({email}) and may "
                           "follow up with you. To see its status and any questions, come back "
                           "to this chat in this browser and type *my reports*.").format(
                email=case["reporter_email"]))
        else:
            lines.append(_("Administrators can see who you are and may follow up with you. "
                           "Type *my reports* to see its status."))
        return Reply(kind="receipt", text="\n".join(lines), private=True, data=data)

    def _reporter_command(self, incoming: Incoming, text: str) -> list[Reply] | None:
        parts = text.split(None, 2)
        low = [p.lower() for p in parts]
        if low[:2] == ["my", "reports"] and len(parts) == 2:
            return [self._my_reports(incoming)]
        rest = text[len(parts[0]):].strip() if parts else ""
        if low[:1] == ["status"] and looks_like_key(rest):
            return [self._status(rest)]
        if len(parts) == 3 and low[0] == "reply":
            target = parts[1]
            number = NUMBER_SHAPE.fullmatch(target)
            if number:
                who = incoming.user_id or ""
                num = f"{number.group(1)}-{int(number.group(2)):04d}"
                return [self._answer(who, num, parts[2])]
            if looks_like_key(target):
                return [self._answer(target, None, parts[2])]
        return None

    def _status(self, key: str) -> Reply:
        try:
            view = self.cases.status_for_key(key)
        except CaseNotFoundError:
            return Reply(kind="error", private=True,
                         text=_("No report matches that key. Check it and try again."))
        return Reply(kind="status", text=_status_text(view, self._times(), key), private=True,
                     data={"case_number": view["number"], "status": view["status"]})

    def _answer(self, who: str, number: str | None, text: str) -> Reply:
        try:
            view = self.cases.answer_as_reporter(who, number, text)
        except NotPermittedError:
            return Reply(kind="error", private=True,
                         text=_("That key or case number does not match a report of yours."))
        except InputTooLargeError as e:
            return Reply(kind="error", text=str(e), private=True)
        return Reply(kind="status", text=_("Thank you: your answer was added to case "
                                           "*{number}*.").format(number=view["number"]),
                     private=True,
                     data={"case_number": view["number"]})

    def _my_reports(self, incoming: Incoming) -> Reply:
        views = self.cases.reports_by(incoming.user_id or "")
        if not views:
            return Reply(kind="status", private=True,
                         text=_("You have no named reports. (Anonymous reports are checked "
                                "with `status KEY`.)"))
        text = "\n\n".join(_status_text(v, self._times()) for v in views)
        return Reply(kind="status", text=text, private=True,
                     data={"case_numbers": [v["number"] for v in views]})


def _status_text(view: dict[str, Any], times: Times, key: str | None = None) -> str:
    status = status_text(view["status"], view.get("dismiss_reason"))
    lines = [_("Case *{number}* ({category}), filed {date}: *{status}*.").format(
        number=view["number"], category=label_for("category", view["category"]),
        date=times.when(view["created_at"]), status=status)]
    for m in view["messages"]:
        who = _("Administrator asked") if m["direction"] == "question" else _("You answered")
        lines.append(f"{who} ({times.when(m['created_at'])}):")
        lines += [f"> {line}" for line in m["text"].splitlines()]
    if any(m["direction"] == "question" for m in view["messages"]):
        target = key or view["number"]
        lines.append(_("Answer with `reply {target} your answer`.").format(target=target))
    return "\n".join(lines)
