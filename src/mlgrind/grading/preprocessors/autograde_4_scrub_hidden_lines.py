"""``ScrubHiddenLines``: autograded outputs without a line of hidden test code."""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from ..hidden_tests import hidden_lines, scrub_outputs


class ScrubHiddenLines(NbGraderPreprocessor):
    """Autograded outputs without a line of hidden test code, whatever a solution cell printed or raised."""

    def preprocess(self, nb, resources):
        secrets = hidden_lines(nb)
        for cell in nb.cells:
            scrub_outputs(cell, secrets)
        return nb, resources
