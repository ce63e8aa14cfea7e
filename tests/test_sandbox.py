"""Submissions that attack the grader, graded in the sandbox by real nbgrader.

One class of ``01_broadcasting`` submissions, each an honest notebook with one attack in an answer
cell, is graded twice: by ``mlgrind autograde --jobs 2`` and by plain serial ``nbgrader autograde``.
Every attack that reaches outside the submission (source/, the gradebook, the course folder, /etc,
another process, the network) must be refused, and each submission prints whether it got through, so
a probe that never ran fails the test too. Every attack on what the hidden tests rely on (NumPy,
mlgrind's checks, IPython, trace and gc hooks) and every exit() or ignored interrupt must cost the
attacked exercise and no other, and be named in the class summary. No output and no feedback quotes
a hidden test.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import nbformat
import pytest

from answer_classes import load_answers, scores, submit
from gradesheet import gradesheet
from support import html_text, leaked_lines, replace_solution, run, solved

A = "01_broadcasting"
WRONG = load_answers(A).WRONG
PROBE = "mlgrind-probe"

# What a submission tries outside its own folder; {course} and the rest are filled in per test. A probe
# prints ESCAPED when it gets through, spelt as two literals so the code's own copy in the feedback
# does not match.
REACHES = {
    "reads-source": """
for path in ["{course}/source/{A}/{A}.ipynb", "../../../source/{A}/{A}.ipynb", "{repo}/source/{A}/{A}.ipynb"]:
    try:
        print("ESC" "APED", open(path).read())
    except OSError as err:
        print("{probe} blocked:", type(err).__name__)
""",
    "reads-gradebook": """
import sqlite3
try:
    rows = sqlite3.connect("file:{course}/autograder/gradebook.db?mode=ro", uri=True).execute("SELECT * FROM grade").fetchall()
    print("ESC" "APED", rows)
except sqlite3.Error as err:
    print("{probe} blocked:", type(err).__name__)
""",
    "writes-outside": """
for path in ["{course}/autograder/{probe}.txt", "/etc/{probe}.txt", "{tmp}/{probe}.txt"]:
    try:
        open(path, "w").write("x")
        print("ESC" "APED wrote", path)
    except OSError as err:
        print("{probe} blocked:", type(err).__name__)
""",
    "sees-processes": """
import os
try:
    print("ESC" "APED", open("/proc/{pid}/cmdline").read())
except OSError as err:
    print("{probe} blocked:", type(err).__name__)
""",
    "connects": """
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=5)
    print("ESC" "APED connected")
except OSError as err:
    print("{probe} blocked:", type(err).__name__)
""",
    "forks": """
import os, time
if os.fork() == 0:
    time.sleep(8)
    for path in ["{course}/autograder/{probe}-late.txt", "{tmp}/{probe}-late.txt"]:
        try:
            open(path, "w").write("x")
        except OSError:
            pass
    os._exit(0)
print("{probe} blocked: forked")
""",
}

# The attack, put into the answer cell of ``broadcast_shape`` (a correct answer); the wrong answer is
# in a later exercise. Both exercises must score zero and the summary must name the tampering.
TAMPERING = {
    "patches-allclose": ("standardize_per_row",
                         "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                         "np.testing.assert_allclose = lambda *a, **k: None"),
    "patches-checker": ("mse_sum_not_mean",
                        "import mlgrind.checks\nmlgrind.checks.Checker.__exit__ = lambda *a: True"),
    "patches-code": ("standardize_per_row",
                     "import mlgrind.checks\n"
                     "mlgrind.checks.Checker.fail.__code__ = (lambda self, message: True).__code__"),
    "patches-showtraceback": ("mse_sum_not_mean",
                              "get_ipython().showtraceback = lambda *a, **k: None"),
    "patches-builtins": ("standardize_per_row",
                         "import builtins\nbuiltins.all = lambda *a: True"),
    "traces": ("mse_sum_not_mean", "import sys\nsys.settrace(lambda *a: None)"),
    "walks-gc": ("standardize_per_row",
                 "import gc\n_seen = [o for o in gc.get_objects() if type(o).__name__ == 'Checker']"),
}


def _answer(nb, grade_id: str) -> str:
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def with_attack(nb, grade_id: str, code: str):
    return replace_solution(nb, grade_id, _answer(nb, grade_id) + "\n\n" + code)


def wrong(nb, key: str):
    solution_id, _test_id, code = WRONG[key]
    return replace_solution(nb, solution_id, code)


@pytest.fixture(scope="module")
def listener():
    server = socket.create_server(("127.0.0.1", 0))
    yield server.getsockname()[1]
    server.close()


def make_class(course: Path, tmp: Path, port: int) -> dict[str, set[str]]:
    """Submit the class; student -> the test cells that student must lose."""
    fill = {"course": course, "repo": Path(__file__).resolve().parents[1], "A": A, "probe": PROBE,
            "tmp": tmp, "pid": os.getpid(), "port": port}
    expected = {"honest": set()}
    submit(course, A, "honest", solved(course, A))
    for student, code in REACHES.items():
        submit(course, A, student, with_attack(solved(course, A), "broadcast_shape", code.format(**fill)))
        expected[student] = set()
    # An unanswered notebook that writes itself full marks into the gradebook.
    scorer = ("import sqlite3\ntry:\n"
              "    db = sqlite3.connect('{course}/autograder/gradebook.db')\n"
              "    db.execute('UPDATE grade SET manual_score = 10'); db.commit()\n"
              "    print('ESC' 'APED scored')\n"
              "except sqlite3.Error as err:\n    print('{probe} blocked:', type(err).__name__)").format(**fill)
    unanswered = nbformat.read(str(course / "release" / A / f"{A}.ipynb"), as_version=4)
    submit(course, A, "scores-itself", replace_solution(unanswered, "broadcast_shape", scorer))
    expected["scores-itself"] = "all"
    for student, (wrong_key, attack) in TAMPERING.items():
        nb = with_attack(wrong(solved(course, A), wrong_key), "broadcast_shape", attack)
        submit(course, A, student, nb)
        expected[student] = {"test_broadcast_shape", WRONG[wrong_key][1]}
    # A function that prints the source of whatever calls it: the hidden test, through linecache.
    snoop = ("import inspect, linecache\n_honest = standardize\n"
             "def standardize(*args, **kwargs):\n"
             "    for frame in inspect.stack()[1:3]:\n"
             "        print(''.join(linecache.getlines(frame.filename)) or frame.code_context)\n"
             "    return _honest(*args, **kwargs)")
    submit(course, A, "prints-its-caller", with_attack(solved(course, A), "standardize", snoop))
    expected["prints-its-caller"] = set()
    exits = with_attack(solved(course, A), "pairwise_sq_dists", "exit()")
    submit(course, A, "exits", exits)
    expected["exits"] = {"test_pairwise_sq_dists"}
    stubborn = ("import time\nwhile True:\n    try:\n        time.sleep(0.2)\n"
                "    except BaseException:\n        pass")
    submit(course, A, "ignores-interrupt", with_attack(solved(course, A), "standardize", stubborn))
    expected["ignores-interrupt"] = {"test_standardize"}
    return expected


def outputs(course: Path, student: str) -> str:
    nb = nbformat.read(str(course / "autograder" / "autograded" / student / A / f"{A}.ipynb"), as_version=4)
    return json.dumps([c.get("outputs", []) for c in nb.cells])


def check_class(course: Path, tmp: Path, expected: dict, summary: str | None) -> None:
    got, max_scores = scores(course, A)
    full = {k: v for k, v in max_scores.items() if k.startswith("test_")}
    for student, lose in expected.items():
        lose = set(full) if lose == "all" else lose
        lost = {k for k in full if got[student][k] != full[k]}
        assert lost == lose, (student, lost, summary)
        text = outputs(course, student)
        assert "ESCAPED" not in text, (student, text[:2000])
        assert not leaked_lines(A, text), student
        if student in REACHES or student == "scores-itself":
            assert f"{PROBE} blocked" in text, (student, "the probe did not run", text[:2000])
        if student == "prints-its-caller":
            assert "hidden tests was removed from this output" in text, "the probe printed no hidden line"
    assert not list(course.rglob(f"{PROBE}*")) and not list(tmp.glob(f"{PROBE}*"))
    if summary is not None:
        lines = summary.splitlines()
        for student in TAMPERING:
            assert any(student in ln and "tampering" in ln for ln in lines), (student, summary)
        assert any("exits" in ln and "exit()" in ln for ln in lines), summary
        assert any("ignores-interrupt" in ln and "ignored the interrupt" in ln for ln in lines), summary

    assert run(["nbgrader", "generate_feedback", A, "--force"], course).returncode == 0
    for student in expected:
        html = html_text(course / "autograder" / "feedback" / student / A / f"{A}.html")
        assert "ESCAPED" not in html and not leaked_lines(A, html), student


@pytest.fixture
def attacked_class(generated_course, tmp_path, listener):
    spill = tmp_path / "spill"
    spill.mkdir()
    return generated_course, spill, make_class(generated_course, spill, listener)


@pytest.mark.class_scale
def test_attacks_fail_in_parallel_class_grading(attacked_class):
    course, spill, expected = attacked_class
    graded = run(["mlgrind", "autograde", A, "--jobs", "2"], course, timeout=1800, MLGRIND_CELL_TIMEOUT="10")
    assert graded.returncode == 0, graded.stdout + graded.stderr[-3000:]
    check_class(course, spill, expected, graded.stdout)


@pytest.mark.class_scale
def test_attacks_fail_in_plain_serial_nbgrader(attacked_class):
    course, spill, expected = attacked_class
    graded = run(["nbgrader", "autograde", A, "--force"], course, timeout=1800, MLGRIND_CELL_TIMEOUT="10")
    assert graded.returncode == 0, graded.stderr[-3000:]
    check_class(course, spill, expected, None)


def test_a_learner_who_patches_numpy_loses_the_exercise_and_is_told(course, selfgrade_gradebook):
    nb = with_attack(wrong(solved(course, A), "standardize_per_row"), "broadcast_shape",
                     TAMPERING["patches-allclose"][1])
    nbformat.write(nb, str(course / "notebooks" / f"{A}.ipynb"))
    graded = run(["mlgrind", "grade", "01"], course)
    assert "tampering" in graded.stdout, graded.stdout
    report = json.loads(run(["mlgrind", "grade", "01", "--json"], course).stdout)
    assert report["score"] == gradesheet(A, course).score_without("test_broadcast_shape", "test_standardize"), report
