"""The course's nbgrader settings, read with traitlets alone (no nbgrader import)."""

from __future__ import annotations

import os
import sys

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from ..course import Course


class GradebookUnreachable(Exception):
    """The gradebook's database cannot be reached; the message names it, password hidden."""


def _alembic_on_path() -> None:
    # nbgrader migrates a new gradebook by running the `alembic` script that sits beside Python.
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def load_config(course: Course, **overrides) -> Config:
    """The course's ``nbgrader_config.py``, with ``overrides`` like ``CourseDirectory={...}``."""
    _alembic_on_path()
    config = PyFileConfigLoader("nbgrader_config.py", str(course.root)).load_config()
    config.CourseDirectory.root = str(course.root)
    for section, values in overrides.items():
        for key, value in values.items():
            config[section][key] = value
    return config
