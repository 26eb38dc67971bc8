"""Answers from BUL-5688.0 as added from its PDF (verbatim clauses, no hand-written answers,
no alternate questions) against the curated knowledge base, on the same question sets.

The PDF is built from the guideline text in ../shared/sources (testkit/bulletin_documents.py)
and added with knowledge.intake, exactly as `policybot knowledge add` does; BUL-5167.0 and
BUL-999.4 stay as curated. Prints one Markdown table row per knowledge base and set, scored by
knowledge.evaluate.verdict (right / hedged / wrong as ../shared/eval/REAL-QUESTIONS.md
defines them); "wrong answers" are answers with a clause that does not answer.

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
from bot.config import DEFAULT_KNOWLEDGE_DIR  # noqa: E402
from knowledge.answer import Retriever  # noqa: E402
from knowledge.evaluate import evaluate, read_questions  # noqa: E402
from knowledge.index import ModelEncoder  # noqa: E402
from knowledge.intake import prepare, publish  # noqa: E402
from knowledge.loader import load_knowledge  # noqa: E402
from testkit.bulletin_documents import guideline_lines, write_pdf  # noqa: E402

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


def main() -> None:
    sets = [Path(p) for p in sys.argv[1:]] or [p for p in SETS if p.exists()]
    encoder = ModelEncoder()
    with tempfile.TemporaryDirectory() as tmp:
        bases = {"curated": DEFAULT_KNOWLEDGE_DIR, "from PDF": added_from_pdf(Path(tmp))}
        print("| knowledge base | questions | right | hedged | wrong | wrong answers |")
        print("|---|---|---|---|---|---|")
        for label, folder in bases.items():
            retriever = Retriever(load_knowledge(folder), encoder)
            for path in sets:
                r = evaluate(read_questions(path), retriever.decide)
                share = {v: r.verdicts[v] / r.total for v in ("right", "hedged", "wrong")}
                print(f"| {label} | {path.name} ({r.total}) | {share['right']:.0%} | "
                      f"{share['hedged']:.0%} | {share['wrong']:.0%} | "
                      f"{r.answered - r.answered_right} |")


if __name__ == "__main__":
    main()
