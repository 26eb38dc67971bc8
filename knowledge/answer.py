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
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import yaml
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_SPANISH

from bot.db import Storage
from knowledge.index import (
    Encoder,
    build_vectors,
    entry_scores,
    items_for,
    load_cached,
    store_cached,
    tokenize,
)
from knowledge.loader import Entry, KnowledgeBase

HERE = Path(__file__).resolve().parent
CALIBRATION_FILE = HERE / "calibration.json"
STOPWORDS = frozenset(STOPWORDS_EN) | frozenset(STOPWORDS_SPANISH)
_REPORT_WORDS = re.compile(
    r"\b(report|reporting|flag|complain|complaint|denunci\w*|report\w*)\b", re.I)
_POLICY_QUESTION = re.compile(
    r"^\s*(can|may|could|is|are|am|should|must|does|do|will|would|what does|what do|"
    r"what is|what are|what's|am i allowed|are we allowed)\b", re.I)
_SPANISH_HINTS = re.compile(
    r"[¿¡ñáéíóú]|\b(puedo|puede|que|qué|mi|mis|los|las|una|del|por|para|estudiante|"
    r"escuela|correo|maestro|maestra|padres|publicar|amigo)\b", re.I)


FEATURES = ("sem_max", "sem_top2", "sem_top3", "sem_margin", "knn_vote", "lex_rel", "lex_sat",
            "clf_prob", "clf_none")
NEGATIVES_FILE = HERE / "calibration_negatives.yaml"


@dataclass(frozen=True)
class Calibration:
    """A logistic model over per-entry evidence, fitted by scripts/calibrate.py on the
    knowledge base's alternate questions (held out by folds) plus
    knowledge/calibration_negatives.yaml, never on an evaluation set. Its output is both
    the ranking score and the confidence. knowledge/calibration.json holds every value
    (the fitted ones and the hand-set thresholds): no defaults here, so there is one
    source."""
    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    lexical_saturation: float
    classifier_c: float
    answer_confidence: float
    # Placeholder until the answers-vs-related judgement lands: a top score in
    # [answer_confidence * related_fraction, answer_confidence) is shown as `related`.
    related_fraction: float
    # An answer below this confidence is shown with an "I'm not sure" note.
    uncertain_confidence: float
    ambiguity_margin: float
    report_similarity: float
    report_similarity_with_keyword: float

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        data = json.loads(path.read_text())
        return cls(**{**data, "features": tuple(data["features"]),
                      "weights": tuple(data["weights"])})


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float  # calibrated probability that this entry answers the question
    semantic: float
    lexical: float


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

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown outcome status {self.status!r}")


class EntryClassifier:
    """Which entry (or none of them: the last class) a question belongs to: a logistic
    regression over the embeddings of every alternate question, clause text and title,
    plus the out-of-scope examples. Trained once per content (scikit-learn) and cached
    beside the embeddings; prediction is a softmax over two small arrays."""

    _memo: dict[str, np.ndarray] = {}  # trained once per process, stored in every database

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray):
        self.coef, self.intercept, self.classes = coef, intercept, classes

    @classmethod
    def trained(cls, storage: Storage | None, model: str, vectors: np.ndarray,
                labels: np.ndarray, c: float) -> EntryClassifier:
        digest = hashlib.sha256(vectors.tobytes() + labels.tobytes() + repr(c).encode())
        key = f"classifier:{model}:{digest.hexdigest()}"
        packed = load_cached(storage, key)
        if packed is None:
            packed = cls._memo.get(key)
            if packed is None:
                from sklearn.linear_model import LogisticRegression

                clf = LogisticRegression(C=c, max_iter=2000).fit(vectors, labels)
                packed = np.hstack([clf.coef_, clf.intercept_[:, None],
                                    clf.classes_[:, None]]).astype(np.float32)
            store_cached(storage, key, model, packed)
        cls._memo[key] = packed
        return cls(packed[:, :-2], packed[:, -2], packed[:, -1].astype(int))

    def proba(self, vectors: np.ndarray, n_classes: int) -> np.ndarray:
        z = vectors @ self.coef.T + self.intercept
        z = np.exp(z - z.max(axis=1, keepdims=True))
        out = np.zeros((len(vectors), n_classes), dtype=np.float32)
        out[:, self.classes] = z / z.sum(axis=1, keepdims=True)
        return out


def is_spanish(text: str) -> bool:
    return len(_SPANISH_HINTS.findall(text)) >= 2 or "¿" in text


class Retriever:
    """Everything retrieval needs, built once: item vectors (cached), BM25, vocabulary."""

    def __init__(self, kb: KnowledgeBase, encoder: Encoder, storage: Storage | None = None,
                 calibration: Calibration | None = None, rebuild: bool = False,
                 progress=None, negatives: list[str] | None = None):
        self.kb = kb
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

    def features(self, question: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-entry evidence matrix (entries x FEATURES), raw lexical scores, query vectors."""
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
        return feats, lexical, qv

    def rank(self, question: str) -> tuple[list[Candidate], np.ndarray]:
        """All entries scored for `question`, best first; also the query vectors."""
        feats, lexical, qv = self.features(question)
        z = feats @ np.array(self.cal.weights, dtype=np.float32) + self.cal.bias
        prob = 1.0 / (1.0 + np.exp(-z))
        order = np.argsort(-prob)
        cands = [Candidate(self.kb.entries[i], float(prob[i]), float(feats[i, 0]),
                           float(lexical[i])) for i in order]
        return cands, qv

    def is_report(self, question: str, query_vectors: np.ndarray) -> bool:
        """Wants to report a post: close to a report phrase, with a reporting word, or very
        close without one unless it is phrased as a question about the policy."""
        sim = float((query_vectors @ self.report_vectors.T).max())
        if _REPORT_WORDS.search(question):
            return sim >= self.cal.report_similarity_with_keyword
        return sim >= self.cal.report_similarity and not _POLICY_QUESTION.match(question)

    def decide(self, question: str) -> Outcome:
        ranked, qv = self.rank(question)
        spanish = is_spanish(question)
        top = ranked[0]
        conf = top.score
        if self.is_report(question, qv):
            return Outcome("report", (top,), round(conf, 3), spanish, tuple(ranked))
        if conf < self.cal.answer_confidence:
            if conf >= self.cal.answer_confidence * self.cal.related_fraction:
                return Outcome("related", (top,), round(conf, 3), spanish, tuple(ranked))
            return Outcome("no_answer", (), round(conf, 3), spanish, tuple(ranked))
        close = [c for c in ranked[1:3]
                 if top.score - c.score < self.cal.ambiguity_margin
                 and c.entry.id not in top.entry.related
                 and top.entry.id not in c.entry.related]
        if close:
            return Outcome("ambiguous", (top, *close), round(conf, 3), spanish, tuple(ranked))
        return Outcome("answered", (top,), round(conf, 3), spanish, tuple(ranked),
                       uncertain=conf < self.cal.uncertain_confidence)

    def match_policies(self, text: str, limit: int = 3) -> list[str]:
        """Entry ids a report's text may concern (for tagging cases), best first."""
        ranked, _ = self.rank(text)
        return [c.entry.id for c in ranked[:limit] if c.score >= self.cal.answer_confidence / 2]
