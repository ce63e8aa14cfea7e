"""The ``matmul`` drill (02, and again in 04 and 05): ``a @ b`` with 1-D operands and batch dims."""

from __future__ import annotations

import random

from .registry import Question, family
from .shape_answers import ask, shape_topic, sizes, worked




def _ndims(q: Question) -> list[int]:
    return [len(shape) for shape in q.shapes.values()]


@shape_topic("matmul", "a @ b, with 1-D operands and batch dims", notebook="02_matmul_einsum",
             explain=worked, families=[
                 family("matmul-vector", "matmul with a 1-D operand", level=2, holds=lambda q: 1 in _ndims(q)),
                 family("matmul-batch", "matmul with batch dims", level=3,
                        holds=lambda q: 1 not in _ndims(q) and max(_ndims(q)) > 2),
                 family("matmul-matrices", "matmul of two matrices", level=1, holds=lambda q: _ndims(q) == [2, 2]),
             ])
def generate(rng: random.Random, level: int) -> Question:
    m, k, n = sizes(rng, 3)
    batch = sizes(rng, rng.randint(level == 3, level))  # level 3 always has batch dims (or 1-D operands)
    kind = rng.choice(["mat", "mat", "vec-left", "vec-right", "vec-vec"] if level > 1 else ["mat", "vec-right"])
    a = {"mat": batch + [m, k], "vec-left": [k], "vec-right": batch + [m, k], "vec-vec": [k]}[kind]
    b = {"mat": [k, n], "vec-left": batch + [k, n], "vec-right": [k], "vec-vec": [k]}[kind]
    if kind == "mat" and batch and rng.random() < 0.5:  # batch dims on both sides, some broadcast
        b = [1 if rng.random() < 0.5 else s for s in batch[-rng.randint(1, len(batch)):]] + b
    if rng.random() < 0.25:
        (a if rng.random() < 0.5 else b)[-1 if rng.random() < 0.5 else 0] += 1
    return ask("a @ b", a=a, b=b)
