"""Every user-facing sentence of the case side, as plain keyed strings.

One table (`TEXT`) keyed by a short id, with `str.format` placeholders; each sentence is
marked for the message catalogue (`bot.i18n`) and translated when it is said, so the
case side shares one home for text with the question side. Labels and descriptions are separate
entries, never "Label: description" strings to be split. `say(key, **values)` is the
only way the case side turns a key into words.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import N_, _

TEXT: dict[str, str] = {
    # facts of a case, in the order every front end shows them
    "fact.category": N_("Category"),
    "fact.urgency": N_("Urgency"),
    "fact.status": N_("Status"),
    "fact.platform": N_("Platform"),
    "fact.target": N_("Targeted"),
    "fact.seen_on": N_("Posted or seen"),
    "fact.assignee": N_("Assignee"),
    "fact.reporter": N_("Reporter"),
    "fact.policies": N_("Matched policy"),
    "fact.opened": N_("Opened"),
    "fact.link": N_("Link"),
    "fact.age": N_("Age"),
    "fact.possible_duplicate_of": N_("Possible duplicate of"),
    "fact.possibly_duplicated_by": N_("Same link reported later in"),
    "fact.duplicate_of": N_("Duplicate of"),
    "fact.duplicates": N_("Duplicates linked to it"),
    "value.none": N_("(none)"),
    "value.not_given": N_("(not given)"),
    "value.nobody": N_("nobody"),
    "value.anonymous": N_("anonymous"),
    "value.no_policy": N_("none matched"),
    "value.hidden": N_("hidden until revealed"),
    "value.the_reporter": N_("the reporter"),
    # the case as a whole
    "case.title": N_("Case {number}"),
    "case.title_new": N_("New case {number}"),
    "case.urgent": N_("URGENT"),
    "case.overdue": N_("OVERDUE"),
    "case.open": N_("Open"),
    "case.mine": N_("My cases"),
    "case.description": N_("What happened"),
    "case.hidden": N_("Hidden until revealed: {parts}."),
    "case.hidden.student": N_("It may identify a student."),
    "case.hidden.how_one": N_("Reveal details (recorded in the audit trail) to read it."),
    "case.hidden.how_many": N_("Reveal details (recorded in the audit trail) to read them."),
    "hidden.list": N_("{items} and {last}"),
    "hidden.description": N_("the description ({length:,} characters)"),
    "hidden.link": N_("the link"),
    "hidden.reporter": N_("the reporter's name"),
    "hidden.answers": N_("the reporter's answers ({count})"),
    "case.revealed": N_("Shown because you chose Reveal details (recorded in the audit trail)."),
    "case.question_from": N_("Question from {author}"),
    "case.reporter_answered": N_("Reporter answered"),
    "case.answer_hidden": N_("(hidden until revealed)"),
    "case.messages": N_("Questions to the reporter"),
    "case.trail": N_("Audit trail"),
    "case.closed": N_("This case is closed ({status})."),
    "case.actions": N_("Actions"),
    "case.action_line": N_("• {label}: `{command}`"),
    "status.with_reason": N_("{status} ({reason})"),
    # actions: label, then what the input asks for
    "action.claim": N_("Claim"),
    "action.assign": N_("Assign"),
    "action.assign.prompt": N_("Assign to an administrator"),
    "action.status": N_("Set status"),
    "action.status.prompt": N_("New status"),
    "action.close": N_("Close case"),
    "action.close.prompt": N_("Why is it resolved? (kept in the audit trail)"),
    "action.reopen": N_("Reopen case"),
    "action.reopen.prompt": N_("Why is it reopened? (kept in the audit trail)"),
    "action.category": N_("Change category"),
    "action.category.prompt": N_("New category"),
    "action.urgency": N_("Change urgency"),
    "action.urgency.prompt": N_("New urgency"),
    "action.note": N_("Add note"),
    "action.note.prompt": N_("Note (only administrators see notes)"),
    "action.ask": N_("Ask the reporter"),
    "action.ask.prompt": N_("Question for the reporter (a Slack or Teams reporter gets it as a "
                          "direct message; a browser reporter sees it when they come back to "
                          "the chat; an anonymous reporter reads it with their case key)"),
    "action.reveal": N_("Reveal details"),
    "action.duplicate": N_("Link as duplicate"),
    "action.duplicate.prompt": N_("The case this one duplicates (a case number like 2026-0001)"),
    "action.unlink": N_("Unlink duplicate"),
    "option.status": N_("Mark {status}"),
    "option.dismiss": N_("Dismiss: {reason}"),
    # outcomes
    "done.claim": N_("You now have case *{number}*."),
    "done.assign": N_("Case *{number}* assigned to {assignee}."),
    "done.status": N_("Case *{number}* is now {status}."),
    "done.close": N_("Case *{number}* is now closed (resolved)."),
    "done.reopen": N_("Case *{number}* is reopened: it is {status} again."),
    "done.category": N_("Case *{number}* is now in the category {value}."),
    "done.urgency": N_("Case *{number}* is now {value}."),
    "done.note": N_("Note added to case *{number}*."),
    "done.ask": N_("Question added to case *{number}*. {delivery}"),
    "done.duplicate": N_("Case *{number}* is linked as a duplicate of {original}."),
    "done.unlink": N_("Case *{number}* is no longer linked as a duplicate of {original}."),
    "error.not_permitted": N_("Not permitted: case actions are for case administrators. The "
                            "attempt was recorded."),
    "error.unknown_action": N_("There is no case action called {action!r}."),
    "error.not_a_number": N_("That is not a case number (like 2026-0007)."),
    "error.stale_form": N_("This form is out of date. Close it and open the case again."),
    # announcements
    "announce.question": N_("An administrator has a question about your report, case "
                          "*{number}*:\n{quoted}\n\nAnswer here with `reply {number} your "
                          "answer`."),
}


# The stored ids a reporter reads back as words (case statuses and dismiss reasons).
STORED_WORDS = (N_("new"), N_("triaged"), N_("investigating"), N_("resolved"),
                N_("dismissed"), N_("duplicate"), N_("unfounded"), N_("out of scope"),
                N_("referred"))


def say(key: str, **values: Any) -> str:
    return _(TEXT[key]).format(**values) if values else _(TEXT[key])


def words(value: str | None) -> str:
    """A stored id ("out_of_scope") as words ("out of scope"), in the current language."""
    text = (value or "").replace("_", " ")
    return _(text) if text else text


def status_text(status: str, reason: str | None = None) -> str:
    """The one "status (reason)" rendering."""
    shown = words(status)
    return say("status.with_reason", status=shown, reason=words(reason)) if reason else shown
