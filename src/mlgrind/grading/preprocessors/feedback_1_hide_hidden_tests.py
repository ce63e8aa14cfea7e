"""``HideHiddenTests``: feedback without hidden test code, each region replaced by a note."""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from ..hidden_tests import HIDDEN_TESTS, hidden_lines, scrub_outputs
from ...course.rubrics import without_hidden

HIDDEN_NOTE = "# Hidden tests ran here; their code is not shown. What they found is below."


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback without hidden test code: each region is replaced by a note, a failed test cell's
    traceback (which quotes the failing line) by its exception's name and message, and any output
    line quoting a hidden test is removed."""

    def preprocess(self, nb, resources):
        secrets = hidden_lines(nb)
        for cell in nb.cells:
            self._hide(cell)
            scrub_outputs(cell, secrets)
        return nb, resources

    @staticmethod
    def _hide(cell) -> None:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade") or "### BEGIN HIDDEN TESTS" not in cell.source:
            return
        if cell.cell_type == "markdown":  # a written answer put back from the gradebook: the model answer goes
            cell.source = without_hidden(cell.source)
            return
        cell.source = HIDDEN_TESTS.sub(HIDDEN_NOTE, cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
