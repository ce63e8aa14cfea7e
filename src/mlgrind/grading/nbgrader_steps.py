"""The nbgrader steps ``mlgrind`` runs in-process, and what it reads from the gradebook.

Running nbgrader's converters in this process (instead of one ``nbgrader`` command per step) pays
nbgrader's import cost once per ``mlgrind`` command.
"""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

from ..course import Course

# nbgrader's gradebook trips a harmless SQLAlchemy 2 warning on every autograde.
warnings.filterwarnings("ignore", message=r".*not in session.*")

from nbgrader.api import Gradebook, MissingEntry  # noqa: E402
from nbgrader.coursedir import CourseDirectory  # noqa: E402
from traitlets.config import Config  # noqa: E402

from .settings import GradebookUnreachable, load_config  # noqa: E402,F401


class StepFailed(Exception):
    """An nbgrader step did not succeed; the message holds the tail of its log."""


def check_gradebook(config: Config) -> None:
    """Fail early, in one line, when a database server behind ``db_url`` is down or refuses us."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    url = db_url(config)
    if url.startswith("sqlite"):
        return
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:
        shown = "(an unreadable database URL)"
    try:
        engine = create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise GradebookUnreachable(f"cannot reach the gradebook at {shown}: {reason}") from None


def run_step(app_class, config: Config, assignment: str, student: str = "", **attrs) -> str:
    """Run one nbgrader converter (``GenerateAssignment``, ``Autograde``…); returns its log text."""
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    if student:
        coursedir.student_id = student
    app = app_class(coursedir=coursedir, config=config)
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


def db_url(config: Config) -> str:
    return CourseDirectory(config=config).db_url


def gradebook_is_current(config: Config, assignment: str, source_nb) -> bool:
    """Whether the gradebook holds exactly the test and read-only cells of ``source_nb``.

    Autograde restores those cells from the gradebook, so a gradebook generated from an older
    source would grade with old hidden tests.
    """
    wanted = {}
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") or meta.get("locked"):
            wanted[meta["grade_id"]] = (cell.source, meta.get("points") if meta.get("grade") else None)
    notebook_id = Path(assignment).name
    url = db_url(config)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return False
    with Gradebook(url, config.CourseDirectory.course_id) as gb:
        try:
            notebook = gb.find_notebook(notebook_id, assignment)
        except MissingEntry:
            return False
        stored = {cell.name: cell.source for cell in notebook.source_cells}
        points = {cell.name: cell.max_score for cell in notebook.grade_cells}
        for grade_id, (source, max_score) in wanted.items():
            if stored.get(grade_id) != source:
                return False
            if max_score is not None and float(points.get(grade_id, -1)) != float(max_score):
                return False
        return set(points) <= set(wanted)
