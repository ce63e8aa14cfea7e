"""The README's "Adding an exercise" checklist, followed in a copy of the course with a toy exercise.

The exercise goes into ``source/`` alone; ``mlgrind build`` makes its release and learner copies, and
``mlgrind grade`` scores an untouched and a solved notebook with it. The expected totals and rows come
from tests/gradesheet.py, so this also shows that the helper the other tests use follows the notebook.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from gradesheet import gradesheet
from support import run, solved, table_rows

A = "01_broadcasting"
POINTS = 5
SOLUTION = '''
def toy_row_sums(x_NM):
    """s_N[n] = the sum of row n. x_NM: (N, M) -> (N,)."""
    ### BEGIN SOLUTION
    return x_NM.sum(axis=1)
    ### END SOLUTION
'''
CHECK = '''
from mlgrind.checks import QuickCheck

with QuickCheck("toy_row_sums") as check:
    s_N = toy_row_sums(np.arange(6.0).reshape(2, 3))
    if check.shape("s_N", s_N, (2,)):
        check.close("s_N", s_N, [3.0, 12.0])
'''
HIDDEN = '''
# Hidden: random N and M (1 included): the shape, then each row's sum against a loop.
### BEGIN HIDDEN TESTS
import numpy as np
from mlgrind.checks import Checker

with Checker("toy_row_sums") as check:
    rng = np.random.default_rng(0)
    for N, M in [(1, 1), (1, 4), (3, 1), (5, 2)]:
        x_NM = rng.normal(size=(N, M))
        s_N = toy_row_sums(x_NM)
        if check.shape(f"toy_row_sums of ({N}, {M})", s_N, (N,)):
            check.close(f"toy_row_sums of ({N}, {M})", s_N, [sum(float(v) for v in row_M) for row_M in x_NM])
### END HIDDEN TESTS
'''


def nbgrader_cell(make, grade_id: str, source: str, **meta):
    """A cell with the nbgrader metadata the Create Assignment toolbar gives it."""
    cell = make(source.strip("\n"), id=grade_id)
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": True, "schema_version": 3,
                                 "solution": False, "task": False, **meta}
    return cell


def add_toy_exercise(course, number: int) -> None:
    """Exercise ``number``, `toy_row_sums`, after the last autograded test cell of the course's source notebook."""
    path = course / "source" / A / f"{A}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    last_test = max(i for i, c in enumerate(nb.cells)
                    if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade"))
    heading = nbformat.v4.new_markdown_cell(
        f"## Exercise {number} · `toy_row_sums(x_NM)` ({POINTS} points)\n\nThe sum of each row of `x_NM`.",
        id="md-toy-row-sums")
    nb.cells[last_test + 1:last_test + 1] = [
        heading,
        nbgrader_cell(nbformat.v4.new_code_cell, "toy_row_sums", SOLUTION, locked=False, solution=True),
        nbgrader_cell(nbformat.v4.new_code_cell, "check_toy_row_sums", CHECK),
        nbgrader_cell(nbformat.v4.new_code_cell, "test_toy_row_sums", HIDDEN, grade=True, points=POINTS),
    ]
    nbformat.write(nb, str(path))


@pytest.mark.slow
def test_an_exercise_added_to_source_is_built_graded_and_counted(course):
    before = gradesheet(A, course)
    assert "test_toy_row_sums" not in {cell.grade_id for cell in before.cells}, "the toy's name is taken"
    number = len({cell.label for cell in before.autograded}) + 1
    add_toy_exercise(course, number)
    sheet = gradesheet(A, course)
    label = f"Exercise {number} · `toy_row_sums(x_NM)`"
    assert sheet.label("test_toy_row_sums") == label and sheet.total == before.total + POINTS
    after = before.cells.index(before.autograded[-1]) + 1  # the toy's row follows the last autograded one
    assert sheet.labels == before.labels[:after] + [label] + before.labels[after:]

    built = run(["mlgrind", "build", "01"], course)
    assert built.returncode == 0, built.stderr
    release = course / "release" / A / f"{A}.ipynb"
    released = release.read_text(encoding="utf-8")
    assert "def toy_row_sums" in released and "x_NM.sum(axis=1)" not in released
    assert "row_M in x_NM" not in released  # the hidden test stays in source/
    assert (course / "notebooks" / f"{A}.ipynb").read_bytes() == release.read_bytes()

    untouched = run(["mlgrind", "grade", "01"], course)
    assert untouched.returncode == 0, untouched.stderr
    rows = table_rows(untouched.stdout)
    assert list(rows) == sheet.labels, untouched.stdout
    assert re.fullmatch(rf"0/{POINTS}\s+not attempted\s+its cell still raises NotImplementedError", rows[label])
    assert sheet.score_line(0) in untouched.stdout

    nbformat.write(solved(course, A), str(course / "notebooks" / f"{A}.ipynb"))
    answered = run(["mlgrind", "grade", "01"], course)
    assert answered.returncode == 0, answered.stderr
    rows = table_rows(answered.stdout)
    assert list(rows) == sheet.labels, answered.stdout
    assert re.fullmatch(rf"{POINTS}/{POINTS}\s+pass", rows[label])
    assert sheet.score_line(sheet.total) in answered.stdout
    assert answered.stdout.splitlines()[-1].startswith("next: every autograded exercise passes")
