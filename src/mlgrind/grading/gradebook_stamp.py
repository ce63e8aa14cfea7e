"""The gradebook's version stamp: nbgrader finds its ``alembic`` command, and a missing stamp is repaired.

nbgrader stamps a new gradebook with its schema version by running the ``alembic`` command by name.
In a JupyterLab started as ``.venv/bin/jupyter lab``, without the environment activated, ``.venv/bin``
is not on ``PATH``: the command is not found after the tables were made, formgrader answers 500 (its
page hangs on "Loading, please wait...") and the gradebook is left without its stamp, which a later
``nbgrader db upgrade`` cannot read. The course config calls both functions below, so every nbgrader
command, formgrader and ``mlgrind`` read them before a gradebook is opened. Light: only ``sqlite3``
unless a stamp is missing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from pathlib import Path

STAMP_TABLE = "alembic_version"


def put_alembic_on_path() -> None:
    """Put this environment's scripts first on ``PATH`` when its ``alembic`` is not what ``PATH`` finds."""
    scripts = os.path.dirname(sys.executable)
    own = os.path.join(scripts, "alembic")
    found = shutil.which("alembic")
    if os.path.exists(own) and (found is None or os.path.realpath(found) != os.path.realpath(own)):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


def head_revision() -> str:
    """The schema version nbgrader's migrations end at, read in this process (no ``alembic`` command)."""
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    return ScriptDirectory(ALEMBIC_DIR).get_current_head()


def repair_stamp(gradebook: Path | None) -> str | None:
    """Stamp a SQLite gradebook that has nbgrader's tables but no version stamp; say so, or None.

    Such a gradebook is what a failed first open leaves: nbgrader made the tables of its current
    schema, then could not stamp them, so the current head is the right stamp.
    """
    if gradebook is None or not gradebook.is_file():
        return None
    with sqlite3.connect(gradebook) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables or STAMP_TABLE in tables:
            return None
        if "assignment" not in tables:
            raise RuntimeError(f"{gradebook} is not an nbgrader gradebook (it has no assignment table); "
                               "move it aside and run the command again")
        head = head_revision()
        db.execute(f"CREATE TABLE {STAMP_TABLE} (version_num VARCHAR(32) NOT NULL)")
        db.execute(f"INSERT INTO {STAMP_TABLE} (version_num) VALUES (?)", (head,))
    return f"the gradebook {gradebook} had no version stamp (an earlier first open failed); stamped it {head}"
