"""Shared fixtures: a throw-away copy of the course, and the real commands run inside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pgcluster import Cluster, server_bin
from support import REPO, copy_course  # noqa: F401

BIN = Path(sys.executable).parent

# Every `mlgrind grade` would leave a warm grader (and its kernel) behind in each temporary course;
# tests/test_warm.py turns it on where it is the subject and stops each grader it starts.
os.environ["MLGRIND_WARM"] = "0"


def env(**extra: str) -> dict:
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


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A fresh copy of the course, to build and grade in without touching the repo."""
    return copy_course(tmp_path / "course")


@pytest.fixture(scope="session")
def gradebooks(tmp_path_factory):
    """Gradebooks generated once per run: ``gradebooks.into(course, "01_broadcasting")`` copies one in.

    The copy is what ``nbgrader generate_assignment`` leaves in ``autograder/gradebook.db``, so the
    first ``mlgrind grade`` in that course finds its gradebook current and skips building it (about
    3 of a fresh course's 7 seconds here).
    """

    class Gradebooks(dict):
        def __missing__(self, assignments: tuple[str, ...]) -> Path:
            template = copy_course(tmp_path_factory.mktemp("gradebook") / "course")
            for assignment in assignments:
                generated = run(["nbgrader", "generate_assignment", assignment, "--force"], template)
                assert generated.returncode == 0, generated.stderr[-3000:]
            self[assignments] = template / "autograder" / "gradebook.db"
            return self[assignments]

        def into(self, course: Path, *assignments: str) -> Path:
            shutil.copy2(self[tuple(sorted(assignments))], course / "autograder" / "gradebook.db")
            return course

    return Gradebooks()


@pytest.fixture
def generated_course(course: Path, gradebooks) -> Path:
    """``course`` whose gradebook already holds 01_broadcasting (generated once per run, copied in)."""
    return gradebooks.into(course, "01_broadcasting")


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL cluster for the whole run; ``postgres.database()`` gives a fresh URL."""
    if server_bin() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed; `make test` installs Debian's postgresql package")
        pytest.skip("PostgreSQL's server is not installed (Debian package postgresql; `make test` installs it as root)")
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="mlgrind-pg-"))).start()
    yield cluster
    cluster.stop()
