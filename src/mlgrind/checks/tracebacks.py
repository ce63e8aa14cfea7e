"""Tracebacks a learner reads: their own frames and the cell's, never the course's.

``drop_course_frames`` trims an error that goes on to the learner; ``ShownWithoutCourseFrames`` is
the base of the checks' own errors, which IPython then shows without the frames that raised them.
"""

from __future__ import annotations

import os
import types


# The course's frames are those of any mlgrind module, this package's and every other.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _is_course_frame(frame) -> bool:
    return os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR)


def drop_course_frames(exc: BaseException) -> None:
    """Unlink the course's own frames from ``exc``'s traceback (and its causes'), in place.

    The first entry stays (it is the cell that ran the check); only later ones can be skipped.
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            nxt = tb.tb_next
            while nxt is not None and _is_course_frame(nxt.tb_frame):
                nxt = nxt.tb_next
            tb.tb_next = nxt
            tb = nxt
        exc = exc.__cause__ or exc.__context__


def _learner_traceback(tb):
    """A copy of traceback ``tb`` without the course's frames nor frames marked ``__tracebackhide__``."""
    kept = []
    while tb is not None:
        if not _is_course_frame(tb.tb_frame) and not tb.tb_frame.f_locals.get("__tracebackhide__"):
            kept.append(tb)
        tb = tb.tb_next
    copy = None
    for entry in reversed(kept):
        copy = types.TracebackType(copy, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return copy


class ShownWithoutCourseFrames(AssertionError):
    """An error of the checks whose traceback, as IPython shows it, holds only the learner's frames."""

    def _render_traceback_(self) -> list[str]:
        # IPython asks an exception for its own traceback: the frame that raised it here and
        # IPython's own are left out, so the learner reads the cell, their code and the message.
        from IPython import get_ipython

        shell = get_ipython()
        return shell.InteractiveTB.structured_traceback(type(self), self, _learner_traceback(self.__traceback__))
