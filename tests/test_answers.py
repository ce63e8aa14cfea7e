"""Tests of the tests: real nbgrader grades wrong and alternative answers of every exercise.

For each assignment with an ``answers/answers_<id>.py`` file, one class of simulated students is
submitted and graded by one ``mlgrind autograde --jobs 2`` run (nbgrader's own autograde on two
workers; tests/test_parallel.py shows it leaves exactly what a serial ``nbgrader autograde`` leaves,
and the instructor's next steps here are plain nbgrader):

- ``source``: the instructor's notebook, which must get full marks;
- ``untouched``: the release notebook as a learner receives it, which must get zero;
- students carrying the wrong and alternative answers. Each wrong answer must score zero in the test
  cell(s) it names (a tuple when a broken function also spoils a later exercise that uses it, such
  as training) and lose nothing elsewhere; each alternative correct answer must keep full marks.

A student carries several answers, in different solution cells, only when no graded test cell can
see two of them (tests/packing.py works that out from the names each cell reads and binds): every
test cell then scores what it would with only the one answer it sees, so each answer is judged on
the test cells its packmates cannot reach, which include every test cell it must fail.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import nbformat
import pytest

from packing import answers_of, in_cells, pack
from support import REPO, copy_course, replace_solution, run

pytestmark = pytest.mark.answers

ANSWERS = Path(__file__).parent / "answers"


def load_answers(assignment: str):
    path = ANSWERS / f"answers_{assignment}.py"
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ASSIGNMENTS = sorted(p.stem.removeprefix("answers_") for p in ANSWERS.glob("answers_*.py"))
CASES = [
    (a, kind, name)
    for a in ASSIGNMENTS
    for kind, table in (("wrong", load_answers(a).WRONG), ("alternative", load_answers(a).ALTERNATIVE))
    for name in table
]


def submit(course: Path, assignment: str, student: str, nb) -> None:
    folder = course / "autograder" / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(nb, str(folder / f"{assignment}.ipynb"))


def scores(course: Path, assignment: str) -> dict[str, dict[str, float]]:
    """student -> grade_id -> score, read from the gradebook."""
    from nbgrader.api import Gradebook

    url = f"sqlite:///{course}/autograder/gradebook.db"
    out = {}
    with Gradebook(url, "ml-grind") as gb:
        for submission in gb.assignment_submissions(assignment):
            notebook = submission.notebooks[0]
            out[submission.student.id] = {g.name: float(g.score) for g in notebook.grades}
        max_scores = {c.name: float(c.max_score) for c in gb.find_notebook(assignment, assignment).grade_cells}
    return out, max_scores


def grade_class(course: Path, assignment: str):
    """Submit every variant of ``assignment``; grade them all with one parallel ``mlgrind autograde``.

    Returns (scores, max_scores, course, students): students maps each answer's name to the student
    carrying it.
    """
    source = REPO / "source" / assignment / f"{assignment}.ipynb"
    submit(course, assignment, "source", nbformat.read(str(source), as_version=4))
    release = REPO / "release" / assignment / f"{assignment}.ipynb"
    submit(course, assignment, "untouched", nbformat.read(str(release), as_version=4))
    carriers = {}
    answers = answers_of(load_answers(assignment))
    for student in pack(answers, in_cells(nbformat.read(str(source), as_version=4), answers)):
        nb = nbformat.read(str(source), as_version=4)
        for answer in student.answers:
            nb = replace_solution(nb, answer.solution_id, answer.code)
            carriers[answer.name] = student
        submit(course, assignment, student.name, nb)
    generated = run(["nbgrader", "generate_assignment", assignment, "--force"], course)
    assert generated.returncode == 0, generated.stderr
    autograde(course, assignment)
    return (*scores(course, assignment), course, carriers)


def autograde(course: Path, assignment: str, jobs: int = 2):
    """Grade every submission of ``assignment`` with ``mlgrind autograde --jobs``; each one must grade.

    Exit status 1 means some submission could not be graded at all; the summary lines saying which
    are shown.
    """
    graded_run = run(["mlgrind", "autograde", assignment, "--jobs", str(jobs)], course, timeout=1800)
    summary = [ln for i, ln in enumerate(graded_run.stdout.splitlines()) if i == 0 or "failed" in ln]
    assert graded_run.returncode == 0, "\n".join(summary) + "\n" + graded_run.stderr[-3000:]
    return graded_run


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """assignment -> (scores, max_scores, course folder, carriers); each assignment graded once, when first asked."""

    class Cache(dict):
        def __missing__(self, assignment):
            course = copy_course(tmp_path_factory.mktemp(assignment))
            self[assignment] = grade_class(course, assignment)
            return self[assignment]

    return Cache()


def _autograded_points(max_scores, grades):
    return {k: v for k, v in grades.items() if k.startswith("test_")}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_gets_full_marks(graded, assignment):
    got, max_scores, _, _ = graded[assignment]
    for grade_id, score in _autograded_points(max_scores, got["source"]).items():
        assert score == max_scores[grade_id], f"source loses points in {grade_id}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_gets_zero(graded, assignment):
    got, _, _, _ = graded[assignment]
    assert sum(got["untouched"].values()) == 0, got["untouched"]


@pytest.mark.parametrize("assignment,kind,name", CASES)
def test_answer(graded, assignment, kind, name):
    got, max_scores, _, carriers = graded[assignment]
    student = carriers[f"{kind}-{name}"]
    answer = next(a for a in student.answers if a.name == f"{kind}-{name}")
    grades = _autograded_points(max_scores, got[student.name])
    own = student.out_of_reach(answer, grades)
    where = "" if len(student.answers) == 1 else f" (student {student.name}, with {[a.name for a in student.answers]})"
    for test_id in answer.fails:
        assert test_id in own, f"{test_id} is within reach of another answer of {student.name}"
        assert grades[test_id] == 0, f"the wrong answer {name} still scored in {test_id}{where}"
    lost = {k: v for k, v in grades.items() if k in own and k not in answer.fails and v != max_scores[k]}
    if kind == "alternative":
        assert not lost, f"a correct alternative answer lost points: {lost}{where}"
    else:
        assert not lost, f"the wrong answer {name} also lost points elsewhere: {lost}{where}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_plain_nbgrader_feedback_and_export(graded, assignment):
    """The rest of an instructor's cycle works unchanged in the course root on what our autograde left.

    Feedback for a full-marks, a zero and a partly wrong submission (tests/test_class.py generates it
    for a whole class); the export holds every student's score as the gradebook has it.
    """
    got, max_scores, course, carriers = graded[assignment]
    partial = next(s.name for s in carriers.values() if any(a.fails for a in s.answers))
    for students in ("[su]*", partial):  # --student takes a glob: source and untouched, then one more
        feedback = run(["nbgrader", "generate_feedback", assignment, "--student", students, "--force"], course)
        assert feedback.returncode == 0, feedback.stderr[-2000:]
    reports = (course / "autograder" / "feedback").glob(f"*/{assignment}/{assignment}.html")
    assert sorted(p.parts[-3] for p in reports) == sorted(["source", "untouched", partial])
    exported = run(["nbgrader", "export"], course)
    assert exported.returncode == 0, exported.stderr[-2000:]
    rows = list(csv.DictReader((course / "grades.csv").open()))
    by_student = {row["student_id"]: float(row["raw_score"]) for row in rows if row["assignment"] == assignment}
    assert by_student == {student: sum(cells.values()) for student, cells in got.items()}
