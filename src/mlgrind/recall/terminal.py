"""``mlgrind drill`` in a terminal: a DrillSession asked line by line, the score and best streak at the end."""

from __future__ import annotations

from collections.abc import Callable

from ..course import Course
from .drills import Question
from .session import DrillSession, Outcome

__all__ = ["answer_current", "run"]


def answer_current(session: DrillSession, ask: Callable[[str], str], say: Callable[[str], None]) -> Outcome:
    """Ask the session's current question until an answer reads as one, then say whether it was right and why."""
    while True:
        try:
            outcome = session.answer(ask(session.current.prompt() + " "))
            break
        except ValueError as error:
            say(f"  {error}")
    if outcome.correct:
        say(f"  right: {outcome.shown}")
    else:
        say(f"  not quite: you said {outcome.said}, {outcome.oracle} gives {outcome.shown}")
        say("  " + outcome.explanation.replace("\n", "\n  "))
    return outcome


def run(questions: list[Question], ask: Callable[[str], str] = input, say: Callable[[str], None] = print,
        course: Course | None = None) -> DrillSession:
    """Ask every question, scoring (and with a ``course``, recording) each answer; EOF or Ctrl-C ends early, cleanly.

    >>> from .drills import questions, show
    >>> qs = questions("reshape", 2, seed=5)
    >>> typed = iter([show(qs[0].answer), "error" if qs[1].answer != "error" else "()"])
    >>> session = run(qs, ask=lambda prompt: next(typed), say=lambda line: None)
    >>> session.right, session.asked, session.best
    (1, 2, 1)
    """
    session = DrillSession(questions, course)
    try:
        while (q := session.next()) is not None:
            say(f"\n[{session.number}/{len(questions)}] {q.topic}")
            answer_current(session, ask, say)
    except (EOFError, KeyboardInterrupt):
        say("\nstopped early; your answers so far are saved.")
    say(f"\nscore: {session.right}/{session.asked}   best streak: {session.best}")
    return session
