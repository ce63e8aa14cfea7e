"""The course's gradebook: whether it can be reached, opening it, and whether it matches ``source/``."""

from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry

from ..course.settings import GradebookUnreachable, Settings, notebook_id
from .submission import graded_points, restored_cells

__all__ = ["Gradebook", "GradebookUnreachable", "MissingEntry", "check_gradebook", "gradebook_is_current",
           "open_gradebook"]


def check_gradebook(settings: Settings) -> None:
    """Fail early, in one line, when the gradebook cannot be opened: a database server down or refusing
    us, or a SQLite file in a folder that does not exist."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    url = settings.db_url
    try:
        parsed = make_url(url)
        shown = parsed.render_as_string(hide_password=True)
    except Exception:
        parsed, shown = None, "(an unreadable database URL)"
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        file = settings.gradebook_file
        if file is not None and not file.parent.is_dir():
            raise GradebookUnreachable(f"cannot open the gradebook {file}: its folder {file.parent} does not exist")
        return
    try:
        engine = create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise GradebookUnreachable(f"cannot reach the gradebook at {shown}: {reason}") from None


def open_gradebook(settings: Settings) -> Gradebook:
    """nbgrader's gradebook of the course (a context manager)."""
    return Gradebook(settings.db_url, settings.course_id)


def gradebook_is_current(settings: Settings, assignment: str, source_nb) -> bool:
    """Whether the gradebook holds exactly the cells autograde restores from ``source_nb``, with their points.

    Autograde restores those cells from the gradebook, so a gradebook generated from an older
    source would grade with old hidden tests.
    """
    file = settings.gradebook_file
    if file is not None and not file.exists():
        return False
    wanted, wanted_points = restored_cells(source_nb), graded_points(source_nb)
    with open_gradebook(settings) as gb:
        try:
            notebook = gb.find_notebook(notebook_id(assignment), assignment)
        except MissingEntry:
            return False
        stored = {cell.name: cell.source for cell in notebook.source_cells}
        points = {cell.name: float(cell.max_score) for cell in notebook.grade_cells}
    return all(stored.get(k) == v for k, v in wanted.items()) and points == wanted_points
