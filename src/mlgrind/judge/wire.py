"""Plain data over a socket: what crosses between a student's kernel and the judge, and nothing else.

A message is a JSON header and the raw bytes of its arrays. Only plain data is encoded: ``None``,
``bool``, ``int``, ``float``, ``complex``, ``str``, NumPy arrays and scalars of a numeric or bool
dtype, and tuples, lists and dicts of these. Decoding builds only those exact types (a fresh,
writable array for each array; no pickle, no object dtype, no subclass), checks every size against
the bytes that came, and turns anything else into ``Unreadable``. A value that cannot cross is
encoded as ``{"$unsupported": type name}`` and arrives as ``NotPlainData``, which names it when used.
When the sender holds such values (``hold``), it sends ``{"$held": handle, "type": type name}`` instead:
the receiver that holds nothing gets an ``Unsupported`` carrying the handle, and the sender, handed the
handle back, its own object (``held``). A handle is a number; no object ever crosses.

Arrays keep their memory layout's kind (C-ordered, Fortran-ordered, or strided), so a test's
non-contiguous input reaches the student's code non-contiguous.
"""

from __future__ import annotations

import json
import math
import socket
import struct

import numpy as np

# A message larger than this is refused: no answer in the course comes near it.
LARGEST_MESSAGE = 512 * 2**20
DEEPEST = 64
MOST_ITEMS = 1_000_000
_KINDS = "biufc"
_LENGTH = struct.Struct("!Q")


class Unreadable(ValueError):
    """A message that is not well-formed plain data."""


class Unsupported:
    """Placeholder for a value that is not plain data (encoded by its type's name), with the sender's
    handle on it when the sender holds it."""

    def __init__(self, type_name: str, handle: int | None = None):
        self.type_name = type_name
        self.handle = handle


_SCALAR_TYPES = frozenset(np.dtype(code).type for code in "?bBhHiIlLqQefdgFDG")


def _owner(x: np.ndarray) -> np.ndarray | None:
    """The array owning ``x``'s memory, when that memory is one contiguous block of plain numbers, else None.

    Arrays sent with the same owner arrive as views of one block, at the same offsets and strides:
    an alias, a view, a transposed or strided input stays one."""
    root = x
    while type(root.base) is np.ndarray:
        root = root.base
    if root.base is not None or root.dtype.hasobject or not (root.flags.c_contiguous or root.flags.f_contiguous):
        return None
    return root


def _address(x: np.ndarray) -> int:
    return x.__array_interface__["data"][0]


def _layout(x: np.ndarray) -> str:
    if x.flags.c_contiguous:
        return "C"
    if x.flags.f_contiguous:
        return "F"
    return "strided"


def encode(value, callbacks=None, hold=None) -> tuple[bytes, list[bytes]]:
    """``(header, buffers)`` for ``value``. A value that is not plain data becomes ``{"$held": n, ...}``
    when ``hold`` is given and ``hold(value)`` returns a number ``n`` (its handle on it), else a callable
    becomes ``{"$callback": n}`` when ``callbacks`` (a list) is given, which then holds it at index ``n``."""
    buffers: list[bytes] = []
    items = 0
    roots: dict[int, int] = {}  # id of an array owning memory -> its buffer
    kept: list = []  # the owners, alive until encoding ends (their ids stay theirs)

    def enc(v, depth):
        nonlocal items
        items += 1
        if items > MOST_ITEMS:
            raise _TooMany
        if depth > DEEPEST:
            return {"$unsupported": "value nested too deep"}
        t = type(v)
        if v is None or t is bool or t is str:
            return v
        if t is int:
            return v if abs(v) < 2**63 else {"$int": str(v)}
        if t is float:
            return v if math.isfinite(v) else {"$float": repr(v)}
        if t is complex:
            return {"$complex": [repr(v.real), repr(v.imag)]}
        if t is tuple:
            return {"$tuple": [enc(x, depth + 1) for x in v]}
        if t is list:
            return [enc(x, depth + 1) for x in v]
        if t is dict:
            return {"$dict": [[enc(k, depth + 1), enc(x, depth + 1)] for k, x in v.items()]}
        if t is np.ndarray and v.dtype.kind in _KINDS and v.dtype.fields is None:
            root = _owner(v)
            if root is None:
                buffers.append(np.ascontiguousarray(v).tobytes())
                return {"$array": len(buffers) - 1, "dtype": v.dtype.str, "shape": list(v.shape), "layout": _layout(v)}
            if id(root) not in roots:
                buffers.append(root.tobytes(order="A"))
                roots[id(root)] = len(buffers) - 1
                kept.append(root)
            return {"$view": roots[id(root)], "dtype": v.dtype.str, "shape": list(v.shape), "strides": list(v.strides),
                    "offset": _address(v) - _address(root)}
        if t in _SCALAR_TYPES:
            buffers.append(np.array(v).tobytes())
            return {"$scalar": len(buffers) - 1, "dtype": np.dtype(t).str}
        if hold is not None:
            handle = hold(v)
            if handle is not None:
                return {"$held": handle, "type": _type_name(v)}
        if callbacks is not None and callable(v):
            callbacks.append(v)
            return {"$callback": len(callbacks) - 1}
        return {"$unsupported": _type_name(v)}

    try:
        tree = enc(value, 0)
    except _TooMany:
        tree, buffers = {"$unsupported": f"value of over {MOST_ITEMS} items"}, []
    return json.dumps(tree, allow_nan=False, separators=(",", ":")).encode(), buffers


class _TooMany(Exception):
    pass


def _type_name(v) -> str:
    t = type(v)
    if isinstance(v, np.ndarray):
        return f"{t.__name__} of dtype {v.dtype}" if t is np.ndarray else t.__name__
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def decode(header: bytes, buffers: list[bytes], callback=None, held=None):
    """The value ``encode`` encoded; ``callback(n)`` makes the stand-in for ``{"$callback": n}``, ``held(n)``
    the object for ``{"$held": n}`` (without it, an ``Unsupported`` carrying ``n``)."""
    try:
        tree = json.loads(header)
    except (ValueError, RecursionError) as exc:
        raise Unreadable(f"not JSON: {exc}") from None
    used: set[int] = set()
    blocks: dict[int, np.ndarray] = {}

    def buffer(n) -> bytes:
        if type(n) is not int or not 0 <= n < len(buffers) or n in used:
            raise Unreadable("bad buffer reference")
        used.add(n)
        return buffers[n]

    def block(n) -> np.ndarray:
        """One memory block, shared by every view that names it (a fresh, writable copy of its bytes)."""
        if n not in blocks:
            blocks[n] = np.frombuffer(buffer(n), dtype=np.uint8).copy()
        return blocks[n]

    def dtype_of(text) -> np.dtype:
        if type(text) is not str or len(text) > 8:
            raise Unreadable("bad dtype")
        try:
            dtype = np.dtype(text)
        except TypeError:
            raise Unreadable(f"bad dtype {text!r}") from None
        if dtype.kind not in _KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise Unreadable(f"dtype {text!r} is not numeric or bool")
        return dtype

    def dec(v, depth):
        if depth > DEEPEST:
            raise Unreadable("nested too deep")
        t = type(v)
        if v is None or t in (bool, int, float, str):
            return v
        if t is list:
            return [dec(x, depth + 1) for x in v]
        if t is not dict or len(v) == 0:
            raise Unreadable(f"unexpected {t.__name__}")
        if "$tuple" in v and type(v["$tuple"]) is list:
            return tuple(dec(x, depth + 1) for x in v["$tuple"])
        if "$dict" in v and type(v["$dict"]) is list:
            out = {}
            for pair in v["$dict"]:
                if type(pair) is not list or len(pair) != 2:
                    raise Unreadable("bad dict item")
                key = dec(pair[0], depth + 1)
                try:
                    out[key] = dec(pair[1], depth + 1)
                except TypeError:
                    raise Unreadable("unhashable dict key") from None
            return out
        if "$array" in v:
            dtype = dtype_of(v.get("dtype"))
            shape = v.get("shape")
            if type(shape) is not list or len(shape) > 32 or any(type(n) is not int or n < 0 for n in shape):
                raise Unreadable("bad shape")
            data = buffer(v["$array"])
            if math.prod(shape) * dtype.itemsize != len(data):
                raise Unreadable("array size does not match its bytes")
            x = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
            layout = v.get("layout")
            if layout == "F":
                return np.asfortranarray(x)
            if layout == "strided" and x.size > 1:
                spaced = np.zeros(x.shape + (2,), dtype=x.dtype)
                spaced[..., 0] = x
                return spaced[..., 0]
            return x
        if "$view" in v:
            dtype = dtype_of(v.get("dtype"))
            shape, strides, offset = v.get("shape"), v.get("strides"), v.get("offset")
            if (type(shape) is not list or type(strides) is not list or len(shape) != len(strides) or len(shape) > 32
                    or any(type(n) is not int or n < 0 for n in shape) or any(type(n) is not int for n in strides)
                    or type(offset) is not int or offset < 0):
                raise Unreadable("bad view")
            try:  # NumPy refuses a view reaching outside its block
                return np.ndarray(tuple(shape), dtype, buffer=block(v["$view"]), offset=offset, strides=tuple(strides))
            except (ValueError, TypeError) as exc:
                raise Unreadable(f"bad view: {exc}") from None
        if "$scalar" in v:
            dtype = dtype_of(v.get("dtype"))
            data = buffer(v["$scalar"])
            if len(data) != dtype.itemsize:
                raise Unreadable("scalar size does not match its bytes")
            return np.frombuffer(data, dtype=dtype)[0].copy()
        if "$int" in v and type(v["$int"]) is str and len(v["$int"]) < 5000:
            try:
                return int(v["$int"])
            except ValueError:
                raise Unreadable("bad int") from None
        if "$float" in v and v["$float"] in ("nan", "inf", "-inf"):
            return float(v["$float"])
        if "$complex" in v and type(v["$complex"]) is list and len(v["$complex"]) == 2:
            try:
                return complex(float(v["$complex"][0]), float(v["$complex"][1]))
            except (TypeError, ValueError):
                raise Unreadable("bad complex") from None
        if "$callback" in v and callback is not None and type(v["$callback"]) is int:
            return callback(v["$callback"])
        if "$held" in v and type(v["$held"]) is int:
            if held is not None:
                return held(v["$held"])
            type_name = v.get("type")
            return Unsupported(type_name[:200] if type(type_name) is str else "value", v["$held"])
        if "$unsupported" in v and type(v["$unsupported"]) is str:
            return Unsupported(v["$unsupported"][:200])
        raise Unreadable("unknown tag")

    return dec(tree, 0)


# --- framing ---------------------------------------------------------------------------------------

def send(sock: socket.socket, header: bytes, buffers: list[bytes]) -> None:
    """One message: the header's length and bytes, the number of buffers, then each buffer's length and bytes."""
    parts = [_LENGTH.pack(len(header)), header, _LENGTH.pack(len(buffers))]
    for data in buffers:
        parts += [_LENGTH.pack(len(data)), data]
    sock.sendall(b"".join(parts))


def _exactly(sock: socket.socket, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(sock: socket.socket) -> tuple[bytes, list[bytes]]:
    """The next message, refused (``Unreadable``) past ``LARGEST_MESSAGE`` bytes in all."""
    total = 0

    def sized() -> bytes:
        nonlocal total
        (n,) = _LENGTH.unpack(_exactly(sock, _LENGTH.size))
        total += n
        if total > LARGEST_MESSAGE:
            raise Unreadable(f"a message over {LARGEST_MESSAGE // 2**20} MiB")
        return _exactly(sock, n)

    header = sized()
    (count,) = _LENGTH.unpack(_exactly(sock, _LENGTH.size))
    if count > 100_000:
        raise Unreadable("too many buffers")
    return header, [sized() for _ in range(count)]
