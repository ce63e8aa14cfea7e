"""``Checker``: a test cell's checks, every failure collected and raised at once with its likely cause.

``QuickCheck`` is the same for a notebook's visible checks, which note an exercise not attempted
yet instead of failing it, and in a notebook show a failure as one red line instead of raising it.
"""

from __future__ import annotations

import contextlib
import numbers
import re
import sys
import traceback

import numpy as np

from ..course.exercises import cause_first
from .bytecode import code_names, has_loops
from .not_attempted import as_not_attempted, attempted, in_notebook
from .shape_hints import format_shape, shape_hint
from .tracebacks import ShownWithoutCourseFrames, drop_course_frames


class CheckFailed(ShownWithoutCourseFrames):
    """One or more checks of a test cell failed; the message lists them all."""


def _mentions(text: str, word) -> bool:
    """Whether ``text`` names ``word``: a number as a whole number (13 is not in 130), else any case."""
    word = str(word)
    if word.isdigit():
        return re.search(rf"(?<!\d){word}(?!\d)", text) is not None
    return word.lower() in text.lower()


class Checker:
    """Collects failed checks of one test cell and raises them together at the end of the block.

    An exercise not attempted yet fails the block with one line saying so (see ``QuickCheck`` for
    the notebook's visible checks, which only note it).
    """

    def __init__(self, what: str):
        self.what = what
        self.failures: list[str] = []
        self.count = 0

    def __enter__(self) -> "Checker":
        return self

    def _notes_not_attempted(self) -> bool:
        """Whether an exercise not attempted yet (and nothing failed before) is a note, not a failure."""
        return False

    def _passed(self) -> None:
        """Called when every check of the block passed."""

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None:
            if self.failures:
                raise CheckFailed(self.report())
            self._passed()
            return False
        if isinstance(exc, CheckFailed):
            return False
        missing = as_not_attempted(exc, self.what)
        if missing is not None:
            if not self.failures and self._notes_not_attempted():
                print(missing.note())
                return True
            # Not attempted comes first: what failed before is likely its consequence.
            earlier = self.failures
            self.failures = []
            same = missing.what == self.what
            self.fail(f"not attempted yet ({missing.reason})" if same else
                      f"not attempted yet ({missing.what}: {missing.reason})")
            self.failures += earlier
            raise CheckFailed(self.report()) from None
        drop_course_frames(exc)
        if self.failures:
            # Keep what was found before the learner's code raised.
            self.failures.append(f"then raised {exc_type.__name__}: {exc}")
            raise CheckFailed(self.report()) from exc
        return False

    def report(self) -> str:
        """The first failure on the first line (what a score table shows), then every other one."""
        first, rest = self.failures[0], self.failures[1:]
        more = f" (+{len(rest)} more failed checks below)" if rest else ""
        return "\n".join([f"{self.what}: {first}{more}"] + [f"- {msg}" for msg in rest])

    def fail(self, message: str) -> bool:
        self.failures.append(message)
        return False

    def attempted(self, done, todo: str = "write your answers in the cell above",
                  reason: str = "the answers are still None") -> None:
        """Ends the block as "not attempted yet" unless ``done`` (e.g. some answer is not None)."""
        attempted(done, self.what, todo, reason)

    def true(self, condition, message: str) -> bool:
        """Passes when ``condition`` holds; otherwise records ``message``."""
        self.count += 1
        return True if condition else self.fail(message)

    def shape(self, name: str, actual, expected) -> bool:
        """``actual`` is an array of shape ``expected``."""
        self.count += 1
        expected = tuple(expected)
        if actual is None:
            return self.fail(f"{name} is None, expected an array of shape {expected}: missing return?")
        if isinstance(actual, numbers.Number):
            got = ()
        elif hasattr(actual, "shape"):
            got = tuple(actual.shape)
        else:
            return self.fail(
                f"{name} is a {type(actual).__name__}, expected an array of shape {expected}"
            )
        if got == expected:
            return True
        return self.fail(
            f"{name} is {format_shape(got)}, expected {format_shape(expected)}: {shape_hint(got, expected)}"
        )

    def dtype(self, name: str, actual, expected) -> bool:
        """``actual`` has dtype ``expected``."""
        self.count += 1
        got, want = np.asarray(actual).dtype, np.dtype(expected)
        if got == want:
            return True
        return self.fail(f"{name} has dtype {got}, expected {want}: an intermediate upcast or a new array of the default dtype?")

    def equal(self, name: str, actual, expected) -> bool:
        """``actual == expected`` for plain values (tuples, strings, numbers)."""
        self.count += 1
        if type(actual) is type(expected) and actual == expected:
            return True
        if actual == expected or (isinstance(actual, list) and tuple(actual) == expected):
            kind = type(expected).__name__
            return self.fail(f"{name} is the {type(actual).__name__} {actual!r}, expected the {kind} {expected!r}")
        return self.fail(f"{name} is {actual!r}, expected {expected!r}")

    def close(self, name: str, actual, expected, rtol: float = 1e-6, atol: float = 1e-8, hint: str = "") -> bool:
        """``actual`` has ``expected``'s shape and values within ``atol + rtol * |expected|``.

        ``hint`` is the likely cause of a wrong value ("a silent broadcast?"), said after it.
        """
        expected = np.asarray(expected)
        if not self.shape(name, actual, expected.shape):
            return False
        self.count += 1
        got = np.asarray(actual, dtype=np.float64)
        want = expected.astype(np.float64)
        bad_nan = ~np.isfinite(got) & np.isfinite(want)
        if bad_nan.any():
            index = tuple(int(i) for i in np.argwhere(bad_nan)[0])
            return self.fail(
                f"{name} has {int(bad_nan.sum())} non-finite values, first at {list(index)}: "
                f"{got[index]} (a division by zero, or exp of a large number?)"
            )
        same_special = (got == want) | (np.isnan(got) & np.isnan(want))
        bad_special = ~np.isfinite(want) & ~same_special
        if bad_special.any():
            index = tuple(int(i) for i in np.argwhere(bad_special)[0])
            return self.fail(f"{name} is {got[index]} at {list(index)}, expected {want[index]}")
        with np.errstate(invalid="ignore"):
            err = np.where(np.isfinite(want), np.abs(got - want), 0.0)
        bad = err > atol + rtol * np.abs(np.where(np.isfinite(want), want, 0.0))
        if not bad.any():
            return True
        cause = f": {hint}" if hint else ""
        if got.ndim == 0:
            return self.fail(f"{name} came out wrong: got {float(got):.6g}, expected {float(want):.6g}{cause}")
        rel = err / np.maximum(np.abs(want), atol)
        index = np.unravel_index(int(np.argmax(np.where(bad, rel, -1.0))), got.shape)
        index = tuple(int(i) for i in index)
        return self.fail(
            f"{name} is wrong at {int(bad.sum())} of {got.size} elements; worst at {list(index)}: "
            f"got {got[index]:.6g}, expected {want[index]:.6g} (relative error {rel[index]:.1e}){cause}"
        )

    def raises(self, exc_type, fn, *args, words: tuple = (), **kwargs):
        """``fn(*args, **kwargs)`` raises ``exc_type`` whose message contains every one of ``words``."""
        self.count += 1
        call = f"{getattr(fn, '__name__', 'call')}{args!r}"
        try:
            result = fn(*args, **kwargs)
        except exc_type as exc:
            text = str(exc)
            missing = [str(w) for w in words if not _mentions(text, w)]
            if missing:
                return self.fail(
                    f"{call} raised {exc_type.__name__}({text!r}); the message should name "
                    + ", ".join(missing)
                )
            return True
        except Exception as exc:
            if as_not_attempted(exc, self.what) is not None:
                raise  # not attempted yet: the block says so, not this check
            return self.fail(f"{call} raised {type(exc).__name__}({exc}), expected {exc_type.__name__}")
        return self.fail(f"{call} returned {result!r}, expected it to raise {exc_type.__name__}")

    def not_called(self, calls: list, what: str = "") -> bool:
        """No forbidden function was called (``calls`` comes from ``forbidden``)."""
        self.count += 1
        if not calls:
            return True
        names = ", ".join(sorted(set(calls)))
        return self.fail(f"{what or self.what} called {names}, which this exercise rules out")

    def _source(self, fn):
        """The judge's reading of a student function's source, or None for a function of this process."""
        if not hasattr(type(fn), "__mlgrind_source__"):
            return None
        source = fn.__mlgrind_source__
        if source is None:
            self.fail(f"{fn.__name__} is not defined by a def in your solution cells, so grading cannot read it")
        return source or False

    def avoids(self, fn, *names: str) -> bool:
        """``fn``'s code (and the code it reaches) does not mention any of ``names`` (e.g. ``broadcast_shapes``)
        nor look a name up by string."""
        self.count += 1
        source = self._source(fn)
        if source is False:
            return False
        if source is None:
            used = sorted(code_names(fn.__code__) & set(names))
        else:
            used = sorted(source.names() & set(names))
            if not used and source.dynamic():
                return self.fail(f"{fn.__name__} looks names up by string ({', '.join(source.dynamic())}), "
                                 "so grading cannot see what it calls; call functions by name")
        if not used:
            return True
        return self.fail(f"{fn.__name__} uses {', '.join(used)}, which this exercise rules out")

    def uses(self, fn, name: str, message: str = "") -> bool:
        """``fn``'s code (or the code it reaches) uses ``name`` (e.g. ``einsum`` in an einsum translation)."""
        self.count += 1
        source = self._source(fn)
        if source is False:
            return False
        if name in (code_names(fn.__code__) if source is None else source.names()):
            return True
        return self.fail(message or f"{fn.__name__} does not use {name}, which this exercise asks for")

    def no_loops(self, fn) -> bool:
        """``fn`` has no Python loop or comprehension."""
        self.count += 1
        source = self._source(fn)
        if source is False:
            return False
        if not (has_loops(fn) if source is None else source.has_loops()):
            return True
        return self.fail(f"{fn.__name__} uses a Python loop; this one is meant to be loop-free")

    def by_hand(self, fn, module: str = "NumPy") -> bool:
        """``fn``'s code (and what it reaches) uses no NumPy at all: the rule worked out with plain Python."""
        self.count += 1
        source = self._source(fn)
        if source is False:
            return False
        used = source.uses_numpy() if source is not None else sorted(code_names(fn.__code__) & {"np", "numpy"})
        if not used:
            return True
        return self.fail(f"{fn.__name__} uses {module} ({', '.join(used)}); work this one out with plain "
                         "Python tuples and ints")

    def untouched(self, name: str, fn) -> bool:
        """``fn``'s last call changed none of its arguments in place (read from the judge's proxy)."""
        self.count += 1
        changed = getattr(fn, "changed_inputs", None)
        if not changed:
            return True
        return self.fail(f"{name} changed its input in place ({', '.join(changed[:3])}); return a new array")

    def owns_memory(self, name: str, fn) -> bool:
        """No part of ``fn``'s last result was one of its arguments or a view of one (read from the judge's proxy)."""
        self.count += 1
        shared = getattr(fn, "shared_inputs", None)
        if not shared:
            return True
        return self.fail(f"{name} returned its input, or a view of it ({', '.join(shared[:3])}); return a new array")

    def peak_below(self, name: str, fn, limit: int, hint: str = "") -> bool:
        """``fn``'s last call held at most ``limit`` bytes at its peak beyond what the student's kernel held
        before: read by the grader from outside that kernel (the judge's proxy's ``peak_bytes``)."""
        self.count += 1
        peak = getattr(fn, "peak_bytes", None)
        if type(peak) is not int:
            print(f"{name}: the memory it held was not measured here (no control group or /proc to read)")
            return True
        if peak <= limit:
            return True
        return self.fail(f"{name} held {peak / 2**20:.1f} MiB at its peak, more than {limit / 2**20:g} MiB"
                         + (f": {hint}" if hint else ""))

    @contextlib.contextmanager
    def swapped(self, fn, **helpers):
        """Within the block, ``fn`` (and every function defined beside it) finds ``helpers`` (name=function)
        in place of the names it looks up; what those names were bound to is put back after the block,
        whatever happens, and a name that was not bound is unbound again. In the judge the helpers stay
        there and are called back from the student's code."""
        space = fn.__globals__
        saved, missing = {}, []
        try:
            for name, helper in helpers.items():
                if name in space:
                    saved[name] = space[name]
                else:
                    missing.append(name)
                space[name] = helper
            yield
        finally:
            for name, value in saved.items():
                space[name] = value
            for name in missing:
                space.pop(name, None)

    def no_matmul(self, fn) -> bool:
        """``fn``'s code (and what it reaches) has no ``@`` operator."""
        self.count += 1
        source = self._source(fn)
        if source is False:
            return False
        if source is None or not source.uses_matmul_operator():
            return True
        return self.fail(f"{fn.__name__} uses the @ operator, which this exercise rules out")


RED, PLAIN = "\x1b[31m", "\x1b[0m"  # a notebook's stream output draws these as red text


class QuickCheck(Checker):
    """A notebook's visible checks: an exercise not attempted yet is noted in one line, not raised.

    In a notebook a failure is one red line too, its likely cause first (``cause_first``), and the
    cell ends without an error, so Run All goes on to the cells below; the hidden tests still fail
    for real when grading. ``passed`` is printed when every check passes (the cell goes on either
    way, so it cannot follow the block). Outside a notebook (a module's pytest run, a script)
    nothing may pass silently, so there a failure raises and an exercise not attempted yet fails as
    in a hidden test.
    """

    def __init__(self, what: str, passed: str = "The quick checks pass."):
        super().__init__(what)
        self.passed = passed

    def _notes_not_attempted(self) -> bool:
        return in_notebook()

    def _passed(self) -> None:
        if self.passed:
            print(self.passed)

    def __exit__(self, exc_type, exc, tb) -> bool:
        if not in_notebook() or (exc is not None and not isinstance(exc, Exception)):
            return super().__exit__(exc_type, exc, tb)  # an interrupt stops the cell as ever
        try:
            if super().__exit__(exc_type, exc, tb):
                return True
        except CheckFailed:
            print(self.red_line())
            return True
        if exc is None or isinstance(exc, CheckFailed):
            return False
        print(self.red_line(exc))
        return True

    def red_line(self, exc: BaseException | None = None) -> str:
        """The one line a notebook shows for a failed block: the first failure, cause first, and how
        many more; or the learner's error with the line of their code that raised it."""
        if exc is not None:
            where = _learner_line(exc)
            text = f"{self.what} raised {type(exc).__name__}: {exc}{where}"
        else:
            first, rest = self.failures[0], self.failures[1:]
            more = f" (+{len(rest)} more failed check{'s' if len(rest) > 1 else ''})" if rest else ""
            text = f"{self.what}: {cause_first(first)}{more}"
        return f"{RED}✗ {' '.join(text.split())}{PLAIN}"


def _learner_line(exc: BaseException) -> str:
    """`` (in standardize, line 2 of its cell: for row in None:)``: where the learner's code raised."""
    drop_course_frames(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    where = "this cell" if last.name.startswith("<") else f"in {last.name}, its cell's"
    code = f": {last.line.strip()}" if last.line else ""
    return f" ({where} line {last.lineno}{code})"
