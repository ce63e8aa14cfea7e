"""The class report's parts without a class: the checks' causes read back, the counts, the table, the CSV,
the HTML page, the roster and the LMS files. The report of a real autograded class is in test_class.py."""

from __future__ import annotations

import csv
import io
import re
import time

import numpy as np
import pytest

from mlgrind.checks import Checker
from mlgrind.checks.causes import ALL, CRASH, NOT_ATTEMPTED, READ_AT_MOST, TIME_LIMIT, WRONG_VALUE, cause_of
from mlgrind.checks.shape_hints import shape_hint
from mlgrind.pictures.class_page import page
from mlgrind.pictures.class_report import ClassResults, Outcome, format_table, hardest, needs_help, tallies, to_csv


def failed_first_line(block) -> str:
    """The first line of the message a Checker raises when ``block(check)`` fails a check."""
    with pytest.raises(AssertionError) as caught:
        with Checker("f") as check:
            block(check)
    return str(caught.value).splitlines()[0]


@pytest.mark.parametrize("actual, expected, tag", [
    ((4, 3), (3, 4), "transposed"),
    ((2, 4, 3), (2, 3, 4), "reshape, not transpose"),
    ((6, 2), (3, 4), "reshape, not transpose"),
    ((4, 1), (4,), "extra keepdims"),
    ((4,), (4, 1), "missing keepdims"),
    ((5, 5), (5,), "silent broadcast"),
    ((5, 4, 3), (2, 3), "silent broadcast"),
    ((5, 4, 3), (5,), "wrong shape"),
    ((), (3,), "wrong axis"),
    ((3, 5), (3, 4), "wrong axis"),
    ((4,), (4, 3), "wrong axis"),
])
def test_each_wrong_shape_the_checks_explain_is_read_back_as_its_cause(actual, expected, tag):
    line = failed_first_line(lambda check: check.shape("out", np.zeros(actual), expected))
    assert shape_hint(actual, expected) in line
    assert cause_of(line) == tag


@pytest.mark.parametrize("block, tag", [
    (lambda check: check.shape("out", None, (2,)), "missing return"),
    (lambda check: check.dtype("out", np.zeros(2), np.float32), "dtype"),
    (lambda check: check.close("out", np.array([np.inf]), np.array([1.0])), "not finite"),
    (lambda check: check.not_called(["np.broadcast_shapes"]), "ruled-out call"),
    (lambda check: check.raises(ValueError, lambda: 1), "error not raised"),
    (lambda check: check.close("out", np.array([2.0]), np.array([1.0])), WRONG_VALUE),
    (lambda check: check.close("out", np.array([2.0]), np.array([1.0]), hint="a silent broadcast?"), "silent broadcast"),
])
def test_each_cause_a_checker_names_is_read_back(block, tag):
    assert cause_of(failed_first_line(block)) == tag


def test_only_the_first_failure_of_a_bounded_first_line_is_read():
    assert cause_of("f: out is wrong at 2 of 2 elements (+1 more failed checks below)\n- x is (3, 4), expected (4, 3): transposed?") == WRONG_VALUE
    assert cause_of("f: " + "x" * READ_AT_MOST + " transposed?") == WRONG_VALUE
    hostile = "f: is " + "(" * 2_000_000 + "?" * 2_000_000 + "\n" + "transposed? " * 100_000
    start = time.perf_counter()
    assert cause_of(hostile) == WRONG_VALUE
    assert time.perf_counter() - start < 0.5


def small_class() -> ClassResults:
    """Four students, three exercises, and the causes a class report must count."""
    exercises = {"test_a": "Exercise 1 · `a`", "test_b": "Exercise 2 · `b`", "test_c": "Exercise 3 · `c`"}
    rows = {
        "ann": (None, None, None),
        "bob": (None, "transposed", TIME_LIMIT),
        "cat": (NOT_ATTEMPTED, NOT_ATTEMPTED, "transposed"),
        "dan": (None, "wrong axis", CRASH),
    }
    outcomes = [Outcome(s, g, 0.0 if cause else 2.0, 2.0, cause)
                for s, causes in rows.items() for g, cause in zip(exercises, causes)]
    totals = {s: sum(o.score for o in outcomes if o.student == s) for s in rows}
    return ClassResults("01_broadcasting", exercises, outcomes, totals, 8.0, missing=["eve"])


def test_the_counts_hardest_and_who_may_need_help_come_from_the_outcomes():
    results = small_class()
    rows = {r.grade_id: r for r in tallies(results)}
    assert [(r.students, r.passed) for r in rows.values()] == [(4, 3), (4, 1), (4, 1)]
    assert rows["test_b"].causes == {"transposed": 1, "wrong axis": 1, NOT_ATTEMPTED: 1}
    assert rows["test_c"].causes == {TIME_LIMIT: 1, "transposed": 1, CRASH: 1}
    assert [r.grade_id for r in hardest(tallies(results))] == ["test_b", "test_c", "test_a"]
    assert needs_help(results) == {"cat": 2}
    assert needs_help(results, at_least=3) == {}


def test_the_table_and_csv_say_the_same_counts():
    results = small_class()
    table = format_table(results)
    assert "Exercise 2 · `b`  1/4 25%  transposed 1, wrong axis 1, not attempted 1" in table
    assert "Exercise 3 · `c`  1/4 25%  transposed 1, time limit 1, crash 1" in table
    assert "may need help (2 or more exercises not attempted): cat (2)" in table
    assert "did not submit: eve" in table
    scores = sorted(results.totals.values())
    assert f"scores out of 8: median {np.median(scores):g}, lowest {scores[0]:g}, highest {scores[-1]:g}" in table
    assert "1 student did not submit" in table
    rows = list(csv.DictReader(io.StringIO(to_csv(results))))
    assert [r["grade_id"] for r in rows] == ["test_a", "test_b", "test_c"]
    assert set(rows[0]) >= set(ALL)
    for row, tally in zip(rows, tallies(results)):
        assert int(row["passed"]) == tally.passed and int(row["students"]) == tally.students
        assert {tag: int(row[tag]) for tag in ALL if int(row[tag])} == dict(tally.causes)


def test_the_html_page_is_one_file_with_its_three_pictures():
    results = small_class()
    html = page(results)
    assert html.count('src="data:image/png;base64,') == 3
    assert not re.search(r'(src|href)="(?!data:)', html)  # nothing fetched from elsewhere
    assert "cat: 2 exercises not attempted" in html
    assert "<td>Exercise 2 · `b`</td><td>1/4</td><td>25%</td>" in html


def test_an_empty_class_still_reports():
    empty = ClassResults("01_broadcasting", {"test_a": "a"}, [], {}, 4.0, missing=["ann"])
    assert "0/0" in format_table(empty)
    assert page(empty).count("data:image/png") == 3


# --- the LMS files ------------------------------------------------------------------------------


def test_the_roster_maps_ids_and_names_the_student_it_lacks(tmp_path):
    from mlgrind.grading.lms_export import Column, RosterError, canvas_csv, moodle_csv, people_for, read_roster

    roster = tmp_path / "roster.csv"
    roster.write_text("nbgrader_id,lms_id,name,section\nann,1001,Ann A,S1\nbob,1002,,\n\n", encoding="utf-8")
    people = read_roster(roster)
    assert {s: p.lms_id for s, p in people.items()} == {"ann": "1001", "bob": "1002"}
    cols = [Column("01_broadcasting", 26.0, {"ann": 24.5, "bob": 0.0})]
    chosen = people_for(people, ["ann", "bob"], str(roster))
    assert canvas_csv(cols, chosen).splitlines() == [
        "Student,ID,SIS User ID,SIS Login ID,Section,01_broadcasting",
        "Points Possible,,,,,26",
        "Ann A,1001,,,S1,24.5",
        "bob,1002,,,,0",
    ]
    assert moodle_csv(cols, chosen, "ID number").splitlines() == ["ID number,01_broadcasting", "1001,24.5", "1002,0"]
    with pytest.raises(RosterError, match=r"^student cat is not in the roster .*roster.csv; add a row 'cat,"):
        people_for(people, ["ann", "cat"], str(roster))
    for text, problem in [("student,lms_id\nann,1\n", "no nbgrader_id column"),
                          ("nbgrader_id,lms_id\nann,1\nann,2\n", "ann is listed twice"),
                          ("nbgrader_id,lms_id\nann,\n", "line 2: both nbgrader_id and lms_id are needed")]:
        roster.write_text(text, encoding="utf-8")
        with pytest.raises(RosterError, match=problem):
            read_roster(roster)
    with pytest.raises(RosterError, match="cannot read the roster"):
        read_roster(tmp_path / "absent.csv")


def test_a_report_before_any_autograde_says_so_in_one_line(generated_course):
    from support import run

    fresh = run(["mlgrind", "report", "01"], generated_course)
    assert fresh.returncode == 0, fresh.stderr  # generated, nobody submitted: an empty report
    assert fresh.stdout.startswith("01_broadcasting: 0 submissions")
    (generated_course / "autograder" / "gradebook.db").unlink()
    result = run(["mlgrind", "report", "01"], generated_course)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"mlgrind report: no gradebook at {generated_course / 'autograder' / 'gradebook.db'}: "
        "generate, collect and autograde 01_broadcasting first"]
    assert not (generated_course / "autograder" / "gradebook.db").exists()
