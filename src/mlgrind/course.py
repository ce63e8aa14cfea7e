"""Where the course lives: its root, its assignments and their files.

The root is found from the current directory by walking up, as git finds its repository, so every
``mlgrind`` command works from anywhere inside the course and on any copy of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


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

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def autograder(self) -> Path:
        return self.root / "autograder"

    def assignments(self) -> list[str]:
        """Assignment ids in course order (their names sort in order: ``01_…``, ``02_…``)."""
        return sorted(
            p.name for p in self.source.iterdir() if p.is_dir() and (p / f"{p.name}.ipynb").is_file()
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
        return self.source / assignment / f"{assignment}.ipynb"

    def release_notebook(self, assignment: str) -> Path:
        return self.release / assignment / f"{assignment}.ipynb"

    def learner_notebook(self, assignment: str) -> Path:
        return self.notebooks / f"{assignment}.ipynb"
