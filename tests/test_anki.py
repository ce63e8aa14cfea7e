"""``mlgrind anki``: a valid Anki package whose notes keep their ids across exports."""

from __future__ import annotations

import html
import re
import sqlite3
import zipfile
from pathlib import Path

from cost_formulas import recomputed
from mlgrind.course import Course
from mlgrind.recall.anki import MAX_SEEDS_PER_VARIANT
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


def _front(row) -> str:
    """What makes two one-pager rows the same card: what the front asks."""
    return repr((getattr(row, "prompt", "") or getattr(row, "expr", ""), getattr(row, "shapes", None),
                 getattr(row, "name", None), getattr(row, "example", None), getattr(row, "cue", None)))


def test_the_deck_holds_facts_interview_questions_and_drill_variants_with_stable_ids(course, tmp_path):
    first = run(["mlgrind", "anki", "--out", "decks/grind.apkg", "--variants", str(VARIANTS)], course)
    assert first.returncode == 0, first.stderr
    one = notes(course / "decks" / "grind.apkg", tmp_path / "one")

    asked = questions(Course(course), Course(course).assignments())
    rows = {_front(row) for sheet in SHEETS.values() for section in sheet.sections for row in section.rows}
    assert len(one) == len(rows) + len(asked) + VARIANTS * len(FAMILIES)  # a fact on two sheets: one note
    tags = [t for _, t in one.values()]
    assert sum("interview::" in t for t in tags) == len(asked)
    assert all(sum(f"drill::{name} " in t for t in tags) == VARIANTS for name in FAMILIES)
    fields = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", "\n".join(f for f, _ in one.values()))))
    for q in asked:
        words = " ".join(re.findall(r"[A-Za-z]{4,}", q.rubric.items[0].text)[:6])  # Markdown rendered or not
        assert words in " ".join(re.findall(r"[A-Za-z]{4,}", fields)), words
    cost_variants = {f.variant(seed).text: f.variant(seed) for f in FAMILIES.values() if f.topic == "cost"
                     for seed in range(VARIANTS * MAX_SEEDS_PER_VARIANT)}  # the seeds the deck may use
    for front_back, tag in one.values():  # every drill variant's answer is NumPy's, or for a cost the formula's
        if "drill::" in tag:
            front, back = html.unescape(front_back).split("\x1f")
            front = re.sub(r"</?code>", "", front)  # the prompt is set as code, line by line
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


def _markdown_left(field: str) -> list[str]:
    """Markdown markers left in a card's text (code spans and blocks, where a * is Python, set aside)."""
    text = html.unescape(re.sub(r"<(code|pre)>.*?</\1>", "", field, flags=re.S))
    return re.findall(r"\*\*|`|(?<![\w*\\])\*(?=\S)[^*\n]+(?<=\S)\*(?![\w*])|^#+ |\n- ", text)


def test_anki_imports_the_deck_with_unique_fronts_rendered_markdown_subdecks_and_interleaved_new_cards(course,
                                                                                                  tmp_path):
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    made = run(["mlgrind", "anki", "--out", "grind.apkg"], course)  # the default: 40 variants per family
    assert made.returncode == 0, made.stderr
    written = int(made.stdout.split()[0])
    collection = Collection(str(tmp_path / "throwaway.anki2"))
    try:
        imported = collection.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(course / "grind.apkg"), options=ImportAnkiPackageOptions()))
        assert len(imported.log.new) == written and not imported.log.conflicting
        notes = [collection.get_note(n) for n in collection.find_notes("")]
        fronts = [note.fields[0] for note in notes]
        assert len(fronts) == written == len(set(fronts)), "two cards share a front"
        left = {front[:80]: found for note in notes for front in note.fields[:1]
                for found in [_markdown_left(note.fields[0]) + _markdown_left(note.fields[1])] if found}
        assert not left, left
        assignments = Course(course).assignments()
        names = {d.name for d in collection.decks.all_names_and_ids()}
        assert {f"The ML Grind::{a}" for a in assignments} <= names

        collection.decks.select(collection.decks.id_for_name("The ML Grind"))
        queued = collection.sched.get_queued_cards(fetch_limit=200).cards
        cards = [collection.get_card(c.card.id) for c in queued]
        kinds = [next(t for t in card.note().tags if "::" in t) for card in cards]
        decks = [collection.decks.name(card.did) for card in cards]
        assert decks[0] == f"The ML Grind::{assignments[0]}"  # course order: the first notebook first
        assert decks == sorted(decks)
        first_day = kinds[:20]  # Anki's default: 20 new cards a day
        assert any(k.startswith("onepager::") for k in first_day) and any(k.startswith("drill::") for k in first_day)
        assert any(k.startswith("interview::") for k in first_day)
        assert all(a != b for a, b in zip(kinds[:60], kinds[1:60])), kinds[:60]  # never two of a kind in a row
    finally:
        collection.close()
