"""Shared fixtures: a throw-away copy of the course, and the real commands run inside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COURSE_FILES = ["nbgrader_config.py", "autograder/nbgrader_config.py", "source", "release", "notebooks"]


def copy_course(dest: Path) -> Path:
    """Copy what a course needs (config, source, release, notebooks) into ``dest``."""
    for name in COURSE_FILES:
        src = REPO / name
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, ignore=shutil.ignore_patterns("*.attempt-*", ".ipynb_checkpoints"))
        else:
            shutil.copy2(src, target)
    return dest


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


@pytest.fixture(scope="module")
def module_course(tmp_path_factory) -> Path:
    """One course copy shared by a module's tests (for the slow steps done once)."""
    return copy_course(tmp_path_factory.mktemp("course"))
