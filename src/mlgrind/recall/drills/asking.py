"""Asking and answering by topic name: what the command line, the widget, a session and review call."""

from __future__ import annotations

import random

from .registry import TOPICS, Answer, Question, find
from .shape_answers import parse_shape_answer

__all__ = ["explain", "is_right", "parse_answer", "question", "questions"]


def question(topic: str, seed: int, level: int = 2) -> Question:
    """The ``seed``-th question of ``topic`` at ``level`` (1 easy to 3 hard); the same every time."""
    return find(topic).generate(random.Random(f"{topic}:{level}:{seed}"), level)


def questions(topic: str | None, count: int, seed: int, level: int = 2) -> list[Question]:
    """``count`` questions of ``topic`` (or of all topics, in turn), from ``seed`` on."""
    topics = [topic] if topic else list(TOPICS)
    return [question(topics[i % len(topics)], seed + i, level) for i in range(count)]


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
    return find(topic).parse(text) if topic else parse_shape_answer(text)
