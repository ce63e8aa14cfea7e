"""An exercise not attempted yet: told in one line, not explained as a failure.

A stub that still raises a bare ``NotImplementedError``, or answers still ``None`` (``attempted``),
mean "not attempted yet". ``as_not_attempted`` reads an error that way; ``skip_if_not_attempted``
lets a demo cell print that line and Run All go on.
"""

from __future__ import annotations

from .tracebacks import drop_course_frames


class NotAttempted(Exception):
    """An exercise the learner has not started: its stub still raises, or its answers are blank."""

    def __init__(self, what: str, todo: str, reason: str):
        super().__init__(f"{what}: not attempted yet ({reason})")
        self.what, self.todo, self.reason = what, todo, reason

    def note(self) -> str:
        """The one line a notebook shows instead of an error."""
        return f"{self.what}: not attempted yet - {self.todo}, then run this cell again"


def attempted(done, what: str, todo: str = "write your answers in the cell above",
              reason: str = "the answers are still None") -> None:
    """Raise ``NotAttempted`` for ``what`` unless ``done`` (e.g. ``any(a is not None for a in answers)``)."""
    if not done:
        raise NotAttempted(what, todo, reason)


def as_not_attempted(exc, what: str) -> NotAttempted | None:
    """``exc`` read as "not attempted yet": a ``NotAttempted``, or a stub's ``NotImplementedError``."""
    if isinstance(exc, NotAttempted):
        return exc
    if not isinstance(exc, NotImplementedError) or exc.args:
        return None  # the stub raises a bare NotImplementedError(); one with a message is the learner's
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    # The innermost frame is the stub that raised: name it (mlp_forward may call a linear_forward stub).
    name = tb.tb_frame.f_code.co_name if tb is not None else "<module>"
    reason = "its cell still raises NotImplementedError"
    if name.startswith("<"):  # the raise is in the cell itself (an answer cell), not in a function
        return NotAttempted(what, "write your answers in place of the raise in this cell", reason)
    return NotAttempted(name, "write it in its cell above (delete the raise)", reason)


def in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


class skip_if_not_attempted:
    """A block of a demo cell that uses the learner's code: an exercise not attempted yet ends the
    block with one printed line instead of an error, so Run All goes on to the cells below."""

    def __init__(self, what: str = "this cell"):
        self.what = what

    def __enter__(self) -> "skip_if_not_attempted":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None:
            return False
        missing = as_not_attempted(exc, self.what)
        if missing is None:
            drop_course_frames(exc)
            return False
        print(missing.note())
        return True
