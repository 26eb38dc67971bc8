"""Bot.handle(incoming) -> replies: the one conversation core every front end uses."""

from __future__ import annotations

import dataclasses
import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date

from bot import i18n, messages
from bot.config import Settings
from bot.conversations import load_part, save_part
from bot.events import EventBus
from bot.models import Button, Citation, Incoming, Reply
from bot.text import replace_lone_surrogates
from infra.clock import now_iso
from infra.db import Storage
from infra.errors import PolicybotError, StorageError
from knowledge.answer import Outcome, Retriever
from knowledge.highlight import Highlighter
from knowledge.loader import Entry, KnowledgeBase
from knowledge.versions import in_force, requested_date, version_note

log = logging.getLogger(__name__)
Desk = Callable[[Incoming], "list[Reply] | None"]
_GREETING = re.compile(
    r"^(hi|hello|hey|hiya|yo|hola|buenos dias|buenas|help|ayuda|start|menu|"
    r"good (morning|afternoon|evening)|what can you do|who are you|\?+)\W*$", re.I)
_QUESTION = re.compile(
    r"\?|^(can|could|may|might|is|are|am|do|does|did|should|would|will|what|how|who|where|"
    r"when|why|which|puedo|puede|se puede|debo|qué|cómo|quién|dónde|cuándo|por qué)\b", re.I)
_THANKS = re.compile(r"^(thanks|thank you|thx|ty|gracias|ok|okay|cool|great)\W*$", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FOLLOW_UP_WORDS = 8
_FOLLOW_UP = re.compile(
    r"^(and|but|also|or|what about|how about|what if|same for|even|y|pero|también|"
    r"y si)\b|\b(it|that|this|those|these|them|they|there|one|ones|eso|esto)\b", re.I)


def clean_text(text: str) -> str:
    """Normalise Unicode, turn control characters into spaces and lone surrogates (which
    no UTF-8 store accepts) into U+FFFD, trim."""
    text = replace_lone_surrogates(text or "")
    return _CONTROL.sub(" ", unicodedata.normalize("NFC", text)).strip()


def input_problem(raw: str, text: str) -> str | None:
    """A message for input the core cannot use at all, or None."""
    if "\x00" in (raw or "") or (raw and sum(c.isprintable() or c.isspace() for c in raw)
                                 < 0.7 * len(raw)):
        return messages.unreadable_input()
    if len(text) > messages.MAX_INPUT:
        return messages.input_too_long(len(text), messages.MAX_INPUT)
    if not text:
        return messages.empty_input()
    return None


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def citation(e: Entry) -> Citation:
    return Citation(id=e.id, bulletin=e.bulletin, title=e.title, text=e.text, url=e.url,
                    truncated=e.truncated, full_text_available=e.verbatim,
                    source_note=" ".join(e.source_note.split()) if e.source_note else None,
                    effective=e.effective)


def report_it_button(category: str) -> Button:
    """'Report it': starts the report flow pre-filled with `category` ("" when unknown)."""
    return Button(messages.report_it_label(), f"report {category}".strip(), "primary")


class Bot:
    def __init__(self, settings: Settings, storage: Storage, kb: KnowledgeBase,
                 retriever: Retriever, events: EventBus | None = None,
                 desks: Sequence[Desk] = ()):
        self.settings = settings
        self.storage = storage
        self.kb = kb
        self.retriever = retriever
        self.events = events or EventBus()
        self.desks: list[Desk] = list(desks)
        self.reports = None  # set by bot.app.build_bot
        self.cases = None
        self.case_desk = None
        self.announcements = None
        self.alerts = None  # bot.alerts.Alerts: e-mail and webhook alerts
        self.views = None  # knowledge.versions.RetrieverViews, set by bot.app.build_bot
        self.knowledge_watcher = None  # bot.reload.KnowledgeWatcher, set by the server
        self.knowledge_desk = None  # bot.knowledge_desk.KnowledgeDesk, set by build_bot
        self._highlighter = None

    def use_knowledge(self, kb: KnowledgeBase, retriever: Retriever, views) -> None:
        """Swap in a rebuilt knowledge base (hot reload). Each assignment is atomic; a
        request already running finishes with what it started with."""
        self.views = views
        self.retriever = retriever
        self.kb = kb

    def handle(self, incoming: Incoming) -> list[Reply]:
        """Never raises: every input ends in at least one reply, except an `overheard`
        message that is not an answerable policy question (it gets none)."""
        with i18n.language(self.language_for(incoming)):
            try:
                return self._handle(incoming)
            except PolicybotError as e:
                return [Reply(kind="error", text=str(e), private=True)]
            except Exception:  # noqa: BLE001 - the person still gets an answer
                log.exception("unhandled error in Bot.handle (platform=%s)", incoming.platform)
                return [Reply(kind="error", text=messages.internal_error(), private=True)]

    def language_for(self, incoming: Incoming) -> str:
        """The language of the reply: the message's own when it is written in words (and
        remembered for the conversation), else the conversation's (a button, a command,
        a short answer). A report keeps the language it started in (bot.reporting)."""
        text = clean_text(incoming.text)
        detected = None if incoming.is_button else i18n.detect(text)
        if incoming.overheard or not incoming.conversation_id:
            return detected or i18n.DEFAULT
        try:
            remembered = load_part(self.storage, incoming.conversation_id, "lang")
            # (refused input, "nothing was stored", stores nothing, not even its language)
            if (detected and detected != (remembered or i18n.DEFAULT)
                    and input_problem(incoming.text, text) is None):
                save_part(self.storage, incoming.conversation_id, "lang",
                          None if detected == i18n.DEFAULT else detected)
        except Exception as e:  # noqa: BLE001 - the answer matters more than its language
            log.warning("conversation language not kept: %s", e)
            remembered = None
        return detected or remembered or i18n.DEFAULT

    def _handle(self, incoming: Incoming) -> list[Reply]:
        text = clean_text(incoming.text)
        problem = input_problem(incoming.text, text)
        if problem:
            return [] if incoming.overheard else [Reply(kind="error", text=problem)]
        incoming = Incoming(**{**incoming.__dict__, "text": text})
        if incoming.overheard:
            return self.overheard_question(incoming)
        for desk in self.desks:
            replies = desk(incoming)
            if replies is not None:
                return replies
        lowered = text.lower()
        if _GREETING.match(text):
            return [self.intro_reply(incoming.user_name)]
        if _THANKS.match(text):
            return [Reply(kind="info", text=messages.welcome_back())]
        if lowered.startswith("show "):
            return self.show_entry(text[5:].strip())
        if lowered.startswith("feedback "):
            return self.feedback_command(lowered.split()[1:])
        return self.answer_question(incoming)

    def intro_reply(self, user_name: str | None = None) -> Reply:
        """The welcome: what policybot does, example questions and "Report a post". A front
        end may show it when a conversation opens; it stores nothing."""
        return Reply(kind="intro", text=messages.intro(user_name),
                     buttons=tuple(Button(q, q) for q in messages.examples())
                     + (Button(messages.report_a_post_label(), "report"),))

    # --- questions -----------------------------------------------------------------

    def answer_question(self, incoming: Incoming, start_report: bool = True,
                        remember: bool = True, as_of: date | None = None) -> list[Reply]:
        """`as_of`: answer from the bulletins in force on that date (default: today's, or
        the older version the question asks for)."""
        question = clean_text(incoming.text)
        if len(question) > messages.MAX_QUESTION:
            return [Reply(kind="error", text=messages.question_too_long(len(question)))]
        if not any(c.isalnum() for c in question):
            return [Reply(kind="error", text=messages.no_words())]
        day = as_of or requested_date(question, self.kb)
        retriever = self.retriever_on(day)
        if retriever is None:
            return [Reply(kind="no_answer", status="no_answer",
                          text=messages.nothing_in_force(day))]
        outcome = retriever.decide(question)
        if (remember and outcome.status in ("no_answer", "related", "ambiguous")
                and len(question.split()) <= FOLLOW_UP_WORDS and _FOLLOW_UP.search(question)):
            context = load_part(self.storage, incoming.conversation_id, "context")
            if context:
                combined = retriever.decide(f"{context['question']} {question}")
                if combined.status == "answered" and combined.confidence > outcome.confidence:
                    outcome = combined
        if _folded(question) in {_folded(q) for q in self.kb.not_covered}:
            # an administrator marked this question as not covered (knowledge gaps page)
            outcome = dataclasses.replace(outcome, status="no_answer", candidates=())
        if incoming.overheard and outcome.status not in ("answered", "ambiguous"):
            return []  # not addressed to the bot and not answerable: not even logged
        try:
            question_id = self._log_question(incoming.platform, question, outcome)
            if remember and outcome.status == "answered":
                save_part(self.storage, incoming.conversation_id, "context",
                          {"question": question, "entry": outcome.candidates[0].entry.id})
        except StorageError as e:  # the answer matters more than the knowledge-gaps log
            log.warning("question not logged: %s", e)
            question_id = None
        replies = self.render(outcome, question_id, question)
        if outcome.status == "report" and start_report and self.reports is not None:
            replies += self.reports.start(incoming, None)
        return replies

    def overheard_question(self, incoming: Incoming) -> list[Reply]:
        """A message people wrote to each other where the bot listens: a question (a "?" or
        a question word first; a short one is read with the thread's context) that the
        policy answers gets the answer; chatter, commands, questions it cannot answer
        (answer_question returns nothing for those) and input errors get nothing, so the
        bot never talks over a thread."""
        if not _QUESTION.search(incoming.text):
            return []
        replies = self.answer_question(incoming, start_report=False)
        return [] if any(r.kind == "error" for r in replies) else replies

    def retriever_on(self, day: date | None) -> Retriever | None:
        """The retriever for the bulletins in force on `day`; None when none was."""
        if day is None or self.views is None:
            return self.retriever
        if not in_force(self.kb, day):
            return None
        return self.views.on(day)

    def render(self, outcome: Outcome, question_id: int | None,
               question: str | None = None) -> list[Reply]:
        helpful, unhelpful = messages.feedback_labels()
        feedback = (Button(helpful, f"feedback helpful {question_id}"),
                    Button(unhelpful, f"feedback unhelpful {question_id}"))
        if question_id is None:  # not logged, so feedback could not be matched to it
            feedback = ()
        data = {"question_id": question_id}
        offer = ((outcome.report_category or outcome.candidates[0].entry.report_category or "")
                 if outcome.offers_report and outcome.candidates else None)
        if outcome.status == "answered":
            top = outcome.candidates[0].entry
            reply = self.entry_reply(top, outcome.confidence, feedback, data,
                                     uncertain=outcome.uncertain, question=question,
                                     report_category=offer)
            return [reply]
        if outcome.status == "related":
            closest = outcome.candidates[0].entry
            text = messages.related(closest, outcome.topic, self.missing,
                                    self.settings.contact, outcome.asked)
            buttons = feedback
            if offer is not None:
                buttons = (report_it_button(offer), *feedback)
                text += "\n\n" + messages.report_it_offer()
            return [Reply(kind="related", status="related", text=text,
                          citations=(citation(closest),), buttons=buttons,
                          confidence=outcome.confidence, offers_report=offer is not None,
                          data=data)]
        if outcome.status == "ambiguous":
            options = [c.entry for c in outcome.candidates]
            return [Reply(kind="ambiguous", status="ambiguous",
                          text=messages.ambiguous(options),
                          citations=tuple(citation(e) for e in options),
                          buttons=tuple(Button(e.title, f"show {e.id}") for e in options),
                          confidence=outcome.confidence, data=data)]
        if outcome.status == "report":
            return [Reply(kind="report", status="report", text=messages.report_offer(),
                          confidence=outcome.confidence, data=data)]
        return [Reply(kind="no_answer", status="no_answer",
                      text=messages.no_answer(self.settings.contact, self.missing),
                      confidence=outcome.confidence, buttons=feedback[1:], data=data)]

    @property
    def missing(self) -> list[str]:
        """What policybot does not hold, per bulletin (its `missing` header), for refusals."""
        return [str(h["missing"]) for h in self.kb.bulletins.values() if h.get("missing")]

    def entry_reply(self, e: Entry, confidence: float | None,
                    extra: tuple[Button, ...] = (), data: dict | None = None,
                    uncertain: bool = False, report_category: str | None = None,
                    question: str | None = None) -> Reply:
        """An answer with entry `e`. `report_category` (a category id, or "" when unknown)
        means the person wants something done about a post: the reply also offers the
        report flow, pre-filled, first among its buttons. `question`: for a clause nobody
        curated (no hand-written answer), the sentence closest to it is marked."""
        related = [r for r in (self.kb.get(i) for i in e.related) if r is not None]
        buttons = extra
        highlight = None
        if not e.answer and question:
            highlight = self.highlighter.best_sentence(question, e.text)
        short = messages.short_answer(e) or highlight or e.text
        note, other = version_note(self.kb, e)
        if other:
            buttons += (Button(messages.see_other_version(other), f"show {other}"),)
        text = messages.answered(e, related, uncertain, highlight, note)
        offers = report_category is not None
        if offers:
            buttons = (report_it_button(report_category), *buttons)
            text += "\n\n" + messages.report_it_offer()
        elif e.report_category:
            buttons += (Button(messages.report_a_post_label(), f"report {e.report_category}"),)
            text += "\n\n" + messages.offer_report_line()
        return Reply(kind="answered", status="answered", text=text,
                     citations=tuple(citation(x) for x in [e, *related]), buttons=buttons,
                     confidence=confidence, offers_report=offers, uncertain=uncertain,
                     data={**(data or {}), "short_answer": short})

    def show_entry(self, entry_id: str) -> list[Reply]:
        e = self.kb.get(entry_id)
        if e is None:
            return [Reply(kind="error", text=messages.unknown_entry(entry_id))]
        return [self.entry_reply(e, None)]

    @property
    def highlighter(self) -> Highlighter:
        if self._highlighter is None or self._highlighter.encoder is not self.retriever.encoder:
            self._highlighter = Highlighter(self.retriever.encoder)
        return self._highlighter

    def match_policies(self, text: str) -> list[str]:
        return self.retriever.match_policies(text)

    # --- knowledge gaps ------------------------------------------------------------

    def _log_question(self, platform: str, question: str, outcome: Outcome) -> int:
        top = outcome.candidates[0].entry.id if outcome.candidates else None
        with self.storage.write() as db:
            return db["questions"].insert({
                "asked_at": now_iso(), "platform": platform, "text": question[:1000],
                "status": outcome.status, "confidence": outcome.confidence, "top_entry": top,
            }).last_pk

    def record_feedback(self, question_id: int, helpful: bool) -> bool:
        with self.storage.write() as db:
            if not db["questions"].count_where("id = ?", [question_id]):
                return False
            db["feedback"].insert({"question_id": question_id, "helpful": int(helpful),
                                   "created_at": now_iso()})
        return True

    def feedback_command(self, words: list[str]) -> list[Reply]:
        if len(words) == 2 and words[0] in ("helpful", "unhelpful") and words[1].isdigit():
            helpful = words[0] == "helpful"
            if self.record_feedback(int(words[1]), helpful):
                return [Reply(kind="info", text=messages.feedback_thanks(helpful))]
        return [Reply(kind="error", text=messages.feedback_unknown())]


__all__ = ["Bot", "citation", "clean_text"]
