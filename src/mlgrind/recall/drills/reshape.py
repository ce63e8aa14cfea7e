"""The ``reshape`` drill (03): chains of reshape, ``.T``, ``[None]`` and squeeze."""

from __future__ import annotations

import math
import random
import re

from .registry import Question, family
from .shape_answers import ask, shape_topic, sizes, worked

_STEP = re.compile(r"\.reshape\(|\.T\b|\.swapaxes\(|\.squeeze\(|\[")


def _steps(q: Question) -> int:
    return len(_STEP.findall(q.expr))


@shape_topic("reshape", "chains of reshape, .T, [None] and squeeze", notebook="03_reshape_view", explain=worked, families=[
    family("reshape-step", "one reshape, transpose or new axis", level=1, holds=lambda q: _steps(q) == 1),
    family("reshape-chain", "reshape chain", level=3, holds=lambda q: _steps(q) > 1),
])
def generate(rng: random.Random, level: int) -> Question:
    x, y, z = sizes(rng, 3, 2, 6)
    shape = [x, y, z][: rng.randint(2, 3)]
    size = math.prod(shape)
    steps = []
    for _ in range(rng.randint(1, level)):
        move = rng.choice(["reshape", "reshape-1", "transpose", "expand", "squeeze", "flatten"])
        if move == "reshape":
            first = rng.choice([d for d in range(1, size + 1) if size % d == 0] + [size + 1])
            steps.append(f".reshape({first}, {size // first if size % first == 0 else first + 1})")
        elif move == "reshape-1":
            first = rng.choice([shape[0], shape[-1], 2, 3])
            steps.append(f".reshape({first}, -1)")
        elif move == "transpose":
            steps.append(".T" if rng.random() < 0.5 else ".swapaxes(0, -1)")
        elif move == "expand":
            steps.append("[:, None]" if rng.random() < 0.5 else "[None]")
        elif move == "squeeze":
            steps.append(f".squeeze({rng.choice([0, -1])})")
        else:
            steps.append(".reshape(-1)")
    return ask("x" + "".join(steps), x=shape)
