"""The notebook's "Grade this notebook" cell: the same self-grade as `mlgrind grade`, shown in the notebook.

The browser test (test_first_hour.py) clicks it in JupyterLab; here it grades a course copy for real
and its pieces are checked on their own.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat

from gradesheet import gradesheet
from mlgrind.grade_cell import GradeCell, unsaved_answers
from support import run, solved

A = "01_broadcasting"


def answer_cell(source: str, grade_id: str):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": False, "solution": True, "grade_id": grade_id, "locked": False}
    return cell


def test_an_answer_run_in_a_newer_version_than_the_saved_one_is_named():
    saved = nbformat.v4.new_notebook()
    saved.cells = [answer_cell("def f(x):\n    return x.T", "f"), answer_cell("def g(x):\n    return x", "g"),
                   nbformat.v4.new_code_cell("print(f(1))")]
    assert unsaved_answers(saved, ["import numpy as np", "def f(x):\n    return x.T", "def g(x):\n    return x"]) == []
    # f was run again after an edit the file does not have; g was never run: nothing to say about it.
    history = ["def f(x):\n    return x.T", "print(1)", "def f(x):\n    return x.T.copy()"]
    assert unsaved_answers(saved, history) == ["f"]
    # Running the saved version last is saved again.
    assert unsaved_answers(saved, history + ["def f(x):\n    return x.T\n"]) == []


def test_the_grade_cell_shows_the_grade_tables_rows_the_next_step_and_a_link_inside_the_lab(course, selfgrade_gradebook):
    nbformat.write(solved(course, A), str(course / "notebooks" / f"{A}.ipynb"))
    notebooks = course / "notebooks"
    shown = GradeCell(A, folder=notebooks)._grade()
    # The same grade as the command, from the same saved notebook.
    report = json.loads(run(["mlgrind", "grade", "01", "--json"], course).stdout)
    body = re.search(r"<tbody>(.*?)</tbody>", shown).group(1)
    rows = [[html.unescape(re.sub(r"<[^>]+>", "", td)) for td in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", body)]
    plain = str.maketrans("", "", "`")  # code is set in type, not quoted
    assert rows == [[c["exercise"].translate(plain), f"{c['score']:g}/{c['max_score']:g}", c["status"],
                     c["summary"].translate(plain)] for c in report["cells"]]
    assert f"<b>score: {report['score']:g} / {report['max_score']:g} autograded points" in shown
    assert html.escape(report["next"]).replace("`", "") in re.sub(r"</?code>", "", shown)
    link = re.search(r'<a class="mlgrind-feedback-link" href="([^"]+)"', shown).group(1)
    # Relative to the notebook, inside the folder the learner's lab serves.
    assert link == f"feedback/{A}.html"
    assert (notebooks / link).is_file() and str(notebooks / link) == report["feedback"]
    assert report["score"] == report["max_score"] == gradesheet(A).total


def test_a_notebook_that_cannot_be_graded_says_why_in_one_red_line(course, selfgrade_gradebook):
    (course / "notebooks" / f"{A}.ipynb").write_text("{ not a notebook", encoding="utf-8")
    shown = GradeCell(A, folder=course / "notebooks")._grade()
    assert shown.startswith('<p style="color:#b00020">') and shown.count("<p") == 1
    assert "01_broadcasting.ipynb" in shown and "Traceback" not in shown


def test_a_static_viewer_is_told_how_to_grade(tmp_path: Path):
    cell = GradeCell(A, folder=tmp_path)
    assert repr(cell) == "Grade this notebook: run `mlgrind grade 01`"
    assert "mlgrind grade 01" in cell.static_html()
