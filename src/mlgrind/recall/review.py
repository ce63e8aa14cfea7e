"""``mlgrind review``: today's due items, most overdue first, then what comes due tomorrow and the share recalled lately.

Due items are drill families and interview questions whose FSRS state says so; a drill family never
reviewed is new, and joins after the due ones. A drill family is asked as a fresh variant (never the
numbers it asked last time); an interview question as in ``mlgrind interview``. Each answer is saved
and scheduled at once, so EOF or Ctrl-C loses nothing answered.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..course import Course
from . import interview, memory_states, stats
from .bank import InterviewQuestion, questions
from .families import FAMILIES, Family, fresh_variant
from .scheduler import utc_now
from .session import DrillSession
from .terminal import answer_current
from .words import plural

__all__ = ["Summary", "due_now", "run"]

NEW_PER_SESSION = 10  # drill families met for the first time in one review


@dataclass(frozen=True)
class Due:
    item: memory_states.Item
    family: Family | None = None  # a drill family
    question: InterviewQuestion | None = None  # or an interview question
    overdue: timedelta | None = None  # None: never reviewed


@dataclass
class Summary:
    drills: int = 0
    right: int = 0
    interviews: int = 0
    points: float = 0.0  # rubric points the interview answers covered
    out_of: float = 0.0  # of so many
    reviewed: list[str] = field(default_factory=list)


def due_now(course: Course, now: datetime) -> list[Due]:
    """What to review at ``now``: due items, most overdue first, then new drill families."""
    states = memory_states.stored(course)
    bank = {q.id: q for q in questions(course, course.assignments())}
    families = {f"drill:{f.name}": f for f in FAMILIES.values()}
    found = []
    for state in stats.due(states, now):
        if state.item in families:
            f = families[state.item]
            found.append(Due(memory_states.drill_item(f), family=f, overdue=now - state.card.due))
        elif state.item in bank:  # a question since removed from the bank is not asked
            found.append(Due(bank[state.item].item, question=bank[state.item], overdue=now - state.card.due))
    new = [Due(memory_states.drill_item(f), family=f) for item, f in families.items() if item not in states]
    return found + new[:NEW_PER_SESSION]


def _when(overdue: timedelta | None) -> str:
    if overdue is None:
        return "new"
    if overdue >= timedelta(days=1):
        return f"due {plural(overdue.days, 'day')} ago"
    return "due now"


def run(course: Course, minutes: float, ask: Callable[[str], str] = input, say: Callable[[str], None] = print,
        clock: Callable[[], float] = time.monotonic, now: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None) -> Summary:
    """Review what is due for at most ``minutes``; then the summary lines."""
    rng = rng or random.Random()
    todo = due_now(course, now())
    summary = Summary()
    if not todo:
        say("nothing is due now")
    else:
        say(f"{len(todo)} to review, about {plural(minutes, 'minute')} (Ctrl-D or Ctrl-C stops; every answer is saved)")
    start = clock()
    try:
        for number, entry in enumerate(todo, 1):
            if clock() - start >= minutes * 60:
                say(f"\ntime is up ({plural(minutes, 'minute')}); {len(todo) - number + 1} still due")
                break
            say(f"\n[{number}/{len(todo)}] {entry.item.title} ({_when(entry.overdue)})")
            if entry.family is not None:
                _drill(course, entry.family, ask, say, clock, now, rng, summary)
            else:
                try:
                    rated = interview.ask_question(entry.question, ask, say, clock)
                except interview.RatedInPart as stop:
                    _keep_interview(course, stop.rated, now, summary, entry)
                    raise KeyboardInterrupt from stop
                _keep_interview(course, rated, now, summary, entry)
                continue
            summary.reviewed.append(entry.item.title)
    except (EOFError, KeyboardInterrupt):
        say(f"\nstopped early; saved and scheduled: {plural(len(summary.reviewed), 'answer')}")
    for line in closing_lines(course, summary, now()):
        say(line)
    return summary


def _keep_interview(course: Course, rated: interview.Rated, now: Callable[[], datetime], summary: Summary,
                    entry: Due) -> None:
    interview.record(course, rated, now())
    summary.interviews += 1
    summary.points += rated.score
    summary.out_of += rated.question.rubric.points
    summary.reviewed.append(entry.item.title)


def _drill(course: Course, family: Family, ask: Callable[[str], str], say: Callable[[str], None],
           clock: Callable[[], float], now: Callable[[], datetime], rng: random.Random, summary: Summary) -> None:
    """Ask a fresh variant of ``family``; the answer is saved and scheduled by its DrillSession."""
    last = memory_states.stored(course).get(f"drill:{family.name}")
    seeds = (rng.randrange(10**9) for _ in itertools.count())
    q = fresh_variant(family, last.last_variant if last else "", seeds)
    session = DrillSession([q], course, clock=clock, now=now)
    session.next()
    outcome = answer_current(session, ask, say)
    summary.drills += 1
    summary.right += outcome.correct


def closing_lines(course: Course, summary: Summary, now: datetime) -> list[str]:
    """What was reviewed, what comes due by tomorrow (one per line), and the share recalled lately."""
    states = memory_states.stored(course)
    parts = []
    if summary.drills:
        parts.append(f"drills {summary.right}/{summary.drills} right")
    if summary.interviews:
        parts.append(f"{plural(summary.interviews, 'interview question')} {summary.points:g}/{summary.out_of:g} "
                     "rubric points")
    soon = stats.due_between(states, now, now + timedelta(days=1))
    names = {f"drill:{f.name}": f.title for f in FAMILIES.values()}
    return [f"\nreviewed: {len(summary.reviewed)}" + (f" ({', '.join(parts)})" if parts else ""),
            f"due by this time tomorrow: {len(soon)}" + (":" if soon else ""),
            *(f"  - {names.get(s.item, s.item.removeprefix('interview:'))}" for s in soon),
            stats.retention_line(course, now)]
