"""A feedback step: below each written answer, the rubric and model answer from the gradebook.

The gradebook's source cell is the instructor's version of the answer cell, so the model answer is
read from there and never from anything the student could edit. An unanswered cell gets a note
instead, so the model answer is seen only after an answer of one's own.
"""

from __future__ import annotations

from nbformat.v4 import new_markdown_cell
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from ...course.rubrics import RubricMissing, answer_cells, is_answered, parse, without_hidden

UNANSWERED_NOTE = "*Write your answer first: the rubric and a model answer appear here once you have.*"


def rubric_markdown(source_cell: str, points: float | None) -> str:
    rubric = parse(source_cell, points=points)
    items = "\n".join(f"- **{item.points:g}** — {item.text}" for item in rubric.items)
    return (f"#### Rubric ({rubric.points:g} points): rate your answer against each point\n{items}\n\n"
            f"#### Model answer\n{rubric.model_answer}")


class ShowRubric(NbGraderPreprocessor):
    """Adds a markdown cell after each written answer: the rubric and model answer, or a nudge to answer."""

    def preprocess(self, nb, resources):
        for cell in answer_cells(nb):
            added = self._below(cell, resources)
            if added is not None:
                if nb.get("nbformat_minor", 5) < 5:
                    added.pop("id", None)  # cell ids came with nbformat 4.5
                nb.cells.insert(nb.cells.index(cell) + 1, added)
        return nb, resources

    def _below(self, cell, resources):
        cell.source = without_hidden(cell.source)
        if not is_answered(cell.source):
            return new_markdown_cell(UNANSWERED_NOTE, metadata={"mlgrind": {"rubric": True}})
        info = resources["nbgrader"]
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        try:
            with Gradebook(info["db_url"]) as gb:
                source = gb.find_source_cell(grade_id, info["notebook"], info["assignment"]).source
            text = rubric_markdown(source, cell.metadata["nbgrader"].get("points"))
        except (MissingEntry, RubricMissing) as exc:
            self.log.warning("no rubric shown for %s %s: %s", info["assignment"], grade_id, exc)
            return None
        return new_markdown_cell(text, metadata={"mlgrind": {"rubric": True}})
