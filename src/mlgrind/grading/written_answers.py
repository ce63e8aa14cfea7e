"""After a self-grade's table: each written answer's rubric and model answer, once the learner wrote it.

``mlgrind grade`` and ``mlgrind check`` print these lines below the table; a written answer's rubric
stays hidden until the learner's own answer is there, as in the feedback report.
"""

from __future__ import annotations

from ..course import Course
from ..course.rubrics import Rubric, answer_cells, from_source, is_answered, is_interview, rubric_lines


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
