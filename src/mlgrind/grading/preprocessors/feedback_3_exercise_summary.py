"""nbgrader's feedback report in the course's words (``c.GenerateFeedback`` in ``autograder/nbgrader_config.py``).

``ExerciseSummary`` runs after ``GetGrades`` and ``HideHiddenTests``: it names each graded cell by its
exercise heading, judges it as ``mlgrind grade`` does (``exercises``), puts the check's message in
place of a failed test cell's traceback, and leaves the index, the score line and the next step in
``resources["mlgrind"]`` for the template in ``grading/feedback_template/mlgrind_feedback``. Plain
``nbgrader generate_feedback`` and ``mlgrind grade`` therefore write the same report.
"""

from __future__ import annotations

from types import SimpleNamespace

from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

from ...course import Course
from ...course.exercises import is_manual, judge, later_assignment, manual_message, next_step, released_headings, score_line, summarize
from ...course.rubrics import is_answered
from ...course.settings import Settings
from ..report import EDITOR


class ExerciseSummary(NbGraderPreprocessor):
    """Per graded cell its exercise, status and message; the report's index, score line and next step."""

    def preprocess(self, nb, resources):
        settings = Settings(self.config)
        about = resources["nbgrader"]
        titles = released_headings(nb, settings.notebook("release", about["assignment"]))
        rows = []
        with Gradebook(about["db_url"]) as gb:
            grades = {g.name: g for g in gb.find_submission_notebook(
                about["notebook"], about["assignment"], about["student"]).grades}
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                if meta.get("grade") and meta.get("grade_id") in grades:
                    rows.append(self._row(cell, grades[meta["grade_id"]], titles[meta["grade_id"]], settings))
                elif cell.cell_type == "code":
                    self._show_message(cell, "")
        command = "check" if about["student"] == EDITOR else "grade"
        resources["mlgrind"] = self._summary(rows, about["assignment"], settings, command)
        return nb, resources

    def _row(self, cell, grade, heading, settings: Settings) -> dict:
        max_score = float(grade.max_score)
        if is_manual(grade):
            score, graded = float(grade.manual_score or 0), grade.manual_score is not None
            status, message = "manual", manual_message(cell is not None and is_answered(cell.get("source", "")))
        else:
            score, graded = float(grade.score or 0), True
            status, message = ("pass", "") if score >= max_score else judge(cell, settings.limits)
        if cell.cell_type == "code":
            self._show_message(cell, message)
        return {
            "grade_id": grade.name, "number": heading.number, "title": heading.title,
            "exercise": heading.label, "score": score, "max_score": max_score, "status": status,
            "message": message, "summary": summarize(message, title=heading.title), "graded": graded,
        }

    @staticmethod
    def _show_message(cell, message: str) -> None:
        """An error shows what went wrong in a line or two, not the traceback that led there:
        a graded cell its check's message, any other cell its exception."""
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                ename, evalue = output.get("ename", "Error"), str(output.get("evalue", "")).strip()
                output["traceback"] = message.splitlines() or [f"{ename}: {evalue}" if evalue else ename]

    @staticmethod
    def _summary(rows: list[dict], assignment: str, settings: Settings, command: str) -> dict:
        auto = [r for r in rows if r["status"] != "manual"]
        manual = [r for r in rows if r["status"] == "manual"]
        manual_graded = [r for r in manual if r["graded"]]
        line = score_line(
            sum(r["score"] for r in auto), sum(r["max_score"] for r in auto),
            sum(r["max_score"] for r in manual),
            sum(r["score"] for r in manual) if manual_graded else None,
        )
        steps = [SimpleNamespace(**r) for r in rows]
        course = Course.with_settings(settings)
        later = later_assignment(course.assignments() if course.source.is_dir() else [], assignment)
        return {"rows": rows, "cells": {r["grade_id"]: r for r in rows}, "score_line": line,
                "next": next_step(steps, assignment, later, command)}

