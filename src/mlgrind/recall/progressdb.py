"""The learner's progress database, ``autograder/progress.db``: opened with a busy timeout, migrated in place.

The schema grows by numbered steps (``MIGRATIONS``); ``PRAGMA user_version`` records how many a file
has had. Opening a file runs the steps it lacks inside one write transaction, so an older file keeps
every record and gains the new tables, and a migration that fails half-way leaves the file as it was.
Two commands opening the same old file at once migrate it once: the second waits for the first's
lock, then finds nothing left to do.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..course import Course

BUSY_TIMEOUT_SECONDS = 10  # another mlgrind writing the file (the widget, a grade) is waited for, not an error

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: self-grades, drill answers and interview self-ratings (files written before versions were kept
    # may lack some of these tables)
    ("CREATE TABLE IF NOT EXISTS grades (assignment TEXT, score REAL, max_score REAL, via TEXT, at REAL)",
     "CREATE TABLE IF NOT EXISTS drills (topic TEXT, correct INTEGER, at REAL)",
     "CREATE TABLE IF NOT EXISTS interview_ratings (assignment TEXT, score REAL, max_score REAL, said TEXT, at REAL)",
     "CREATE TABLE IF NOT EXISTS exercises (assignment TEXT, exercise TEXT, status TEXT, score REAL, "
     "max_score REAL, via TEXT, at REAL)"),
    # 2: spaced review: one FSRS memory state per item, and a log of every review
    ("CREATE TABLE items (item TEXT PRIMARY KEY, kind TEXT NOT NULL, topic TEXT NOT NULL, card TEXT NOT NULL, "
     "last_variant TEXT NOT NULL DEFAULT '')",
     "CREATE TABLE reviews (item TEXT NOT NULL, kind TEXT NOT NULL, topic TEXT NOT NULL, rating INTEGER NOT NULL, "
     "score REAL NOT NULL, max_score REAL NOT NULL, seconds REAL, at REAL NOT NULL)",
     "CREATE INDEX reviews_at ON reviews (at)"),
)
VERSION = len(MIGRATIONS)


def path(course: Course) -> Path:
    return Path(course.autograder) / "progress.db"


def connect(course: Course) -> sqlite3.Connection:
    """An open, up-to-date progress database; ``with db:`` around writes makes each one a transaction."""
    db = sqlite3.connect(path(course), timeout=BUSY_TIMEOUT_SECONDS)
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db


def migrate(db: sqlite3.Connection, steps: tuple[tuple[str, ...], ...] = MIGRATIONS) -> int:
    """Run the ``steps`` the file has not had, all in one transaction; the file's version afterwards."""
    if _version(db) >= len(steps):
        return _version(db)
    db.execute("BEGIN IMMEDIATE")  # the write lock first, so a concurrent migration is waited for
    with db:  # commits, or rolls every step back
        version = _version(db)
        for step in steps[version:]:
            for statement in step:
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {len(steps)}")
    return len(steps)


def _version(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]
