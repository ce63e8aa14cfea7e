"""A class graded while the machine is oversubscribed loses no grade.

A dozen ``01_broadcasting`` submissions are graded with ``mlgrind autograde --jobs 2`` on the SQLite and
the PostgreSQL gradebook while busy processes keep every core loaded; every submission must get exactly
the score it gets on a quiet machine.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from answer_classes import load_answers, submit
from gradesheet import gradesheet
from support import copy_course, replace_solution, run, solved

pytestmark = pytest.mark.class_scale

A = "01_broadcasting"
WRONG = load_answers(A).WRONG
PARTIAL = ["broadcast_left_aligned", "standardize_per_row", "mse_sum_not_mean"]
HOGS_PER_CORE = 2


def expected_scores(course, students) -> dict[str, float]:
    """student -> the autograded score: full marks less the one exercise a partial answer gets wrong."""
    sheet = gradesheet(A, course)
    return {s: sheet.score_without(WRONG[s.removeprefix("partial-")][1]) if s.startswith("partial-") else sheet.total
            for s in students}


@pytest.fixture
def hogs():
    """Busy processes beside the grading: every core oversubscribed for the whole test."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
             for _ in range(HOGS_PER_CORE * (os.cpu_count() or 1))]
    yield procs
    for proc in procs:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_class_graded_on_a_loaded_machine_loses_no_grade(request, tmp_path, hogs, database):
    from nbgrader.api import Gradebook

    course = copy_course(tmp_path / "course")
    if database == "postgresql":
        url = request.getfixturevalue("postgres").database()
        db_env = {"MLGRIND_DB_URL": url}
    else:
        url = f"sqlite:///{course}/autograder/gradebook.db"
        db_env = {}
    students = [f"correct-{i:02d}" for i in range(9)] + [f"partial-{key}" for key in PARTIAL]
    for student in students:
        nb = solved(course, A)
        if student.startswith("partial-"):
            solution_id, _test_id, code = WRONG[student.removeprefix("partial-")]
            nb = replace_solution(nb, solution_id, code)
        submit(course, A, student, nb)
    assert run(["nbgrader", "generate_assignment", A, "--force"], course, **db_env).returncode == 0

    graded = run(["mlgrind", "autograde", A, "--jobs", "2"], course, timeout=1800, **db_env)
    assert all(proc.poll() is None for proc in hogs), "the load went away before grading ended"
    assert graded.returncode == 0, graded.stdout + graded.stderr[-3000:]
    assert f"{len(students)} graded, 0 failed" in graded.stdout, graded.stdout

    with Gradebook(url, "ml-grind") as gb:
        got = {s.student.id: float(s.score) for s in gb.assignment_submissions(A)}
    assert got == expected_scores(course, students), graded.stdout
