"""The judge's side: the student's names as proxies and plain data, in a process that runs no student code.

``connect(path, solution_sources)`` is run by the grader in the judge's kernel before its first cell.
Before each cell the judge runs, ``sync`` brings the names the student's cells defined into the
judge's namespace: a function as a ``StudentFunction`` (calling it sends the arguments to the
student's kernel and brings the result back), plain data as a fresh copy, anything else as a
``NotPlainData`` that names itself when a test uses it. A name the judge's own cells defined (the
course's imports and given data, a test's helpers) is never replaced by the student's.

A ``NotPlainData`` carries the student's kernel's handle on its value: handed to a student function
(anywhere in its arguments, as a forward's cache is handed to its backward), the handle crosses and the
student's code gets its own object back. A handle is good only on the line it came on: after the
student's kernel restarted, handing it back is a ``StaleValue`` error. A placeholder the judge drops is
released there with its next request.
"""

from __future__ import annotations

import builtins
import socket
import sys
from collections.abc import MutableMapping

import numpy as np

from . import peak, wire
from .source import SolutionSource
from .student_side import IPYTHON_NAMES

_line = None
_source: SolutionSource | None = None
_theirs: dict = {}  # name -> the value the student's name was brought in as (rebound by a judge's cell: no longer theirs)


_MISSING = object()


class LineBroken(RuntimeError):
    """The student's kernel stopped answering (it died, or a call was interrupted)."""


class StaleValue(RuntimeError):
    """A student's value held by a kernel that has since restarted, handed back to the new one."""


class StudentError(Exception):
    """An exception of a type the judge does not know, raised by the student's code."""

    def __init__(self, type_name: str, message: str):
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name


class NotPlainData:
    """Stands for a student's value that is not plain data: any use says so, naming the value. Handed back to
    a student function, it is the student's own value there (when its kernel holds it: ``handle``)."""

    def __init__(self, what: str, type_name: str, handle: int | None = None):
        object.__setattr__(self, "_message", f"{what} is a {type_name}, which grading cannot read: "
                           "use numbers, strings, None, NumPy arrays, and tuples, lists or dicts of these")
        object.__setattr__(self, "_what", what)
        object.__setattr__(self, "_held", (_line, handle) if handle is not None and _line is not None else None)

    def _refuse(self, *args, **kwargs):
        raise TypeError(object.__getattribute__(self, "_message"))

    def _handle(self) -> int:
        """The student's kernel's handle on this value, for handing it back; raises when there is none."""
        held = object.__getattribute__(self, "_held")
        if held is None:
            self._refuse()
        if held[0] is not _line:
            raise StaleValue(f"{object.__getattribute__(self, '_what')} was made before the student's kernel "
                             "restarted, which holds it no longer: call again for a new one")
        return held[1]

    def __del__(self):
        held = self.__dict__.get("_held")
        if held is not None:
            held[0].released.append(held[1])

    __getattr__ = __call__ = __len__ = __iter__ = __getitem__ = __bool__ = __eq__ = _refuse
    __array__ = __float__ = __int__ = __index__ = __lt__ = __le__ = __gt__ = __ge__ = __ne__ = _refuse
    __hash__ = None

    def __repr__(self):
        return f"<{object.__getattribute__(self, '_message').split(',')[0]}>"


def _exception(answer: dict, name: str) -> BaseException:
    """The judge's own exception for a student's, from its data: a builtin or NumPy type by name, else ``StudentError``."""
    from ..checks.not_attempted import NotAttempted

    type_name = answer.get("type") if type(answer.get("type")) is str else "Exception"
    message = answer.get("message") if type(answer.get("message")) is str else ""
    if type_name == "NotImplementedError" and answer.get("bare") is True:
        where = answer.get("where") if type(answer.get("where")) is str else ""
        if where and not where.startswith("<"):
            return NotAttempted(where, "write it in its cell above (delete the raise)",
                                "its cell still raises NotImplementedError")
        return NotAttempted(name, "write your answers in place of the raise in its cell",
                            "its cell still raises NotImplementedError")
    if type_name == "NotAttempted":
        return NotAttempted(name, "write it in its cell above", message or "not attempted yet")
    known = getattr(builtins, type_name, None)
    if type_name == "LinAlgError":
        known = np.linalg.LinAlgError
    if isinstance(known, type) and issubclass(known, Exception) and known.__module__ == "builtins":
        try:
            return known(message)
        except Exception:  # noqa: BLE001 - an exception type that takes other arguments
            pass
    return StudentError(type_name, message)


class _Line:
    """The judge's connection to the student's kernel: requests, answers, and callbacks in between."""

    def __init__(self, sock: socket.socket, meter=None):
        self.sock = sock
        self.meter = meter  # where the grader said the student's kernel's memory is read (``peak``), or None
        self.peak: int | None = None  # the most bytes the student's kernel held in the last call, beyond before
        self.broken = ""
        self.calling = False
        self.changed: list[str] = []  # the arguments the last call changed in place, in the student's kernel
        self.shared: list[str] = []  # the parts of its result that were (views of) its arguments there
        self.callbacks: list = []  # every judge function handed to the student, by number, for the whole run
        self.released: list[int] = []  # handles on the student's values the judge dropped since its last request

    def request(self, op: str, value=None, name: str = ""):
        if self.broken:
            raise LineBroken(self.broken)
        released = self.released[:]
        header, buffers = wire.encode({"op": op, "value": value, "release": released}, self.callbacks,
                                      hold=_handed_back)
        del self.released[:len(released)]  # a placeholder dropped meanwhile is added after these
        outermost = op == "call" and not self.calling  # a call from a callback is part of the outer one
        self.peak, before = None, self._memory("start") if outermost else None
        self.calling |= outermost
        try:
            wire.send(self.sock, header, buffers)
            while True:
                answer = self._receive(name)
                if answer.get("op") == "callback":
                    self._call_back(answer)
                    continue
                if answer.get("op") == "error":
                    raise _exception(answer, name)
                if answer.get("op") != "result":
                    raise wire.Unreadable("not an answer")
                for key, stream in (("printed", sys.stdout), ("warned", sys.stderr)):
                    text = answer.get(key)
                    if type(text) is str and text:  # as the student's code wrote it: stderr stays stderr
                        print(text, end="" if text.endswith("\n") else "\n", file=stream)
                self.changed, self.shared = _strings(answer.get("changed")), _strings(answer.get("shared"))
                after = self._memory("peak") if before is not None else None
                self.peak = max(after - before, 0) if after is not None else None
                return answer.get("value")
        except (OSError, ConnectionError, KeyboardInterrupt) as exc:
            self.broken = ("the student's kernel stopped answering"
                           + (" (the call was interrupted at its time limit)" if isinstance(exc, KeyboardInterrupt) else ""))
            raise LineBroken(self.broken) from None
        finally:
            self.calling &= not outermost

    def _memory(self, what: str) -> int | None:
        """The meter's ``start`` (forget the peak; bytes held now) or ``peak``; None if it cannot be read."""
        try:
            return getattr(self.meter, what)() if self.meter is not None else None
        except (OSError, ValueError):
            return None

    def _receive(self, name: str) -> dict:
        header, buffers = wire.receive(self.sock)
        message = wire.decode(header, buffers)
        if type(message) is not dict:
            raise wire.Unreadable("not a message")
        return message

    def _call_back(self, answer: dict) -> None:
        callbacks = self.callbacks
        number = answer.get("id")
        if type(number) is not int or not 0 <= number < len(callbacks):
            self._send({"op": "error", "type": "ValueError", "message": "no such callback"})
            return
        call = answer.get("value")
        if type(call) is not tuple or len(call) != 2 or type(call[0]) is not tuple or type(call[1]) is not dict:
            self._send({"op": "error", "type": "TypeError", "message": "bad callback arguments"})
            return
        try:
            result = callbacks[number](*call[0], **{str(k): v for k, v in call[1].items()})
            header, buffers = wire.encode({"op": "result", "value": result}, self.callbacks, hold=_handed_back)
        except Exception as exc:  # noqa: BLE001 - the judge's function refused the student's arguments
            self._send({"op": "error", "type": type(exc).__name__, "message": str(exc)})
            return
        wire.send(self.sock, header, buffers)

    def _send(self, message: dict) -> None:
        header, buffers = wire.encode(message, self.callbacks)
        wire.send(self.sock, header, buffers)


def _strings(value) -> list[str]:
    return [v for v in value if type(v) is str] if type(value) is list else []


class StudentFunction:
    """A function the student's cells defined: calling it calls it in the student's kernel, with copies.

    Called by name (whatever the name is bound to when called), or, when ``handle`` is given, the very
    object the name was bound to when the judge asked (``StudentNamespace``)."""

    def __init__(self, name: str, handle: int | None = None):
        self.__name__ = self.__qualname__ = name
        self.handle = handle
        self._line = _line
        self.changed_inputs: list[str] = []
        self.shared_inputs: list[str] = []
        self.peak_bytes: int | None = None

    def __call__(self, *args, **kwargs):
        """The student's function's result for copies of the arguments. ``changed_inputs`` then names the
        arguments it changed in place there, ``shared_inputs`` the parts of the result that were its
        arguments or views of them (the judge's own arrays never change), ``peak_bytes`` the most memory
        the student's kernel held during the call beyond what it held before (the arguments' copies
        there included; None where it cannot be measured), ``peak_trusted`` whether no student code
        could have lowered that reading (``judge.peak``)."""
        self.changed_inputs, self.shared_inputs, self.peak_bytes = [], [], None
        target = self.__name__ if self.handle is None else self.pinned()
        value = _line.request("call", (target, args, kwargs), name=self.__name__)
        self.changed_inputs, self.shared_inputs = list(_line.changed), list(_line.shared)
        self.peak_bytes = _line.peak
        return _arrived(value, f"{self.__name__}(...)'s result")

    def pinned(self) -> int:
        """The student's kernel's handle on the very function this stands for."""
        if self._line is not _line:
            raise StaleValue(f"{self.__name__} was read before the student's kernel restarted, "
                             "which holds it no longer: read it again")
        return self.handle

    def __del__(self):
        if self.handle is not None and self._line is not None:
            self._line.released.append(self.handle)

    @property
    def peak_trusted(self) -> bool:
        return bool(getattr(_line.meter, "trusted", False)) if _line is not None else False

    @property
    def __globals__(self):
        """The student's namespace, where this function looks names up (a test swaps helpers there)."""
        return StudentNamespace()

    @property
    def __mlgrind_source__(self):
        return _source.function(self.__name__) if _source is not None else None

    def __repr__(self):
        return f"<student function {self.__name__}>"


class StudentNamespace(MutableMapping):
    """The student's namespace seen from the judge: reading a name pins what it is bound to now, binding
    one puts a judge's function (called back from the student's code) or plain data there."""

    def __getitem__(self, name):
        if type(name) is not str or name not in self._names():
            raise KeyError(name)
        handle, kind = _line.request("pin", name, name=name)
        if kind == "function":
            return StudentFunction(name, handle)
        _line.released.append(handle)
        return _arrived(_line.request("get", name, name=name), name)

    def __setitem__(self, name, value):
        if isinstance(value, StudentFunction) and value.handle is not None:
            _line.request("bind_pinned", (name, value.pinned()), name=name)
        else:
            _line.request("bind", (name, value), name=name)

    def __delitem__(self, name):
        if name not in self._names():
            raise KeyError(name)
        _line.request("unbind", name, name=name)

    def _names(self) -> dict:
        names = _line.request("names")
        return names if type(names) is dict else {}

    def __iter__(self):
        return iter(list(self._names()))

    def __len__(self):
        return len(self._names())


def _handed_back(value) -> int | None:
    """The student's kernel's handle on the value a ``NotPlainData`` stands for, which crosses in its place
    (refused, naming the value, when there is none); None for anything else."""
    return value._handle() if type(value) is NotPlainData else None


def _arrived(value, what: str):
    """``value`` with every ``wire.Unsupported`` in it replaced by a ``NotPlainData`` naming where it is."""
    if isinstance(value, wire.Unsupported):
        return NotPlainData(what, value.type_name, value.handle)
    if type(value) is list:
        return [_arrived(v, f"{what}[{i}]") for i, v in enumerate(value)]
    if type(value) is tuple:
        return tuple(_arrived(v, f"{what}[{i}]") for i, v in enumerate(value))
    if type(value) is dict:
        return {k: _arrived(v, f"{what}[{k!r}]") for k, v in value.items()}
    return value


def connect(path: str, solution_sources: list[str], timeout: float = 60, meter: dict | None = None) -> None:
    """Connect to the student's kernel listening at ``path``; ``solution_sources`` are the solution cells' code,
    ``meter`` where the grader said that kernel's memory is read (``peak.meter``)."""
    global _line, _source
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(path)
    sock.settimeout(None)
    _line = _Line(sock, peak.meter(meter))
    _source = SolutionSource(solution_sources)
    _theirs.clear()


def healthy() -> bool:
    """Whether the student's kernel still answers the judge (no call died or was interrupted)."""
    return _line is not None and not _line.broken


def sync(namespace: dict) -> None:
    """Bring the student's names into ``namespace``, never replacing one the judge's own cells defined."""
    if _line is None or _line.broken:
        return
    names = _line.request("names")
    if type(names) is not dict:
        raise wire.Unreadable("names are not a dict")
    for name, brought in list(_theirs.items()):
        if namespace.get(name, _MISSING) is not brought:
            del _theirs[name]  # a judge's cell bound the name since: it is the judge's own now
        elif name not in names:
            del namespace[name]
            del _theirs[name]
    for name, kind in names.items():
        if type(name) is not str or not name.isidentifier() or name.startswith("_") or name in IPYTHON_NAMES:
            continue
        if name in namespace and name not in _theirs:
            continue  # the course's or a test's own: the student's value never replaces it
        if kind == "function":
            namespace[name] = StudentFunction(name)
        elif kind == "data":
            namespace[name] = _arrived(_line.request("get", name, name=name), name)
        else:
            continue
        _theirs[name] = namespace[name]
