"""The ``einsum`` drill (02): the output shape of ``np.einsum`` specs, from an outer product to attention scores."""

from __future__ import annotations

import random

from .registry import Question, family
from .shape_answers import ask, shape_topic, worked

EINSUMS = [  # (spec, sizes by letter -> operand shapes); harder levels reach further down the list
    ("i,j->ij", lambda s: ([s["i"]], [s["j"]])),
    ("i,i->", lambda s: ([s["i"]], [s["i"]])),
    ("ij,jk->ik", lambda s: ([s["i"], s["j"]], [s["j"], s["k"]])),
    ("bij,bjk->bik", lambda s: ([s["b"], s["i"], s["j"]], [s["b"], s["j"], s["k"]])),
    ("bd,de,be->b", lambda s: ([s["b"], s["d"]], [s["d"], s["e"]], [s["b"], s["e"]])),
    ("bhlk,bhmk->bhlm", lambda s: ([s["b"], s["h"], s["l"], s["k"]], [s["b"], s["h"], s["m"], s["k"]])),
    ("ij->ji", lambda s: ([s["i"], s["j"]],)),
    ("bij->bj", lambda s: ([s["b"], s["i"], s["j"]],)),
    ("ii->i", lambda s: ([s["i"], s["i"]],)),
]
SCORES = "bhlk,bhmk->bhlm"


def _spec(q: Question) -> str:
    return q.expr.split("'")[1]




@shape_topic("einsum", "np.einsum specs: outer, matmul, attention, diagonal", notebook="02_matmul_einsum",
             explain=worked, families=[
                 family("einsum-attention", "einsum attention scores", level=3, holds=lambda q: _spec(q) == SCORES),
                 family("einsum-output", "einsum output shape", level=3, holds=lambda q: _spec(q) != SCORES),
             ])
def generate(rng: random.Random, level: int) -> Question:
    spec, build = rng.choice(EINSUMS[: 4 + 2 * level])
    letters = {letter: rng.randint(2, 7) for letter in "bdehijklm"}
    shapes = [list(s) for s in build(letters)]
    if rng.random() < 0.25:  # a contracted or shared letter that disagrees
        victim = rng.choice(shapes)
        victim[rng.randrange(len(victim))] += 1
    names = "abc"[: len(shapes)]
    return ask(f"np.einsum({spec!r}, {', '.join(names)})", **dict(zip(names, shapes)))
