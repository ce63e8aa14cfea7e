"""``mlgrind anki``: a valid Anki package whose notes keep their ids across exports."""

from __future__ import annotations

import html
import re
import sqlite3
import zipfile
from pathlib import Path

from cost_formulas import recomputed
from mlgrind.course import Course
from mlgrind.recall.bank import questions
from mlgrind.recall.drills import Question, show
from mlgrind.recall.facts import SHEETS
from mlgrind.recall.families import FAMILIES
from support import numpy_says, run

VARIANTS = 5


def notes(apkg: Path, into: Path) -> dict[str, tuple[str, str]]:
    """guid -> (fields, tags) of every note in the package's collection."""
    with zipfile.ZipFile(apkg) as package:
        assert "collection.anki2" in package.namelist()
        package.extract("collection.anki2", into)
    with sqlite3.connect(into / "collection.anki2") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"col", "notes", "cards", "revlog", "graves"} <= tables
        rows = db.execute("SELECT guid, flds, tags FROM notes").fetchall()
        assert db.execute("SELECT COUNT(*) FROM cards").fetchone()[0] == len(rows)
        assert {row[0] for row in db.execute("SELECT DISTINCT mid FROM notes")} and len(rows)
    found = {guid: (fields, tags) for guid, fields, tags in rows}
    assert len(found) == len(rows), "two notes share a GUID"
    return found


def test_the_deck_holds_facts_interview_questions_and_drill_variants_with_stable_ids(course, tmp_path):
    first = run(["mlgrind", "anki", "--out", "decks/grind.apkg", "--variants", str(VARIANTS)], course)
    assert first.returncode == 0, first.stderr
    one = notes(course / "decks" / "grind.apkg", tmp_path / "one")

    asked = questions(Course(course), Course(course).assignments())
    rows = sum(len(section.rows) for sheet in SHEETS.values() for section in sheet.sections)
    assert len(one) == rows + len(asked) + VARIANTS * len(FAMILIES)
    tags = [t for _, t in one.values()]
    assert sum("interview::" in t for t in tags) == len(asked)
    assert all(sum(f"drill::{name} " in t for t in tags) == VARIANTS for name in FAMILIES)
    fields = "\n".join(f for f, _ in one.values())
    for q in asked:
        assert html.escape(q.rubric.items[0].text.split("`")[0][:30]) in fields
    cost_variants = {f.variant(seed).text: f.variant(seed) for f in FAMILIES.values() if f.topic == "cost"
                     for seed in range(VARIANTS)}
    for front_back, tag in one.values():  # every drill variant's answer is NumPy's, or for a cost the formula's
        if "drill::" in tag:
            front, back = html.unescape(front_back).split("\x1f")
            if "drill::cost-" in tag:
                text = front.split("<br>", 1)[1].replace("<br>", "\n").removesuffix("->").strip()
                q = cost_variants[text]
                said = recomputed(q.expr, q.values)
                assert re.match(r"<code>(.*?)</code>", back)[1] == show(said), (front, back)
                assert "=" in back.split("<small>")[1]  # the working, with its numbers
                continue
            shapes = {name: eval(shape) for name, shape in re.findall(r"(\w+)\.shape = (\([\d, ]*\))", front)}  # noqa: S307
            expr = front.split("<br>")[-1].strip().removesuffix("->").strip()
            topic = next(f.topic for name, f in FAMILIES.items() if f"drill::{name} " in tag)
            said = numpy_says(Question(topic, expr, shapes, "error"))
            assert re.match(r"<code>(.*?)</code>", back)[1] == show(said), (front, back)

    # A course update changes one model answer: exporting again keeps every GUID, changing that note in place.
    source = course / "source" / "01_broadcasting" / "01_broadcasting.ipynb"
    source.write_text(source.read_text(encoding="utf-8").replace("a wrong loss.", "a wrong loss, quietly."),
                      encoding="utf-8")
    second = run(["mlgrind", "anki", "--out", "decks/grind.apkg", "--variants", str(VARIANTS)], course)
    assert second.returncode == 0, second.stderr
    two = notes(course / "decks" / "grind.apkg", tmp_path / "two")
    assert set(two) == set(one)
    changed = [guid for guid in one if one[guid] != two[guid]]
    assert len(changed) == 1 and "quietly" in two[changed[0]][0]
