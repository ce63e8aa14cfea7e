"""Drill families as review sees them: which family a question belongs to, and fresh variants to ask.

A family is a topic's questions of one kind ("matmul with batch dims"), listed in the topic's own
registration (recall.drills) and kept in ``FAMILIES`` in course order. A family does not generate
questions of its own: it takes its topic's questions and keeps those of its kind (by their shapes,
or for a cost question by the kind it names), so every variant a review asks is a drill question,
and every drill question, wherever it was asked, belongs to exactly one family::

    >>> q = FAMILIES["matmul-batch"].variant(seed=3)
    >>> q.topic, max(len(s) for s in q.shapes.values()) > 2, family_of(q).name
    ('matmul', True, 'matmul-batch')
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from .drills import FAMILIES, Family, Question, find

__all__ = ["FAMILIES", "Family", "family_of", "fresh_variant", "variant_key"]


def family_of(q: Question) -> Family:
    """The family ``q`` belongs to; LookupError if none of its topic's families holds it (a mistake in them)."""
    owner = next((f for f in find(q.topic).families if f.holds(q)), None)
    if owner is None:
        raise LookupError(f"no family of drill topic {q.topic!r} holds {q}: every question of a topic must "
                          "belong to one of its families")
    return owner


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
