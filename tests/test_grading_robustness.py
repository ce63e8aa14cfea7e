"""Grading that goes wrong around the answers, through real nbgrader: a locked gradebook, a stale one,
a self-grade beside a class, a test zeroed by stderr, another assignment's notebook, a failed grade.

Each test grades a few students of ``01_broadcasting`` in a throw-away copy of the course.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from answer_classes import scores, submit
from support import env, replace_solution, run, solved

A = "01_broadcasting"
OTHER = "02_matmul_einsum"
HOLD = 7  # seconds the write lock is held: longer than sqlite3's own 5 s busy timeout

LOCKER = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)
while not con.execute("SELECT count(*) FROM student").fetchone()[0]:
    time.sleep(0.05)
con.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.execute("COMMIT")
"""


def gradebook(course: Path) -> Path:
    return course / "autograder" / "gradebook.db"


def with_hidden_test(course: Path, grade_id: str, line: str) -> None:
    """Add ``line`` to the hidden tests of the source's cell ``grade_id``."""
    source = course / "source" / A / f"{A}.ipynb"
    nb = nbformat.read(str(source), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = cell.source.replace("### END HIDDEN TESTS", f"{line}\n### END HIDDEN TESTS")
    nbformat.write(nb, str(source))


@pytest.mark.class_scale
def test_a_gradebook_locked_by_another_process_delays_grading_and_loses_no_one(generated_course):
    course = generated_course
    students = ["ada", "bo", "cy"]
    for student in students:
        submit(course, A, student, solved(course, A))
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(gradebook(course)), str(HOLD)],
                              stdout=subprocess.PIPE, text=True)
    grading = subprocess.Popen([str(Path(sys.executable).parent / "mlgrind"), "autograde", A, "--jobs", "2"],
                               cwd=course, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert locker.communicate(timeout=120)[0].strip() == "locked"
    assert grading.poll() is None, "grading ended before the lock was let go"
    out, err = grading.communicate(timeout=300)
    assert grading.returncode == 0, out + err[-3000:]
    assert out.splitlines()[0] == f"{A}: 3 graded, 0 failed", out
    graded, max_scores = scores(course, A)
    assert set(graded) == set(students)
    assert all(graded[s][k] == max_scores[k] for s in students for k in max_scores if k.startswith("test_"))


def test_autograde_stops_on_a_gradebook_older_than_source_and_names_the_fix(generated_course):
    course = generated_course
    submit(course, A, "ada", solved(course, A))
    with_hidden_test(course, "test_mse_loss", "assert False, 'a newer hidden test'")
    stale = run(["mlgrind", "autograde", A], course)
    assert stale.returncode == 2
    assert stale.stderr.strip().splitlines() == [
        f"mlgrind autograde: the gradebook's tests of {A} are older than source/{A}/{A}.ipynb; "
        f"run `nbgrader generate_assignment {A} --force` in {course}, then autograde again"
    ]
    assert not (course / "autograder" / "autograded").exists()
    assert run(["nbgrader", "generate_assignment", A, "--force"], course).returncode == 0
    fresh = run(["mlgrind", "autograde", A, "--jobs", "1"], course)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr[-3000:]
    assert scores(course, A)[0]["ada"]["test_mse_loss"] == 0


@pytest.mark.slow
def test_a_self_grade_never_changes_the_class_gradebook(generated_course):
    """The class gradebook holds older hidden tests than source/; grading oneself leaves it as it was."""
    course = generated_course
    with_hidden_test(course, "test_mse_loss", "assert False, 'a newer hidden test'")
    nbformat.write(solved(course, A), str(course / "notebooks" / f"{A}.ipynb"))
    before = gradebook(course).read_bytes()
    for url in ({}, {"MLGRIND_DB_URL": f"sqlite:///{gradebook(course)}"}):
        result = run(["mlgrind", "grade", "01", "--json"], course, **url)
        assert result.returncode == 0, result.stderr
        cells = {c["grade_id"]: c for c in json.loads(result.stdout)["cells"]}
        assert "a newer hidden test" in cells["test_mse_loss"]["message"]
    assert gradebook(course).read_bytes() == before
    assert not (course / "autograder" / "submitted").exists()


def test_the_class_summary_names_a_test_that_scored_0_for_stderr_output(generated_course):
    course = generated_course
    nb = solved(course, A)
    answer = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "standardize")
    noisy = "import sys\n" + answer.replace("    mean_1F =", "    print('standardizing', file=sys.stderr)\n    mean_1F =")
    submit(course, A, "noisy", replace_solution(nb, "standardize", noisy))
    result = run(["mlgrind", "autograde", A, "--jobs", "1"], course)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert ("noisy: stderr zeroed a test: test_standardize scored 0 because the code it ran wrote to stderr "
            "('standardizing')") in result.stdout
    graded, max_scores = scores(course, A)
    assert graded["noisy"]["test_standardize"] == 0
    assert all(graded["noisy"][k] == max_scores[k] for k in max_scores if k.startswith("test_") and k != "test_standardize")


def test_another_assignments_notebook_is_named_by_autograde_and_by_grade(generated_course):
    course = generated_course
    other = nbformat.read(str(course / "release" / OTHER / f"{OTHER}.ipynb"), as_version=4)
    submit(course, A, "mixed-up", other)
    submit(course, A, "ada", solved(course, A))
    graded = run(["mlgrind", "autograde", A, "--jobs", "2"], course)
    assert graded.returncode == 1
    assert graded.stdout.splitlines()[0] == f"{A}: 1 graded, 1 failed", graded.stdout
    assert f"mixed-up: failed: another assignment's notebook: {A}.ipynb holds {OTHER}'s cells" in graded.stdout
    nbformat.write(other, str(course / "notebooks" / f"{A}.ipynb"))
    selfgraded = run(["mlgrind", "grade", "01"], course)
    assert selfgraded.returncode == 1
    assert selfgraded.stderr.strip().splitlines() == [
        f"mlgrind grade: {A}.ipynb is another assignment's notebook: it holds {OTHER}'s cells; nothing was graded"
    ]


def test_a_self_grade_nbgrader_cannot_finish_ends_in_one_line_naming_the_reason(course):
    nb = solved(course, A)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_mse_loss":
            cell.metadata["nbgrader"]["points"] = "lots"
    nbformat.write(nb, str(course / "notebooks" / f"{A}.ipynb"))
    result = run(["mlgrind", "grade", "01"], course)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"mlgrind grade: nbgrader could not grade {A}: ValueError: could not convert string to float: 'lots'"
    ]


@pytest.mark.slow
def test_a_megabyte_printed_per_call_is_graded_as_any_output_and_the_class_goes_on(generated_course):
    """Each call prints a 1 MiB line of word characters: to stdout, a correct answer keeps its marks; to
    stderr, the test it ran scores 0 as any stderr output does. Outputs are cut to a bounded size and
    matched in linear time, so neither holds up the students graded after them."""
    course = generated_course
    nb = solved(course, A)
    answer = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "standardize")
    for student, stream in [("loud", "sys.stdout"), ("noisy", "sys.stderr")]:
        printing = "import sys\n" + answer.replace("    mean_1F =", f"    print('a' * 2**20, file={stream})\n    mean_1F =")
        submit(course, A, student, replace_solution(nb, "standardize", printing))
    submit(course, A, "ada", solved(course, A))
    result = run(["mlgrind", "autograde", A, "--jobs", "2"], course)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    graded, max_scores = scores(course, A)
    tests = [k for k in max_scores if k.startswith("test_")]
    for student in ("loud", "ada"):
        assert all(graded[student][k] == max_scores[k] for k in tests), graded[student]
    assert graded["noisy"]["test_standardize"] == 0
    assert all(graded["noisy"][k] == max_scores[k] for k in tests if k != "test_standardize"), graded["noisy"]
    autograded = nbformat.read(str(course / "autograder" / "autograded" / "loud" / A / f"{A}.ipynb"), as_version=4)
    longest = max(len(o.get("text", "")) for c in autograded.cells for o in c.get("outputs", []))
    assert longest < 2**17, longest


def test_outputs_are_bounded_before_any_pattern_reads_them():
    from nbformat.v4 import new_code_cell, new_output

    from mlgrind.grading.preprocessors import BoundOutputs

    step = BoundOutputs(max_text=100, max_traceback_lines=3, max_data=1000)
    cell = new_code_cell("f()", outputs=[
        new_output("stream", name="stdout", text="x" * 500),
        new_output("error", ename="ValueError", evalue="v" * 500, traceback=["t" * 500] * 10),
        new_output("display_data", data={"text/plain": "p" * 500, "text/html": "h" * 5000, "image/png": "i" * 5000}),
        new_output("stream", name="stderr", text="short"),
    ])
    step.preprocess_cell(cell, {}, 0)
    stdout, error, display, stderr = cell.outputs
    assert stdout.text.startswith("x" * 100) and "output cut: 500 characters, the first 100 kept" in stdout.text
    assert len(error.evalue) < 200 and len(error.traceback) == 3 and all(len(t) < 200 for t in error.traceback)
    assert display.data["text/plain"].startswith("p" * 100) and len(display.data["text/html"]) < 1100
    assert "image/png" not in display.data and display.data["text/plain"].endswith("characters left out]")
    assert stderr.text == "short"
