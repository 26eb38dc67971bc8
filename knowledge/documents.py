"""Read a bulletin's document (PDF, Word .docx, HTML, Markdown or plain text) into blocks.

Each reader turns its format into the same shape: pages of `Block`s, in reading order,
plus whatever the file's own metadata says (its title). A PDF gives layout lines (joined
into paragraphs by knowledge.clauses); Word and HTML give paragraphs, headings and list
items as the document marks them. Bad input raises IntakeError with a message for the
person who gave the file; nothing is written by this module.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from infra.errors import KnowledgeError

MAX_BYTES = 20 * 1024 * 1024
MAX_DOCX_EXPANDED = 100 * 1024 * 1024  # a real bulletin unpacks to a few MB at most
MAX_DOCX_RATIO = 200  # one member compressed more than this: a zip bomb, not a document
FORMATS = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html",
           ".md": "markdown", ".markdown": "markdown", ".txt": "text"}


class IntakeError(KnowledgeError):
    """A document that cannot be added; the message says why and what to do."""


@dataclass(frozen=True)
class Block:
    kind: str  # line (a PDF/text layout line) | para | heading | item | break
    text: str
    number: int | None = None  # an item's number in its list, when the format knows it


@dataclass
class Document:
    name: str
    format: str
    pages: list[list[Block]]
    title: str | None = None  # from the file's metadata (PDF info, docx properties, <title>)


def detect_format(name: str, data: bytes) -> str:
    """The format by extension, checked against the content where it has a signature."""
    ext = Path(name).suffix.lower()
    fmt = FORMATS.get(ext)
    if fmt is None:
        raise IntakeError(f"{name}: unsupported format {ext or '(no extension)'}; "
                          "policybot reads PDF (.pdf), Word (.docx), HTML (.html, .htm), "
                          "Markdown (.md) and plain text (.txt)")
    if fmt == "pdf" and b"%PDF-" not in data[:1024]:
        raise IntakeError(f"{name}: is not a PDF (it does not start with %PDF-)")
    if fmt == "docx" and not data.startswith(b"PK"):
        raise IntakeError(f"{name}: is not a Word .docx file (a .docx is a zip archive; "
                          "an old .doc must be saved as .docx first)")
    return fmt


def read_document(path: str | Path, data: bytes | None = None,
                  name: str | None = None) -> Document:
    """Read `path` (or `data`, as uploaded, with its file `name`)."""
    path = Path(path)
    name = name or path.name
    if data is None:
        try:
            size = path.stat().st_size
        except OSError as e:
            raise IntakeError(f"{name}: cannot be read: {e.strerror}") from e
        if size > MAX_BYTES:
            raise IntakeError(f"{name}: is {size / 1024 / 1024:.1f} MB; policybot adds "
                              f"documents up to {MAX_BYTES // 1024 // 1024} MB")
        data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise IntakeError(f"{name}: is {len(data) / 1024 / 1024:.1f} MB; policybot adds "
                          f"documents up to {MAX_BYTES // 1024 // 1024} MB")
    fmt = detect_format(name, data)
    reader = {"pdf": _read_pdf, "docx": _read_docx, "html": _read_html,
              "markdown": _read_markdown, "text": _read_text}[fmt]
    return reader(name, data)


# --- PDF ---------------------------------------------------------------------------


def _read_pdf(name: str, data: bytes) -> Document:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _unlocked(reader):
            raise IntakeError(f"{name}: the PDF is encrypted (password-protected); save an "
                              "unprotected copy and add that")
        pages, scanned = [], []
        for number, page in enumerate(reader.pages, 1):
            text = page.extract_text() or ""
            if not text.strip():
                if _has_images(page):
                    scanned.append(number)
                pages.append([])
                continue
            pages.append([Block("line", line) for line in text.splitlines()])
        title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    except IntakeError:
        raise
    except Exception as e:  # noqa: BLE001 - pypdf raises many kinds on a damaged file
        raise IntakeError(f"{name}: the PDF is damaged and cannot be read "
                          f"({type(e).__name__}: {str(e)[:120]})") from e
    if scanned or not any(pages):
        which = scanned or list(range(1, len(pages) + 1))
        raise IntakeError(f"{name}: {_pages(which)} {'has' if len(which) == 1 else 'have'} "
                          "no text layer (a scanned image?); policybot cannot read text "
                          "from images (OCR). Add a PDF exported from the original document.")
    return Document(name, "pdf", pages, title=str(title).strip() if title else None)


def _unlocked(reader) -> bool:
    """Many bulletins are 'encrypted' only against editing, with an empty password."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # noqa: BLE001 - e.g. an algorithm that needs an extra package
        return False


def _has_images(page) -> bool:
    try:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        return any(xobjects[k].get_object().get("/Subtype") == "/Image" for k in xobjects)
    except Exception:  # noqa: BLE001 - unusual resources: count the page as an image
        return True


def _pages(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    return "pages " + ", ".join(str(n) for n in numbers)


# --- Word ----------------------------------------------------------------------------


def _read_docx(name: str, data: bytes) -> Document:
    _check_zip(name, data)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - python-docx raises many kinds on a bad package
        raise IntakeError(f"{name}: is not a Word .docx document ({str(e)[:120]})") from e
    formats = _numbering_formats(document)
    counters: dict[tuple[str, int], int] = {}
    blocks: list[Block] = []
    for part in document.iter_inner_content():
        paragraphs = part.rows if hasattr(part, "rows") else [part]
        for p in paragraphs:
            if hasattr(p, "cells"):  # a table row: each cell as a paragraph
                blocks.extend(Block("para", " ".join(c.text.split())) for c in p.cells
                              if c.text.strip())
                continue
            blocks.append(_docx_block(p, formats, counters))
    title = (document.core_properties.title or "").strip() or None
    return Document(name, "docx", [[b for b in blocks if b.text]], title=title)


def _check_zip(name: str, data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as e:
        raise IntakeError(f"{name}: is not a Word .docx file (not a valid zip archive)") from e
    if "word/document.xml" not in {m.filename for m in members}:
        raise IntakeError(f"{name}: is a zip archive but not a Word .docx document "
                          "(it has no word/document.xml)")
    expanded = sum(m.file_size for m in members)
    bomb = any(m.file_size > 1024 * 1024 and m.file_size > MAX_DOCX_RATIO * max(1, m.compress_size)
               for m in members)
    if expanded > MAX_DOCX_EXPANDED or bomb or len(members) > 5000:
        raise IntakeError(f"{name}: unpacks to {expanded / 1024 / 1024:,.0f} MB in "
                          f"{len(members)} parts, far more than any document (a zip bomb?); "
                          "it was not opened")


def _numbering_formats(document) -> dict[tuple[str, int], str]:
    """(numId, level) -> numFmt ('decimal', 'bullet', 'lowerLetter', ...)."""
    try:
        root = document.part.numbering_part.element
    except (KeyError, AttributeError, NotImplementedError):
        return {}
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    w = "{" + ns["w"] + "}"
    abstract = {}
    for a in root.findall("w:abstractNum", ns):
        levels = {int(lvl.get(w + "ilvl")): (lvl.find("w:numFmt", ns).get(w + "val")
                                             if lvl.find("w:numFmt", ns) is not None else "")
                  for lvl in a.findall("w:lvl", ns)}
        abstract[a.get(w + "abstractNumId")] = levels
    out = {}
    for num in root.findall("w:num", ns):
        ref = num.find("w:abstractNumId", ns)
        for ilvl, fmt in abstract.get(ref.get(w + "val") if ref is not None else "", {}).items():
            out[(num.get(w + "numId"), ilvl)] = fmt
    return out


def _docx_block(p, formats: dict, counters: dict) -> Block:
    text = " ".join(p.text.split())
    style = (p.style.name if p.style is not None else "") or ""
    if style.startswith(("Heading", "Title")):
        return Block("heading", text)
    num_pr = p._p.pPr.numPr if p._p.pPr is not None else None
    if num_pr is None and style.startswith("List Number"):  # numbered by its style
        key = (style, 0)
        counters[key] = counters.get(key, 0) + 1
        return Block("item", text, counters[key])
    if num_pr is not None and num_pr.numId is not None:
        key = (str(num_pr.numId.val), int(num_pr.ilvl.val) if num_pr.ilvl is not None else 0)
        fmt = formats.get(key, "decimal" if "Number" in style else "bullet")
        if fmt == "decimal" and key[1] == 0:
            counters[key] = counters.get(key, 0) + 1
            return Block("item", text, counters[key])
        return Block("para", ("- " if fmt == "bullet" else "") + text)
    return Block("para", text)


# --- HTML ----------------------------------------------------------------------------

_HTML_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "td",
                "th", "dt", "dd", "div", "section", "article", "main")


def _read_html(name: str, data: bytes) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    for junk in soup(["script", "style", "noscript", "nav", "header", "footer", "aside",
                      "form", "template"]):
        junk.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    blocks = []
    for el in soup.find_all(_HTML_BLOCKS):
        if el.find_parent(["p", "li", "pre", "blockquote", "td", "th", "dt", "dd"]):
            continue  # inside a block already taken whole
        if el.name in ("div", "section", "article", "main") and el.find(_HTML_BLOCKS):
            continue  # a container: its blocks come on their own
        text = " ".join(el.get_text(" ", strip=True).split())
        if not text:
            continue
        if el.name[0] == "h" and el.name[1:].isdigit():
            blocks.append(Block("heading", text))
        elif el.name == "li" and el.parent is not None and el.parent.name == "ol":
            items = [li for li in el.parent.find_all("li", recursive=False)]
            start = int(el.parent.get("start", 1)) if str(el.parent.get("start", "1")
                                                          ).isdigit() else 1
            blocks.append(Block("item", text, start + items.index(el)))
        else:
            blocks.append(Block("para", ("- " if el.name == "li" else "") + text))
    return Document(name, "html", [blocks], title=title or None)


# --- Markdown and plain text -----------------------------------------------------------

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def _decode(name: str, data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IntakeError(f"{name}: is not a text file (it is neither UTF-8 nor Windows-1252)")


def _read_markdown(name: str, data: bytes) -> Document:
    text = _decode(name, data)
    blocks = []
    for line in text.splitlines():
        heading = _MD_HEADING.match(line)
        if heading:
            blocks.append(Block("heading", heading.group(1).strip("*_ ")))
        elif not line.strip():
            blocks.append(Block("break", ""))
        else:
            blocks.append(Block("line", re.sub(r"(\*\*|__)(.+?)\1", r"\2", line.rstrip())))
    return Document(name, "markdown", [blocks])


def _read_text(name: str, data: bytes) -> Document:
    text = _decode(name, data)
    pages = text.split("\f")
    return Document(name, "text", [[Block("line", line) if line.strip() else Block("break", "")
                                    for line in page.splitlines()] for page in pages])
