"""The ``modern`` drill (08): shapes of the modern block, one family per section of the notebook.

RMSNorm and SwiGLU, RoPE, grouped-query attention, attention tiles, mixed precision's overflow check
and fp32 master step, what a block keeps for the backward and a checkpoint stores, and
mixture-of-experts routing, dispatch and experts per device.
"""

from __future__ import annotations

import math
import random

from .registry import Question, family
from .shape_answers import ask, shape_topic, sizes, worked

_KINDS = {  # kind -> family
    "rms": "modern-norm-mlp", "dg": "modern-norm-mlp", "swiglu": "modern-norm-mlp", "dw-down": "modern-norm-mlp",
    "rope-pairs": "modern-rope", "rope-angles": "modern-rope", "rope-rotate": "modern-rope",
    "gqa-group": "modern-gqa", "gqa-scores": "modern-gqa", "gqa-out": "modern-gqa",
    "tile-scores": "modern-tiles", "tile-max": "modern-tiles", "tile-acc": "modern-tiles", "tile-delta": "modern-tiles",
    "mp-overflow": "modern-precision", "mp-step": "modern-precision",
    "keep-every": "modern-memory", "kept-values": "modern-memory",
    "moe-topk": "modern-moe", "moe-weights": "modern-moe", "moe-dispatch": "modern-moe", "moe-combine": "modern-moe",
    "moe-load": "modern-moe", "moe-devices": "modern-moe",
}
HARDER = ("dw-down", "gqa-out", "tile-acc", "moe-dispatch")  # asked from level 2 on
CAPACITY_FACTOR = 1.25


def _modern_question(rng: random.Random, level: int) -> tuple[str, str, dict]:
    """(kind, expression, shapes of its arrays) for one question, sizes drawn from ``rng``."""
    b, l, m, k2, g, r, f = sizes(rng, 7, 2, 6)
    k, h, d = 2 * k2, g * r, g * r * 2 * k2  # K even for RoPE; H = G·R query heads; D = H·K
    n, top, every, blocks = rng.choice([2, 4]), rng.randint(1, 2), rng.randint(2, 4), rng.randint(3, 9)
    t, e = l, n * rng.randint(1, 3)  # T tokens; E experts, a whole number per device of N
    c = math.ceil(CAPACITY_FACTOR * t * top / e)  # each expert's capacity in tokens
    kinds = list(_KINDS)
    kind = rng.choice(kinds if level > 1 else [c for c in kinds if c not in HARDER])
    off = rng.random() < 0.3  # the classic slip: a swapped or missing axis
    if kind == "rms":
        return kind, f"(x ** 2).mean({0 if off else -1}, keepdims=True)", {"x": (b, l, d)}
    if kind == "dg":
        spec = "'bld,bld->ld'" if off else "'bld,bld->d'"  # dg_D sums over B and L
        return kind, f"np.einsum({spec}, dy, xhat)", {"dy": (b, l, d), "xhat": (b, l, d)}
    if kind == "swiglu":
        return kind, "(x @ w_gate) * (x @ w_up)", {"x": (b, l, d), "w_gate": (d, f), "w_up": (f, d) if off else (d, f)}
    if kind == "dw-down":
        return kind, "np.einsum('blf,bld->fd', h, dy)", {"h": (b, l, f), "dy": (b, l + off, d)}
    if kind == "rope-pairs":
        return kind, "x[..., 0::2] * cos" if not off else "x[..., 0::2] * cos.T", {"x": (b, h, l, k), "cos": (l, k2)}
    if kind == "rope-angles":
        return kind, f"positions[:, None] * np.exp(-np.log(10000.0) * np.arange(0, {k}, 2) / {k})", {"positions": (l + off * m,)}
    if kind == "rope-rotate":
        return kind, "np.stack([x[..., 0::2], x[..., 1::2]], axis=-1).reshape(x.shape)", {"x": (b, h, l, k + off)}
    if kind == "gqa-group":
        return kind, f"q.reshape({b}, {g}, {r + off}, {l}, {k})", {"q": (b, h, l, k)}
    if kind == "gqa-scores":
        return kind, "np.einsum('bgrlk,bgmk->bgrlm', q, k)", {"q": (b, g, r, l, k), "k": (b, g + off, m, k)}
    if kind == "gqa-out":
        return kind, "np.einsum('bgrlm,bgmk->bgrlk', p, v)", {"p": (b, g, r, l, m), "v": (b, g, m + off, k)}
    if kind == "tile-scores":
        return kind, "q_tile @ k_tile.swapaxes(-1, -2)", {"q_tile": (b, h, l, k), "k_tile": (b, h, m, k + off)}
    if kind == "tile-max":
        return kind, f"np.maximum(m_run, s.max({-2 if off else -1}))", {"m_run": (b, h, l), "s": (b, h, l, m)}
    if kind == "tile-acc":
        return kind, "alpha[..., None] * acc + p @ v_tile", {"alpha": (b, h, l), "acc": (b, h, l, k),
                                                             "p": (b, h, l, m), "v_tile": (b, h, m, k + off)}
    if kind == "mp-overflow":  # one flag for the step, not one per column
        return kind, f"np.isfinite(g).all({0 if off else ''})", {"g": (d, f)}
    if kind == "mp-step":  # fp16 gradients unscaled into the fp32 master weights
        return kind, "master - 0.01 * g.astype(np.float32) / 65536.0", {"master": (d, f),
                                                                        "g": (f, d) if off else (d, f)}
    if kind == "keep-every":  # checkpoints: every block's input from block 0 on, not from block `every`
        return kind, f"xs[{every if off else ''}::{every}]", {"xs": (blocks, b, l, d)}
    if kind == "kept-values":  # what one block keeps for the backward, attention probabilities included
        return kind, "np.concatenate([x.ravel(), h.ravel(), p.ravel()], axis=0)", {"x": (b, l, d), "h": (b, l, f),
                                                                                     "p": (b, h, l, l)}
    if kind == "moe-topk":  # the k best experts of each token: sliced along the experts, not the tokens
        return kind, f"np.argsort(logits, axis=-1)[{'' if off else ':, '}-{top}:]", {"logits": (t, e)}
    if kind == "moe-weights":  # each token's probabilities of its chosen experts, by a one-hot of them
        return kind, "np.einsum('te,tke->tk', probs, chosen)", {"probs": (t, e),
                                                                "chosen": (t, e, top) if off else (t, top, e)}
    if kind == "moe-dispatch":  # tokens into each expert's capacity slots
        return kind, "np.einsum('td,tec->ecd', x, dispatch)", {"x": (t, d), "dispatch": (t, c, e) if off else (t, e, c)}
    if kind == "moe-combine":  # the experts' outputs back to their tokens, weighted
        return kind, "np.einsum('tec,ecd->td', combine, y)", {"combine": (t, e, c), "y": (e, d, c) if off else (e, c, d)}
    if kind == "moe-load":  # Switch's balance loss: the mean router probability per expert, over the tokens
        return kind, f"(frac * probs.mean({1 if off else 0})).sum()", {"frac": (e,), "probs": (t, e)}
    if kind == "moe-devices":  # expert parallelism: E/N experts on each of N devices
        return kind, f"y.reshape({n}, {e // n + off}, {c}, {d})", {"y": (e, c, d)}
    # the backward's delta, one number per query: summed over K, not over the queries
    return "tile-delta", f"(do * o).sum({-2 if off else -1})", {"do": (b, h, l, k), "o": (b, h, l, k)}


def _kind(q: Question) -> str:
    """The kind of a question, read back from its expression and arrays."""
    e, names = q.expr, set(q.shapes)
    for kind, mark in _MARKS.items():
        if mark in e or mark in names:
            return kind
    if "positions" in names:
        return "rope-angles"
    if "cos" in names:
        return "rope-pairs"
    if "np.stack" in e:
        return "rope-rotate"
    if "w_gate" in names:
        return "swiglu"
    if "'blf,bld->fd'" in e:
        return "dw-down"
    if "xhat" in names:
        return "dg"
    if "(x ** 2)" in e:
        return "rms"
    if ".reshape(" in e:
        return "gqa-group"
    if "bgrlk,bgmk" in e:
        return "gqa-scores"
    if "bgrlm,bgmk" in e:
        return "gqa-out"
    if "q_tile" in names:
        return "tile-scores"
    if "acc" in names:
        return "tile-acc"
    if "do" in names:
        return "tile-delta"
    return "tile-max"


_MARKS = {  # a name or a piece of the expression only that kind has
    "mp-overflow": "isfinite", "mp-step": "master", "keep-every": "xs", "kept-values": "np.concatenate",
    "moe-topk": "np.argsort", "moe-weights": "'te,tke->tk'", "moe-dispatch": "'td,tec->ecd'",
    "moe-combine": "'tec,ecd->td'", "moe-load": "frac", "moe-devices": "y.reshape(",
}


def _in(name: str):
    return lambda q: _KINDS[_kind(q)] == name


@shape_topic("modern", "RMSNorm, RoPE, SwiGLU, grouped queries, attention tiles, mixed precision, checkpoints and "
             "experts", notebook="08_modern_transformer",
             explain=worked, families=[
                 family("modern-norm-mlp", "RMSNorm and SwiGLU shapes and gradients", level=1, holds=_in("modern-norm-mlp")),
                 family("modern-rope", "RoPE's pairs and angles", level=1, holds=_in("modern-rope")),
                 family("modern-gqa", "query heads in groups sharing key/value heads", level=1, holds=_in("modern-gqa")),
                 family("modern-tiles", "FlashAttention's tiles and running statistics", level=1,
                        holds=_in("modern-tiles")),
                 family("modern-precision", "mixed precision: the overflow check and the fp32 master step", level=1,
                        holds=_in("modern-precision")),
                 family("modern-memory", "activation memory: what a block keeps, which inputs a checkpoint keeps",
                        level=1, holds=_in("modern-memory")),
                 family("modern-moe", "mixture of experts: top-k routing, dispatch, combine, experts per device",
                        level=2, holds=_in("modern-moe")),  # level 2: dispatch too
             ])
def generate(rng: random.Random, level: int) -> Question:
    _, expr, shapes = _modern_question(rng, level)
    return ask(expr, **shapes)
