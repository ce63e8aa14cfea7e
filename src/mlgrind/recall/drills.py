"""Seeded recall questions, by topic; each topic is registered once, in ``TOPICS``.

Most topics ask shapes. Such a question is an expression over ``np`` and named arrays, and the
shapes of those arrays. Its answer is whatever NumPy itself gives when the expression runs on empty
arrays of those shapes (the shape of the result, or ``"error"``), never our own rule code, so a drill
cannot teach a wrong rule::

    >>> q = question("broadcasting", seed=1)
    >>> q.answer == q.evaluate()
    True
    >>> list(TOPICS)
    ['broadcasting', 'matmul', 'reshape', 'einsum', 'attention', 'cost']

The ``cost`` topic asks for numbers (FLOPs, bytes, GPU-days) or a word (``memory``): its question
is text stating its numbers (``values``), its answer is worked out by recall.costdrill, and
an answer within 10% is right. Each topic reads and checks answers its own way (``Topic.parse`` and
``Topic.check``), so a drill session, the widget and a review ask any topic alike.

NumPy and the shape rules are imported when a question is evaluated or explained, not with this
module, so the command line can list the topics and still start quickly.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from ..shapes.text import parse_shape
from . import costdrill
from .words import number

__all__ = ["LEVELS", "TOPICS", "Answer", "Question", "Topic", "explain", "find", "is_right", "parse_answer",
           "question", "questions", "show", "topic"]

LEVELS = (1, 2, 3)

Answer = tuple | str | float  # a shape, "error", a number, or a word such as "memory"


@dataclass(frozen=True)
class Question:
    topic: str
    expr: str  # NumPy code over the arrays of ``shapes``; for a question in words, the kind it is ("kv-cache")
    shapes: dict  # name -> tuple
    answer: Answer
    values: dict = field(default_factory=dict)  # name -> number (or word) a question in words states
    text: str = ""  # the question in words, its unit named; "" for a shape question

    def evaluate(self):
        """Run ``expr`` on empty arrays of ``shapes``: the result's shape, or ``"error"`` (shape questions)."""
        import numpy as np

        arrays = {name: np.empty(shape) for name, shape in self.shapes.items()}
        # No builtins but __import__: NumPy imports some helpers on first use (x.mean does), and an
        # import made from C looks in the calling frame's builtins.
        space = {"np": np, "__builtins__": {"__import__": __import__}}
        try:
            with np.errstate(all="ignore"):  # empty arrays hold garbage; only the shape matters
                return tuple(np.shape(eval(self.expr, space, arrays)))  # noqa: S307
        except (ValueError, TypeError, IndexError, np.exceptions.AxisError):
            return "error"

    def to_dict(self) -> dict:
        """The question as JSON data; ``values`` and ``text`` only for a question in words."""
        data = asdict(self)
        data["shapes"] = {k: list(v) for k, v in self.shapes.items()}
        data["answer"] = list(self.answer) if isinstance(self.answer, tuple) else self.answer
        if not self.text:
            del data["values"], data["text"]
        return data

    def prompt(self) -> str:
        if self.text:
            return f"{self.text}\n  ->"
        given = ", ".join(f"{name}.shape = {tuple(shape)}" for name, shape in self.shapes.items())
        return f"{given}\n  {self.expr}  ->"


def show(answer: Answer) -> str:
    """An answer as drills print it: a shape, a word, or a number in at most four significant digits.

    >>> show((9, 4, 3)), show(()), show("error"), show(6.8719476736e10), show(0.15789), show("memory")
    ('(9, 4, 3)', '()', 'error', '6.872e10', '0.1579', 'memory')
    """
    if isinstance(answer, str):
        return answer
    if isinstance(answer, (int, float)):
        return number(answer)
    return str(tuple(answer))


# ------------------------------------------------------------------------------------ topics
def _same(expected: Answer, given: Answer) -> bool:
    return given == expected


@dataclass(frozen=True)
class Topic:
    """A drill topic: its name, one line of help, how it asks, explains, reads and checks an answer."""

    name: str
    help: str
    generate: Callable[[random.Random, int], Question]  # (rng, level) -> a question
    explain: Callable[[Question], str]  # why the answer is what it is
    parse: Callable[[str], Answer]  # typed text -> an answer; ValueError saying how to type one
    check: Callable[[Answer, Answer], bool] = _same  # (the question's answer, the given one) -> right?
    oracle: str = "NumPy"  # who gives the answer, as feedback says it: "NumPy gives (9, 4, 3)"
    placeholder: str = "9, 4, 3  or  error"  # an example answer, for an empty answer box


TOPICS: dict[str, Topic] = {}  # name -> Topic, in the order drills take them in turn


def topic(name: str, help: str, explain: Callable[[Question], str] | None = None,
          parse: Callable[[str], Answer] | None = None, check: Callable[[Answer, Answer], bool] = _same,
          oracle: str = "NumPy", placeholder: str = "9, 4, 3  or  error"):
    """Register the decorated ``generate(rng, level)`` as the drill topic ``name``, with its help line.

    The command line, the widget and the drills all read TOPICS, so this is the one place a topic
    is named. ``explain`` defaults to saying what NumPy gives; ``parse`` reads a shape or ``error``;
    ``check`` wants the very answer.
    """
    def register(generate: Callable[[random.Random, int], Question]):
        TOPICS[name] = Topic(name, help, generate, explain or _numpy_says, parse or _parse_shape_answer, check,
                             oracle, placeholder)
        return generate
    return register


def find(name: str) -> Topic:
    """The drill topic ``name``; ValueError naming the valid ones otherwise."""
    if name not in TOPICS:
        raise ValueError(f"unknown topic {name!r}; valid: {', '.join(TOPICS)}")
    return TOPICS[name]


def explain(q: Question) -> str:
    """Why the answer is what it is, in the words of the shape-rule plans where they apply.

    >>> print(explain(Question("broadcasting", "a + b", {"a": (9, 1, 3), "b": (4, 1)}, (9, 4, 3))))
    pad B (4, 1) on the left with 1 one: (1, 4, 1)
    axis 0: the 1 of B stretches to 9
    axis 1: the 1 of A stretches to 4
    axis 2: the 1 of B stretches to 3
    result (9, 4, 3)
    """
    return find(q.topic).explain(q)


def is_right(q: Question, given: Answer) -> bool:
    """Whether ``given`` (as ``parse_answer`` read it) answers ``q``, by its topic's check."""
    return find(q.topic).check(q.answer, given)


def parse_answer(text: str, topic: str | None = None) -> Answer:
    """What ``text`` answers, read as ``topic`` reads answers (a shape, without a topic).

    >>> parse_answer("9,4,3"), parse_answer("error"), parse_answer("2*4096**2", "cost")
    ((9, 4, 3), 'error', 33554432.0)
    """
    return find(topic).parse(text) if topic else _parse_shape_answer(text)


def _parse_shape_answer(text: str) -> tuple | str:
    """``9,4,3`` / ``(9, 4, 3)`` / ``[9 4 3]`` -> (9, 4, 3); ``error`` -> "error"; ``()``/``scalar`` -> ()."""
    text = text.strip().lower()
    if text in ("error", "err", "e", "x"):
        return "error"
    if text == "scalar":
        return ()
    if not text:
        raise ValueError("type a shape such as 9,4,3 or the word error")
    try:
        return parse_shape(text)
    except ValueError as problem:
        raise ValueError(f"{text!r} is not a shape: {problem}. Type sizes such as 9,4,3, () for a scalar, "
                         "or error") from None


def _numpy_says(q: Question) -> str:
    if q.answer == "error":
        return f"NumPy raises an error running {q.expr} on these shapes."
    return f"NumPy gives {q.answer} for {q.expr}."


def _plan_steps(plan: Callable[[Question], object]) -> Callable[[Question], str]:
    """An explanation in the words of a shape-rule plan (mlgrind.shapes.rules) for the question."""
    def explain_by_plan(q: Question) -> str:
        try:
            steps = plan(q).steps
        except ValueError as error:  # the rule's message names the sizes that clash
            return str(error)
        return "\n".join(steps) if steps else _numpy_says(q)
    return explain_by_plan


@_plan_steps
def _broadcast_steps(q: Question):
    from ..shapes.rules import broadcast

    return broadcast(*q.shapes.values())


@_plan_steps
def _matmul_steps(q: Question):
    from ..shapes.rules import matmul

    return matmul(*q.shapes.values())


@_plan_steps
def _einsum_steps(q: Question):
    from ..shapes.rules import einsum

    return einsum(q.expr.split("'")[1], *q.shapes.values())


# ------------------------------------------------------------------------------------ questions
def _ask(topic: str, expr: str, **shapes) -> Question:
    q = Question(topic, expr, {k: tuple(v) for k, v in shapes.items()}, "error")
    return Question(topic, expr, q.shapes, q.evaluate())


def _sizes(rng: random.Random, ndim: int, low: int = 2, high: int = 9) -> list[int]:
    return [rng.randint(low, high) for _ in range(ndim)]


@topic("broadcasting", "a + b of shapes that pad, stretch or clash", explain=_broadcast_steps)
def _broadcasting(rng: random.Random, level: int) -> Question:
    ndim = rng.randint(1 + level, 2 + level)
    full = _sizes(rng, ndim)
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
    return _ask("broadcasting", " + ".join(names), **dict(zip(names, shapes)))


@topic("matmul", "a @ b, with 1-D operands and batch dims", explain=_matmul_steps)
def _matmul(rng: random.Random, level: int) -> Question:
    m, k, n = _sizes(rng, 3)
    batch = _sizes(rng, rng.randint(0, level))
    kind = rng.choice(["mat", "mat", "vec-left", "vec-right", "vec-vec"] if level > 1 else ["mat", "vec-right"])
    a = {"mat": batch + [m, k], "vec-left": [k], "vec-right": batch + [m, k], "vec-vec": [k]}[kind]
    b = {"mat": [k, n], "vec-left": batch + [k, n], "vec-right": [k], "vec-vec": [k]}[kind]
    if kind == "mat" and batch and rng.random() < 0.5:  # batch dims on both sides, some broadcast
        b = [1 if rng.random() < 0.5 else s for s in batch[-rng.randint(1, len(batch)):]] + b
    if rng.random() < 0.25:
        (a if rng.random() < 0.5 else b)[-1 if rng.random() < 0.5 else 0] += 1
    return _ask("matmul", "a @ b", a=a, b=b)


@topic("reshape", "chains of reshape, .T, [None] and squeeze")
def _reshape(rng: random.Random, level: int) -> Question:
    x, y, z = _sizes(rng, 3, 2, 6)
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
    return _ask("reshape", "x" + "".join(steps), x=shape)


EINSUMS = [
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


@topic("einsum", "np.einsum specs: outer, matmul, attention, diagonal", explain=_einsum_steps)
def _einsum(rng: random.Random, level: int) -> Question:
    spec, build = rng.choice(EINSUMS[: 4 + 2 * level])
    sizes = {letter: rng.randint(2, 7) for letter in "bdehijklm"}
    shapes = [list(s) for s in build(sizes)]
    if rng.random() < 0.25:  # a contracted or shared letter that disagrees
        victim = rng.choice(shapes)
        victim[rng.randrange(len(victim))] += 1
    names = "abc"[: len(shapes)]
    return _ask("einsum", f"np.einsum({spec!r}, {', '.join(names)})", **dict(zip(names, shapes)))


def _attention_question(rng: random.Random, level: int) -> tuple[str, dict]:
    """One attention shape question: its expression and the shapes of its arrays, sizes drawn from ``rng``."""
    b, h, l, m, k = _sizes(rng, 5, 2, 9)
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
        return f"scores + pad{index}", {"scores": (b, h, l, m), "pad": (b, m)}
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
    return f"np.arange({m})[None, :] <= np.arange({l})[:, None]", {}


@topic("attention", "scores, masks, heads, gradients and the KV cache")
def _attention(rng: random.Random, level: int) -> Question:
    expr, shapes = _attention_question(rng, level)
    return _ask("attention", expr, **shapes)


@topic("cost", "FLOPs, bytes, memory, communication and time of training and serving (within 10%)",
       explain=lambda q: "\n".join(costdrill.solve(q.expr, q.values)[1]), parse=costdrill.parse_answer,
       check=costdrill.close_enough, oracle="the formula", placeholder="6.9e10, 2*4096**3  or  memory")
def _cost(rng: random.Random, level: int) -> Question:
    kind, values = costdrill.draw(rng, level)
    answer, _ = costdrill.solve(kind, values)
    return Question("cost", kind, {}, answer, values, costdrill.say(kind, values))


def question(topic: str, seed: int, level: int = 2) -> Question:
    """The ``seed``-th question of ``topic`` at ``level`` (1 easy to 3 hard); the same every time."""
    return find(topic).generate(random.Random(f"{topic}:{level}:{seed}"), level)


def questions(topic: str | None, count: int, seed: int, level: int = 2) -> list[Question]:
    """``count`` questions of ``topic`` (or of all topics, in turn), from ``seed`` on."""
    topics = [topic] if topic else list(TOPICS)
    return [question(topics[i % len(topics)], seed + i, level) for i in range(count)]
