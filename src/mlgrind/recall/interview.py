"""``mlgrind interview``: a timed mock interview over the notebooks done so far, each answer rated on its rubric.

One question at a time: its text and a time budget; the learner types an answer, or speaks it and
types ``done``; every line's prompt shows the time used. Then the rubric and the model answer, a y/n
per rubric point, and the rating becomes a review of that question (recall.scheduler), saved at
once. EOF or Ctrl-C ends the interview: everything rated so far is kept and scheduled.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..course import Course, CourseError
from ..course.rubrics import rubric_lines
from . import memory_states
from .bank import InterviewQuestion, questions
from .rating import rate, rated_score
from .scheduler import rubric_rating, utc_now
from .words import plural

__all__ = ["Rated", "ask_question", "pick", "resolve_topics", "run"]

QUESTION_SECONDS = 180  # the budget shown for each question


@dataclass(frozen=True)
class Rated:
    question: InterviewQuestion
    score: float
    seconds: float

    @property
    def full(self) -> bool:
        return self.score >= self.question.rubric.points


def clock_text(seconds: float) -> str:
    """Seconds as minutes and seconds.

    >>> clock_text(75.4), clock_text(180)
    ('1:15', '3:00')
    """
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def resolve_topics(course: Course, names: list[str]) -> list[str]:
    """Assignments named by id, number (``02``) or name (``matmul_einsum``, ``matmul``); CourseError otherwise."""
    found = []
    for name in names:
        matches = [a for a in course.assignments()
                   if name in (a, a.split("_", 1)[0]) or a.split("_", 1)[-1].startswith(name.lower())
                   or (name.isdigit() and a.split("_", 1)[0].isdigit() and int(a.split("_", 1)[0]) == int(name))]
        if len(matches) != 1:
            raise CourseError(f"unknown topic {name!r}; valid: {', '.join(course.assignments())} (or their numbers)")
        found += [m for m in matches if m not in found]
    return found


def ask_question(q: InterviewQuestion, ask: Callable[[str], str], say: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic, budget: float = QUESTION_SECONDS) -> Rated:
    """Ask ``q``, show its rubric and model answer, and have the learner rate each point.

    EOFError and KeyboardInterrupt propagate, so a question not fully rated is never kept.
    """
    say(q.text)
    say(f"  you have {clock_text(budget)}: answer out loud or type it; a line with just 'done' ends your answer")
    start = clock()
    while ask(f"  [{clock_text(clock() - start)} / {clock_text(budget)}] ").strip().lower() != "done":
        pass
    seconds = clock() - start
    say(f"  time: {clock_text(seconds)}" + (f", over the {clock_text(budget)} budget" if seconds > budget else ""))
    for line in rubric_lines(q.rubric):
        say("  " + line)
    said = rate(q.rubric, ask, say)
    return Rated(q, rated_score(q.rubric, said), seconds)


def record(course: Course, rated: Rated, now: datetime) -> None:
    points = rated.question.rubric.points
    memory_states.record(course, rated.question.item, rubric_rating(rated.score, points), now, rated.score, points,
                   rated.seconds)


def pick(course: Course, assignments: list[str], now: datetime, count: int, rng: random.Random) -> list[InterviewQuestion]:
    """``count`` questions: those due first (most overdue first), then ones never asked, then the rest."""
    states = memory_states.stored(course)
    pool = questions(course, assignments)
    seen = sorted((q for q in pool if q.id in states), key=lambda q: states[q.id].card.due)
    fresh = [q for q in pool if q.id not in states]
    rng.shuffle(fresh)
    due = [q for q in seen if states[q.id].card.due <= now]
    later = [q for q in seen if states[q.id].card.due > now]
    return (due + fresh + later)[:count]


def run(course: Course, assignments: list[str], minutes: float, ask: Callable[[str], str] = input,
        say: Callable[[str], None] = print, clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utc_now, rng: random.Random | None = None) -> list[Rated]:
    """The whole interview: questions until ``minutes`` are used; a score per topic and what to revisit."""
    count = max(1, int(minutes * 60 // QUESTION_SECONDS))
    chosen = pick(course, assignments, now(), count, rng or random.Random())
    say(f"mock interview: {plural(len(chosen), 'question')} from {', '.join(assignments)}, "
        f"about {plural(minutes, 'minute')} "
        "(Ctrl-D or Ctrl-C stops; what you have rated is saved)")
    start, done = clock(), []
    try:
        for number, q in enumerate(chosen, 1):
            if clock() - start >= minutes * 60:
                say(f"\ntime is up ({plural(minutes, 'minute')})")
                break
            say(f"\n[{number}/{len(chosen)}] {q.assignment} · {q.kind}")
            rated = ask_question(q, ask, say, clock)
            record(course, rated, now())
            done.append(rated)
    except (EOFError, KeyboardInterrupt):
        rated = plural(len(done), "rated answer")
        say(f"\nstopped early; saved and scheduled: {rated} (not the question you were on)")
    for line in summary(done):
        say(line)
    return done


def summary(done: list[Rated]) -> list[str]:
    """A score per topic and the questions to revisit."""
    if not done:
        return ["\nno question was rated"]
    lines = ["\nscore per topic:"]
    for assignment in dict.fromkeys(r.question.assignment for r in done):
        mine = [r for r in done if r.question.assignment == assignment]
        lines.append(f"  {assignment}: {sum(r.score for r in mine):g}/{sum(r.question.rubric.points for r in mine):g}")
    revisit = [r for r in done if not r.full]
    lines.append("to revisit (the review schedule brings them back soon): "
                 + (", ".join(r.question.id.removeprefix("interview:") for r in revisit) if revisit else "none"))
    return lines
