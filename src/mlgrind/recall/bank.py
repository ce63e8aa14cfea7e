"""Interview questions: each notebook's "say it out loud" (from source/) and its follow-ups (``followups/*.md``).

The follow-ups are course content kept beside this module, one Markdown file per notebook, one
``## slug`` section per question, written as a hidden region's body is (recall.rubric's form)::

    ## pad-then-stretch
    What is the shape of ...?

    #### Model answer
    ...
    #### Rubric
    - 1 point: ...
    #### Check
    ```python
    assert ...   (run by the tests: a computable fact the answer states)
    ```

"Say it out loud" questions are read from the source notebook only, so the package never holds their
model answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from ..course import Course
from ..course.rubrics import GRADE_ID, Rubric, from_source, is_interview, parse_sections
from .memory_states import Item

__all__ = ["InterviewQuestion", "followups", "questions", "say_it_out_loud"]

SECTION = re.compile(r"^## (?P<slug>[a-z0-9-]+)[ \t]*\n(?P<body>.*?)(?=^## |\Z)", re.S | re.M)
CHECK = re.compile(r"^#### Check\s*\n```python\n(?P<code>.*?)```", re.S | re.M)


@dataclass(frozen=True)
class InterviewQuestion:
    id: str  # "interview:01_broadcasting", "interview:07_scaling_math/interview_decode" or ".../pad-then-stretch"
    assignment: str
    kind: str  # "say it out loud" or "follow-up"
    rubric: Rubric  # its ``question`` is the text to ask
    check: str = ""  # Python over ``np`` asserting the facts the model answer states

    @property
    def item(self) -> Item:
        return Item(self.id, "interview", self.assignment, f"{self.assignment}: {self.kind}")

    @property
    def text(self) -> str:
        """The question as asked: without the notebook's heading line."""
        return re.sub(r"^#+ .*\n+", "", self.rubric.question).strip()


def followups(assignment: str) -> list[InterviewQuestion]:
    """The follow-up questions of ``assignment``, in the file's order ([] for a notebook without any)."""
    source = resources.files(__package__).joinpath("followups", f"{assignment}.md")
    if not source.is_file():
        return []
    found = []
    for section in SECTION.finditer(source.read_text(encoding="utf-8")):
        body = section["body"]
        check = CHECK.search(body)
        body = body[: check.start()] if check else body
        question = body.split("#### Model answer")[0]
        where = f"{assignment}'s follow-up {section['slug']!r}"
        found.append(InterviewQuestion(f"interview:{assignment}/{section['slug']}", assignment, "follow-up",
                                       parse_sections(body, question, where=where), check["code"] if check else ""))
    return found


def say_it_out_loud(course: Course, assignment: str) -> list[InterviewQuestion]:
    """The notebook's own interview questions, with the model answers and rubrics from its source."""
    return [InterviewQuestion(f"interview:{assignment}" if rubric.grade_id == GRADE_ID else
                              f"interview:{assignment}/{rubric.grade_id}", assignment, "say it out loud", rubric)
            for rubric in from_source(course, assignment) if is_interview(rubric.grade_id)]


def questions(course: Course, assignments: list[str]) -> list[InterviewQuestion]:
    """Every interview question of ``assignments``: each notebook's own first, then its follow-ups."""
    return [q for a in assignments for q in (*say_it_out_loud(course, a), *followups(a))]
