"""A newcomer's first hour in a real browser (headless Chromium), in the course's own labs.

The learner's lab, started the README's way (`make lab`) on a fresh copy of the course: in 01, one
exercise solved and another got wrong by typing into the notebook; Run All goes through the wrong
answer's check (one red line, its likely cause first) to the drill at the bottom; the notebook is
graded from inside itself; the feedback report opens in the lab from the grade's link; reopened, the
notebook shows the flow's picture without a widget error; no news toast ever covers the page. The
instructor's lab, started as the README says without activating the environment, shows Formgrader
listing the assignments on its first load. Each step leaves a screenshot beside the test's files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time

import pytest

from browser_setup import expect, idle_kernel, jupyter_lab, private_environment, serving
from gradesheet import gradesheet
from support import BIN, REPO, copy_course, free_port
from test_browser import _shut_down_kernels as shut_down_kernels
from test_lab import make_lab

pytestmark = pytest.mark.browser

A = "01_broadcasting"
STANDARDIZE = '''def standardize(x_BF, eps=1e-5):
    mean_1F = x_BF.mean(axis=0, keepdims=True)
    var_1F = x_BF.var(axis=0, keepdims=True)
    return (x_BF - mean_1F) / np.sqrt(var_1F + eps)'''
# A common slip: the operands swapped, so the distances come out (M, N).
PAIRWISE_TRANSPOSED = '''def pairwise_sq_dists(a_ND, b_MD):
    return ((b_MD[:, None, :] - a_ND[None, :, :]) ** 2).sum(axis=-1)'''
NEWS = re.compile(r"Jupyter news", re.I)


def answer(page, first_line: str, code: str) -> None:
    """Replace the answer cell that starts with ``first_line`` by ``code``, typed in as a learner pastes it."""
    cell = page.locator(".jp-CodeCell").filter(has_text=first_line).first
    cell.scroll_into_view_if_needed()
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code)  # as pasted: no auto-indent on the way
    expect(cell.locator(".cm-content")).to_contain_text(code.splitlines()[-1].strip())


def saved(page, path, before: int) -> dict:
    """Save with Ctrl+S and wait for the file to change; its JSON."""
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while path.stat().st_mtime_ns == before:
        assert time.monotonic() < deadline, "the notebook was not saved"
        time.sleep(0.2)
    return json.loads(path.read_text())


def test_a_learners_first_hour_in_01(chromium, tmp_path):
    course = copy_course(tmp_path / "course")
    notebook = course / "notebooks" / f"{A}.ipynb"
    port, token = free_port(), "learner"
    # The learner's own settings, with nothing that silences JupyterLab's news: the lab must do it.
    environment = private_environment(tmp_path / "learner", news_off=False)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with make_lab(course, environment, port, token) as (url, log):
        page = chromium.new_page(viewport={"width": 1280, "height": 1000})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            page.goto(f"{url}/lab/tree/{A}.ipynb?token={token}")
            idle = idle_kernel(page)
            expect(idle).to_have_count(1, timeout=90_000)

            # 1. One exercise solved, another wrong.
            answer(page, "def standardize(x_BF, eps=1e-5):", STANDARDIZE)
            answer(page, "def pairwise_sq_dists(a_ND, b_MD):", PAIRWISE_TRANSPOSED)
            page.screenshot(path=str(shots / "1-answers-typed.png"))

            # 2. Run All reaches the drill at the bottom, through the wrong answer's check.
            page.locator(".lm-MenuBar-itemLabel").filter(has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel").filter(has_text=re.compile(r"^Run All Cells$")).click()
            last = page.locator(".jp-Notebook .jp-CodeCell").last
            last.scroll_into_view_if_needed()
            expect(last.get_by_role("button", name="Next question").first).to_be_visible(timeout=180_000)
            expect(idle).to_have_count(1, timeout=60_000)
            page.screenshot(path=str(shots / "2-run-all-reached-the-drill.png"))

            wrong = page.locator(".jp-CodeCell").filter(has_text='QuickCheck("pairwise_sq_dists")')
            red = wrong.locator(".jp-OutputArea-output .ansi-red-fg")
            expect(red).to_have_count(1)
            expect(red).to_contain_text("✗ pairwise_sq_dists: transposed? d_NM is (2, 3), expected (3, 2)")
            expect(wrong.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")).to_have_count(0)
            wrong.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "3-wrong-answer-one-red-line.png"))
            right = page.locator(".jp-CodeCell").filter(has_text='QuickCheck("standardize")')
            expect(right.locator(".jp-OutputArea-output")).to_contain_text("The quick checks pass.")

            nb = saved(page, notebook, notebook.stat().st_mtime_ns)
            code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
            assert all(cell["execution_count"] for cell in code), "Run All stopped before the last cell"
            assert not [out for cell in code for out in cell["outputs"] if out["output_type"] == "error"]

            # 3. Graded from inside the notebook: the table, the next step, the report's link.
            grade = page.locator(".jp-CodeCell").filter(has_text='GradeCell("01_broadcasting")')
            grade.scroll_into_view_if_needed()
            grade.get_by_role("button", name="Grade this notebook").click()
            table = grade.locator(".mlgrind-grade-table")
            expect(grade.locator(".mlgrind-grade-score")).to_contain_text("score:", timeout=240_000)
            sheet = gradesheet(A)
            standardize, pairwise = sheet["test_standardize"], sheet["test_pairwise_sq_dists"]
            rows = {row.locator("td").first.inner_text(): [td.inner_text() for td in row.locator("td").all()]
                    for row in table.locator("tbody tr").all()}
            plain = {label: label.replace("`", "") for label in sheet.labels}  # code is set in type, not quoted
            assert list(rows) == list(plain.values()), rows
            assert rows[plain[standardize.label]][1:3] == [f"{standardize.points:g}/{standardize.points:g}", "pass"]
            assert rows[plain[pairwise.label]][1:3] == [f"0/{pairwise.points:g}", "fail"]
            assert rows[plain[pairwise.label]][3].startswith("transposed? pairwise_sq_dists of float"), rows
            expect(grade.locator(".mlgrind-grade-score")).to_have_text(sheet.score_line(standardize.points))
            # The failing exercise comes before the ones not attempted, though the first is above it.
            expect(grade.locator(".mlgrind-grade-next")).to_have_text(
                f"next: {plain[pairwise.label]} - fix it, run its check cell, then mlgrind grade 01 again")
            page.screenshot(path=str(shots / "4-graded-in-the-notebook.png"))

            # 4. The feedback report, one click away, opens in the lab.
            grade.locator("a.mlgrind-feedback-link").click()
            tab = page.locator(".lm-TabBar-tab").filter(has_text=f"{A}.html")
            expect(tab).to_have_count(1, timeout=30_000)
            report = page.frame_locator(".jp-HTMLViewer iframe").first.locator("body")
            expect(report).to_contain_text("transposed?", timeout=30_000)
            expect(report).to_contain_text(f"score: {standardize.points:g} / {sheet.total:g} autograded points")
            page.screenshot(path=str(shots / "5-feedback-report-in-the-lab.png"))

            # 5. Reopened another day (a new kernel, which holds none of the saved widgets' models), the
            # saved flow, grade cell and drill show their pictures and no widget error.
            shut_down_kernels(page)
            page.goto(f"{url}/lab/workspaces/reopened/tree/{A}.ipynb?reset&token={token}")
            expect(idle_kernel(page)).to_have_count(1, timeout=90_000)
            dead = page.get_by_text("Error displaying widget: model not found")
            expect(dead).to_have_count(3, timeout=30_000)  # flow, grade cell and drill: their models are gone
            for text in ("BroadcastFlow((9, 1, 3), (4, 1))", 'GradeCell("01_broadcasting")', 'DrillWidget("broadcasting")'):
                cell = page.locator(".jp-CodeCell").filter(has_text=text)
                cell.scroll_into_view_if_needed()
                expect(cell.locator(".mlgrind-static")).to_be_visible()
                expect(cell.get_by_text("Error displaying widget")).to_be_hidden()
            page.locator(".jp-CodeCell").filter(has_text="BroadcastFlow((9, 1, 3), (4, 1))").scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "6-reopened-picture-no-widget-error.png"))

            assert not NEWS.search(page.locator("body").inner_text())
            assert not errors, errors
        except Exception:
            page.screenshot(path=str(shots / "failure.png"))
            shutil.copy(log, tmp_path / "jupyter-failure.log")
            raise
        finally:
            page.close()


def test_the_instructors_lab_lists_the_assignments_in_formgrader_on_first_load(chromium, tmp_path):
    course = copy_course(tmp_path / "course")
    environment = private_environment(tmp_path / "instructor")
    # `.venv/bin/jupyter lab` in the course root, the environment not activated: .venv/bin is off PATH.
    environment["PATH"] = os.pathsep.join(p for p in environment["PATH"].split(os.pathsep)
                                          if p and os.path.realpath(p) != os.path.realpath(BIN))
    port, token = free_port(), "instructor"
    assert not (course / "autograder" / "gradebook.db").exists()
    with serving(jupyter_lab(port, token), course, environment, port, token) as (url, log):
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(f"{url}/formgrader?token={token}")
            rows = page.locator("#main_table tr, table tr").filter(has_text="01_broadcasting")
            expect(rows.first).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Loading, please wait")).to_have_count(0)
            for assignment in sorted(path.name for path in (REPO / "source").iterdir() if path.is_dir()):
                expect(page.locator("body")).to_contain_text(assignment)
            page.screenshot(path=str(tmp_path / "formgrader-first-load.png"))
            assert "Traceback" not in log.read_text()
        except Exception:
            page.screenshot(path=str(tmp_path / "formgrader-failure.png"))
            shutil.copy(log, tmp_path / "jupyter-failure.log")
            raise
        finally:
            page.close()
