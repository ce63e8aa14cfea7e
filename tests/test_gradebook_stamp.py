"""nbgrader's gradebook version stamp without an activated environment, and a half-made gradebook repaired.

nbgrader stamps a new gradebook by running the ``alembic`` command by name; with ``.venv/bin`` off
``PATH`` it used to fail after making the tables, leaving a gradebook no ``nbgrader db upgrade`` can read.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess

from mlgrind.grading.gradebook_stamp import head_revision
from support import BIN, copy_course, env


def not_activated() -> dict:
    """The course's environment as a shell that never activated it: ``.venv/bin`` off ``PATH``."""
    environment = env()
    environment["PATH"] = os.pathsep.join(p for p in environment["PATH"].split(os.pathsep)
                                          if p and os.path.realpath(p) != os.path.realpath(BIN))
    assert subprocess.run(["sh", "-c", "command -v alembic"], env=environment).returncode != 0
    return environment


def stamp(gradebook) -> list[tuple]:
    with sqlite3.connect(gradebook) as db:
        return db.execute("SELECT version_num FROM alembic_version").fetchall()


def test_a_first_gradebook_is_stamped_without_the_environment_activated(tmp_path):
    course = copy_course(tmp_path / "course")
    gradebook = course / "autograder" / "gradebook.db"
    assert not gradebook.exists()
    result = subprocess.run([str(BIN / "nbgrader"), "db", "assignment", "list"], cwd=course, env=not_activated(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert stamp(gradebook) == [(head_revision(),)]


def test_a_gradebook_left_without_its_stamp_is_stamped(tmp_path):
    course = copy_course(tmp_path / "course")
    gradebook = course / "autograder" / "gradebook.db"
    # What a failed first open leaves: nbgrader's tables, no alembic_version.
    subprocess.run([str(BIN / "python"), "-c", "import sys; from sqlalchemy import create_engine; "
                    "from nbgrader.api import Base; Base.metadata.create_all(create_engine('sqlite:///' + sys.argv[1]))",
                    str(gradebook)], check=True, env=env())
    with sqlite3.connect(gradebook) as db:
        assert "alembic_version" not in {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    result = subprocess.run([str(BIN / "nbgrader"), "db", "assignment", "list"], cwd=course, env=not_activated(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"mlgrind: the gradebook {gradebook} had no version stamp" in result.stderr
    assert stamp(gradebook) == [(head_revision(),)]
