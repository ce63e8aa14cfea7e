"""`mlgrind autograde --jobs 2` leaves exactly what serial `nbgrader autograde` leaves."""

from __future__ import annotations

import nbformat
import pytest

from answer_classes import load_answers, submit
from support import copy_course, replace_solution, run, solved

pytestmark = pytest.mark.class_scale

A = "01_broadcasting"


def make_class(course):
    wrong = load_answers(A).WRONG
    submit(course, A, "correct-1", solved(course, A))
    submit(course, A, "correct-2", solved(course, A))
    submit(course, A, "untouched", nbformat.read(str(course / "release" / A / f"{A}.ipynb"), as_version=4))
    for name in ("pairwise_transposed", "standardize_per_row", "mse_the_original_bug"):
        solution_id, _test_id, code = wrong[name]
        submit(course, A, f"wrong-{name}", replace_solution(solved(course, A), solution_id, code))
    submit(course, A, "kernel-dies", replace_solution(solved(course, A), "mse_loss", "import os\nos._exit(1)"))
    bad = course / "autograder" / "submitted" / "malformed" / A
    bad.mkdir(parents=True)
    (bad / f"{A}.ipynb").write_text("{not json")


def gradebook_state(course):
    from nbgrader.api import Gradebook

    state = {}
    with Gradebook(f"sqlite:///{course}/autograder/gradebook.db", "ml-grind") as gb:
        for submission in gb.assignment_submissions(A):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    key = (submission.student.id, notebook.name, grade.name)
                    state[key] = (grade.auto_score, grade.score, grade.needs_manual_grade)
    return state


def output_kinds(outputs) -> list[tuple]:
    """Each output's kind and error name/message; a stream's text is one output however the kernel cut it."""
    kinds = []
    for output in outputs:
        kind = (output.get("output_type"), output.get("name") or output.get("ename"), output.get("evalue"))
        if kind[0] == "stream" and kinds and kinds[-1] == kind:
            continue  # a busy kernel flushes one print in several messages
        kinds.append(kind)
    return kinds


def autograded_state(course):
    """Per autograded notebook: each cell's source and output kinds."""
    state = {}
    for path in sorted((course / "autograder" / "autograded").rglob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        state[str(path.relative_to(course))] = [(cell.source, output_kinds(cell.get("outputs", []))) for cell in nb.cells]
    return state


def test_parallel_autograde_equals_serial_nbgrader(tmp_path):
    serial, parallel = copy_course(tmp_path / "serial"), copy_course(tmp_path / "parallel")
    for course in (serial, parallel):
        make_class(course)
        assert run(["nbgrader", "generate_assignment", A, "--force"], course).returncode == 0
    plain = run(["nbgrader", "autograde", A, "--force"], serial)
    ours = run(["mlgrind", "autograde", A, "--jobs", "2"], parallel)
    assert plain.returncode == ours.returncode == 1  # the malformed one, in both
    assert "malformed: failed: NotJSONError" in ours.stdout
    assert gradebook_state(parallel) == gradebook_state(serial)
    ours_cells, plain_cells = autograded_state(parallel), autograded_state(serial)
    assert sorted(ours_cells) == sorted(plain_cells)
    assert len(plain_cells) == 7
    assert {p: len(c) for p, c in ours_cells.items()} == {p: len(c) for p, c in plain_cells.items()}
    differing = [
        (path, ours[1], plain[1]) for path in plain_cells
        for ours, plain in zip(ours_cells[path], plain_cells[path]) if ours != plain
    ]
    assert not differing, f"cells graded differently (mlgrind, then nbgrader): {differing}"
