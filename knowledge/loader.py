"""Parse and validate the bulletin files; every error names the file and the entry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.errors import KnowledgeError

REPORT_CATEGORIES = ("threatening", "harassing", "racist_biased", "derogatory", "bullying",
                     "student_identified", "confidential_info", "other")
MIN_QUESTIONS = 8
NOT_COVERED_FILE = "_not_covered.yaml"  # questions marked as not covered (knowledge gaps)
_BULLETIN_FIELDS = {"bulletin": str, "title": str, "url": str, "entries": list}
_ENTRY_FIELDS = {"id": str, "title": str, "text": str, "answer": str, "questions": list}
# A bulletin added from its document (`curated: false`, written by `policybot knowledge add`)
# holds the clauses as they are: a hand-written answer and alternate questions are optional.
_ADDED_ENTRY_FIELDS = {"id": str, "title": str, "text": str}


@dataclass(frozen=True)
class Entry:
    id: str
    bulletin: str
    bulletin_title: str
    title: str
    text: str
    url: str
    answer: str  # "" for a clause added from its document that nobody curated
    questions: tuple[str, ...]
    answer_es: str | None = None
    questions_es: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    verbatim: bool = True
    truncated: bool = False
    source_note: str | None = None
    report_category: str | None = None
    file: str = ""
    effective: str | None = None  # the bulletin's effective date (YYYY-MM-DD), when known


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]
    bulletins: dict[str, dict[str, Any]]  # bulletin id -> header fields (title, url, coverage_note…)
    not_covered: tuple[str, ...] = ()  # questions an administrator marked as not covered

    def get(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id.lower() == entry_id.lower()), None)


def load_knowledge(folder: str | Path) -> KnowledgeBase:
    """Load every *.yaml in `folder`; raise KnowledgeError listing every problem found."""
    folder = Path(folder)
    problems: list[str] = []
    entries: list[Entry] = []
    bulletins: dict[str, dict[str, Any]] = {}
    files = [p for p in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
             if not p.name.startswith("_")]  # _name.yaml: not a bulletin (e.g. not covered)
    if not files:
        raise KnowledgeError(f"Invalid knowledge base:\n  - {folder}: no bulletin files (*.yaml)")
    for path in files:
        entries.extend(_load_file(path, bulletins, problems))
    seen: dict[str, str] = {}
    for e in entries:
        if e.id in seen:
            problems.append(f"{e.file}: entry {e.id}: duplicate id (also in {seen[e.id]})")
        seen.setdefault(e.id, e.file)
    for e in entries:
        for ref in e.related:
            if ref not in seen:
                problems.append(f"{e.file}: entry {e.id}: related entry {ref!r} does not exist")
    problems.extend(_version_problems(bulletins))
    not_covered = _not_covered(folder, problems)
    if problems:
        raise KnowledgeError("Invalid knowledge base:\n  - " + "\n  - ".join(problems))
    return KnowledgeBase(tuple(entries), bulletins, not_covered)


def _not_covered(folder: Path, problems: list[str]) -> tuple[str, ...]:
    path = folder / NOT_COVERED_FILE
    if not path.exists():
        return ()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        problems.append(f"{path.name}: not valid YAML: {str(e).splitlines()[0]}")
        return ()
    if not isinstance(data, list) or not all(isinstance(q, str) for q in data):
        problems.append(f"{path.name}: must be a list of questions")
        return ()
    return tuple(data)


def _version_problems(bulletins: dict[str, dict[str, Any]]) -> list[str]:
    """Each `supersedes` names a loaded bulletin, at most one bulletin replaces another,
    and following `supersedes` never comes back to where it started."""
    problems = []
    replaced_by: dict[str, str] = {}
    for bid, head in bulletins.items():
        old = head.get("supersedes")
        if not old:
            continue
        if old not in bulletins:
            problems.append(f"{bid}: supersedes {old}, which is not in the knowledge base")
        elif old in replaced_by:
            problems.append(f"{bid}: supersedes {old}, which {replaced_by[old]} already "
                            "supersedes")
        replaced_by.setdefault(old, bid)
    for start in bulletins:
        seen, cur = {start}, bulletins[start].get("supersedes")
        while cur in bulletins:
            if cur in seen:
                problems.append(f"{start}: the chain of 'supersedes' loops back to {cur}")
                break
            seen.add(cur)
            cur = bulletins[cur].get("supersedes")
    return problems


def _load_file(path: Path, bulletins: dict, problems: list[str]) -> list[Entry]:
    name = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        problems.append(f"{name}: not valid YAML: {str(e).splitlines()[0]}")
        return []
    if not isinstance(data, dict):
        problems.append(f"{name}: must be a mapping with bulletin, title, url, entries")
        return []
    ok = True
    for key, typ in _BULLETIN_FIELDS.items():
        if not isinstance(data.get(key), typ) or not data.get(key):
            problems.append(f"{name}: missing or empty '{key}' ({typ.__name__})")
            ok = False
    if not ok:
        return []
    bulletin = data["bulletin"]
    _check_version_fields(data, name, problems)
    bulletins[bulletin] = {k: v for k, v in data.items() if k != "entries"}
    out = []
    for i, raw in enumerate(data["entries"], 1):
        entry = _parse_entry(raw, data, name, i, problems)
        if entry is not None:
            out.append(entry)
    return out


def _parse_entry(raw: Any, data: dict, name: str, i: int, problems: list[str]) -> Entry | None:
    if not isinstance(raw, dict):
        problems.append(f"{name}: entry #{i}: must be a mapping")
        return None
    where = f"{name}: entry {raw.get('id') or '#' + str(i)}"
    bad = False
    curated = data.get("curated", True) is not False
    for key, typ in (_ENTRY_FIELDS if curated else _ADDED_ENTRY_FIELDS).items():
        if not isinstance(raw.get(key), typ) or not raw.get(key):
            problems.append(f"{where}: missing or empty '{key}' ({typ.__name__})")
            bad = True
    if bad:
        return None
    bulletin = data["bulletin"]
    if not (raw["id"] == bulletin or raw["id"].startswith(bulletin + "#")):
        problems.append(f"{where}: id must be '{bulletin}' or start with '{bulletin}#'")
    if not isinstance(raw.get("questions") or [], list):
        problems.append(f"{where}: 'questions' must be a list")
        return None
    questions = [q for q in raw.get("questions") or [] if isinstance(q, str) and q.strip()]
    if curated and len(questions) < MIN_QUESTIONS:
        problems.append(f"{where}: needs at least {MIN_QUESTIONS} alternate questions, "
                        f"has {len(questions)}")
    for key in ("questions_es", "related"):
        if raw.get(key) is not None and not isinstance(raw.get(key), list):
            problems.append(f"{where}: '{key}' must be a list")
            return None
    category = raw.get("report_category")
    if category is not None and category not in REPORT_CATEGORIES:
        problems.append(f"{where}: report_category {category!r} is not one of "
                        + ", ".join(REPORT_CATEGORIES))
    return Entry(
        id=raw["id"], bulletin=bulletin, bulletin_title=data["title"], title=raw["title"],
        text=raw["text"].strip(), url=raw.get("url") or data["url"],
        answer=" ".join(str(raw.get("answer") or "").split()), questions=tuple(questions),
        answer_es=" ".join(raw["answer_es"].split()) if raw.get("answer_es") else None,
        questions_es=tuple(q for q in raw.get("questions_es") or [] if isinstance(q, str)),
        related=tuple(raw.get("related") or []), verbatim=bool(raw.get("verbatim", True)),
        truncated=bool(raw.get("truncated", False)), source_note=raw.get("source_note"),
        report_category=category, file=name, effective=_date_text(data.get("effective")),
    )


def _date_text(value: Any) -> str | None:
    """YAML reads 2012-03-01 as a date; the knowledge base speaks ISO strings."""
    return None if value in (None, "") else str(value)


def _check_version_fields(data: dict, name: str, problems: list[str]) -> None:
    from datetime import date

    effective = data.get("effective")
    if effective not in (None, "") and not isinstance(effective, date):
        try:
            date.fromisoformat(str(effective))
        except ValueError:
            problems.append(f"{name}: 'effective' must be a date like 2015-08-01, "
                            f"not {effective!r}")
    supersedes = data.get("supersedes")
    if supersedes is not None and not (isinstance(supersedes, str) and supersedes):
        problems.append(f"{name}: 'supersedes' must be a bulletin number")
    elif supersedes and effective in (None, ""):
        problems.append(f"{name}: a bulletin that supersedes {supersedes} needs its "
                        "'effective' date")
    if "curated" in data and not isinstance(data["curated"], bool):
        problems.append(f"{name}: 'curated' must be true or false")
