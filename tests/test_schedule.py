"""The review schedule: drill families NumPy agrees with, FSRS states stored whole, older progress files migrated.

Every test that schedules passes the time explicitly, so the dates it checks do not depend on the
clock of the machine running it.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from mlgrind.course import Course
from mlgrind.recall import memory_states, progressdb, stats
from mlgrind.recall.drills import LEVELS, TOPICS, question, show
from mlgrind.recall.families import FAMILIES, family_of, fresh_variant, variant_key
from mlgrind.recall.plot import daily, draw, plot_reviews, trend
from mlgrind.recall.scheduler import Rating
from mlgrind.recall.session import DrillSession
from support import numpy_says

MONDAY = datetime(2025, 3, 10, 8, 0, tzinfo=timezone.utc)

# The tables as the course created them before review states existed (history.py's SCHEMA then).
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS grades (assignment TEXT, score REAL, max_score REAL, via TEXT, at REAL);
CREATE TABLE IF NOT EXISTS drills (topic TEXT, correct INTEGER, at REAL);
CREATE TABLE IF NOT EXISTS interview_ratings (assignment TEXT, score REAL, max_score REAL, said TEXT, at REAL);
CREATE TABLE IF NOT EXISTS exercises (assignment TEXT, exercise TEXT, status TEXT, score REAL, max_score REAL, via TEXT, at REAL);
"""


@pytest.fixture
def progress(tmp_path) -> Course:
    """A course with nothing but a folder for progress.db: the schedule needs no notebook."""
    (tmp_path / "autograder").mkdir()
    return Course(tmp_path)


@pytest.mark.parametrize("name", [name for name, f in FAMILIES.items() if TOPICS[f.topic].oracle == "NumPy"])
def test_every_family_variant_agrees_with_numpy(name):
    family = FAMILIES[name]
    asked = [family.variant(seed) for seed in range(400)]
    assert all(family.holds(q) and q.topic == family.topic for q in asked)
    wrong = [q for q in asked if q.answer != numpy_says(q)]
    assert not wrong, wrong[:3]
    assert len({variant_key(q) for q in asked}) > 0.5 * len(asked)


@pytest.mark.parametrize("topic", TOPICS)
def test_every_drill_question_belongs_to_exactly_one_family(topic):
    for level in LEVELS:
        for seed in range(300):
            q = question(topic, seed, level)
            owners = [f.name for f in FAMILIES.values() if f.topic == topic and f.holds(q)]
            assert owners == [family_of(q).name], (q, owners)


def test_a_fresh_variant_is_never_the_one_asked_last():
    family = FAMILIES["matmul-batch"]
    last = variant_key(family.variant(5))
    q = fresh_variant(family, last, iter([5, 5, 7]))
    assert variant_key(q) != last and q == family.variant(7)
    assert fresh_variant(family, "", iter([5])) == family.variant(5)


def answer(course, family_name, correct, seconds, now):
    """Answer a variant of the family through a DrillSession, with the clock controlled."""
    q = FAMILIES[family_name].variant(1)
    ticks = iter([0.0, seconds])
    session = DrillSession([q], course, clock=lambda: next(ticks), now=lambda: now)
    session.next()
    session.answer(show(q.answer) if correct else ("()" if q.answer != () else "error"))


def test_a_wrong_answer_brings_its_family_back_sooner_than_a_right_one(progress):
    answer(progress, "broadcast-two", correct=False, seconds=5, now=MONDAY)
    answer(progress, "matmul-batch", correct=True, seconds=20, now=MONDAY)
    states = memory_states.stored(progress)
    wrong, right = states["drill:broadcast-two"].card, states["drill:matmul-batch"].card
    assert MONDAY < wrong.due < right.due
    # The same after days of right answers: one wrong answer sends the family back within the day.
    day = MONDAY
    for _ in range(4):
        day = max(memory_states.stored(progress)[f"drill:{n}"].card.due for n in ("broadcast-two", "matmul-batch"))
        answer(progress, "broadcast-two", correct=True, seconds=20, now=day)
        answer(progress, "matmul-batch", correct=True, seconds=20, now=day)
    answer(progress, "broadcast-two", correct=False, seconds=20, now=day + timedelta(days=30))
    answer(progress, "matmul-batch", correct=True, seconds=20, now=day + timedelta(days=30))
    states = memory_states.stored(progress)
    assert states["drill:broadcast-two"].card.due - (day + timedelta(days=30)) < timedelta(days=1)
    assert states["drill:matmul-batch"].card.due - (day + timedelta(days=30)) > timedelta(days=5)


@pytest.mark.parametrize("seconds,rating", [(3, Rating.Easy), (20, Rating.Good), (60, Rating.Hard)])
def test_a_right_answer_is_rated_by_the_time_it_took(progress, seconds, rating):
    answer(progress, "reshape-chain", correct=True, seconds=seconds, now=MONDAY)
    with sqlite3.connect(progressdb.path(progress)) as db:
        assert db.execute("SELECT item, rating, seconds FROM reviews").fetchall() == [
            ("drill:reshape-chain", int(rating), seconds)]
        assert db.execute("SELECT topic, correct FROM drills").fetchall() == [("reshape", 1)]


def test_a_crash_mid_review_keeps_the_state_from_before_whole(progress):
    answer(progress, "einsum-output", correct=True, seconds=20, now=MONDAY)
    before = memory_states.stored(progress)["drill:einsum-output"]
    with sqlite3.connect(progressdb.path(progress)) as db:  # the log write fails after the state's update
        db.execute("CREATE TRIGGER crash BEFORE INSERT ON reviews BEGIN SELECT RAISE(ABORT, 'disk gone'); END")
    with pytest.raises(sqlite3.IntegrityError, match="disk gone"):
        answer(progress, "einsum-output", correct=False, seconds=20, now=MONDAY + timedelta(days=3))
    after = memory_states.stored(progress)["drill:einsum-output"]
    assert after.card.to_dict() == before.card.to_dict() and after.last_variant == before.last_variant
    with sqlite3.connect(progressdb.path(progress)) as db:
        assert db.execute("SELECT COUNT(*) FROM drills").fetchone() == (1,)


def test_an_older_progress_file_is_migrated_with_every_record_kept(progress):
    with sqlite3.connect(progressdb.path(progress)) as db:
        db.executescript(OLD_SCHEMA)
        db.execute("INSERT INTO grades VALUES ('01_broadcasting', 12, 15, 'grade', 1700000000)")
        db.execute("INSERT INTO drills VALUES ('matmul', 1, 1700000000)")
        db.execute("INSERT INTO interview_ratings VALUES ('01_broadcasting', 1.5, 2, 'yyny', 1700000000)")
        db.execute("INSERT INTO exercises VALUES ('01_broadcasting', 'Exercise 1', 'pass', 4, 4, 'grade', 1700000000)")
    answer(progress, "matmul-vector", correct=True, seconds=20, now=MONDAY)
    with sqlite3.connect(progressdb.path(progress)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (progressdb.VERSION,)
        assert db.execute("SELECT * FROM grades").fetchall() == [("01_broadcasting", 12, 15, "grade", 1700000000)]
        assert db.execute("SELECT topic, correct FROM drills ORDER BY at").fetchall() == [("matmul", 1), ("matmul", 1)]
        assert db.execute("SELECT said FROM interview_ratings").fetchall() == [("yyny",)]
        assert db.execute("SELECT COUNT(*) FROM exercises").fetchone() == (1,)
    assert list(memory_states.stored(progress)) == ["drill:matmul-vector"]


def test_a_migration_that_fails_half_way_leaves_the_file_as_it_was(progress):
    with sqlite3.connect(progressdb.path(progress)) as db:
        db.executescript(OLD_SCHEMA + "INSERT INTO drills VALUES ('einsum', 0, 1700000000);")
    broken = progressdb.MIGRATIONS + (("CREATE TABLE half_done (x)", "ALTER TABLE missing ADD COLUMN y"),)
    db = sqlite3.connect(progressdb.path(progress))
    with pytest.raises(sqlite3.OperationalError, match="missing"):
        progressdb.migrate(db, broken)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert db.execute("PRAGMA user_version").fetchone() == (0,)
    assert "half_done" not in tables and "items" not in tables
    assert db.execute("SELECT * FROM drills").fetchall() == [("einsum", 0, 1700000000)]
    db.close()
    assert progressdb.migrate(sqlite3.connect(progressdb.path(progress))) == progressdb.VERSION


def test_due_soon_retention_and_streak_follow_the_clock(progress):
    answer(progress, "broadcast-two", correct=False, seconds=5, now=MONDAY)
    answer(progress, "matmul-matrices", correct=True, seconds=3, now=MONDAY)
    states = memory_states.stored(progress)
    assert [s.item for s in stats.due(states, MONDAY + timedelta(minutes=5))] == ["drill:broadcast-two"]
    assert [s.item for s in stats.due_between(states, MONDAY, MONDAY + timedelta(days=1))] == ["drill:broadcast-two"]
    assert stats.retention(states, MONDAY) == 1.0  # both reviewed just now
    later = stats.retention(states, MONDAY + timedelta(days=40))
    assert later < stats.retention(states, MONDAY + timedelta(days=2))
    assert stats.retention({}, MONDAY) is None
    lines = stats.review_lines(progress, MONDAY + timedelta(minutes=5), new_drills=7)
    assert lines[0] == "review: due now: broadcasting 1, new drill families 7 (mlgrind review)"
    # Measured, not FSRS's estimate (which calls both items certain just after a wrong answer).
    assert lines[1].startswith("retention: 1 of 2 reviews recalled in the last 7 days (50%; recalled = ")
    assert stats.recalled_lately(progress, MONDAY + timedelta(days=8)) == (0, 0)
    assert stats.retention_line(progress, MONDAY + timedelta(days=8)) == "retention: no reviews in the last 7 days"


def test_progress_shows_the_schedule_and_plots_reviews_per_day(progress, tmp_path):
    answer(progress, "broadcast-two", correct=False, seconds=5, now=MONDAY)
    answer(progress, "matmul-matrices", correct=True, seconds=3, now=MONDAY + timedelta(days=1))
    answer(progress, "einsum-output", correct=True, seconds=3, now=MONDAY + timedelta(days=1))
    answer(progress, "reshape-step", correct=True, seconds=3, now=MONDAY + timedelta(days=9))
    days = daily(progress)
    assert [(count, share) for _, count, share in days] == [(1, 0.0), (2, 1.0), (1, 1.0)]
    week = trend(progress)  # every calendar day from the first review to the last, gaps included
    assert [day for day, _ in week] == [days[0][0] + timedelta(i) for i in range(10)]
    # Monday's miss leaves the 7-day window on day 7; day 8's window holds no review at all.
    assert [r if r is None else round(r, 3) for _, r in week] == [0.0] + [0.667] * 6 + [1.0, None, 1.0]
    figure = draw(progress)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    (legend,) = figure.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "reviews that day (left axis)", "recalled that day (right axis)", "recalled over 7 days (right axis)"]
    for axis in figure.axes:  # the legend sits outside the axes, below them
        assert legend.get_window_extent(renderer).y1 <= axis.get_window_extent(renderer).y0
    first, last = figure.axes[0].get_xlim()  # a calendar axis: the 10 days from Monday, the empty ones included
    assert round(last - first) == 11 and figure.axes[0].xaxis.get_major_formatter().__class__.__name__ == "DateFormatter"
    png = plot_reviews(progress, tmp_path / "plots" / "memory_states.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
