"""Every user-facing sentence of the question side, as small functions.

Each goes through the message catalogue (`bot.i18n._`), so it comes out in the language
of the message being answered (`bot.i18n.language`).
"""

from __future__ import annotations

from bot.i18n import DEFAULT, N_, _, current
from knowledge import BULLETIN_INDEX_URL
from knowledge.loader import Entry

EXAMPLES = (
    N_("Can I friend a parent on Facebook?"),
    N_("Can I post photos of my students?"),
    N_("Does the district monitor my email?"),
)
MAX_INPUT = 10_000
MAX_QUESTION = 1_000


def examples() -> tuple[str, ...]:
    return tuple(_(q) for q in EXAMPLES)


def intro(name: str | None = None) -> str:
    hello = _("Hi {name}!").format(name=name) if name else _("Hi!")
    listed = "\n".join(f"  • {q}" for q in examples())
    return "\n".join([
        hello + " " + _("I'm policybot. I answer questions about LAUSD's social media policy "
                        "for employees (BUL-5688.0) and the bulletins it refers to. Where I "
                        "hold a bulletin's own words I quote the clause; where I only hold a "
                        "summary of what is known, I say so."),
        _("Try asking:"), listed,
        _("Saw an inappropriate post? Type *report* to report it (you can stay anonymous)."),
        _("Reported anonymously before? Type *status* followed by your case key."),
    ])


def empty_input() -> str:
    return _("I didn't get any text. Type a question, for example: {example}").format(
        example=examples()[0])


def unreadable_input() -> str:
    return _("I couldn't read that message: it looks like binary data rather than text. "
             "Please type your question in words.")


def no_words() -> str:
    return _("I couldn't find a question in that. Please ask in words, for example: "
             "{example}").format(example=examples()[1])


def input_too_long(length: int, limit: int) -> str:
    return _("That message is {length:,} characters long; I can read at most {limit:,}. "
             "Please shorten it and send it again. Nothing was stored.").format(
        length=length, limit=limit)


def question_too_long(length: int) -> str:
    return _("That question is {length:,} characters long; please ask it in at most "
             "{limit:,} characters. If you want to report a post, type *report* and you can "
             "describe it in up to 5,000 characters.").format(length=length, limit=MAX_QUESTION)


def source_line(e: Entry) -> str:
    where = e.id if e.id != e.bulletin else e.bulletin
    effective = _(", effective {date}").format(date=e.effective) if e.effective else ""
    return f"— {where}, {e.bulletin_title}{effective} ({e.url})"


def mark(text: str, sentence: str | None) -> str:
    """`text` with `sentence` in *bold* (the sentence that answers the question)."""
    flat = " ".join(text.split())
    if not sentence or sentence not in flat:
        return text
    return flat.replace(sentence, f"*{sentence}*", 1)


def summary_heading(bulletin: str) -> str:
    """Above an entry policybot holds only as a summary: never presented as a quotation."""
    return _("Summary of what is known about {bulletin} (policybot's words, not the "
             "bulletin's):").format(bulletin=bulletin)


def quoted_as_written() -> str | None:
    """Above a quotation in a reply that is not in English: the clause stays verbatim."""
    if current() == DEFAULT:
        return None
    return _("The bulletin's own words, quoted in English as written:")


def clause_block(e: Entry, highlight: str | None = None) -> str:
    """The entry's text: quoted when it is the bulletin's own words (`highlight`, the
    sentence that answers, in bold), else a summary under a heading that says so; its
    source line, and the notes on what is missing or where a word comes from."""
    if e.verbatim:
        lines = [line for line in [quoted_as_written()] if line]
        lines.append("\n".join("> " + line for line in mark(e.text, highlight).splitlines()))
    else:
        lines = [summary_heading(e.bulletin), e.text]
    lines.append(source_line(e))
    if e.truncated:
        lines.append(_("Note: the source copy of this guideline breaks off here; the rest of "
                       "its text is not in policybot's knowledge base."))
    elif e.source_note:
        lines.append(_("Source note:") + " " + " ".join(e.source_note.split()))
    if not e.verbatim:
        lines.append(_("The full text of {bulletin} is not in policybot's knowledge base; "
                       "read it at the official bulletin index: {url}").format(
            bulletin=e.bulletin, url=BULLETIN_INDEX_URL))
    return "\n".join(lines)


def related_label() -> str:
    return _("Related guideline, not an answer to your question")


def uncertain_label() -> str:
    return _("Not sure")


def uncertain_heading() -> str:
    """Above an answer given without confidence (Markdown-light: the label in *bold*)."""
    return _("*{label}* that this answers your question").format(label=uncertain_label())


def related(e: Entry, topic: str | None, missing: list[str], contact: str,
            asked: str | None = None) -> str:
    """The closest clause is on the topic but does not answer the question: say so, show
    it as context, and say where a definite answer can be found. `asked`: the question a
    long message ends in (its story is not judged), quoted back."""
    if asked:
        head = _("Your message tells a longer story, so I can't be sure any guideline settles "
                 "it. The main question I found is: \u201c{asked}\u201d. The guideline closest "
                 "to it is {id} ({title}), shown for context, not as a ruling on your case."
                 ).format(asked=asked, id=e.id, title=e.title)
    else:
        about = topic or _("what you asked")
        head = _("The policy doesn't say anything specific about {about} in the parts "
                 "policybot holds. The closest guideline is {id} ({title}), shown for "
                 "context: it does not answer your question directly.").format(
            about=about, id=e.id, title=e.title)
    tail = " ".join(filter(None, [holdings(missing), _(
        "For a definite answer, ask {contact} or read the full bulletin at {url}").format(
        contact=contact, url=BULLETIN_INDEX_URL)]))
    return "\n".join([head, "", clause_block(e), "", tail])


def holdings(missing: list[str]) -> str:
    """What policybot does not hold, in one sentence (empty when it holds everything)."""
    if not missing:
        return ""
    return _("policybot does not hold: {missing}.").format(missing="; ".join(missing))


def uncurated_answer(e: Entry, highlight: str | None) -> str:
    """The lead line for a clause added from its document (no hand-written answer)."""
    if highlight:
        return _("{bulletin} says: “{sentence}”").format(bulletin=e.bulletin, sentence=highlight)
    return _("Here is what {bulletin} says:").format(bulletin=e.bulletin)


def short_answer(e: Entry) -> str:
    """The entry's hand-written answer in the current language ("" when nobody wrote one)."""
    return (e.answer_es if current() == "es" and e.answer_es else e.answer) or ""


def answered(e: Entry, related: list[Entry], uncertain: bool = False,
             highlight: str | None = None, note: str = "") -> str:
    parts = [short_answer(e) or uncurated_answer(e, highlight), "", clause_block(e, highlight)]
    if uncertain:
        parts[1:1] = ["", uncertain_note()]
    if note:
        parts += ["", note]
    if related:
        parts += ["", _("See also:") + " " + "; ".join(f"{r.id} ({r.title})" for r in related)]
    return "\n".join(parts)


def ambiguous(options: list[Entry]) -> str:
    lines = [_("Your question could match more than one part of the policy. Did you mean:")]
    lines += [f"  {i}. {e.title} ({e.id})" for i, e in enumerate(options, 1)]
    lines.append(_("Pick one, or ask again in other words."))
    return "\n".join(lines)


def no_answer(contact: str, missing: list[str] = ()) -> str:
    """The refusal: only the parts policybot holds are known not to cover the question."""
    return " ".join(filter(None, [
        _("I don't know: the parts of the social media policy (BUL-5688.0) and of the "
          "bulletins that policybot holds don't cover that, so I won't guess."),
        holdings(list(missing)),
        _("The full bulletin may say more: read it at {url}, or ask {contact}.").format(
            url=BULLETIN_INDEX_URL, contact=contact)]))


def uncertain_note() -> str:
    return _("I'm not sure this is the clause you need: check that it fits your situation, "
             "or ask again in other words.")


def report_it_offer() -> str:
    return _("If you want something done about that post, you can report it here: press "
             "*{button}* (you can stay anonymous).").format(button=report_it_label())


def report_it_label() -> str:
    return _("Report it")


def report_a_post_label() -> str:
    return _("Report a post")


def nothing_in_force(day) -> str:
    return _("No bulletin in policybot's knowledge base was in force on {day}. The official "
             "bulletins are at {url}").format(day=day, url=BULLETIN_INDEX_URL)


def report_offer() -> str:
    return _("It sounds like you want to report a post. I'll walk you through a few short "
             "questions; you can stay anonymous, type *back* to change an answer or *cancel* "
             "to stop at any time.")


def offer_report_line() -> str:
    return _("If you saw a post like this, you can report it.")


def unknown_entry(entry_id: str) -> str:
    return _("I don't have an entry called {id}. Type *help* to see what I can do.").format(
        id=entry_id)


def welcome_back() -> str:
    return _("You're welcome. Ask me anything else any time.")


def feedback_labels() -> tuple[str, str]:
    return _("Helpful"), _("Not helpful")


def feedback_thanks(helpful: bool) -> str:
    return (_("Thanks, glad it helped.") if helpful else
            _("Thanks for telling me. An administrator reviews unhelpful answers to improve "
              "them."))


def feedback_unknown() -> str:
    return _("I couldn't match that feedback to a question I answered.")


def see_other_version(other: str) -> str:
    return _("See {version}").format(version=other)


def internal_error() -> str:
    return _("Sorry, something went wrong on my side and I couldn't finish that. Nothing you "
             "sent was lost; please try again in a moment.")
