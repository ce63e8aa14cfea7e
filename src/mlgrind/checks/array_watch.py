"""``ArrayWatch``: whether a function meant to work "by hand" built or used a NumPy array."""

from __future__ import annotations

import os
import sys
import tracemalloc
from collections import Counter

import numpy as np


_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
# The checks' own code, called from inside a watched function, is not watched.
_CHECKS_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
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
        if filename.startswith(_CHECKS_DIR):
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
