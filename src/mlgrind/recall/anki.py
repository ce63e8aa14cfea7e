"""``mlgrind anki``: an Anki deck (genanki) of the one-pager facts, the interview questions and drill variants.

Anki knows a note by its GUID: importing a deck whose notes keep their GUIDs updates them instead of
adding copies. Every GUID here is derived from what the note *is* (a one-pager row's sheet and
prompt, an interview question's id, a drill family and variant number), never from its text or the
time, so a re-export after a course update changes notes in place. The note types and the decks
keep fixed ids for the same reason.

Each notebook has its own subdeck ("The ML Grind::01_broadcasting"), in course order. No two cards
share a front: a fact on two sheets is kept once, and a drill family's variants are distinct
questions. Within a notebook the new cards are interleaved (a fact, an interview question, a
variant of each drill family, then the next of each), so Anki's first twenty new cards of a day
already mix the kinds instead of bringing every fact first. Course Markdown (bold, italics, code)
is rendered as HTML.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from itertools import zip_longest
from pathlib import Path

import genanki
import mistune

from ..course import Course
from .bank import questions
from .drills import explain, find, show
from .facts import NOTEBOOK_OF_SHEET, SHEETS, Cue, Fact, Formula
from .families import FAMILIES, Family, variant_key

__all__ = ["DECK_ID", "DECK_NAME", "Deck", "write_deck"]

DECK_ID = 1_739_204_511  # fixed: the learner's deck stays the same deck across exports
DECK_NAME = "The ML Grind"
OTHER = "one-pagers"  # the subdeck of a sheet that names no notebook
BASIC = genanki.Model(
    1_739_204_512, "The ML Grind: basic",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}<hr id=answer>{{Back}}"}],
    css=".card { font-family: sans-serif; font-size: 18px; text-align: left; } code { font-size: 17px; }",
)


@dataclass(frozen=True)
class Deck:
    path: Path
    notes: int


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _code_lines(text: str) -> str:
    """A drill's prompt or working: code line by line (``x ** 2`` is Python, not Markdown)."""
    return "<br>".join(_code(line) for line in text.splitlines())


def _text(text: str) -> str:
    return escape(text).replace("\n", "<br>")


_MARKDOWN = mistune.create_markdown(escape=True)


def _markdown(text: str) -> str:
    """Course Markdown as card HTML: paragraphs, bold, italics and `code` rendered, hard-wrapped lines joined."""
    paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    return _MARKDOWN("\n\n".join(paragraphs)).strip()


def _note(key: str, front: str, back: str, tags: list[str]) -> genanki.Note:
    return genanki.Note(model=BASIC, fields=[front, back], tags=tags, guid=genanki.guid_for("mlgrind", key))


def fact_notes(sheets: Iterable = (), fronts: set | None = None) -> list[genanki.Note]:
    """One note per one-pager row of ``sheets`` (all of them by default): a shape to predict, a formula to write
    down, or a cue and its answer; a row whose front is in ``fronts`` (the fronts already made) is left out."""
    notes, fronts = [], set() if fronts is None else fronts
    for sheet in sheets or SHEETS.values():
        for section, row in ((section, row) for section in sheet.sections for row in section.rows):
            if isinstance(row, Fact):
                given = ", ".join(f"{name}: {tuple(shape)}" for name, shape in row.shapes.items())
                front = f"{_code(row.prompt or row.expr)}<br><small>{escape(given)}</small>"
                answer = row.symbolic or (row.answer if isinstance(row.answer, (int, str)) else str(tuple(row.answer)))
                back = _code(str(answer)) + (f"<br><small>{escape(row.note)}</small>" if row.note else "")
                key = f"fact:{sheet.name}:{section.title}:{row.prompt or row.expr}:{given}"
            elif isinstance(row, Formula):
                front = _text(row.name) + (f"<br><small>{escape(row.example)}</small>" if row.example else "")
                back = f"{_code(row.formula)}<br>e.g. {_code(row.result)}" + (
                    f"<br><small>{escape(row.note)}</small>" if row.note else "")
                key = f"formula:{sheet.name}:{section.title}:{row.name}"
            elif isinstance(row, Cue):
                front, back = _text(row.cue), _text(row.answer) + (f"<br><small>{escape(row.note)}</small>" if row.note else "")
                key = f"cue:{sheet.name}:{section.title}:{row.cue}"
            else:
                continue
            if front not in fronts:
                fronts.add(front)
                notes.append(_note(key, front, back, ["mlgrind", f"onepager::{sheet.name}"]))
    return notes


def interview_notes(course: Course, assignments: list[str]) -> list[genanki.Note]:
    """Each interview question of ``assignments`` with its model answer and rubric."""
    notes = []
    for q in questions(course, assignments):
        rubric = "".join(f"<li>{_markdown(item.text)} ({item.points:g})</li>" for item in q.rubric.items)
        back = f"{_markdown(q.rubric.model_answer)}<b>Rubric</b><ul>{rubric}</ul>"
        notes.append(_note(q.id, _markdown(q.text), back, ["mlgrind", f"interview::{q.assignment}"]))
    return notes


def drill_notes(family: Family, variants: int) -> list[genanki.Note]:
    """``variants`` distinct generated questions of a drill family, with the answer and why (fewer when the
    family shows no new question in ``MAX_SEEDS_PER_VARIANT`` seeds per variant)."""
    notes, seen = [], set()
    for seed in range(variants * MAX_SEEDS_PER_VARIANT):
        q = family.variant(seed)
        if variant_key(q) in seen:
            continue
        seen.add(variant_key(q))
        front = f"<b>{escape(family.title)}</b><br>{_code_lines(q.prompt())}"
        back = _code(show(q.answer)) + f"<br><small>{_code_lines(explain(q))}</small>"
        notes.append(_note(f"drill:{family.name}:{seed}", front, back, ["mlgrind", f"drill::{family.name}"]))
        if len(notes) == variants:
            break
    return notes


MAX_SEEDS_PER_VARIANT = 20  # seeds tried per distinct variant before a small family stops short


def _interleaved(*streams: list) -> list:
    """The first of each stream, then the second of each, and so on."""
    return [x for round_ in zip_longest(*streams) for x in round_ if x is not None]


def _deck_id(name: str) -> int:
    return DECK_ID if name == DECK_NAME else DECK_ID + 1 + zlib.crc32(name.encode()) % 10**8  # fixed per name


def write_deck(course: Course, path: Path, variants: int = 40) -> Deck:
    """Write the deck to ``path`` (an ``.apkg``): one subdeck per notebook, new cards interleaved in course order."""
    assignments = course.assignments()

    def home(notebook: str) -> str:
        return notebook if notebook in assignments else OTHER

    decks, position, fronts = [], 0, set()
    for subdeck in [*assignments, OTHER]:
        sheets = [s for s in SHEETS.values() if home(NOTEBOOK_OF_SHEET.get(s.name, OTHER)) == subdeck]
        facts = fact_notes(sheets, fronts) if sheets else []
        asked = interview_notes(course, [subdeck]) if subdeck in assignments else []
        drills = [drill_notes(f, variants) for f in FAMILIES.values() if home(find(f.topic).notebook) == subdeck]
        notes = _interleaved(facts, asked, *drills)
        if not notes:
            continue
        deck = genanki.Deck(_deck_id(f"{DECK_NAME}::{subdeck}"), f"{DECK_NAME}::{subdeck}")
        for note in notes:
            note.due = position  # the new-card queue's order: course order, the kinds interleaved
            position += 1
            deck.add_note(note)
        decks.append(deck)
    path.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(decks).write_to_file(str(path))
    return Deck(path, position)
