"""The course's nbgrader settings, read once with traitlets alone, and every path derived from them.

``nbgrader_config.py`` is a traitlets config file (``get_config()``, ``load_subconfig``), so reading it
takes traitlets' own loader; nbgrader itself is never imported here, which keeps every command that
only needs a folder's path (and this bottom layer) free of it.

Paths follow nbgrader's own rule (``CourseDirectory.directory_structure`` under the root, ``.`` as
the student of ``source/`` and ``release/``), so ``mlgrind`` finds each file where plain ``nbgrader``
puts it. A loaded ``Settings`` is never changed: ``with_overrides`` gives a changed copy.
"""

from __future__ import annotations

import copy
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from .limits import Limits, memory_from_arguments

# nbgrader's defaults for what a course config leaves unset.
FOLDERS = {
    "source": "source",
    "release": "release",
    "submitted": "submitted",
    "autograded": "autograded",
    "feedback": "feedback",
}
DIRECTORY_STRUCTURE = os.path.join("{nbgrader_step}", "{student_id}", "{assignment_id}")
CELL_TIMEOUT = 30
# Seconds a SQLite gradebook write waits for another process's lock before it fails: far longer
# than any one nbgrader write (a whole generate_assignment commits in well under a second), so
# parallel workers, formgrader and a self-grade queue instead of failing with "database is locked".
BUSY_TIMEOUT = 60


class GradebookUnreachable(Exception):
    """The gradebook's database cannot be reached; the message names it, password hidden."""


def notebook_id(assignment: str) -> str:
    """The gradebook's name for the assignment's notebook: every assignment is one notebook named like it."""
    return assignment


def notebook_name(assignment: str) -> str:
    """The file name of the assignment's notebook, in every folder: ``<assignment>.ipynb``."""
    return f"{notebook_id(assignment)}.ipynb"


def sqlite_url(path: Path) -> str:
    """The URL of the SQLite gradebook at ``path``, its writes waiting ``BUSY_TIMEOUT`` s for a lock."""
    return f"sqlite:///{os.path.abspath(path)}?timeout={BUSY_TIMEOUT}"


def with_busy_timeout(url: str) -> str:
    """``url`` with SQLite's busy timeout added when it names a SQLite file without one.

    SQLAlchemy's pysqlite dialect hands ``?timeout=N`` to ``sqlite3.connect``, whose own default
    (5 s) is shorter than a busy class's queue of writes.
    """
    base, _, query = url.partition("?")
    if not re.match(r"sqlite(\+pysqlite)?:///.", base) or re.search(r"(^|&)timeout=", query):
        return url
    return f"{url}{'&' if query else '?'}timeout={BUSY_TIMEOUT}"


def _alembic_on_path() -> None:
    # nbgrader migrates a new gradebook by running the `alembic` script that sits beside Python.
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


@dataclass(frozen=True, eq=False)
class Settings:
    """The loaded ``nbgrader_config.py`` of a course (``config``, for nbgrader) and what follows from it."""

    config: Config

    @classmethod
    def load(cls, root: Path) -> "Settings":
        """Read ``<root>/nbgrader_config.py`` (and what it loads), rooted at ``root``."""
        _alembic_on_path()
        config = PyFileConfigLoader("nbgrader_config.py", str(root)).load_config()
        config.CourseDirectory.root = str(root)
        configured = config.CourseDirectory.get("db_url", "") or sqlite_url(root / "gradebook.db")
        config.CourseDirectory.db_url = with_busy_timeout(configured)
        return cls(config)

    def with_overrides(self, **sections: dict) -> "Settings":
        """A copy with ``overrides`` like ``CourseDirectory={"release_directory": ...}``; this one is unchanged."""
        config = copy.deepcopy(self.config)
        for section, values in sections.items():
            for key, value in values.items():
                config[section][key] = value
        return Settings(config)

    def _course_dir(self, key: str, default):
        return self.config.CourseDirectory.get(key, default)

    @property
    def root(self) -> Path:
        return Path(self._course_dir("root", "."))

    @property
    def course_id(self) -> str:
        return self._course_dir("course_id", "")

    # --- folders and files --------------------------------------------------------------------

    def folder(self, step: str) -> Path:
        """The folder of one nbgrader step: ``source``, ``release``, ``submitted``, ``autograded`` or ``feedback``."""
        return self.root / self._course_dir(f"{step}_directory", FOLDERS[step])

    @property
    def source(self) -> Path:
        return self.folder("source")

    @property
    def release(self) -> Path:
        return self.folder("release")

    @property
    def submitted(self) -> Path:
        return self.folder("submitted")

    @property
    def autograded(self) -> Path:
        return self.folder("autograded")

    @property
    def feedback(self) -> Path:
        return self.folder("feedback")

    def assignment_folder(self, step: str, assignment: str, student: str = ".") -> Path:
        """Where nbgrader keeps ``assignment`` in ``step`` (for ``student``, in the per-student steps)."""
        structure = self._course_dir("directory_structure", DIRECTORY_STRUCTURE)
        step_dir = self._course_dir(f"{step}_directory", FOLDERS[step])
        return self.root / structure.format(nbgrader_step=step_dir, student_id=student, assignment_id=assignment)

    def notebook(self, step: str, assignment: str, student: str = ".") -> Path:
        """The assignment's notebook in ``step``, e.g. ``autograded/<student>/<assignment>/<assignment>.ipynb``."""
        return self.assignment_folder(step, assignment, student) / notebook_name(assignment)

    def feedback_html(self, assignment: str, student: str) -> Path:
        """The feedback report nbgrader writes for ``student``'s notebook."""
        return self.assignment_folder("feedback", assignment, student) / f"{notebook_id(assignment)}.html"

    def submitted_students(self, assignment: str) -> list[str]:
        """Students with a submission folder for ``assignment``, sorted."""
        if not self.submitted.is_dir():
            return []
        return sorted(
            p.name for p in self.submitted.iterdir()
            if self.assignment_folder("submitted", assignment, p.name).is_dir()
        )

    def release_notebooks(self) -> dict[str, Path]:
        """assignment -> its notebook in ``release/``, for every assignment released there."""
        if not self.release.is_dir():
            return {}
        found = {p.name: self.notebook("release", p.name) for p in self.release.iterdir() if p.is_dir()}
        return {name: path for name, path in sorted(found.items()) if path.is_file()}

    # --- gradebook ----------------------------------------------------------------------------

    @property
    def db_url(self) -> str:
        """The gradebook's URL; a SQLite one always carries the busy timeout (``with_busy_timeout``)."""
        return self._course_dir("db_url", "") or sqlite_url(self.root / "gradebook.db")

    @property
    def gradebook_file(self) -> Path | None:
        """The SQLite gradebook's file, as SQLAlchemy reads the URL; None for a database server."""
        from sqlalchemy.engine import make_url

        url = make_url(self.db_url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)

    # --- limits -------------------------------------------------------------------------------

    @property
    def limits(self) -> Limits:
        """The per-cell time limit and kernel memory cap the config sets for autograde."""
        execute = self.config.Execute
        return Limits(
            cell_timeout=execute.get("timeout", CELL_TIMEOUT),
            kernel_memory=memory_from_arguments(execute.get("extra_arguments", [])),
        )
