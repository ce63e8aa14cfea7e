"""``mlgrind interview``: a timed mock interview over the notebooks done so far, each answer rated on its rubric.

One question at a time, for as long as the interview lasts: its text and a time budget; the learner
types an answer, or speaks it and types ``done``; every line's prompt shows the time used. Then the
rubric and the model answer, a y/n per rubric point, and the rating becomes a review of that
question (recall.scheduler), saved at once. EOF or Ctrl-C ends the interview: everything rated so
far is kept and scheduled, the points of a question rated in part included (the points not yet
rated count as not covered).
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

__all__ = ["Rated", "RatedInPart", "ask_question", "pick", "resolve_topics", "run"]

QUESTION_SECONDS = 180  # the budget shown for each question


@dataclass(frozen=True)
class Rated:
    question: InterviewQuestion
    score: float
    seconds: float
    points_rated: int | None = None  # rubric points rated before a stop; None: all of them

    @property
    def full(self) -> bool:
        return self.score >= self.question.rubric.points


class RatedInPart(Exception):
    """The learner stopped while rating: ``rated`` keeps the points rated so far (the rest count as not covered)."""

    def __init__(self, rated: Rated):
        super().__init__(rated)
        self.rated = rated


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

    EOFError and KeyboardInterrupt propagate before the first point is rated; a stop after some
    points are rated raises RatedInPart holding them, so the caller keeps what the learner said.
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
    said: list[bool] = []
    try:
        rate(q.rubric, ask, say, said)
    except (EOFError, KeyboardInterrupt) as stop:
        if said:
            raise RatedInPart(Rated(q, rated_score(q.rubric, said), seconds, len(said))) from stop
        raise
    return Rated(q, rated_score(q.rubric, said), seconds)


def record(course: Course, rated: Rated, now: datetime) -> None:
    points = rated.question.rubric.points
    memory_states.record(course, rated.question.item, rubric_rating(rated.score, points), now, rated.score, points,
                   rated.seconds)


def pick(course: Course, assignments: list[str], now: datetime, rng: random.Random) -> list[InterviewQuestion]:
    """Every question of ``assignments`` in the order to ask them: those due first (most overdue first), then
    ones never asked (a notebook's own "say it out loud" before its follow-ups), then the rest."""
    states = memory_states.stored(course)
    pool = questions(course, assignments)
    seen = sorted((q for q in pool if q.id in states), key=lambda q: states[q.id].card.due)
    fresh = [q for q in pool if q.id not in states]
    rng.shuffle(fresh)
    fresh.sort(key=lambda q: q.kind != "say it out loud")  # stable: shuffled within each kind
    due = [q for q in seen if states[q.id].card.due <= now]
    later = [q for q in seen if states[q.id].card.due > now]
    return due + fresh + later


def label(q: InterviewQuestion, asked: list[InterviewQuestion]) -> str:
    """How the question is introduced: a follow-up only after a question of its notebook came up."""
    if q.kind == "follow-up" and not any(a.assignment == q.assignment for a in asked):
        return "question"
    return q.kind


def run(course: Course, assignments: list[str], minutes: float, ask: Callable[[str], str] = input,
        say: Callable[[str], None] = print, clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utc_now, rng: random.Random | None = None) -> list[Rated]:
    """The whole interview: questions until ``minutes`` are spent (or the bank runs out); a score per topic
    and what to revisit."""
    chosen = pick(course, assignments, now(), rng or random.Random())
    say(f"mock interview: {plural(minutes, 'minute')} of questions from {', '.join(assignments)}, "
        f"one after another until the time is spent "
        "(Ctrl-D or Ctrl-C stops; what you have rated is saved)")
    start, done, asked = clock(), [], []
    try:
        for number, q in enumerate(chosen, 1):
            left = minutes * 60 - (clock() - start)
            if left <= 0:
                say(f"\ntime is up ({plural(minutes, 'minute')})")
                break
            say(f"\n[{number}] {q.assignment} · {label(q, asked)} · {clock_text(left)} left in the interview")
            asked.append(q)
            rated = ask_question(q, ask, say, clock)
            record(course, rated, now())
            done.append(rated)
        else:
            say(f"\nthat was every question of {', '.join(assignments)}")
    except RatedInPart as stop:
        record(course, stop.rated, now())
        done.append(stop.rated)
        say(f"\nstopped early; saved and scheduled: {plural(len(done), 'rated answer')} (the last one with the "
            f"{plural(stop.rated.points_rated, 'point')} you rated; the rest count as not covered)")
    except (EOFError, KeyboardInterrupt):
        say(f"\nstopped early; saved and scheduled: {plural(len(done), 'rated answer')} "
            "(not the question you were on)")
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
