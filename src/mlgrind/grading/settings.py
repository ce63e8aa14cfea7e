"""The old import path of ``mlgrind.course.settings``, kept for course configs written before it moved.

A course's ``nbgrader_config.py`` from an earlier release imports ``with_busy_timeout`` from here;
the code itself imports ``mlgrind.course.settings``.
"""

from ..course.settings import GradebookUnreachable, Settings, notebook_id, notebook_name, sqlite_url, with_busy_timeout

__all__ = ["GradebookUnreachable", "Settings", "notebook_id", "notebook_name", "sqlite_url", "with_busy_timeout"]
