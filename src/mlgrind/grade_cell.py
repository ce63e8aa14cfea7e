"""A notebook's "grade me" cell: a button that self-grades the saved notebook and shows the table.

A click runs the same self-grade as ``mlgrind grade NN`` (``python -m mlgrind grade NN --json`` in a
subprocess, so the learner's kernel never loads nbgrader) and shows its table, the next step and a
link to the feedback report, which the self-grade places beside the notebooks: inside the lab's
root, so the link opens it in JupyterLab. Grading reads the notebook as saved; the cell says so,
and names the answers the kernel ran in a version newer than the saved one. Running the cell only
draws the button: Run All never grades, nor does nbgrader's autograde running the cell.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import ipywidgets as widgets

from .course.settings import notebook_name
from .course.exercises import score_line
from .grading.report import Report
from .shapes.flows import live_hides_static, static_picture

SAVE_FIRST = "Grading reads the notebook as saved: save it first (Ctrl+S, or File → Save Notebook)."


def unsaved_answers(saved_nb, history: list[str]) -> list[str]:
    """Answer cells whose latest run (in ``history``, the kernel's ``In``) differs from the saved notebook.

    An answer cell is matched to its runs by its first line (``def standardize(x_BF, eps=1e-5):``).
    """
    names = []
    for cell in saved_nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("solution") or not cell.source.strip():
            continue
        head = cell.source.strip().splitlines()[0]
        runs = [source for source in history if source.strip() and source.strip().splitlines()[0] == head]
        if runs and runs[-1].strip() != cell.source.strip():
            names.append(meta.get("grade_id", head))
    return names


STATUS_COLOURS = {"pass": "#1b7f3b", "fail": "#b00020", "error": "#b00020"}


def report_html(report: Report, notebook_folder: Path) -> str:
    """The grade table's rows, its score line and notes, every failed check, the next step and a link to
    the feedback report, as the cell shows them (messages wrap instead of running off the page)."""
    def esc(text: str) -> str:  # `code` is set in type, as in the feedback report
        return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))

    left = ' style="text-align:left"'
    rows = "".join(
        f"<tr><td{left}>{esc(c.exercise)}</td><td{left}>{c.score:g}/{c.max_score:g}</td>"
        f'<td style="text-align:left;color:{STATUS_COLOURS.get(c.status, "inherit")}">{esc(c.status)}</td>'
        f"<td{left}>{esc(c.summary)}</td></tr>"
        for c in report.cells
    )
    failed = "".join(
        f"<details><summary>every failed check of {esc(c.exercise)}</summary><pre>{html.escape(c.message.strip())}</pre></details>"
        for c in report.cells if c.status in ("fail", "error") and c.summary != c.message.strip()
    )
    notes = "".join(f"<p>note: {esc(note)}</p>" for note in report.notes)
    link = os.path.relpath(report.feedback, notebook_folder).replace(os.sep, "/")
    head = "".join(f"<th{left}>{name}</th>" for name in ("exercise", "points", "status", "message"))
    return (f'<table class="mlgrind-grade-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
            f'<p class="mlgrind-grade-score"><b>{esc(score_line(report.score, report.max_score, report.manual_max))}</b></p>'
            f"{notes}{failed}"
            f'<p class="mlgrind-grade-next"><b>{esc(report.next)}</b></p>'
            f'<p><a class="mlgrind-feedback-link" href="{html.escape(link, quote=True)}">'
            f"Open the feedback report ({esc(link)})</a>: every exercise with its checks.</p>")


class GradeCell(widgets.VBox):
    """``GradeCell("01_broadcasting")``: a "Grade this notebook" button and, after a click, the grade."""

    def __init__(self, assignment: str, folder: Path | None = None):
        self.assignment = assignment
        self.folder = Path(folder) if folder is not None else Path.cwd()
        self.button = widgets.Button(description="Grade this notebook", button_style="primary", icon="check",
                                     layout=widgets.Layout(width="auto"))
        self.note = widgets.HTML()
        self.out = widgets.Output()
        self.button.on_click(lambda _: self.grade())
        super().__init__([widgets.HBox([self.button, self.note]), self.out])
        self.note.value = live_hides_static(self.model_id) + f'<span style="font-size:12px">{html.escape(SAVE_FIRST)}</span>'

    def static_html(self) -> str:
        """What a viewer without a kernel shows (a reopened notebook, the feedback report)."""
        return static_picture(self.model_id, "grade", f"<p>{html.escape(repr(self))}, or run this cell and click "
                                                      "<b>Grade this notebook</b>.</p>")

    def _ipython_display_(self):
        from IPython.display import display

        display({"text/plain": repr(self), "text/html": self.static_html()}, raw=True)
        display(self._repr_mimebundle_(), raw=True)

    def grade(self) -> None:
        """Grade the saved notebook and show the result below the button."""
        from IPython.display import HTML, display

        self.button.disabled = True
        self.out.clear_output()
        with self.out:
            display(HTML("<p>Grading with the hidden tests (a few seconds)...</p>"))
        try:
            shown = self._grade()
        finally:
            self.button.disabled = False
        self.out.clear_output()
        with self.out:
            display(HTML(shown))

    def _grade(self) -> str:
        number = self.assignment.split("_")[0]
        result = subprocess.run([sys.executable, "-m", "mlgrind", "grade", number, "--json"], cwd=self.folder,
                                capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            why = (result.stderr.strip().splitlines() or ["mlgrind grade failed"])[-1]
            return f'<p style="color:#b00020">{html.escape(why)}</p>'
        report = Report.from_dict(json.loads(result.stdout))
        shown = report_html(report, self.folder)
        stale = self._unsaved()
        if stale:
            shown = (f'<p style="color:#b00020"><b>Not saved:</b> you ran newer versions of {html.escape(", ".join(stale))} '
                     "than the saved notebook, which is what was graded. Save (Ctrl+S) and grade again.</p>") + shown
        return shown

    def _unsaved(self) -> list[str]:
        import nbformat
        from IPython import get_ipython

        shell = get_ipython()
        path = self.folder / notebook_name(self.assignment)
        if shell is None or not path.is_file():
            return []
        return unsaved_answers(nbformat.read(str(path), as_version=4), list(shell.user_ns.get("In", [])))

    def __repr__(self) -> str:
        return f"Grade this notebook: run `mlgrind grade {self.assignment.split('_')[0]}`"
