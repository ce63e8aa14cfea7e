"""Helpers shared by the tests and the benchmarks: the course's commands, a course copy, a solved notebook.

Plain functions and constants, imported by name (``from support import run``); pytest's fixtures
are in conftest.py and reach a test by its arguments.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np

REPO = Path(__file__).resolve().parents[1]
COURSE_FILES = ["nbgrader_config.py", "autograder/nbgrader_config.py", "source", "release", "notebooks"]
BIN = Path(sys.executable).parent  # the course's environment: mlgrind, nbgrader, jupyter


def env(**extra: str) -> dict:
    """The environment the course's commands run in: BIN first on PATH, no class database unless given."""
    environment = dict(os.environ)
    environment["PATH"] = f"{BIN}{os.pathsep}{environment.get('PATH', '')}"
    environment.pop("MLGRIND_DB_URL", None)
    environment.update(extra)
    return environment


def run(args: list[str], cwd: Path, timeout: float = 600, **extra_env: str) -> subprocess.CompletedProcess:
    """Run a command of the course's environment (``mlgrind``, ``nbgrader``…) in ``cwd``."""
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]], cwd=cwd, env=env(**extra_env), capture_output=True, text=True,
        timeout=timeout,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_course(dest: Path) -> Path:
    """Copy what a course needs (config, source, release, notebooks) into ``dest``."""
    for name in COURSE_FILES:
        src = REPO / name
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, ignore=shutil.ignore_patterns("*.attempt-*", ".ipynb_checkpoints", "feedback"))
        else:
            shutil.copy2(src, target)
    return dest


def solved(course: Path, assignment: str):
    """The release notebook with every solution cell answered as the source answers it."""
    source = nbformat.read(str(course / "source" / assignment / f"{assignment}.ipynb"), as_version=4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    nb = nbformat.read(str(course / "release" / assignment / f"{assignment}.ipynb"), as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = re.sub(r"\s*### (BEGIN|END) SOLUTION", "", answers[grade_id]).strip()
    return nb


def hidden_lines(assignment: str) -> list[str]:
    """Every substantial line of hidden test code in the source notebook that the release lacks."""
    nb = nbformat.read(str(REPO / "source" / assignment / f"{assignment}.ipynb"), as_version=4)
    released = (REPO / "release" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8")
    released_lines = {ln.strip() for cell in nbformat.reads(released, as_version=4).cells for ln in cell.source.splitlines()}
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue  # a markdown cell's hidden region is a model answer, shown once the learner has answered
        for block in re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, re.S):
            lines += [ln.strip() for ln in block.splitlines() if len(ln.strip()) > 25]
    return [ln for ln in lines if ln not in released_lines]


def html_text(path: Path) -> str:
    """The text a reader sees in an HTML file: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def leaked_lines(assignment: str, text: str) -> list[str]:
    """Hidden test lines of ``assignment`` that appear in ``text``."""
    return [line for line in hidden_lines(assignment) if line in text]


def replace_solution(nb, grade_id: str, code: str):
    """``nb`` with the cell ``grade_id`` holding ``code`` instead."""
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = code.strip("\n")
            return nb
    raise KeyError(f"no cell {grade_id}")


def numpy_says(q) -> tuple | str:
    """The answer NumPy gives, by the most direct NumPy route for each topic."""
    arrays = [np.zeros(shape) for shape in q.shapes.values()]
    try:
        if q.topic == "broadcasting":
            return tuple(np.broadcast_shapes(*(a.shape for a in arrays)))
        if q.topic == "matmul":
            return tuple(np.matmul(*arrays).shape)
        if q.topic == "einsum":
            return tuple(np.einsum(q.expr.split("'")[1], *arrays).shape)
        return tuple(np.shape(eval(q.expr, {"np": np}, dict(zip(q.shapes, arrays)))))  # noqa: S307
    except (ValueError, TypeError, IndexError, np.exceptions.AxisError):
        return "error"


def wait_exit(pid: int, timeout: float = 60) -> bool:
    """Wait until process ``pid`` (any process, not only a child) has exited; False if it still runs at ``timeout``."""
    import select

    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([handle], [], [], timeout)
        return bool(readable)
    finally:
        os.close(handle)


def stop_warm_grader(course: Path, timeout: float = 60) -> int | None:
    """Stop the course's warm grader, if one answers, and wait for it to exit; its process id, or None."""
    from mlgrind.grading import warm

    pid = warm.ping(course, timeout=timeout)
    if pid is None:
        return None
    os.kill(pid, signal.SIGTERM)
    assert wait_exit(pid, timeout), f"the warm grader {pid} did not exit on SIGTERM"
    return pid


def table_rows(out: str) -> dict[str, str]:
    """Exercise label -> the rest of its row, from `mlgrind grade`'s terminal table (a label ends at two spaces)."""
    lines = out.splitlines()
    rows = {}
    for line in lines[2:]:
        if not line.strip() or line.startswith("("):
            break
        label = re.split(r"\s{2,}", line)[0]
        rows[label] = line[len(label):].strip()
    return rows
