"""Real bulletin documents for the intake tests, built with real libraries (reportlab for
PDF, python-docx for Word, plain HTML) from the guideline text in ../shared/sources/."""

from __future__ import annotations

from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "shared" / "sources" / \
    "social-media-policy-blog-post.txt"
TITLE = "Social Media Policy for Employees and Associated Persons"


def guideline_lines() -> list[str]:
    """Guidelines 1-6 with the blog post's own line breaks (as a PDF lays text out); the
    end of guideline 6 ("discipline.") is LA Weekly's, as in knowledge/bulletins."""
    if not SOURCE.exists():
        pytest.skip("shared/sources not beside the checkout")
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("“1. "))
    end = next(i for i, line in enumerate(lines) if line.startswith("To read the full"))
    out = [line.rstrip() for line in lines[start:end]]
    out[0] = out[0].removeprefix("“")
    out[-1] += " discipline."
    return out


def guidelines() -> dict[int, str]:
    """Guideline number -> its text as one paragraph."""
    out: dict[int, list[str]] = {}
    for line in guideline_lines():
        head = line.split(". ", 1)[0]
        if head.isdigit() and int(head) == len(out) + 1:
            out[int(head)] = [line.split(". ", 1)[1]]
        else:
            out[len(out)].append(line)
    return {n: " ".join(parts) for n, parts in out.items()}


def write_pdf(path: Path, body: list[str], bulletin: str = "BUL-5688.0", title: str = TITLE,
              date: str | None = None, per_page: int = 14, header: bool = True) -> Path:
    """A PDF laid out like a bulletin: header fields, the body's lines as they are, a
    running header and a 'Page N of M' footer on every page."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    fields = ["LOS ANGELES UNIFIED SCHOOL DISTRICT", "POLICY BULLETIN", "",
              f"TITLE: {title}", f"NUMBER: {bulletin}"] if header else []
    if header and date:
        fields.append(f"DATE: {date}")
    lines = fields + ([""] if fields else []) + body
    pages = [lines[i:i + per_page] for i in range(0, len(lines), per_page)]
    pdf = canvas.Canvas(str(path), pagesize=letter)
    pdf.setTitle(title)
    for number, page in enumerate(pages, 1):
        pdf.setFont("Helvetica", 8)
        pdf.drawString(72, 750, f"{bulletin}   {title}")
        pdf.drawString(280, 40, f"Page {number} of {len(pages)}")
        pdf.setFont("Helvetica", 10)
        y = 710
        for line in page:
            pdf.drawString(72, y, line)
            y -= 14
        pdf.showPage()
    pdf.save()
    return path


def write_docx(path: Path, items: dict[int, str], bulletin: str = "BUL-5688.0",
               title: str = TITLE) -> Path:
    """A Word document: a title, the bulletin number, a heading and a numbered list
    (Word's own numbering: the numbers are not in the text)."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=1)
    document.add_paragraph(f"NUMBER: {bulletin}")
    document.add_heading("Guidelines", level=2)
    for _, text in sorted(items.items()):
        document.add_paragraph(text, style="List Number")
    document.save(str(path))
    return path


def write_html(path: Path, items: dict[int, str], bulletin: str = "BUL-5688.0",
               title: str = TITLE) -> Path:
    """A web page with navigation and a footer around an ordered list of the guidelines."""
    from html import escape

    lis = "\n".join(f"    <li>{escape(text)}</li>" for _, text in sorted(items.items()))
    path.write_text(f"""<!doctype html>
<html><head><title>{bulletin} {escape(title)}</title><style>li {{ margin: 1em }}</style></head>
<body>
<nav><a href="/">Home</a> | <a href="/bulletins">Bulletins</a></nav>
<main>
  <h1>{escape(title)}</h1>
  <p>Bulletin number: {bulletin}</p>
  <h2>Guidelines</h2>
  <ol>
{lis}
  </ol>
</main>
<footer>Los Angeles Unified School District</footer>
<script>console.log("analytics")</script>
</body></html>
""", encoding="utf-8")
    return path


def referenced_bulletins_only(folder: Path) -> Path:
    """`folder`, created, holding BUL-5167.0 and BUL-999.4 (their links to BUL-5688.0
    dropped) and no BUL-5688.0: the knowledge a test then adds BUL-5688.0 to."""
    import yaml

    from bot.config import DEFAULT_KNOWLEDGE_DIR

    folder.mkdir()
    for name in ("BUL-5167.0.yaml", "BUL-999.4.yaml"):
        data = yaml.safe_load((DEFAULT_KNOWLEDGE_DIR / name).read_text(encoding="utf-8"))
        data["entries"][0]["related"] = []
        (folder / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder
