"""``mlgrind grade``: a learner grades their own notebook with the hidden tests.

The notebook is copied into ``autograder/submitted/`` and graded there by nbgrader's own autograde
(which restores every test cell, hidden tests included, from the gradebook), then nbgrader's
feedback report is written. The learner's file is only read.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from ..course import Course, CourseError
from .build import generate_into
from .gradebook import check_gradebook, gradebook_is_current, open_gradebook
from .limits import Limits
from .nbgrader_steps import run_step
from .settings import Settings, notebook_id
from .submission import NotebookUnreadable, odd_outputs, read_notebook, tampering

STUDENT = "learner"
# Exceptions that mean "a check failed" rather than "the code broke".
FAILURES = {"AssertionError", "CheckFailed", "ForbiddenCall"}


@dataclass
class CellResult:
    grade_id: str
    score: float
    max_score: float
    status: str  # pass | fail | error | manual
    message: str = ""


@dataclass
class Report:
    assignment: str
    student: str
    score: float
    max_score: float
    cells: list[CellResult]
    feedback: str
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def _stamp_path(settings: Settings) -> Path | None:
    """Where the source digests the gradebook was last checked against are kept (SQLite only)."""
    gradebook = settings.gradebook_file
    return gradebook.with_name(gradebook.name + ".sources.json") if gradebook else None


def _ensure_gradebook(course: Course, assignment: str) -> bool:
    """Load the hidden tests into the gradebook if it lacks them or holds older ones; True if it did.

    A digest of the source notebook, recorded beside the gradebook once it is known to match,
    spares the full comparison on every grade.
    """
    settings = course.settings
    source_bytes = course.source_notebook(assignment).read_bytes()
    digest = hashlib.sha256(source_bytes).hexdigest()
    stamp = _stamp_path(settings)
    stamps = {}
    if stamp and stamp.exists() and settings.gradebook_file.exists():
        try:
            stamps = json.loads(stamp.read_text())
        except ValueError:
            stamps = {}
        if stamps.get(assignment) == digest:
            return False
    source_nb = nbformat.reads(source_bytes.decode("utf-8"), as_version=4)
    generated = not gradebook_is_current(settings, assignment, source_nb)
    if generated:
        # Generate into a scratch folder: the committed release/ is the build's job.
        with tempfile.TemporaryDirectory(dir=course.autograder) as scratch:
            generate_into(settings, assignment, Path(scratch))
    if stamp:
        stamps[assignment] = digest
        tmp = stamp.with_name(stamp.name + ".tmp")
        tmp.write_text(json.dumps(stamps, indent=1))
        tmp.replace(stamp)
    return generated


def _message(cell, limits: Limits) -> tuple[str, str]:
    """(status, message) read from an autograded cell's outputs."""
    errors = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    # A timed-out cell shows the KeyboardInterrupt of the interrupted kernel before the timeout itself.
    for out in errors:
        explained = limits.explain(out.get("ename", ""), "the cell")
        if explained:
            return "error", f"{out['ename']}: {explained[1]}"
    for out in errors:
        ename, evalue = out.get("ename", ""), str(out.get("evalue", "")).strip()
        if ename in FAILURES:
            return "fail", evalue or "a check failed"
        if ename == "NotImplementedError":
            return "error", "not attempted yet (NotImplementedError)"
        return "error", f"{ename}: {evalue}" if evalue else ename
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "fail", "the cell wrote to stderr: " + out.get("text", "").strip().splitlines()[0]
    return "fail", "no points, no error message"


def collect_results(settings: Settings, assignment: str, autograded_nb, student: str = STUDENT) -> list[CellResult]:
    """Per graded cell, in notebook order: score from the gradebook, message from the outputs."""
    by_id = {}
    for cell in autograded_nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            by_id[meta["grade_id"]] = cell
    limits = settings.limits
    results = []
    with open_gradebook(settings) as gb:
        submission = gb.find_submission_notebook(notebook_id(assignment), assignment, student)
        grades = {g.name: g for g in submission.grades}
        order = [c.name for c in gb.find_notebook(notebook_id(assignment), assignment).grade_cells]
        order.sort(key=lambda name: list(by_id).index(name) if name in by_id else len(by_id))
        for name in order:
            grade = grades[name]
            max_score = float(grade.max_score)
            cell = by_id.get(name, {})
            if grade.cell.cell_type == "markdown" or (grade.auto_score is None and grade.needs_manual_grade):
                score = float(grade.manual_score or 0)
                results.append(CellResult(name, score, max_score, "manual", "read by a person (compare with the model answer)"))
                continue
            score = float(grade.score or 0)
            if score >= max_score:
                results.append(CellResult(name, score, max_score, "pass"))
            else:
                status, message = _message(cell, limits)
                results.append(CellResult(name, score, max_score, status, message))
    return results


def grade(course: Course, assignment: str, notebook=None, student: str = STUDENT) -> Report:
    """Self-grade ``notebooks/<assignment>.ipynb`` (or the given ``notebook``); nothing of the learner's is written.

    Besides the per-cell results, the report notes test cells the learner changed and any other
    cell (an answer cell) that hit a grading limit.
    """
    from nbgrader.converters import Autograde, GenerateFeedback

    settings = course.settings
    learner = course.learner_notebook(assignment)
    learner_nb = notebook if notebook is not None else read_notebook(learner)

    check_gradebook(settings)
    _ensure_gradebook(course, assignment)

    submitted = settings.notebook("submitted", assignment, student)
    if submitted.parent.exists():
        shutil.rmtree(submitted.parent)
    submitted.parent.mkdir(parents=True)
    if notebook is None:
        shutil.copyfile(learner, submitted)
    else:
        nbformat.write(notebook, str(submitted))

    run_step(Autograde, settings, assignment, student, force=True, create_student=True)
    run_step(GenerateFeedback, settings, assignment, student, force=True)

    autograded_nb = nbformat.read(str(settings.notebook("autograded", assignment, student)), as_version=4)
    cells = collect_results(settings, assignment, autograded_nb, student)
    auto = [c for c in cells if c.status != "manual"]

    notes = []
    release = course.release_notebook(assignment)
    if release.exists():
        notes = tampering(learner_nb, nbformat.read(str(release), as_version=4))
    notes += odd_outputs(autograded_nb, settings.limits, skip={c.grade_id for c in cells})

    return Report(
        assignment=assignment,
        student=student,
        score=sum(c.score for c in auto),
        max_score=sum(c.max_score for c in auto),
        cells=cells,
        feedback=str(settings.feedback_html(assignment, student)),
        notes=notes,
    )


def format_table(report: Report) -> str:
    """The per-exercise table a learner reads in the terminal."""
    rows = [("exercise", "points", "status", "message")]
    for c in report.cells:
        first = c.message.strip().splitlines()[0] if c.message.strip() else ""
        rows.append((c.grade_id, f"{c.score:g}/{c.max_score:g}", c.status, first))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        "  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3]
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 7)
    manual = sum(c.max_score for c in report.cells if c.status == "manual")
    lines.append("")
    lines.append(f"score: {report.score:g} / {report.max_score:g} autograded points"
                 + (f" (+{manual:g} points read by a person)" if manual else ""))
    for note in report.notes:
        lines.append(f"note: {note}")
    lines.append(f"feedback: {report.feedback}")
    return "\n".join(lines)


__all__ = ["CourseError", "NotebookUnreadable", "Report", "format_table", "grade"]
