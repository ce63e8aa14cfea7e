"""``OverwriteCells``: nbgrader's, putting a deleted test cell back even below a read-only cell."""

from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import OverwriteCells as _NbgraderOverwriteCells


def _grade_ids(nb) -> dict[str, int]:
    """grade_id -> index of every nbgrader cell in ``nb``."""
    return {
        cell.metadata["nbgrader"]["grade_id"]: index
        for index, cell in enumerate(nb.cells)
        if "grade_id" in cell.metadata.get("nbgrader", {})
    }


class OverwriteCells(_NbgraderOverwriteCells):
    """nbgrader's OverwriteCells, re-adding a deleted test cell after its nearest surviving neighbour, and
    treating a cell with a grade id the course never gave as the student's own cell.

    nbgrader 0.9.6 looks for that neighbour among graded and solution cells only, and fails the
    whole notebook when the cell just above the deleted one is a read-only cell; it also fails the
    whole notebook (``KeyError: 'grade_id'``) on a cell claiming to be a test or read-only cell under
    an unknown id.
    """

    def preprocess(self, nb, resources):
        # Mostly unknown ids: another assignment's notebook, which nbgrader refuses as a whole (and the
        # course names); a few unknown ids in this assignment's notebook are the student's own cells.
        ids = list(_grade_ids(nb))
        with Gradebook(resources["nbgrader"]["db_url"]) as gradebook:
            try:
                known = {c.name for c in gradebook.find_notebook(resources["nbgrader"]["notebook"],
                                                                 resources["nbgrader"]["assignment"]).source_cells}
            except MissingEntry:
                known = set()
        self._own_cells_only = len([i for i in ids if i in known]) * 2 >= len(ids)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and getattr(self, "_own_cells_only", True):
            try:
                self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                self.log.warning("Cell '%s' is not the course's; it is graded as the student's own cell", grade_id)
                del cell.metadata["nbgrader"]
                return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        source_cells = {cell.name: cell for cell in source_nb.source_cells}
        source_order = list(source_cells)
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        for grade_cell in source_nb.grade_cells:
            present = _grade_ids(nb)
            if grade_cell.name in present:
                continue
            self.log.warning("Missing grade cell %s encountered, adding to notebook", grade_cell.name)
            cell = self.missing_cell_transform(
                source_cells[grade_cell.name], grade_cell.max_score, is_solution=grade_cell.name in solution_ids
            )
            cell["id"] = grade_cell.name
            earlier = source_order[: source_order.index(grade_cell.name)]
            position = next((present[name] + 1 for name in reversed(earlier) if name in present), 0)
            nb.cells.insert(position, cell)
        return nb, resources
