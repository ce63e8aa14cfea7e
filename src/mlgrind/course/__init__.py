"""Where the course lives: its root, its assignments and their files.

This package is the bottom layer: what every other part reads about the course, without nbgrader.
``settings`` reads the course's nbgrader config (with traitlets, as nbgrader reads it) and derives
every path from it; ``limits``: the time and memory a grading kernel may use, and the messages that
name them; ``exercises``: an exercise's title, status, one-row message and the next step, the same in
every view; ``rubrics``: the written answers' model answers and rubrics, parsed from the source notebook.

The root is found from the current directory by walking up, as git finds its repository, so every
``mlgrind`` command works from anywhere inside the course and on any copy of it. Where nbgrader's
folders are is read from the course's nbgrader settings; ``notebooks/`` (the learner's working
copies) and ``autograder/`` are the course's own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .settings import Settings, notebook_name


class CourseError(Exception):
    """A usage problem the learner can fix: no course here, an unknown assignment."""


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding ``nbgrader_config.py`` and ``source/``."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "source").is_dir():
            return folder
    raise CourseError(
        f"no ML Grind course found at or above {here} "
        "(looked for a folder with nbgrader_config.py and source/)"
    )


@dataclass(frozen=True)
class Course:
    root: Path

    @classmethod
    def here(cls, start: Path | None = None) -> "Course":
        return cls(find_root(start))

    @classmethod
    def with_settings(cls, settings: Settings) -> "Course":
        """The course of ``settings``, holding them rather than reading ``nbgrader_config.py`` again."""
        course = cls(Path(settings.root))
        vars(course)["settings"] = settings  # fills the cache of the ``settings`` property below
        return course

    @cached_property
    def settings(self) -> Settings:
        """The course's nbgrader settings, read once per ``Course``."""
        return Settings.load(self.root)

    @property
    def source(self) -> Path:
        return self.settings.source

    @property
    def release(self) -> Path:
        return self.settings.release

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def autograder(self) -> Path:
        return self.root / "autograder"

    def assignments(self) -> list[str]:
        """Assignment ids in course order (their names sort in order: ``01_…``, ``02_…``)."""
        return sorted(
            p.name for p in self.source.iterdir() if p.is_dir() and self.settings.notebook("source", p.name).is_file()
        )

    def resolve(self, name: str) -> str:
        """The assignment id that ``name`` (an id, its number prefix ``01`` or ``1``) refers to."""
        ids = self.assignments()
        if name in ids:
            return name
        matches = []
        if name.isdigit():
            numbers = {a: a.split("_", 1)[0] for a in ids}
            matches = [a for a, n in numbers.items() if n.isdigit() and int(n) == int(name)]
        if len(matches) == 1:
            return matches[0]
        raise CourseError(f"unknown assignment {name!r}; valid: {', '.join(ids) or '(none)'}")

    def source_notebook(self, assignment: str) -> Path:
        return self.settings.notebook("source", assignment)

    def release_notebook(self, assignment: str) -> Path:
        return self.settings.notebook("release", assignment)

    def learner_notebook(self, assignment: str) -> Path:
        return self.notebooks / notebook_name(assignment)

    def learner_feedback(self, assignment: str) -> Path:
        """The feedback report of a learner's last self-grade, beside the notebooks: inside the root of
        the learner's JupyterLab (``make lab`` serves ``notebooks/``), so it opens there in one click."""
        return self.notebooks / "feedback" / f"{assignment}.html"
