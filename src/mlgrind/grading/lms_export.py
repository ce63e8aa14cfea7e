"""``nbgrader export`` plugins that write the CSV a learning-management system imports into a gradebook column.

    nbgrader export --exporter=mlgrind.grading.lms_export.CanvasExport --assignment=01_broadcasting \\
        --CanvasExport.roster=roster.csv --to=canvas.csv
    nbgrader export --exporter=mlgrind.grading.lms_export.MoodleExport --assignment=01_broadcasting \\
        --MoodleExport.roster=roster.csv --to=moodle.csv

Both are nbgrader ``ExportPlugin`` subclasses: nbgrader opens the gradebook (SQLite or PostgreSQL) and
passes it in. Each student's score is the submission's score less its late penalty, never below zero
(as nbgrader's own CSV has it), and zero without a submission. The roster maps nbgrader student ids to
the LMS's (``read_roster``); a gradebook student missing from it stops the export with one line naming
them, so no grade is imported under the wrong person or silently left out.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Unicode

ROSTER_ID = "nbgrader_id"  # the roster's column of nbgrader student ids
ROSTER_LMS = "lms_id"  # and of the LMS's ids


class RosterError(Exception):
    """The roster cannot be used: unreadable, without its columns, or without a student the gradebook has."""


@dataclass(frozen=True)
class Person:
    """One roster row: the LMS id, and the columns Canvas also shows (all optional)."""

    lms_id: str
    name: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""


def read_roster(path: Path) -> dict[str, Person]:
    """nbgrader id -> the student's row in a roster CSV.

    The header names the columns: ``nbgrader_id`` and ``lms_id`` are required; ``name``,
    ``sis_user_id``, ``sis_login_id`` and ``section`` are optional (Canvas shows them).
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RosterError(f"cannot read the roster {path}: {exc.strerror or exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    lacking = [c for c in (ROSTER_ID, ROSTER_LMS) if c not in header]
    if lacking:
        raise RosterError(f"the roster {path} has no {' or '.join(lacking)} column (its header: {', '.join(header) or 'empty'})")
    people = {}
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        student, lms = row[ROSTER_ID], row[ROSTER_LMS]
        if not student and not lms:
            continue
        if not student or not lms:
            raise RosterError(f"the roster {path}, line {line}: both {ROSTER_ID} and {ROSTER_LMS} are needed")
        if student in people:
            raise RosterError(f"the roster {path}, line {line}: {student} is listed twice")
        people[student] = Person(lms, row.get("name", ""), row.get("sis_user_id", ""), row.get("sis_login_id", ""),
                                 row.get("section", ""))
    return people


@dataclass(frozen=True)
class Column:
    """One assignment's column: its name, points, and each nbgrader student's score."""

    assignment: str
    max_score: float
    scores: dict[str, float]


def columns(gradebook: Gradebook, assignments: list[str], students: list[str]) -> list[Column]:
    """The asked-for assignments (all when empty), each with every asked-for student's score (all when empty)."""
    wanted = [a for a in gradebook.assignments if not assignments or a.name in assignments]
    unknown = sorted(set(assignments) - {a.name for a in wanted})
    if unknown:
        raise RosterError(f"no assignment {', '.join(unknown)} in the gradebook")
    ids = sorted(s.id for s in gradebook.students if not students or s.id in students)
    found = []
    for assignment in wanted:
        scores = {}
        for student in ids:
            try:
                submission = gradebook.find_submission(assignment.name, student)
            except MissingEntry:
                scores[student] = 0.0
            else:
                scores[student] = max(0.0, float(submission.score) - float(submission.late_submission_penalty or 0))
        found.append(Column(assignment.name, float(assignment.max_score), scores))
    return found


def people_for(roster: dict[str, Person], students: list[str], roster_path: str) -> dict[str, Person]:
    """Each student's roster row; the first one missing stops the export with one line naming them."""
    for student in students:
        if student not in roster:
            raise RosterError(f"student {student} is not in the roster {roster_path}; add a row "
                              f"'{student},<their LMS id>' under {ROSTER_ID},{ROSTER_LMS}")
    return {s: roster[s] for s in students}


def _number(x: float) -> str:
    return f"{x:g}"


def canvas_csv(cols: list[Column], people: dict[str, Person]) -> str:
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then a column per
    assignment; a "Points Possible" row first. Canvas matches each row to a student by ``ID`` (else the SIS ids)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *(c.assignment for c in cols)])
    writer.writerow(["Points Possible", "", "", "", "", *(_number(c.max_score) for c in cols)])
    for student, person in people.items():
        writer.writerow([person.name or student, person.lms_id, person.sis_user_id, person.sis_login_id,
                         person.section, *(_number(c.scores[student]) for c in cols)])
    return out.getvalue()


def moodle_csv(cols: list[Column], people: dict[str, Person], id_column: str) -> str:
    """Moodle's "Import grades from CSV": an identifying column (mapped at import to a user field such as
    the email address or ID number) and a column per assignment (mapped to a grade item)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([id_column, *(c.assignment for c in cols)])
    for student, person in people.items():
        writer.writerow([person.lms_id, *(_number(c.scores[student]) for c in cols)])
    return out.getvalue()


class _LmsExport(ExportPlugin):
    roster = Unicode("roster.csv", help="CSV of nbgrader_id,lms_id (see mlgrind.grading.lms_export.read_roster)").tag(config=True)
    default_to = "lms.csv"

    def export(self, gradebook: Gradebook) -> None:
        try:
            cols = columns(gradebook, [str(a) for a in self.assignment], [str(s) for s in self.student])
            students = sorted({s for c in cols for s in c.scores})
            people = people_for(read_roster(Path(self.roster)), students, self.roster)
        except RosterError as exc:
            self._stop(str(exc))
        dest = self.to or self.default_to
        Path(dest).write_text(self.write(cols, people), encoding="utf-8")
        self.log.info("Wrote %d students' scores in %d column(s) to %s", len(people), len(cols), dest)

    def _stop(self, message: str) -> None:
        parent = self.parent
        if parent is not None and hasattr(parent, "fail"):
            parent.fail(message)  # nbgrader's app: logs the one line and exits 1
        raise SystemExit(message)

    def write(self, cols: list[Column], people: dict[str, Person]) -> str:
        raise NotImplementedError


class CanvasExport(_LmsExport):
    """Canvas's gradebook CSV (``--to``, default ``canvas.csv``), one column per assignment."""

    default_to = "canvas.csv"

    def write(self, cols, people):
        return canvas_csv(cols, people)


class MoodleExport(_LmsExport):
    """Moodle's grade-import CSV (``--to``, default ``moodle.csv``), one column per assignment."""

    default_to = "moodle.csv"
    id_column = Unicode("Email address", help="the header of the LMS-id column (map it at import to the "
                                              "matching Moodle user field)").tag(config=True)

    def write(self, cols, people):
        return moodle_csv(cols, people, self.id_column)
