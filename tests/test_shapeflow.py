"""mlgrind.shapeflow against NumPy: the same result shape, and an error exactly when NumPy raises.

Hypothesis draws one string of bytes per example and ``Dice`` reads the shapes from it: one draw
instead of forty keeps thousands of examples within a few seconds, and shrinking still works,
because all-zero bytes decode to the simplest case. Falsifying examples print decoded.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mlgrind.shapes.rules import ShapeError, broadcast, einsum, matmul

MANY = settings(max_examples=1500, deadline=None)


class Dice:
    """Choices read from Hypothesis' bytes; past the end every choice is 0 (the simplest)."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def int(self, lo: int, hi: int) -> int:
        byte = self.data[self.at] if self.at < len(self.data) else 0
        self.at += 1
        return lo + byte % (hi - lo + 1)

    def size(self) -> int:
        return self.int(0, 4)

    def shape(self, max_dims: int = 5) -> tuple[int, ...]:
        return tuple(self.size() for _ in range(self.int(0, max_dims)))

    def mutated(self, size: int) -> int:
        """``size`` kept (4 in 7), a 1 (2 in 7) or any size, often a clash (1 in 7)."""
        roll = self.int(0, 6)
        return size if roll < 4 else 1 if roll < 6 else self.size()

    def related(self, count: int) -> list[tuple[int, ...]]:
        """``count`` shapes cut from one full shape (0-5 dims), with many 1s and a clash now and then."""
        full = self.shape()
        return [tuple(self.mutated(n) for n in full[len(full) - min(self.int(0, 5), len(full)):])
                for _ in range(count)]


def decoded(make):
    return st.binary(min_size=64, max_size=64).map(lambda data: make(Dice(data)))


def operand(shape):
    """An array of ``shape`` that costs no memory."""
    return np.broadcast_to(np.zeros((), dtype=np.float32), shape)


def numpy_says(fn, *args):
    try:
        return fn(*args)
    except ValueError:
        return "error"


def ours(fn, *args):
    try:
        return fn(*args).result
    except ShapeError as error:
        assert isinstance(error, ValueError)
        return "error"


# ---------------------------------------------------------------------------------- broadcasting
def broadcast_case(dice: Dice):
    """1-4 related shapes, or 0-3 unrelated ones."""
    if dice.int(0, 3):
        return dice.related(dice.int(1, 4))
    return [dice.shape() for _ in range(dice.int(0, 3))]


@MANY
@given(decoded(broadcast_case))
@example([(9, 1, 3), (4, 1)])
@example([(0,), (1,)])
@example([(0,), (2,)])
@example([])
def test_broadcast_matches_numpy(shape_list):
    assert ours(broadcast, *shape_list) == numpy_says(np.broadcast_shapes, *shape_list)


@settings(max_examples=300, deadline=None)
@given(decoded(broadcast_case))
def test_broadcast_plan_explains_its_result(shape_list):
    try:
        plan = broadcast(*shape_list)
    except ShapeError as error:
        plan = error.plan
        assert plan.result is None and plan.conflicts
        for axis in plan.conflicts:
            assert f"axis {axis.index}" in str(error)
            assert len({axis.sizes[i] for i in axis.conflict}) >= 2
            assert all(axis.sizes[i] != 1 for i in axis.conflict)
        return
    assert all(len(p) == plan.ndim for p in plan.padded)
    for shape, padded in zip(plan.shapes, plan.padded):
        assert padded[plan.ndim - len(shape):] == shape and set(padded[: plan.ndim - len(shape)]) <= {1}
    for axis in plan.axes:
        assert axis.size == plan.result[axis.index]
        assert set(axis.stretched) == {i for i, n in enumerate(axis.sizes) if n == 1 and axis.size != 1}


def test_seed_example_steps():
    plan = broadcast((9, 1, 3), (4, 1))
    assert plan.result == (9, 4, 3)
    assert plan.padded == ((9, 1, 3), (1, 4, 1))
    assert [axis.stretched for axis in plan.axes] == [(1,), (0,), (1,)]
    assert [axis.padded for axis in plan.axes] == [(False, True), (False, False), (False, False)]
    assert plan.steps[0] == "pad B (4, 1) on the left with 1 one: (1, 4, 1)"


def test_broadcast_error_names_axis_and_both_sizes():
    with pytest.raises(ValueError, match=r"axis 1: size 3 \(A\) vs size 4 \(B\)") as info:
        broadcast((2, 3), (4,))
    assert info.value.plan.axes[1].conflict == (0, 1)
    with pytest.raises(ValueError, match=r"axis 0: size 3 \(A\) vs size 4 \(B\)"):
        broadcast((3,), (4,))
    with pytest.raises(ValueError) as info:
        broadcast((8, 4, 3), (2, 1, 1))
    assert re.search(r"A \(8, 4, 3\) and B \(2, 1, 1\) do not broadcast: axis 0: size 8 \(A\) vs size 2 \(B\)",
                     str(info.value))


# ---------------------------------------------------------------------------------------- matmul
def matmul_case(dice: Dice):
    """(a, b) mostly built to fit, (..., M, K) and (..., K, N), with 1-D and 0-d operands and
    clashing K or batch sizes now and then; sometimes two unrelated shapes."""
    if dice.int(0, 5) == 5:
        return dice.shape(), dice.shape()
    batch_a, batch_b = (s[len(s) - min(len(s), 3):] for s in dice.related(2))
    m, k, n = dice.size(), dice.size(), dice.size()
    k_b = dice.mutated(k)
    kind_a, kind_b = dice.int(0, 7), dice.int(0, 7)  # 0-4: (..., M, K), 5-6: 1-D, 7: 0-d
    a = batch_a + (m, k) if kind_a < 5 else (k,) if kind_a < 7 else ()
    b = batch_b + (k_b, n) if kind_b < 5 else (k_b,) if kind_b < 7 else ()
    return a, b


@MANY
@given(decoded(matmul_case))
@example(((3,), (3,)))
@example(((2, 3), (3,)))
@example(((3,), (3, 4)))
@example(((5, 1, 2, 3), (4, 3, 6)))
@example(((), (3,)))
def test_matmul_matches_numpy(pair):
    a, b = pair
    want = numpy_says(lambda: np.matmul(operand(a), operand(b)).shape)
    assert ours(matmul, a, b) == want


def test_matmul_plan_names_promotion_batch_and_k():
    plan = matmul((3,), (5, 3, 4))
    assert plan.a_promoted and not plan.b_promoted and plan.a_2d == (1, 3)
    assert plan.k == (3, 3) and plan.result == (5, 4) and plan.batch.result == (5,)
    assert matmul((3,), (3,)).result == ()
    assert matmul((2, 3), (3,)).steps[0].startswith("b (3,) is 1-D: append a 1")
    with pytest.raises(ValueError, match="K=3 vs K=4") as info:
        matmul((2, 3), (4, 5))
    assert info.value.plan.k == (3, 4)
    with pytest.raises(ValueError, match=r"batch dims .*axis 0: size 2 \(a\) vs size 3 \(b\)"):
        matmul((2, 4, 5), (3, 5, 6))
    for a, b in [((), (3,)), ((3,), ())]:
        with pytest.raises(ValueError, match="0-d"):
            matmul(a, b)


# ---------------------------------------------------------------------------------------- einsum
LETTERS = "abcdA"


def einsum_case(dice: Dice):
    """A spec and 1-3 shapes: letters shared between operands (repeats too), sizes stretched to 1
    or clashing now and then, '...' sometimes, a dim too many or too few sometimes, implicit or
    explicit output (now and then with a repeated or unknown output letter)."""
    size_of = {c: dice.size() for c in LETTERS}
    ell = dice.shape(2)
    terms, shape_list = [], []
    for _ in range(dice.int(1, 3)):
        labels = [LETTERS[dice.int(0, len(LETTERS) - 1)] for _ in range(dice.int(0, 3))]
        shape = [dice.mutated(size_of[c]) for c in labels]
        term = "".join(labels)
        if dice.int(0, 3) == 3:
            at = min(dice.int(0, 3), len(labels))
            mine = [dice.mutated(n) for n in ell[len(ell) - min(dice.int(0, 2), len(ell)):]]
            term, shape = term[:at] + "..." + term[at:], shape[:at] + mine + shape[at:]
        if dice.int(0, 9) == 9:
            shape = shape[:-1] if shape and dice.int(0, 1) else shape + [1]
        terms.append(term)
        shape_list.append(tuple(shape))
    spec = ",".join(terms)
    if dice.int(0, 1):
        out = sorted(set("".join(terms).replace(".", "")))
        for i in range(len(out) - 1, 0, -1):  # shuffle
            j = dice.int(0, i)
            out[i], out[j] = out[j], out[i]
        out = out[: dice.int(0, len(out))]
        if "..." in spec or dice.int(0, 5) == 5:
            out.insert(min(dice.int(0, 3), len(out)), "...")
        if dice.int(0, 12) == 12:
            out.append((LETTERS + "z")[dice.int(0, len(LETTERS))])
        spec += "->" + "".join(out)
    return spec, shape_list


def numpy_einsum_shape(spec, shape_list):
    try:
        return np.einsum(spec, *map(operand, shape_list)).shape
    except ValueError:
        return "error"


@MANY
@given(decoded(einsum_case))
@example(("ij,jk->ik", [(2, 3), (3, 4)]))
@example(("ij,jk", [(2, 3), (3, 4)]))
@example(("ii", [(3, 3)]))
@example(("ii->i", [(1, 3)]))
@example(("iI", [(2, 3)]))
@example(("...ij,...jk", [(5, 2, 3), (3, 4)]))
@example(("...ij,jk->ij", [(5, 2, 3), (3, 4)]))
@example(("ij->...", [(2, 3)]))
@example(("ab,ba", [(1, 3), (3, 2)]))
@example((",->", [(), ()]))
def test_einsum_matches_numpy(case):
    spec, shape_list = case
    assert ours(einsum, spec, *shape_list) == numpy_einsum_shape(spec, shape_list)


@pytest.mark.parametrize("spec, shape_list", [
    ("ij,jk->ik", [(2, 3), (3,)]),
    ("ij,jk", [(2, 3)]),
    ("i-j", [(2, 3)]),
    ("i.j", [(2, 3)]),
    ("i->j->i", [(2,)]),
    ("i,j->i,j", [(2,), (3,)]),
    ("i......", [(2,)]),
    ("ij->jj", [(2, 3)]),
    ("ij->k", [(2, 3)]),
    ("i2", [(2, 3)]),
])
def test_einsum_rejects_what_numpy_rejects(spec, shape_list):
    assert numpy_einsum_shape(spec, shape_list) == "error"
    with pytest.raises(ValueError):
        einsum(spec, *shape_list)


def test_einsum_roles_and_messages():
    plan = einsum("bhqd,bhkd->bhqk", (2, 4, 5, 8), (2, 4, 7, 8))
    roles = {x.letter: x.role for x in plan.letters}
    assert roles == {"b": "batch", "h": "batch", "q": "free", "k": "free", "d": "contracted"}
    assert plan.result == (2, 4, 5, 7) and plan.explicit
    implicit = einsum("ij,jk", (2, 3), (3, 4))
    assert implicit.output == ("i", "k") and not implicit.explicit
    with pytest.raises(ValueError, match=r"'j' is 3 in one place and 4 in another") as info:
        einsum("ij,jk->ik", (2, 3), (4, 5))
    assert next(x for x in info.value.plan.letters if x.letter == "j").size is None
    with pytest.raises(ValueError, match="has 3 dims but 'ij' names 2"):
        einsum("ij", (2, 3, 4))
