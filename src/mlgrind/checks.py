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
"""

from __future__ import annotations

import contextlib
import dis
import numbers
import os
import re
import sys
import tracemalloc
import types
from collections import Counter

import numpy as np

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

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _is_course_frame(frame) -> bool:
    return os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR)


def _drop_course_frames(exc: BaseException) -> None:
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


class _ShownWithoutCourseFrames(AssertionError):
    """An error of the checks whose traceback, as IPython shows it, holds only the learner's frames."""

    def _render_traceback_(self) -> list[str]:
        # IPython asks an exception for its own traceback: the frame that raised it here and
        # IPython's own are left out, so the learner reads the cell, their code and the message.
        from IPython import get_ipython

        shell = get_ipython()
        return shell.InteractiveTB.structured_traceback(type(self), self, _learner_traceback(self.__traceback__))


class CheckFailed(_ShownWithoutCourseFrames):
    """One or more checks of a test cell failed; the message lists them all."""


class ForbiddenCall(_ShownWithoutCourseFrames):
    """A function that an exercise rules out was called."""


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


def _as_not_attempted(exc, what: str) -> NotAttempted | None:
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


def _in_notebook() -> bool:
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
        missing = _as_not_attempted(exc, self.what)
        if missing is None:
            _drop_course_frames(exc)
            return False
        print(missing.note())
        return True



def _mentions(text: str, word) -> bool:
    """Whether ``text`` names ``word``: a number as a whole number (13 is not in 130), else any case."""
    word = str(word)
    if word.isdigit():
        return re.search(rf"(?<!\d){word}(?!\d)", text) is not None
    return word.lower() in text.lower()


def _fmt_shape(shape) -> str:
    return str(tuple(int(n) for n in shape))


def shape_hint(actual: tuple, expected: tuple) -> str:
    """The most likely cause of getting an array of shape ``actual`` instead of ``expected``."""
    actual, expected = tuple(actual), tuple(expected)
    if actual == () and expected:
        return "a scalar came back: summed or averaged over everything?"
    if len(actual) == len(expected):
        if len(actual) > 1 and actual == expected[::-1]:
            return "transposed?"
        if sorted(actual) == sorted(expected):
            return "axes in the wrong order (a reshape where a transpose belongs?)"
        if np.prod(actual) == np.prod(expected):
            return "same number of elements: reshaped to the wrong shape?"
        return "reduced or broadcast along the wrong axis?"
    if len(actual) == len(expected) + 1:
        for axis in range(len(actual)):
            if actual[:axis] + actual[axis + 1 :] == expected:
                if actual[axis] == 1:
                    return f"an extra size-1 axis {axis}: keepdims=True where it should not be?"
                return (
                    f"an extra axis {axis} of size {actual[axis]}: did an (N,) and an (N, 1) "
                    "broadcast against each other?"
                )
        return "one axis too many: something broadcast that should not have?"
    if len(actual) + 1 == len(expected):
        for axis in range(len(expected)):
            if expected[:axis] + expected[axis + 1 :] == actual:
                if expected[axis] == 1:
                    return f"axis {axis} of size 1 is missing: keepdims=True forgotten?"
                return f"axis {axis} is missing: reduced over an axis that should stay?"
        return "one axis too few: reduced over an axis that should stay?"
    return f"{len(actual)} dims instead of {len(expected)}"


def noncontiguous(x: np.ndarray) -> np.ndarray:
    """A strided view holding the same values as ``x`` (not C-contiguous when ``x.size > 1``)."""
    x = np.asarray(x)
    buf = np.zeros(x.shape + (2,), dtype=x.dtype)
    buf[..., 0] = x
    return buf[..., 0]


def _code_has_loop(code: types.CodeType) -> bool:
    jumps = set(dis.hasjrel) | set(dis.hasjabs)
    for ins in dis.get_instructions(code):
        if ins.opname == "FOR_ITER" or "BACKWARD" in ins.opname:
            return True
        # Any jump back to an earlier instruction is a loop (how it is spelled varies by Python version).
        if ins.opcode in jumps and isinstance(ins.argval, int) and ins.argval < ins.offset:
            return True
    return any(_code_has_loop(c) for c in code.co_consts if isinstance(c, types.CodeType))


def has_loops(fn) -> bool:
    """Whether ``fn`` contains a Python loop or comprehension (read from its bytecode)."""
    return _code_has_loop(fn.__code__)


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


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


_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
_THIS_FILE = os.path.abspath(__file__)
_ARRAY_TYPES = (np.ndarray, np.nditer, np.broadcast, np.flatiter)
_numpy_domain_cache: list = []


def _numpy_domain():
    """The tracemalloc domain NumPy reports its array-data allocations in, found by allocating one.

    NumPy tracks array data (zero-size arrays included) outside Python's own domain 0; the number
    is NumPy's, so it is measured rather than assumed. ``None`` when this NumPy reports nothing.
    """
    if not _numpy_domain_cache:
        started = not tracemalloc.is_tracing()
        if started:
            tracemalloc.start()
        try:
            before = Counter(trace[0] for trace in tracemalloc._get_traces())
            probe = np.empty(0)
            after = Counter(trace[0] for trace in tracemalloc._get_traces())
            del probe
        finally:
            if started:
                tracemalloc.stop()
        domains = [d for d in after - before if d != 0]
        _numpy_domain_cache.append(domains[0] if domains else None)
    return _numpy_domain_cache[0]


class ArrayWatch:
    """``fn`` wrapped so that every NumPy array it builds, holds or asks NumPy for is noted in ``seen``.

    For exercises that are "the rule by hand": ``broadcast_shape = ArrayWatch(broadcast_shape)``,
    call it as usual, then ``check.true(not broadcast_shape.seen, ...)``. Three independent signs,
    looked for after every bytecode of the function (and of any helper it calls):

    - NumPy allocated array data (seen through tracemalloc, in NumPy's own domain; a zero-size
      array allocates too), however the array was made: ``np.empty``, ``np.ndarray``, ``+``,
      ``operator.add``, ``@``, ``np.einsum``...;
    - a local or global variable the function uses holds an array, an ``nditer`` or a ``broadcast``
      object (a view of an array cached outside the function allocates nothing, but it is held);
    - a function written in Python inside NumPy was called (``as_strided``, ``broadcast_to``...).

    Plain tuples of Python or NumPy integers (``np.int64`` sizes) build nothing and pass. Knows
    nothing of any exercise; a function that switches tracing off is reported too.
    """

    def __init__(self, fn):
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", "function")
        self.__wrapped__ = fn
        self.seen: list[str] = []

    def _note(self, what: str) -> None:
        if what not in self.seen:
            self.seen.append(what)

    def _numpy_blocks(self) -> int:
        domain = self._domain
        if domain is None:
            return 0
        return sum(1 for trace in tracemalloc._get_traces() if trace[0] == domain)

    def _local(self, frame, event, arg):
        blocks = self._numpy_blocks()
        if blocks > self._blocks:
            self._note("NumPy allocated array data")
        self._blocks = blocks
        if event != "opcode":
            for name, value in list(frame.f_locals.items()):
                if isinstance(value, _ARRAY_TYPES):
                    self._note(f"the local {name!r} holds a {type(value).__name__}")
        return self._local

    def _global(self, frame, event, arg):
        filename = os.path.abspath(frame.f_code.co_filename)
        if filename.startswith(_NUMPY_DIR):
            caller = frame.f_back
            from_numpy = caller is not None and os.path.abspath(caller.f_code.co_filename).startswith(_NUMPY_DIR)
            if not from_numpy and not frame.f_code.co_name.endswith("_dispatcher"):
                module = frame.f_globals.get("__name__", "numpy")
                self._note(f"{module}.{frame.f_code.co_name} was called")
            return None
        if filename == _THIS_FILE:
            return None
        for name in frame.f_code.co_names:
            if isinstance(frame.f_globals.get(name), _ARRAY_TYPES):
                self._note(f"the global {name!r} is a {type(frame.f_globals[name]).__name__}")
        frame.f_trace_opcodes = True
        return self._local

    def __call__(self, *args, **kwargs):
        self._domain = _numpy_domain()
        started = not tracemalloc.is_tracing()
        if started:
            tracemalloc.start()
        self._blocks = self._numpy_blocks()
        previous = sys.gettrace()
        sys.settrace(self._global)
        try:
            return self.fn(*args, **kwargs)
        finally:
            still_on = sys.gettrace() == self._global
            sys.settrace(previous)
            if not still_on or not tracemalloc.is_tracing():
                self._note("tracing was switched off inside the function")
            elif self._numpy_blocks() > self._blocks:
                self._note("NumPy allocated array data")
            if started and tracemalloc.is_tracing():
                tracemalloc.stop()

    def report(self) -> str:
        """What was seen, in one line: ``NumPy allocated array data; the local 'a' holds a ndarray``."""
        return "; ".join(self.seen[:3]) + (f" (+{len(self.seen) - 3} more)" if len(self.seen) > 3 else "")


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
        missing = _as_not_attempted(exc, self.what)
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
        _drop_course_frames(exc)
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
        # Told to the grading guard at once, so a failure hidden later is still counted.
        sys.audit("mlgrind.guard.failed", self.what)
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
            f"{name} is {_fmt_shape(got)}, expected {_fmt_shape(expected)}: {shape_hint(got, expected)}"
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

    def close(self, name: str, actual, expected, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
        """``actual`` has ``expected``'s shape and values within ``atol + rtol * |expected|``."""
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
        rel = err / np.maximum(np.abs(want), atol)
        index = np.unravel_index(int(np.argmax(np.where(bad, rel, -1.0))), got.shape)
        index = tuple(int(i) for i in index)
        return self.fail(
            f"{name} is wrong at {int(bad.sum())} of {got.size} elements; worst at {list(index)}: "
            f"got {got[index]:.6g}, expected {want[index]:.6g} (relative error {rel[index]:.1e})"
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
            if _as_not_attempted(exc, self.what) is not None:
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

    def avoids(self, fn, *names: str) -> bool:
        """``fn``'s code does not mention any of ``names`` (e.g. ``broadcast_shapes``)."""
        self.count += 1
        used = sorted(_code_names(fn.__code__) & set(names))
        if not used:
            return True
        return self.fail(f"{fn.__name__} uses {', '.join(used)}, which this exercise rules out")

    def no_loops(self, fn) -> bool:
        """``fn`` has no Python loop or comprehension."""
        self.count += 1
        if not has_loops(fn):
            return True
        return self.fail(f"{fn.__name__} uses a Python loop; this one is meant to be loop-free")


class QuickCheck(Checker):
    """A notebook's visible checks: an exercise not attempted yet is noted in one line, not raised.

    ``passed`` is printed when every check passes (the cell goes on either way, so it cannot follow
    the block). Outside a notebook (a module's pytest run, a script) nothing may pass silently, so
    there an exercise not attempted yet fails as in a hidden test.
    """

    def __init__(self, what: str, passed: str = "The quick checks pass."):
        super().__init__(what)
        self.passed = passed

    def _notes_not_attempted(self) -> bool:
        return _in_notebook()

    def _passed(self) -> None:
        if self.passed:
            print(self.passed)
