"""What a self-grade gives back, and the table a learner reads: light enough for a command that only prints.

``selfgrade.grade`` makes a ``Report``; ``mlgrind grade`` prints it with ``format_table`` (or as JSON),
whether it graded in its own process or was answered by the warm grader (``warm``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from ..course.exercises import score_line

STUDENT = "learner"
EDITOR = "editor"  # the student of `mlgrind check`, whose next step is `mlgrind check` again


@dataclass
class CellResult:
    """One graded cell, named by its exercise's heading; ``summary`` is ``message`` cut to one table row."""

    grade_id: str
    score: float
    max_score: float
    status: str  # one of exercises.STATUSES: not attempted | pass | fail | error | manual
    message: str = ""
    number: str | None = None
    title: str = ""
    exercise: str = ""
    summary: str = ""


@dataclass
class Report:
    assignment: str
    student: str
    score: float
    max_score: float
    cells: list[CellResult]
    feedback: str
    notes: list[str] = field(default_factory=list)
    next: str = ""

    @property
    def manual_max(self) -> float:
        return sum(c.max_score for c in self.cells if c.status == "manual")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        return cls(**{**data, "cells": [CellResult(**cell) for cell in data["cells"]]})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


@dataclass
class NotGraded:
    """Why nothing was graded (an unreadable notebook, a failed nbgrader step), in one line."""

    message: str


def format_table(report: Report, verbose: bool = False, next_line: bool = True) -> str:
    """The per-exercise table a learner reads in the terminal; ``verbose`` adds every failed check below it.

    It ends with the "next: ..." line unless ``next_line`` is false (the caller then prints it last).
    """
    rows = [("exercise", "points", "status", "message")]
    for c in report.cells:
        rows.append((c.exercise, f"{c.score:g}/{c.max_score:g}", c.status, c.summary))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3] for r in rows]
    lines = [line.rstrip() for line in lines]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 7)
    cut = [c for c in report.cells if c.status in ("fail", "error") and c.summary != c.message.strip()]
    if cut and not verbose and report.student == EDITOR:
        lines.append("(--verbose shows every failed check)")
    elif cut and not verbose:
        lines.append(f"(--verbose shows every failed check: `mlgrind grade {report.assignment.split('_')[0]} --verbose`)")
    if cut and verbose:
        for c in cut:
            lines.append("")
            lines.append(f"{c.exercise} ({c.status}):")
            lines += [f"  {line}" for line in c.message.strip().splitlines()]
    lines.append("")
    lines.append(score_line(report.score, report.max_score, report.manual_max))
    for note in report.notes:
        lines.append(f"note: {note}")
    lines.append(f"feedback: {report.feedback}")
    if next_line:
        lines.append(report.next)
    return "\n".join(lines)
