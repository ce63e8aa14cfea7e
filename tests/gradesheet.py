"""What an assignment's grade table must say, read from its source notebook: rows, points, totals.

Tests compare ``mlgrind grade``, ``check``, ``progress``, the feedback report and nbgrader's scores
with a ``Gradesheet``, so an exercise added to ``source/`` moves the expected totals and rows with it.
Row titles are read here on their own, not through ``mlgrind.grading.exercises``, so that a test of
the table still catches a bug in how the package names an exercise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]

# The table names a graded cell by the nearest level-1 or level-2 heading above it, without its points:
# "## Exercise 3 · `standardize(x_BF, eps)` (3 points)" is the row "Exercise 3 · `standardize(x_BF, eps)`".
HEADING = re.compile(r"^#{1,2} +(.+?)\s*$")
POINTS = re.compile(r"\s*\([^()]*\bpoints?\b[^()]*\)$")


@dataclass(frozen=True)
class Graded:
    """One graded cell: one row of the table."""

    grade_id: str
    points: float
    label: str  # the row's title
    written: bool  # a markdown answer, read by a person; the others are autograded


@dataclass(frozen=True)
class Gradesheet:
    """The graded cells of one assignment, in notebook order (the table's order)."""

    assignment: str
    cells: tuple[Graded, ...]

    def __getitem__(self, grade_id: str) -> Graded:
        return next(cell for cell in self.cells if cell.grade_id == grade_id)

    @property
    def labels(self) -> list[str]:
        return [cell.label for cell in self.cells]

    @property
    def autograded(self) -> list[Graded]:
        return [cell for cell in self.cells if not cell.written]

    @property
    def total(self) -> float:
        """Full autograded marks: the ``15`` of ``score: 15 / 15``."""
        return sum(cell.points for cell in self.autograded)

    @property
    def read_by_a_person(self) -> float:
        """Points of the written answers: the ``2`` of ``(+2 read by a person)``."""
        return sum(cell.points for cell in self.cells if cell.written)

    def points(self, grade_id: str) -> float:
        return self[grade_id].points

    def label(self, grade_id: str) -> str:
        return self[grade_id].label

    def score_without(self, *failed: str) -> float:
        """The autograded score of a notebook that passes every test cell except ``failed``."""
        return self.total - sum(self.points(grade_id) for grade_id in set(failed))

    def first(self, *grade_ids: str) -> Graded:
        """The earliest of ``grade_ids`` in the notebook; of every autograded cell if none is given:
        the exercise a learner's "next:" line names."""
        wanted = set(grade_ids) or {cell.grade_id for cell in self.autograded}
        return next(cell for cell in self.cells if cell.grade_id in wanted)

    def score_line(self, score: float) -> str:
        """``score: 10 / 15 autograded points (+2 read by a person)``, as the table and feedback print it."""
        line = f"score: {score:g} / {self.total:g} autograded points"
        return line + (f" (+{self.read_by_a_person:g} read by a person)" if self.read_by_a_person else "")


def gradesheet(assignment: str, course: Path = REPO) -> Gradesheet:
    """The grade sheet of ``course``'s ``source/<assignment>/<assignment>.ipynb`` (the repo's by default)."""
    nb = nbformat.read(str(course / "source" / assignment / f"{assignment}.ipynb"), as_version=4)
    cells, heading = [], None
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            title = heading or meta["grade_id"]
            cells.append(Graded(meta["grade_id"], float(meta["points"]), title, cell.cell_type == "markdown"))
        elif cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                match = HEADING.match(line)
                if match:
                    heading = POINTS.sub("", match.group(1))
    return Gradesheet(assignment, tuple(cells))
