"""int8 Linear layers whose output for one text does not depend on the other texts encoded
with it.

PyTorch's dynamic quantisation (torch.ao.quantization.quantize_dynamic) quantises a Linear
layer's input with one scale for the whole tensor: every token of every text in the batch,
padding included. A question's vector then moves with whatever else shares its batch, and on
the real-question sets about one question in ten got another outcome (another clause,
answered instead of related, a report offer or none) when it was encoded together with seven
others instead of alone (scripts/batch_invariance.py, BENCHMARKS.md). Under load the batching
encoder puts concurrent people's questions together, so the same question could get two
different replies.

Here each row (one token of one text) is quantised with its own scale, the weights per output
channel, and the product is an exact integer matrix product (torch._int_mm): a token's output
is the same whatever its batch holds. Linear layers of one module that read the same input
(attention's query, key and value) share one quantisation and one product.
"""

from __future__ import annotations

import torch


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
    scaled = torch.mul(torch._int_mm(q, weight_t), scale)  # int32 x float32 -> float32
    out = (torch.addcmul(bias, scaled, weight_scale) if bias is not None
           else scaled.mul_(weight_scale))
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
        self._last: tuple | None = None

    def output(self, x: torch.Tensor, member: int) -> torch.Tensor:
        version = None if x.is_inference() else x._version  # inference tensors have none
        last = self._last  # one read: another thread may replace it meanwhile
        if last is None or last[0] is not x or last[1] != version:
            out = row_int8_linear(x, self.weight_t, self.weight_scale, self.bias)
            last = (x, version, out, set())
            self._last = last
        last[3].add(member)
        if len(last[3]) == len(self.bounds) - 1 and self._last is last:
            self._last = None  # every member served: hold no batch's tensors between calls
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
