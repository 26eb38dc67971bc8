"""Every user-facing sentence of the question side, as small functions."""

from __future__ import annotations

from bot.config import BULLETIN_INDEX_URL
from knowledge.loader import Entry

EXAMPLES = (
    "Can I friend a parent on Facebook?",
    "Can I post photos of my students?",
    "Does the district monitor my email?",
)
MAX_INPUT = 10_000
MAX_QUESTION = 1_000


def intro(name: str | None = None) -> str:
    hello = f"Hi {name}!" if name else "Hi!"
    examples = "\n".join(f"  • {q}" for q in EXAMPLES)
    return (
        f"{hello} I'm policybot. I answer questions about LAUSD's social media policy for "
        "employees (BUL-5688.0) and the bulletins it refers to, quoting the exact clause.\n"
        f"Try asking:\n{examples}\n"
        "Saw an inappropriate post? Type *report* to report it (you can stay anonymous).\n"
        "Reported anonymously before? Type *status* followed by your case key."
    )


def empty_input() -> str:
    return "I didn't get any text. Type a question, for example: " + EXAMPLES[0]


def unreadable_input() -> str:
    return ("I couldn't read that message: it looks like binary data rather than text. "
            "Please type your question in words.")


def no_words() -> str:
    return ("I couldn't find a question in that. Please ask in words, for example: "
            + EXAMPLES[1])


def input_too_long(length: int, limit: int) -> str:
    return (f"That message is {length:,} characters long; I can read at most {limit:,}. "
            "Please shorten it and send it again. Nothing was stored.")


def question_too_long(length: int) -> str:
    return (f"That question is {length:,} characters long; please ask it in at most "
            f"{MAX_QUESTION:,} characters. If you want to report a post, type *report* and "
            "you can describe it in up to 5,000 characters.")


def source_line(e: Entry) -> str:
    where = e.id if e.id != e.bulletin else e.bulletin
    effective = f", effective {e.effective}" if e.effective else ""
    return f"— {where}, {e.bulletin_title}{effective} ({e.url})"


def mark(text: str, sentence: str | None) -> str:
    """`text` with `sentence` in *bold* (the sentence that answers the question)."""
    flat = " ".join(text.split())
    if not sentence or sentence not in flat:
        return text
    return flat.replace(sentence, f"*{sentence}*", 1)


def clause_block(e: Entry, highlight: str | None = None) -> str:
    quoted = "\n".join("> " + line for line in mark(e.text, highlight).splitlines())
    lines = [quoted, source_line(e)]
    if e.truncated:
        lines.append("Note: the source copy of this guideline breaks off here; the rest of "
                     "its text is not in policybot's knowledge base.")
    if not e.verbatim:
        lines.append(f"The full text of {e.bulletin} is not in policybot's knowledge base; "
                     f"read it at the official bulletin index: {BULLETIN_INDEX_URL}")
    return "\n".join(lines)


def uncurated_answer(e: Entry, highlight: str | None) -> str:
    """The lead line for a clause added from its document (no hand-written answer)."""
    if highlight:
        return f"{e.bulletin} says: “{highlight}”"
    return f"Here is what {e.bulletin} says:"


def answered(e: Entry, spanish: bool, related: list[Entry], highlight: str | None = None,
             note: str = "") -> str:
    short = (e.answer_es if spanish and e.answer_es else e.answer) or uncurated_answer(
        e, highlight)
    parts = [short, "", clause_block(e, highlight)]
    if note:
        parts += ["", note]
    if related:
        parts += ["", "See also: " + "; ".join(f"{r.id} ({r.title})" for r in related)]
    return "\n".join(parts)


def ambiguous(options: list[Entry], spanish: bool) -> str:
    head = ("¿Quiso decir alguna de estas?" if spanish
            else "Your question could match more than one part of the policy. Did you mean:")
    lines = [head] + [f"  {i}. {e.title} ({e.id})" for i, e in enumerate(options, 1)]
    lines.append("Pick one, or ask again in other words.")
    return "\n".join(lines)


def no_answer(contact: str, spanish: bool) -> str:
    if spanish:
        return ("No encuentro nada sobre eso en la política de redes sociales ni en los "
                f"boletines que conozco. Pregunte a {contact}. Los boletines oficiales están "
                f"en {BULLETIN_INDEX_URL}")
    return ("I don't know: the social media policy (BUL-5688.0) and the bulletins I know "
            f"don't cover that, so I won't guess. Please ask {contact}. The official "
            f"bulletins are at {BULLETIN_INDEX_URL}")


def nothing_in_force(day) -> str:
    return (f"No bulletin in policybot's knowledge base was in force on {day}. The official "
            f"bulletins are at {BULLETIN_INDEX_URL}")


def report_offer() -> str:
    return ("It sounds like you want to report a post. I'll walk you through a few short "
            "questions; you can stay anonymous, type *back* to change an answer or *cancel* "
            "to stop at any time.")


def offer_report_line() -> str:
    return "If you saw a post like this, you can report it."


def unknown_entry(entry_id: str) -> str:
    return f"I don't have an entry called {entry_id}. Type *help* to see what I can do."


def feedback_thanks(helpful: bool) -> str:
    return ("Thanks, glad it helped." if helpful else
            "Thanks for telling me. An administrator reviews unhelpful answers to improve them.")


def feedback_unknown() -> str:
    return "I couldn't match that feedback to a question I answered."


def internal_error() -> str:
    return ("Sorry, something went wrong on my side and I couldn't finish that. Nothing you "
            "sent was lost; please try again in a moment.")
