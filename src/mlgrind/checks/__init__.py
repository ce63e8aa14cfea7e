"""Checks for test cells that report every failure, each with its likely cause.

A test cell opens a ``Checker`` and runs all its checks; on leaving the block it raises one
``CheckFailed`` (an ``AssertionError``) listing every check that failed::

    with Checker("standardize") as check:
        out_BF = standardize(x_BF)
        if check.shape("out", out_BF, (4, 3)):
            check.close("out", out_BF, expected_BF)

Each message says what was expected, what came and, where a pattern gives it away, why:
``out is (3, 4), expected (4, 3): transposed?``. Nothing here knows any exercise's answer.

An exercise not attempted yet (its stub still raises ``NotImplementedError``, or its answers are
still ``None``) is not a failure to explain: a hidden test's ``Checker`` fails it with the one line
``broadcast_shape: not attempted yet (...)``, while a notebook's visible ``QuickCheck`` and any
demo cell under ``skip_if_not_attempted`` print that line and let Run All go on. Tracebacks shown
in a notebook keep the learner's frames and drop the course's own.

Notebooks import every name from here (``from mlgrind.checks import QuickCheck``); each job has a
module of its own, from the bottom up:

- ``tracebacks``: errors shown without the course's frames;
- ``not_attempted``: an exercise not attempted yet, told in one line;
- ``shape_hints``: the likely cause of a wrong shape; ``memory_layout``: strided inputs;
- ``bytecode``: loops and names read from a function's code;
- ``forbidden_calls``: calls an exercise rules out; ``array_watch``: arrays built "by hand";
- ``checker``: ``Checker`` and ``QuickCheck``, which use all of the above;
- ``causes``: the likely causes those messages name, read back as tags a class report counts.
"""

from __future__ import annotations

from .array_watch import ArrayWatch
from .bytecode import has_loops
from .checker import CheckFailed, Checker, QuickCheck
from .forbidden_calls import ForbiddenCall, forbidden
from .memory_layout import noncontiguous
from .not_attempted import NotAttempted, attempted, skip_if_not_attempted
from .shape_hints import shape_hint

__all__ = [
    "ArrayWatch",
    "CheckFailed",
    "Checker",
    "ForbiddenCall",
    "NotAttempted",
    "QuickCheck",
    "attempted",
    "forbidden",
    "has_loops",
    "noncontiguous",
    "shape_hint",
    "skip_if_not_attempted",
]
