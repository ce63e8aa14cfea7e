"""Rating a written answer against its rubric, point by point: does the answer do this? y/n.

``mlgrind grade --rate`` and ``mlgrind interview`` ask it; the score goes to the learner's progress,
never to a gradebook.
"""

from __future__ import annotations

from collections.abc import Callable

from ..course.rubrics import Rubric, points_text


def ask_yes_no(ask: Callable[[str], str], say: Callable[[str], None], prompt: str) -> bool:
    while True:
        said = ask(prompt).strip().lower()
        if said in {"y", "yes"}:
            return True
        if said in {"n", "no"}:
            return False
        say("  please type y or n")


def rate(rubric: Rubric, ask: Callable[[str], str] = input, say: Callable[[str], None] = print,
         said: list[bool] | None = None) -> list[bool]:
    """Ask, item by item, whether the learner's answer does what the item says.

    Each y/n is appended to ``said`` (a new list unless given) as it comes; EOFError or
    KeyboardInterrupt propagate, and a caller that passed ``said`` still holds the points rated so far.
    """
    said = [] if said is None else said
    for number, item in enumerate(rubric.items, 1):
        say(f"\n[{number}/{len(rubric.items)}] ({points_text(item.points)}) {item.text}")
        said.append(ask_yes_no(ask, say, "  does your answer do this? [y/n] "))
    return said


def rated_score(rubric: Rubric, said: list[bool]) -> float:
    return sum(item.points for item, yes in zip(rubric.items, said) if yes)
