"""The case as administrators see it, built once for every front end (what they do with
it goes through bot/case_desk.py).

`build_view` (pure) makes a `CaseView` from a case, its messages and audit trail, the
allowed transitions and the dismiss reasons: title, urgency, facts, status text, the
description and answers or a masked note, the trail, and the actions with their input
(none, text, a choice). Slack, Teams, the web console, chat and the CLI each render it
in one function. `bot.case_desk.CaseDesk.act` runs every action with the one permission
check (`CaseStore`, which records refusals) and returns an `Outcome` with the text to show.
Masked text (description, link, named reporter, answers) is shown only after "reveal",
recorded as "revealed". Times are shown in the district's time zone with their age
(`bot.times`); the case's age is measured against its urgency's target (`bot.case_age`);
a case with the same link as another says only that case's number (`bot.case_duplicates`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.case_age import case_age
from bot.case_duplicates import DuplicateFacts
from bot.case_edits import CLOSED, RESOLVED, URGENCIES
from bot.case_text import say, status_text, words
from bot.cases import DISMISS_REASONS, STATUSES, TRANSITIONS
from bot.report_flow import CATEGORIES, label_for
from bot.times import Times

NUMBER = re.compile(r"(\d{4})-(\d{1,6})")
# action id -> chat command word (the chat commands and button values use these)
COMMANDS = {"view": "case", "reveal": "reveal", "claim": "claim", "assign": "assign",
            "status": "set-status", "close": "close", "reopen": "reopen",
            "category": "set-category", "urgency": "set-urgency", "note": "note", "ask": "ask",
            "duplicate": "link-duplicate", "unlink": "unlink-duplicate"}
ACTIONS = {word: action for action, word in COMMANDS.items()}


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Action:
    """One thing an administrator can do: `input` is "none", "text" or "choice" (then
    `options` are (value, label) pairs). `command(value)` is the same as a chat command."""
    id: str
    number: str
    label: str
    input: str = "none"
    prompt: str = ""
    options: tuple[tuple[str, str], ...] = ()
    style: str | None = None

    def command(self, value: str = "") -> str:
        return " ".join(p for p in (COMMANDS[self.id], self.number, value.strip()) if p)


@dataclass(frozen=True)
class Message:
    heading: str
    text: str  # a masked answer reads "(hidden until revealed)"
    when: str


@dataclass(frozen=True)
class TrailEntry:
    when: str
    action: str
    actor: str
    detail: str

    def what(self) -> str:
        return f"{self.action} by {self.actor}" + (f" ({self.detail})" if self.detail else "")

    def line(self) -> str:
        return f"{self.when}  {self.what()}"


@dataclass(frozen=True)
class CaseView:
    number: str
    title: str
    urgent: bool
    status: str  # the status id ("dismissed"); status_text is what people read
    status_text: str
    facts: tuple[Fact, ...]
    policy_ids: tuple[str, ...]
    revealed: bool
    description: str | None  # None while masked
    hidden_note: str  # what stands in for the description while masked
    messages: tuple[Message, ...] = ()
    notes: tuple[TrailEntry, ...] = ()
    trail: tuple[TrailEntry, ...] = ()
    actions: tuple[Action, ...] = ()
    overdue: bool = False  # still open past its urgency's target (see bot.case_age)

    def action(self, action_id: str) -> Action | None:
        return next((a for a in self.actions if a.id == action_id), None)

    def text(self) -> str:
        """The plain-text rendering (chat, terminal, and every front end's fallback)."""
        urgent = say("case.urgent") + " " if self.urgent else ""
        urgent += say("case.overdue") + " " if self.overdue else ""
        lines = [f"{urgent}*{self.title}*"] + [f"*{f.label}:* {f.value}" for f in self.facts]
        lines.append(f"*{say('case.description')}:*")
        if self.description is None:
            lines.append(self.hidden_note)
        else:
            lines += [f"> {line}" for line in self.description.splitlines()]
        for m in self.messages:
            lines.append(f"{m.heading} ({m.when}):")
            lines += [f"> {line}" for line in m.text.splitlines()]
        if self.actions:
            lines.append(f"*{say('case.actions')}:*")
        for a in self.actions:
            command = a.command({"text": "TEXT", "choice": "CHOICE"}.get(a.input, ""))
            choices = ", ".join(value for value, _ in a.options)
            lines.append(say("case.action_line", label=a.label, command=command)
                         + (f" ({choices})" if choices else ""))
        return "\n".join(lines)


def normalize_number(text: str) -> str | None:
    """A case number as stored ("2026-7" -> "2026-0007"), or None for anything else."""
    match = NUMBER.fullmatch(str(text or "").strip()[:32])
    return f"{match.group(1)}-{int(match.group(2)):04d}" if match else None


def field_label(field: str, value: str | None) -> str:
    """The words for a category or urgency id."""
    return label_for("category", value) if field == "category" else dict(URGENCIES).get(
        value, value or "")


def event_detail(event: dict[str, Any]) -> str:
    detail = event.get("detail") or {}
    action = event["action"]
    if action == "status_changed" and detail.get("to") == RESOLVED and detail.get("reason"):
        return f"{detail.get('from')} → {RESOLVED}: {detail['reason']}"
    if action == "status_changed":
        return f"{detail.get('from')} → {status_text(detail.get('to'), detail.get('reason'))}"
    if action == "reopened":
        return (f"{status_text(detail.get('from'), detail.get('from_reason'))} → "
                f"{detail.get('to')}: {detail.get('reason')}")
    if action in ("category_changed", "urgency_changed"):
        field = action.removesuffix("_changed")
        return f"{field_label(field, detail.get('from'))} → {field_label(field, detail.get('to'))}"
    if action == "assigned":
        return f"to {detail.get('to') or ''}".strip()
    if action == "note_added":
        return detail.get("text", "")
    if action == "denied":
        return f"attempted {detail.get('attempted', '?')}"
    return ", ".join(f"{k}: {v}" for k, v in detail.items() if v is not None)


def status_options(targets: tuple[str, ...]) -> list[tuple[str, str]]:
    """(value, label) of a status change to each of `targets` (a dismissal per reason;
    resolving is "Close", which asks why)."""
    options = []
    for nxt in targets:
        if nxt == "dismissed":
            options += [(f"dismissed {r}", say("option.dismiss", reason=words(r)))
                        for r in DISMISS_REASONS]
        elif nxt != RESOLVED:
            options.append((nxt, say("option.status", status=nxt)))
    return options


def bulk_status_options() -> list[tuple[str, str]]:
    """Every status change some case can make (the list's bulk action; each case is
    still checked against its own allowed transitions)."""
    return status_options(tuple(s for s in STATUSES
                                if any(s in nexts for nexts in TRANSITIONS.values())))


def actions_for(case: dict[str, Any], revealed: bool,
                assignees: tuple[tuple[str, str], ...] = (),
                linked: bool = False) -> tuple[Action, ...]:
    """What an administrator can do with the case now: the workflow (TRANSITIONS) decides
    the status moves, closing (resolving, with a reason) and reopening (a closed case);
    `linked`: the case is linked as a duplicate (then it can be unlinked)."""
    number, status = case["number"], case["status"]
    moves = TRANSITIONS.get(status, ())
    options = status_options(moves)
    choose = [(a, label) for a, label in assignees if a != case.get("assignee")]
    actions = [Action("claim", number, say("action.claim"), style="primary")]
    if choose:
        actions.append(Action("assign", number, say("action.assign"), "choice",
                              say("action.assign.prompt"), tuple(choose)))
    if options:
        actions.append(Action("status", number, say("action.status"), "choice",
                              say("action.status.prompt"), tuple(options)))
    if RESOLVED in moves:
        actions.append(Action("close", number, say("action.close"), "text",
                              say("action.close.prompt")))
    if status in CLOSED:
        actions.append(Action("reopen", number, say("action.reopen"), "text",
                              say("action.reopen.prompt")))
    for field, choices in (("category", CATEGORIES), ("urgency", URGENCIES)):
        actions.append(Action(field, number, say(f"action.{field}"), "choice",
                              say(f"action.{field}.prompt"),
                              tuple((v, label) for v, label in choices if v != case[field])))
    actions += [Action("note", number, say("action.note"), "text", say("action.note.prompt")),
                Action("ask", number, say("action.ask"), "text", say("action.ask.prompt")),
                Action("unlink", number, say("action.unlink")) if linked else
                Action("duplicate", number, say("action.duplicate"), "text",
                       say("action.duplicate.prompt"))]
    if not revealed:
        actions.append(Action("reveal", number, say("action.reveal")))
    return tuple(actions)


def reporter_shown(case: dict[str, Any]) -> str:
    """A named reporter with the name and e-mail they gave (browser reports), if any."""
    if case.get("reporter_email"):
        return f"{case['reporter']} ({case.get('reporter_name')}, {case['reporter_email']})"
    return case["reporter"]


def duplicate_facts(found: DuplicateFacts) -> list[tuple[str, str]]:
    """Case numbers only: a match on the masked link never shows the link."""
    facts = [(say("fact.duplicate_of"), found.of)] if found.of else []
    for key, numbers in (("fact.possible_duplicate_of", found.possible_of),
                         ("fact.possibly_duplicated_by", found.possibly_by),
                         ("fact.duplicates", found.linked)):
        if numbers:
            facts.append((say(key), ", ".join(numbers)))
    return facts


# What makes masked text likely to identify a student: the category, or who is targeted.
STUDENT_CATEGORIES = frozenset({"student_identified", "confidential_info"})


def may_identify_student(case: dict[str, Any]) -> bool:
    return case.get("category") in STUDENT_CATEGORIES or case.get("target") == "student"


def hidden_note(case: dict[str, Any], messages: list[dict[str, Any]] = ()) -> str:
    """What stands in for the masked details: names each hidden thing this case has
    (description, link, reporter's name, answers), and says it may identify a student
    only when the category or the target says it may."""
    answers = sum(1 for m in messages if m["direction"] != "question")
    parts = [say("hidden.description", length=len(case.get("description") or ""))]
    if case.get("link"):
        parts.append(say("hidden.link"))
    if case.get("reporter") is not None:
        parts.append(say("hidden.reporter"))
    if answers:
        parts.append(say("hidden.answers", count=answers))
    listed = (say("hidden.list", items=", ".join(parts[:-1]), last=parts[-1])
              if len(parts) > 1 else parts[0])
    student = [say("case.hidden.student")] if may_identify_student(case) else []
    how = say("case.hidden.how_many" if len(parts) > 1 else "case.hidden.how_one")
    return " ".join([say("case.hidden", parts=listed), *student, how])


def build_view(case: dict[str, Any], messages: list[dict[str, Any]] = (),
               events: list[dict[str, Any]] = (), revealed: bool = False,
               new: bool = False, times: Times | None = None,
               targets: Mapping[str, int] | None = None,
               duplicates: DuplicateFacts | None = None,
               assignees: tuple[tuple[str, str], ...] = ()) -> CaseView:
    """The case as shown to an administrator (`new`: the announcement of a new case;
    `times`: the time zone and the moment ages are measured from, UTC now by default;
    `targets`: hours per urgency before an open case is overdue; `assignees`: the
    administrators it can be assigned to, as (id, name))."""
    times = times or Times.of("UTC")
    age = case_age(case, times, targets or {})
    duplicates = duplicates or DuplicateFacts()
    number = case["number"]
    status = status_text(case["status"], case.get("dismiss_reason"))
    hidden = say("value.hidden")
    reporter = case.get("reporter")
    link = case.get("link")
    facts = (
        (say("fact.category"), label_for("category", case["category"])),
        (say("fact.urgency"), case["urgency"]),
        (say("fact.status"), status),
        (say("fact.platform"), label_for("platform", case["platform"])),
        (say("fact.target"), label_for("target", case["target"])),
        (say("fact.seen_on"), case.get("seen_on") or say("value.not_given")),
        (say("fact.assignee"), case.get("assignee") or say("value.nobody")),
        (say("fact.reporter"), say("value.anonymous") if reporter is None
         else reporter_shown(case) if revealed else hidden),
        (say("fact.policies"), ", ".join(case.get("matched_policy_ids") or [])
         or say("value.no_policy")),
        (say("fact.opened"), times.when(case.get("created_at"))),
        (say("fact.age"), age.fact()),
        (say("fact.link"), say("value.none") if not link else link if revealed else hidden),
        *duplicate_facts(duplicates),
    )
    shown = [Message(say("case.question_from", author=m["author"])
                     if m["direction"] == "question" else say("case.reporter_answered"),
                     m["text"] if revealed or m["direction"] == "question"
                     else say("case.answer_hidden"), times.when(m.get("created_at")))
             for m in messages]

    def actor(who: str) -> str:  # a named reporter is masked in the trail too
        return say("value.the_reporter") if who == reporter and not revealed else who

    trail = tuple(TrailEntry(times.when(e.get("created_at")), e["action"], actor(e["actor"]),
                             event_detail(e)) for e in events)
    description = case.get("description") or ""
    return CaseView(
        number=number, title=say("case.title_new" if new else "case.title", number=number),
        urgent=case["urgency"] == "urgent", status=case["status"], status_text=status,
        facts=tuple(Fact(label, str(value)) for label, value in facts),
        policy_ids=tuple(case.get("matched_policy_ids") or ()), revealed=revealed,
        description=description if revealed else None,
        hidden_note=say("case.revealed") if revealed else hidden_note(case, messages),
        messages=tuple(shown), notes=tuple(t for t in trail if t.action == "note_added"),
        trail=trail, actions=actions_for(case, revealed, assignees, bool(duplicates.of)),
        overdue=age.overdue)
