"""Shared fixtures: a throw-away copy of the course, and the real commands run inside it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pgcluster import Cluster, server_bin
from support import REPO, copy_course  # noqa: F401

BIN = Path(sys.executable).parent


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
def postgres():
    """A throw-away PostgreSQL cluster for the whole run; ``postgres.database()`` gives a fresh URL."""
    if server_bin() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed; `make test` installs Debian's postgresql package")
        pytest.skip("PostgreSQL's server is not installed (Debian package postgresql; `make test` installs it as root)")
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="mlgrind-pg-"))).start()
    yield cluster
    cluster.stop()
