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

from ..course import Course, CourseError


import nbformat  # noqa: E402

STUDENT = "learner"
# Exceptions that mean "a check failed" rather than "the code broke".
FAILURES = {"AssertionError", "CheckFailed", "ForbiddenCall"}


class NotebookUnreadable(Exception):
    """The learner's notebook is not a notebook nbgrader can grade (one-line reason)."""


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


def read_notebook(path: Path):
    """Read ``path`` as a notebook or raise ``NotebookUnreadable`` with a one-line reason."""
    if not path.exists():
        raise NotebookUnreadable(f"{path} does not exist (mlgrind reset restores it)")
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)
        nb = nbformat.reads(text, as_version=4)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        if isinstance(exc, UnicodeDecodeError):
            raise NotebookUnreadable(f"{path.name} is not UTF-8 text; nothing was graded") from None
        raise NotebookUnreadable(
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "nothing was graded"
        ) from None
    except Exception as exc:  # nbformat raises several kinds for a broken file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotebookUnreadable(f"{path.name} is not a readable notebook ({first}); nothing was graded") from None
    return nb


def _test_cells(nb) -> dict[str, str]:
    """grade_id -> source of every test and read-only cell."""
    cells = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if (meta.get("grade") and cell.cell_type == "code") or (meta.get("locked") and not meta.get("solution")):
            cells[meta.get("grade_id", "")] = cell.source
    return cells


def tampering(learner_nb, release_nb) -> list[str]:
    """What the learner changed in cells they should not edit (compared with the release copy).

    Hidden tests make every graded cell differ from the gradebook's checksum, so the gradebook
    cannot tell an edit from an ordinary hidden test; the release copy the learner started from can.
    """
    given, kept = _test_cells(release_nb), _test_cells(learner_nb)
    notes = []
    for grade_id, source in given.items():
        if grade_id not in kept:
            notes.append(f"cell {grade_id} was deleted; it was put back and graded")
        elif kept[grade_id].strip() != source.strip():
            notes.append(f"cell {grade_id} was edited; the original was restored before grading")
    return notes


def _stamp_path(course: Course, config) -> Path | None:
    """Where the source digests the gradebook was last checked against are kept (SQLite only)."""
    from .steps import db_url

    url = db_url(config)
    if not url.startswith("sqlite:///"):
        return None
    return Path(url[len("sqlite:///"):] + ".sources.json")


def _ensure_gradebook(course: Course, config, assignment: str) -> bool:
    """Load the hidden tests into the gradebook if it lacks them or holds older ones.

    A digest of the source notebook, recorded beside the gradebook once it is known to match,
    spares the full comparison on every grade.
    """
    from nbgrader.converters import GenerateAssignment

    from .steps import gradebook_is_current, run_step

    source_bytes = course.source_notebook(assignment).read_bytes()
    digest = hashlib.sha256(source_bytes).hexdigest()
    stamp = _stamp_path(course, config)
    stamps = {}
    if stamp and stamp.exists() and stamp.with_suffix("").exists():
        try:
            stamps = json.loads(stamp.read_text())
        except ValueError:
            stamps = {}
        if stamps.get(assignment) == digest:
            return False
    source_nb = nbformat.reads(source_bytes.decode("utf-8"), as_version=4)
    generated = not gradebook_is_current(config, assignment, source_nb)
    if generated:
        # Generate into a scratch folder: the committed release/ is the build's job.
        with tempfile.TemporaryDirectory(dir=course.autograder) as scratch:
            config.CourseDirectory.release_directory = scratch
            run_step(GenerateAssignment, config, assignment, force=True, create_assignment=True)
    if stamp:
        stamps[assignment] = digest
        tmp = stamp.with_name(stamp.name + ".tmp")
        tmp.write_text(json.dumps(stamps, indent=1))
        tmp.replace(stamp)
    return generated


def _message(cell) -> tuple[str, str]:
    """(status, message) read from an autograded cell's outputs."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            ename, evalue = out.get("ename", ""), str(out.get("evalue", "")).strip()
            if ename in FAILURES:
                return "fail", evalue or "a check failed"
            if ename == "NotImplementedError":
                return "error", "not attempted yet (NotImplementedError)"
            if ename == "CellTimeoutError":
                return "error", "CellTimeoutError: the cell ran past the time limit (an infinite loop?)"
            if ename == "DeadKernelError":
                return "error", f"DeadKernelError: {evalue}"
            return "error", f"{ename}: {evalue}" if evalue else ename
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "fail", "the cell wrote to stderr: " + out.get("text", "").strip().splitlines()[0]
    return "fail", "no points, no error message"


def collect_results(config, assignment: str, autograded_nb, student: str = STUDENT) -> list[CellResult]:
    """Per graded cell, in notebook order: score from the gradebook, message from the outputs."""
    from nbgrader.api import Gradebook

    from .steps import db_url

    by_id = {}
    for cell in autograded_nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            by_id[meta["grade_id"]] = cell
    results = []
    with Gradebook(db_url(config), config.CourseDirectory.course_id) as gb:
        submission = gb.find_submission_notebook(assignment, assignment, student)
        grades = {g.name: g for g in submission.grades}
        order = [c.name for c in gb.find_notebook(assignment, assignment).grade_cells]
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
                status, message = _message(cell)
                results.append(CellResult(name, score, max_score, status, message))
    return results


def grade(course: Course, assignment: str, notebook=None, student: str = STUDENT) -> Report:
    """Self-grade ``notebooks/<assignment>.ipynb`` (or the given ``notebook``); nothing of the learner's is written."""
    from nbgrader.converters import Autograde, GenerateFeedback

    from .steps import check_gradebook, load_config, run_step

    learner = course.learner_notebook(assignment)
    learner_nb = notebook if notebook is not None else read_notebook(learner)

    config = load_config(course)
    check_gradebook(config)
    _ensure_gradebook(course, config, assignment)

    submitted = Path(course.root, config.CourseDirectory.submitted_directory, student, assignment)
    if submitted.exists():
        shutil.rmtree(submitted)
    submitted.mkdir(parents=True)
    if notebook is None:
        shutil.copyfile(learner, submitted / learner.name)
    else:
        nbformat.write(notebook, str(submitted / learner.name))

    run_step(Autograde, config, assignment, student, force=True, create_student=True)
    run_step(GenerateFeedback, config, assignment, student, force=True)

    autograded_dir = Path(course.root, config.CourseDirectory.autograded_directory, student, assignment)
    autograded_nb = nbformat.read(str(autograded_dir / learner.name), as_version=4)
    cells = collect_results(config, assignment, autograded_nb, student)
    auto = [c for c in cells if c.status != "manual"]

    notes = []
    release = course.release_notebook(assignment)
    if release.exists():
        notes = tampering(learner_nb, nbformat.read(str(release), as_version=4))

    feedback = Path(course.root, config.CourseDirectory.feedback_directory, student, assignment, f"{assignment}.html")
    return Report(
        assignment=assignment,
        student=student,
        score=sum(c.score for c in auto),
        max_score=sum(c.max_score for c in auto),
        cells=cells,
        feedback=str(feedback),
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
