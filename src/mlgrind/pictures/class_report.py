"""What a class got wrong in one assignment, counted: the numbers behind ``mlgrind report``.

Per exercise the share that passed and how the failures split by likely cause; the hardest exercises,
the scores, and the students who may need help.

``ClassResults`` holds plain records (the grading side reads them from the gradebook and the autograded
notebooks); everything here counts them and writes them out as a terminal table or a CSV, without
nbgrader. The causes are the tags of ``mlgrind.checks.causes``.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

from ..checks.causes import ALL, NOT_ATTEMPTED, NOT_GRADED

HELP_AT = 2  # exercises not attempted (or not graded) from which a student may need help
HARDEST = 3  # exercises the summary names as the hardest


@dataclass(frozen=True)
class Outcome:
    """One student's result on one autograded exercise; ``cause`` is None when it got full marks."""

    student: str
    grade_id: str  # the exercise's test cell
    score: float
    max_score: float
    cause: str | None


@dataclass
class ClassResults:
    """One assignment's outcomes for a class; ``totals`` is each student's score in the gradebook
    (written answers included), ``max_total`` the assignment's points."""

    assignment: str
    exercises: dict[str, str]  # grade_id -> the exercise's heading, in notebook order
    outcomes: list[Outcome]
    totals: dict[str, float]
    max_total: float
    missing: list[str] = field(default_factory=list)  # students in the gradebook who did not submit


@dataclass(frozen=True)
class ExerciseTally:
    grade_id: str
    exercise: str
    students: int
    passed: int
    causes: Counter

    @property
    def share_passed(self) -> float:
        return self.passed / self.students if self.students else 0.0


def tallies(results: ClassResults) -> list[ExerciseTally]:
    """Per exercise, in notebook order: how many students, how many passed, failures by cause."""
    found = []
    for grade_id, exercise in results.exercises.items():
        mine = [o for o in results.outcomes if o.grade_id == grade_id]
        causes = Counter(o.cause for o in mine if o.cause is not None)
        found.append(ExerciseTally(grade_id, exercise, len(mine), sum(o.cause is None for o in mine), causes))
    return found


def hardest(rows: list[ExerciseTally], n: int = HARDEST) -> list[ExerciseTally]:
    """The ``n`` exercises the fewest students passed (notebook order breaks ties), any passed by all left out."""
    ranked = sorted((r for r in rows if r.passed < r.students), key=lambda r: r.share_passed)
    return ranked[:n]


def needs_help(results: ClassResults, at_least: int = HELP_AT) -> dict[str, int]:
    """Student -> exercises not attempted (or not graded), for those with at least ``at_least``, most first."""
    stopped = Counter(o.student for o in results.outcomes if o.cause in (NOT_ATTEMPTED, NOT_GRADED))
    found = {s: n for s, n in stopped.items() if n >= at_least}
    return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))


def causes_in_use(rows: list[ExerciseTally]) -> list[str]:
    """The cause tags some failure has, in ``causes.ALL``'s order."""
    used = set().union(*(r.causes for r in rows)) if rows else set()
    return [tag for tag in ALL if tag in used]


def _split(causes: Counter) -> str:
    return ", ".join(f"{tag} {n}" for tag, n in sorted(causes.items(), key=lambda item: (-item[1], ALL.index(item[0]))))


def format_table(results: ClassResults, at_least: int = HELP_AT) -> str:
    """The report as a terminal reads it: one row per exercise, then the hardest, the scores, who may need help."""
    rows = tallies(results)
    lines = [f"{results.assignment}: {len(results.totals)} submissions"
             + (f", {len(results.missing)} {'student' if len(results.missing) == 1 else 'students'} did not submit"
                if results.missing else "")]
    table = [("exercise", "passed", "failures by likely cause")]
    table += [(r.exercise, f"{r.passed}/{r.students} {r.share_passed:.0%}", _split(r.causes) or "-") for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(2)]
    text = [f"{row[0].ljust(widths[0])}  {row[1].ljust(widths[1])}  {row[2]}".rstrip() for row in table]
    text.insert(1, f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * len(table[0][2])}")
    lines += [""] + text + [""]
    worst = hardest(rows)
    if worst:
        lines.append("hardest: " + "; ".join(f"{r.exercise} ({r.share_passed:.0%} passed)" for r in worst))
    if results.totals:
        scores = sorted(results.totals.values())
        middle = scores[len(scores) // 2] if len(scores) % 2 else (scores[len(scores) // 2 - 1] + scores[len(scores) // 2]) / 2
        lines.append(f"scores out of {results.max_total:g}: median {middle:g}, lowest {scores[0]:g}, highest {scores[-1]:g}")
    helped = needs_help(results, at_least)
    if helped:
        lines.append(f"may need help ({at_least} or more exercises not attempted): "
                     + ", ".join(f"{s} ({n})" for s, n in helped.items()))
    if results.missing:
        lines.append("did not submit: " + ", ".join(results.missing))
    return "\n".join(lines)


def to_csv(results: ClassResults) -> str:
    """One row per exercise: students, passed, share passed, then a column per cause (every cause, so the
    columns are the same for every assignment)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["assignment", "grade_id", "exercise", "students", "passed", "share_passed", *ALL])
    for r in tallies(results):
        writer.writerow([results.assignment, r.grade_id, r.exercise, r.students, r.passed, f"{r.share_passed:.4f}",
                         *(r.causes.get(tag, 0) for tag in ALL)])
    return out.getvalue()
