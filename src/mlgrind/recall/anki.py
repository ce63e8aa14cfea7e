"""``mlgrind anki``: an Anki deck (genanki) of the one-pager facts, the interview questions and drill variants.

Anki knows a note by its GUID: importing a deck whose notes keep their GUIDs updates them instead of
adding copies. Every GUID here is derived from what the note *is* (a one-pager row's sheet and
prompt, an interview question's id, a drill family and variant number), never from its text or the
time, so a re-export after a course update changes notes in place. The note types and the deck
keep fixed ids for the same reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

import genanki

from ..course import Course
from .bank import questions
from .drills import explain, show
from .facts import SHEETS, Cue, Fact, Formula
from .families import FAMILIES

__all__ = ["DECK_ID", "Deck", "write_deck"]

DECK_ID = 1_739_204_511  # fixed: the learner's deck stays the same deck across exports
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


def _text(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def _markdown(text: str) -> str:
    """Course Markdown as card HTML: paragraphs kept, hard-wrapped lines joined, `code` as code."""
    paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    return "<br><br>".join(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(p)) for p in paragraphs)


def _note(key: str, front: str, back: str, tags: list[str]) -> genanki.Note:
    return genanki.Note(model=BASIC, fields=[front, back], tags=tags, guid=genanki.guid_for("mlgrind", key))


def fact_notes() -> list[genanki.Note]:
    """One note per one-pager row: a shape to predict, a formula to write down, or a cue and its answer."""
    notes = []
    for sheet in SHEETS.values():
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
            notes.append(_note(key, front, back, ["mlgrind", f"onepager::{sheet.name}"]))
    return notes


def interview_notes(course: Course) -> list[genanki.Note]:
    """Each interview question with its model answer and rubric."""
    notes = []
    for q in questions(course, course.assignments()):
        rubric = "".join(f"<li>{_markdown(item.text)} ({item.points:g})</li>" for item in q.rubric.items)
        back = f"{_markdown(q.rubric.model_answer)}<br><b>Rubric</b><ul>{rubric}</ul>"
        notes.append(_note(q.id, _markdown(q.text), back, ["mlgrind", f"interview::{q.assignment}"]))
    return notes


def drill_notes(variants: int) -> list[genanki.Note]:
    """``variants`` generated questions of every drill family, with the answer and why."""
    notes = []
    for f in FAMILIES.values():
        for seed in range(variants):
            q = f.variant(seed)
            front = f"<b>{escape(f.title)}</b><br>{_text(q.prompt())}"
            back = _code(show(q.answer)) + f"<br><small>{_text(explain(q))}</small>"
            notes.append(_note(f"drill:{f.name}:{seed}", front, back, ["mlgrind", f"drill::{f.name}"]))
    return notes


def write_deck(course: Course, path: Path, variants: int = 40) -> Deck:
    """Write the deck to ``path`` (an ``.apkg``)."""
    deck = genanki.Deck(DECK_ID, "The ML Grind")
    notes = fact_notes() + interview_notes(course) + drill_notes(variants)
    for note in notes:
        deck.add_note(note)
    path.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(deck).write_to_file(str(path))
    return Deck(path, len(notes))
