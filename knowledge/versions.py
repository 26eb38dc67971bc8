"""Bulletin versions: which bulletins are in force on a date, and what changed between them.

A bulletin file may say `effective: 2015-08-01` and `supersedes: BUL-5688.0`. Answers come
from the bulletins in force today; a question that asks for an older version ("what did
the 2012 version say?", "in BUL-5688.0", `policybot ask --as-of 2013-01-01`) is answered
from the bulletins in force then. `RetrieverViews` keeps one retriever per such set.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np

from knowledge.loader import Entry, KnowledgeBase

_VERSIONISH = r"(version|bulletin|edition|revision|policy|polic(y|ies)|rules?|guidelines?)"
_YEAR = re.compile(  # "the 2012 version", "the policy from 2012", "back in 2012 … say"
    rf"\b(19[5-9]\d|20\d\d)(?:'s)?\s+{_VERSIONISH}\b|"
    rf"\b{_VERSIONISH}\s+(?:of|from|in)\s+(19[5-9]\d|20\d\d)\b|"
    r"\bin (19[5-9]\d|20\d\d)\b.*\b(say|said|allow|allowed)\b", re.I)
_PREVIOUS = re.compile(
    r"\b(previous|old|older|earlier|prior|original|former|superseded|replaced)\s+"
    r"(version|bulletin|edition|revision|policy|rule)\b|\bused to (say|be)\b", re.I)
_BULLETIN = re.compile(r"\bBUL\s*[-–—]?\s*(\d{1,5}\.\d{1,3})\b", re.I)


def effective_date(kb: KnowledgeBase, bulletin: str) -> date | None:
    value = (kb.bulletins.get(bulletin) or {}).get("effective")
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def successor(kb: KnowledgeBase, bulletin: str) -> str | None:
    return next((b for b, head in kb.bulletins.items() if head.get("supersedes") == bulletin),
                None)


def predecessor(kb: KnowledgeBase, bulletin: str) -> str | None:
    return (kb.bulletins.get(bulletin) or {}).get("supersedes") or None


def has_versions(kb: KnowledgeBase) -> bool:
    return any(head.get("supersedes") for head in kb.bulletins.values())


def in_force(kb: KnowledgeBase, on: date | None = None) -> frozenset[str]:
    """The bulletins in force on `on` (today when None): started, and not yet replaced."""
    on = on or date.today()
    out = set()
    for b in kb.bulletins:
        start = effective_date(kb, b)
        nxt = successor(kb, b)
        replaced_on = effective_date(kb, nxt) if nxt else None
        if (start is None or start <= on) and (replaced_on is None or replaced_on > on):
            out.add(b)
    return frozenset(out)


def view(kb: KnowledgeBase, bulletins: frozenset[str]) -> KnowledgeBase:
    """The knowledge base with only the entries of `bulletins`."""
    return KnowledgeBase(tuple(e for e in kb.entries if e.bulletin in bulletins), kb.bulletins,
                         kb.not_covered)


def requested_date(question: str, kb: KnowledgeBase, today: date | None = None) -> date | None:
    """The date a question asks about when it asks for an older version, else None."""
    if not has_versions(kb):
        return None
    today = today or date.today()
    current = in_force(kb, today)
    for m in _BULLETIN.finditer(question):
        asked = f"BUL-{m.group(1)}"
        if asked in kb.bulletins and asked not in current:
            nxt = successor(kb, asked)
            until = effective_date(kb, nxt) if nxt else None
            return until - timedelta(days=1) if until else effective_date(kb, asked)
    year = _YEAR.search(question)
    if year:
        y = int(next(g for g in year.groups() if g and g.isdigit()))
        started = sorted(d for b in kb.bulletins if (d := effective_date(kb, b)) and d.year == y)
        return started[-1] if started else date(y, 12, 31)
    if _PREVIOUS.search(question):
        latest = [effective_date(kb, b) for b in current if predecessor(kb, b)]
        latest = [d for d in latest if d]
        if latest:
            return max(latest) - timedelta(days=1)
    return None


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()


def counterpart(kb: KnowledgeBase, entry: Entry, other: str) -> Entry | None:
    """The clause of bulletin `other` that corresponds to `entry`: the same number if it
    still says much the same, else the most similar clause, if any is similar."""
    key = entry.id.split("#", 1)[1] if "#" in entry.id else None
    same_key = kb.get(f"{other}#{key}") if key else kb.get(other)
    if same_key is not None and _similarity(same_key.text, entry.text) >= 0.4:
        return same_key
    best = max((e for e in kb.entries if e.bulletin == other),
               key=lambda e: _similarity(e.text, entry.text), default=None)
    if best is not None and _similarity(best.text, entry.text) >= 0.6:
        return best
    return same_key


def _named(kb: KnowledgeBase, bulletin: str) -> str:
    d = effective_date(kb, bulletin)
    return f"{bulletin} (effective {d.isoformat()})" if d else bulletin


def version_note(kb: KnowledgeBase, entry: Entry, today: date | None = None) -> tuple[str, str | None]:
    """A sentence on how `entry` relates to the other versions of its bulletin, and the
    id of the other version's clause to offer (or None). ("", None) without versions."""
    current = in_force(kb, today)
    newer = successor(kb, entry.bulletin)
    if entry.bulletin not in current and newer:
        other = counterpart(kb, entry, newer)
        head = (f"This is {_named(kb, entry.bulletin)}, an earlier version: "
                f"{_named(kb, newer)} replaced it")
        if other is None:
            return f"{head}, and no longer has this clause.", None
        if " ".join(other.text.split()) == " ".join(entry.text.split()):
            return f"{head}; this clause is unchanged in {other.id}.", other.id
        return f"{head} and changed this clause (now {other.id}).", other.id
    older = predecessor(kb, entry.bulletin)
    if older and older in kb.bulletins:
        other = counterpart(kb, entry, older)
        if other is None:
            return f"This clause is new in {entry.bulletin}; {_named(kb, older)} had none like it.", None
        if " ".join(other.text.split()) != " ".join(entry.text.split()):
            return (f"This clause changed: {_named(kb, older)} said it differently "
                    f"({other.id}).", other.id)
    return "", None


def bulletin_rows(kb: KnowledgeBase, today: date | None = None) -> list[dict]:
    """One row per bulletin for `policybot knowledge list`: versions, clause counts."""
    current = in_force(kb, today)
    rows = []
    for b, head in sorted(kb.bulletins.items()):
        entries = [e for e in kb.entries if e.bulletin == b]
        eff = effective_date(kb, b)
        status = ("in force" if b in current else
                  "superseded" if successor(kb, b) else "not yet in force")
        rows.append({"bulletin": b, "title": head.get("title"),
                     "effective": eff.isoformat() if eff else None,
                     "supersedes": predecessor(kb, b), "superseded_by": successor(kb, b),
                     "status": status, "clauses": len(entries),
                     "curated": head.get("curated", True) is not False,
                     "source_file": head.get("source_file"),
                     "file": entries[0].file if entries else None})
    return rows


class PrimedEncoder:
    """An encoder that reuses vectors already computed for the same texts: building a
    retriever for another version encodes only the clauses that are new to it."""

    def __init__(self, inner, known: dict[str, np.ndarray]):
        self.inner, self.known = inner, known
        self.name = inner.name
        self.known_words = getattr(inner, "known_words", frozenset())
        self.learning = True  # False once built: questions are not remembered

    def encode(self, texts):
        texts = list(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        if not self.learning:
            if missing:
                return self.inner.encode(texts)
            return np.stack([self.known[t] for t in texts])
        if missing:
            for t, v in zip(missing, self.inner.encode(missing), strict=True):
                self.known[t] = v
        return np.stack([self.known[t] for t in texts])


class RetrieverViews:
    """The retriever over the bulletins in force today, and, built on first use and kept,
    one over the bulletins in force on another date."""

    def __init__(self, kb: KnowledgeBase, current, build: Callable):
        self.kb = kb
        self.current = current
        self._build = build  # (KnowledgeBase, encoder) -> Retriever, without the database
        self.current_key = in_force(kb)
        self._views = {self.current_key: current}
        self._known = {it.text: v for it, v in zip(current.items, current.item_vectors,
                                                   strict=True)}
        self._lock = threading.Lock()

    def on(self, day: date | None):
        """The retriever for the bulletins in force on `day` (today when None)."""
        key = self.current_key if day is None else in_force(self.kb, day)
        found = self._views.get(key)
        if found is not None:
            return found
        with self._lock:
            if key not in self._views:
                current = self.current.encoder
                encoder = PrimedEncoder(current.inner if isinstance(current, PrimedEncoder)
                                        else current, self._known)
                built = self._build(view(self.kb, key), encoder)
                encoder.learning = False
                self._views[key] = built
            return self._views[key]
