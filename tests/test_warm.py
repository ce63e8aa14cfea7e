"""The warm grader: a repeated `mlgrind grade` (or `check`) is answered by the course's background grader.

Each test starts real graders in a copy of the course (``MLGRIND_WARM=1``; the rest of the suite runs
with it off) and stops every one it started. Waits are on events: the socket answering, a process exiting.
"""

from __future__ import annotations

import json
import os
import re
import signal
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from gradesheet import gradesheet
from support import BIN, replace_solution, run, solved, stop_warm_grader, wait_exit

from mlgrind.course import Course
from mlgrind.grading import warm

A = "01_broadcasting"
SHEET = gradesheet(A)
TRANSPOSED_SCORE = SHEET.score_without("test_pairwise_sq_dists")  # TRANSPOSED fails that test cell alone
TRANSPOSED = "def pairwise_sq_dists(a_ND, b_MD):\n    return ((b_MD[:, None, :] - a_ND[None, :, :]) ** 2).sum(axis=-1)"
# Short enough for a test, long enough for a busy machine: every grader still ends at the test's teardown.
WARM = {"MLGRIND_WARM": "1", "MLGRIND_WARM_IDLE": "300"}


def grade(course: Path, *args: str, **env: str):
    return run(["mlgrind", "grade", "01", *args], course, **{**WARM, **env})


def ready(course: Path, timeout: float = 300) -> int:
    """The process id of the course's warm grader once it answers (it opens its socket when ready)."""
    deadline = time.monotonic() + timeout
    while True:
        pid = warm.ping(course, timeout=timeout)
        if pid is not None:
            return pid
        assert warm.running(course), "no warm grader runs: " + warm.log_path(course).read_text()[-2000:]
        assert time.monotonic() < deadline, "the warm grader never answered"
        time.sleep(0.05)


def served(course: Path) -> int:
    """How many grades the course's warm graders have answered, from their log."""
    log = warm.log_path(course)
    return len(re.findall(r"\] graded ", log.read_text())) if log.exists() else 0


def write_learner(course: Path, nb) -> None:
    nbformat.write(nb, str(course / "notebooks" / f"{A}.ipynb"))


@pytest.fixture
def warm_course(generated_course, selfgrade_gradebook):
    """A course whose graders are stopped at the end, with a check that none is left running."""
    yield generated_course
    stop_warm_grader(generated_course)
    assert not warm.running(generated_course), "a warm grader is still running"


@pytest.mark.slow
def test_a_second_grade_is_served_warm_and_prints_what_an_in_process_grade_prints(warm_course):
    course = warm_course
    write_learner(course, replace_solution(solved(course, A), "pairwise_sq_dists", TRANSPOSED))
    first = grade(course)  # in its own process; it starts the warm grader
    assert first.returncode == 0, first.stderr
    assert served(course) == 0
    ready(course)
    second = grade(course)
    assert second.returncode == 0, second.stderr
    assert served(course) == 1 and second.stderr == ""
    assert second.stdout == first.stdout
    assert SHEET.score_line(TRANSPOSED_SCORE) in second.stdout

    warm_json = grade(course, "--json")
    cold_json = grade(course, "--json", MLGRIND_WARM="0")
    assert served(course) == 2
    assert warm_json.stdout == cold_json.stdout and json.loads(warm_json.stdout)["score"] == TRANSPOSED_SCORE
    assert Path(json.loads(warm_json.stdout)["feedback"]).is_file()


@pytest.mark.slow
def test_a_notebook_edited_between_grades_is_graded_afresh(warm_course):
    course = warm_course
    write_learner(course, solved(course, A))
    assert json.loads(grade(course, "--json").stdout)["score"] == SHEET.total
    ready(course)
    assert json.loads(grade(course, "--json").stdout)["score"] == SHEET.total
    write_learner(course, replace_solution(solved(course, A), "pairwise_sq_dists", TRANSPOSED))
    edited = json.loads(grade(course, "--json").stdout)
    assert edited["score"] == TRANSPOSED_SCORE and served(course) == 2
    failed = next(c for c in edited["cells"] if c["grade_id"] == "test_pairwise_sq_dists")
    assert failed["status"] == "fail" and "transposed?" in failed["message"]
    # An unreadable notebook gets the in-process line too, from the warm grader.
    (course / "notebooks" / f"{A}.ipynb").write_text('{"cells": [ this is not json')
    broken = grade(course)
    assert broken.returncode == 1 and served(course) == 3
    assert broken.stderr.strip().splitlines() == [broken.stderr.strip()] and "not valid JSON" in broken.stderr


@pytest.mark.slow
def test_two_grades_at_once_are_served_one_after_the_other(warm_course):
    from concurrent.futures import ThreadPoolExecutor

    course = warm_course
    write_learner(course, solved(course, A))
    expected = grade(course).stdout
    ready(course)
    with ThreadPoolExecutor(2) as pool:
        both = list(pool.map(lambda _: grade(course), range(2)))
    assert [(g.returncode, g.stdout, g.stderr) for g in both] == [(0, expected, "")] * 2
    assert served(course) == 2


@pytest.mark.slow
def test_a_killed_warm_grader_loses_no_grade(warm_course):
    course = warm_course
    write_learner(course, solved(course, A))
    expected = grade(course).stdout
    pid = ready(course)
    os.kill(pid, signal.SIGKILL)
    assert wait_exit(pid)
    after = grade(course)
    assert after.returncode == 0 and after.stdout == expected
    assert after.stderr.strip().splitlines() == [
        "mlgrind: the warm grader is not running (Connection refused); grading in this process instead"]
    assert ready(course) != pid  # a new one was started for the next grade
    assert grade(course).stdout == expected and served(course) == 1


@pytest.mark.slow
def test_a_hung_warm_grader_is_stopped_and_loses_no_grade(warm_course, monkeypatch, capsys):
    course = warm_course
    write_learner(course, solved(course, A))
    expected = grade(course).stdout
    pid = ready(course)
    os.kill(pid, signal.SIGSTOP)  # it still accepts connections (the backlog) but never answers
    try:
        monkeypatch.setenv("MLGRIND_WARM", "1")
        monkeypatch.setattr(warm, "grade_seconds", lambda *args, **kwargs: 2)  # instead of minutes
        assert warm.ask(Course(course), A) is None
    finally:
        os.kill(pid, signal.SIGCONT)  # a no-op once it is stopped for good
    assert capsys.readouterr().err.strip().splitlines() == [
        "mlgrind: the warm grader did not answer in 2 s and was stopped; grading in this process instead"]
    assert wait_exit(pid) and not warm.running(course)
    after = grade(course)
    assert (after.returncode, after.stdout) == (0, expected)
    assert ready(course) != pid and grade(course).stdout == expected and served(course) == 1


def test_without_bubblewrap_a_warm_grade_warns_as_a_grade_in_its_own_process_does(warm_course):
    course = warm_course
    no_bwrap = {"PATH": str(BIN), "MLGRIND_SANDBOX": "auto"}  # the environment's commands, and no bwrap
    write_learner(course, solved(course, A))
    first = grade(course, **no_bwrap)
    warning = "mlgrind: bubblewrap (bwrap) is not installed; grading kernels run without a sandbox, with your own rights"
    assert first.returncode == 0 and first.stderr.strip().splitlines() == [warning], first.stderr
    ready(course)
    again = grade(course, **no_bwrap)
    assert (again.returncode, again.stdout) == (0, first.stdout) and served(course) == 1
    assert again.stderr.strip().splitlines() == [warning]


@pytest.mark.slow
def test_an_infinite_loop_still_hits_the_time_limit_and_the_next_grade_works(warm_course):
    course = warm_course
    limit = {"MLGRIND_CELL_TIMEOUT": "3"}
    write_learner(course, solved(course, A))
    assert grade(course, **limit).returncode == 0
    pid = ready(course)
    write_learner(course, replace_solution(solved(course, A), "broadcast_shape", "while True:\n    pass"))
    looped = grade(course, **limit)
    assert looped.returncode == 0 and served(course) == 1, looped.stderr
    assert "note: cell timed out: broadcast_shape ran past the 3 s limit (an infinite loop?)" in looped.stdout
    write_learner(course, solved(course, A))
    again = json.loads(grade(course, "--json", **limit).stdout)
    assert again["score"] == SHEET.total and served(course) == 2
    assert warm.ping(course) == pid


@pytest.mark.slow
def test_other_settings_or_a_changed_course_config_end_the_grader(warm_course):
    course = warm_course
    write_learner(course, solved(course, A))
    assert grade(course).returncode == 0
    pid = ready(course)
    # A command with other settings: the grader exits, the command grades in its own process with them.
    other = grade(course, "--json", MLGRIND_CELL_TIMEOUT="7")
    assert other.returncode == 0 and json.loads(other.stdout)["score"] == SHEET.total and other.stderr == ""
    assert wait_exit(pid) and served(course) == 0
    # The new grader has those settings, and exits as soon as the course config changes.
    pid = ready(course)
    assert grade(course, MLGRIND_CELL_TIMEOUT="7").returncode == 0 and served(course) == 1
    config = course / "autograder" / "nbgrader_config.py"
    config.write_text(config.read_text() + "\n# edited\n")
    assert wait_exit(pid)
    assert not warm.socket_path(course).exists() and not warm.key_path(course).exists()


def test_the_stamp_follows_mlgrinds_files_the_course_config_and_the_settings(course, monkeypatch):
    monkeypatch.delenv("MLGRIND_KERNEL_MEMORY", raising=False)
    before = warm.stamp(course)
    assert warm.stamp(course) == before
    monkeypatch.setenv("MLGRIND_KERNEL_MEMORY", "2G")
    assert warm.stamp(course) != before
    monkeypatch.delenv("MLGRIND_KERNEL_MEMORY", raising=False)
    monkeypatch.setenv("MLGRIND_WARM", "0")  # whether to ask a grader is not a grading setting
    assert warm.stamp(course) == before
    package = Path(warm.__file__).resolve().parents[1]
    module = package / "checks" / "checker.py"
    info = module.stat()
    try:
        os.utime(module, ns=(info.st_atime_ns, info.st_mtime_ns + 1))
        assert warm.stamp(course) != before
    finally:
        os.utime(module, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert warm.stamp(course) == before
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + "\n")
    assert warm.stamp(course) != before


def test_an_idle_grader_exits_and_leaves_nothing_behind(warm_course):
    course = warm_course
    idle = {"MLGRIND_WARM_IDLE": "2"}
    assert grade(course, **idle).returncode == 0
    pid = ready(course)
    assert wait_exit(pid, timeout=120)
    assert not warm.running(course)
    assert not warm.socket_path(course).exists() and not warm.key_path(course).exists()
    assert "exiting: no request for 2 s" in warm.log_path(course).read_text()


def test_the_warm_kernel_is_sandboxed_and_apart_from_the_judge(warm_course):
    course = warm_course
    sandbox = {"MLGRIND_SANDBOX": "require"}
    nb = solved(course, A)
    probe = nbformat.v4.new_code_cell(
        f"for path in [{str(course / 'source' / A / (A + '.ipynb'))!r}, {str(warm.key_path(course))!r}]:\n"
        "    try:\n        open(path).read()\n        print('ESC' 'APED', path)\n"
        "    except OSError as err:\n        print('PROBE blocked', type(err).__name__)"
    )
    probe.id = "probe"
    nb.cells.insert(2, probe)
    write_learner(course, replace_solution(nb, "broadcast_shape", _with_patch(nb)))
    assert grade(course, **sandbox).returncode == 0
    pid = ready(course)
    # Every student's kernel runs in bwrap; the judge's (hidden tests, never student code) beside them.
    launched = [Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
                for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    students = [c for c in launched if Path(os.fsdecode(c[0])).name == "bwrap"]
    judges = [c for c in launched if any(b"mlgrind.judge" in arg for arg in c)]
    assert students and len(students) + len(judges) == len(launched), launched
    # The kernel booted ahead holds nothing yet: no key, no gradebook, no notebook; its folder is private.
    scratches = list(Path(tempfile.gettempdir()).glob(f"mlgrind-kernel-{pid}-*")) + list(Path("/tmp").glob(f"mlgrind-kernel-{pid}-*"))
    assert scratches
    for scratch in set(scratches):
        assert scratch.stat().st_mode & 0o777 == 0o700
        held = [p.name for p in scratch.rglob("*") if p.is_file() and not p.is_socket()]
        assert not [n for n in held if n in ("warm.key", "gradebook.db") or n.endswith((".ipynb", ".db"))], held
    served_grade = grade(course, **sandbox)
    assert served_grade.returncode == 0 and served(course) == 1
    # The patch reaches nothing the judge sees: the honest answer beside it keeps its points.
    assert "tampering" not in served_grade.stdout and " fail " not in served_grade.stdout, served_grade.stdout
    graded = nbformat.read(str(course / "autograder" / "selfgrade" / "autograded" / "learner" / A / f"{A}.ipynb"),
                           as_version=4)
    printed = "".join(o.get("text", "") for o in next(c for c in graded.cells if c.get("id") == "probe").outputs)
    assert printed == "PROBE blocked FileNotFoundError\n" * 2, printed


def _with_patch(nb) -> str:
    """broadcast_shape's answer, then a line that replaces what the hidden tests rely on."""
    answer = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "broadcast_shape")
    return answer + "\n\nimport numpy as np\nnp.allclose = lambda *a, **k: True"


def test_check_is_served_warm_too(warm_course, tmp_path):
    from mlgrind.editor import module_files

    course = warm_course
    out = tmp_path / "grind"
    assert run(["mlgrind", "scaffold", "01", "--out", str(out)], course).returncode == 0
    module = out / A / "broadcasting.py"
    module.write_text(module_files(solved(course, A), A)["broadcasting.py"])
    first = run(["mlgrind", "check", "01", "--json"], out / A, **WARM)
    assert first.returncode == 0 and json.loads(first.stdout)["score"] == SHEET.total, first.stderr
    ready(course)
    second = run(["mlgrind", "check", "01", "--json"], out / A, **WARM)
    assert second.stdout == first.stdout and served(course) == 1
