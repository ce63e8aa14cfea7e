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

A learner is shown them only once their own answer is written; instructors print them with
``mlgrind rubric``. Self-ratings against the rubric go to the learner's progress, never to a gradebook.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import nbformat

from ..course import Course
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


def _points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def rubric_lines(rubric: Rubric) -> list[str]:
    """The rubric and the model answer as terminal lines."""
    lines = [f"rubric ({_points(rubric.points)}):"]
    lines += [f"  [{_points(item.points)}] {item.text}" for item in rubric.items]
    lines += ["", "model answer:"]
    lines += ["  " + line for line in rubric.model_answer.splitlines()]
    return lines


def answered(course: Course, assignment: str, learner_nb) -> list[tuple[Rubric, bool]]:
    """Each written answer of the learner's notebook: its rubric from source, and whether it is written."""
    written = {cell.metadata["nbgrader"]["grade_id"]: is_answered(cell.source) for cell in answer_cells(learner_nb)}
    if not written:
        return []
    rubrics = from_source(course, assignment)
    return [(rubric, written[rubric.grade_id]) for rubric in rubrics if rubric.grade_id in written]


def after_grade_lines(questions: list[tuple[Rubric, bool]], in_answers_file: bool = False) -> list[str]:
    """What ``mlgrind grade`` (or ``check``, whose answers are in answers.md) prints after its table, for the
    written answers ``answered`` found: each written one's rubric and model answer, a nudge to write the others."""
    if len(questions) == 1:
        rubric, done = questions[0]
        name = "interview answer" if is_interview(rubric.grade_id) else "written answer"
        place = "its section of answers.md" if in_answers_file else f"the \"{rubric.title}\" cell"
        if not done:
            return ["", f"{name}: write your answer first ({place}); grade again to see the rubric and a model answer"]
        return ["", f"{name}: compare yours with the rubric, then rate it with --rate", *rubric_lines(rubric)]
    lines = []
    for rubric, done in questions:
        if done:
            lines += ["", f"{rubric.title}: compare your answer with the rubric, then rate it with --rate",
                      *rubric_lines(rubric)]
    unwritten = [rubric.title.split(" · ", 1)[-1] for rubric, done in questions if not done]
    if unwritten:
        lines += ["", f"written answers still to write: {', '.join(unwritten)} (each shows its rubric and a model "
                  "answer once written and graded)"]
    return lines


def ask_yes_no(ask: Callable[[str], str], say: Callable[[str], None], prompt: str) -> bool:
    while True:
        said = ask(prompt).strip().lower()
        if said in {"y", "yes"}:
            return True
        if said in {"n", "no"}:
            return False
        say("  please type y or n")


def rate(rubric: Rubric, ask: Callable[[str], str] = input, say: Callable[[str], None] = print) -> list[bool]:
    """Ask, item by item, whether the learner's answer does what the item says; EOFError or
    KeyboardInterrupt propagate so that an unfinished rating is never kept."""
    said = []
    for number, item in enumerate(rubric.items, 1):
        say(f"\n[{number}/{len(rubric.items)}] ({_points(item.points)}) {item.text}")
        said.append(ask_yes_no(ask, say, "  does your answer do this? [y/n] "))
    return said


def rated_score(rubric: Rubric, said: list[bool]) -> float:
    return sum(item.points for item, yes in zip(rubric.items, said) if yes)


def instructor_sheet(course: Course, assignment: str) -> str:
    """The questions, rubrics and model answers of one assignment, for whoever grades by hand."""
    sheets = []
    for rubric in from_source(course, assignment):
        title = f"{assignment} / {rubric.grade_id}"
        sheets.append("\n".join([title, "=" * len(title), "", rubric.question, "", *rubric_lines(rubric)]))
    return "\n\n".join(sheets)
