"""What a drill question, family and topic are, and the one register of topics (``topic(...)``).

A topic is declared whole, once: its generator, how it explains, reads and checks an answer, its
help line, the notebook it belongs to and its families. ``TOPICS`` keeps the topics in course order
(the order drills take them in turn) and ``FAMILIES`` every topic's families in the same order, both
refilled at each registration, so drills, review, FSRS and Anki need no list of their own.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import wraps

from ..words import number

__all__ = ["FAMILIES", "LEVELS", "TOPICS", "Answer", "Family", "Question", "Topic", "family", "find", "show",
           "topic"]

LEVELS = (1, 2, 3)

Answer = tuple | str | float  # a shape, "error", a number, or a word such as "memory"

MAX_DRAWS = 2000  # a family rarer than 1 in MAX_DRAWS of its topic's questions is a mistake in its test

_NOTEBOOK = re.compile(r"\d\d_[a-z0-9_]+")  # an assignment id: its number puts it in course order


@dataclass(frozen=True)
class Question:
    topic: str  # stamped by the topic's registration: a generator may leave it ""
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
        given = ", ".join(f"{name}.shape = {tuple(shape)}" for name, shape in self.shapes.items()) or \
            "no arrays given: the expression makes its own"
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


@dataclass(frozen=True)
class Family:
    """A topic's questions of one kind ("matmul with batch dims"), reviewed on its own FSRS schedule."""

    name: str  # "matmul-batch": the item's id in the schedule and the deck; never rename one
    title: str  # "matmul with batch dims"
    level: int  # the drill level its variants are drawn at
    holds: Callable[[Question], bool]  # is this question of the family's kind?
    topic: str = ""  # filled in by the topic that lists the family

    def variant(self, seed: int) -> Question:
        """The ``seed``-th question of this family; the same every time."""
        rng = random.Random(f"{self.name}:{seed}")
        generate = find(self.topic).generate
        for _ in range(MAX_DRAWS):
            q = generate(rng, self.level)
            if self.holds(q):
                return q
        raise RuntimeError(f"no {self.title!r} question in {MAX_DRAWS} draws of {self.topic} level {self.level}")


def family(name: str, title: str, level: int, holds: Callable[[Question], bool]) -> Family:
    """A family for a topic's ``families=[...]``: its questions are the topic's for which ``holds`` is true."""
    if level not in LEVELS:
        raise ValueError(f"family {name!r}: level {level} is not one of {LEVELS}")
    return Family(name, title, level, holds)


def _same(expected: Answer, given: Answer) -> bool:
    return given == expected


def _no_slip(expected: Answer, given: Answer) -> str:
    return ""


@dataclass(frozen=True)
class Topic:
    """A drill topic: its name, one line of help, how it asks, explains, reads and checks an answer."""

    name: str
    help: str
    notebook: str  # the assignment it belongs to ("02_matmul_einsum"): the first one that drills it
    generate: Callable[[random.Random, int], Question]  # (rng, level) -> a question
    explain: Callable[[Question], str]  # why the answer is what it is
    parse: Callable[[str], Answer]  # typed text -> an answer; ValueError saying how to type one
    check: Callable[[Answer, Answer], bool]  # (the question's answer, the given one) -> right?
    oracle: str  # who gives the answer, as feedback says it: "NumPy gives (9, 4, 3)"
    placeholder: str  # an example answer, for an empty answer box
    families: tuple[Family, ...]  # every question of the topic belongs to exactly one
    slip: Callable[[Answer, Answer], str] = _no_slip  # (the answer, a wrong one) -> the likely slip, or ""


TOPICS: dict[str, Topic] = {}  # name -> Topic, in course order: the order drills take them in turn
FAMILIES: dict[str, Family] = {}  # name -> Family, in course order: the order a first review meets them


def topic(name: str, help: str, *, notebook: str, families: Sequence[Family], explain: Callable[[Question], str],
          parse: Callable[[str], Answer], oracle: str, placeholder: str,
          check: Callable[[Answer, Answer], bool] = _same, slip: Callable[[Answer, Answer], str] = _no_slip):
    """Register the decorated ``generate(rng, level)`` as the drill topic ``name``, whole.

    The command line, the widget, the drills, review, FSRS and the Anki deck all read TOPICS and
    FAMILIES, so this is the one place a topic is named. A name already taken, a topic without
    families or a family name already taken is refused here, before anything can ask it.
    """
    if name in TOPICS:
        raise ValueError(f"drill topic {name!r} is registered already; pick another name")
    if not _NOTEBOOK.fullmatch(notebook):
        raise ValueError(f"drill topic {name!r}: notebook {notebook!r} is not an assignment id such as 02_matmul_einsum")
    if not families:
        raise ValueError(f"drill topic {name!r} has no families: list at least one family(...) so that review, "
                         "FSRS and Anki see it")
    taken = [f.name for f in families if f.name in FAMILIES] + _repeated([f.name for f in families])
    if taken:
        raise ValueError(f"drill topic {name!r}: family names {', '.join(taken)} are taken already")

    def register(generate: Callable[[random.Random, int], Question]) -> Callable[[random.Random, int], Question]:
        @wraps(generate)
        def stamped(rng: random.Random, level: int) -> Question:
            return replace(generate(rng, level), topic=name)
        own = tuple(replace(f, topic=name) for f in families)
        TOPICS[name] = Topic(name, help, notebook, stamped, explain, parse, check, oracle, placeholder, own, slip)
        _keep_course_order()
        return stamped
    return register


def _repeated(names: list[str]) -> list[str]:
    return sorted({n for n in names if names.count(n) > 1})


def _keep_course_order() -> None:
    """TOPICS and FAMILIES in course order: by notebook, then as registered, then as each topic lists them."""
    in_course_order = sorted(TOPICS.values(), key=lambda t: t.notebook)  # stable: registration breaks ties
    TOPICS.clear()
    TOPICS.update((t.name, t) for t in in_course_order)
    FAMILIES.clear()
    FAMILIES.update((f.name, f) for t in in_course_order for f in t.families)


def find(name: str) -> Topic:
    """The drill topic ``name``; ValueError naming the valid ones otherwise."""
    if name not in TOPICS:
        raise ValueError(f"unknown topic {name!r}; valid: {', '.join(TOPICS)}")
    return TOPICS[name]
