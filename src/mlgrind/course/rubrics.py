"""Written answers' model answers and rubrics, read from the source notebook.

A written answer is a graded markdown cell: the "say it out loud" interview question (grade id
``interview_answer``, or ``interview_<name>`` when a notebook asks several, each in its own cell),
or an exercise's sentence or two of explanation. Each holds both in a hidden region after its
solution region. ``nbgrader generate_assignment`` replaces the solution by "YOUR ANSWER HERE",
saves the cell with the hidden region in the gradebook's source cell, then strips the region from
the release::

    ### BEGIN SOLUTION
    <a pointer to what follows>
    ### END SOLUTION
    ### BEGIN HIDDEN TESTS
    #### Model answer
    <a few sentences>

    #### Rubric
    - 0.5 points: <one concrete thing a good answer does>
    ### END HIDDEN TESTS

A learner is shown them only once their own answer is written (``grading.written_answers``);
instructors print them with ``mlgrind rubric``; ``recall.rating`` asks a learner to rate an answer
against them, for the learner's progress, never for a gradebook. Parsing needs nothing but nbformat,
so grading and recall both read rubrics from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import nbformat

from . import Course
from .exercises import headings

GRADE_ID = "interview_answer"  # a notebook's one question; ``interview_<name>`` when it asks several
UNANSWERED = {"", "YOUR ANSWER HERE"}
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[^\n]*\n(.*?)\n?[ \t]*### END HIDDEN TESTS[^\n]*", re.S | re.M)
# What nbgrader's OverwriteCells writes above a cell it put back because the submission lacked it.
ADDED_BACK = re.compile(r"^This cell \(id:[^)]*\) was missing from the submission\. It was added back by nbgrader\.\s*")
SOLUTION = re.compile(r"^[ \t]*### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*", re.S | re.M)
SECTIONS = re.compile(r"#### Model answer\s*\n(?P<model>.*?)\n#### Rubric\s*\n(?P<rubric>.*)", re.S)
ITEM = re.compile(r"^- (?P<points>\d+(?:\.\d+)?) points?: (?P<text>.+)$", re.M)


class RubricMissing(ValueError):
    """The answer cell has no model answer and rubric in the expected form."""


@dataclass(frozen=True)
class Item:
    points: float
    text: str


@dataclass(frozen=True)
class Rubric:
    question: str  # the "Say it out loud" markdown cell, heading included
    points: float  # the answer cell's points; the items' points sum to it
    model_answer: str
    items: tuple[Item, ...]
    grade_id: str = GRADE_ID
    title: str = "Say it out loud"  # the heading above the answer, without its points


def parse(cell_source: str, question: str = "", points: float | None = None) -> Rubric:
    """The rubric in the source version of an answer cell (its hidden region)."""
    region = HIDDEN.search(cell_source)
    if region is None:
        raise RubricMissing("the interview answer holds no '#### Model answer' and '#### Rubric' in a hidden region")
    return parse_sections(region.group(1), question, points, where="the interview answer")


def parse_sections(text: str, question: str = "", points: float | None = None, where: str = "the question") -> Rubric:
    """The rubric in ``text`` written as a hidden region's body: '#### Model answer', then '#### Rubric' items."""
    sections = SECTIONS.search(text)
    if sections is None:
        raise RubricMissing(f"{where} holds no '#### Model answer' and '#### Rubric' in a hidden region")
    items = tuple(Item(float(m["points"]), m["text"].strip()) for m in ITEM.finditer(sections["rubric"]))
    if not items:
        raise RubricMissing(f"{where}'s rubric lists no '- N points: ...' items")
    total = sum(item.points for item in items)
    return Rubric(question.strip(), total if points is None else float(points), sections["model"].strip(), items)


def is_interview(grade_id: str | None) -> bool:
    return bool(grade_id) and (grade_id == GRADE_ID or grade_id.startswith("interview_"))


def answer_cells(nb) -> list:
    """The notebook's written answers (graded markdown cells), in order."""
    return [cell for cell in nb.cells if cell.cell_type == "markdown"
            and cell.get("metadata", {}).get("nbgrader", {}).get("grade")]


def without_hidden(text: str) -> str:
    """What a learner wrote: ``text`` without hidden regions, and without the solution region of the
    instructor's version (which grading puts back when a learner deleted the cell)."""
    return HIDDEN.sub("", SOLUTION.sub("", text)).strip()


def is_answered(text: str) -> bool:
    return ADDED_BACK.sub("", without_hidden(text)) not in UNANSWERED


def from_source(course: Course, assignment: str) -> list[Rubric]:
    """The rubrics of ``assignment``'s written answers, each with the question cell just above its answer."""
    nb = nbformat.read(str(course.source_notebook(assignment)), as_version=4)
    cells = answer_cells(nb)
    if not cells:
        raise RubricMissing(f"{assignment} has no '{GRADE_ID}' cell")
    titles = headings(nb)
    rubrics = []
    for cell in cells:
        above = nb.cells[nb.cells.index(cell) - 1]
        question = above.source if above.cell_type == "markdown" and not above.metadata.get("nbgrader") else ""
        meta = cell.metadata["nbgrader"]
        rubric = parse(cell.source, question, meta.get("points"))
        rubrics.append(replace(rubric, grade_id=meta["grade_id"], title=titles[meta["grade_id"]].label))
    return rubrics


def points_text(value: float) -> str:
    """``1 point``, ``0.5 points``: a rubric's points as its lines print them."""
    return f"{value:g} point" + ("" if value == 1 else "s")


def rubric_lines(rubric: Rubric) -> list[str]:
    """The rubric and the model answer as terminal lines."""
    lines = [f"rubric ({points_text(rubric.points)}):"]
    lines += [f"  [{points_text(item.points)}] {item.text}" for item in rubric.items]
    lines += ["", "model answer:"]
    lines += ["  " + line for line in rubric.model_answer.splitlines()]
    return lines


def instructor_sheet(course: Course, assignment: str) -> str:
    """The questions, rubrics and model answers of one assignment, for whoever grades by hand."""
    sheets = []
    for rubric in from_source(course, assignment):
        title = f"{assignment} / {rubric.grade_id}"
        sheets.append("\n".join([title, "=" * len(title), "", rubric.question, "", *rubric_lines(rubric)]))
    return "\n\n".join(sheets)
