"""A learner's attempts: kept beside the notebook before anything replaces it; ``mlgrind reset``."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from .course import Course, CourseError


def keep_attempt(path: Path) -> Path:
    """Copy ``path`` to ``<stem>.attempt-<YYYYmmdd-HHMMSS>.ipynb`` beside it; returns the copy."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.stem}.attempt-{stamp}{path.suffix}")
    n = 1
    while kept.exists():
        n += 1
        kept = path.with_name(f"{path.stem}.attempt-{stamp}-{n}{path.suffix}")
    shutil.copy2(path, kept)
    return kept


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
