"""The ``modern`` drill (08): shapes of RMSNorm, RoPE, SwiGLU, grouped-query attention and attention tiles."""

from __future__ import annotations

import random

from .registry import Question, family
from .shape_answers import ask, shape_topic, sizes, worked

_KINDS = {  # kind -> family
    "rms": "modern-norm-mlp", "dg": "modern-norm-mlp", "swiglu": "modern-norm-mlp", "dw-down": "modern-norm-mlp",
    "rope-pairs": "modern-rope", "rope-angles": "modern-rope", "rope-rotate": "modern-rope",
    "gqa-group": "modern-gqa", "gqa-scores": "modern-gqa", "gqa-out": "modern-gqa",
    "tile-scores": "modern-tiles", "tile-max": "modern-tiles", "tile-acc": "modern-tiles", "tile-delta": "modern-tiles",
}


def _modern_question(rng: random.Random, level: int) -> tuple[str, str, dict]:
    """(kind, expression, shapes of its arrays) for one question, sizes drawn from ``rng``."""
    b, l, m, k2, g, r, f = sizes(rng, 7, 2, 6)
    k, h, d = 2 * k2, g * r, g * r * 2 * k2  # K even for RoPE; H = G·R query heads; D = H·K
    kinds = list(_KINDS)
    kind = rng.choice(kinds if level > 1 else [c for c in kinds if c not in ("dw-down", "gqa-out", "tile-acc")])
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
    # the backward's delta, one number per query: summed over K, not over the queries
    return "tile-delta", f"(do * o).sum({-2 if off else -1})", {"do": (b, h, l, k), "o": (b, h, l, k)}


def _kind(q: Question) -> str:
    """The kind of a question, read back from its expression and arrays."""
    e, names = q.expr, set(q.shapes)
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


def _in(name: str):
    return lambda q: _KINDS[_kind(q)] == name


@shape_topic("modern", "RMSNorm, RoPE, SwiGLU, grouped queries and attention tiles", notebook="08_modern_transformer",
             explain=worked, families=[
                 family("modern-norm-mlp", "RMSNorm and SwiGLU shapes and gradients", level=1, holds=_in("modern-norm-mlp")),
                 family("modern-rope", "RoPE's pairs and angles", level=1, holds=_in("modern-rope")),
                 family("modern-gqa", "query heads in groups sharing key/value heads", level=1, holds=_in("modern-gqa")),
                 family("modern-tiles", "FlashAttention's tiles and running statistics", level=1,
                        holds=_in("modern-tiles")),
             ])
def generate(rng: random.Random, level: int) -> Question:
    _, expr, shapes = _modern_question(rng, level)
    return ask(expr, **shapes)
