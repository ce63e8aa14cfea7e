"""Editor mode: a scaffold module, its quick checks, and `mlgrind check` with the notebook's hidden tests."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from answer_classes import ASSIGNMENTS
from gradesheet import gradesheet
from support import REPO, html_text, run, solved

from mlgrind.course import Course
from mlgrind.course.rubrics import from_source
from mlgrind.editor import as_notebook, module_files, module_name

A = "01_broadcasting"
SHEET = gradesheet(A)


def solution_lines(assignment: str) -> list[str]:
    """Lines of the solutions that the released notebook does not show anywhere else."""
    nb = nbformat.read(str(REPO / "source" / assignment / f"{assignment}.ipynb"), as_version=4)
    released = nbformat.read(str(REPO / "release" / assignment / f"{assignment}.ipynb"), as_version=4)
    shown = {ln.strip() for cell in released.cells for ln in cell.source.splitlines()}
    lines = []
    for cell in nb.cells:
        for block in re.findall(r"### BEGIN SOLUTION(.*?)### END SOLUTION", cell.source, re.S):
            lines += [ln.strip() for ln in block.splitlines() if len(ln.strip()) > 12]
    return [ln for ln in lines if ln not in shown]


@pytest.mark.parametrize("assignment", sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir()))
def test_scaffold_holds_no_solution_and_its_quick_checks_fail(course, tmp_path, assignment):
    out = tmp_path / "grind"
    result = run(["mlgrind", "scaffold", assignment, "--out", str(out)], course)
    assert result.returncode == 0, result.stderr
    folder = out / assignment
    name = module_name(assignment)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["README.md", f"{name}.py", f"test_{name}.py", "answers.md", ".mlgrind-course"])
    assert (folder / ".mlgrind-course").read_text().strip() == str(course.resolve())
    scaffold_lines = {ln.strip() for p in folder.iterdir() for ln in p.read_text().splitlines()}
    assert [ln for ln in solution_lines(assignment) if ln in scaffold_lines] == []
    # The README carries every exercise's text, in words that fit an editor: there are no cells here.
    readme = (folder / "README.md").read_text()
    release = nbformat.read(str(course / "release" / assignment / f"{assignment}.ipynb"), as_version=4)
    headings = [c.source.splitlines()[0] for c in release.cells if c.source.startswith("## Exercise")]
    assert headings and all(f"#{heading}" in readme for heading in headings)
    assert not re.search(r"\bcells?\b", readme, re.I), readme
    # Each written question is in answers.md, with a place for its answer.
    answers = (folder / "answers.md").read_text()
    written = [c.metadata["nbgrader"]["grade_id"] for c in release.cells
               if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")]
    assert written and all(f"your answer to {grade_id} starts below" in answers for grade_id in written)
    assert "Say it out loud" in answers
    quick = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", folder],
                           cwd=folder, capture_output=True, text=True)
    assert quick.returncode == 1 and "NotImplementedError" in quick.stdout


def test_scaffold_never_overwrites_a_learners_module(course, tmp_path):
    out = tmp_path / "grind"
    assert run(["mlgrind", "scaffold", "01", "--out", str(out)], course).returncode == 0
    module = out / A / "broadcasting.py"
    module.write_text("# my work\n")
    again = run(["mlgrind", "scaffold", "01", "--out", str(out)], course)
    assert again.returncode == 2 and "--force" in again.stderr
    assert module.read_text() == "# my work\n"
    forced = run(["mlgrind", "scaffold", "01", "--out", str(out), "--force"], course)
    assert forced.returncode == 0
    kept = list((out / A).glob("broadcasting.attempt-*.py"))
    assert len(kept) == 1 and kept[0].read_text() == "# my work\n"


@pytest.mark.slow
def test_check_works_in_the_scaffolds_own_folder_and_carries_the_written_answer(course, selfgrade_gradebook, tmp_path):
    out = tmp_path / "grind"  # outside the course: only the scaffold knows where the course is
    assert run(["mlgrind", "scaffold", "01", "--out", str(out)], course).returncode == 0
    folder = out / A
    module = folder / "broadcasting.py"
    module.write_text(module_files(solved(course, A), A)["broadcasting.py"])
    said = "The bias is added to every row, so its gradient sums the rows' gradients."
    answers = folder / "answers.md"
    answers.write_text(answers.read_text().replace("YOUR ANSWER HERE", said))
    for args in (["01", "."], ["01_broadcasting"]):  # as the README and the module's docstring say
        result = run(["mlgrind", "check", *args, "--json"], folder)
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["score"] == report["max_score"] == SHEET.total
        assert ("interview_answer", "manual") in {(c["grade_id"], c["status"]) for c in report["cells"]}
    graded = nbformat.read(str(next((course / "autograder").rglob(f"autograded/editor/{A}/{A}.ipynb"))),
                           as_version=4)
    answer_cell = next(c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "interview_answer")
    assert answer_cell.source == said
    # The table is followed by the written answer's rubric and model answer, as `mlgrind grade`'s is.
    (sheet,) = from_source(Course(course), A)
    table = run(["mlgrind", "check", "01"], folder)
    assert table.returncode == 0 and "interview answer: compare yours with the rubric" in table.stdout
    assert sheet.items[0].text in table.stdout and sheet.model_answer.splitlines()[0] in table.stdout
    assert run(["mlgrind", "check", "01", "--rate", "--json"], folder).returncode == 2
    # From the folder --out named, too; a course that moved is named, and --course points elsewhere.
    assert run(["mlgrind", "check", "01", "--json"], out).returncode == 0
    (folder / ".mlgrind-course").write_text(str(tmp_path / "gone") + "\n")
    moved = run(["mlgrind", "check", "01"], folder)
    assert moved.returncode == 2 and "--course" in moved.stderr and str(tmp_path / "gone") in moved.stderr
    assert run(["mlgrind", "check", "01", "--json", "--course", str(course)], folder).returncode == 0


def test_as_notebook_puts_each_written_answer_in_its_cell_and_leaves_unwritten_ones_unanswered(course, tmp_path):
    files = module_files(nbformat.read(str(course / "release" / A / f"{A}.ipynb"), as_version=4), A)
    module = tmp_path / "broadcasting.py"
    module.write_text(files["broadcasting.py"])
    answer_cells = lambda nb: {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells  # noqa: E731
                               if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")}
    assert answer_cells(as_notebook(Course(course), A, module)) == {"interview_answer": "YOUR ANSWER HERE"}
    (tmp_path / "answers.md").write_text(files["answers.md"].replace("YOUR ANSWER HERE", "line one\n\nline two"))
    assert answer_cells(as_notebook(Course(course), A, module)) == {"interview_answer": "line one\n\nline two"}


@pytest.mark.slow
def test_check_gives_a_solved_module_the_notebooks_score_and_the_scaffold_zero(course, selfgrade_gradebook, tmp_path):
    out = tmp_path / "grind"
    assert run(["mlgrind", "scaffold", "01", "--out", str(out)], course).returncode == 0
    untouched = json.loads(run(["mlgrind", "check", "01", str(out), "--json"], course).stdout)
    assert untouched["score"] == 0 and untouched["max_score"] == SHEET.total
    # The terminal and the feedback report both give `mlgrind check` as the way to grade again.
    assert untouched["next"].endswith("then `mlgrind check 01` again"), untouched["next"]
    report = html_text(Path(untouched["feedback"]))
    assert untouched["next"].replace("`", "") in report

    module = out / A / "broadcasting.py"
    module.write_text(module_files(solved(course, A), A)["broadcasting.py"])
    quick = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=out / A,
                           capture_output=True, text=True)
    assert quick.returncode == 0, quick.stdout
    by_check = json.loads(run(["mlgrind", "check", "01", str(module), "--json"], course).stdout)
    nbformat.write(solved(course, A), str(course / "notebooks" / f"{A}.ipynb"))
    by_grade = json.loads(run(["mlgrind", "grade", "01", "--json"], course).stdout)
    assert by_check["score"] == by_grade["score"] == SHEET.total
    assert [(c["grade_id"], c["status"]) for c in by_check["cells"]] == [
        (c["grade_id"], c["status"]) for c in by_grade["cells"]
    ]


@pytest.mark.answers
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_wrong_and_alternative_answers_score_the_same_through_check(graded_classes, assignment):
    """Answer variants, written as modules and graded through `check`'s conversion, score as their notebooks do.

    Every alternative answer, and one wrong answer per test the wrong answers fail: each exercise's
    code goes through the conversion right and wrong (tests/test_answers.py grades every wrong
    answer as a notebook). A module carries several variants when no test cell can see two of them
    (tests/packing.py, statement by statement through the module); each variant must then score zero
    in the tests it fails and lose nothing else among the tests its packmates cannot reach. The modules
    are graded in the same class run as the notebooks of tests/test_answers.py (tests/answer_classes.py).
    """
    graded = graded_classes[assignment]
    got, max_scores = graded.scores, graded.max_scores
    full = {k: v for k, v in max_scores.items() if k.startswith("test_")}
    assert {k for k in full if got["module-source"][k] != full[k]} == set(), got["module-source"]
    for student in graded.modules:
        lost = {k for k in full if got[student.name][k] != full[k]}
        for answer in student.answers:
            own = student.out_of_reach(answer, full)
            assert lost & own == set(answer.fails), (answer.name, student.name, lost & own)
