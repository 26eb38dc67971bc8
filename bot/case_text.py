"""Every user-facing sentence of the case side, as plain keyed strings.

One catalogue (`TEXT`) keyed by a short id, with `str.format` placeholders, so that a
translation is another dict of the same keys. Labels and descriptions are separate
entries, never "Label: description" strings to be split. `say(key, **values)` is the
only way the case side turns a key into words.
"""

from __future__ import annotations

from typing import Any

TEXT: dict[str, str] = {
    # facts of a case, in the order every front end shows them
    "fact.category": "Category",
    "fact.urgency": "Urgency",
    "fact.status": "Status",
    "fact.platform": "Platform",
    "fact.target": "Targeted",
    "fact.seen_on": "Posted or seen",
    "fact.assignee": "Assignee",
    "fact.reporter": "Reporter",
    "fact.policies": "Matched policy",
    "fact.opened": "Opened",
    "fact.link": "Link",
    "value.none": "(none)",
    "value.not_given": "(not given)",
    "value.nobody": "nobody",
    "value.anonymous": "anonymous",
    "value.no_policy": "none matched",
    "value.hidden": "hidden until revealed",
    "value.the_reporter": "the reporter",
    # the case as a whole
    "case.title": "Case {number}",
    "case.title_new": "New case {number}",
    "case.urgent": "URGENT",
    "case.open": "Open",
    "case.mine": "My cases",
    "case.description": "What happened",
    "case.hidden": ("Hidden ({length:,} characters): it may identify a student. Reveal "
                    "details (recorded in the audit trail) to read it, the link and the "
                    "reporter's answers."),
    "case.revealed": "Shown because you chose Reveal details (recorded in the audit trail).",
    "case.question_from": "Question from {author}",
    "case.reporter_answered": "Reporter answered",
    "case.answer_hidden": "(hidden until revealed)",
    "case.messages": "Questions to the reporter",
    "case.trail": "Audit trail",
    "case.closed": "This case is closed ({status}).",
    "case.actions": "Actions",
    "case.action_line": "• {label}: `{command}`",
    "status.with_reason": "{status} ({reason})",
    # actions: label, then what the input asks for
    "action.claim": "Claim",
    "action.assign": "Assign",
    "action.assign.prompt": "Assign to an administrator",
    "action.status": "Set status",
    "action.status.prompt": "New status",
    "action.close": "Close case",
    "action.close.prompt": "Why is it resolved? (kept in the audit trail)",
    "action.reopen": "Reopen case",
    "action.reopen.prompt": "Why is it reopened? (kept in the audit trail)",
    "action.category": "Change category",
    "action.category.prompt": "New category",
    "action.urgency": "Change urgency",
    "action.urgency.prompt": "New urgency",
    "action.note": "Add note",
    "action.note.prompt": "Note (only administrators see notes)",
    "action.ask": "Ask the reporter",
    "action.ask.prompt": ("Question for the reporter (a Slack or Teams reporter gets it as a "
                          "direct message; a browser reporter sees it when they come back to "
                          "the chat; an anonymous reporter reads it with their case key)"),
    "action.reveal": "Reveal details",
    "option.status": "Mark {status}",
    "option.dismiss": "Dismiss: {reason}",
    # outcomes
    "done.claim": "You now have case *{number}*.",
    "done.assign": "Case *{number}* assigned to {assignee}.",
    "done.status": "Case *{number}* is now {status}.",
    "done.close": "Case *{number}* is now closed (resolved).",
    "done.reopen": "Case *{number}* is reopened: it is {status} again.",
    "done.category": "Case *{number}* is now in the category {value}.",
    "done.urgency": "Case *{number}* is now {value}.",
    "done.note": "Note added to case *{number}*.",
    "done.ask": "Question added to case *{number}*. {delivery}",
    "error.not_permitted": ("Not permitted: case actions are for case administrators. The "
                            "attempt was recorded."),
    "error.unknown_action": "There is no case action called {action!r}.",
    "error.not_a_number": "That is not a case number (like 2026-0007).",
    "error.stale_form": "This form is out of date. Close it and open the case again.",
    # announcements
    "announce.question": ("An administrator has a question about your report, case "
                          "*{number}*:\n{quoted}\n\nAnswer here with `reply {number} your "
                          "answer`."),
}


def say(key: str, **values: Any) -> str:
    return TEXT[key].format(**values) if values else TEXT[key]


def words(value: str | None) -> str:
    """A stored id ("out_of_scope") as words ("out of scope")."""
    return (value or "").replace("_", " ")


def status_text(status: str, reason: str | None = None) -> str:
    """The one "status (reason)" rendering."""
    return say("status.with_reason", status=status, reason=words(reason)) if reason else status
