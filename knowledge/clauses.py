"""A document's blocks -> its clauses: numbered guidelines, headed sections, paragraphs.

Pure functions over knowledge.documents.Block. For layout lines (PDF, plain text) it first
drops running headers, footers and page numbers, then joins lines broken by the layout
(and words hyphenated across lines) back into paragraphs. Clause keys follow the
document's own numbering (guideline 3 -> "3"), otherwise its headings ("purpose",
"purpose-2"), so adding the same document again gives the same keys.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass

from knowledge.documents import Block

NUMBERED = re.compile(r"^\s*(\d{1,3})[.)]\s+(\S.*)$")
SUB_ITEM = re.compile(r"^\s*(\(?[a-z]\)|[a-z]\.|\(?[ivx]{1,4}\)|[-•●▪◦*])\s+\S")
PAGE_NUMBER = re.compile(
    r"^\s*(page\s+)?[-–—]?\s*\d{1,4}\s*[-–—]?(\s*(of|/)\s*\d{1,4})?\s*$", re.I)
LABEL = re.compile(r"^\s*([A-Z][A-Z &/-]{2,30}):\s*(.*)$")
META_LABELS = {"TITLE": "title", "NUMBER": "bulletin", "BULLETIN": "bulletin",
               "BULLETIN NUMBER": "bulletin", "DATE": "date", "EFFECTIVE": "date",
               "EFFECTIVE DATE": "date", "ISSUER": "issuer", "ROUTING": "routing",
               "REPLACES": "supersedes", "SUPERSEDES": "supersedes"}
META_LINE = re.compile(r"^\s*(bulletin number|number|bulletin|title|date|effective date|"
                       r"effective|replaces|supersedes)\s*:\s*(\S.*)$", re.I)
_SHORT_META = re.compile(r"\bBUL\s*[-–—]?\s*\d|\beffective\b", re.I)
_EFFECTIVE = re.compile(r"\beffective(?: date)?\s*:?\s*(.+)$", re.I)
_SECTION_NUMBER = re.compile(r"^(?:[IVX]{1,5}|[A-Z]|\d{1,2})\.\s+")  # "III. PROCEDURES"
_SENTENCE_END = re.compile(r"[.!?:;][\"”’)\]]*$")
_HYPHENATED = re.compile(r"([A-Za-z]+)-$")


@dataclass(frozen=True)
class Clause:
    key: str  # "3" for guideline 3; a heading's slug otherwise
    title: str
    text: str
    section: str | None = None


@dataclass(frozen=True)
class Split:
    clauses: list[Clause]
    meta: dict[str, str]  # title, bulletin, date, issuer, supersedes as the document states
    headings: list[str]


# --- running headers, footers, page numbers --------------------------------------------


def strip_running_lines(pages: list[list[Block]], edge: int = 3) -> list[list[Block]]:
    """Drop page numbers and lines repeated at the top or bottom of most pages."""
    def shape(text: str) -> str:
        return re.sub(r"\d+", "#", " ".join(text.lower().split()))

    def edges(page: list[Block]) -> list[int]:
        lines = [i for i, b in enumerate(page) if b.kind == "line" and b.text.strip()]
        return sorted(set(lines[:edge] + lines[-edge:]))

    counts: Counter = Counter()
    for page in pages:
        counts.update({shape(page[i].text) for i in edges(page)})
    with_text = sum(1 for p in pages if p)
    repeated = {s for s, n in counts.items() if with_text >= 2 and n >= max(2, 0.6 * with_text)}
    out = []
    for page in pages:
        drop = {i for i in edges(page)
                if shape(page[i].text) in repeated or PAGE_NUMBER.match(page[i].text)}
        out.append([b for i, b in enumerate(page) if i not in drop])
    return out


# --- lines -> paragraphs ----------------------------------------------------------------


def _is_heading(line: str, previous: str | None) -> bool:
    text = line.strip()
    if not text or len(text) > 80 or len(text.split()) > 10 or text[-1] in ".,;)":
        return False
    if previous and not _SENTENCE_END.search(previous):
        return False  # the line before is mid-sentence: this line continues it
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 3:
        return False
    return sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _join(a: str, b: str, vocabulary: set[str]) -> str:
    """Join two layout lines; undo a hyphenation that only the line break made."""
    a, b = a.rstrip(), b.strip()
    m = _HYPHENATED.search(a)
    if m and b[:1].islower():
        first, second = m.group(1), re.match(r"[\w’']+", b)
        second = second.group(0) if second else ""
        joined = (first + second).lower()
        kept = f"{first}-{second}".lower()
        if (joined in vocabulary or kept not in vocabulary) and not a[:m.start()].endswith("-"):
            return a[:-1] + b
        return a + b
    return f"{a} {b}"


def paragraphs(blocks: list[Block]) -> list[Block]:
    """Layout lines joined into paragraphs, list items and headings; structured blocks
    (docx, HTML) pass through, with typed numbers ("3. Never post…") read as items."""
    widths = [len(b.text.strip()) for b in blocks if b.kind == "line" and len(b.text) > 20]
    width = statistics.median(widths) if widths else 80
    vocabulary = {w.strip(".,;:()[]“”\"’'").lower() for b in blocks for w in b.text.split()}
    out: list[Block] = []
    current: dict | None = None  # {"kind", "text", "number", "last_line"}
    last_number = 0

    def flush() -> None:
        nonlocal current
        if current and current["text"].strip():
            out.append(Block(current["kind"], " ".join(current["text"].split())
                             if "\n" not in current["text"] else _tidy(current["text"]),
                             current["number"]))
        current = None

    def start(kind: str, text: str, number: int | None = None) -> None:
        nonlocal current
        flush()
        current = {"kind": kind, "text": text, "number": number, "last_line": text}

    boundary = True  # a blank line, heading or header field came last: a heading may follow
    for block in blocks:
        text = block.text.strip()
        if block.kind == "break":
            flush()
            boundary = True
            continue
        was_boundary, boundary = boundary, False
        if block.kind in ("heading", "item"):
            flush()
            out.append(Block(block.kind, " ".join(text.split()), block.number))
            if block.kind == "item":
                last_number = block.number or last_number
            continue
        numbered = NUMBERED.match(text)
        if numbered and (int(numbered.group(1)) in (1, last_number + 1)):
            last_number = int(numbered.group(1))
            start("item", numbered.group(2), last_number)
            if block.kind == "para":
                flush()
            continue
        meta = META_LINE.match(text)
        if meta:  # a header field, in any case ("Bulletin number: BUL-5688.0")
            flush()
            out.append(Block("heading", meta.group(1).strip().upper()))
            out.append(Block("para", " ".join(meta.group(2).split())))
            boundary = True
            continue
        label = LABEL.match(text)
        if label:
            flush()
            out.append(Block("heading", label.group(1).strip()))
            if label.group(2).strip():
                if label.group(1).strip() in META_LABELS:  # a header field: one line
                    out.append(Block("para", " ".join(label.group(2).split())))
                    boundary = True
                else:
                    start("para", label.group(2).strip())
                    if block.kind == "para":
                        flush()
            continue
        if block.kind == "para":
            flush()
            out.append(Block("para", text))
            continue
        if current:
            previous = current["text"]
        else:
            previous = (out[-1].text if out and out[-1].kind != "heading"
                        and not was_boundary else None)
        if _is_heading(text, previous):
            flush()
            out.append(Block("heading", text))
            boundary = True
            continue
        if current is None:
            start("para", text)
        elif SUB_ITEM.match(text):
            current["text"] += "\n" + text
            current["last_line"] = text
        elif (_SENTENCE_END.search(current["text"])
              and len(current["last_line"]) < 0.7 * width and current["kind"] == "para"):
            start("para", text)  # the line before ended a sentence well short of the margin
        else:
            current["text"] = _join(current["text"], text, vocabulary)
            current["last_line"] = text
    flush()
    return out


def _tidy(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


# --- paragraphs -> clauses ---------------------------------------------------------------


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-") or "section"


def title_of(text: str, limit: int = 80) -> str:
    first = re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0].rstrip(".")
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:–-— ") + "…"


def split_clauses(pages: list[list[Block]]) -> Split:
    """The clauses of a document, its stated metadata and its headings."""
    pages = strip_running_lines(pages)
    blocks = paragraphs([b for page in pages for b in page])
    meta: dict[str, str] = {}
    clauses: list[Clause] = []
    headings: list[str] = []
    used: Counter = Counter()
    section: str | None = None
    lists = 0
    in_list = False
    pending_meta: str | None = None

    def add(key: str, text: str, title: str | None = None) -> None:
        used[key] += 1
        if used[key] > 1:
            key = f"{key}-{used[key]}"
        clauses.append(Clause(key, title or title_of(text), text, section))

    for b in blocks:
        if b.kind == "heading":
            name = _SECTION_NUMBER.sub("", b.text.strip().rstrip(":")) or b.text.strip()
            if name.upper() in META_LABELS:
                pending_meta = META_LABELS[name.upper()]
                continue
            pending_meta = None
            section = name
            headings.append(name)
            in_list = False
            continue
        if pending_meta:
            meta.setdefault(pending_meta, b.text)
            pending_meta = None
            continue
        if not clauses and len(b.text.split()) <= 12 and _SHORT_META.search(b.text):
            meta.setdefault("bulletin", b.text)  # a byline: "BUL-9999.1 · Effective: May 3"
            effective = _EFFECTIVE.search(b.text)
            if effective:
                meta.setdefault("date", effective.group(1))
            continue
        if b.kind == "item":
            if b.number == 1 or not in_list:
                lists += 1
                in_list = True
            prefix = "" if lists == 1 else (slug(section) if section else f"list{lists}") + "-"
            add(f"{prefix}{b.number}", b.text)
            continue
        if (in_list and clauses and not _SENTENCE_END.search(clauses[-1].text)
                and b.text[:1].islower()):
            last = clauses.pop()  # the item's text went on after a break in the layout
            used[last.key] -= 1
            clauses.append(Clause(last.key, last.title, f"{last.text} {b.text}", last.section))
            used[last.key] += 1
            continue
        in_list = False
        add(slug(section) if section else "p", b.text,
            title=section.title() if section and not used[slug(section)] else None)
    return Split([c for c in clauses if len(c.text.split()) >= 3], meta, headings)
