"""When to review an item next: the FSRS algorithm (the ``fsrs`` package), and how an answer becomes a rating.

A drill answer rates its family: wrong is Again; right is Good, Easy when it came fast and Hard
when it came slowly. An interview answer is rated by the share of its rubric the learner says it
covered. Every function takes the time as ``now`` (timezone-aware), so a test controls the clock::

    >>> from datetime import datetime, timezone
    >>> now = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)
    >>> wrong = review(new_card(1, now), drill_rating(False, 5.0), now)
    >>> right = review(new_card(2, now), drill_rating(True, 20.0), now)
    >>> wrong.due < right.due
    True
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fsrs import Card, Rating, Scheduler

__all__ = ["Card", "Rating", "drill_rating", "is_due", "new_card", "retrievability", "review", "rubric_rating", "utc_now"]

FAST_SECONDS = 10.0  # a right drill answer this quick is Easy
SLOW_SECONDS = 45.0  # a right drill answer this slow is Hard

# Fuzzing (a random spread of intervals) is off: the same answers give the same schedule, which a
# learner can reason about and a test can check.
SCHEDULER = Scheduler(desired_retention=0.9, enable_fuzzing=False)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_card(card_id: int, now: datetime) -> Card:
    """A memory state never reviewed, due ``now``."""
    return Card(card_id=card_id, due=now)


def drill_rating(correct: bool, seconds: float) -> Rating:
    """Again for a wrong answer; Easy, Good or Hard for a right one by the time it took.

    >>> [drill_rating(*a).name for a in [(False, 2), (True, 2), (True, 20), (True, 90)]]
    ['Again', 'Easy', 'Good', 'Hard']
    """
    if not correct:
        return Rating.Again
    if seconds <= FAST_SECONDS:
        return Rating.Easy
    if seconds >= SLOW_SECONDS:
        return Rating.Hard
    return Rating.Good


def rubric_rating(score: float, max_score: float) -> Rating:
    """Again below half the rubric, Hard below all of it, Good for all of it.

    >>> [rubric_rating(s, 2).name for s in (0, 0.5, 1, 1.5, 2)]
    ['Again', 'Again', 'Hard', 'Hard', 'Good']
    """
    share = score / max_score if max_score else 0.0
    if share < 0.5:
        return Rating.Again
    return Rating.Good if share >= 1 else Rating.Hard


def review(card: Card, rating: Rating, now: datetime, seconds: float | None = None) -> Card:
    """``card`` after one review at ``now``."""
    duration = None if seconds is None else int(seconds * 1000)
    return SCHEDULER.review_card(card, rating, review_datetime=now, review_duration=duration)[0]


def is_due(card: Card, now: datetime, within: timedelta = timedelta(0)) -> bool:
    return card.due <= now + within


def retrievability(card: Card, now: datetime) -> float:
    """The chance FSRS gives of recalling ``card`` at ``now`` (0 for one never reviewed)."""
    return SCHEDULER.get_card_retrievability(card, current_datetime=now)
