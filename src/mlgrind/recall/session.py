"""One drill session's score: questions one at a time, each answer checked, counted, recorded and scheduled."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from ..course import Course
from . import memory_states
from .drills import Answer, Question, explain, find, is_right, parse_answer, show
from .families import family_of
from .scheduler import utc_now

__all__ = ["DrillSession", "Outcome"]


@dataclass(frozen=True)
class Outcome:
    """What one answer earned: whether it was right, and why the answer is what it is."""

    question: Question
    given: Answer  # the answer as read: a shape, "error", a number or a word
    correct: bool
    explanation: str  # the shape rule's steps or the formula's working; "" for a right answer

    @property
    def said(self) -> str:
        return show(self.given)

    @property
    def shown(self) -> str:
        """The question's answer."""
        return show(self.question.answer)

    @property
    def oracle(self) -> str:
        """Who gives the answer: "NumPy" for a shape, "the formula" for a cost."""
        return find(self.question.topic).oracle


class DrillSession:
    """Questions one at a time with a running score; the terminal drill and DrillWidget both keep one.

    ``next()`` moves on; ``answer(text)`` checks the current question, once. ``right``, ``asked``,
    ``streak`` (right answers in a row, now) and ``best`` (the longest streak) count answered
    questions; with a ``course`` each answer is also recorded in its progress, and is a review of the
    question's drill family (rated by whether it was right and how long it took)::

        >>> from .drills import questions
        >>> session = DrillSession(questions("matmul", 2, seed=0))
        >>> q = session.next()
        >>> session.answer(show(q.answer)).correct, session.right, session.asked, session.streak
        (True, 1, 1, 1)
        >>> session.next() is not None, session.answer("1,2,3,4,5,6,7").correct, session.streak, session.best
        (True, False, 0, 1)
        >>> session.next() is None
        True
    """

    def __init__(self, questions: Iterable[Question], course: Course | None = None,
                 clock: Callable[[], float] = time.monotonic, now: Callable[[], datetime] = utc_now):
        self._questions = iter(questions)
        self.course = course  # None: nowhere to keep the score (outside a course)
        self.clock, self.now = clock, now
        self.asked_at = 0.0  # when the current question was shown, by ``clock``
        self.current: Question | None = None
        self.answered = False  # the current question has had its answer
        self.number = 0  # the current question's place, from 1
        self.right = self.asked = self.streak = self.best = 0

    def next(self) -> Question | None:
        """The next question (None when there are no more); it becomes ``current``."""
        self.current = next(self._questions, None)
        self.answered = False
        self.number += self.current is not None
        self.asked_at = self.clock()
        return self.current

    def answer(self, text: str) -> Outcome:
        """Score ``text`` against the current question's answer, read and checked as its topic does.

        Text that is not an answer raises ValueError saying why, and counts for nothing, so the
        learner can type again; a second answer to the same question raises RuntimeError.
        """
        q = self.current
        if q is None or self.answered:
            raise RuntimeError("no question is waiting for an answer: call next() first")
        given = parse_answer(text, q.topic)
        correct = is_right(q, given)
        self.answered = True
        self.asked += 1
        self.right += correct
        self.streak = self.streak + 1 if correct else 0
        self.best = max(self.best, self.streak)
        if self.course is not None:
            memory_states.record_drill(self.course, family_of(q), q, correct, self.clock() - self.asked_at, self.now())
        if correct:
            return Outcome(q, given, correct, "")
        slip = find(q.topic).slip(q.answer, given)
        return Outcome(q, given, correct, (f"{slip}\n" if slip else "") + explain(q))
