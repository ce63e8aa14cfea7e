"""Topics answered by a shape: asked of NumPy itself, read as typed, explained by the shape rules.

Such a question is an expression over ``np`` and named arrays, and the shapes of those arrays. Its
answer is whatever NumPy gives when the expression runs on empty arrays of those shapes (the shape
of the result, or ``"error"``), never our own rule code, so a drill cannot teach a wrong rule.
``shape_topic`` registers a topic with this reading, checking and wording.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from ...shapes.text import parse_shape
from .registry import Family, Question, topic

__all__ = ["ask", "numpy_says", "parse_shape_answer", "plan_steps", "shape_topic", "sizes", "worked"]


MAX_DIMS = 64  # NumPy's limit on an array's dims


def ask(expr: str, **shapes) -> Question:
    """The question ``expr`` on arrays of ``shapes``, answered by NumPy (its topic stamped on registration)."""
    q = Question("", expr, {k: tuple(v) for k, v in shapes.items()}, "error")
    return Question("", expr, q.shapes, q.evaluate())


def sizes(rng: random.Random, ndim: int, low: int = 2, high: int = 9) -> list[int]:
    return [rng.randint(low, high) for _ in range(ndim)]


def parse_shape_answer(text: str) -> tuple | str:
    """``9,4,3`` / ``(9, 4, 3)`` / ``[9 4 3]`` -> (9, 4, 3); ``error`` -> "error"; ``()``/``scalar`` -> ()."""
    text = text.strip().lower()
    if text in ("error", "err", "e", "x"):
        return "error"
    if text == "scalar":
        return ()
    if not text:
        raise ValueError("type a shape such as 9,4,3 or the word error")
    dims = len(re.findall(r"\d+", text))
    if dims > MAX_DIMS:
        raise ValueError(f"{dims} dims: a NumPy array has at most {MAX_DIMS}. Type sizes such as 9,4,3, () for a "
                         "scalar, or error")
    try:
        return parse_shape(text)
    except ValueError as problem:
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise ValueError(f"{shown!r} is not a shape: {problem}. Type sizes such as 9,4,3, () for a scalar, "
                         "or error") from None


def numpy_says(q: Question) -> str:
    if q.answer == "error":
        return f"NumPy raises an error running {q.expr} on these shapes."
    return f"NumPy gives {q.answer} for {q.expr}."


def worked(q: Question) -> str:
    """The question's expression worked out step by step, the shape after each step (``working``)."""
    from .working import working

    return working(q.expr, q.shapes)


def plan_steps(plan: Callable[[Question], object]) -> Callable[[Question], str]:
    """An explanation in the words of a shape-rule plan (mlgrind.shapes.rules) for the question.

    ``plan`` imports the rules when it runs, not with this module, so the command line starts quickly.
    """
    def explain_by_plan(q: Question) -> str:
        try:
            steps = plan(q).steps
        except ValueError as error:  # the steps up to the clash, which name the sizes that clash
            done = getattr(error, "plan", None)
            return "\n".join([*done.steps, "so NumPy raises an error"]) if done and done.steps else str(error)
        return "\n".join(steps) if steps else numpy_says(q)
    return explain_by_plan


def shape_topic(name: str, help: str, *, notebook: str, families: Sequence[Family],
                explain: Callable[[Question], str] = numpy_says):
    """``registry.topic`` for a shape topic: answers typed as shapes or ``error``, NumPy the oracle."""
    return topic(name, help, notebook=notebook, families=families, explain=explain, parse=parse_shape_answer,
                 oracle="NumPy", placeholder="9, 4, 3  or  error")
