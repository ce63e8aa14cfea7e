"""Run one nbgrader step (``GenerateAssignment``, ``Autograde``…) in this process and keep its log.

Running nbgrader's converters in this process (instead of one ``nbgrader`` command per step) pays
nbgrader's import cost once per ``mlgrind`` command.
"""

from __future__ import annotations

import io
import logging
import re
import warnings

# nbgrader's gradebook trips a harmless SQLAlchemy 2 warning on every autograde.
warnings.filterwarnings("ignore", message=r".*not in session.*")

from nbgrader.coursedir import CourseDirectory  # noqa: E402

from ..course.settings import Settings  # noqa: E402


class StepFailed(Exception):
    """An nbgrader step did not succeed; the message holds the tail of its log."""


def reason(log: str) -> str:
    """The most specific line of a failed step's log: the exception that stopped it."""
    raised = [ln.strip() for ln in log.splitlines() if re.match(r"^[\w.]+(Error|Exception)\b.*:", ln.strip())]
    if raised:
        name, _, message = raised[-1].partition(":")
        return f"{name.rsplit('.', 1)[-1]}:{message}"
    errors = [ln for ln in log.splitlines() if ln.startswith("[ERROR]") and "Please see" not in ln]
    return errors[0].removeprefix("[ERROR] ").strip() if errors else "nbgrader could not grade it"


def run_step(app_class, settings: Settings, assignment: str, student: str = "", **attrs) -> str:
    """Run one nbgrader converter with the course's settings; returns its log text."""
    coursedir = CourseDirectory(config=settings.config)
    coursedir.assignment_id = assignment
    if student:
        coursedir.student_id = student
    app = app_class(coursedir=coursedir, config=settings.config)
    for key, value in attrs.items():
        setattr(app, key, value)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    app.log.addHandler(handler)
    app.log.propagate = False
    try:
        app.start()
    except Exception as exc:
        tail = "\n".join(buffer.getvalue().strip().splitlines()[-15:])
        raise StepFailed(f"{app_class.__name__} failed: {exc}\n{tail}") from exc
    finally:
        app.log.removeHandler(handler)
    return buffer.getvalue()

