"""Tests of the tests: real nbgrader grades wrong and alternative answers of every exercise.

For each assignment with an ``answers/answers_<id>.py`` file, one class of simulated students is
submitted and graded by one ``mlgrind autograde --jobs 2`` run (nbgrader's own autograde on two
workers; tests/test_parallel.py shows it leaves exactly what a serial ``nbgrader autograde`` leaves,
and the instructor's next steps here are plain nbgrader). The class (tests/answer_classes.py, the
``graded_classes`` fixture) also holds the editor-mode students tests/test_editor.py judges; here:

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

import pytest

from answer_classes import ASSIGNMENTS, load_answers
from support import run

pytestmark = pytest.mark.answers

CASES = [
    (a, kind, name)
    for a in ASSIGNMENTS
    for kind, table in (("wrong", load_answers(a).WRONG), ("alternative", load_answers(a).ALTERNATIVE))
    for name in table
]


def _autograded_points(max_scores, grades):
    return {k: v for k, v in grades.items() if k.startswith("test_")}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_gets_full_marks(graded_classes, assignment):
    graded = graded_classes[assignment]
    for grade_id, score in _autograded_points(graded.max_scores, graded.scores["source"]).items():
        assert score == graded.max_scores[grade_id], f"source loses points in {grade_id}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_gets_zero(graded_classes, assignment):
    untouched = graded_classes[assignment].scores["untouched"]
    assert sum(untouched.values()) == 0, untouched


@pytest.mark.parametrize("assignment,kind,name", CASES)
def test_answer(graded_classes, assignment, kind, name):
    graded = graded_classes[assignment]
    got, max_scores = graded.scores, graded.max_scores
    student = graded.carriers[f"{kind}-{name}"]
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
def test_plain_nbgrader_feedback_and_export(graded_classes, assignment):
    """The rest of an instructor's cycle works unchanged in the course root on what our autograde left.

    Feedback for a full-marks, a zero and a partly wrong submission (tests/test_class.py generates it
    for a whole class); the export holds every student's score as the gradebook has it.
    """
    graded = graded_classes[assignment]
    got, course = graded.scores, graded.course
    partial = next(s.name for s in graded.carriers.values() if any(a.fails for a in s.answers))
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
