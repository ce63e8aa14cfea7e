"""``mlgrind autograde``: nbgrader's autograde for a whole class, on several worker processes.

Each student is graded by nbgrader's own ``Autograde`` converter, exactly as ``nbgrader autograde
ASSIGNMENT --student ID`` would, so the gradebook and ``autograded/`` end up the same as a serial
run. Workers are forked after nbgrader is imported (each starts warm) and each grades one student at
a time; a write that finds the SQLite gradebook locked is retried, so no grade is lost.
"""

from __future__ import annotations

import multiprocessing
import re
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ..course import Course, CourseError
from .gradebook import MissingEntry, check_gradebook, open_gradebook
from .nbgrader_steps import StepFailed, run_step
from .settings import Settings, notebook_name
from .submission import odd_outputs, read_notebook, tampering

RETRIES = 5


@dataclass
class StudentResult:
    student: str
    status: str  # graded | failed
    message: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass
class ClassSummary:
    assignment: str
    results: list[StudentResult] = field(default_factory=list)

    def counts(self) -> Counter:
        return Counter(r.status for r in self.results)

    def note_counts(self) -> Counter:
        return Counter(note.split(":")[0] for r in self.results for note in r.notes)

    def report(self) -> str:
        counts = self.counts()
        lines = [f"{self.assignment}: {counts['graded']} graded, {counts['failed']} failed"]
        for kind, n in sorted(self.note_counts().items()):
            lines.append(f"  {n} x {kind}")
        for r in sorted(self.results, key=lambda r: r.student):
            if r.status != "graded":
                lines.append(f"  {r.student}: failed: {r.message}")
            for note in r.notes:
                lines.append(f"  {r.student}: {note}")
        return "\n".join(lines)


def _prepare_gradebook(settings: Settings, assignment: str, students: list[str]) -> None:
    """Check the assignment exists and create every student once, before workers write concurrently."""
    with open_gradebook(settings) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(
                f"{assignment} is not in the gradebook; run `nbgrader generate_assignment {assignment}` first"
            ) from None
        for student in students:
            gb.update_or_create_student(student)


_worker_settings: Settings | None = None


def _init_worker(settings: Settings) -> None:
    global _worker_settings
    _worker_settings = settings


def _reason(log: str) -> str:
    """The most specific line of a failed step's log: the exception that stopped it."""
    raised = [ln.strip() for ln in log.splitlines() if re.match(r"^[\w.]+(Error|Exception)\b.*:", ln.strip())]
    if raised:
        name, _, message = raised[-1].partition(":")
        return f"{name.rsplit('.', 1)[-1]}:{message}"
    errors = [ln for ln in log.splitlines() if ln.startswith("[ERROR]") and "Please see" not in ln]
    return errors[0].removeprefix("[ERROR] ").strip() if errors else "nbgrader could not grade it"


def notes_for(settings: Settings, assignment: str, student: str, log: str) -> list[str]:
    """What was odd about one graded submission, one line each, ``kind: details``."""
    notes = []
    for line in log.splitlines():
        if "No submitted file" in line:
            notes.append(f"notebook missing: {Path(line.split(': ', 1)[-1]).name} was not submitted")
        elif "Skipping unknown notebook" in line:
            notes.append(f"unexpected notebook: {Path(line.split(': ', 1)[-1]).name} ignored")
    submitted = settings.notebook("submitted", assignment, student)
    graded = settings.notebook("autograded", assignment, student)
    release = settings.notebook("release", assignment)
    if graded.exists():
        notes += odd_outputs(read_notebook(graded), settings.limits)
    if submitted.exists() and release.exists():
        try:
            notes += [f"test cell changed: {n}" for n in tampering(read_notebook(submitted), read_notebook(release))]
        except Exception:  # an unreadable submission is reported as a failure already
            pass
    return notes


def _missing_notebook(settings: Settings, assignment: str, student: str) -> str:
    """A message naming what was submitted instead of ``<assignment>.ipynb``, if it is missing."""
    expected = settings.notebook("submitted", assignment, student)
    if expected.exists():
        return ""
    found = ", ".join(sorted(p.name for p in expected.parent.glob("*.ipynb"))) or "no notebook"
    return f"{notebook_name(assignment)} is not in the submission (found: {found}); renamed, or another assignment's?"


def grade_student(assignment: str, student: str, settings: Settings | None = None) -> StudentResult:
    """Autograde one student's submission (retrying when the gradebook is locked)."""
    from nbgrader.converters import Autograde

    settings = settings or _worker_settings
    start = time.perf_counter()
    for attempt in range(RETRIES):
        try:
            log = run_step(Autograde, settings, assignment, student, force=True, create_student=True)
            return StudentResult(student, "graded", seconds=time.perf_counter() - start,
                                 notes=notes_for(settings, assignment, student, log))
        except StepFailed as exc:
            text = str(exc)
            if "database is locked" in text and attempt + 1 < RETRIES:
                time.sleep(0.2 * (attempt + 1))
                continue
            return StudentResult(student, "failed", _missing_notebook(settings, assignment, student) or _reason(text),
                                 time.perf_counter() - start)
    raise AssertionError("unreachable")


def autograde_class(course: Course, assignment: str, jobs: int = 2, students: list[str] | None = None,
                    progress: bool = True) -> ClassSummary:
    """Grade every submitted student of ``assignment`` (or just ``students``) on ``jobs`` workers."""
    settings = course.settings
    check_gradebook(settings)
    students = students or settings.submitted_students(assignment)
    summary = ClassSummary(assignment)
    if not students:
        return summary
    _prepare_gradebook(settings, assignment, students)
    bar = tqdm(total=len(students), desc=f"autograde {assignment}", unit="student", disable=not progress)
    if jobs <= 1:
        for student in students:
            summary.results.append(grade_student(assignment, student, settings))
            bar.update()
    else:
        # Fork: workers inherit the imported nbgrader and the loaded settings.
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=(settings,)) as pool:
            futures = [pool.submit(grade_student, assignment, s) for s in students]
            for future in as_completed(futures):
                summary.results.append(future.result())
                bar.update()
    bar.close()
    return summary
