"""The ``broadcasting`` drill (01): ``a + b``, sometimes ``+ c``, of shapes that pad, stretch or clash."""

from __future__ import annotations

import random

from .registry import Question, family
from .shape_answers import ask, plan_steps, shape_topic, sizes


@plan_steps
def _broadcast_steps(q: Question):
    from ...shapes.rules import broadcast

    return broadcast(*q.shapes.values())


@shape_topic("broadcasting", "a + b of shapes that pad, stretch or clash", notebook="01_broadcasting",
             explain=_broadcast_steps, families=[
                 family("broadcast-two", "broadcast two shapes", level=2, holds=lambda q: len(q.shapes) == 2),
                 family("broadcast-three", "broadcast three shapes", level=3, holds=lambda q: len(q.shapes) == 3),
             ])
def generate(rng: random.Random, level: int) -> Question:
    ndim = rng.randint(1 + level, 2 + level)
    full = sizes(rng, ndim)
    operands = 3 if level == 3 and rng.random() < 0.4 else 2
    shapes = []
    for i in range(operands):
        length = ndim if i == 0 else rng.randint(1, ndim)  # the first spans every axis, others may be shorter
        shapes.append([1 if rng.random() < 0.35 else n for n in full[ndim - length:]])
    rng.shuffle(shapes)
    if all(shape == shapes[0] for shape in shapes):  # identical shapes teach nothing: stretch one axis
        shapes[-1] = shapes[-1][1:] if len(shapes[-1]) > 1 and rng.random() < 0.5 else [1] * len(shapes[-1])
    if rng.random() < 0.25 + 0.05 * level:  # a clash: one size that is neither 1 nor its column's
        victim = rng.randrange(operands)
        if shapes[victim]:
            axis = rng.randrange(len(shapes[victim]))
            shapes[victim][axis] = full[ndim - len(shapes[victim]) + axis] + 1
    names = "abc"[:operands]
    return ask(" + ".join(names), **dict(zip(names, shapes)))
