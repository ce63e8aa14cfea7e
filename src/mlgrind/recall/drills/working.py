"""A shape question worked out step by step: each operation of its expression, why, and the shape after it.

The expression is read as Python (``ast``) and walked innermost first; NumPy gives the shape after
each step (the step run on empty arrays), and the words say why: the element count and the ``-1``
worked out for a reshape, the axes a transpose moves, the columns of a broadcast, where M and N of a
matmul come from, which letters an einsum keeps. The first step NumPy refuses ends the working,
with the sizes that clash::

    >>> print(working("x.reshape(2, -1).T", {"x": (2, 3, 4)}))
    x is (2, 3, 4): 2·3·4 = 24 elements
    x.reshape(2, -1): -1 = 24 / 2 = 12 -> (2, 12)
    .T: the axes in reverse order, (2, 12) read backwards -> (12, 2)
    result (12, 2)
"""

from __future__ import annotations

import ast
import math

__all__ = ["working"]


class _Refused(Exception):
    """NumPy refused a step; the message says why in the learner's terms, ``label`` which step it was."""

    label = ""


def _product(shape: tuple) -> str:
    return "·".join(map(str, shape)) if len(shape) > 1 else str(shape[0]) if shape else "1"


def _run(code: str, arrays: dict):
    import numpy as np

    space = {"np": np, "__builtins__": {"__import__": __import__}}
    with np.errstate(all="ignore"):
        return eval(code, space, arrays)  # noqa: S307 - our own generated expression, on empty arrays


def _literal(node: ast.AST):
    return ast.literal_eval(node)


class _Walk:
    def __init__(self, shapes: dict):
        import numpy as np

        self.arrays = {name: np.empty(shape) for name, shape in shapes.items()}
        self.lines = [f"{name} is {tuple(shape)}: {_product(tuple(shape))} = {math.prod(shape)} elements"
                      if len(shape) > 1 else f"{name} is {tuple(shape)}" for name, shape in shapes.items()]

    def shape(self, node: ast.AST) -> tuple:
        """The shape of ``node``'s value, its steps written down first; _Refused where NumPy refuses."""
        import numpy as np

        if isinstance(node, ast.Name):
            return self.arrays[node.id].shape
        if isinstance(node, ast.Constant) or isinstance(node, ast.UnaryOp):
            return ()
        try:
            why = self.step(node)
        except _Refused as refused:
            refused.label = refused.label or self.label(node)
            raise
        try:
            result = tuple(np.shape(_run(ast.unparse(node), self.arrays)))
        except (ValueError, TypeError, IndexError, np.exceptions.AxisError) as error:
            refused = _Refused(str(error))
            refused.label = self.label(node)
            raise refused from None
        self.lines += _step_lines(self.label(node), why, f" -> {result}")
        return result

    @staticmethod
    def label(node: ast.AST) -> str:
        """A method call or index on a chain is labelled by its own part (``.T``), the first by the whole."""
        inner = node.func.value if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else \
            node.value if isinstance(node, (ast.Attribute, ast.Subscript)) else None
        text = ast.unparse(node)
        if inner is not None and not isinstance(inner, ast.Name) and not (
                isinstance(inner, ast.Attribute) and ast.unparse(inner) == "np"):
            first = ast.unparse(inner)
            return text[len(first) + 2:] if text.startswith(f"({first})") else text[len(first):]
        return text

    def step(self, node: ast.AST) -> str:
        """Why ``node`` gives its shape, its operands' steps written down first."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            return _matmul(self.shape(node.left), self.shape(node.right))
        if isinstance(node, (ast.BinOp, ast.Compare)):
            operands = [node.left, node.right] if isinstance(node, ast.BinOp) else [node.left, *node.comparators]
            return _broadcast([(ast.unparse(o), self.shape(o)) for o in operands])
        if isinstance(node, ast.Attribute) and node.attr == "T":
            before = self.shape(node.value)
            return f"the axes in reverse order, {before} read backwards"
        if isinstance(node, ast.Subscript):
            return _index(self.shape(node.value), node.slice)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner, name = node.func.value, node.func.attr
            if ast.unparse(owner) == "np":
                return self.numpy_call(name, node)
            args = [self.value(a) for a in node.args]
            return _method(name, self.shape(owner), args, {k.arg: self.value(k.value) for k in node.keywords})
        return ""

    def value(self, node: ast.AST):
        """A method's argument: a literal, an array's ``.shape`` (``x.reshape(x.shape)``), else its code (``np.float32``)."""
        if (isinstance(node, ast.Attribute) and node.attr == "shape" and isinstance(node.value, ast.Name)
                and node.value.id in self.arrays):
            return self.arrays[node.value.id].shape
        try:
            return _literal(node)
        except ValueError:
            return ast.unparse(node)

    def numpy_call(self, name: str, node: ast.Call) -> str:
        if name == "arange":
            return f"{_literal(node.args[0])} numbers in a row"
        if name == "einsum":
            spec = _literal(node.args[0])
            return _einsum(spec, [self.shape(a) for a in node.args[1:]])
        if name == "where":
            shapes = [(ast.unparse(a), self.shape(a)) for a in node.args]
            return "the condition and both choices broadcast together; " + _broadcast(shapes)
        if name == "concatenate":
            parts = [(ast.unparse(a), self.shape(a)) for a in node.args[0].elts]
            axis = next(_literal(k.value) for k in node.keywords if k.arg == "axis")
            return _concatenate(parts, axis)
        if name == "maximum":
            shapes = [(ast.unparse(a), self.shape(a)) for a in node.args]
            return "the larger of each pair, elementwise; " + _broadcast(shapes)
        if name == "isfinite":
            return f"one True/False per element (not inf, not nan): the shape of {ast.unparse(node.args[0])}, " \
                   f"{self.shape(node.args[0])}"
        if name == "argsort":
            shape, axis = self.shape(node.args[0]), _axis(node, 1)
            return f"sorts along axis {axis} (size {shape[axis]}): the same shape, each entry an index, smallest first"
        return ""


def _axis(node: ast.Call, position: int):
    """A NumPy call's ``axis``, by keyword or in its ``position``-th argument (None when not given)."""
    given = [k.value for k in node.keywords if k.arg == "axis"] or node.args[position:position + 1]
    return _literal(given[0]) if given else None


def _step_lines(label: str, why: str, after: str = "") -> list[str]:
    """A step in one line when its reason is short; else its label (and shape), then each part of the reason."""
    parts = why.split("; ") if why else []
    if len(parts) <= 1:
        return [f"{label}: {why}{after}" if why else f"{label}{after}"]
    return [f"{label}{after}" if after else f"{label}:", *(f"    {part}" for part in parts)]


def _broadcast(operands: list[tuple[str, tuple]]) -> str:
    ndim = max(len(s) for _, s in operands)
    padded = [(name, (1,) * (ndim - len(s)) + s, s) for name, s in operands]
    parts = [f"{name} is a number, any shape takes it" if not s else f"{name} {s} padded on the left to {p}"
             if p != s else f"{name} {s}" for name, p, s in padded]
    columns, clash = [], None
    for axis in range(ndim):
        sizes = [p[axis] for _, p, _ in padded]
        big = sorted({n for n in sizes if n != 1})
        if len(big) > 1:
            clash = f"axis {axis}: " + " vs ".join(f"{n} ({name})" for (name, _, _), n in zip(padded, sizes)) + \
                " clash: neither is 1"
            break
        if big and 1 in sizes:
            columns.append(f"axis {axis}: 1 stretches to {big[0]}")
    text = "right-align " + ", ".join(parts) + "; " + ("; ".join(columns) if columns else "no axis stretches")
    if clash:
        raise _Refused(text.split("; ")[0] + "; " + clash)
    return text


def _matmul(a: tuple, b: tuple) -> str:
    notes = []
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if len(a) == 1:
        notes.append(f"a {a} is 1-D: a row, (1, {a[0]})")
    if len(b) == 1:
        notes.append(f"b {b} is 1-D: a column, ({b[0]}, 1)")
    if a2[-1] != b2[-2]:
        raise _Refused("; ".join(notes + [f"K must match: a's last axis is {a2[-1]}, b's "
                                          f"{'only' if len(b) == 1 else 'second-to-last'} axis is {b2[-2]}: error"]))
    m, n = a2[-2], b2[-1]
    notes.append(f"K={a2[-1]} is summed away; M={m} is a's {'added 1' if len(a) == 1 else 'second-to-last axis'}, "
                 f"N={n} is b's {'added 1' if len(b) == 1 else 'last axis'}")
    if len(a2) > 2 or len(b2) > 2:
        notes.append(f"batch dims {a2[:-2]} and {b2[:-2]} broadcast")
    if len(a) == 1 or len(b) == 1:
        notes.append("the added 1s are dropped again")
    return "; ".join(notes)


def _einsum(spec: str, shapes: list[tuple]) -> str:
    inputs, output = spec.split("->")
    sizes = {}
    for term, shape in zip(inputs.split(","), shapes):
        for letter, size in zip(term, shape):
            if 1 in (sizes.get(letter, size), size):  # a 1 stretches, as in broadcasting
                sizes[letter] = max(sizes.get(letter, size), size)
            elif sizes.setdefault(letter, size) != size:
                raise _Refused(f"'{letter}' labels sizes {sizes[letter]} and {size}: one letter is one size "
                               "(only a 1 would stretch)")
    summed = sorted(set(inputs.replace(",", "")) - set(output))
    diagonal = [f"'{term}' repeats {letter}: its diagonal" for term in inputs.split(",") for letter in dict.fromkeys(term)
                if term.count(letter) > 1]
    kept = ", ".join(f"{letter}={sizes[letter]}" for letter in output)
    return (f"the output letters '{output}' name its axes in order" + (f": {kept}" if output else ": none, a scalar")
            + (f"; {', '.join(summed)} not in the output, summed away" if summed else "")
            + "".join(f"; {d}" for d in diagonal))


def _index(shape: tuple, index: ast.AST) -> str:
    """Each part of an index, axis by axis: None adds a 1, a slice keeps the entries it counts, ... stands for the rest."""
    items = index.elts if isinstance(index, ast.Tuple) else [index]

    def is_(item, value):
        return isinstance(item, ast.Constant) and item.value is value

    used = sum(not is_(item, None) and not is_(item, Ellipsis) for item in items)
    parts, axis = [], 0
    for item in items:
        if is_(item, None):
            parts.append("None adds an axis of size 1")
        elif is_(item, Ellipsis):
            axis = len(shape) - (used - sum(not is_(i, None) and not is_(i, Ellipsis)
                                           for i in items[:items.index(item)]))
            parts.append("... keeps the axes it stands for")
        elif isinstance(item, ast.Slice):
            if axis >= len(shape):
                raise _Refused(f"{ast.unparse(item)} indexes axis {axis}, but there are {len(shape)}: error")
            bounds = [_literal(b) if b is not None else None for b in (item.lower, item.upper, item.step)]
            kept = range(*slice(*bounds).indices(shape[axis]))
            if bounds != [None, None, None]:
                shown = ", ".join(map(str, kept[:5])) + (", …" if len(kept) > 5 else "")
                parts.append(f"{ast.unparse(item)} on axis {axis} (size {shape[axis]}) keeps indices {shown}: "
                             f"{len(kept)} of them")
            axis += 1
        else:
            parts.append(f"{ast.unparse(item)} picks one entry of axis {axis}: that axis goes")
            axis += 1
    if axis < len(shape) or any(isinstance(i, ast.Slice) and ast.unparse(i) == ":" for i in items):
        parts.append("':' keeps an axis, and the axes not written keep their sizes")
    return "; ".join(parts)


def _method(name: str, shape: tuple, args: list, keywords: dict) -> str:
    size = math.prod(shape)
    if name in ("reshape", "transpose") and len(args) == 1 and isinstance(args[0], tuple):
        args = list(args[0])  # x.reshape((2, 3)) and x.reshape(2, 3) are one call
    if name == "reshape":
        if -1 in args:
            known = [a for a in args if a != -1]
            if size % math.prod(known):
                raise _Refused(f"-1 = {size} / {_product(tuple(known))} is not a whole number: error")
            return f"-1 = {size} / {_product(tuple(known))} = {size // math.prod(known)}" if known else f"-1 = {size}"
        if math.prod(args) != size:
            raise _Refused(f"{_product(tuple(args))} = {math.prod(args)} elements, but there are {size}: error")
        return f"{_product(tuple(args))} = {size} elements, as many as before"
    if name == "transpose":
        return f"axes taken in the order {tuple(args)}: sizes " + ", ".join(str(shape[a]) for a in args)
    if name == "swapaxes":
        return f"axes {args[0]} and {args[1]} of {shape} trade places"
    if name == "squeeze":
        axis = args[0]
        if shape[axis] != 1:
            raise _Refused(f".squeeze({axis}) removes axis {axis} only if it is 1; it is {shape[axis]}: error")
        return f"axis {axis} is 1: removed"
    if name in _REDUCTIONS:
        axis = args[0] if args else keywords.get("axis")
        if axis is None:
            return f"{_REDUCTIONS[name]} all {size} elements: one value, shape ()"
        keep = keywords.get("keepdims", False)
        return f"{_REDUCTIONS[name]} axis {axis} (size {shape[axis]}), " + ("kept as a 1" if keep else "removed")
    if name == "astype":
        return "the same numbers in another type: the same shape"
    if name == "ravel":
        return f"all {size} elements in one row"
    return ""


_REDUCTIONS = {"mean": "averaged over", "sum": "summed over", "max": "the largest over", "min": "the smallest over",
               "all": "True if every one is, over", "any": "True if any one is, over"}


def _concatenate(parts: list[tuple[str, tuple]], axis: int) -> str:
    first_name, first = parts[0]
    for name, shape in parts[1:]:
        if len(shape) != len(first):
            raise _Refused(f"{first_name} {first} and {name} {shape} differ in rank: error")
        for i in range(len(first)):
            if i != axis % len(first) and shape[i] != first[i]:
                raise _Refused(f"every axis but axis {axis} must match: axis {i} is {first[i]} in {first_name} "
                               f"and {shape[i]} in {name}: error")
    total = " + ".join(str(s[axis]) for _, s in parts)
    return f"axis {axis} adds up, {total}; every other axis matches"


def working(expr: str, shapes: dict) -> str:
    """Each step of ``expr`` on arrays of ``shapes``: why, and the shape after it, then the result or the error."""
    walk = _Walk(shapes)
    try:
        result = walk.shape(ast.parse(expr, mode="eval").body)
    except _Refused as refused:
        return "\n".join(walk.lines + _step_lines(refused.label, str(refused)) + ["so NumPy raises an error"])
    return "\n".join(walk.lines + [f"result {result}"])
