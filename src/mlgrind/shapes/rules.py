"""Shape rules as plans that explain themselves: broadcasting, ``a @ b`` and einsum.

Pure bookkeeping on tuples (nothing here draws). Each function returns a small frozen dataclass:
``result`` is the shape NumPy gives, the other fields are the steps that lead there, and ``steps``
says them in words::

    >>> broadcast((9, 1, 3), (4, 1)).result
    (9, 4, 3)
    >>> matmul((5, 2, 3), (3,)).result
    (5, 2)
    >>> einsum("bhlk,bhmk->bhlm", (2, 4, 5, 8), (2, 4, 7, 8)).result
    (2, 4, 5, 7)

Shapes that do not fit raise ``ShapeError`` (a ``ValueError``) whose message carries the numbers
that clash; its ``plan`` keeps the steps up to the clash, so a diagram can point at it. These are
the rules the course's widgets show openly; NumPy is the oracle in tests/test_shapeflow.py.
"""

from __future__ import annotations

import operator
import string
from dataclasses import dataclass

Shape = tuple[int, ...]

__all__ = [
    "Axis",
    "BroadcastPlan",
    "CONFLICT",
    "PADDED",
    "PLAIN",
    "STRETCHED",
    "EinsumLetter",
    "EinsumPlan",
    "MatmulPlan",
    "ShapeError",
    "broadcast",
    "einsum",
    "input_names",
    "matmul",
]


class ShapeError(ValueError):
    """Shapes that do not fit; ``plan`` holds the steps up to the clash (None if there are none)."""

    def __init__(self, message: str, plan=None):
        super().__init__(message)
        self.plan = plan


def input_names(count: int) -> tuple[str, ...]:
    """How plans and diagrams name their inputs: A, B, C, ..."""
    letters = string.ascii_uppercase
    return tuple(letters[i] if i < len(letters) else f"#{i}" for i in range(count))


def _shape(shape, what: str) -> Shape:
    try:
        out = tuple(operator.index(n) for n in shape)  # whole numbers only, as NumPy wants
    except TypeError:
        raise ShapeError(f"{what} must be a tuple of whole numbers, got {shape!r}") from None
    if any(n < 0 for n in out):
        raise ShapeError(f"{what} {out} has a negative size")
    return out


# ----------------------------------------------------------------------------------- broadcasting
# What an input's size does in a column; the names are mlgrind.shapes.palette's, so each is drawn
# (and worded) one way everywhere.
PADDED, STRETCHED, CONFLICT, PLAIN = "padded", "stretched", "conflict", "plain"  # plain: kept as it is


@dataclass(frozen=True)
class Axis:
    """One column of right-aligned shapes: axis ``index`` of the result (0 is the leftmost)."""

    index: int
    sizes: Shape  # each input's size here, after padding
    padded: tuple[bool, ...]  # whether that size is a 1 added on the left
    size: int | None  # the result's size; None when the sizes clash
    stretched: tuple[int, ...]  # inputs whose 1 stretches to ``size``
    conflict: tuple[int, ...]  # inputs whose sizes clash here (empty when they fit)

    def roles(self, i: int) -> tuple[str, ...]:
        """What input ``i``'s size does here: ``("padded", "stretched")`` for a padded 1 that
        stretches, else one of ``("padded",)``, ``("stretched",)``, ``("conflict",)``, ``("plain",)``.

        >>> [axis.roles(1) for axis in broadcast((9, 1, 3), (4, 1)).axes]
        [('padded', 'stretched'), ('plain',), ('stretched',)]
        """
        if i in self.conflict:
            return (CONFLICT,)
        roles = (PADDED,) * self.padded[i] + (STRETCHED,) * (i in self.stretched)
        return roles or (PLAIN,)

    def shown(self, i: int) -> str:
        """Input ``i``'s size as diagrams write it: ``"1→4"`` for a 1 that stretches to 4.

        >>> broadcast((9, 1, 3), (4, 1)).axes[0].shown(1)
        '1→9'
        """
        return f"1\u2192{self.size}" if i in self.stretched else str(self.sizes[i])


@dataclass(frozen=True)
class BroadcastPlan:
    """How ``shapes`` broadcast: right-align, pad with 1s on the left, stretch 1s, compare."""

    shapes: tuple[Shape, ...]
    padded: tuple[Shape, ...]  # each shape padded on the left with 1s to ``ndim`` axes
    axes: tuple[Axis, ...]
    result: Shape | None  # None when some axis clashes
    steps: tuple[str, ...]

    @property
    def ndim(self) -> int:
        return len(self.axes)

    @property
    def conflicts(self) -> tuple[Axis, ...]:
        return tuple(axis for axis in self.axes if axis.conflict)

    def roles(self, i: int) -> tuple[tuple[str, ...], ...]:
        """Input ``i``'s roles column by column (see ``Axis.roles``)."""
        return tuple(axis.roles(i) for axis in self.axes)


def _broadcast_plan(shapes: tuple[Shape, ...], names: tuple[str, ...]) -> BroadcastPlan:
    ndim = max((len(s) for s in shapes), default=0)
    padded = tuple((1,) * (ndim - len(s)) + s for s in shapes)
    steps = []
    for name, shape, pad in zip(names, shapes, padded):
        if len(pad) > len(shape):
            ones = ndim - len(shape)
            steps.append(f"pad {name} {shape} on the left with {ones} one{'s' * (ones > 1)}: {pad}")
    axes = []
    for index in range(ndim):
        sizes = tuple(p[index] for p in padded)
        is_pad = tuple(index < ndim - len(s) for s in shapes)
        big = sorted({n for n in sizes if n != 1})
        if len(big) > 1:
            conflict = tuple(i for i, n in enumerate(sizes) if n != 1)
            axes.append(Axis(index, sizes, is_pad, None, (), conflict))
            clash = " vs ".join(f"{names[i]} has {sizes[i]}" for i in conflict)
            steps.append(f"axis {index}: {clash}: they clash (sizes must be equal, or one of them 1)")
            continue
        size = big[0] if big else 1
        stretched = tuple(i for i, n in enumerate(sizes) if n == 1 and size != 1)
        axes.append(Axis(index, sizes, is_pad, size, stretched, ()))
        if stretched:
            who = ", ".join(names[i] for i in stretched)
            steps.append(f"axis {index}: the 1 of {who} stretches to {size}")
    clashes = [axis for axis in axes if axis.conflict]
    result = None if clashes else tuple(axis.size for axis in axes)
    if result is not None:
        steps.append(f"result {result}")
    return BroadcastPlan(shapes, padded, tuple(axes), result, tuple(steps))


def _clash_message(plan: BroadcastPlan, names: tuple[str, ...], what: str = "shapes") -> str:
    listed = " and ".join(f"{n} {s}" for n, s in zip(names, plan.shapes))
    parts = []
    for axis in plan.conflicts:
        first = axis.conflict[0]
        second = next(i for i in axis.conflict if axis.sizes[i] != axis.sizes[first])
        parts.append(
            f"axis {axis.index}: size {axis.sizes[first]} ({names[first]}) vs size {axis.sizes[second]} "
            f"({names[second]})"
        )
    return (f"{what} {listed} do not broadcast: " + "; ".join(parts)
            + ". Sizes in a column must be equal, or one of them 1.")


def broadcast(*shapes) -> BroadcastPlan:
    """The plan for broadcasting ``shapes`` together; ``.result`` equals ``np.broadcast_shapes``.

    Raises ShapeError (a ValueError) naming the axis and both sizes when a column clashes; its
    ``plan`` shows every column, the clashing ones marked.
    """
    shapes = tuple(_shape(s, f"shape {i}") for i, s in enumerate(shapes))
    names = input_names(len(shapes))
    plan = _broadcast_plan(shapes, names)
    if plan.result is None:
        raise ShapeError(_clash_message(plan, names), plan)
    return plan


# ----------------------------------------------------------------------------------------- matmul
@dataclass(frozen=True)
class MatmulPlan:
    """How ``a @ b`` works out: promote 1-D operands, broadcast the batch dims, contract K."""

    a: Shape
    b: Shape
    a_2d: Shape  # ``a`` with a 1 prepended when it was 1-D: (..., M, K)
    b_2d: Shape  # ``b`` with a 1 appended when it was 1-D: (..., K, N)
    a_promoted: bool  # a was (K,): treated as (1, K), and that M = 1 is removed again
    b_promoted: bool  # b was (K,): treated as (K, 1), and that N = 1 is removed again
    batch: BroadcastPlan  # a_2d[:-2] broadcast with b_2d[:-2]
    m: int
    k: tuple[int, int]  # (K of a, K of b): the contracted pair
    n: int
    result: Shape | None  # () for vector @ vector; None when something clashes
    steps: tuple[str, ...]

    @property
    def k_matches(self) -> bool:
        return self.k[0] == self.k[1]

    @property
    def ok(self) -> bool:
        return self.result is not None


def matmul(a_shape, b_shape) -> MatmulPlan:
    """The plan for ``a @ b``; ``.result`` equals ``np.matmul(a, b).shape``.

    Raises ShapeError (a ValueError) for a 0-d operand (as NumPy does), for ``K=3 vs K=4``, and
    for batch dims that do not broadcast; its ``plan`` (None for 0-d) marks what clashed.
    """
    a, b = _shape(a_shape, "a's shape"), _shape(b_shape, "b's shape")
    for name, shape in (("a", a), ("b", b)):
        if not shape:
            raise ShapeError(
                f"matmul: {name} is 0-d (a scalar, shape ()); @ needs at least 1 dim on each side: "
                "use * to scale by a number"
            )
    steps = []
    a_promoted, b_promoted = len(a) == 1, len(b) == 1
    a_2d = (1,) + a if a_promoted else a
    b_2d = b + (1,) if b_promoted else b
    if a_promoted:
        steps.append(f"a {a} is 1-D: prepend a 1 to treat it as a row, {a_2d}")
    if b_promoted:
        steps.append(f"b {b} is 1-D: append a 1 to treat it as a column, {b_2d}")
    batch = _broadcast_plan((a_2d[:-2], b_2d[:-2]), ("a", "b"))
    if batch.ndim:
        steps.append(
            f"batch dims {a_2d[:-2]} and {b_2d[:-2]} broadcast"
            + (f" to {batch.result}" if batch.result is not None else ": they clash")
        )
    m, k_a = a_2d[-2:]
    k_b, n = b_2d[-2:]
    problems = []
    if k_a == k_b:
        steps.append(f"contract K: a's last axis K={k_a} meets b's second-to-last K={k_b} (summed away)")
    else:
        steps.append(f"K={k_a} vs K={k_b}: a's last axis must equal b's second-to-last")
        problems.append(
            f"K={k_a} vs K={k_b}: the last axis of a {a} must equal the "
            + ("only axis" if b_promoted else "second-to-last axis")
            + f" of b {b}"
        )
    if batch.result is None:
        problems.append(_clash_message(batch, ("a", "b"), what="batch dims of"))
    result = None
    if not problems:
        full = batch.result + (m, n)
        result = full
        if a_promoted and b_promoted:
            result = full[:-2]
            steps.append(f"{full} -> drop both added 1s: {result}, a scalar")
        elif a_promoted:
            result = full[:-2] + (n,)
            steps.append(f"{full} -> drop the prepended 1: {result}")
        elif b_promoted:
            result = full[:-1]
            steps.append(f"{full} -> drop the appended 1: {result}")
        steps.append(f"result {result}")
    plan = MatmulPlan(a, b, a_2d, b_2d, a_promoted, b_promoted, batch, m, (k_a, k_b), n, result, tuple(steps))
    if problems:
        raise ShapeError(f"matmul a {a} @ b {b}: " + "; ".join(problems), plan)
    return plan


# ----------------------------------------------------------------------------------------- einsum
BATCH, CONTRACTED, FREE = "batch", "contracted", "free"
ELLIPSIS = "..."


@dataclass(frozen=True)
class EinsumLetter:
    """One subscript letter: its size, its role and where it appears."""

    letter: str
    size: int | None  # None when the sizes clash
    role: str  # "batch" (every input and the output), "free" (output), "contracted" (summed)
    sizes: tuple[tuple[int, int], ...]  # (operand, size) for every axis labelled ``letter``

    def role_in(self, op: int) -> str:
        """What the letter does in operand ``op``: ``"conflict"``, ``"stretched"`` (a 1 meeting a
        larger size, as in broadcasting) or the letter's own role.

        >>> j = einsum("ij,jk->ik", (3, 1), (4, 5)).letters[-1]
        >>> j.letter, j.role_in(0), j.role_in(1)
        ('j', 'stretched', 'contracted')
        """
        if self.size is None:
            return CONFLICT
        own = [size for o, size in self.sizes if o == op]
        return STRETCHED if own and own[0] == 1 and self.size != 1 else self.role


@dataclass(frozen=True)
class EinsumPlan:
    """How ``np.einsum(spec, *operands)`` shapes its output."""

    spec: str
    shapes: tuple[Shape, ...]
    terms: tuple[str, ...]  # each operand's subscripts as written, e.g. "...ij"
    inputs: tuple[tuple[str, ...], ...]  # each operand's labels, one per axis ("..." for each ellipsis axis)
    output: tuple[str, ...]  # the output's labels, one per axis
    explicit: bool  # "->" given; else the output is every once-seen letter, sorted
    letters: tuple[EinsumLetter, ...]  # output letters first, then the contracted ones
    ellipsis: BroadcastPlan | None  # the dims "..." stands for, broadcast; None without "..."
    result: Shape | None
    steps: tuple[str, ...]

    @property
    def output_term(self) -> str:
        """The output's subscripts as written (``...`` once, however many dims it stands for)."""
        letters = "".join(x for x in self.output if x != ELLIPSIS)
        if ELLIPSIS not in self.output:
            return letters
        at = self.output.index(ELLIPSIS)
        return "".join(self.output[:at]) + ELLIPSIS + letters[at:]


def _terms(spec: str) -> tuple[list[str], str | None]:
    text = "".join(spec.split())
    if text.count("->") > 1:
        raise ShapeError(f"einsum {spec!r}: '->' may appear once")
    lhs, arrow, rhs = text.partition("->")
    for part in (lhs, rhs):
        bad = sorted({c for c in part.replace(ELLIPSIS, "") if c not in string.ascii_letters + ","})
        if bad:
            raise ShapeError(f"einsum {spec!r}: {', '.join(map(repr, bad))} is not a subscript; use letters a-z, A-Z, "
                             "',' between operands, '->' before the output and '...' for broadcast dims")
    if "," in rhs:
        raise ShapeError(f"einsum {spec!r}: the output after '->' is one term, without ','")
    terms = lhs.split(",")
    for term in terms + ([rhs] if arrow else []):
        if term.count(ELLIPSIS) > 1:
            raise ShapeError(f"einsum {spec!r}: '...' may appear once per term, not in {term!r}")
    return terms, (rhs if arrow else None)


def einsum(spec: str, *shapes) -> EinsumPlan:
    """The plan for ``np.einsum(spec, *operands)`` with operands of ``shapes``.

    Each letter is batch (in every input and the output), free (in the output) or contracted
    (summed away). Explicit (``->``) and implicit output both work, as does ``...`` (broadcast
    dims). ``.result`` equals NumPy's output shape; whatever NumPy rejects raises ShapeError.
    """
    shapes = tuple(_shape(s, f"operand {i}'s shape") for i, s in enumerate(shapes))
    names = input_names(len(shapes))
    terms, out_term = _terms(spec)
    if len(terms) != len(shapes):
        raise ShapeError(f"einsum {spec!r} names {len(terms)} operand{'s' * (len(terms) != 1)} "
                         f"but {len(shapes)} shape{'s' * (len(shapes) != 1)} came")
    steps = []
    inputs, ell_shapes = [], []
    for name, term, shape in zip(names, terms, shapes):
        letters = term.replace(ELLIPSIS, "")
        if ELLIPSIS in term:
            extra = len(shape) - len(letters)
            if extra < 0:
                raise ShapeError(f"einsum {spec!r}: {name} {shape} has {len(shape)} dims, fewer than the "
                                 f"{len(letters)} letters of {term!r}")
            before = term.index(ELLIPSIS)
            labels = tuple(term[:before]) + (ELLIPSIS,) * extra + tuple(term[before + 3:])
            ell_shapes.append(shape[before:before + extra])
        else:
            if len(letters) != len(shape):
                raise ShapeError(f"einsum {spec!r}: {name} {shape} has {len(shape)} dims but {term!r} names "
                                 f"{len(letters)}; one letter per dim (or '...' for the rest)")
            labels = tuple(term)
        inputs.append(labels)
    inputs = tuple(inputs)

    seen: dict[str, list[tuple[int, int]]] = {}  # letter -> (operand, size) per axis, in order
    for op, (labels, shape) in enumerate(zip(inputs, shapes)):
        for label, size in zip(labels, shape):
            if label != ELLIPSIS:
                seen.setdefault(label, []).append((op, size))
    problems = []

    ellipsis = None
    if ell_shapes:
        ell_names = tuple(n for n, t in zip(names, terms) if ELLIPSIS in t)
        ellipsis = _broadcast_plan(tuple(ell_shapes), ell_names)
        if ellipsis.result is None:
            problems.append(_clash_message(ellipsis, ell_names, what="the '...' dims of"))
    ell_ndim = ellipsis.ndim if ellipsis else 0

    if out_term is None:
        once = sorted(letter for letter in seen if sum(labels.count(letter) for labels in inputs) == 1)
        output = (ELLIPSIS,) * ell_ndim + tuple(once)
        steps.append(f"no '->': the output is {'the ... dims, then ' if ell_ndim else ''}"
                     f"the letters seen once, sorted: {''.join(once) or '(none)'}")
    else:
        for letter in out_term.replace(ELLIPSIS, ""):
            if out_term.count(letter) > 1:
                raise ShapeError(f"einsum {spec!r}: the output names {letter!r} twice")
            if letter not in seen:
                raise ShapeError(f"einsum {spec!r}: the output's {letter!r} appears in no input")
        if ELLIPSIS in out_term:
            before = out_term.index(ELLIPSIS)
            output = tuple(out_term[:before]) + (ELLIPSIS,) * ell_ndim + tuple(out_term[before + 3:])
        else:
            if ell_ndim:
                problems.append(f"the inputs' '...' stands for {ell_ndim} dim{'s' * (ell_ndim > 1)} but the "
                                "output has no '...' to put them in")
            output = tuple(out_term)

    out_letters = [x for x in output if x != ELLIPSIS]
    # A letter repeated within one operand takes a diagonal, so there its sizes must be equal;
    # across operands a size 1 stretches, as in broadcasting. One NumPy quirk kept on purpose: a
    # lone operand whose letters all stay in the output becomes a view, and on that path a size 0
    # gives way to the next size of the same letter ('aa->a' on (0, 1) gives (1,)).
    view = len(shapes) == 1 and all(label in out_letters for label in inputs[0] if label != ELLIPSIS)
    sizes: dict[str, int | None] = {}
    for letter, where in seen.items():
        clash = False
        for op in sorted({op for op, _ in where}):
            own = [size for o, size in where if o == op]
            if view:
                own = own[next((i for i, size in enumerate(own) if size), len(own) - 1):]
            if len(set(own)) > 1:
                first, second = sorted(set(own))[:2]
                problems.append(f"{letter!r} labels two axes of {names[op]} {shapes[op]} with sizes {first} and "
                                f"{second}; a repeated letter takes a diagonal, so they must be equal")
                clash = True
        big = sorted({size for _, size in where if size != 1})
        if view:
            sizes[letter] = None if clash else own[0]
        elif clash:
            sizes[letter] = None
        elif len(big) > 1:
            problems.append(f"{letter!r} is {big[0]} in one place and {big[1]} in another: "
                            + ", ".join(f"{names[op]} has {size}" for op, size in where))
            sizes[letter] = None
        else:
            sizes[letter] = big[0] if big else 1

    order = out_letters + [x for x in seen if x not in out_letters]
    letters = []
    for letter in order:
        in_all = len(shapes) > 1 and all(letter in labels for labels in inputs)
        role = CONTRACTED if letter not in out_letters else BATCH if in_all else FREE
        letters.append(EinsumLetter(letter, sizes[letter], role, tuple(seen[letter])))
        if role == CONTRACTED:
            steps.append(f"{letter}={sizes[letter]} is not in the output: summed away (contracted)")
        elif role == BATCH:
            steps.append(f"{letter}={sizes[letter]} is in every input and the output: batch")
    result = None
    if not problems:
        ell = iter(ellipsis.result if ellipsis else ())
        result = tuple(next(ell) if x == ELLIPSIS else sizes[x] for x in output)
        steps.append(f"result {result}")
    plan = EinsumPlan(spec, shapes, tuple(terms), inputs, output, out_term is not None, tuple(letters), ellipsis,
                      result, tuple(steps))
    if problems:
        raise ShapeError(f"einsum {spec!r} with " + ", ".join(map(str, shapes)) + ": " + "; ".join(problems), plan)
    return plan

