"""``mlgrind progress --plot FILE``: reviews per day and the share recalled, day by day and over 7 days (matplotlib).

The x axis is the calendar: a day without reviews is a gap, not a neighbour. Bars count each day's
reviews; the points are the share of that day's reviews recalled (not rated Again: a right drill
answer, an interview answer covering at least half its rubric); the line is the same share over
the 7 days up to each day, the trend ``mlgrind progress`` prints as its retention.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from ..course import Course
from . import memory_states
from .scheduler import Rating
from .stats import RECENT_DAYS

__all__ = ["check_format", "daily", "draw", "plot_reviews", "trend"]


def check_format(path: Path) -> None:
    """ValueError, naming the formats there are, unless matplotlib can write ``path``'s suffix."""
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    if path.suffix.lstrip(".").lower() not in formats:
        raise ValueError(f"cannot draw into {path.name!r}: end the name with one of "
                         + ", ".join(f".{f}" for f in sorted(formats)))


def daily(course: Course) -> list[tuple[date, int, float]]:
    """(local date, reviews that day, share recalled) for each day with a review, oldest first."""
    total, recalled = Counter(), Counter()
    for *_, rating, _score, _max, when in memory_states.log(course):
        day = when.astimezone().date()
        total[day] += 1
        recalled[day] += rating != Rating.Again
    return [(day, total[day], recalled[day] / total[day]) for day in sorted(total)]


def trend(course: Course, days: int = RECENT_DAYS) -> list[tuple[date, float | None]]:
    """(local date, share recalled over the ``days`` days up to it) for every calendar day from the first review
    to the last, the days without reviews included (None where the window holds no review)."""
    counts = {day: (n, share * n) for day, n, share in daily(course)}
    if not counts:
        return []
    found, day = [], min(counts)
    while day <= max(counts):
        window = [counts[d] for d in (day - timedelta(i) for i in range(days)) if d in counts]
        found.append((day, sum(r for _, r in window) / sum(n for n, _ in window) if window else None))
        day += timedelta(1)
    return found


def plot_reviews(course: Course, path: Path) -> Path:
    """Draw the reviews per day (bars) and the share recalled (points, and the 7-day line) into ``path``; the
    format follows its suffix."""
    import matplotlib.pyplot as plt

    figure = draw(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path


def draw(course: Course):
    """The figure ``plot_reviews`` saves: a calendar x axis, the legend below the axes."""
    import matplotlib

    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    days = daily(course)
    figure, count_axis = plt.subplots(figsize=(9, 4), layout="constrained")
    if days:
        when, counts, shares = zip(*days)
        bars = count_axis.bar(when, counts, width=0.8, color="#9ab8d8", label="reviews that day (left axis)")
        share_axis = count_axis.twinx()
        points = share_axis.plot(when, [100 * s for s in shares], color="#b3261e", marker="o", linestyle="none",
                                 label="recalled that day (right axis)")
        week = trend(course)
        shown = [float("nan") if r is None else 100 * r for _, r in week]  # a window without reviews: a gap
        line = share_axis.plot([d for d, _ in week], shown, color="#2e7d32",
                               label=f"recalled over {RECENT_DAYS} days (right axis)")
        share_axis.set_ylim(0, 105)
        share_axis.set_ylabel("recalled (%)")
        count_axis.set_xlim(when[0] - timedelta(days=1), when[-1] + timedelta(days=1))
        count_axis.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=10))
        count_axis.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
        figure.legend(handles=[bars, *points, *line], loc="outside lower center", ncols=3, frameon=False)
    else:
        count_axis.text(0.5, 0.5, "no reviews yet: mlgrind review", ha="center", va="center",
                        transform=count_axis.transAxes)
    count_axis.set_ylabel("reviews")
    count_axis.set_title("The ML Grind: reviews and retention")
    return figure
