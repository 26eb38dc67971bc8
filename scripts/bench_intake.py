"""Answers from BUL-5688.0 as added from its PDF (verbatim clauses, no hand-written answers,
no alternate questions) against the curated knowledge base, on the same question sets.

The PDF is built from the guideline text in ../shared/sources (tests/bulletin_documents.py)
and added with knowledge.intake, exactly as `policybot knowledge add` does; BUL-5167.0 and
BUL-999.4 stay as curated. Prints one Markdown table row per knowledge base and set.

Usage: .venv/bin/python scripts/bench_intake.py [QUESTIONS.jsonl ...]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from bulletin_documents import guideline_lines, write_pdf  # noqa: E402

from bot.config import DEFAULT_KNOWLEDGE_DIR  # noqa: E402
from knowledge.answer import Retriever  # noqa: E402
from knowledge.evaluate import read_questions  # noqa: E402
from knowledge.index import ModelEncoder  # noqa: E402
from knowledge.intake import prepare, publish  # noqa: E402
from knowledge.loader import load_knowledge  # noqa: E402

SETS = [ROOT / "tests" / "eval" / "real_test.jsonl",
        ROOT.parent / "shared" / "eval" / "dev_questions.jsonl",
        ROOT / "tests" / "eval" / "own_questions.jsonl"]


def added_from_pdf(tmp: Path) -> Path:
    folder = tmp / "knowledge"
    folder.mkdir()
    referring = ("BUL-5167.0.yaml", "BUL-999.4.yaml")  # they refer to guidelines 1 and 5
    for name in referring:
        data = yaml.safe_load((DEFAULT_KNOWLEDGE_DIR / name).read_text(encoding="utf-8"))
        data["entries"][0]["related"] = []
        (folder / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    pdf = write_pdf(tmp / "BUL-5688.0.pdf", guideline_lines())
    publish(prepare(pdf, folder), folder)
    for name in referring:  # now that guidelines 1 and 5 exist, as shipped
        shutil.copy(DEFAULT_KNOWLEDGE_DIR / name, folder / name)
    load_knowledge(folder)
    return folder


def right(row: dict, outcome) -> bool:
    """'right' as ../shared/eval/REAL-QUESTIONS.md scores it (without the `related` outcome:
    a refusal is right where the label is `related:` or `no_answer`). The older sets'
    `expect` ([ids], "none", "report") is read as the same labels."""
    label = row.get("label")
    if label is None:
        expect = row["expect"]
        label = expect if isinstance(expect, list) else {"none": "no_answer"}.get(expect, expect)
    ids = set(label if isinstance(label, list) else [label]) | set(row.get("also") or [])
    top = outcome.candidates[0].entry if outcome.candidates else None
    if "report" in ids:
        return outcome.status == "report" or (outcome.status == "answered"
                                              and bool(top.report_category))
    if "no_answer" in ids or any(i.startswith("related:") for i in ids):
        return outcome.status == "no_answer"
    return outcome.status == "answered" and top.id in ids


def main() -> None:
    sets = [Path(p) for p in sys.argv[1:]] or [p for p in SETS if p.exists()]
    encoder = ModelEncoder()
    with tempfile.TemporaryDirectory() as tmp:
        bases = {"curated": DEFAULT_KNOWLEDGE_DIR, "from PDF": added_from_pdf(Path(tmp))}
        print("| knowledge base | questions | right | wrong answers |")
        print("|---|---|---|---|")
        for label, folder in bases.items():
            retriever = Retriever(load_knowledge(folder), encoder)
            for path in sets:
                rows = read_questions(path)
                outcomes = [retriever.decide(r["q"]) for r in rows]
                ok = sum(right(r, o) for r, o in zip(rows, outcomes, strict=True))
                wrong = sum(o.status == "answered" and not right(r, o)
                            for r, o in zip(rows, outcomes, strict=True))
                print(f"| {label} | {path.name} ({len(rows)}) | {ok / len(rows):.0%} | "
                      f"{wrong} |")


if __name__ == "__main__":
    main()
