"""Every user-facing sentence of the question side, as small functions."""

from __future__ import annotations

from knowledge import BULLETIN_INDEX_URL
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
        "employees (BUL-5688.0) and the bulletins it refers to. Where I hold a bulletin's "
        "own words I quote the clause; where I only hold a summary of what is known, I say so.\n"
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


def summary_heading(bulletin: str) -> str:
    """Above an entry policybot holds only as a summary: never presented as a quotation."""
    return f"Summary of what is known about {bulletin} (policybot's words, not the bulletin's):"


def clause_block(e: Entry, highlight: str | None = None) -> str:
    """The entry's text: quoted when it is the bulletin's own words (`highlight`, the
    sentence that answers, in bold), else a summary under a heading that says so; its
    source line, and the notes on what is missing or where a word comes from."""
    if e.verbatim:
        lines = ["\n".join("> " + line for line in mark(e.text, highlight).splitlines())]
    else:
        lines = [summary_heading(e.bulletin), e.text]
    lines.append(source_line(e))
    if e.truncated:
        lines.append("Note: the source copy of this guideline breaks off here; the rest of "
                     "its text is not in policybot's knowledge base.")
    elif e.source_note:
        lines.append("Source note: " + " ".join(e.source_note.split()))
    if not e.verbatim:
        lines.append(f"The full text of {e.bulletin} is not in policybot's knowledge base; "
                     f"read it at the official bulletin index: {BULLETIN_INDEX_URL}")
    return "\n".join(lines)


RELATED_LABEL = "Related guideline, not an answer to your question"
RELATED_LABEL_ES = "Pauta relacionada, no es una respuesta a su pregunta"
UNCERTAIN_LABEL = "Not sure"


def related(e: Entry, topic: str | None, missing: list[str], contact: str,
            spanish: bool, asked: str | None = None) -> str:
    """The closest clause is on the topic but does not answer the question: say so, show
    it as context, and say where a definite answer can be found. `asked`: the question a
    long message ends in (its story is not judged), quoted back."""
    if asked and not spanish:
        head = (f"Your message tells a longer story, so I can't be sure any guideline settles "
                f"it. The main question I found is: \u201c{asked}\u201d. The guideline closest to "
                f"it is {e.id} ({e.title}), shown for context, not as a ruling on your case.")
        tail = (f"{holdings(missing)} For a definite answer, ask {contact} or read the full "
                f"bulletin at {BULLETIN_INDEX_URL}")
        return "\n".join([head, "", clause_block(e), "", tail.strip()])
    if asked:
        head = (f"Su mensaje cuenta una historia más larga, así que no puedo asegurar que una "
                f"pauta la resuelva. La pregunta principal que encontré es: \u201c{asked}\u201d. "
                f"La pauta más cercana es {e.id} ({e.title}), como contexto, no como decisión "
                "sobre su caso.")
        tail = (f"Para una respuesta definitiva, pregunte a {contact} o lea el boletín "
                f"completo en {BULLETIN_INDEX_URL}")
        return "\n".join([head, "", clause_block(e), "", tail])
    if spanish:
        about = f"sobre {topic}" if topic else "sobre eso"
        head = (f"La política no dice nada específico {about} en las partes que policybot "
                f"conoce. La pauta más cercana es {e.id} ({e.title}); se muestra como "
                "contexto: no responde directamente a su pregunta.")
        tail = (f"Para una respuesta definitiva, pregunte a {contact} o lea el boletín "
                f"completo en {BULLETIN_INDEX_URL}")
    else:
        about = topic or "what you asked"
        head = (f"The policy doesn't say anything specific about {about} in the parts "
                f"policybot holds. The closest guideline is {e.id} ({e.title}), shown for "
                "context: it does not answer your question directly.")
        tail = (f"{holdings(missing)} For a definite answer, ask {contact} or read the full "
                f"bulletin at {BULLETIN_INDEX_URL}")
    return "\n".join([head, "", clause_block(e), "", tail])


def holdings(missing: list[str]) -> str:
    """What policybot does not hold, in one sentence (empty when it holds everything)."""
    if not missing:
        return ""
    return "policybot does not hold: " + "; ".join(missing) + "."


def uncurated_answer(e: Entry, highlight: str | None) -> str:
    """The lead line for a clause added from its document (no hand-written answer)."""
    if highlight:
        return f"{e.bulletin} says: “{highlight}”"
    return f"Here is what {e.bulletin} says:"


def answered(e: Entry, spanish: bool, related: list[Entry], uncertain: bool = False,
             highlight: str | None = None, note: str = "") -> str:
    short = (e.answer_es if spanish and e.answer_es else e.answer) or uncurated_answer(
        e, highlight)
    parts = [short, "", clause_block(e, highlight)]
    if uncertain:
        parts[1:1] = ["", uncertain_note(spanish)]
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


def no_answer(contact: str, spanish: bool, missing: list[str] = ()) -> str:
    """The refusal: only the parts policybot holds are known not to cover the question."""
    if spanish:
        return ("No encuentro nada sobre eso en las partes de la política de redes sociales "
                "y de los boletines que policybot conoce; no tengo el texto completo de "
                f"todos, así que el boletín completo podría decir más. Pregunte a {contact}. "
                f"Los boletines oficiales están en {BULLETIN_INDEX_URL}")
    return ("I don't know: the parts of the social media policy (BUL-5688.0) and of the "
            "bulletins that policybot holds don't cover that, so I won't guess. "
            f"{holdings(list(missing))} The full bulletin may say more: read it at "
            f"{BULLETIN_INDEX_URL}, or ask {contact}.").replace("  ", " ")


def uncertain_note(spanish: bool) -> str:
    if spanish:
        return ("No estoy seguro de que esta sea la pauta que busca: compruebe que se aplica "
                "a su caso o pregunte con otras palabras.")
    return ("I'm not sure this is the clause you need: check that it fits your situation, "
            "or ask again in other words.")


def report_it_offer(spanish: bool) -> str:
    if spanish:
        return ("Si quiere que se haga algo sobre esa publicación, puede denunciarla aquí: "
                "pulse *Report it* (puede hacerlo de forma anónima).")
    return ("If you want something done about that post, you can report it here: press "
            "*Report it* (you can stay anonymous).")


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
