"""Add a bulletin from its document: read it, split it into clauses, write a reviewable file.

`prepare` reads the document and returns a Draft (nothing written); `publish` checks that
the knowledge base with the new file is valid and only then writes it, atomically. The
file has the format of the hand-written bulletins, marked `curated: false`: every clause
verbatim, without a hand-written answer or alternate questions (an administrator may add
them later; adding the same document again keeps what was added for unchanged clauses).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from infra.clock import now_iso
from infra.errors import KnowledgeError
from knowledge import BULLETIN_INDEX_URL
from knowledge.clauses import Clause, split_clauses
from knowledge.documents import IntakeError, read_document
from knowledge.loader import KnowledgeBase, load_knowledge

BULLETIN_ID = re.compile(r"\bBUL\s*[-–—]?\s*(\d{1,5}(?:\.\d{1,3})?)\b", re.I)
_CURATED_FIELDS = ("answer", "answer_es", "questions", "questions_es", "related",
                   "report_category", "truncated", "source_note")
_DATE_FORMATS = ("%Y-%m-%d", "%B %d, %Y", "%b %d, %Y", "%m/%d/%Y", "%d %B %Y", "%B %Y")
MIN_WORDS = 10


@dataclass
class Draft:
    bulletin: str
    title: str
    url: str
    effective: str | None
    supersedes: str | None
    source: str
    sha256: str
    file: str  # the knowledge file it becomes, e.g. BUL-5688.1.yaml
    clauses: list[dict[str, Any]]  # the entries as written: id, title, text, verbatim…
    notes: list[str] = field(default_factory=list)
    kept_header: dict[str, Any] = field(default_factory=dict)  # from the file it replaces

    def header(self) -> dict[str, Any]:
        head = {"bulletin": self.bulletin, "title": self.title, "url": self.url}
        if self.effective:
            head["effective"] = self.effective
        if self.supersedes:
            head["supersedes"] = self.supersedes
        head.update(curated=False, source_file=self.source, source_sha256=self.sha256,
                    added_at=now_iso())
        return {**head, **{k: v for k, v in self.kept_header.items() if k not in head}}

    def to_yaml(self) -> str:
        return dump_yaml({**self.header(), "entries": self.clauses})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def bulletin_id(text: str | None) -> str | None:
    m = BULLETIN_ID.search(text or "")
    return f"BUL-{m.group(1)}" if m else None


def parse_date(text: str | None) -> str | None:
    """An ISO date from how bulletins write dates ("March 1, 2012", "2012-03-01")."""
    if not text:
        return None
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", " ".join(str(text).split())).strip(" .")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def prepare(path: str | Path, folder: str | Path, *, data: bytes | None = None,
            name: str | None = None, bulletin: str | None = None, title: str | None = None,
            effective: str | None = None, supersedes: str | None = None,
            url: str | None = None) -> Draft:
    """Read the document and work out the file it becomes; raise IntakeError when it
    cannot be added (the message says why). Writes nothing."""
    folder = Path(folder)
    doc = read_document(path, data=data, name=name)
    split = split_clauses(doc.pages)
    words = sum(len(c.text.split()) for c in split.clauses)
    if not split.clauses or words < MIN_WORDS:
        raise IntakeError(f"{doc.name}: no recognisable clauses (numbered guidelines, "
                          f"headed sections or paragraphs of text; found {words} words)")
    kb = _current(folder)
    bid = _bulletin(bulletin, split.meta, doc)
    if bulletin is None and bid is None:
        raise IntakeError(f"{doc.name}: the document does not state its bulletin number; "
                          "give it with --bulletin (e.g. --bulletin BUL-5688.1)")
    heading = next((h for h in split.headings if len(h.split()) > 2), None)
    title = title or split.meta.get("title") or _without_number(doc.title) or heading
    if not title:
        raise IntakeError(f"{doc.name}: the document does not state its title; give it "
                          "with --title")
    effective = _effective(effective, split.meta.get("date"))
    supersedes = _supersedes(supersedes, split.meta.get("supersedes"), bid, kb, folder)
    if supersedes and not effective:
        raise IntakeError(f"{doc.name}: a bulletin that supersedes {supersedes} needs the "
                          "date it takes effect: give it with --effective YYYY-MM-DD")
    file = f"{bid}.yaml"
    entries = [_entry(bid, c, kb) for c in split.clauses]
    _check_ids(entries, kb, file, doc.name)
    notes, kept_header = _carry_over(folder / file, entries)
    return Draft(bulletin=bid, title=" ".join(title.split()), url=url or BULLETIN_INDEX_URL,
                 effective=effective, supersedes=supersedes, source=doc.name,
                 sha256=hashlib.sha256(data if data is not None
                                       else Path(path).read_bytes()).hexdigest(),
                 file=file, clauses=entries, notes=notes, kept_header=kept_header)


def publish(draft: Draft, folder: str | Path) -> Path:
    """Write the draft's file after checking the whole knowledge base with it in place;
    on any problem raise IntakeError and leave the folder as it was."""
    folder = Path(folder)
    text = draft.to_yaml()
    with tempfile.TemporaryDirectory() as tmp:
        for existing in list(folder.glob("*.yaml")) + list(folder.glob("*.yml")):
            shutil.copy2(existing, tmp)
        Path(tmp, draft.file).write_text(text, encoding="utf-8")
        try:
            load_knowledge(tmp)
        except KnowledgeError as e:
            raise IntakeError(f"{draft.source}: adding it would make the knowledge base "
                              f"invalid, so nothing was changed:\n{e}") from e
    target = folder / draft.file
    partial = folder / f".{draft.file}.partial"
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)
    return target


# --- the parts of prepare ------------------------------------------------------------------


def _current(folder: Path) -> KnowledgeBase | None:
    try:
        return load_knowledge(folder)
    except KnowledgeError as e:
        if any(folder.glob("*.y*ml")):
            raise IntakeError(f"the knowledge base in {folder} is invalid already; fix it "
                              f"first (policybot knowledge check):\n{e}") from e
        return None


def _bulletin(given: str | None, meta: dict, doc) -> str | None:
    if given:
        found = bulletin_id(given)
        if found is None or found.upper() != given.strip().upper().replace(" ", ""):
            raise IntakeError(f"--bulletin {given!r}: a bulletin number looks like BUL-5688.1")
        return found
    return (bulletin_id(meta.get("bulletin")) or bulletin_id(doc.title)
            or bulletin_id(Path(doc.name).stem))


def _without_number(title: str | None) -> str | None:
    """'BUL-5688.0 Social Media Policy' -> 'Social Media Policy' (file titles often hold it)."""
    return BULLETIN_ID.sub("", title or "").strip(" -–—:|·") or None


def _effective(given: str | None, stated: str | None) -> str | None:
    if given:
        try:
            return date.fromisoformat(given).isoformat()
        except ValueError as e:
            raise IntakeError(f"--effective {given!r}: give the date as YYYY-MM-DD") from e
    return parse_date(stated)


def _supersedes(given: str | None, stated: str | None, bid: str, kb: KnowledgeBase | None,
                folder: Path) -> str | None:
    known = sorted(kb.bulletins) if kb else []
    if given:
        old = bulletin_id(given)
        if old is None or old not in known:
            raise IntakeError(f"--supersedes {given}: there is no such bulletin in {folder} "
                              f"(it has: {', '.join(known) or 'none'})")
    else:
        old = bulletin_id(stated)
        if old not in known:
            return None  # the document names a bulletin we do not hold: nothing to replace
    if old == bid:
        raise IntakeError(f"{bid} cannot supersede itself; adding the same bulletin again "
                          "replaces its file")
    return old


def _entry(bid: str, clause: Clause, kb: KnowledgeBase | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": f"{bid}#{clause.key}", "title": clause.title,
                             "text": clause.text, "verbatim": True}
    if kb is not None:
        refs = [r for r in dict.fromkeys(bulletin_id(m.group(0)) for m in
                                         BULLETIN_ID.finditer(clause.text))
                if r != bid and kb.get(r) is not None]
        if refs:
            entry["related"] = refs
    return entry


def _check_ids(entries: list[dict], kb: KnowledgeBase | None, file: str, name: str) -> None:
    seen: dict[str, int] = {}
    for e in entries:
        seen[e["id"]] = seen.get(e["id"], 0) + 1
    twice = [i for i, n in seen.items() if n > 1]
    if twice:
        raise IntakeError(f"{name}: duplicate clause id {', '.join(twice)}")
    if kb is None:
        return
    for e in entries:
        other = kb.get(e["id"])
        if other is not None and other.file != file:
            raise IntakeError(f"{name}: duplicate clause id {e['id']}: {other.file} has it "
                              "already; remove it there or give another --bulletin")


_OWN_HEADER = ("bulletin", "title", "url", "effective", "supersedes", "curated", "source_file",
               "source_sha256", "added_at", "entries")


def _carry_over(existing: Path, entries: list[dict]) -> tuple[list[str], dict[str, Any]]:
    """Adding a bulletin again keeps what administrators added to its clauses, and the
    header notes of its file (e.g. coverage_note)."""
    if not existing.exists():
        return [], {}
    data = yaml.safe_load(existing.read_text(encoding="utf-8")) or {}
    header = {k: v for k, v in data.items() if k not in _OWN_HEADER}
    old = {e.get("id"): e for e in data.get("entries") or [] if isinstance(e, dict)}
    kept, changed = [], []
    for e in entries:
        before = old.get(e["id"])
        if not before:
            continue
        same = " ".join(str(before.get("text", "")).split()) == " ".join(e["text"].split())
        for key in _CURATED_FIELDS:
            if before.get(key) and (same or key in ("questions", "questions_es")):
                e[key] = before[key]
        if before.get("title") and same:
            e["title"] = before["title"]
        (kept if same else changed).append(e["id"])
    ids = {e["id"] for e in entries}
    for e in entries:  # a kept reference must still point somewhere
        if "related" in e:
            e["related"] = [r for r in e["related"] if r in ids or not r.startswith(
                e["id"].split("#")[0] + "#")]
    notes = [f"replaces {existing.name}"]
    if kept:
        notes.append(f"{len(kept)} unchanged clause(s) keep their curated fields")
    if changed:
        notes.append("changed text (hand-written answers dropped, alternate questions "
                     "kept): " + ", ".join(changed))
    gone = [i for i in old if i not in ids]
    if gone:
        notes.append("no longer in the document: " + ", ".join(str(g) for g in gone))
    return notes, header


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if len(value) > 100 or "\n" in value else None  # clause texts: one per line
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
