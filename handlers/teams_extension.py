"""The "Report to policybot" message extension: an action on a Teams message's … menu.

The app manifest declares one action command (`teams_package.REPORT_MESSAGE`) in the
message context with `fetchTask`; Teams then sends two invokes:

- composeExtension/fetchTask: answered with a dialog (task module) holding the report
  form, pre-filled as Slack's "Report this message" shortcut does
  (`bot.report_prefill`): the message's link (messagePayload.linkToMessage), "A district
  system" as the platform, the message and its author quoted in the description; the
  kind of post, who is targeted, danger and named/anonymous are left to the reporter.
- composeExtension/submitAction: the form's values (value.data) go through the core's
  report flow like every other report form (`TeamsFrontEnd.report`). The dialog answers
  with the form again and its errors, or with the receipt (case number; the case key when
  anonymous). A named reporter also gets the receipt in the personal chat; an anonymous
  reporter gets it only in the dialog, and nothing of theirs is remembered.

The form is in the reporter's Teams language (activity.locale) and comes back with it.
Nothing is stored when the dialog opens. A payload that is not one of these (an unknown
command, no message, form data that is not policybot's) gets a message saying what to do.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Attachment
from botbuilder.schema.teams import (
    MessageActionsPayload,
    MessagingExtensionAction,
    MessagingExtensionActionResponse,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleTaskInfo,
)
from bs4 import BeautifulSoup
from msrest.exceptions import DeserializationError

from bot.i18n import language
from bot.report_flow import STEPS
from bot.report_prefill import prefill_from_message
from handlers import teams_cards as cards
from handlers.teams_activity import CARD_TYPE, MESSAGE_TYPE, card_activity, invoke_response
from handlers.teams_package import REPORT_MESSAGE
from infra.errors import PolicybotError

log = logging.getLogger(__name__)

COMMAND_ID = REPORT_MESSAGE["id"]
TITLE = REPORT_MESSAGE["title"]
FETCH_TASK = "composeExtension/fetchTask"
SUBMIT_ACTION = "composeExtension/submitAction"
INVOKES = (FETCH_TASK, SUBMIT_ACTION)
REOPEN = f"Open it again from the message's … menu (More actions → {TITLE})."
_BREAKS = ("br", "p", "div", "li", "tr", "blockquote", "pre", "h1", "h2", "h3")


# ------------------------------------------------------------------ invoke bodies

def dialog(card: dict[str, Any], title: str = TITLE) -> InvokeResponse:
    info = TaskModuleTaskInfo(title=title, height="large", width="medium",
                              card=Attachment(content_type=CARD_TYPE, content=card))
    return InvokeResponse(status=200, body=MessagingExtensionActionResponse(
        task=TaskModuleContinueResponse(value=info)))


def notice(text: str) -> InvokeResponse:
    """A short message Teams shows in place of the dialog."""
    return InvokeResponse(status=200, body=MessagingExtensionActionResponse(
        task=TaskModuleMessageResponse(value=text)))


def notice_for(name: str | None, text: str) -> InvokeResponse:
    """`text` as the answer this kind of invoke expects (a re-sent invoke, a failed turn)."""
    return notice(text) if name in INVOKES else invoke_response(200, MESSAGE_TYPE, text)


# ------------------------------------------------------------------ the message

def posted_text(payload: MessageActionsPayload) -> str:
    """The message's text: Teams sends HTML (mentions as <at>, paragraphs as <p>)."""
    body = payload.body
    content = body.content if body else None
    if not isinstance(content, str):
        return ""
    if str(body.content_type or "html").lower() == "text":
        return content.strip()
    soup = BeautifulSoup(content, "html.parser")
    for tag in soup.find_all(_BREAKS):
        tag.append("\n")
    lines = [" ".join(line.split()) for line in soup.get_text().splitlines()]
    return "\n".join(line for line in lines if line)


def posted_by(payload: MessageActionsPayload) -> str:
    sender = payload.from_property
    user = sender.user if sender else None
    app = sender.application if sender else None
    who = user or app
    name = getattr(who, "display_name", None)
    ident = getattr(who, "id", None)
    kind = "Teams user" if user else "Teams app"
    if name and ident:
        return f"{name} ({kind} {ident})"
    return name or (f"{kind} {ident}" if ident else "unknown")


def prefill(payload: MessageActionsPayload) -> dict[str, Any]:
    link = payload.link_to_message
    link = link if isinstance(link, str) and link.startswith("https://") else None
    return prefill_from_message("Teams", posted_by(payload), posted_text(payload), link)


# ------------------------------------------------------------------ the invokes

def parse(value: Any) -> MessagingExtensionAction | str:
    """The invoke's value, or what is wrong with it (for the person: `notice`)."""
    if not isinstance(value, dict):
        return f"This request carried no report command. {REOPEN}"
    try:
        action = MessagingExtensionAction().deserialize(value)
    except DeserializationError:
        return f"This request could not be read. {REOPEN}"
    if action.command_id != COMMAND_ID:
        return f"policybot has no command {str(action.command_id)[:40]!r}. {REOPEN}"
    return action


async def handle(front, context: TurnContext) -> InvokeResponse:
    """fetchTask or submitAction for `front` (a `handlers.teams.TeamsFrontEnd`)."""
    activity = context.activity
    action = parse(activity.value)
    if isinstance(action, str):
        log.info("Teams message extension %s refused: %s", activity.name, action)
        return notice(action)
    if activity.name == FETCH_TASK:
        if action.message_payload is None:
            return notice(f"Report a message from its … menu. {REOPEN}")
        # In the reporter's Teams language; the form carries it back (cards.LANG_FIELD).
        with language((activity.locale or "")[:2].lower()):
            return dialog(cards.report_form_card(STEPS, prefill(action.message_payload), {}))
    data = action.data
    with language(data.get(cards.LANG_FIELD) if isinstance(data, dict) else None):
        return await submit(front, context, data)


async def submit(front, context: TurnContext, data: Any) -> InvokeResponse:
    if not isinstance(data, dict) or data.get("pbForm") != cards.FORM_ID:
        return notice(f"This is not policybot's report form. {REOPEN}")
    try:
        values, result = await front.report(context, data)
    except PolicybotError as e:
        return notice(str(e))
    if result.errors:
        return dialog(cards.report_form_card(STEPS, values, result.errors))
    receipt = cards.receipt_card(result.replies)
    if not any(r.data.get("case_key") for r in result.replies):
        # Named: the receipt in the personal chat too, as Slack sends it to the DM. An
        # anonymous receipt stays in the dialog: a message would be kept, dated.
        # Sent after the dialog's answer: Teams waits 5 seconds at most for it.
        personal = [card_activity(cards.to_card(r)) for r in result.replies]
        front.spawn(lambda: front.send_personal(context, personal))
    return dialog(receipt, title="Report received")
