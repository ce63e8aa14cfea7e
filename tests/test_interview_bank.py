"""The interview question bank: enough follow-ups per notebook, each with a model answer, a rubric and true facts."""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest

from support import REPO
from mlgrind.course import Course
from mlgrind.recall.bank import followups, questions

ASSIGNMENTS = sorted(p.parent.name for p in (REPO / "source").glob("*/*.ipynb"))
FOLLOWUPS = REPO / "src" / "mlgrind" / "recall" / "followups"
# Every notebook's follow-ups, and every follow-up file's, a notebook's still being written included.
BANKS = sorted(set(ASSIGNMENTS) | {path.stem for path in FOLLOWUPS.glob("*.md")})


def run_check(code: str) -> None:
    exec(compile(code, "<check>", "exec"), {"np": np})  # noqa: S102


@pytest.mark.parametrize("assignment", BANKS)
def test_each_notebook_has_eight_followups_with_model_answers_and_rubrics(assignment):
    found = followups(assignment)
    assert len(found) >= 8
    assert len({q.id for q in found}) == len(found)
    for q in found:
        assert q.text.endswith("?") or q.text.endswith("."), q.id
        assert len(q.rubric.model_answer.split()) >= 25, q.id
        assert 2 <= len(q.rubric.items) <= 5 and q.rubric.points == sum(i.points for i in q.rubric.items), q.id
    assert sum(bool(q.check) for q in found) >= 6  # most state a fact NumPy can confirm


@pytest.mark.parametrize("q", [q for a in BANKS for q in followups(a) if q.check], ids=lambda q: q.id)
def test_every_computable_fact_in_the_bank_holds_in_numpy(q):
    run_check(q.check)


def test_a_false_fact_fails_its_check():
    q = next(q for q in followups("01_broadcasting") if q.id.endswith("/pad-then-stretch"))
    run_check(q.check)
    with pytest.raises(AssertionError):
        run_check(q.check.replace("(8, 7, 6, 5)", "(8, 7, 6, 1)"))


def test_a_wrong_cost_fails_its_check():
    q = next(q for q in followups("07_scaling_math") if q.id.endswith("/adam-7b-memory"))
    run_check(q.check)
    with pytest.raises(AssertionError):
        run_check(q.check.replace("2 + 2 + 4 + 4 + 4", "2 + 2 + 4 + 4"))  # one Adam moment forgotten


def test_the_bank_holds_no_solution_of_a_graded_exercise():
    bank = "\n".join(path.read_text(encoding="utf-8") for path in FOLLOWUPS.glob("*.md"))
    leaked = []
    for assignment in ASSIGNMENTS:
        nb = nbformat.read(str(REPO / "source" / assignment / f"{assignment}.ipynb"), as_version=4)
        for cell in nb.cells:
            for region in re.findall(r"### BEGIN (?:SOLUTION|HIDDEN TESTS)(.*?)### END", cell.source, re.S):
                leaked += [line.strip() for line in region.splitlines() if len(line.strip()) > 30 and line.strip() in bank]
    assert not leaked, leaked[:5]


def test_say_it_out_loud_questions_come_from_source_with_their_rubrics():
    asked = questions(Course(REPO), ASSIGNMENTS)
    own = [q for q in asked if q.kind == "say it out loud"]
    assert sorted({q.assignment for q in own}) == ASSIGNMENTS
    assert len({q.id for q in own}) == len(own)
    for q in own:
        alone = sum(other.assignment == q.assignment for other in own) == 1
        assert q.id == (f"interview:{q.assignment}" if alone else f"interview:{q.assignment}/{q.rubric.grade_id}")
        assert q.rubric.items and q.rubric.model_answer
        assert not q.text.startswith("#") and "interviewer" in q.text.lower()
    assert len(asked) == len(own) + sum(len(followups(a)) for a in ASSIGNMENTS)
