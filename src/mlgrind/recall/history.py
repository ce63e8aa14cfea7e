"""What a learner has done: self-grades, drill answers, and self-rated interview answers.

Self-ratings of an interview answer against its rubric stay here: no gradebook ever sees them.

Kept in a small SQLite file beside the gradebook (``autograder/progress.db``, git-ignored, opened
and migrated by ``progressdb``), apart from the notebooks so ``reset`` never touches it; each record
is one transaction, so a crash mid-write loses at most that record.
"""

from __future__ import annotations

import time
from contextlib import closing
from types import SimpleNamespace

from ..course import Course
from . import progressdb


def record_grade(course: Course, assignment: str, score: float, max_score: float, via: str = "grade",
                 cells=()) -> None:
    """One self-grade, with each exercise's label, status and points (``cells`` of a ``selfgrade.Report``)."""
    at = time.time()
    with closing(progressdb.connect(course)) as db, db:
        db.execute("INSERT INTO grades VALUES (?, ?, ?, ?, ?)", (assignment, score, max_score, via, at))
        db.executemany("INSERT INTO exercises VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [(assignment, c.exercise, c.status, c.score, c.max_score, via, at) for c in cells])


def record_rating(course: Course, assignment: str, score: float, max_score: float, said: list[bool]) -> None:
    """One self-rating of the interview answer; ``said`` holds y/n per rubric item, kept as "yyn"-style text."""
    with closing(progressdb.connect(course)) as db, db:
        db.execute("INSERT INTO interview_ratings VALUES (?, ?, ?, ?, ?)",
                   (assignment, score, max_score, "".join("y" if yes else "n" for yes in said), time.time()))


def _with_interviews(ratings: dict[str, str], interviews: list[tuple]) -> dict[str, str]:
    """Each assignment's written-answer column: its ``grade --rate`` score, then its interview questions' latest
    ratings summed ("4/6 over 2 interview questions")."""
    latest = {item: (assignment, score, points) for item, assignment, score, points in interviews}  # by time: last wins
    shown = dict(ratings)
    for assignment in dict.fromkeys(a for a, _, _ in latest.values()):
        mine = [(score, points) for a, score, points in latest.values() if a == assignment]
        text = (f"{sum(s for s, _ in mine):g}/{sum(p for _, p in mine):g} over "
                f"{len(mine)} interview question{'s' * (len(mine) > 1)}")
        shown[assignment] = f"{shown[assignment]}; {text}" if assignment in shown else text
    return shown


def graded_assignments(course: Course) -> list[str]:
    """The assignments self-graded at least once, in course order."""
    with closing(progressdb.connect(course)) as db:
        graded = {row[0] for row in db.execute("SELECT DISTINCT assignment FROM grades")}
    return [a for a in course.assignments() if a in graded]


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))


def report(course: Course) -> str:
    """Each assignment's best and latest self-grade, drills per topic, the review schedule, and what to do next."""
    with closing(progressdb.connect(course)) as db:
        grades = db.execute("SELECT assignment, score, max_score, at FROM grades ORDER BY at").fetchall()
        ratings = dict(db.execute("SELECT assignment, printf('%g/%g', score, max_score) FROM interview_ratings ORDER BY at"))
        drills = db.execute("SELECT topic, COUNT(*), SUM(correct) FROM drills GROUP BY topic ORDER BY topic").fetchall()
        interviews = db.execute("SELECT item, topic, score, max_score FROM reviews WHERE kind = 'interview' "
                                "ORDER BY at").fetchall()
    ratings = _with_interviews(ratings, interviews)
    rows = [("assignment", "best", "latest", "when", "written answers (self-rated)")]
    next_up = None
    for assignment in course.assignments():
        mine = [g for g in grades if g[0] == assignment]
        if not mine:
            rows.append((assignment, "-", "-", "not graded yet", ratings.get(assignment, "-")))
            next_up = next_up or assignment
            continue
        best = max(mine, key=lambda g: g[1] / g[2] if g[2] else 0)
        latest = mine[-1]
        rows.append((assignment, f"{best[1]:g}/{best[2]:g}", f"{latest[1]:g}/{latest[2]:g}", _when(latest[3]),
                     ratings.get(assignment, "-")))
        if best[1] < best[2]:
            next_up = next_up or assignment
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.append("")
    if drills:
        done = ", ".join(f"{topic} {right}/{count} ({100 * right / count:.0f}%)" for topic, count, right in drills)
        lines.append(f"drills: {done}")
    else:
        lines.append("drills: none yet (mlgrind drill)")
    lines += _review_lines(course)
    if next_up:
        lines += _next_lines(course, next_up)
    else:
        lines.append("next: every assignment is at full marks; keep drilling")
    return "\n".join(lines)


def _review_lines(course: Course) -> list[str]:
    from .families import FAMILIES
    from .memory_states import stored
    from .scheduler import utc_now
    from .stats import review_lines

    new = sum(f"drill:{f.name}" not in stored(course) for f in FAMILIES.values())
    return review_lines(course, utc_now(), new)


def _next_lines(course: Course, assignment: str) -> list[str]:
    """What is left in ``assignment`` by its latest self-grade, and the one step to take, as ``mlgrind grade`` says it."""
    from ..course.exercises import later_assignment, next_step

    with closing(progressdb.connect(course)) as db:
        latest = db.execute("SELECT MAX(at) FROM exercises WHERE assignment = ?", (assignment,)).fetchone()[0]
        rows = db.execute("SELECT exercise, status, score, max_score, via FROM exercises WHERE assignment = ? AND at = ?",
                          (assignment, latest)).fetchall()
    number = assignment.split("_")[0]
    if not rows:
        return [f"next: {assignment} - open notebooks/{assignment}.ipynb, then `mlgrind grade {number}`"]
    cells = [SimpleNamespace(exercise=e, status=st, score=sc, max_score=mx) for e, st, sc, mx, _ in rows]
    left = [f"{c.exercise} ({c.status})" for c in cells if c.status not in ("pass", "manual")]
    step = next_step(cells, assignment, later_assignment(course.assignments(), assignment), command=rows[0][4])
    return [f"to do in {assignment}: " + ", ".join(left), step.replace("next: ", f"next: {assignment}: ", 1)]
