"""What a message asks: its question sentences, the words the question turns on, and whether
the person wants something done about someone else's post.

Pure text functions (no model): the retriever uses them to read a long message that tells
a story before it asks, and to check that a clause speaks to what was asked, not only to
its topic.
"""

from __future__ import annotations

import re
from pathlib import Path

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_SPANISH
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from knowledge.index import tokenize

THESAURUS_FILE = Path(__file__).resolve().parent / "thesaurus.yaml"

LONG_MESSAGE_WORDS = 45
_SENTENCE = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+")
_QUESTION_START = re.compile(
    r"^\s*(can|could|may|might|is|are|am|do|does|did|should|would|will|what|how|who|whom|"
    r"where|when|why|which|has|have|any|anyone|puedo|puede|se puede|debo|debe|qué|que|cómo|"
    r"como|quién|quien|dónde|donde|cuándo|cuando|por qué|es|son|hay)\b", re.I)
_ASKING = re.compile(
    r"\b(wondering|wonder if|want to know|need to know|like to know|not sure if|not sure whether|"
    r"question is|my question|advice|any thoughts|thoughts\?|is it ok|is it okay|am i allowed|"
    r"are we allowed|is this allowed|is that allowed|quisiera saber|mi pregunta)\b", re.I)
# Wanting something done about someone else's post or online conduct: said outright…
_REPORT_WISH = re.compile(
    r"\b(report (it|this|that|them|him|her|the \w+)|flag (it|this|that)|take (it|that|this|them|"
    r"the \w+) down|taken down|force (him|her|them) to (take|remove|delete)|get (it|that|this|them) "
    r"(removed|deleted|taken down)|have (it|that|this|them) (removed|deleted)|make (them|him|her) "
    r"(delete|remove|take)|(who|whom) (do|should|can) (i|we) (tell|contact|notify|go to|talk to|"
    r"report)|(should|do|must|can) (i|we) (tell|inform|notify|alert) (my|the|our|an?|someone|"
    r"somebody|admin|principal)|should (admins?|administrators?|the school|the principal) "
    r"(get involved|know|be told)|do something about|file a complaint|denunci\w+|reportar\w*|"
    r"a qui[eé]n (le )?(digo|aviso|reporto|informo))\b", re.I)
# …or a story of someone else's online conduct (or of harm done to the writer) that ends
# in a request for what to do.
_ACTION_ASK = re.compile(
    r"\b(what (should|can|do|could|would) (i|we|he|she|the school) do|how (should|do|can|would) "
    r"(i|we) (proceed|handle|deal|respond|stop|make (that|this|it) known)|how to (handle|deal|"
    r"respond|stop|proceed)|any (help|advice|ideas|thoughts|suggestions)|should (i|we|someone) "
    r"(say|do|discuss|ask|reach out|speak|contact|involve)|(don'?t|do not) know what (to|it) do|"
    r"(can|could|should) (i|we) sue|press charges|what (should|can|do) (i|we) charge|"
    r"something should be (said|done)|qu[eé] (le )?(hacemos|hago))", re.I)
_OTHERS_CONDUCT = re.compile(
    r"\b(posted|posting|posts|shared|sharing|set up|wrote|writes|ranting|ranted|called me|"
    r"label+ed me|texts?|texted|emails?|emailed|messages?|messaged|comments?|commented|"
    r"recorded|photographed|took (a )?(photo|picture|video)|took to (facebook|twitter|instagram)|"
    r"rate ?my ?teachers?|whatsapp|facebook|instagram|twitter|tiktok|snapchat|profile|group)\b",
    re.I)
_HARM = re.compile(
    r"\b(about me|of me|targeted|lies|not true|untrue|hateful|defam\w*|slander\w*|nasty|"
    r"hurtful|abusive|threat\w*|harass\w*|bull(y|ied|ying)|insult\w*|humiliat\w*|rumou?rs?|"
    r"inappropriate|homophobic|transphobic|racist|sexy|provocative|without (our|my|their) "
    r"(permission|consent)|uncomfortable|upset|lies|lying|lied|(isn'?t|not) (appropriate|right)|"
    r"(photos?|pictures?|videos?) of (the |her |his |their )?(other )?(children|kids|students|"
    r"pupils)|llam[oó])\b", re.I)
# …or a story in which someone other than the writer (a parent, a colleague, "she") did
# something online, ending in a request for what to do: read from who acts, not from how
# upset the writer sounds.
_THIRD_PARTY_ACTS = re.compile(
    r"\b(she|he|they|someone|somebody|people|parents?|mums?|moms?|dads?|mothers?|fathers?|"
    r"friends?|colleagues?|co-?workers?|teachers?|students?|pupils?|governors?|employees?|"
    r"staff|principal|head|admins?|kids|girls|boys|child|daughter|son|mam[aá]|madre|padre)\b"
    r"(?:\s+\S+){0,5}?\s+(posted|posts|posting|shared|shares|sharing|sent|sends|texted|texts|"
    r"emailed|emails|messaged|wrote|writes|set up|created|friends|friended|added|commented|"
    r"comments|called|label+ed|recorded|took|uploaded|ranted|rants|bragged|bad-?mouthed|"
    r"put (out|up)|is on|was on|got into|keeps)\b", re.I)
# Told of a post about the writer: offered a report even without a question.
_ABOUT_ME = re.compile(
    r"\b(posted|said|wrote|written|saying|spreading|shared|post(ed)? a (photo|picture|video))"
    r"( \w+){0,4} (about|of) me\b|\bbragged about\b|\b(profile|page|account) in (the|my|our) "
    r"name\b", re.I)

_STEM = Stemmer.Stemmer("english")
STOPWORDS = (frozenset(STOPWORDS_EN) | frozenset(STOPWORDS_SPANISH) | ENGLISH_STOP_WORDS
             | frozenset((
    "can", "could", "may", "might", "would", "should", "must", "shall", "will", "im", "ive",
    "id", "dont", "doesnt", "didnt", "cant", "wont", "isnt", "arent", "also", "just", "really",
    "get", "got", "getting", "go", "going", "know", "want", "wants", "need", "like", "one",
    "ok", "okay", "allowed", "allow", "permitted", "anyone", "someone", "something", "thing",
    "things", "way", "lot", "still", "even", "much", "many", "yes", "please", "thanks", "hi",
    "hello", "question", "questions", "wondering", "sure", "anything", "every", "ever",
    "mine", "us", "let", "make", "say", "said", "tell", "think", "thought", "use", "used",
    "using", "take", "well", "since", "now", "year", "years", "day", "days", "time", "new",
    "does", "did", "doing", "done", "care", "try", "tries", "tried", "put", "puts",
    "apply", "applies", "cover", "covers", "covered", "count", "counts", "kind", "kinds",
    "stuff", "whats", "different", "keep", "keeps", "thing", "able", "supposed", "okay",
    "asked", "asks", "ask", "look", "looks", "allowed", "permitido", "necesito",
    # words that pick a version of a bulletin, not the rule asked about
    "version", "versions", "previous", "earlier", "older", "original", "revision",
    "revised", "current", "latest", "says", "said",
    "yo", "mi", "puedo", "puede", "pueden", "debo", "hay", "si", "es", "son", "está",
)))
# Words nearly every question here carries: whether a clause repeats them says nothing
# about whether it answers the question.
GENERIC = frozenset(_STEM.stemWords([
    "teacher", "teachers", "school", "schools", "district", "districts", "employee",
    "employees", "staff", "lausd", "work", "job", "policy", "policies", "rule", "rules",
    "social", "media", "online", "internet", "post", "posts", "posting", "posted", "site",
    "sites", "account", "accounts", "person", "people", "classroom", "class", "teach",
    "teaching", "educator", "educators", "maestro", "maestra", "maestros", "docente",
    "docentes", "escuela", "distrito", "trabajo", "redes", "sociales", "problem", "trouble",
    "ok", "right", "fine", "legal", "illegal", "wrong", "bad", "good", "principal",
    "principals", "vice", "admin", "admins", "administration", "administrator",
    "administrators", "headteacher", "superintendent",
]))


def stem(word: str) -> str:
    return _STEM.stemWord(word)


def _load_thesaurus() -> dict[str, frozenset[str]]:
    import yaml

    groups: dict[str, set[str]] = {}
    for name, words in yaml.safe_load(THESAURUS_FILE.read_text(encoding="utf-8")).items():
        for w in words:
            for tok in tokenize(str(w)):
                groups.setdefault(stem(tok), set()).add(f"~{name}")
    return {k: frozenset(v) for k, v in groups.items()}


_GROUPS = _load_thesaurus()


def concepts(word_stem: str) -> frozenset[str]:
    """The stem itself and the thesaurus groups it belongs to ("~photo", …)."""
    return _GROUPS.get(word_stem, frozenset()) | {word_stem}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def is_question(sentence: str) -> bool:
    return "?" in sentence or bool(_QUESTION_START.match(sentence) or _ASKING.search(sentence))


def question_parts(text: str) -> list[str]:
    """The sentences of a long message that ask something, in order; [] when the message is
    short or asks nothing recognisable (then the whole message is the question)."""
    if len(text.split()) < LONG_MESSAGE_WORDS:
        return []
    parts = [s for s in sentences(text) if is_question(s) and len(s.split()) >= 3]
    return parts[:4]


def report_signals(text: str) -> dict[str, bool]:
    """What the report-wish reader sees in a message, one flag per pattern (also features of
    the learned report judge, knowledge/judge.py)."""
    return {"wish": bool(_REPORT_WISH.search(text)), "about_me": bool(_ABOUT_ME.search(text)),
            "action_ask": bool(_ACTION_ASK.search(text)),
            "others_conduct": bool(_OTHERS_CONDUCT.search(text)),
            "harm": bool(_HARM.search(text)),
            "third_party_acts": bool(_THIRD_PARTY_ACTS.search(text))}


def wish_in(s: dict[str, bool]) -> bool:
    """The reader's verdict from its signals (report_signals)."""
    return s["wish"] or s["about_me"] or (s["action_ask"] and s["others_conduct"]
                                          and (s["harm"] or s["third_party_acts"]))


def wants_report(text: str) -> bool:
    """The person wants something done about someone else's post or online conduct: they
    say so, or they tell of it (something posted, sent or recorded that harms or troubles
    them, or that someone else did) and ask what to do."""
    return wish_in(report_signals(text))


def focus_words(question: str, known: frozenset[str] = frozenset()
                ) -> tuple[tuple[str, str], ...]:
    """(word, stem) pairs the question turns on: its content words, less stop words and the
    words every question here carries. With `known` (the model's whole words), a word
    outside it and outside the thesaurus (a typo nobody could correct, a word of another
    language) is left out: there is no judging whether a clause speaks to it."""
    out: dict[str, str] = {}
    for tok in tokenize(question):
        if len(tok) < 3 or tok in STOPWORDS or tok.isdigit():
            continue
        s = stem(tok)
        if known and tok not in known and s not in _GROUPS:  # the thesaurus knows brand names
            continue
        if s in GENERIC or s in out.values():
            continue
        out[tok] = s
    return tuple(out.items())


# Words a clause or title uses about itself ("text incomplete", "what is known about the
# bulletin"), not about the rule: never taken as speaking to a question.
META_WORDS = frozenset(("text", "incomplete", "known", "full", "available", "quoted", "quotes",
                        "press", "summary", "guideline", "guidelines"))
