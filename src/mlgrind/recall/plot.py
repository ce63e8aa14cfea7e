"""``mlgrind progress --plot FILE``: reviews per day and the share recalled, over time (matplotlib).

Retention here is measured, not predicted: the share of a day's reviews that were not rated Again
(a right drill answer, an interview answer covering at least half its rubric).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..course import Course
from . import reviews
from .scheduler import Rating

__all__ = ["check_format", "daily", "plot_reviews"]


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
    for *_, rating, _score, _max, when in reviews.log(course):
        day = when.astimezone().date().isoformat()
        total[day] += 1
        recalled[day] += rating != Rating.Again
    return [(day, total[day], recalled[day] / total[day]) for day in sorted(total)]


def plot_reviews(course: Course, path: Path) -> Path:
    """Draw the reviews per day (bars) and the share recalled (line) into ``path``; the format follows its suffix."""
    import matplotlib

    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.pyplot as plt

    days = daily(course)
    figure, count_axis = plt.subplots(figsize=(8, 4), layout="constrained")
    if days:
        labels, counts, shares = zip(*days)
        count_axis.bar(labels, counts, color="#9ab8d8", label="reviews")
        share_axis = count_axis.twinx()
        share_axis.plot(labels, [100 * s for s in shares], color="#b3261e", marker="o", label="recalled")
        share_axis.set_ylim(0, 105)
        share_axis.set_ylabel("recalled (%)")
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
