"""The README's "Adding an exercise" checklist, followed in a copy of the course with a toy exercise.

The exercise goes into ``source/`` alone; ``mlgrind build`` makes its release and learner copies, and
``mlgrind grade`` scores an untouched and a solved notebook with it. The expected totals and rows come
from tests/gradesheet.py, so this also shows that the helper the other tests use follows the notebook.
"""

from __future__ import annotations

import re

import nbformat

from conftest import run
from gradesheet import gradesheet
from support import solved

A = "01_broadcasting"
POINTS = 5
SOLUTION = '''
def outer_sum(a_N, b_M):
    """out_NM[n, m] = a_N[n] + b_M[m]. a_N: (N,), b_M: (M,) -> (N, M)."""
    ### BEGIN SOLUTION
    return a_N[:, None] + b_M[None, :]
    ### END SOLUTION
'''
CHECK = '''
from mlgrind.checks import QuickCheck

with QuickCheck("outer_sum") as check:
    out_NM = outer_sum(np.array([0.0, 10.0]), np.array([1.0, 2.0, 3.0]))
    if check.shape("out_NM", out_NM, (2, 3)):
        check.close("out_NM", out_NM, [[1.0, 2.0, 3.0], [11.0, 12.0, 13.0]])
'''
HIDDEN = '''
"""Hidden: random N != M (1 included): the shape, then every entry against a loop."""
### BEGIN HIDDEN TESTS
import numpy as np
from mlgrind.checks import Checker

with Checker("outer_sum") as check:
    rng = np.random.default_rng(0)
    for N, M in [(1, 1), (1, 4), (3, 1), (5, 2)]:
        a_N, b_M = rng.normal(size=N), rng.normal(size=M)
        out_NM = outer_sum(a_N, b_M)
        if check.shape(f"outer_sum of ({N},) and ({M},)", out_NM, (N, M)):
            want = [[a_N[n] + b_M[m] for m in range(M)] for n in range(N)]
            check.close(f"outer_sum of ({N},) and ({M},)", out_NM, want)
### END HIDDEN TESTS
'''


def nbgrader_cell(make, grade_id: str, source: str, **meta):
    """A cell with the nbgrader metadata the Create Assignment toolbar gives it."""
    cell = make(source.strip("\n"), id=grade_id)
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": True, "schema_version": 3,
                                 "solution": False, "task": False, **meta}
    return cell


def add_toy_exercise(course, number: int) -> None:
    """Exercise ``number``, `outer_sum`, after the last autograded test cell of the course's source notebook."""
    path = course / "source" / A / f"{A}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    last_test = max(i for i, c in enumerate(nb.cells)
                    if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade"))
    heading = nbformat.v4.new_markdown_cell(
        f"## Exercise {number} · `outer_sum(a_N, b_M)` ({POINTS} points)\n\n"
        "Every sum of one entry of `a_N` and one of `b_M`, as an `(N, M)` table, by broadcasting.", id="md-outer-sum")
    nb.cells[last_test + 1:last_test + 1] = [
        heading,
        nbgrader_cell(nbformat.v4.new_code_cell, "outer_sum", SOLUTION, locked=False, solution=True),
        nbgrader_cell(nbformat.v4.new_code_cell, "check_outer_sum", CHECK),
        nbgrader_cell(nbformat.v4.new_code_cell, "test_outer_sum", HIDDEN, grade=True, points=POINTS),
    ]
    nbformat.write(nb, str(path))


def table(out: str) -> dict[str, str]:
    """Row title -> the rest of its row, from `mlgrind grade`'s table (a title ends at two spaces)."""
    rows = {}
    for line in out.splitlines()[2:]:
        if not line.strip() or line.startswith("("):
            break
        title = re.split(r"\s{2,}", line)[0]
        rows[title] = line[len(title):].strip()
    return rows


def test_an_exercise_added_to_source_is_built_graded_and_counted(course):
    before = gradesheet(A, course)
    number = len({cell.label for cell in before.autograded}) + 1
    add_toy_exercise(course, number)
    sheet = gradesheet(A, course)
    label = f"Exercise {number} · `outer_sum(a_N, b_M)`"
    assert sheet["test_outer_sum"].label == label and sheet.total == before.total + POINTS

    built = run(["mlgrind", "build", "01"], course)
    assert built.returncode == 0, built.stderr
    release = course / "release" / A / f"{A}.ipynb"
    released = release.read_text(encoding="utf-8")
    assert "raise NotImplementedError" in released and "a_N[:, None] + b_M[None, :]" not in released
    assert "for m in range(M)" not in released  # the hidden test stays in source/
    assert (course / "notebooks" / f"{A}.ipynb").read_bytes() == release.read_bytes()

    untouched = run(["mlgrind", "grade", "01"], course)
    assert untouched.returncode == 0, untouched.stderr
    rows = table(untouched.stdout)
    assert list(rows) == sheet.labels, untouched.stdout
    assert re.fullmatch(rf"0/{POINTS}\s+not attempted\s+its cell still raises NotImplementedError", rows[label])
    assert sheet.score_line(0) in untouched.stdout

    nbformat.write(solved(course, A), str(course / "notebooks" / f"{A}.ipynb"))
    answered = run(["mlgrind", "grade", "01"], course)
    assert answered.returncode == 0, answered.stderr
    rows = table(answered.stdout)
    assert list(rows) == sheet.labels, answered.stdout
    assert re.fullmatch(rf"{POINTS}/{POINTS}\s+pass", rows[label])
    assert sheet.score_line(sheet.total) in answered.stdout
    assert answered.stdout.splitlines()[-1].startswith("next: every autograded exercise passes")
