"""The ``attention`` drill (06): shapes of scores, masks, heads, gradients and the KV cache."""

from __future__ import annotations

import random

from .registry import Question, family
from .shape_answers import ask, shape_topic, sizes, worked

_GRADIENTS = {"do", "ds", "dy"}  # upstream gradients of the backward questions


def _backward(q: Question) -> bool:
    return bool(_GRADIENTS & set(q.shapes))


def _heads(q: Question) -> bool:
    return not _backward(q) and any(s in q.expr for s in (".reshape(", "np.concatenate(", ".mean("))


def _attention_question(rng: random.Random, level: int) -> tuple[str, dict]:
    """One attention shape question: its expression and the shapes of its arrays, sizes drawn from ``rng``."""
    b, h, l, m, k = sizes(rng, 5, 2, 9)
    d = h * k
    kinds = ["scores", "output", "mask", "pad", "dv", "dk", "layernorm", "dgamma", "split", "merge", "cache", "causal"]
    kind = rng.choice(kinds[: 6 + 3 * level])
    off = rng.random() < 0.3  # the classic slip: a swapped or missing axis
    if kind == "scores":
        return "np.einsum('bhlk,bhmk->bhlm', q, k)", {"q": (b, h, l, k), "k": (b, h, m, k + off)}
    if kind == "output":
        return "p @ v", {"p": (b, h, l, m), "v": (b, h, m + off, k)}
    if kind == "mask":
        return "np.where(mask, scores, -np.inf)", {"mask": (m, l) if off else (l, m), "scores": (b, h, l, m)}
    if kind == "pad":
        index = "[:, None, :]" if off else "[:, None, None, :]"
        return f"scores + bias{index}", {"scores": (b, h, l, m), "bias": (b, m)}  # padding: 0 or -inf per key
    if kind == "dv":
        return ("p @ do" if off else "p.swapaxes(-1, -2) @ do"), {"p": (b, h, l, m), "do": (b, h, l, k)}
    if kind == "dk":
        return "np.einsum('bhlm,bhlk->bhmk', ds, q)", {"ds": (b, h, l, m), "q": (b, h, l + off, k)}
    if kind == "layernorm":
        return f"x.mean({0 if off else -1}, keepdims=True)", {"x": (b, l, d)}
    if kind == "dgamma":
        spec = "'bld,bld->ld'" if off else "'bld,bld->d'"  # dgamma_D sums over B and L
        return f"np.einsum({spec}, dy, xhat)", {"dy": (b, l, d), "xhat": (b, l, d)}
    if kind == "split":
        return f"x.reshape({b}, {l}, {h}, {k + off}).transpose(0, 2, 1, 3)", {"x": (b, l, d)}
    if kind == "merge":
        return f"o.transpose(0, 2, 1, 3).reshape({b}, {l}, {d})", {"o": (b, h + off, l, k)}
    if kind == "cache":
        return "np.concatenate([k_cache, k_new], axis=2)", {"k_cache": (b, h, m, k), "k_new": (b, 1, h, k) if off else (b, h, 1, k)}
    return f"np.arange({m})[None, :] <= np.arange({l})[:, None] + ({m} - {l})", {}  # 06: j <= i + (M - L)


def _slip(q: Question) -> str:
    """What a question that hides the classic slip is really about, whether NumPy runs it or not."""
    runs = q.answer != "error"
    if "bias[:, None, :]" in q.expr:
        b, h = q.shapes["bias"][0], q.shapes["scores"][1]
        return ("the silent bug: bias[:, None, :] is (B, 1, M), so right-aligned its B meets the heads axis H. "
                + (f"It runs only because B = {b} equals H = {h}, adding each batch row's padding to a head "
                   "instead of to its own batch row." if runs else f"Here B = {b} and H = {h} clash, so it fails.")
                + " bias[:, None, None, :] (B, 1, 1, M) lines B up with B.")
    if "np.where" in q.expr and q.shapes["mask"] != q.shapes["scores"][-2:]:
        return ("the mask is (M, L), the transpose of the (L, M) one attention needs: "
                + ("it runs only because L equals M, masking the wrong pairs, a silent bug." if runs
                   else "L and M differ, so NumPy refuses it."))
    if q.expr == "p @ do":
        return ("dv needs p's transpose, (B, H, M, L) @ (B, H, L, K): p @ do "
                + ("runs only because L equals M, and gives the wrong numbers." if runs else "contracts M with L."))
    if "'bld,bld->ld'" in q.expr:
        return "dgamma must be (D,) like gamma: sum over L as well as B ('bld,bld->d')."
    if ".mean(0" in q.expr:
        return "LayerNorm averages each token over its features, the last axis; mean(0) averages over the batch."
    return ""


def _explain(q: Question) -> str:
    slip = _slip(q)
    return worked(q) + (f"\nnote: {slip}" if slip else "")


@shape_topic("attention", "scores, masks, heads, gradients and the KV cache", notebook="06_attention_norms",
             explain=_explain, families=[
    family("attention-backward", "attention and norm gradients", level=2, holds=_backward),
    family("attention-heads", "heads, the KV cache and LayerNorm's axis", level=2, holds=_heads),
    family("attention-forward", "scores, masks and weighted values", level=2,
           holds=lambda q: not _backward(q) and not _heads(q)),
])
def generate(rng: random.Random, level: int) -> Question:
    expr, shapes = _attention_question(rng, level)
    return ask(expr, **shapes)
