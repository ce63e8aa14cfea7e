"""The learner's commands, run for real in a copy of the course: build, grade, reset."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path

import nbformat
import pytest

from gradesheet import gradesheet
from support import REPO, html_text, leaked_lines, replace_solution, run, table_rows
from support import hidden_lines as _hidden_lines
from support import solved as _solved

A = "01_broadcasting"
SHEET = gradesheet(A)
# Answers written as functions: a release copy's stub raises NotImplementedError.
FUNCTION_TESTS = ("test_broadcast_shape", "test_standardize", "test_pairwise_sq_dists", "test_mse_loss")


def solved(course: Path, assignment: str = A):
    return _solved(course, assignment)


def hidden_lines(assignment: str = A) -> list[str]:
    lines = _hidden_lines(assignment)
    assert lines
    return lines


def write_learner(course: Path, nb, assignment: str = A) -> Path:
    path = course / "notebooks" / f"{assignment}.ipynb"
    nbformat.write(nb, str(path))
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_untouched_notebook_scores_zero_with_a_clear_table_and_is_not_modified(course, selfgrade_gradebook):
    learner = course / "notebooks" / f"{A}.ipynb"
    before = digest(learner)
    result = run(["mlgrind", "grade", "01"], course / "notebooks")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert SHEET.score_line(0) in out
    for test_id in FUNCTION_TESTS:
        # The status says "not attempted"; the message gives the reason, whole, once.
        row = rf"^{re.escape(SHEET.label(test_id))}\s+0/{SHEET.points(test_id):g}\s+"
        assert re.search(row + r"not attempted  its cell still raises NotImplementedError$", out, re.M), out
    predictions, interview = SHEET["test_predictions"], SHEET["interview_answer"]
    assert re.search(rf"^{re.escape(predictions.label)}\s+0/{predictions.points:g}\s+"
                     r"not attempted  the answers are still None$", out, re.M), out
    assert re.search(rf"^{re.escape(interview.label)}\s+0/{interview.points:g}\s+manual\s+"
                     r"not written yet: write it, then grade again to see the rubric$", out, re.M), out
    assert "not attempted yet" not in out and "..." not in out
    assert "--verbose" not in out  # nothing failed, so there is nothing more to show
    assert "test_broadcast_shape" not in out and "interview_answer" not in out
    assert out.splitlines()[-1] == (
        f"next: {SHEET.first().label} - write it, run its check cell, then `mlgrind grade 01` again")
    assert digest(learner) == before
    assert not any(line in out for line in hidden_lines())


def test_solved_notebook_gets_full_marks_as_json(course, selfgrade_gradebook):
    learner = write_learner(course, solved(course))
    before = digest(learner)
    result = run(["mlgrind", "grade", A, "--json"], course)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"assignment", "student", "score", "max_score", "cells", "feedback"} <= set(report)
    assert report["assignment"] == A
    assert report["score"] == report["max_score"] == SHEET.total
    statuses = {c["grade_id"]: c["status"] for c in report["cells"]}
    assert statuses.pop("interview_answer") == "manual"
    assert set(statuses.values()) == {"pass"}
    for cell in report["cells"]:
        assert set(cell) >= {"grade_id", "score", "max_score", "status", "message", "number", "title", "exercise", "summary"}
    first, label = report["cells"][0], SHEET.cells[0].label
    assert (first["number"], first["title"]) == re.fullmatch(r"Exercise (\d+) · (.+)", label).groups()
    assert first["exercise"] == label
    assert report["next"] == (
        "next: every autograded exercise passes - open notebooks/02_matmul_einsum.ipynb; keep it fresh with `mlgrind drill`"
    )
    # The report sits beside the notebooks, inside the learner's JupyterLab (`make lab` serves notebooks/).
    assert report["feedback"] == str(course / "notebooks" / "feedback" / f"{A}.html")
    made = course / "autograder" / "selfgrade" / "feedback" / "learner" / A / f"{A}.html"  # nbgrader's
    assert Path(report["feedback"]).read_bytes() == made.read_bytes()
    assert report["notes"] == []
    assert digest(learner) == before


def test_wrong_answer_message_teaches_without_showing_hidden_tests(course, selfgrade_gradebook):
    nb = solved(course)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "pairwise_sq_dists":
            cell.source = (
                "def pairwise_sq_dists(a_ND, b_MD):\n"
                "    return ((b_MD[:, None, :] - a_ND[None, :, :]) ** 2).sum(axis=-1)"
            )
    write_learner(course, nb)
    result = run(["mlgrind", "grade", "01", "--json"], course)
    report = json.loads(result.stdout)
    cell = next(c for c in report["cells"] if c["grade_id"] == "test_pairwise_sq_dists")
    assert cell["status"] == "fail" and cell["score"] == 0
    assert "transposed?" in cell["message"]
    assert report["score"] == SHEET.score_without("test_pairwise_sq_dists")
    assert not any(line in result.stdout for line in hidden_lines())
    feedback = html_text(Path(report["feedback"]))
    assert "transposed?" in feedback
    assert leaked_lines(A, feedback) == []
    assert "_cases_list" not in feedback


PAIRWISE = SHEET.label("test_pairwise_sq_dists")
TRANSPOSED = "def pairwise_sq_dists(a_ND, b_MD):\n    return ((b_MD[:, None, :] - a_ND[None, :, :]) ** 2).sum(axis=-1)"


# What `one_wrong_one_untouched` fails: the rest of the notebook is answered right.
WRONG_AND_UNTOUCHED = ("test_pairwise_sq_dists", "test_mse_loss")


def one_wrong_one_untouched(course: Path):
    """pairwise_sq_dists transposed (a dozen failed checks), mse_loss left as released, the rest right."""
    nb = replace_solution(solved(course), "pairwise_sq_dists", TRANSPOSED)
    released = nbformat.read(str(course / "release" / A / f"{A}.ipynb"), as_version=4)
    untouched = next(c.source for c in released.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "mse_loss")
    return replace_solution(nb, "mse_loss", untouched)


@pytest.mark.slow
def test_a_learner_sees_titles_statuses_short_messages_and_the_next_step(course, selfgrade_gradebook):
    write_learner(course, one_wrong_one_untouched(course))
    result = run(["mlgrind", "grade", "01"], course)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    rows = table_rows(out)
    assert list(rows) == SHEET.labels, out
    broadcast, pairwise, mse = (SHEET[i] for i in ("test_broadcast_shape", "test_pairwise_sq_dists", "test_mse_loss"))
    assert re.fullmatch(rf"{broadcast.points:g}/{broadcast.points:g}\s+pass", rows[broadcast.label])
    assert re.fullmatch(rf"0/{mse.points:g}\s+not attempted\b.*", rows[mse.label])
    status, message = re.fullmatch(rf"0/{pairwise.points:g}\s+(\S+)\s+(.*)", rows[PAIRWISE]).groups()
    assert status == "fail"
    # One row: the first check's likely cause, then the check cut at a word, and how many more failed.
    assert len(message) <= 64 and re.search(r"[\w)]\.\.\. \(\+11 more\)$", message), message
    assert message.startswith("transposed? pairwise_sq_dists of float")
    assert "(--verbose shows every failed check: `mlgrind grade 01 --verbose`)" in out
    score = SHEET.score_line(SHEET.score_without(*WRONG_AND_UNTOUCHED))
    assert score in out
    first_short = SHEET.first(*WRONG_AND_UNTOUCHED).label
    next_line = f"next: {first_short} - fix it, run its check cell, then `mlgrind grade 01` again"
    assert out.splitlines()[-1] == next_line

    verbose = run(["mlgrind", "grade", "01", "--verbose"], course).stdout
    assert "--verbose shows" not in verbose
    below = verbose[verbose.index(f"\n{PAIRWISE} (fail):\n"):]
    checks = [ln for ln in below.splitlines() if ln.startswith("  - pairwise_sq_dists of")]
    assert len(checks) == 11 and all("transposed?" in ln or "wrong at" in ln for ln in checks), below

    feedback = Path(re.search(r"^feedback: (.*)$", out, re.M).group(1))
    text = html_text(feedback)
    assert score in text
    assert next_line.replace("`", "") in text
    index = re.sub(r"\s+", " ", text[text.index("exercisepointsstatusmessage"):])
    plain = {cell.grade_id: cell.label.replace("`", "") for cell in SHEET.cells}  # code is set in type, not quoted
    passed = SHEET.cells[:SHEET.cells.index(SHEET.first(*WRONG_AND_UNTOUCHED))]
    full_marks = [f"{plain[c.grade_id]} {c.points:g}/{c.points:g} pass" for c in passed]
    assert passed and index.startswith(" ".join(["exercisepointsstatusmessage", *full_marks])), index[:300]
    assert f"{plain[pairwise.grade_id]} 0/{pairwise.points:g} fail {message}" in index
    assert f"{plain[mse.grade_id]} 0/{mse.points:g} not attempted" in index
    interview = SHEET["interview_answer"]
    assert f"{interview.label} 0/{interview.points:g} manual" in index
    # The failed test cell shows its checks, not a traceback; nbgrader's stock words are gone.
    assert "pairwise_sq_dists of float32 (9, 7) and (2, 7) is (2, 9), expected (9, 2): transposed?" in text
    for stock in ("Traceback", "Test cell", "Student's answer", f"{SHEET.total:.1f}"):
        assert stock not in text, stock
    assert leaked_lines(A, text) == []
    html = feedback.read_text(encoding="utf-8")
    # JupyterLab's stylesheet draws the notebook's markdown tables; long lines wrap instead of running off.
    assert ".jp-RenderedHTMLCommon td" in html and "white-space: pre-wrap" in html
    assert "<table>" in html and "<td>(B, F) with (F,)</td>" in html.replace("<code>", "").replace("</code>", "")


@pytest.mark.slow
def test_plain_nbgrader_feedback_is_the_report_mlgrind_grade_writes(generated_course, selfgrade_gradebook):
    course = generated_course
    nb = one_wrong_one_untouched(course)
    folder = course / "autograder" / "submitted" / "ada" / A
    folder.mkdir(parents=True)
    nbformat.write(nb, str(folder / f"{A}.ipynb"))
    for step in ("autograde", "generate_feedback"):
        result = run(["nbgrader", step, A], course)
        assert result.returncode == 0, result.stderr[-2000:]
    write_learner(course, nb)
    graded = json.loads(run(["mlgrind", "grade", "01", "--json"], course).stdout)

    interview = SHEET["interview_answer"]

    def summary(path: Path) -> str:
        text = re.sub(r"\s+", " ", html_text(path))
        return text[text.index("score: "):text.index(f"{interview.label} 0/{interview.points:g} manual")]

    plain = summary(course / "autograder" / "feedback" / "ada" / A / f"{A}.html")
    assert plain == summary(Path(graded["feedback"]))
    score = SHEET.score_line(SHEET.score_without(*WRONG_AND_UNTOUCHED))
    assert plain.startswith(f"{score} {graded['next'].replace('`', '')} ")


@pytest.mark.slow
def test_stale_gradebook_is_regenerated_from_source(course):
    write_learner(course, solved(course))
    first = json.loads(run(["mlgrind", "grade", "01", "--json"], course).stdout)
    assert first["score"] == SHEET.total
    source = course / "source" / A / f"{A}.ipynb"
    nb = nbformat.read(str(source), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_mse_loss":
            cell.source = cell.source.replace(
                "### END HIDDEN TESTS", "assert False, 'a newer hidden test'\n### END HIDDEN TESTS"
            )
    nbformat.write(nb, str(source))
    second = json.loads(run(["mlgrind", "grade", "01", "--json"], course).stdout)
    cell = next(c for c in second["cells"] if c["grade_id"] == "test_mse_loss")
    assert cell["status"] == "fail" and "a newer hidden test" in cell["message"]


def test_edited_and_deleted_test_cells_are_named_restored_and_graded(course, selfgrade_gradebook):
    nb = solved(course)
    kept, renamed = [], 0
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "test_standardize":
            continue  # deleted
        if grade_id == "check_broadcast_shape":
            cell.source = "print('all good, promise')"
        if grade_id == "test_mse_loss":
            cell.source = "pass"
        if cell.cell_type == "markdown" and cell.source.startswith(f"## {SHEET.label('test_standardize')} "):
            cell.source, renamed = "## my notes", renamed + 1
        kept.append(cell)
    nb.cells = kept
    assert renamed == 1
    write_learner(course, nb)
    result = run(["mlgrind", "grade", "01", "--json"], course)
    report = json.loads(result.stdout)
    notes = " ".join(report["notes"])
    assert "test_standardize was deleted" in notes
    assert "check_broadcast_shape was edited" in notes
    assert "test_mse_loss was edited" in notes
    assert report["score"] == SHEET.total  # restored cells graded the (correct) answers
    titles = {c["grade_id"]: c["exercise"] for c in report["cells"]}
    assert titles["test_standardize"] == SHEET.label("test_standardize")  # named as released
    assert "checksum" not in result.stdout + result.stderr


def test_kernel_runs_where_and_as_plain_nbgrader_autograde_runs_it(course, selfgrade_gradebook):
    """The kernel `grade` starts early runs beside a copy of the submission's data, outside the course, marked as
    autograde; the notebook itself (restored by nbgrader, hidden tests and all) is not there."""
    nb = solved(course)
    probe = nbformat.v4.new_code_cell(
        "import os\nprint('RUN', %r in os.listdir('.'), os.getcwd().startswith(%r), os.environ.get('NBGRADER_EXECUTION'))"
        % (f"{A}.ipynb", str(course))
    )
    probe.id = "probe"
    nb.cells.insert(2, probe)
    write_learner(course, nb)
    assert run(["mlgrind", "grade", "01"], course).returncode == 0
    graded = course / "autograder" / "selfgrade" / "autograded" / "learner" / A
    text = (graded / f"{A}.ipynb").read_text()
    assert "RUN False False autograde" in text


def test_malformed_notebook_gets_one_clear_line_and_nothing_is_touched(course):
    learner = course / "notebooks" / f"{A}.ipynb"
    learner.write_text('{"cells": [ this is not json')
    result = run(["mlgrind", "grade", "01"], course)
    assert result.returncode == 1
    assert "not valid JSON" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert learner.read_text() == '{"cells": [ this is not json'
    assert not (course / "autograder" / "gradebook.db").exists()


def test_unknown_assignment_and_no_course_are_usage_errors(course, tmp_path):
    result = run(["mlgrind", "grade", "99"], course)
    assert result.returncode == 2
    assert "unknown assignment" in result.stderr and A in result.stderr
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = run(["mlgrind", "grade", "01"], outside)
    assert result.returncode == 2 and "no ML Grind course found" in result.stderr


def test_reset_restores_the_release_and_keeps_the_attempt(course):
    learner = write_learner(course, solved(course))
    attempt = learner.read_bytes()
    result = run(["mlgrind", "reset", "1"], course / "notebooks")
    assert result.returncode == 0, result.stderr
    assert learner.read_bytes() == (course / "release" / A / f"{A}.ipynb").read_bytes()
    kept = list((course / "notebooks").glob(f"{A}.attempt-*.ipynb"))
    assert len(kept) == 1 and kept[0].read_bytes() == attempt
    run(["mlgrind", "reset", "1"], course)
    assert len(list((course / "notebooks").glob(f"{A}.attempt-*.ipynb"))) == 2


def test_committed_release_and_notebooks_match_a_fresh_build(course):
    """Drift: release/ and notebooks/ in the repo are exactly what `mlgrind build` makes from source/."""
    for path in (course / "release").rglob("*"):
        if path.is_file():
            path.unlink()
    for path in (course / "notebooks").glob("*.ipynb"):
        path.unlink()
    result = run(["mlgrind", "build"], course)
    assert result.returncode == 0, result.stderr
    for folder in ("release", "notebooks"):
        built = {p.relative_to(course): p.read_bytes() for p in (course / folder).rglob("*") if p.is_file()}
        committed = {
            p.relative_to(REPO): p.read_bytes()
            for p in (REPO / folder).rglob("*")
            if p.is_file() and ".attempt-" not in p.name and not {".ipynb_checkpoints", "feedback"} & set(p.parts)
        }
        assert built.keys() == committed.keys(), f"{folder}/ files differ; run `mlgrind build`"
        stale = [str(k) for k in built if built[k] != committed[k]]
        assert not stale, f"{', '.join(stale)} drifted from source/; run `mlgrind build`"


@pytest.mark.slow
def test_build_is_deterministic_and_keeps_a_learners_work(course):
    learner = write_learner(course, solved(course))
    work = learner.read_bytes()
    release = course / "release" / A / f"{A}.ipynb"
    before = release.read_bytes()
    result = run(["mlgrind", "build", "01"], course)
    assert result.returncode == 0, result.stderr
    assert release.read_bytes() == before
    kept = list((course / "notebooks").glob(f"{A}.attempt-*.ipynb"))
    assert len(kept) == 1 and kept[0].read_bytes() == work
    assert learner.read_bytes() == before


@pytest.mark.slow
def test_limit_messages_say_the_limits_the_settings_set(course, selfgrade_gradebook):
    nb = solved(course)
    replace_solution(nb, "broadcast_shape", "while True:\n    pass")
    replace_solution(nb, "pairwise_sq_dists", "import time\n\ndef pairwise_sq_dists(a_ND, b_MD):\n    time.sleep(10**6)")
    replace_solution(nb, "standardize", "big = np.ones(2**31)  # 16 GiB")
    write_learner(course, nb)
    result = run(["mlgrind", "grade", "01"], course, MLGRIND_CELL_TIMEOUT="3", MLGRIND_KERNEL_MEMORY="3G")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    pairwise = SHEET["test_pairwise_sq_dists"]
    assert re.search(rf"^{re.escape(pairwise.label)}\s+0/{pairwise.points:g}\s+error\s+"
                     r"CellTimeoutError: the cell ran past the 3 s limit", out, re.M), out
    assert "note: cell timed out: broadcast_shape ran past the 3 s limit (an infinite loop?)" in out
    assert "note: out of memory: standardize went past the 3 GiB memory limit" in out


def test_a_self_grade_that_regenerates_the_gradebook_changes_no_setting(course, monkeypatch):
    from mlgrind.course import Course
    from mlgrind.grading.selfgrade import grade

    monkeypatch.delenv("MLGRIND_DB_URL", raising=False)
    learner_course = Course(course)
    before = copy.deepcopy(learner_course.settings.config)
    assert not (course / "autograder" / "selfgrade").exists()  # so the grade generates its gradebook
    report = grade(learner_course, A)
    assert report.score == 0 and (course / "autograder" / "selfgrade" / "gradebook.db").exists()
    assert not (course / "autograder" / "gradebook.db").exists()
    assert learner_course.settings.config == before
    assert learner_course.settings.config.CourseDirectory.release_directory == "release"
    assert learner_course.settings.release == course / "release"


@pytest.mark.slow
def test_a_self_grade_keeps_to_its_own_gradebook_and_stamp_whatever_the_url_says(course, monkeypatch):
    from mlgrind.course import Course
    from mlgrind.grading.selfgrade import _ensure_gradebook, private_settings

    url = f"sqlite:///{course}/autograder/gradebook.db?timeout=30"
    write_learner(course, solved(course))
    for _ in range(2):
        result = run(["mlgrind", "grade", "01", "--json"], course, MLGRIND_DB_URL=url)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["score"] == SHEET.total
    assert not (course / "autograder" / "gradebook.db").exists()
    own = course / "autograder" / "selfgrade"
    stamp = own / "gradebook.db.sources.json"
    assert json.loads(stamp.read_text()) == {A: digest(course / "source" / A / f"{A}.ipynb")}
    assert not [p.name for p in own.iterdir() if "timeout" in p.name]
    monkeypatch.setenv("MLGRIND_DB_URL", url)
    learner_course = Course(course)
    assert _ensure_gradebook(learner_course, A, private_settings(learner_course)) is False  # the stamp spares the comparison


def test_a_gradebook_in_a_missing_folder_is_named_in_one_line(course, tmp_path):
    missing = tmp_path / "no" / "such"
    release = digest(course / "release" / A / f"{A}.ipynb")
    for command in ("build", "autograde"):
        result = run(["mlgrind", command, "01"], course, MLGRIND_DB_URL=f"sqlite:///{missing}/gradebook.db")
        assert result.returncode == 1, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"mlgrind {command}: cannot open the gradebook {missing}/gradebook.db: its folder {missing} does not exist"
        ]
    assert not missing.exists()
    assert digest(course / "release" / A / f"{A}.ipynb") == release


def test_grade_reads_the_nbgrader_config_once(course, monkeypatch, capsys):
    from traitlets.config.loader import PyFileConfigLoader

    from mlgrind.cli import main

    loads = []
    load_config = PyFileConfigLoader.load_config

    def counted(loader):
        config = load_config(loader)
        loads.append(Path(loader.full_filename))
        return config

    monkeypatch.setattr(PyFileConfigLoader, "load_config", counted)
    monkeypatch.delenv("MLGRIND_DB_URL", raising=False)
    monkeypatch.chdir(course)
    assert main(["grade", "01"]) == 0
    assert SHEET.score_line(0) in capsys.readouterr().out
    assert loads.count(course / "nbgrader_config.py") == 1
