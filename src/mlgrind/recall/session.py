"""``mlgrind drill``: shape questions one at a time in a terminal, a score and a streak at the end."""

from __future__ import annotations

from typing import Callable

from .drills import Question, explain, parse_answer


def _shown(answer) -> str:
    return "error" if answer == "error" else str(tuple(answer))


def run(questions: list[Question], ask: Callable[[str], str] = input, say: Callable[[str], None] = print,
        record: Callable[[Question, bool], None] = lambda q, ok: None) -> tuple[int, int, int]:
    """Ask every question; returns (right, asked, best streak). EOF or Ctrl-C ends early, cleanly."""
    right = asked = streak = best = 0
    try:
        for number, q in enumerate(questions, 1):
            say(f"\n[{number}/{len(questions)}] {q.topic}")
            while True:
                try:
                    answer = parse_answer(ask(q.prompt() + " "))
                    break
                except ValueError as error:
                    say(f"  {error}")
            asked += 1
            correct = answer == q.answer
            record(q, correct)
            if correct:
                right, streak = right + 1, streak + 1
                best = max(best, streak)
                say(f"  right: {_shown(q.answer)}")
            else:
                streak = 0
                say(f"  not quite: you said {_shown(answer)}, NumPy gives {_shown(q.answer)}")
                say("  " + explain(q).replace("\n", "\n  "))
    except (EOFError, KeyboardInterrupt):
        say(f"\nstopped early; your answers so far are saved.")
    say(f"\nscore: {right}/{asked}   best streak: {best}")
    return right, asked, best
