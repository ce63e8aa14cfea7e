"""Shared fixtures: a throw-away copy of the course, and the real commands run inside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO, copy_course  # noqa: F401

BIN = Path(sys.executable).parent


def env() -> dict:
    environment = dict(os.environ)
    environment["PATH"] = f"{BIN}{os.pathsep}{environment.get('PATH', '')}"
    environment.pop("MLGRIND_DB_URL", None)
    return environment


def run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command of the course's environment (``mlgrind``, ``nbgrader``…) in ``cwd``."""
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]], cwd=cwd, env=env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A fresh copy of the course, to build and grade in without touching the repo."""
    return copy_course(tmp_path / "course")
