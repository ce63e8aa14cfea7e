"""An instructor's whole cycle with a simulated class of 38, through real nbgrader and its exchange.

generate_assignment -> release_assignment -> each student fetches and submits -> collect ->
`mlgrind autograde --jobs 2` -> manual grades of the interview answer through the gradebook API (as the
formgrader would) -> generate_feedback -> release_feedback -> each student fetches feedback -> export.
Then `mlgrind report` on the class (each injected mistake under its cause, the page in Chromium) and the
Canvas and Moodle exports (every score under the roster's id).
The class holds correct, partially correct and untouched notebooks and every kind of odd submission;
each odd one is reported, scores zero only where it could not be graded, and changes no one else's grade.
"""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import nbformat
import pytest

from answer_classes import load_answers, submit
from gradesheet import gradesheet
from support import BIN, copy_course, env, free_port, html_text, leaked_lines, replace_solution, run, solved

pytestmark = pytest.mark.class_scale

A = "01_broadcasting"
TIMEOUT = "5"


def without(nb, grade_id):
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return nb


def with_source(nb, grade_id, source):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
    return nb


def build_class(course: Path):
    """student -> (how to write the submission, expected autograded score, manual score, note)."""
    sheet = gradesheet(A, course)
    full = sheet.total

    def notebook(nb):
        return lambda folder: nbformat.write(nb, str(folder / f"{A}.ipynb"))

    students = {}
    for i in range(10):
        students[f"correct-{i:02d}"] = (notebook(solved(course, A)), full, 2, None)
    students["untouched"] = (lambda folder: None, 0, 0, None)
    for name, (solution_id, test_id, code) in load_answers(A).WRONG.items():
        nb = replace_solution(solved(course, A), solution_id, code)
        students[f"partial-{name}"] = (notebook(nb), full - sheet.points(test_id), 1, None)
    students["malformed"] = (lambda folder: (folder / f"{A}.ipynb").write_text('{"cells": [oops'), 0, None,
                             "failed: NotJSONError")
    loops = replace_solution(solved(course, A), "broadcast_shape", "while True:\n    pass")
    students["infinite-loop"] = (notebook(loops), full - sheet.points("test_broadcast_shape"), 2, "cell timed out")
    hog = replace_solution(solved(course, A), "standardize", "big = np.ones((10**6, 10**6))")
    students["memory-hog"] = (notebook(hog), full - sheet.points("test_standardize"), 2, "out of memory")
    dies = replace_solution(solved(course, A), "mse_loss", "import os\nos._exit(1)")
    students["kernel-dies"] = (notebook(dies), full - sheet.points("test_mse_loss"), 2, "kernel died")
    spam_nb = solved(course, A)
    spam_source = next(c.source for c in spam_nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "broadcast_shape")
    spam = replace_solution(spam_nb, "broadcast_shape", spam_source + "\nfor i in range(100000):\n    print('spam', i)")
    students["huge-output"] = (notebook(spam), full, 2, "output truncated")
    students["deleted-test"] = (notebook(without(solved(course, A), "test_standardize")), full, 2,
                                "cell test_standardize was deleted")
    students["edited-test"] = (notebook(with_source(solved(course, A), "test_mse_loss", "pass")), full, 2,
                               "cell test_mse_loss was edited")

    def renamed(folder):
        (folder / f"{A}.ipynb").unlink()
        nbformat.write(solved(course, A), str(folder / "my_attempt.ipynb"))

    def other_assignment(folder):
        (folder / f"{A}.ipynb").unlink()
        nbformat.write(solved(course, A), str(folder / "02_matmul_einsum.ipynb"))

    students["renamed"] = (renamed, 0, None, "found: my_attempt.ipynb")
    students["other-assignment"] = (other_assignment, 0, None, "found: 02_matmul_einsum.ipynb")
    return students


def make_unique(path: Path, student: str) -> None:
    """Real students' files differ; nbgrader matches feedback to submissions by file hash."""
    if path.exists() and path.read_text().startswith("{\n"):
        nb = nbformat.read(str(path), as_version=4)
        nb.metadata["submitted_by"] = student
        nbformat.write(nb, str(path))


def exchange_app(app_class, course: Path, exchange: Path, home: Path, student: str):
    """One of nbgrader's exchange apps, as the student would run it in their own folder."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.course_id = "ml-grind"
    config.CourseDirectory.root = str(home)
    config.Exchange.root = str(exchange)
    config.Exchange.assignment_dir = str(home)
    config.Exchange.cache = str(home / ".nbgrader-cache")  # each student's own, as on their own account
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = A
    coursedir.student_id = student
    app = app_class(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
    app.start()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def cycle(request, tmp_path_factory):
    """The whole cycle, once on the SQLite gradebook and once on PostgreSQL (same expected scores)."""
    from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeFetchFeedback, ExchangeSubmit

    tmp = tmp_path_factory.mktemp("class")
    course = copy_course(tmp / "course")
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres").database()
        db_env = {"MLGRIND_DB_URL": url}
    else:
        url = f"sqlite:///{course}/autograder/gradebook.db"
        db_env = {}
    exchange = tmp / "exchange"
    exchange.mkdir()
    flag = f"--Exchange.root={exchange}"
    students = build_class(course)

    def nbgrader(*args):
        result = run(["nbgrader", *args, flag], course, **db_env)
        assert result.returncode == 0, result.stderr[-3000:]
        return result

    nbgrader("generate_assignment", A, "--force")
    nbgrader("release_assignment", A)
    homes = {}
    for student, (write, *_rest) in students.items():
        home = tmp / "students" / student
        home.mkdir(parents=True)
        exchange_app(ExchangeFetchAssignment, course, exchange, home, student)
        write(home / A)
        make_unique(home / A / f"{A}.ipynb", student)
        exchange_app(ExchangeSubmit, course, exchange, home, student)
        homes[student] = home
    nbgrader("collect", A)

    environment = env(MLGRIND_CELL_TIMEOUT=TIMEOUT, **db_env)
    graded = subprocess.run([str(BIN / "mlgrind"), "autograde", A, "--jobs", "2"],
                            cwd=course, env=environment, capture_output=True, text=True, timeout=1200)

    from nbgrader.api import Gradebook

    with Gradebook(url, "ml-grind") as gb:
        for student, (_write, _auto, manual, _note) in students.items():
            if manual is None:
                continue
            grade = gb.find_grade("interview_answer", A, A, student)
            grade.manual_score = manual
        gb.db.commit()

    nbgrader("generate_feedback", A, "--force")
    nbgrader("release_feedback", A)
    for student, home in homes.items():
        exchange_app(ExchangeFetchFeedback, course, exchange, home, student)
    nbgrader("export")
    return course, students, homes, graded, url


def test_every_students_exported_score_is_as_expected(cycle):
    course, students, _homes, graded, _url = cycle
    rows = {r["student_id"]: r for r in csv.DictReader((course / "grades.csv").open()) if r["assignment"] == A}
    assert set(rows) == set(students)
    wrong = {
        student: (float(rows[student]["raw_score"]), auto + (manual or 0))
        for student, (_w, auto, manual, _n) in students.items()
        if float(rows[student]["raw_score"]) != auto + (manual or 0)
    }
    assert not wrong, f"(exported, expected): {wrong}\n{graded.stdout}"


def test_each_odd_submission_is_named_in_the_autograde_summary(cycle):
    _course, students, _homes, graded, _url = cycle
    assert graded.returncode == 1  # some submissions could not be graded at all
    lines = graded.stdout.splitlines()
    for student, (_w, _a, _m, note) in students.items():
        if note:
            assert any(line.strip().startswith(f"{student}:") and note in line for line in lines), (student, graded.stdout)
    assert "3 failed" in lines[0] and f"{len(students) - 3} graded" in lines[0]
    assert f"infinite-loop: cell timed out: broadcast_shape ran past the {TIMEOUT} s limit" in graded.stdout
    assert "memory-hog: out of memory: standardize went past the 4 GiB memory limit" in graded.stdout


def test_the_class_summary_names_each_limit_with_its_number(course):
    submit(course, A, "loops", replace_solution(solved(course, A), "broadcast_shape", "while True:\n    pass"))
    submit(course, A, "hog", replace_solution(solved(course, A), "standardize", "big = np.ones(2**31)  # 16 GiB"))
    assert run(["nbgrader", "generate_assignment", A, "--force"], course).returncode == 0
    result = run(["mlgrind", "autograde", A, "--jobs", "1"], course, MLGRIND_CELL_TIMEOUT="3", MLGRIND_KERNEL_MEMORY="3G")
    assert result.returncode == 0, result.stderr
    assert "loops: cell timed out: broadcast_shape ran past the 3 s limit (an infinite loop?)" in result.stdout
    assert "hog: out of memory: standardize went past the 3 GiB memory limit" in result.stdout


def test_feedback_explains_odd_cells_and_reaches_students(cycle):
    course, students, homes, _graded, _url = cycle
    feedback = course / "autograder" / "feedback"
    expected = {
        "infinite-loop": "CellTimeoutError",
        "memory-hog": "MemoryError",
        "kernel-dies": "the kernel died while running this cell",
        "huge-output": "Output truncated",
        "deleted-test": "was missing from the submission",
        "partial-pairwise_transposed": "transposed?",
    }
    for student, text in expected.items():
        assert text in html_text(feedback / student / A / f"{A}.html"), student
    for student, home in homes.items():
        fetched = list((home / A / "feedback").glob(f"*/{A}.html"))
        has_notebook = students[student][2] is not None
        assert len(fetched) == (1 if has_notebook else 0), student


def test_no_feedback_file_shows_a_hidden_test_line(cycle):
    course, _students, homes, _graded, _url = cycle
    files = list((course / "autograder" / "feedback").rglob("*.html"))
    files += [p for home in homes.values() for p in home.rglob("feedback/*/*.html")]
    assert len(files) > 60
    leaks = {str(p): leaked_lines(A, html_text(p))[:2] for p in files}
    assert not {k: v for k, v in leaks.items() if v}


def test_gradebook_stays_consistent(cycle):
    from nbgrader.api import Gradebook

    course, students, _homes, _graded, url = cycle
    with Gradebook(url, "ml-grind") as gb:
        submissions = gb.assignment_submissions(A)
        assert sorted(s.student.id for s in submissions) == sorted(students)
        for submission in submissions:
            assert len(submission.notebooks) == 1
            assert len(submission.notebooks[0].grades) == len(gradesheet(A, course).cells)


def test_an_unreachable_postgresql_gradebook_gets_one_line_and_no_password(postgres, course):
    wrong_password = postgres.database().replace("grader%20p%40ss", "not-the-password")
    closed_port = f"postgresql+psycopg://postgres:secret%40pw@127.0.0.1:{free_port()}/gradebook"
    for url in (wrong_password, closed_port):
        for command in (["mlgrind", "autograde", "01"], ["mlgrind", "build", "01"]):
            result = run(command, course, MLGRIND_DB_URL=url)
            assert result.returncode == 1, result.stderr
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr
            assert "cannot reach the gradebook at postgresql+psycopg://postgres:***@127.0.0.1" in result.stderr
            assert "not-the-password" not in result.stderr and "secret" not in result.stderr
    assert not (course / "autograder" / "gradebook.db").exists()


# --- the class's mistakes, and its grades for an LMS ----------------------------------------------

# Submissions of build_class whose mistake is of a known class: student -> (test cell, the cause the
# report must give). Each loses only that cell (test_every_students_exported_score_is_as_expected).
INJECTED = {
    "partial-pairwise_transposed": ("test_pairwise_sq_dists", "transposed"),
    "partial-pairwise_sums_wrong_axis": ("test_pairwise_sq_dists", "wrong axis"),
    "partial-pairwise_loops": ("test_pairwise_sq_dists", "loops"),
    "partial-broadcast_calls_numpy": ("test_broadcast_shape", "ruled-out call"),
    "partial-standardize_in_place": ("test_standardize", "changed its input"),
    "partial-standardize_loses_float32": ("test_standardize", "dtype"),
    "partial-mse_the_original_bug": ("test_mse_loss", "silent broadcast"),
    "infinite-loop": ("test_broadcast_shape", "time limit"),
    "memory-hog": ("test_standardize", "memory limit"),
    "kernel-dies": ("test_mse_loss", "crash"),
}
# Submissions that lose every exercise, and why.
STOPPED = {"untouched": "not attempted", "malformed": "not graded", "renamed": "not graded",
           "other-assignment": "not graded"}


def db_env(url: str) -> dict:
    return {"MLGRIND_DB_URL": url} if url.startswith("postgresql") else {}


def lost_cells(course: Path, student: str) -> set[str]:
    """The test cells a student of build_class gets no full marks for."""
    tests = {g.grade_id for g in gradesheet(A, course).autograded}
    if student in STOPPED:
        return tests
    if student in INJECTED:
        return {INJECTED[student][0]}
    if student.startswith("partial-"):
        return {load_answers(A).WRONG[student.removeprefix("partial-")][1]}
    return set()


@pytest.fixture(scope="module")
def class_report(cycle, tmp_path_factory):
    """`mlgrind report 01 --csv --html` on the class, and the outcomes it read (in this process)."""
    from mlgrind.course import Course
    from mlgrind.grading.class_results import read_class

    course, _students, _homes, _graded, url = cycle
    out = tmp_path_factory.mktemp("report")
    result = run(["mlgrind", "report", "01", "--csv", str(out / "report.csv"), "--html", str(out / "report.html")],
                 course, **db_env(url))
    assert result.returncode == 0, result.stderr[-3000:]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLGRIND_DB_URL", url)
        results = read_class(Course(course).settings, A)
    return result.stdout, out, results


def test_the_report_gives_each_injected_mistake_its_cause(cycle, class_report):
    course, students, _homes, _graded, _url = cycle
    _stdout, _out, results = class_report
    found = {(o.student, o.grade_id): o.cause for o in results.outcomes}
    tests = [g.grade_id for g in gradesheet(A, course).autograded]
    assert list(results.exercises) == tests
    assert sorted(results.totals) == sorted(students)
    for student in students:
        for test in tests:
            cause = found[(student, test)]
            if test not in lost_cells(course, student):
                assert cause is None, (student, test, cause)
            elif student in INJECTED:
                assert cause == INJECTED[student][1], (student, test)
            elif student in STOPPED:
                assert cause == STOPPED[student], (student, test)
            else:
                assert cause is not None, (student, test)


def test_the_reports_table_and_csv_count_the_class(cycle, class_report):
    course, students, _homes, _graded, _url = cycle
    stdout, out, _results = class_report
    rows = {r["grade_id"]: r for r in csv.DictReader((out / "report.csv").open(encoding="utf-8"))}
    sheet = gradesheet(A, course)
    assert list(rows) == [g.grade_id for g in sheet.autograded]
    for test, row in rows.items():
        losing = [s for s in students if test in lost_cells(course, s)]
        assert int(row["students"]) == len(students)
        assert int(row["passed"]) == len(students) - len(losing), test
        injected = [cause for s, (cell, cause) in INJECTED.items() if cell == test]
        for cause in set(injected):
            assert int(row[cause]) >= injected.count(cause), (test, cause)
        for cause in ("time limit", "memory limit", "crash"):  # no wrong answer of the class hits a limit
            assert int(row[cause]) == injected.count(cause), (test, cause)
        assert int(row["not attempted"]) == 1 and int(row["not graded"]) == 3
        counted = sum(int(v) for k, v in row.items() if k not in ("assignment", "grade_id", "exercise", "students",
                                                                  "passed", "share_passed"))
        assert counted == len(losing)
        label = sheet[test].label
        assert f"{row['passed']}/{row['students']}" in next(line for line in stdout.splitlines() if line.startswith(label))
    helped = next(line for line in stdout.splitlines() if line.startswith("may need help"))
    assert sorted(name.split(" (")[0] for name in helped.split(": ", 1)[1].split(", ")) == sorted(STOPPED)


@pytest.mark.browser
def test_the_reports_page_opens_in_a_browser(cycle, class_report, chromium):
    _course, _students, _homes, _graded, url = cycle
    if not url.startswith("sqlite"):
        pytest.skip("the page is looked at once, on the SQLite class (the PostgreSQL one writes the same)")
    _stdout, out, _results = class_report
    page = chromium.new_page(viewport={"width": 1280, "height": 1000})
    page.goto((out / "report.html").as_uri())
    drawn = page.evaluate("Array.from(document.images).map(i => [i.alt, i.complete && i.naturalWidth > 300])")
    assert drawn == [["scores", True], ["share passed per exercise", True],
                     ["failures by likely cause per exercise", True]]
    row = page.locator("#exercises tbody tr").first.inner_text()
    assert "broadcast_shape" in row and "/38" not in row
    assert page.locator("#help li").count() == len(STOPPED)
    assert "untouched: 5 exercises not attempted" in page.locator("#help").inner_text()
    page.close()


def write_roster(path: Path, students, leave_out: str | None = None) -> dict[str, str]:
    """A roster giving each student an LMS id (all but ``leave_out``); nbgrader id -> LMS id."""
    ids = {s: f"u{7000 + i}" for i, s in enumerate(sorted(students)) if s != leave_out}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["nbgrader_id", "lms_id", "name"])
        writer.writerows([s, lms, f"Student {s}"] for s, lms in ids.items())
    return ids


def test_canvas_and_moodle_exports_hold_each_score_under_its_roster_id(cycle, tmp_path):
    course, students, _homes, _graded, url = cycle
    exported = {r["student_id"]: float(r["score"]) for r in csv.DictReader((course / "grades.csv").open())
                if r["assignment"] == A}
    ids = write_roster(tmp_path / "roster.csv", students)
    for exporter, name in (("CanvasExport", "canvas.csv"), ("MoodleExport", "moodle.csv")):
        result = run(["nbgrader", "export", f"--exporter=mlgrind.grading.lms_export.{exporter}", f"--assignment={A}",
                      f"--{exporter}.roster={tmp_path / 'roster.csv'}", f"--to={tmp_path / name}"], course, **db_env(url))
        assert result.returncode == 0, result.stderr[-3000:]
    canvas = list(csv.reader((tmp_path / "canvas.csv").open(encoding="utf-8")))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A]
    assert canvas[1][0] == "Points Possible" and float(canvas[1][5]) == gradesheet(A, course).total + gradesheet(A, course).read_by_a_person
    assert {row[1]: float(row[5]) for row in canvas[2:]} == {ids[s]: score for s, score in exported.items()}
    moodle = list(csv.reader((tmp_path / "moodle.csv").open(encoding="utf-8")))
    assert moodle[0] == ["Email address", A]
    assert {row[0]: float(row[1]) for row in moodle[1:]} == {ids[s]: score for s, score in exported.items()}


def test_a_student_missing_from_the_roster_stops_the_export_with_one_line(cycle, tmp_path):
    course, students, _homes, _graded, url = cycle
    write_roster(tmp_path / "roster.csv", students, leave_out="kernel-dies")
    result = run(["nbgrader", "export", "--exporter=mlgrind.grading.lms_export.MoodleExport",
                  f"--MoodleExport.roster={tmp_path / 'roster.csv'}", f"--to={tmp_path / 'moodle.csv'}"],
                 course, **db_env(url))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line or "Traceback" in line]
    assert errors == [f"[ExportApp | ERROR] student kernel-dies is not in the roster {tmp_path / 'roster.csv'}; "
                      "add a row 'kernel-dies,<their LMS id>' under nbgrader_id,lms_id"]
    assert not (tmp_path / "moodle.csv").exists()
