"""Drills: answers NumPy agrees with, a terminal session driven by keystrokes, and progress kept."""

from __future__ import annotations

import json
import os
import signal

import pexpect
import pytest

from conftest import BIN, env, run
from gradesheet import gradesheet
from mlgrind.cli import main
from mlgrind.recall.drills import LEVELS, TOPICS, Question, parse_answer, question, questions, topic
from support import numpy_says


SHAPE_TOPICS = [name for name, t in TOPICS.items() if t.oracle == "NumPy"]  # the cost topic: test_cost_drill


def test_shape_topics_are_answered_by_numpy_and_cost_by_its_formulas():
    assert SHAPE_TOPICS == ["broadcasting", "matmul", "reshape", "einsum", "attention"]
    assert TOPICS["cost"].oracle == "the formula"


@pytest.mark.parametrize("topic", SHAPE_TOPICS)
def test_thousands_of_seeded_answers_agree_with_numpy(topic):
    asked = [question(topic, seed, level) for level in LEVELS for seed in range(400)]
    wrong = [q for q in asked if q.answer != numpy_says(q)]
    assert not wrong, wrong[:3]
    errors = sum(q.answer == "error" for q in asked) / len(asked)
    assert 0.05 < errors < 0.6, f"{errors:.0%} of {topic} questions are errors"
    assert len({(q.expr, tuple(q.shapes.items())) for q in asked}) > 0.5 * len(asked)


def test_questions_are_reproducible_and_serialise():
    first = [q.to_dict() for q in questions(None, 12, seed=5)]
    assert first == [q.to_dict() for q in questions(None, 12, seed=5)]
    assert {q["topic"] for q in first} == set(TOPICS)
    for q in json.loads(json.dumps(first)):
        if q["topic"] == "cost":  # a question in words: its numbers and its text (test_cost_drill)
            assert set(q) == {"topic", "expr", "shapes", "answer", "values", "text"}
            continue
        assert set(q) == {"topic", "expr", "shapes", "answer"}
        assert q["answer"] == "error" or isinstance(q["answer"], list)


@pytest.mark.parametrize("text,expected", [
    ("9,4,3", (9, 4, 3)), ("(9, 4, 3)", (9, 4, 3)), ("[9 4 3]", (9, 4, 3)), (" error ", "error"),
    ("()", ()), ("scalar", ()), ("7", (7,)),
])
def test_answers_are_read_as_people_type_them(text, expected):
    assert parse_answer(text) == expected


@pytest.mark.parametrize("text", ["", "nine", "9,four", "9.5,2"])
def test_malformed_answers_are_refused(text):
    with pytest.raises(ValueError):
        parse_answer(text)


def _default_sigint() -> None:
    # A learner's terminal delivers Ctrl-C to a program whose SIGINT is at its default; a test run
    # started in the background inherits SIGINT ignored, which Python then keeps.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn(course, *args):
    return pexpect.spawn(str(BIN / "mlgrind"), ["drill", *args], cwd=str(course), env=env(),
                         encoding="utf-8", timeout=30, preexec_fn=_default_sigint)


def answers(course, *args):
    result = run(["mlgrind", "drill", *args, "--json"], course)
    assert result.returncode == 0, result.stderr
    return [q["answer"] for q in json.loads(result.stdout)]


def typed(answer) -> str:
    return "error" if answer == "error" else ",".join(map(str, answer)) or "()"


def test_a_terminal_session_scores_explains_and_is_saved(course):
    args = ["broadcasting", "--count", "5", "--seed", "11"]
    expected = answers(course, *args)
    child = spawn(course, *args)
    for number, answer in enumerate(expected, 1):
        child.expect(r"->")
        if number == 4:
            child.sendline("1,2,3,4,5,6,7" if answer == "error" else "error")
            child.expect("not quite")
        else:
            if number == 5:
                child.sendline("nine by four")
                child.expect("is not a shape")
                child.expect(r"->")
            child.sendline(typed(answer))
            child.expect("right")
    child.expect(r"score: 4/5\s+best streak: 3")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    progress = run(["mlgrind", "progress"], course).stdout
    assert "broadcasting 4/5 (80%)" in progress


@pytest.mark.parametrize("how", ["eof", "ctrl-c"])
def test_a_closed_terminal_ends_cleanly_with_the_score_saved(course, how):
    args = ["matmul", "--count", "5", "--seed", "2"]
    first = answers(course, *args)[0]
    child = spawn(course, *args)
    child.expect(r"->")
    child.sendline(typed(first))
    child.expect("right")
    child.expect(r"->")
    child.sendeof() if how == "eof" else child.sendintr()
    child.expect("stopped early")
    child.expect(r"score: 1/1")
    child.expect(pexpect.EOF)
    child.close()
    assert "Traceback" not in child.before
    assert "matmul 1/1 (100%)" in run(["mlgrind", "progress"], course).stdout


def test_drills_work_outside_a_course_without_saving(tmp_path):
    args = ["reshape", "--count", "2", "--seed", "5"]
    expected = answers(tmp_path, *args)
    child = spawn(tmp_path, *args)
    for answer in expected:
        child.expect(r"->")
        child.sendline(typed(answer))
        child.expect("right")
    child.expect(r"score: 2/2")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and list(tmp_path.iterdir()) == []


def test_unknown_topic_is_a_usage_error(course):
    result = run(["mlgrind", "drill", "calculus"], course)
    assert result.returncode == 2 and "valid: broadcasting, matmul, reshape, einsum" in result.stderr


def test_progress_reflects_a_grade_and_survives_reset(course):
    sheet = gradesheet("01_broadcasting", course)
    assert run(["mlgrind", "grade", "01"], course).returncode == 0
    report = run(["mlgrind", "progress"], course).stdout
    assert "01_broadcasting" in report and f"0/{sheet.total:g}" in report
    lines = report.splitlines()
    # The grade's own words: every autograded exercise by title and status (no written answer), the same next step.
    assert lines[-2] == "to do in 01_broadcasting: " + ", ".join(f"{c.label} (not attempted)" for c in sheet.autograded)
    assert sheet.label("interview_answer") not in lines[-2]
    assert lines[-1] == (
        f"next: 01_broadcasting: {sheet.first().label} - write it, run its check cell, then `mlgrind grade 01` again"
    )
    assert run(["mlgrind", "reset", "01"], course).returncode == 0
    assert f"0/{sheet.total:g}" in run(["mlgrind", "progress"], course).stdout
    assert os.path.exists(course / "autograder" / "progress.db")


def test_drill_widget_checks_explains_moves_on_and_saves(course, monkeypatch):
    from mlgrind.widgets import DrillWidget

    monkeypatch.chdir(course / "notebooks")
    widget = DrillWidget("broadcasting", seed=4)
    first = widget.prompt.value
    widget.answer.value = "four by two"
    assert "is not a shape" in widget.feedback.value and widget.asked == 0
    asked = [widget.current]
    widget.answer.value = typed(widget.current.answer)
    assert "right" in widget.feedback.value and widget.score.value.startswith("score 1/1")
    widget.next.click()
    assert widget.prompt.value != first and widget.feedback.value == ""
    asked.append(widget.current)
    widget.answer.value = "1,2,3,4,5,6,7,8"
    assert "NumPy gives" in widget.feedback.value and "score 1/2" in widget.score.value
    assert "broadcasting 1/2 (50%)" in run(["mlgrind", "progress"], course).stdout
    from mlgrind.course import Course
    from mlgrind.recall.families import family_of
    from mlgrind.recall.reviews import log

    # Each answer is also a review of its question's family, in the schedule `mlgrind review` reads.
    assert [(item, rating > 1) for item, *_, rating, _s, _m, _at in log(Course(course))] == [
        (f"drill:{family_of(q).name}", right) for q, right in zip(asked, (True, False))]
    with pytest.raises(ValueError, match="valid: broadcasting"):
        DrillWidget("calculus")


def test_a_topic_is_registered_in_one_place(capsys, monkeypatch):
    from mlgrind.widgets import DrillWidget

    monkeypatch.setattr("mlgrind.recall.drills.TOPICS", dict(TOPICS))

    @topic("transpose", "x.T of a matrix")
    def _transpose(rng, level):
        return Question("transpose", "x.T", {"x": (2, 3)}, (3, 2))

    assert question("transpose", seed=0).answer == (3, 2)
    assert DrillWidget("transpose", seed=0).current.expr == "x.T"
    with pytest.raises(SystemExit):
        main(["drill", "--help"])
    help_text = capsys.readouterr().out
    assert "x.T of a matrix" in help_text
    assert all(t.name in help_text and t.help in help_text for t in TOPICS.values())


def test_terminal_and_widget_keep_score_by_one_session(tmp_path, monkeypatch):
    from mlgrind.recall.drills import show
    from mlgrind.recall.terminal import run as terminal
    from mlgrind.widgets import DrillWidget

    monkeypatch.chdir(tmp_path)  # outside a course: nothing recorded
    qs = questions("einsum", 6, seed=3)
    typed = [show(q.answer) if i in (0, 1, 3, 4, 5) else "1,2,3,4,5,6,7" for i, q in enumerate(qs)]
    lines = []
    answers = iter(typed)
    session = terminal(qs, ask=lambda prompt: next(answers), say=lines.append)
    assert (session.right, session.asked, session.streak, session.best) == (5, 6, 3, 3)
    assert lines[-1].split() == ["score:", "5/6", "best", "streak:", "3"]
    widget = DrillWidget("einsum", seed=3)
    for q, text in zip(qs, typed):
        assert widget.current == q
        widget.answer.value = text
        widget.next.click()
    assert (widget.right, widget.asked, widget.streak) == (5, 6, 3)
    assert list(tmp_path.iterdir()) == []


def test_progress_and_the_attention_drill_know_06(course):
    """06 is graded, tracked and drilled like the others: its grade, its next step, its own drill topic."""
    assert run(["mlgrind", "grade", "06"], course).returncode == 0
    report = run(["mlgrind", "progress"], course).stdout
    assert f"06_attention_norms  0/{gradesheet('06_attention_norms', course).total:g}" in report
    assert "next: 01_broadcasting" in report  # the earliest notebook not at full marks comes first
    drill = run(["mlgrind", "drill", "attention", "--count", "3", "--seed", "3", "--json"], course)
    assert drill.returncode == 0
    assert [q["topic"] for q in json.loads(drill.stdout)] == ["attention"] * 3


def test_attention_questions_ask_what_the_notebook_teaches():
    asked = {q.expr.split("(")[0] for q in questions("attention", 200, seed=0, level=3)}
    assert {"np.einsum", "np.where", "p @ v", "np.concatenate", "x.mean"} <= asked
