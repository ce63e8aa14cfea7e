"""``mlgrind reset``: a fresh copy of an assignment, the old attempt kept beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

from .course import Course, CourseError
from .keep import keep_attempt


def reset(course: Course, assignment: str) -> Path | None:
    """Restore ``notebooks/<assignment>.ipynb`` from ``release/``; returns the kept attempt, if any."""
    release = course.release_notebook(assignment)
    if not release.exists():
        raise CourseError(f"{release} is missing; run `mlgrind build {assignment}` first")
    learner = course.learner_notebook(assignment)
    kept = keep_attempt(learner) if learner.exists() else None
    learner.parent.mkdir(exist_ok=True)
    shutil.copyfile(release, learner)
    return kept
