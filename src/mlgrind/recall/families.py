"""Drill families: a topic's questions of one kind ("matmul with batch dims"), each reviewed on its own schedule.

A family does not generate questions of its own: it takes its topic's questions (recall.drills)
and keeps those of its kind (by their shapes, or for a cost question by the kind it names), so every
variant a review asks is a drill question, and every drill question, wherever it was asked, belongs
to exactly one family::

    >>> q = FAMILIES["matmul-batch"].variant(seed=3)
    >>> q.topic, max(len(s) for s in q.shapes.values()) > 2, family_of(q).name
    ('matmul', True, 'matmul-batch')

Families of a new topic are registered here with ``family(...)``, beside the others.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .drills import Question, find

__all__ = ["FAMILIES", "Family", "family", "family_of", "fresh_variant", "variant_key"]

MAX_DRAWS = 2000  # a family rarer than 1 in MAX_DRAWS of its topic's questions is a mistake in its test


@dataclass(frozen=True)
class Family:
    name: str  # "matmul-batch": the item's id in the schedule and the deck
    topic: str  # a recall.drills topic
    title: str  # "matmul with batch dims"
    level: int  # the drill level its variants are drawn at
    holds: Callable[[Question], bool]  # is this question of the family's kind?

    def variant(self, seed: int) -> Question:
        """The ``seed``-th question of this family; the same every time."""
        rng = random.Random(f"{self.name}:{seed}")
        generate = find(self.topic).generate
        for _ in range(MAX_DRAWS):
            q = generate(rng, self.level)
            if self.holds(q):
                return q
        raise RuntimeError(f"no {self.title!r} question in {MAX_DRAWS} draws of {self.topic} level {self.level}")


FAMILIES: dict[str, Family] = {}  # name -> Family, in the order a first review meets them


def family(name: str, topic: str, title: str, level: int):
    """Register the decorated predicate ``holds(question)`` as the family ``name`` of ``topic``."""
    def register(holds: Callable[[Question], bool]):
        FAMILIES[name] = Family(name, topic, title, level, holds)
        return holds
    return register


def family_of(q: Question) -> Family | None:
    """The family ``q`` belongs to; None for a topic without families."""
    return next((f for f in FAMILIES.values() if f.topic == q.topic and f.holds(q)), None)


def variant_key(q: Question) -> str:
    """What makes two variants the same question: the expression and the shapes (and the numbers stated)."""
    key = [q.expr, {name: list(shape) for name, shape in q.shapes.items()}]
    return json.dumps(key + [q.values] if q.values else key)


def fresh_variant(f: Family, last_key: str, seeds: Iterator[int]) -> Question:
    """The first variant from ``seeds`` that is not the one asked last time (``last_key``)."""
    for seed in seeds:
        q = f.variant(seed)
        if variant_key(q) != last_key:
            return q
    raise RuntimeError("ran out of seeds")


def _ndims(q: Question) -> list[int]:
    return [len(shape) for shape in q.shapes.values()]


@family("broadcast-two", "broadcasting", "broadcast two shapes", level=2)
def _two_operands(q: Question) -> bool:
    return len(q.shapes) == 2


@family("broadcast-three", "broadcasting", "broadcast three shapes", level=3)
def _three_operands(q: Question) -> bool:
    return len(q.shapes) == 3


@family("matmul-vector", "matmul", "matmul with a 1-D operand", level=2)
def _vector_operand(q: Question) -> bool:
    return 1 in _ndims(q)


@family("matmul-batch", "matmul", "matmul with batch dims", level=3)
def _batch_dims(q: Question) -> bool:
    return 1 not in _ndims(q) and max(_ndims(q)) > 2


@family("matmul-matrices", "matmul", "matmul of two matrices", level=1)
def _two_matrices(q: Question) -> bool:
    return _ndims(q) == [2, 2]


_RESHAPE_STEP = re.compile(r"\.reshape\(|\.T\b|\.swapaxes\(|\.squeeze\(|\[")


@family("reshape-step", "reshape", "one reshape, transpose or new axis", level=1)
def _one_step(q: Question) -> bool:
    return len(_RESHAPE_STEP.findall(q.expr)) == 1


@family("reshape-chain", "reshape", "reshape chain", level=3)
def _chain(q: Question) -> bool:
    return len(_RESHAPE_STEP.findall(q.expr)) > 1


def _spec(q: Question) -> str:
    return q.expr.split("'")[1]


@family("einsum-attention", "einsum", "einsum attention scores", level=3)
def _attention(q: Question) -> bool:
    return _spec(q) == "bhlk,bhmk->bhlm"


@family("einsum-output", "einsum", "einsum output shape", level=3)
def _other_spec(q: Question) -> bool:
    return _spec(q) != "bhlk,bhmk->bhlm"


_GRADIENTS = {"do", "ds", "dy"}  # upstream gradients of the attention drills' backward questions


@family("attention-backward", "attention", "attention and norm gradients", level=2)
def _attention_backward(q: Question) -> bool:
    return bool(_GRADIENTS & set(q.shapes))


@family("attention-heads", "attention", "heads, the KV cache and LayerNorm's axis", level=2)
def _attention_heads(q: Question) -> bool:
    return not _attention_backward(q) and any(s in q.expr for s in (".reshape(", "np.concatenate(", ".mean("))


@family("attention-forward", "attention", "scores, masks and weighted values", level=2)
def _attention_forward(q: Question) -> bool:
    return not _attention_backward(q) and not _attention_heads(q)


def _cost_kinds(*kinds: str) -> Callable[[Question], bool]:
    return lambda q: q.expr in kinds


family("cost-roofline", "cost", "matmul FLOPs, bytes and the roofline", level=2)(
    _cost_kinds("matmul-flops", "matmul-bytes", "intensity", "bound"))
family("cost-compute", "cost", "training FLOPs and GPU-days", level=2)(_cost_kinds("train-flops", "gpu-days"))
family("cost-memory", "cost", "Adam memory and ZeRO stages", level=2)(_cost_kinds("adam-bytes", "zero-bytes"))
family("cost-communication", "cost", "ring collectives and the pipeline bubble", level=2)(
    _cost_kinds("ring", "bubble"))
family("cost-serving", "cost", "KV cache and decode time", level=2)(_cost_kinds("kv-cache", "decode-time"))
