"""Review items and their stored FSRS memory states (``items`` in progress.db), with the log of every review.

An item is a drill family (``drill:matmul-batch``) or an interview question
(``interview:01_broadcasting`` for a notebook's "say it out loud", ``interview:01_broadcasting/pad-left``
for a follow-up). One review writes the item's new state, its log row, and for a drill the answer
in ``drills`` too, in one transaction: a crash mid-write keeps the state from before, whole.
"""

from __future__ import annotations

import zlib
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone

from ..course import Course
from . import progressdb
from .drills import Question
from .families import FAMILIES, Family, variant_key
from .scheduler import Card, Rating, drill_rating, new_card, review

__all__ = ["Item", "Stored", "drill_item", "first_card", "log", "record", "record_drill", "stored"]


@dataclass(frozen=True)
class Item:
    id: str
    kind: str  # "drill" or "interview"
    topic: str  # a drill topic (drills) or an assignment id (interview questions)
    title: str


@dataclass(frozen=True)
class Stored:
    """An item's state as kept: its FSRS card and the drill variant it asked last."""

    item: str
    kind: str
    topic: str
    card: Card
    last_variant: str


def drill_item(f: Family) -> Item:
    return Item(f"drill:{f.name}", "drill", f.topic, f.title)


def drill_items() -> list[Item]:
    return [drill_item(f) for f in FAMILIES.values()]


def stored(course: Course) -> dict[str, Stored]:
    """Every item reviewed at least once, by id."""
    with closing(progressdb.connect(course)) as db:
        rows = db.execute("SELECT item, kind, topic, card, last_variant FROM items").fetchall()
    return {item: Stored(item, kind, topic, Card.from_json(card), last) for item, kind, topic, card, last in rows}


def first_card(item_id: str, now: datetime) -> Card:
    """The memory state of ``item_id`` before its first review (its card id follows from the item's)."""
    return new_card(zlib.crc32(item_id.encode()), now)


def record(course: Course, item: Item, rating: Rating, now: datetime, score: float, max_score: float,
           seconds: float | None = None, variant: str = "", drill_correct: bool | None = None) -> Card:
    """Review ``item`` at ``now`` with ``rating``; its new card, saved with the log row in one transaction."""
    with closing(progressdb.connect(course)) as db:
        db.execute("BEGIN IMMEDIATE")  # read and write the state under one lock
        with db:
            row = db.execute("SELECT card FROM items WHERE item = ?", (item.id,)).fetchone()
            card = Card.from_json(row[0]) if row else first_card(item.id, now)
            card = review(card, rating, now, seconds)
            db.execute("INSERT INTO items VALUES (?, ?, ?, ?, ?) ON CONFLICT (item) DO UPDATE SET "
                       "card = excluded.card, last_variant = excluded.last_variant",
                       (item.id, item.kind, item.topic, card.to_json(), variant))
            db.execute("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (item.id, item.kind, item.topic, int(rating), score, max_score, seconds, now.timestamp()))
            if drill_correct is not None:
                db.execute("INSERT INTO drills VALUES (?, ?, ?)", (item.topic, int(drill_correct), now.timestamp()))
    return card


def record_drill(course: Course, f: Family, q: Question, correct: bool, seconds: float, now: datetime) -> Card:
    """A drill answer: a review of its family (rated by correctness and time) and a drill record."""
    return record(course, drill_item(f), drill_rating(correct, seconds), now, float(correct), 1.0, seconds,
                  variant_key(q), drill_correct=correct)


def log(course: Course) -> list[tuple[str, str, str, int, float, float, datetime]]:
    """Every review, oldest first: (item, kind, topic, rating, score, max_score, when)."""
    with closing(progressdb.connect(course)) as db:
        rows = db.execute("SELECT item, kind, topic, rating, score, max_score, at FROM reviews ORDER BY at").fetchall()
    return [(*row[:6], datetime.fromtimestamp(row[6], timezone.utc)) for row in rows]
