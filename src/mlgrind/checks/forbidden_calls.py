"""Calls an exercise rules out: ``forbidden`` makes them raise, and remembers they were made."""

from __future__ import annotations

import contextlib

from .tracebacks import ShownWithoutCourseFrames


class ForbiddenCall(ShownWithoutCourseFrames):
    """A function that an exercise rules out was called."""


@contextlib.contextmanager
def forbidden(module, *names):
    """Make ``module.<name>`` raise ``ForbiddenCall`` inside the block; yields the calls made.

    The list of calls survives a learner's ``try/except`` that swallows the exception.
    """
    calls: list[str] = []
    saved = {name: getattr(module, name) for name in names}

    def spy_for(name):
        def spy(*args, **kwargs):
            calls.append(name)
            owner = getattr(module, "__name__", type(module).__name__)
            raise ForbiddenCall(f"{owner}.{name} is not allowed in this exercise")

        return spy

    try:
        for name in names:
            setattr(module, name, spy_for(name))
        yield calls
    finally:
        for name, original in saved.items():
            setattr(module, name, original)
