"""The student's side of the judge's line: runs in the student's kernel and answers the judge's requests.

``serve(path)`` listens on a Unix socket at ``path`` and serves one connection, the judge's, in a
thread: it lists the names the student's cells defined, sends their values when they are plain data,
and calls the student's functions with the judge's arguments. A callable among the arguments is a
stand-in that asks the judge to call its own function and waits for the answer. What a call prints
goes back with its result, stdout and stderr apart (the first ``PRINTED`` characters of each).
A value that is not plain data (a forward pass's cache that is a namedtuple or an object) stays here,
held under a handle the judge gets instead; handed that handle back (a cache passed to its backward), a
call gets the object itself. The judge says which handles it dropped, so what is held stays what the
judge still holds, and never more than ``MOST_HELD``.

All of this runs inside the student's interpreter, so nothing here is trusted: the judge reads only
plain data from it, checks every value on arrival, and never sends it a hidden test, an expected
value or a seed.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import socket
import threading
import types

import numpy as np

from . import wire

PRINTED = 4000
MOST_HELD = 10_000
# Names of IPython's own, never the student's answers.
IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "open"})


def _namespace() -> dict:
    import __main__

    return __main__.__dict__


class _Bounded(io.StringIO):
    def write(self, text):
        room = PRINTED - self.tell()
        return super().write(text[:max(room, 0)]) if room > 0 else len(text)


def kind(value) -> str:
    """How the judge sees a value: a ``module`` (not sent), a ``function`` (called, never sent), or ``data``."""
    if isinstance(value, types.ModuleType):
        return "module"
    if callable(value):
        return "function"
    return "data"


def _root(x: np.ndarray) -> np.ndarray:
    """The array owning ``x``'s memory: its bases followed through views, and through the holders some
    views keep in between (``as_strided`` keeps one whose ``base`` is the array, a buffer view its ``obj``)."""
    holder = x.base
    for _ in range(64):  # a chain of views is short; a holder naming itself must not hang the call
        if holder is None:
            break
        if type(holder) is np.ndarray:
            x = holder
        holder = getattr(holder, "base", None) if not isinstance(holder, memoryview) else holder.obj
    return x


class _Line:
    def __init__(self, conn: socket.socket):
        self.conn = conn
        self.held: dict[int, object] = {}  # handle -> an object the judge has a handle on
        self.handles = itertools.count()

    def hold(self, value) -> int | None:
        """A new handle on ``value`` for the judge; None (it arrives unreadable) past ``MOST_HELD``."""
        if len(self.held) >= MOST_HELD:
            return None
        handle = next(self.handles)
        self.held[handle] = value
        return handle

    def _object(self, handle: int):
        return self.held[handle] if handle in self.held else _Lost()

    def send(self, message: dict, value=None) -> None:
        header, buffers = wire.encode({**message, "value": value}, hold=self.hold)
        wire.send(self.conn, header, buffers)

    def receive(self) -> dict:
        header, buffers = wire.receive(self.conn)
        message = wire.decode(header, buffers, callback=self._stand_in, held=self._object)
        if type(message) is not dict:
            raise wire.Unreadable("not a message")
        return message

    def _stand_in(self, number: int):
        line = self

        def judge_function(*args, **kwargs):
            line.send({"op": "callback", "id": number}, (args, kwargs))
            while True:
                message = line.receive()
                if message.get("op") == "result":
                    return message.get("value")
                if message.get("op") == "error":
                    raise _judge_error(message)
                line.answer(message)  # the judge's function called back into the student's code

        judge_function.__name__ = f"judge_function_{number}"
        return judge_function

    def serve(self) -> None:
        while True:
            try:
                request = self.receive()
            except (ConnectionError, OSError):
                return
            self.answer(request)

    def answer(self, request: dict) -> None:
        op = request.get("op")
        space = _namespace()
        released = request.get("release")
        for handle in released if type(released) is list else []:
            if type(handle) is int:
                self.held.pop(handle, None)
        try:
            if op == "names":
                names = {name: kind(value) for name, value in list(space.items())
                         if isinstance(name, str) and not name.startswith("_") and name not in IPYTHON_NAMES}
                self.send({"op": "result"}, names)
            elif op == "get":
                self.send({"op": "result"}, space.get(request["value"]))
            elif op == "call":
                target, args, kwargs = request["value"]
                fn = space[target] if type(target) is str else self.held[target]
                printed, warned = _Bounded(), _Bounded()
                sent = [(path, x, x.shape, x.tobytes()) for path, x in _arrays((args, kwargs))]
                with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(warned):
                    result = fn(*args, **kwargs)
                changed = [path for path, x, shape, data in sent if x.shape != shape or x.tobytes() != data]
                inputs = {id(_root(x)) for _, x, _, _ in sent}
                shared = [path.replace("argument 1", "result", 1) for path, x in _arrays(((result,), {}))
                          if id(_root(x)) in inputs]
                self.send({"op": "result", "printed": printed.getvalue(), "warned": warned.getvalue(),
                           "changed": changed, "shared": shared}, result)
            elif op == "pin":
                value = space[request["value"]]
                handle = self.hold(value)
                if handle is None:
                    raise MemoryError(f"the judge holds over {MOST_HELD} of the student's values")
                self.send({"op": "result"}, (handle, kind(value)))
            elif op == "bind":
                name, value = request["value"]
                space[name] = value
                self.send({"op": "result"})
            elif op == "bind_pinned":
                name, handle = request["value"]
                space[name] = self.held[handle]
                self.send({"op": "result"})
            elif op == "unbind":
                space.pop(request["value"], None)
                self.send({"op": "result"})
            else:
                self.send({"op": "error", "type": "ValueError", "message": f"unknown request {op!r}"})
        except (ConnectionError, BrokenPipeError):
            raise
        except BaseException as exc:  # noqa: BLE001 - every failure of student code goes back as data
            self.send({"op": "error", **describe(exc)})


class _Lost:
    """What a handle the judge no longer holds names (the judge never sends one): any use says so."""

    def __getattr__(self, name):
        raise LookupError("the judge handed back a value it no longer holds")


def _arrays(call, path: str = ""):
    """Every array among a call's ``(args, kwargs)``, with where it is (``argument 1``, ``params['w1']``)."""
    args, kwargs = call
    todo = [(f"argument {i + 1}", a) for i, a in enumerate(args)] + [(f"argument {k!r}", v) for k, v in kwargs.items()]
    while todo:
        path, value = todo.pop()
        if type(value) is np.ndarray:
            yield path, value
        elif type(value) in (list, tuple):
            todo += [(f"{path}[{i}]", v) for i, v in enumerate(value)]
        elif type(value) is dict:
            todo += [(f"{path}[{k!r}]", v) for k, v in value.items()]


def describe(exc: BaseException) -> dict:
    """An exception as data: its type's name, its message, whether it had arguments, and the function it
    was raised in (a stub's bare ``NotImplementedError`` names the exercise not attempted yet)."""
    try:
        message = str(exc)[:2000]
    except BaseException:  # noqa: BLE001 - a message that cannot be read is no message
        message = "(its message could not be read)"
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return {"type": str(type(exc).__name__)[:100], "message": message, "bare": not exc.args,
            "where": tb.tb_frame.f_code.co_name if tb is not None else ""}


def _judge_error(answer: dict) -> Exception:
    return RuntimeError(f"{answer.get('type')}: {answer.get('message')}")


def serve(path: str) -> None:
    """Listen at ``path`` (a new Unix socket, owner-only) and serve the judge's connection in a thread."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(old)
    listener.listen(1)

    def run() -> None:
        while True:
            conn, _ = listener.accept()
            with conn:
                _Line(conn).serve()

    threading.Thread(target=run, name="mlgrind-judge-line", daemon=True).start()
