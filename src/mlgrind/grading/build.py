"""``mlgrind build``: regenerate ``release/`` and ``notebooks/`` from ``source/``.

``release/<id>/`` is written by nbgrader's own ``generate_assignment`` (which also loads the
hidden tests into the gradebook); ``notebooks/<id>.ipynb`` is a byte copy of the release notebook.
Both are deterministic: the same source builds the same bytes.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..attempts import keep_attempt
from ..course import Course
from ..course.settings import Settings
from .gradebook import check_gradebook
from .nbgrader_steps import run_step


def generate_into(settings: Settings, assignment: str, release_dir: Path) -> Path:
    """Run ``generate_assignment`` for ``assignment`` into ``release_dir`` (which fills the gradebook too);
    returns the assignment's folder there."""
    from nbgrader.converters import GenerateAssignment

    scratch = settings.with_overrides(CourseDirectory={"release_directory": str(release_dir)})
    run_step(GenerateAssignment, scratch, assignment, force=True, create_assignment=True)
    return scratch.assignment_folder("release", assignment)


def build(course: Course, assignment: str) -> list[str]:
    """Rebuild one assignment's release folder and learner notebook; returns what it did, line by line.

    A learner notebook that differs from the previous release holds the learner's work: it is kept
    as a timestamped copy before the new release replaces it.
    """
    settings = course.settings
    check_gradebook(settings)
    release_nb = course.release_notebook(assignment)
    previous = release_nb.read_bytes() if release_nb.exists() else None
    with tempfile.TemporaryDirectory(dir=course.autograder) as scratch:
        built = generate_into(settings, assignment, Path(scratch))
        target = settings.assignment_folder("release", assignment)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(built, target)
    fresh = release_nb.read_bytes()
    done = [f"{target.relative_to(course.root)}/ " + ("unchanged" if fresh == previous else "regenerated")]

    learner = course.learner_notebook(assignment)
    if learner.exists() and learner.read_bytes() not in (fresh, previous):
        kept = keep_attempt(learner)
        done.append(f"your edited notebook was kept as {kept.relative_to(course.root)}")
    if not learner.exists() or learner.read_bytes() != fresh:
        course.notebooks.mkdir(exist_ok=True)
        learner.write_bytes(fresh)
        done.append(f"notebooks/{learner.name} written")
    return done
