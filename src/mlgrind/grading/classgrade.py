"""``mlgrind autograde``: nbgrader's autograde for a whole class, on several worker processes.

Each student is graded by nbgrader's own ``Autograde`` converter, exactly as ``nbgrader autograde
ASSIGNMENT --student ID`` would, so the gradebook and ``autograded/`` end up the same as a serial
run. Workers are forked after nbgrader is imported (each starts warm) and each grades one student at
a time; a write that finds the SQLite gradebook locked waits for it (SQLite's busy timeout, carried
by the gradebook's URL), so no grade is lost.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ..course import Course, CourseError
from ..course.settings import Settings, notebook_name
from .gradebook import MissingEntry, check_gradebook, gradebook_is_current, open_gradebook
from .nbgrader_steps import StepFailed, reason, run_step
from .submission import NotebookUnreadable, assignment_of, odd_outputs, read_notebook, tampering, zeroed_by_stderr


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


def _check_assignment(settings: Settings, assignment: str) -> None:
    """Stop unless the gradebook holds ``assignment`` with the test cells and points ``source/`` has now.

    Autograde restores every test cell from the gradebook, so one generated from an older source
    would grade the whole class with the old hidden tests.
    """
    with open_gradebook(settings) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(
                f"{assignment} is not in the gradebook; run `nbgrader generate_assignment {assignment}` first"
            ) from None
    source = settings.notebook("source", assignment)
    if not gradebook_is_current(settings, assignment, read_notebook(source)):
        raise CourseError(
            f"the gradebook's tests of {assignment} are older than {source.relative_to(settings.root)}; "
            f"run `nbgrader generate_assignment {assignment} --force` in {settings.root}, then autograde again"
        )


def _prepare_gradebook(settings: Settings, students: list[str]) -> None:
    """Create every student once, before workers write concurrently."""
    with open_gradebook(settings) as gb:
        for student in students:
            gb.update_or_create_student(student)


_worker_settings: Settings | None = None


def _init_worker(settings: Settings) -> None:
    global _worker_settings
    _worker_settings = settings


def notes_for(settings: Settings, assignment: str, student: str, log: str) -> list[str]:
    """What was odd about one graded submission, one line each, ``kind: details``."""
    notes = []
    for line in log.splitlines():
        if "No submitted file" in line:
            notes.append(f"notebook missing: {Path(line.split(': ', 1)[-1]).name} was not submitted")
        elif "Skipping unknown notebook" in line:
            notes.append(f"unexpected notebook: {Path(line.split(': ', 1)[-1]).name} ignored")
        elif "refused: " in line:
            notes.append("refused: " + line.split("refused: ", 1)[1].split(": ", 1)[-1])
    submitted = settings.notebook("submitted", assignment, student)
    graded = settings.notebook("autograded", assignment, student)
    release = settings.notebook("release", assignment)
    if graded.exists():
        graded_nb = read_notebook(graded)
        notes += odd_outputs(graded_nb, settings.limits) + zeroed_by_stderr(graded_nb)
    if foreign := _foreign_notebook(settings, assignment, student):
        notes.append(foreign)
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


def _foreign_notebook(settings: Settings, assignment: str, student: str) -> str:
    """A message naming the assignment whose notebook was submitted as ``<assignment>.ipynb``, if another's."""
    try:
        other = assignment_of(read_notebook(settings.notebook("submitted", assignment, student)), assignment,
                              settings.release_notebooks())
    except NotebookUnreadable:
        return ""
    return f"another assignment's notebook: {notebook_name(assignment)} holds {other}'s cells" if other else ""


def grade_student(assignment: str, student: str, settings: Settings | None = None) -> StudentResult:
    """Autograde one student's submission."""
    from nbgrader.converters import Autograde

    from ..course.exercises import judged_apart
    from . import kernels

    settings = settings or _worker_settings
    start = time.perf_counter()
    try:
        log = run_step(Autograde, settings, assignment, student, force=True, create_student=True)
    except StepFailed as exc:
        message = (_missing_notebook(settings, assignment, student) or _foreign_notebook(settings, assignment, student)
                   or reason(str(exc)))
        return StudentResult(student, "failed", message, time.perf_counter() - start)
    finally:
        if judged_apart(assignment):
            kernels.start_judge(settings.root)  # the next submission's judge boots while this worker reports
    return StudentResult(student, "graded", seconds=time.perf_counter() - start,
                         notes=notes_for(settings, assignment, student, log))


def autograde_class(course: Course, assignment: str, jobs: int = 2, students: list[str] | None = None,
                    progress: bool = True) -> ClassSummary:
    """Grade every submitted student of ``assignment`` (or just ``students``) on ``jobs`` workers."""
    settings = course.settings
    check_gradebook(settings)
    _check_assignment(settings, assignment)
    students = students or settings.submitted_students(assignment)
    summary = ClassSummary(assignment)
    if not students:
        return summary
    _prepare_gradebook(settings, students)
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
