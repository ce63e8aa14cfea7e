"""Shapes from what people type: ``9,1,3``, ``(9, 1, 3)``, ``9 x 1 x 3``; one-line messages otherwise.

Shared by the widgets' shape fields and the drills' answers.
"""

from __future__ import annotations

import re

__all__ = ["parse_shape", "parse_shapes"]

_TIMES = re.compile(r"(?<=\d)\s*[xX\u00d7*]\s*(?=\d)")  # 9 x 1 x 3, as written on paper


def parse_shape(text: str, max_dims: int | None = None) -> tuple[int, ...]:
    """A shape from what a person types: ``9,1,3``, ``(9, 1, 3)``, ``[9 1 3]``, ``9x1x3``, ``()``.

    Raises ValueError saying what is wrong with the text, in one line (also past ``max_dims`` dims).
    """
    if not isinstance(text, str):
        return tuple(_size(n) for n in text)
    body = text.strip()
    if body and body[0] in "([":
        close = ")" if body[0] == "(" else "]"
        if not body.endswith(close):
            raise ValueError(f"{body[0]!r} is never closed: add {close!r} at the end")
        body = body[1:-1]
    elif body and body[-1] in ")]":
        raise ValueError(f"{body[-1]!r} has no opening bracket")
    if any(c in body for c in "()[]"):
        raise ValueError("one shape per field, no brackets inside")
    pieces = [p.strip() for p in _TIMES.sub(",", body).split(",")]
    if pieces[-1] == "" and len(pieces) > 1:
        pieces.pop()  # a trailing comma, as in (3,)
        if pieces == [""]:
            raise ValueError("a comma, but no size")
    if pieces == [""]:
        return ()
    sizes = []
    for piece in pieces:
        if not piece:
            raise ValueError("two separators in a row: a size is missing")
        sizes += [_size(word) for word in piece.split()]
    if max_dims is not None and len(sizes) > max_dims:
        raise ValueError(f"{len(sizes)} dims; these diagrams draw at most {max_dims}")
    return tuple(sizes)


def _size(word) -> int:
    if isinstance(word, int) and not isinstance(word, bool) and word >= 0:
        return word
    text = str(word)
    if re.fullmatch(r"-\d+", text):
        raise ValueError(f"{text} is negative; sizes are 0 or more")
    if not re.fullmatch(r"\d+", text):
        raise ValueError(f"{text!r} is not a size (a whole number such as 3)")
    return int(text)


def parse_shapes(text: str, max_dims: int | None = None) -> tuple[tuple[int, ...], ...]:
    """Several shapes in one field: ``(2, 3), (3, 4)`` or ``2,3; 3,4``."""
    body = text.strip()
    if "(" in body or "[" in body:
        if body.count("(") + body.count("[") != body.count(")") + body.count("]"):
            raise ValueError("brackets do not pair up")
        groups = re.findall(r"[(\[][^()\[\]]*[)\]]", body)
        rest = re.sub(r"[(\[][^()\[\]]*[)\]]", "", body)
        if rest.replace(",", "").replace(";", "").strip():
            raise ValueError(f"{rest.strip()!r} is outside the brackets: write each shape as (2, 3)")
        return tuple(parse_shape(group, max_dims) for group in groups)
    return tuple(parse_shape(piece, max_dims) for piece in body.split(";")) if body else ()
