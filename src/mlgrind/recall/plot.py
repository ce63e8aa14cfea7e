"""``mlgrind progress --plot FILE``: reviews per day, the share recalled and FSRS's retention estimate (matplotlib).

Two retentions are drawn. Measured: the share of a day's reviews that were not rated Again (a right
drill answer, an interview answer covering at least half its rubric). Estimated: the mean chance
FSRS gives of recalling each item reviewed so far, at the end of that day, from the review log
replayed through the scheduler (the same states ``mlgrind review`` keeps). FSRS counts whole days,
so an item reviewed that day counts as certain at its end: the estimate falls as older items decay.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

from ..course import Course
from . import memory_states
from .scheduler import Rating, retrievability, review

__all__ = ["check_format", "daily", "estimated", "plot_reviews"]


def check_format(path: Path) -> None:
    """ValueError, naming the formats there are, unless matplotlib can write ``path``'s suffix."""
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    if path.suffix.lstrip(".").lower() not in formats:
        raise ValueError(f"cannot draw into {path.name!r}: end the name with one of "
                         + ", ".join(f".{f}" for f in sorted(formats)))


def daily(course: Course) -> list[tuple[str, int, float]]:
    """(local date, reviews that day, share recalled) for each day with a review, oldest first."""
    total, recalled = Counter(), Counter()
    for *_, rating, _score, _max, when in memory_states.log(course):
        day = when.astimezone().date().isoformat()
        total[day] += 1
        recalled[day] += rating != Rating.Again
    return [(day, total[day], recalled[day] / total[day]) for day in sorted(total)]


def end_of(day: str) -> datetime:
    """The first moment after the local date ``day`` (ISO format), timezone-aware."""
    return datetime.combine(date.fromisoformat(day) + timedelta(days=1), time.min).astimezone()


def estimated(course: Course) -> list[tuple[str, float]]:
    """(local date, FSRS's mean chance of recall at the day's end over the items reviewed by then) for each
    day with a review, oldest first."""
    log = memory_states.log(course)
    cards, found, at = {}, [], 0
    for day in dict.fromkeys(when.astimezone().date().isoformat() for *_, when in log):
        end = end_of(day)
        while at < len(log) and log[at][-1] < end:
            item, *_, rating, _score, _max, when = log[at]
            card = cards.get(item) or memory_states.first_card(item, when)
            cards[item] = review(card, Rating(rating), when)
            at += 1
        found.append((day, sum(retrievability(card, end) for card in cards.values()) / len(cards)))
    return found


def plot_reviews(course: Course, path: Path) -> Path:
    """Draw the reviews per day (bars), the share recalled and FSRS's estimate (lines) into ``path``; the format
    follows its suffix."""
    import matplotlib

    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.pyplot as plt

    days = daily(course)
    figure, count_axis = plt.subplots(figsize=(8, 4), layout="constrained")
    if days:
        labels, counts, shares = zip(*days)
        count_axis.bar(labels, counts, color="#9ab8d8", label="reviews")
        share_axis = count_axis.twinx()
        share_axis.plot(labels, [100 * s for s in shares], color="#b3261e", marker="o", label="recalled that day")
        share_axis.plot(labels, [100 * r for _, r in estimated(course)], color="#2e7d32", marker="s", linestyle="--",
                        label="FSRS estimate at day's end")
        share_axis.set_ylim(0, 105)
        share_axis.set_ylabel("retention (%)")
        share_axis.legend(loc="lower left")
        count_axis.tick_params(axis="x", labelrotation=45)
    else:
        count_axis.text(0.5, 0.5, "no reviews yet: mlgrind review", ha="center", va="center",
                        transform=count_axis.transAxes)
    count_axis.set_ylabel("reviews")
    count_axis.set_title("The ML Grind: reviews and retention")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
