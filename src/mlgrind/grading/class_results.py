"""A class's results in one assignment, read after autograde: scores and the likely cause of each failure.

Scores come through nbgrader's own ``Gradebook``, so a SQLite and a PostgreSQL gradebook read the same.
The cause of a failed exercise comes from its cells in ``autograded/<student>/<assignment>/``: an error
that stopped one of them (a time or memory limit, a crashed kernel) first, else the test cell's own
outcome — not attempted, a failed check's likely cause (``mlgrind.checks.causes``), or another error.
"""

from __future__ import annotations

from ..checks.causes import ERRORS, NOT_ATTEMPTED, NOT_GRADED, RAISED, cause_of
from ..course import CourseError
from ..course.exercises import headings, is_manual, judge
from ..course.settings import Settings, notebook_id
from ..pictures.class_report import ClassResults, Outcome
from .gradebook import MissingEntry, check_gradebook, open_gradebook
from .submission import NotebookUnreadable, read_notebook


def _exercise_cells(nb) -> dict[str, list]:
    """grade_id -> the cells of its exercise: those after the graded cell before it, up to it."""
    found, since = {}, []
    for cell in nb.cells:
        since.append(cell)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and meta.get("grade_id"):
            found[meta["grade_id"]] = since
            since = []
    return found


def failure_cause(cells: list, limits) -> str:
    """The likely cause of an exercise short of full marks, from its cells' outputs (the graded cell last)."""
    for cell in cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and out.get("ename") in ERRORS:
                return ERRORS[out["ename"]]
    status, message = judge(cells[-1], limits)
    if status == "not attempted":
        return NOT_ATTEMPTED
    if status == "fail":
        return cause_of(message)
    return RAISED


def read_class(settings: Settings, assignment: str) -> ClassResults:
    """Every student's outcome on every autograded exercise of ``assignment``, and their total score."""
    check_gradebook(settings)
    file = settings.gradebook_file
    if file is not None and not file.exists():  # opening it would make an empty one
        raise CourseError(f"no gradebook at {file}: generate, collect and autograde {assignment} first")
    source = read_notebook(settings.notebook("source", assignment))
    titles = headings(source)
    order = list(_exercise_cells(source))
    outcomes, totals, missing = [], {}, []
    with open_gradebook(settings) as gb:
        try:
            assignment_row = gb.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(f"{assignment} is not in the gradebook; autograde it first") from None
        max_total = float(assignment_row.max_score)
        cells_of = gb.find_notebook(notebook_id(assignment), assignment).grade_cells
        position = {name: i for i, name in enumerate(order)}
        exercises = {c.name: titles[c.name].label if c.name in titles else c.name
                     for c in sorted(cells_of, key=lambda c: position.get(c.name, len(order))) if c.cell_type == "code"}
        for student in sorted(s.id for s in gb.students):
            try:
                submission = gb.find_submission_notebook(notebook_id(assignment), assignment, student)
            except MissingEntry:
                missing.append(student)
                continue
            totals[student] = float(submission.score)
            try:
                cells = _exercise_cells(read_notebook(settings.notebook("autograded", assignment, student)))
            except NotebookUnreadable:
                cells = None
            for grade in submission.grades:
                if grade.name not in exercises or (cells is not None and is_manual(grade)):
                    continue  # a written answer, or a cell autograde left to a person
                score, max_score = float(grade.score or 0), float(grade.max_score)
                if score >= max_score:
                    cause = None
                elif cells is None:
                    cause = NOT_GRADED
                else:
                    cause = failure_cause(cells.get(grade.name) or [{}], settings.limits)
                outcomes.append(Outcome(student, grade.name, score, max_score, cause))
    return ClassResults(assignment, exercises, outcomes, totals, max_total, missing)
