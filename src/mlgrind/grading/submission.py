"""A submitted notebook: reading it, the cells nbgrader restores, and what went odd in it."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from ..course.limits import Limits


class NotebookUnreadable(Exception):
    """The learner's notebook is not a notebook nbgrader can grade (one-line reason)."""


def read_notebook(path: Path):
    """Read ``path`` as a notebook or raise ``NotebookUnreadable`` with a one-line reason."""
    if not path.exists():
        raise NotebookUnreadable(f"{path} does not exist (mlgrind reset restores it)")
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)
        nb = nbformat.reads(text, as_version=4)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        if isinstance(exc, UnicodeDecodeError):
            raise NotebookUnreadable(f"{path.name} is not UTF-8 text; nothing was graded") from None
        raise NotebookUnreadable(
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "nothing was graded"
        ) from None
    except Exception as exc:  # nbformat raises several kinds for a broken file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotebookUnreadable(f"{path.name} is not a readable notebook ({first}); nothing was graded") from None
    return nb


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def restored_cells(nb) -> dict[str, str]:
    """grade_id -> source of every cell whose source nbgrader's autograde puts back from the gradebook.

    That is nbgrader's "locked" rule: a test cell, or a read-only cell, and never an answer cell.
    """
    return {
        meta["grade_id"]: cell.source
        for cell in nb.cells
        if "grade_id" in (meta := _meta(cell)) and not meta.get("solution") and (meta.get("grade") or meta.get("locked"))
    }


def graded_points(nb) -> dict[str, float]:
    """grade_id -> points of every graded cell (nbgrader restores the points too)."""
    return {meta["grade_id"]: float(meta.get("points") or 0) for cell in nb.cells if (meta := _meta(cell)).get("grade")}


def tampering(learner_nb, release_nb) -> list[str]:
    """What the learner changed in cells they should not edit (compared with the release copy).

    Hidden tests make every graded cell differ from the gradebook's checksum, so the gradebook
    cannot tell an edit from an ordinary hidden test; the release copy the learner started from can.
    """
    given, kept = restored_cells(release_nb), restored_cells(learner_nb)
    notes = []
    for grade_id, source in given.items():
        if grade_id not in kept:
            notes.append(f"cell {grade_id} was deleted; it was put back and graded")
        elif kept[grade_id].strip() != source.strip():
            notes.append(f"cell {grade_id} was edited; the original was restored before grading")
    return notes


def cell_name(cell) -> str:
    return _meta(cell).get("grade_id", f"cell {cell.get('id', '?')}")


def odd_outputs(autograded_nb, limits: Limits, skip: set[str] = frozenset()) -> list[str]:
    """``kind: details`` for each cell of an autograded notebook that hit a limit or printed too much.

    Cells named in ``skip`` are left out (a grader that reports them elsewhere).
    """
    notes = []
    for cell in autograded_nb.cells:
        name = cell_name(cell)
        if name in skip:
            continue
        for out in cell.get("outputs", []):
            explained = limits.explain(out.get("ename", ""), name, str(out.get("evalue", "")))
            if explained:
                notes.append("{}: {}".format(*explained))
            if "... Output truncated ..." in "".join(out.get("text", "")):
                notes.append(f"output truncated: {name} printed too much")
    return notes


def zeroed_by_stderr(autograded_nb) -> list[str]:
    """``kind: details`` for each test cell that scored 0 only because it wrote to stderr.

    nbgrader's rule (``determine_grade``) stops at a test cell's first error, stderr text or
    result: a cell whose first one is stderr text scores 0 though every check in it passed.
    """
    notes = []
    for cell in autograded_nb.cells:
        meta = _meta(cell)
        if cell.get("cell_type") != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream" and out.get("name") == "stderr":
                first = (out.get("text", "").strip().splitlines() or [""])[0]
                notes.append(f"stderr zeroed a test: {cell_name(cell)} scored 0 because the code it ran "
                             f"wrote to stderr ({first[:80]!r})")
                break
            if kind in ("error", "execute_result"):
                break
    return notes


def grade_ids(nb) -> set[str]:
    """The grade_id of every nbgrader cell of ``nb``."""
    return {meta["grade_id"] for cell in nb.cells if "grade_id" in (meta := _meta(cell))}


def assignment_of(nb, assignment: str, releases: dict[str, Path]) -> str | None:
    """The other assignment whose release cells ``nb`` holds, if it holds another's rather than ``assignment``'s.

    ``releases`` maps each assignment to its release notebook; the one sharing the largest part of
    its grade_ids with ``nb`` is the notebook's assignment.
    """
    ids = grade_ids(nb)
    if not ids or assignment in releases and ids <= grade_ids(read_notebook(releases[assignment])):
        return None
    shared = {}
    for name, path in releases.items():
        released = grade_ids(read_notebook(path))
        shared[name] = len(ids & released) / len(ids | released)
    best = max(shared, key=shared.get, default=None)
    if best is None or best == assignment or shared[best] <= shared.get(assignment, 0):
        return None
    return best
