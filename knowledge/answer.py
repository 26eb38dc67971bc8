"""Question -> one outcome: answered, ambiguous, related, no_answer or report, with a calibrated
confidence.

Semantic evidence (all-MiniLM-L6-v2 over clause texts, titles and alternate
questions) and lexical evidence (BM25 over each entry's text and questions) are
combined into one score per entry; a logistic curve (knowledge/calibration.json,
fitted by scripts/calibrate.py on the knowledge base's alternate questions, held out
by folds, plus knowledge/calibration_negatives.yaml; never on an evaluation set) turns
the best score into a confidence. The same negatives also train the out-of-scope class
of EntryClassifier at run time, so they must never contain an evaluation question
(tests/test_no_leak.py).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import yaml
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_SPANISH

from infra.db import Storage
from knowledge import focus, judge
from knowledge.calibration import NEGATIVES_FILE, Calibration
from knowledge.classifier import EntryClassifier
from knowledge.index import (
    Encoder,
    build_vectors,
    entry_scores,
    items_for,
    tokenize,
)
from knowledge.loader import Entry, KnowledgeBase

HERE = Path(__file__).resolve().parent
STOPWORDS = frozenset(STOPWORDS_EN) | frozenset(STOPWORDS_SPANISH)
NEAR_WORD = 0.35  # a word vector this close to one of a clause's words is on its topic
_REPORT_WORDS = re.compile(
    r"\b(report|reporting|flag|complain|complaint|denunci\w*|report\w*)\b", re.I)
_POLICY_QUESTION = re.compile(
    r"^\s*(can|may|could|is|are|am|should|must|does|do|will|would|what does|what do|"
    r"what is|what are|what's|am i allowed|are we allowed)\b", re.I)
_SPANISH_HINTS = re.compile(
    r"[¿¡ñáéíóú]|\b(puedo|puede|que|qué|mi|mis|los|las|una|del|por|para|estudiante|"
    r"escuela|correo|maestro|maestra|padres|publicar|amigo)\b", re.I)


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float  # calibrated probability that this entry answers the question
    semantic: float
    lexical: float
    clause_similarity: float = 0.0  # best cosine to the clause text or title (no alternates)
    alternate_similarity: float = -1.0  # best cosine to a curated alternate question


STATUSES = ("answered", "ambiguous", "related", "no_answer", "report")


@dataclass(frozen=True)
class Outcome:
    """What the bot makes of a question.

    status: answered (the cited clause answers it) | ambiguous (2-3 candidates) | related
    (the closest clause is on the topic but does not answer it; candidates=(closest,)) |
    no_answer | report (the person wants to report a post).
    offers_report: the person wants something done about someone else's post: the reply
    answers AND offers the report flow, pre-filled with report_category when known.
    topic: a short phrase for "The policy doesn't say anything specific about {topic}"
    (None: generic wording).
    uncertain: answered, but with middling confidence (shown to the person in words).
    asked: for a message that tells a story before it asks, the question it ends in.
    """

    status: str
    candidates: tuple[Candidate, ...]  # best first: 1 when answered/related, 2-3 when ambiguous
    confidence: float
    spanish: bool
    ranked: tuple[Candidate, ...] = ()  # every entry, best first (for eval and tagging)
    offers_report: bool = False
    report_category: str | None = None
    topic: str | None = None
    uncertain: bool = False
    asked: str | None = None  # a long message's main question (its last question sentence)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown outcome status {self.status!r}")


@dataclass(frozen=True)
class Evidence:
    """What Retriever.decide reads about one question (Retriever.evidence)."""
    ranked: list[Candidate]
    query_vectors: np.ndarray
    words: tuple[tuple[str, str], ...]  # focus words (word, stem)
    coverage: np.ndarray  # per focus word, how well the closest clause speaks to it
    parts: list[str]  # a long message's question sentences ([] when short)
    spanish: bool
    out_of_scope: float  # the entry classifier's probability of "none of them"
    top_share: float  # the entry classifier's probability of the closest entry
    signals: dict[str, bool]  # the report-wish reader's (focus.report_signals)
    report_features: np.ndarray  # knowledge/judge.py report_features


def is_spanish(text: str) -> bool:
    return len(_SPANISH_HINTS.findall(text)) >= 2 or "¿" in text


class Retriever:
    """Everything retrieval needs, built once: item vectors (cached), BM25, vocabulary."""

    def __init__(self, kb: KnowledgeBase, encoder: Encoder, storage: Storage | None = None,
                 calibration: Calibration | None = None, rebuild: bool = False,
                 progress=None, negatives: list[str] | None = None,
                 judgement: judge.Judge | None = None):
        self.kb = kb
        self.judge = judgement or judge.Judge.load()
        if self.judge.model != encoder.name:
            self.judge = None  # fitted on another model's numbers: the rules decide alone
        self.encoder = encoder
        self.cal = calibration or Calibration.load()
        self.items = items_for(kb)
        if negatives is None:
            negatives = yaml.safe_load(NEGATIVES_FILE.read_text(encoding="utf-8"))
        report_phrases = yaml.safe_load(
            (HERE / "intents.yaml").read_text(encoding="utf-8"))["report"]
        texts = [it.text for it in self.items] + negatives + report_phrases
        vectors = build_vectors(storage, encoder, texts, rebuild, progress)
        self.item_vectors = vectors[:len(self.items)]
        self.report_vectors = vectors[len(texts) - len(report_phrases):]
        self.classifier = self._train_classifier(
            storage, vectors[:len(texts) - len(report_phrases)], len(kb.entries))
        self.item_entry = np.array([it.entry_index for it in self.items])
        self.clause_items = np.array([it.kind != "question" for it in self.items])
        self.entry_items = [np.flatnonzero(self.item_entry == i) for i in range(len(kb.entries))]
        self.glossary = {k: str(v) for k, v in yaml.safe_load(
            (HERE / "glossary_es.yaml").read_text(encoding="utf-8")).items()}
        docs = [[] for _ in kb.entries]
        for it in self.items:
            docs[it.entry_index].extend(self._terms(it.text))
        self.bm25 = bm25s.BM25()
        self.bm25.index(docs, show_progress=False)
        self.vocabulary = sorted({t for d in docs for t in d})
        self._vocab_set = set(self.vocabulary)
        self._corrections: dict[str, str] = {}
        # Words the model knows as whole words are real words: "rude" is not a typo of "true".
        self._real_words = frozenset(getattr(encoder, "known_words", frozenset()))
        self._word_memo: dict[str, np.ndarray] = {}
        self._build_word_index(storage, rebuild)

    def _build_word_index(self, storage: Storage | None, rebuild: bool) -> None:
        """Each entry's words (stems, and a vector per word) from its clause text and title
        only, never its alternate questions: what the clause itself speaks to is what
        `coverage` compares a question's focus words with."""
        words_of: list[set[str]] = [set() for _ in self.kb.entries]
        for i, e in enumerate(self.kb.entries):
            words_of[i].update(t for t in tokenize(f"{e.title} {e.text}") if len(t) >= 3
                               and t not in focus.STOPWORDS and t not in focus.META_WORDS)
        vocabulary = sorted(set().union(*words_of)) if words_of else []
        vectors = (build_vectors(storage, self.encoder, vocabulary, rebuild, kind="words")
                   if vocabulary else np.zeros((0, 384), dtype=np.float32))
        row = {w: i for i, w in enumerate(vocabulary)}
        self.entry_concepts = [frozenset().union(*(focus.concepts(focus.stem(w)) for w in ws))
                               for ws in words_of]
        self.entry_word_vectors = [vectors[[row[w] for w in sorted(ws)]] for ws in words_of]

    def coverage(self, words: tuple[tuple[str, str], ...], word_vectors: np.ndarray,
                 entry_index: int) -> np.ndarray:
        """Per focus word, how well the entry speaks to it: 1 when the entry uses the word or
        one of its thesaurus group (knowledge/thesaurus.yaml), else the best cosine of the
        word to any of the entry's words."""
        if not words:
            return np.ones(0, dtype=np.float32)
        known = self.entry_concepts[entry_index]
        ev = self.entry_word_vectors[entry_index]
        sims = (word_vectors @ ev.T).max(axis=1) if len(ev) else np.zeros(len(words))
        return np.array([1.0 if focus.concepts(s) & known else float(sims[i])
                         for i, (_, s) in enumerate(words)], dtype=np.float32)

    def _train_classifier(self, storage: Storage | None, vectors: np.ndarray,
                          n_entries: int) -> EntryClassifier:
        labels = np.concatenate([[it.entry_index for it in self.items],
                                 np.full(len(vectors) - len(self.items), n_entries)])
        return EntryClassifier.trained(storage, self.encoder.name, vectors, labels,
                                       self.cal.classifier_c)

    @staticmethod
    def _terms(text: str) -> list[str]:
        return [t for t in tokenize(text) if t not in STOPWORDS]

    def correct_spelling(self, question: str) -> str:
        """Replace words the knowledge base never uses with its closest word, if close."""
        return " ".join(self._closest_word(tok) for tok in tokenize(question))

    def _closest_word(self, tok: str) -> str:
        if (len(tok) < 4 or tok in self._vocab_set or tok in STOPWORDS
                or tok in self._real_words or tok in self.glossary):
            return tok
        known = self._corrections.get(tok)
        if known is None:
            match = difflib.get_close_matches(tok, self.vocabulary, n=1, cutoff=0.75)
            known = match[0] if match else tok
            if len(self._corrections) < 50_000:  # bounded: hostile input cannot grow it forever
                self._corrections[tok] = known
        return known

    def spanish_gloss(self, question: str) -> str:
        return " ".join(self.glossary.get(t, t) for t in tokenize(question)
                        if t in self.glossary or t not in STOPWORDS)

    def query_texts(self, question: str) -> tuple[list[str], str]:
        """The texts to embed (original, spelling-corrected, English gloss of Spanish) and
        the text the lexical side searches."""
        corrected = self.correct_spelling(question)
        texts = [question]
        if corrected != " ".join(tokenize(question)):
            texts.append(corrected)
        lexical = corrected
        if is_spanish(question):
            gloss = self.spanish_gloss(question)
            texts.append(gloss)
            lexical = f"{corrected} {gloss}"
        return texts, lexical

    def features(self, question: str
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per-entry evidence matrix (entries x FEATURES), raw lexical scores, query vectors,
        and the entry classifier's probabilities (entries, then "none of them")."""
        texts, lexical_text = self.query_texts(question)
        qv = self.encoder.encode(texts)
        item_sims = (qv @ self.item_vectors.T).max(axis=0)
        n = len(self.kb.entries)
        sem_max = entry_scores(qv, self.item_vectors, self.item_entry, n)
        ordered = [np.sort(item_sims[idx])[::-1] for idx in self.entry_items]
        sem_top2 = np.array([o[:2].mean() for o in ordered])
        sem_top3 = np.array([o[:3].mean() for o in ordered])
        nearest = self.item_entry[np.argsort(-item_sims)[:10]]
        knn_vote = np.bincount(nearest, minlength=n) / 10.0
        best_other = np.array([np.max(np.delete(sem_max, i)) if n > 1 else 0.0
                               for i in range(n)])
        terms = [t for t in self._terms(lexical_text) if t in self._vocab_set]
        lexical = (self.bm25.get_scores(terms).astype(np.float32) if terms
                   else np.zeros(n, dtype=np.float32))
        lex_rel = lexical / lexical.max() if lexical.max() > 0 else lexical
        lex_sat = lexical / (lexical + self.cal.lexical_saturation)
        proba = self.classifier.proba(qv, n + 1).max(axis=0)
        columns = {"clf_prob": proba[:n], "clf_none": np.full(n, proba[n]),
                   "sem_max": sem_max, "sem_top2": sem_top2, "sem_top3": sem_top3,
                   "sem_margin": sem_max - best_other, "knn_vote": knn_vote,
                   "lex_rel": lex_rel, "lex_sat": lex_sat}
        feats = np.stack([columns[f] for f in self.cal.features], axis=1).astype(np.float32)
        return feats, lexical, qv, proba

    def rank(self, question: str) -> tuple[list[Candidate], np.ndarray]:
        """All entries scored for `question`, best first; also the query vectors."""
        cands, qv, _ = self._ranked(question)
        return cands, qv

    def _ranked(self, question: str) -> tuple[list[Candidate], np.ndarray, np.ndarray]:
        feats, lexical, qv, proba = self.features(question)
        z = feats @ np.array(self.cal.weights, dtype=np.float32) + self.cal.bias
        prob = 1.0 / (1.0 + np.exp(-z))
        order = np.argsort(-prob)
        n = len(self.kb.entries)
        clause = entry_scores(qv, self.item_vectors[self.clause_items],
                              self.item_entry[self.clause_items], n)
        alternate = entry_scores(qv, self.item_vectors[~self.clause_items],
                                 self.item_entry[~self.clause_items], n)
        cands = [Candidate(self.kb.entries[i], float(prob[i]), float(feats[i, 0]),
                           float(lexical[i]), float(clause[i]), float(alternate[i]))
                 for i in order]
        return cands, qv, proba

    def is_report(self, question: str, query_vectors: np.ndarray) -> bool:
        """Wants to report a post: close to a report phrase, with a reporting word, or very
        close without one unless it is phrased as a question about the policy."""
        sim = float((query_vectors @ self.report_vectors.T).max())
        if _REPORT_WORDS.search(question):
            return sim >= self.cal.report_similarity_with_keyword
        return sim >= self.cal.report_similarity and not _POLICY_QUESTION.match(question)

    def focus_words(self, question: str) -> tuple[tuple[str, str], ...]:
        """The words the question turns on, read in English (spelling corrected; a Spanish
        question through its English gloss)."""
        text = self.spanish_gloss(question) if is_spanish(question) else \
            self.correct_spelling(question)
        return focus.focus_words(text, self._real_words)

    def word_vectors(self, words: tuple[tuple[str, str], ...]) -> np.ndarray:
        """One vector per word, each encoded alone and remembered: with int8 activations a
        vector depends on what else is in the batch, so encoding words with a question, or
        with another person's question in the batching encoder, would move a word across
        the coverage threshold from one call to the next."""
        model = getattr(self.encoder, "inner", self.encoder)
        rows = []
        for word, _ in words:
            vector = self._word_memo.get(word)
            if vector is None:
                vector = model.encode([word])[0]
                if len(self._word_memo) < 50_000:  # bounded: hostile input cannot grow it
                    self._word_memo[word] = vector
            rows.append(vector)
        return np.stack(rows) if rows else np.zeros((0, self.item_vectors.shape[1]),
                                                     dtype=np.float32)

    def evidence(self, question: str) -> Evidence:
        """Everything the decision reads about a question (the model and index work): the
        ranking, the focus words and how well the closest clause speaks to them, the
        message's shape. `outcome` turns it into a decision without another model call."""
        words = self.focus_words(question)
        ranked, qv, proba = self._ranked(question)
        parts = focus.question_parts(question)
        top = self.kb.entries.index(ranked[0].entry)
        signals = focus.report_signals(question)
        return Evidence(ranked, qv, words, self.coverage(words, self.word_vectors(words), top),
                        parts, is_spanish(question), float(proba[len(self.kb.entries)]),
                        float(proba[top]), signals,
                        judge.report_features(signals, bool(parts), qv[0]))

    def answer_features(self, question: str, ev: Evidence) -> np.ndarray:
        """The answers judge's view of the closest clause (knowledge/judge.py). A story's
        last question sentence is encoded here, only when the judge is consulted."""
        top = ev.ranked[0]
        asked = top.clause_similarity
        if ev.parts:
            mine = self.clause_items & (self.item_entry == self.kb.entries.index(top.entry))
            asked = float((self.encoder.encode([ev.parts[-1]]) @ self.item_vectors[mine].T).max())
        return judge.answer_features(
            score=top.score, second_score=ev.ranked[1].score if len(ev.ranked) > 1 else 0.0,
            clause_similarity=top.clause_similarity,
            alternate_similarity=top.alternate_similarity, coverage=ev.coverage,
            coverage_similarity=self.cal.coverage_similarity, text=question,
            parts=len(ev.parts), spanish=ev.spanish, out_of_scope=ev.out_of_scope,
            top_share=ev.top_share, asked_similarity=asked)

    def decide(self, question: str) -> Outcome:
        return self.outcome(question, self.evidence(question))

    def outcome(self, question: str, ev: Evidence) -> Outcome:
        """One outcome. A clause is given as the answer only when it speaks to what was
        asked: near the question is not enough (see Calibration and knowledge/judge.py).
        Wanting something done about someone else's post offers the report flow."""
        ranked, words, coverage, parts, spanish = (ev.ranked, ev.words, ev.coverage, ev.parts,
                                                   ev.spanish)
        cal = self.cal
        story = bool(parts)
        offers = focus.wish_in(ev.signals) or (
            self.judge is not None
            and self.judge.report.probability(ev.report_features) >= cal.judge_report)
        top = ranked[0]
        conf = round(top.score, 3)
        every = tuple(ranked)
        category = top.entry.report_category if offers else None
        if not story and self.is_report(question, ev.query_vectors):
            return Outcome("report", (top,), conf, spanish, every, offers_report=True,
                           report_category=category)
        uncovered = [w for (w, _), c in zip(words, coverage, strict=True)
                     if c < cal.coverage_similarity]
        ruled = not story and (
            (top.score >= cal.answer_confidence
             and (not uncovered or top.alternate_similarity >= cal.alternate_similarity))
            or (top.score >= cal.sure_confidence
                and len(uncovered) <= min(cal.uncovered_words, len(words) - len(uncovered))))
        consulted = self.judge is not None and (cal.judge_answer <= 1.0 or (
            ruled and cal.judge_veto > 0.0))
        judged = (self.judge.answers.probability(self.answer_features(question, ev))
                  if consulted else None)
        if ruled and (judged is None or judged >= cal.judge_veto) or (
                judged is not None and judged >= cal.judge_answer):
            close = [c for c in ranked[1:3]
                     if top.score - c.score < cal.ambiguity_margin
                     and c.entry.id not in top.entry.related
                     and top.entry.id not in c.entry.related]
            status = "ambiguous" if close else "answered"
            return Outcome(status, (top, *close), conf, spanish, every, offers_report=offers,
                           report_category=category,
                           uncertain=status == "answered" and top.score < cal.sure_confidence)
        # Related means on the same topic: at least one word of the question must be near
        # one of the clause's (gibberish is near nothing, whatever its score).
        near_a_word = not words or bool((coverage >= NEAR_WORD).any())
        if near_a_word and (top.score >= cal.related_confidence
                            or top.clause_similarity >= cal.related_similarity):
            topic = None if story or offers or not uncovered else ", ".join(uncovered[:3])
            return Outcome("related", (top,), conf, spanish, every, offers_report=offers,
                           report_category=category, topic=topic,
                           asked=parts[-1] if parts else None)
        if offers:
            return Outcome("report", (top,), conf, spanish, every, offers_report=True)
        return Outcome("no_answer", (), conf, spanish, every)

    def match_policies(self, text: str, limit: int = 3) -> list[str]:
        """Entry ids a report's text may concern (for tagging cases), best first."""
        ranked, _ = self.rank(text)
        return [c.entry.id for c in ranked[:limit] if c.score >= self.cal.answer_confidence / 2]
