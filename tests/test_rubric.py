"""Interview answers: a rubric and model answer in source/ only, shown once the learner has answered,
rated y/n per point in a terminal, kept in the learner's progress and never in a gradebook."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import sqlite3
import subprocess

import nbformat
import pexpect
import pytest

from mlgrind.course import Course
from mlgrind.course.rubrics import GRADE_ID, answer_cells, from_source, is_answered, is_interview, parse, without_hidden
from mlgrind.grading.preprocessors.feedback_2_show_rubric import UNANSWERED_NOTE
from mlgrind.grading.written_answers import after_grade_lines, answered
from mlgrind.recall.history import record_rating, report
from support import BIN, REPO, env, html_text, run

A = "01_broadcasting"
ASSIGNMENTS = sorted(p.parent.name for p in (REPO / "source").glob("*/*.ipynb"))
ANSWER = "Shapes line up from the right and size-1 axes stretch; (N, 1) minus (N,) gives (N, N)."


def rubrics(assignment: str):
    return from_source(Course(REPO), assignment)


def rubric(assignment: str = A):
    """The rubric of a notebook that asks one question."""
    (one,) = rubrics(assignment)
    return one


def shown(text: str) -> str:
    """Markdown as the feedback report shows it: code spans lose their backticks."""
    return text.replace("`", "")


def answer_source_of(path, grade_id: str = GRADE_ID) -> str:
    nb = nbformat.read(str(path), as_version=4)
    return next(c.source for c in answer_cells(nb) if c.metadata.nbgrader.grade_id == grade_id)


def answer_sources(path) -> dict[str, str]:
    nb = nbformat.read(str(path), as_version=4)
    return {c.metadata.nbgrader.grade_id: c.source for c in answer_cells(nb)}


def write_answer(course, text: str = ANSWER, assignment: str = A, grade_id: str = GRADE_ID) -> None:
    path = course / "notebooks" / f"{assignment}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id).source = text
    nbformat.write(nb, str(path))


def feedback(course) -> str:
    return html_text(course / "autograder" / "selfgrade" / "feedback" / "learner" / A / f"{A}.html")


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ratings(course) -> list[tuple]:
    with sqlite3.connect(course / "autograder" / "progress.db") as db:
        return db.execute("SELECT assignment, score, max_score, said FROM interview_ratings").fetchall()


def spawn_rate(course):
    return pexpect.spawn(str(BIN / "mlgrind"), ["grade", "01", "--rate"], cwd=str(course), env=env(),
                         encoding="utf-8", timeout=300)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_written_answer_has_a_rubric_summing_to_its_points(assignment):
    nb = nbformat.read(str(REPO / "source" / assignment / f"{assignment}.ipynb"), as_version=4)
    cells = answer_cells(nb)
    sheets = rubrics(assignment)
    assert [sheet.grade_id for sheet in sheets] == [c.metadata.nbgrader.grade_id for c in cells]
    assert any(is_interview(sheet.grade_id) for sheet in sheets)
    interview = [sheet for sheet in sheets if is_interview(sheet.grade_id)]
    assert len({sheet.title for sheet in interview}) == len(interview)  # each named apart in the table and the rating
    for sheet, cell in zip(sheets, cells):
        points = cell.metadata.nbgrader.points
        assert 3 <= len(sheet.items) <= 5
        assert all(item.points > 0 and len(item.text) > 20 for item in sheet.items)
        assert sum(item.points for item in sheet.items) == sheet.points == points
        assert sheet.question and not sheet.question.startswith("### BEGIN")  # the question is the cell above
        if is_interview(sheet.grade_id):
            heading = sheet.question.splitlines()[0]
            assert heading.startswith("## Say it out loud") and sheet.title.startswith("Say it out loud")
            assert heading.endswith(f"({points:g} point{'' if points == 1 else 's'}, read by a person)")
            assert len(sheet.model_answer.split()) >= 60  # a spoken answer of several sentences
        else:
            assert sheet.title.startswith("Exercise ") and len(sheet.model_answer.split()) >= 40


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_and_notebooks_hold_no_model_answer_and_no_rubric(assignment):
    sheets = rubrics(assignment)
    secrets = [line.strip() for sheet in sheets for line in sheet.model_answer.splitlines() if len(line.strip()) > 25]
    secrets += [item.text for sheet in sheets for item in sheet.items]
    for path in [REPO / "release" / assignment / f"{assignment}.ipynb", REPO / "notebooks" / f"{assignment}.ipynb"]:
        assert answer_sources(path) == {sheet.grade_id: "YOUR ANSWER HERE" for sheet in sheets}
        text = "\n".join(c.source for c in nbformat.read(str(path), as_version=4).cells)
        assert "#### Rubric" not in text and "#### Model answer" not in text
        assert [s for s in secrets if s in text] == [], path


def test_a_parsed_rubric_names_a_missing_or_empty_one():
    with pytest.raises(ValueError, match="no '#### Model answer'"):
        parse("### BEGIN SOLUTION\nx\n### END SOLUTION")
    with pytest.raises(ValueError, match="lists no"):
        parse("### BEGIN HIDDEN TESTS\n#### Model answer\nx\n#### Rubric\n* one\n### END HIDDEN TESTS")


def test_a_cell_readded_from_the_gradebook_is_not_an_answer():
    readded = "YOUR ANSWER HERE\n### BEGIN HIDDEN TESTS\n#### Model answer\nsecret\n### END HIDDEN TESTS"
    assert without_hidden(readded) == "YOUR ANSWER HERE"
    assert not is_answered(readded) and not is_answered("  \n") and is_answered(ANSWER)
    instructors = answer_source_of(REPO / "source" / A / f"{A}.ipynb")  # what grading puts back for a deleted cell
    assert "### BEGIN SOLUTION" in instructors and without_hidden(instructors) == "" and not is_answered(instructors)
    note = "This cell (id:interview_answer) was missing from the submission. It was added back by nbgrader.\n\n"
    assert not is_answered(note + readded) and is_answered(note + ANSWER)


@pytest.mark.parametrize("show_rubric", [True, False])
def test_a_deleted_answer_cell_is_put_back_unanswered_and_shows_no_model_answer(generated_course, selfgrade_gradebook, show_rubric):
    """Even with the rubric step turned off (an instructor holding model answers back), nothing leaks."""
    course = generated_course
    if not show_rubric:
        with open(course / "autograder" / "nbgrader_config.py", "a") as config:
            config.write("\nc.ShowRubric.enabled = False\n")
    path = course / "notebooks" / f"{A}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != GRADE_ID]
    nbformat.write(nb, str(path))
    result = json.loads(run(["mlgrind", "grade", "01", "--json"], course).stdout)
    row = next(c for c in result["cells"] if c["grade_id"] == GRADE_ID)
    assert row["status"] == "manual" and row["message"].startswith("not written yet")
    text = feedback(course)
    sheet = rubric()
    assert not any(shown(line) in text for line in sheet.model_answer.splitlines() if len(line) > 25)
    assert not any(shown(item.text) in text for item in sheet.items) and "Model answer" not in text
    assert (shown(UNANSWERED_NOTE).strip("*") in text) == show_rubric


def test_the_gradebook_source_cell_holds_what_the_release_leaves_out(generated_course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{generated_course / 'autograder' / 'gradebook.db'}") as gb:
        source = gb.find_source_cell(GRADE_ID, A, A).source
    assert parse(source).items == rubric().items
    assert parse(source).model_answer == rubric().model_answer


def test_an_unanswered_grade_asks_for_an_answer_first_and_shows_no_model_answer(generated_course, selfgrade_gradebook):
    result = subprocess.run([str(BIN / "mlgrind"), "grade", "01", "--rate"], cwd=generated_course, env=env(),
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "interview answer: write your answer first" in result.stdout
    assert "does your answer do this" not in result.stdout
    sheet = rubric()
    first_line = sheet.model_answer.splitlines()[0]
    for text in [result.stdout, feedback(generated_course)]:
        assert first_line not in text and shown(first_line) not in text
        assert not any(shown(item.text) in text for item in sheet.items)
    assert shown(UNANSWERED_NOTE).strip("*") in feedback(generated_course)
    assert ratings(generated_course) == []


def test_an_answered_grade_shows_the_rubric_and_a_rating_is_kept_apart_from_every_gradebook(generated_course, selfgrade_gradebook):
    course = generated_course
    write_answer(course)
    class_gradebook = course / "autograder" / "gradebook.db"
    before = digest(class_gradebook)
    sheet = rubric()

    child = spawn_rate(course)
    child.expect(r"rubric \(2 points\):")
    child.expect("model answer:")
    for number, typed in enumerate(["y", "n", "y", "y"], 1):
        child.expect(rf"\[{number}/4\] \(0\.5 points\) ")
        child.expect(r"does your answer do this\? \[y/n\]")
        if number == 2:
            child.sendline("maybe")
            child.expect("please type y or n")
            child.expect(r"\[y/n\]")
        child.sendline(typed)
    child.expect(r"self-rated interview answer: 1\.5/2")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "Traceback" not in child.before

    text = feedback(course)
    assert ANSWER in text
    assert all(shown(item.text) in text for item in sheet.items)
    assert all(shown(line) in text for line in sheet.model_answer.splitlines())
    assert text.index(ANSWER) < text.index(shown(sheet.items[0].text))

    assert ratings(course) == [(A, 1.5, 2.0, "ynyy")]
    assert digest(class_gradebook) == before
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'autograder' / 'selfgrade' / 'gradebook.db'}") as gb:
        grade = gb.find_grade(GRADE_ID, A, A, "learner")
        assert grade.manual_score is None and grade.score == 0

    row = next(line for line in run(["mlgrind", "progress"], course).stdout.splitlines() if line.startswith(A))
    assert row.split()[-1] == "1.5/2"
    assert run(["mlgrind", "reset", "01"], course).returncode == 0
    row = next(line for line in run(["mlgrind", "progress"], course).stdout.splitlines() if line.startswith(A))
    assert row.split()[-1] == "1.5/2"


@pytest.mark.parametrize("how", ["eof", "killed"])
def test_a_rating_stopped_midway_keeps_what_was_kept_and_adds_nothing(generated_course, selfgrade_gradebook, how):
    write_answer(generated_course)
    earlier = [(A, 0.5, 2.0, "ynnn")] if how == "killed" else []
    if earlier:
        record_rating(Course(generated_course), A, 0.5, 2.0, [True, False, False, False])
    child = spawn_rate(generated_course)
    child.expect(r"\[1/4\]")
    child.expect(r"\[y/n\]")
    child.sendline("y")
    child.expect(r"\[2/4\]")
    child.expect(r"\[y/n\]")
    if how == "eof":
        child.sendeof()
        child.expect("stopped; no rating was saved")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0 and "Traceback" not in child.before
    else:
        child.kill(signal.SIGKILL)
        child.expect(pexpect.EOF)
        child.close()
        assert child.signalstatus == signal.SIGKILL
    assert ratings(generated_course) == earlier
    row = next(line for line in run(["mlgrind", "progress"], generated_course).stdout.splitlines() if line.startswith(A))
    assert row.split()[-1] == ("0.5/2" if earlier else "-")


def test_an_older_progress_database_gains_ratings_and_keeps_its_records(course):
    with sqlite3.connect(course / "autograder" / "progress.db") as db:
        db.executescript("""
            CREATE TABLE grades (assignment TEXT, score REAL, max_score REAL, via TEXT, at REAL);
            CREATE TABLE drills (topic TEXT, correct INTEGER, at REAL);
            INSERT INTO grades VALUES ('01_broadcasting', 12, 15, 'grade', 1700000000);
            INSERT INTO drills VALUES ('matmul', 1, 1700000000);
        """)
    record_rating(Course(course), "02_matmul_einsum", 1.0, 2.0, [True, False, True, False])
    shown_report = report(Course(course))
    assert "matmul 1/1 (100%)" in shown_report
    rows = {line.split()[0]: line.split() for line in shown_report.splitlines()[1:6]}
    assert rows[A][1] == "12/15" and rows[A][-1] == "-"
    assert rows["02_matmul_einsum"][-1] == "1/2"


def test_rubric_command_prints_every_question_rubric_and_model_answer(course):
    result = run(["mlgrind", "rubric"], course)
    assert result.returncode == 0, result.stderr
    for assignment in ASSIGNMENTS:
        for sheet in rubrics(assignment):
            assert f"{assignment} / {sheet.grade_id}" in result.stdout
            assert sheet.question in result.stdout
            assert all(f"[{item.points:g} points] {item.text}" in result.stdout for item in sheet.items)
            assert all(line in result.stdout for line in sheet.model_answer.splitlines())
    one = run(["mlgrind", "rubric", "04"], course).stdout
    assert "04_backprop_mlp / " in one and A not in one
    assert run(["mlgrind", "rubric", "99"], course).returncode == 2


def test_rate_with_json_is_a_usage_error(course):
    result = run(["mlgrind", "grade", "01", "--rate", "--json"], course)
    assert result.returncode == 2 and "--rate" in result.stderr and result.stdout == ""


def test_a_source_without_a_rubric_is_named_and_nothing_is_asked(course, capsys, monkeypatch):
    from mlgrind.cli import _interview_answer

    source = course / "source" / A / f"{A}.ipynb"
    nb = nbformat.read(str(source), as_version=4)
    next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == GRADE_ID).source = (
        "### BEGIN SOLUTION\nan answer\n### END SOLUTION"
    )
    nbformat.write(nb, str(source))
    write_answer(course)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail(f"asked {prompt!r}"))
    _interview_answer(Course(course), A, rate=True)
    captured = capsys.readouterr()
    assert "no rubric to show" in captured.err and "Model answer" in captured.err
    assert not (course / "autograder" / "progress.db").exists()


@pytest.mark.slow
def test_a_notebook_of_several_questions_shows_and_rates_only_the_answered_ones(course, gradebooks):
    """07 asks for four written answers (three interview questions and a plan's reasons): one answered gets
    its rubric, the others a nudge."""
    scaling = "07_scaling_math"
    plan, decode, zero3, fit = rubrics(scaling)
    course = gradebooks.into(course, scaling)
    write_answer(course, "At batch 1 every weight is read for 2 FLOPs: about 1 FLOP per byte.", scaling, zero3.grade_id)
    child = pexpect.spawn(str(BIN / "mlgrind"), ["grade", "07", "--rate"], cwd=str(course), env=env(),
                          encoding="utf-8", timeout=300)
    child.expect(rf"{re.escape(zero3.title)}: compare your answer with the rubric")
    child.expect(r"written answers still to write: Which parallelism\?, decoding, a 70B model on 8 × 80 GB \(")
    for number, typed in enumerate(["y", "n", "n", "n"], 1):
        child.expect(rf"\[{number}/4\] \(0\.25 points\) ")
        child.expect(r"\[y/n\]")
        child.sendline(typed)
    child.expect(r"self-rated written answers: 0\.25/4 ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert not any(s.items[0].text in child.before for s in (plan, decode, fit))
    assert ratings(course) == [(scaling, 0.25, 4.0, "ynnn")]  # the unwritten answers rate 0

    text = html_text(course / "autograder" / "selfgrade" / "feedback" / "learner" / scaling / f"{scaling}.html")
    assert shown(zero3.items[1].text) in text
    assert not any(shown(item.text) in text for item in plan.items + decode.items + fit.items)
    assert text.count(shown(UNANSWERED_NOTE).strip("*")) == 3


def test_an_unwritten_answer_is_asked_for_where_it_is_written():
    release = nbformat.read(str(REPO / "release" / A / f"{A}.ipynb"), as_version=4)
    questions = answered(Course(REPO), A, release)
    in_notebook = after_grade_lines(questions)
    in_scaffold = after_grade_lines(questions, in_answers_file=True)
    assert 'write your answer first (the "Say it out loud" cell)' in in_notebook[1]
    assert "write your answer first (its section of answers.md)" in in_scaffold[1]
