"""What 04 says about gradient checks and its cache, checked by computing it.

The one-pager and the recall drill read a relative error's size: ``|a − b| / (|a| + |b|)`` never
exceeds 1, a factor k gives ``|k − 1| / (k + 1)``, and so a factor of B gives ``(B − 1) / (B + 1)``.
Every such number the notebook prints is computed here with the notebook's own ``relative_error``;
the picture's list of what ``cache`` keeps is compared with the solution's cache.
"""

from __future__ import annotations

import re
from fractions import Fraction

import nbformat
import numpy as np
import pytest

from support import REPO

NOTEBOOK = REPO / "source" / "04_backprop_mlp" / "04_backprop_mlp.ipynb"


@pytest.fixture(scope="module")
def cells():
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    return {c.get("id"): c.source for c in nb.cells}


@pytest.fixture(scope="module")
def relative_error(cells):
    """The relative_error the gradient-check cell defines."""
    source = cells["check_gradients"]
    definition = re.search(r"^def relative_error\(.*?(?=^\S)", source, re.S | re.M).group(0)
    space = {"np": np}
    exec(definition, space)  # noqa: S102
    return space["relative_error"]


def factor_error(relative_error, k: float) -> float:
    """The relative error of a gradient that is k times the true one, on random non-zero values."""
    b = np.random.default_rng(0).uniform(0.1, 2.0, size=50) * np.random.default_rng(1).choice([-1, 1], 50)
    return float(relative_error(k * b, b))


def test_a_relative_error_never_exceeds_one(relative_error):
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(2, 10_000)) * rng.lognormal(size=(2, 10_000)) ** 3
    assert np.max(np.abs(a - b) / np.maximum(1e-12, np.abs(a) + np.abs(b))) <= 1
    assert relative_error(-b, b) == pytest.approx(1)  # a wrong sign
    assert relative_error(np.zeros_like(b), b) == pytest.approx(1)  # a gradient that is 0


@pytest.mark.parametrize("k", [2, 0.5, 3, 1 / 3, 10, 32])
def test_a_factor_k_gives_k_minus_one_over_k_plus_one(relative_error, k):
    assert factor_error(relative_error, k) == pytest.approx(abs(k - 1) / (k + 1), rel=1e-12)


def test_every_error_size_the_notebook_prints(cells, relative_error):
    text = cells["md-02"] + "\n" + cells["md-14"]
    checked = 0
    # "31/33 ≈ 0.94 when B = 32", "0.5 when B = 3": a factor of B
    for stated, approx, B in re.findall(r"(\d+/\d+|\d+\.\d+)(?: ≈ (\d+\.\d+))? when B = (\d+)", text):
        want = factor_error(relative_error, int(B))
        assert float(Fraction(stated)) == pytest.approx(want, rel=1e-12), (stated, B)
        assert not approx or round(want, len(approx.split(".")[1])) == float(approx), (approx, B)
        checked += 1
    # "1/3 for a factor of 2 or ½"
    for stated, k in re.findall(r"(\d+/\d+) for a factor of (\d+) or ½", text):
        for factor in (int(k), 1 / int(k)):
            assert float(Fraction(stated)) == pytest.approx(factor_error(relative_error, factor), rel=1e-12)
        checked += 1
    # the drill: "0.5 means k = 3 (or ⅓) = B"
    for stated, k in re.findall(r"(\d+\.\d+) means k = (\d+)", text):
        assert float(stated) == pytest.approx(factor_error(relative_error, int(k)), rel=1e-12)
        assert float(stated) == pytest.approx(factor_error(relative_error, 1 / int(k)), rel=1e-12)
        checked += 1
    # "With B = 32 the same bug gives 31/33 ≈ 0.94"
    for B, stated, approx in re.findall(r"B = (\d+) the same bug gives (\d+/\d+) ≈ (\d+\.\d+)", text):
        want = factor_error(relative_error, int(B))
        assert float(Fraction(stated)) == pytest.approx(want, rel=1e-12)
        assert round(want, 2) == float(approx)
        checked += 1
    assert checked >= 5, f"only {checked} error sizes read: the text changed past this test"
    assert "or above" not in text  # "around 1 or above" was never possible


def test_the_picture_names_what_the_cache_keeps(cells):
    space = {}
    for cell_id in ("setup", "relu", "linear", "mlp_forward"):
        exec(cells[cell_id], space)  # noqa: S102
    params = {"w1_DF": np.ones((3, 4)), "b1_F": np.zeros(4), "w2_FC": np.ones((4, 2)), "b2_C": np.zeros(2)}
    _, cache = space["mlp_forward"](params, np.ones((5, 3)))
    said = re.search(r"uses a value the forward pass computed: (.*?)\.\s*That is what `cache` keeps", cells["md-03"], re.S)
    assert said, "the picture no longer says what cache keeps in words this test reads"
    assert sorted(re.findall(r"`(\w+)`", said.group(1))) == sorted(cache)
