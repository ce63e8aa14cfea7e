"""Answer classes: an assignment's wrong and alternative answers (tests/answers) as students, graded at once.

One class per assignment holds, as submissions of one course:

- ``source``: the instructor's notebook; ``untouched``: the release notebook as a learner receives it;
- the notebook students (tests/test_answers.py): the answers packed into students, each answer in its
  own solution cell (tests/packing.py, ``in_cells``);
- the module students (tests/test_editor.py): every alternative answer and one wrong answer per test
  (or set of tests) the wrong ones fail, written as editor-mode modules and turned back into the
  notebook ``mlgrind check`` grades (packed statement by statement, ``in_module``), beside
  ``module-source``, the source's own answers as a module.

The whole class is graded by one ``mlgrind autograde --jobs 2`` run: nbgrader's own autograde, one
kernel per submission, as every submission is graded alone. Each notebook student and each module
student is judged by the tests of its own file.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat

from packing import Answer, Student, answers_of, in_cells, in_module, pack
from support import REPO, replace_solution, run, solved

from mlgrind.course import Course
from mlgrind.editor import as_notebook, module_files, module_name

ANSWERS = Path(__file__).parent / "answers"


def load_answers(assignment: str):
    """The module ``tests/answers/answers_<assignment>.py`` (its WRONG and ALTERNATIVE tables)."""
    path = ANSWERS / f"answers_{assignment}.py"
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ASSIGNMENTS = sorted(p.stem.removeprefix("answers_") for p in ANSWERS.glob("answers_*.py"))


def submit(course: Path, assignment: str, student: str, nb) -> None:
    folder = course / "autograder" / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(nb, str(folder / f"{assignment}.ipynb"))


def scores(course: Path, assignment: str) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """(student -> grade_id -> score, grade_id -> max score), read from the gradebook."""
    from nbgrader.api import Gradebook

    url = f"sqlite:///{course}/autograder/gradebook.db"
    out = {}
    with Gradebook(url, "ml-grind") as gb:
        for submission in gb.assignment_submissions(assignment):
            notebook = submission.notebooks[0]
            out[submission.student.id] = {g.name: float(g.score) for g in notebook.grades}
        max_scores = {c.name: float(c.max_score) for c in gb.find_notebook(assignment, assignment).grade_cells}
    return out, max_scores


def autograde(course: Path, assignment: str, jobs: int = 2):
    """Grade every submission of ``assignment`` with ``mlgrind autograde --jobs``; each one must grade.

    Exit status 1 means some submission could not be graded at all; the summary lines saying which
    are shown.
    """
    graded_run = run(["mlgrind", "autograde", assignment, "--jobs", str(jobs)], course, timeout=1800)
    summary = [ln for i, ln in enumerate(graded_run.stdout.splitlines()) if i == 0 or "failed" in ln]
    assert graded_run.returncode == 0, "\n".join(summary) + "\n" + graded_run.stderr[-3000:]
    return graded_run


def variants_for_check(answers: list[Answer]) -> list[Answer]:
    """Every alternative answer, and one wrong answer for each test (or set of tests) the wrong ones fail."""
    firsts = {}
    for answer in answers:
        firsts.setdefault(answer.fails or answer.name, answer)
    return list(firsts.values())


@dataclass
class AnswerClass:
    """One assignment's graded answer class."""

    course: Path
    scores: dict[str, dict[str, float]]  # student -> grade_id -> score
    max_scores: dict[str, float]         # grade_id -> max score
    carriers: dict[str, Student]         # answer name -> the notebook student carrying it
    modules: list[Student]               # the module students (their names start with "module-")


def submit_notebook_students(course: Path, assignment: str) -> dict[str, Student]:
    """Submit source, untouched and the packed notebook students; answer name -> its student."""
    source = nbformat.read(str(REPO / "source" / assignment / f"{assignment}.ipynb"), as_version=4)
    submit(course, assignment, "source", source)
    release = REPO / "release" / assignment / f"{assignment}.ipynb"
    submit(course, assignment, "untouched", nbformat.read(str(release), as_version=4))
    carriers = {}
    answers = answers_of(load_answers(assignment))
    for student in pack(answers, in_cells(source, answers)):
        nb = nbformat.read(str(REPO / "source" / assignment / f"{assignment}.ipynb"), as_version=4)
        for answer in student.answers:
            nb = replace_solution(nb, answer.solution_id, answer.code)
            carriers[answer.name] = student
        submit(course, assignment, student.name, nb)
    return carriers


def submit_module_students(course: Path, assignment: str, scratch: Path) -> list[Student]:
    """Submit ``module-source`` and the packed module students, as ``mlgrind check`` turns modules into notebooks.

    Module students are named ``module-<student>``.
    """
    name = module_name(assignment)

    def notebook_of(group: list[Answer], folder: Path = scratch / "packing"):
        """The notebook `check` grades for a module holding the group's answers (the source's elsewhere)."""
        nb = solved(course, assignment)
        for answer in group:
            nb = replace_solution(nb, answer.solution_id, answer.code)
        module = folder / f"{name}.py"
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text(module_files(nb, assignment)[f"{name}.py"])
        return as_notebook(Course(course), assignment, module)

    first_answer_cell = next(c.metadata["nbgrader"]["grade_id"] for c in solved(course, assignment).cells
                             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))
    source = nbformat.read(str(course / "source" / assignment / f"{assignment}.ipynb"), as_version=4)
    variants = variants_for_check(answers_of(load_answers(assignment)))
    packed = pack(variants, in_module(notebook_of, first_answer_cell, source))
    students = [replace(student, name=f"module-{student.name}") for student in packed]
    submit(course, assignment, "module-source", notebook_of([], scratch / "source"))
    for student in students:
        submit(course, assignment, student.name, notebook_of(student.answers, scratch / student.name))
    return students


def grade_answer_class(course: Path, assignment: str, scratch: Path) -> AnswerClass:
    """Submit the whole answer class of ``assignment`` into ``course`` (its gradebook generated) and grade it."""
    carriers = submit_notebook_students(course, assignment)
    modules = submit_module_students(course, assignment, scratch)
    autograde(course, assignment)
    return AnswerClass(course, *scores(course, assignment), carriers, modules)
