"""What the review schedule says: items due per topic, due soon, the share recalled lately, the review streak.

Everything is computed from the stored states and the review log at a given ``now``, so the same
numbers come out in ``mlgrind review``'s summary, ``mlgrind progress`` and a test with a fixed clock.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from ..course import Course
from . import memory_states
from .memory_states import Stored
from .scheduler import retrievability
from .words import plural

__all__ = ["RECENT_DAYS", "due", "due_between", "recalled_lately", "retention", "retention_line", "review_lines",
           "streak"]

RECENT_DAYS = 7  # the window of the measured retention


def due(states: dict[str, Stored], now: datetime) -> list[Stored]:
    """The stored items due at ``now``, most overdue first."""
    return sorted((s for s in states.values() if s.card.due <= now), key=lambda s: s.card.due)


def due_between(states: dict[str, Stored], start: datetime, end: datetime) -> list[Stored]:
    """Items that come due after ``start`` and by ``end``, soonest first."""
    return sorted((s for s in states.values() if start < s.card.due <= end), key=lambda s: s.card.due)


def retention(states: dict[str, Stored], now: datetime) -> float | None:
    """The mean chance FSRS gives of recalling each reviewed item at ``now``; None before any review."""
    if not states:
        return None
    return sum(retrievability(s.card, now) for s in states.values()) / len(states)


def recalled_lately(course: Course, now: datetime, days: int = RECENT_DAYS) -> tuple[int, int]:
    """(reviews recalled, reviews) in the ``days`` before ``now``: recalled is any rating but Again."""
    from .scheduler import Rating

    since = now - timedelta(days=days)
    ratings = [rating for *_, rating, _score, _max, when in memory_states.log(course) if since <= when <= now]
    return sum(r != Rating.Again for r in ratings), len(ratings)


def retention_line(course: Course, now: datetime) -> str:
    """The measured retention, saying what it is: the share of the last week's reviews recalled.

    FSRS's own estimate is not shown: it rates an item reviewed today as certain, whatever the answer.
    """
    recalled, total = recalled_lately(course, now)
    if not total:
        return f"retention: no reviews in the last {RECENT_DAYS} days"
    return (f"retention: {recalled} of {plural(total, 'review')} recalled in the last {RECENT_DAYS} days "
            f"({recalled / total:.0%}; recalled = a right drill answer, or an interview answer covering at least "
            "half its rubric)")


def streak(days: set[date], today: date) -> int:
    """Days in a row with a review, ending today (or yesterday, when today has none yet).

    >>> d = date(2025, 3, 10)
    >>> streak({d, d - timedelta(1), d - timedelta(2), d - timedelta(5)}, d), streak({d - timedelta(1)}, d), streak(set(), d)
    (3, 1, 0)
    """
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count, day = count + 1, day - timedelta(days=1)
    return count


def review_days(course: Course) -> set[date]:
    """The local dates on which the learner reviewed something."""
    return {when.astimezone().date() for *_, when in memory_states.log(course)}


def review_lines(course: Course, now: datetime, new_drills: int) -> list[str]:
    """``mlgrind progress``'s review section: due per topic, retention, streak."""
    states = memory_states.stored(course)
    by_topic = Counter(s.topic for s in due(states, now))
    if new_drills:
        by_topic["new drill families"] = new_drills
    shown = ", ".join(f"{topic} {count}" for topic, count in by_topic.items()) or "nothing"
    return [f"review: due now: {shown} (mlgrind review)",
            retention_line(course, now),
            f"review streak: {plural(streak(review_days(course), now.astimezone().date()), 'day')}"]


