"""Rules that 01–05, the reference sheets and the follow-ups state in words, each checked by computing it.

NumPy is the oracle: when a view is a view, when ``ravel`` and ``reshape`` copy, what a gradient check
accepts, when hidden units stay symmetric, how tensor and data parallelism's communication compares with
their compute. Each test also reads the sentence that states the rule, so the words and the computation
cannot drift apart. The notebooks' own reference solutions (source/, run here) supply the gradients and
byte counts.
"""

from __future__ import annotations

import itertools
import re

import nbformat
import numpy as np
import pytest

from mlgrind.recall.bank import followups
from mlgrind.recall.facts import SHEETS, Cue, Fact
from support import REPO


def cells(assignment: str) -> dict[str, str]:
    nb = nbformat.read(str(REPO / "source" / assignment / f"{assignment}.ipynb"), as_version=4)
    return {c.get("id"): c.source for c in nb.cells}


def flat(text: str) -> str:
    """``text`` with every run of whitespace one space, so a sentence reads the same across line breaks."""
    return " ".join(text.split())


def reference(assignment: str, *cell_ids: str) -> dict:
    """The namespace after running the source notebook's cells ``cell_ids`` (solutions included)."""
    source = cells(assignment)
    space: dict = {}
    for cell_id in cell_ids:
        exec(source[cell_id], space)  # noqa: S102
    return space


def followup(assignment: str, slug: str):
    return next(q for q in followups(assignment) if q.id.endswith(f"/{slug}"))


def cues(sheet: str) -> dict[str, Cue]:
    return {row.cue: row for row in SHEETS[sheet].rows() if isinstance(row, Cue)}


# ---------------------------------------------------------------- 03: view or copy
def strided_inputs():
    """Arrays of many layouts: contiguous, stepped, sliced, transposed, with size-1 axes."""
    x = np.arange(24.0).reshape(4, 6)
    y = np.arange(120.0).reshape(2, 3, 4, 5)
    return {
        "x": x, "x[::2]": x[::2], "x[:, ::2]": x[:, ::2], "x[:, :2]": x[:, :2], "x[:2]": x[:2], "x[1:3, :]": x[1:3, :],
        "x.T": x.T, "x[:1].T": x[:1].T, "x[:, :1]": x[:, :1], "arange[::2]": np.arange(10.0)[::2],
        "arange[::-1]": np.arange(10.0)[::-1], "y.transpose(1, 0, 2, 3)": y.transpose(1, 0, 2, 3),
        "y[:, :, ::2]": y[:, :, ::2], "y[:, :1, :, :3]": y[:, :1, :, :3], "y[:1, :, :1].transpose(2, 0, 1, 3)":
        y[:1, :, :1].transpose(2, 0, 1, 3), "y[..., 1]": y[..., 1],
    }


def merge_is_a_view(shape: tuple, strides: tuple) -> bool:
    """The one-pager's rule for flattening: every neighbouring pair of axes (size-1 axes dropped) has
    strides[i] == shape[i + 1] * strides[i + 1]."""
    kept = [(n, s) for n, s in zip(shape, strides) if n != 1]
    return all(s == n_next * s_next for (_, s), (n_next, s_next) in zip(kept, kept[1:]))


@pytest.mark.parametrize("name", list(strided_inputs()))
def test_ravel_views_only_contiguous_arrays_and_reshape_follows_the_stride_rule(name):
    x = strided_inputs()[name]
    assert np.shares_memory(x, x.ravel()) == x.flags.c_contiguous, "ravel: a view exactly when C-contiguous"
    assert np.shares_memory(x, x.reshape(-1)) == merge_is_a_view(x.shape, x.strides), "reshape(-1): the stride rule"
    for axis, n in enumerate(x.shape):  # splitting an axis never needs a copy
        if n % 2 == 0 and n > 0:
            split = x.reshape(x.shape[:axis] + (2, n // 2) + x.shape[axis + 1:])
            assert np.shares_memory(x, split) and np.array_equal(split.reshape(x.shape), x)


def test_the_stride_rule_on_random_slices_and_transposes():
    rng = np.random.default_rng(0)
    base = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    checked = {True: 0, False: 0}
    for _ in range(400):
        index = tuple(slice(int(rng.integers(0, n)), None, int(rng.integers(1, 3))) for n in base.shape)
        x = base[index].transpose(rng.permutation(4))
        view = merge_is_a_view(x.shape, x.strides)
        assert np.shares_memory(x, x.reshape(-1)) == view, (index, x.shape, x.strides)
        checked[view] += 1
    assert min(checked.values()) > 20  # both outcomes were exercised


def test_ravel_and_reshape_are_stated_as_numpy_does_them():
    one_pager = flat(cells("03_reshape_view")["md-02"])
    assert "`x.strides[i] == x.shape[i + 1] * x.strides[i + 1]`" in one_pager
    assert "`x[:, :2].reshape(-1)` merges without reordering anything and still copies" in one_pager
    assert "`ravel()` is stricter still: it copies any array that is not C-contiguous, even `x[::2]`" in one_pager
    assert "NumPy's match is `x.reshape(-1)`, not `x.ravel()`" in one_pager
    assert "only splits or merges return a **view**" not in one_pager
    x = np.arange(24.0).reshape(4, 6)
    assert not np.shares_memory(x, x[:, :2].reshape(-1)) and x[:, :2].strides == (48, 8)
    stepped = np.arange(10.0)[::2]
    assert not np.shares_memory(stepped, stepped.ravel()) and np.shares_memory(stepped, stepped.reshape(-1))
    # The size-1 exception to "a transpose is not contiguous"
    assert "`np.zeros((1, 5)).T` is contiguous" in one_pager and np.zeros((1, 5)).T.flags.c_contiguous
    answer = flat(followup("03_reshape_view", "ravel-versus-flatten").rubric.model_answer)
    assert "copies whenever it is not, even where a view would do" in answer and "only when it must" not in answer
    sheet = cues("reshape")
    assert sheet["NumPy .ravel()"].answer.startswith("a view only of a contiguous x")
    assert sheet["merging axes i, i+1 needs"].answer == "strides[i] = shape[i+1]·strides[i+1]"
    memory = {row.expr: row.memory for row in SHEETS["reshape"].rows() if isinstance(row, Fact)}
    assert memory["x[::2].ravel()"] == "copy" and memory["x[::2].reshape(-1)"] == "view (strided)"


def test_the_hidden_numerical_gradient_layouts_are_described_as_numpy_treats_them():
    from mlgrind.checks import noncontiguous

    for shape in [(4,), (3, 2), (2, 1, 3), (2, 3, 2)]:
        strided = noncontiguous(np.ones(shape))  # every element one slot apart: evenly spaced
        assert np.shares_memory(strided, strided.reshape(-1)) and not np.shares_memory(strided, strided.ravel())
    fortran = np.asfortranarray(np.ones((3, 4)))
    assert not np.shares_memory(fortran, fortran.reshape(-1)) and not np.shares_memory(fortran, fortran.ravel())
    hidden = cells("04_backprop_mlp")["test_numerical_gradient"]
    assert "# a strided view: x.ravel() copies it (x.reshape(-1) is a view)" in hidden
    assert "# Fortran order: x.reshape(-1) and x.ravel() both copy it" in hidden


@pytest.mark.parametrize("H, L", [(1, 4), (3, 1), (1, 1), (3, 4)])
def test_merging_heads_after_a_transpose_views_only_with_a_size_one_axis(H, L):
    """torch's .view follows the stride rule NumPy's reshape uses: merging H and K after the transpose
    needs a copy unless H = 1 or L = 1; splitting D after a transpose never does."""
    B, K = 2, 5
    q_BLHK = np.zeros((B, H, L, K)).transpose(0, 2, 1, 3)
    merged = q_BLHK.reshape(B, L, H * K)
    assert np.shares_memory(q_BLHK, merged) == (H == 1 or L == 1)
    x_LBD = np.zeros((B, L, H * K)).transpose(1, 0, 2)
    assert np.shares_memory(x_LBD, x_LBD.reshape(L, B, H, K))  # a split after a transpose: a view
    text = flat(cells("03_reshape_view")["md-02"])
    assert "when it only splits an axis, or when a size-1 axis makes the strides line up" in text
    assert "(unless `H = 1` or `L = 1`" in flat(cells("03_reshape_view")["interview_answer"])


def test_numpy_transpose_and_swapaxes_as_the_torch_list_states():
    text = flat(cells("03_reshape_view")["md-02"])
    assert "torch: the same rules, four differences" in text
    assert "`t.transpose(d0, d1)` swaps two axes: it is NumPy's `np.swapaxes(x, d0, d1)`" in text
    assert "`x.T` reverses all axes in NumPy, whatever `x.ndim`" in text
    x = np.empty((2, 3, 4))
    assert x.T.shape == (4, 3, 2) and np.swapaxes(x, 0, 1).shape == (3, 2, 4)
    assert np.empty(5).T.shape == (5,)


# ---------------------------------------------------------------- 04: one gradient-check convention
PASS, BUG = 1e-4, 1e-2


@pytest.fixture(scope="module")
def mlp():
    return reference("04_backprop_mlp", "setup", "relu", "linear", "softmax_cross_entropy", "numerical_gradient",
                     "init_params", "mlp_forward", "mlp_backward")


@pytest.fixture(scope="module")
def relative_error():
    definition = re.search(r"^def relative_error\(.*?(?=^\S)", cells("04_backprop_mlp")["check_gradients"], re.S | re.M)
    space = {"np": np}
    exec(definition.group(0), space)  # noqa: S102
    return space["relative_error"]


def test_one_formula_and_one_scale_in_the_one_pager_the_check_cell_the_drill_and_the_follow_up(relative_error):
    source = cells("04_backprop_mlp")
    one_pager, check, drill = flat(source["md-02"]), source["check_gradients"], flat(source["md-14"])
    answer = followup("04_backprop_mlp", "relative-error")
    model = flat(answer.rubric.model_answer)
    assert "`|a − b| / max(1e-12, |a| + |b|)`, element by element" in one_pager
    assert "`|a − n| / max(1e-12, |a| + |n|)`, element by element" in model
    assert "np.abs(a - b) / np.maximum(eps, np.abs(a) + np.abs(b))" in check and "eps=1e-12" in check
    assert "Below 1e-4: it passes" in one_pager and "Above 1e-2: a bug" in one_pager
    assert "below 1e-4 passes" in model and "above 1e-2 it is a bug" in model
    assert "check.true(error < 1e-4" in check and "above 1e-2 it is a bug" in check
    assert "below 1e-4 passes" in drill and "1e-2 is a bug" in drill
    assert "below 1e-4 passes, above 1e-2 is a bug" in flat(source["md-11"])
    for text in (one_pager, model, check, drill):
        assert not re.search(r"[Bb]elow (about )?1e-7|1e-7…1e-4|above 1e-6|1e-2 or more", text), "an old scale is back"
    # The follow-up's check computes the same number as the check cell.
    space = {"np": np}
    exec(answer.check.split("\nassert")[0], space)  # noqa: S102
    rng = np.random.default_rng(3)
    a, n = rng.normal(size=(2, 50)) * rng.lognormal(size=(2, 50))
    assert space["relative_error"](a, n) == relative_error(a, n)


@pytest.mark.parametrize("seed", range(0, 60, 3))
def test_the_reference_solution_passes_and_a_factor_bug_fails(mlp, relative_error, seed):
    """The check cell's setup on many seeds: a correct backward pass stays far below PASS, a gradient
    that is off by the batch size (a sum where a mean belongs) lands above BUG."""
    rng = np.random.default_rng(seed)
    params = {k: v + 0.1 * rng.normal(size=v.shape) for k, v in mlp["init_params"](3, 6, 4, seed=seed).items()}
    x_BD, labels_B = rng.normal(size=(5, 3)), rng.integers(0, 4, size=5)

    def loss_of(key):
        return lambda value: mlp["softmax_cross_entropy"](mlp["mlp_forward"]({**params, key: value}, x_BD)[0],
                                                          labels_B)[0]

    logits_BC, cache = mlp["mlp_forward"](params, x_BD)
    _, dlogits_BC = mlp["softmax_cross_entropy"](logits_BC, labels_B)
    grads = mlp["mlp_backward"](params, cache, dlogits_BC)
    for key, value in params.items():
        numerical = mlp["numerical_gradient"](loss_of(key), value.copy(), 1e-6)
        assert relative_error(grads[key], numerical) < PASS / 10, key
        assert relative_error(grads[key] * len(x_BD), numerical) > BUG, key


def test_crossing_a_relu_kink_can_give_an_error_of_order_one(relative_error):
    relu = lambda v: np.maximum(v, 0.0)  # noqa: E731
    step = 1e-6
    for x, at_least in ((4e-7, 0.1), (1e-9, 0.3)):
        numerical = (relu(x + step) - relu(x - step)) / (2 * step)
        assert relative_error(np.array(1.0), np.array(numerical)) > at_least
    assert "crossed the ReLU kink at 0 within ε, which can give any error up to 1" in flat(cells("04_backprop_mlp")["md-02"])


def test_float32_rounding_in_a_central_difference_is_about_1e_3_at_a_step_of_1e_4():
    def central(f, x, eps):
        grad = np.zeros_like(x)
        for i in range(x.size):
            old = x[i]
            x[i] = old + eps
            up = f(x)
            x[i] = old - eps
            down = f(x)
            x[i] = old
            grad[i] = (up - down) / (2 * eps)
        return grad

    x = np.random.default_rng(1).normal(size=40)
    f = lambda v: np.sin(v).sum()  # noqa: E731
    error32 = np.abs(central(f, x.astype(np.float32), np.float32(1e-4)) - np.cos(x)).max()
    predicted = np.finfo(np.float32).eps * abs(f(x)) / 1e-4
    assert predicted / 30 < error32 < 30 * predicted and 1e-4 < error32 < 1e-2
    assert np.abs(central(f, x.copy(), 1e-6) - np.cos(x)).max() < 1e-8
    assert "1e-3 of a unit gradient at ε = 1e-4" in flat(cells("04_backprop_mlp")["md-02"])


def test_nudging_and_restoring_drifts_by_at_most_an_ulp_of_x_plus_eps():
    rng, eps = np.random.default_rng(2), 1e-5
    for magnitude in (1e-12, 1e-8, 1e-5, 1.0, 1e3):
        x = rng.uniform(-1, 1, 20_000) * magnitude
        y = x.copy()
        y += eps
        y -= 2 * eps
        y += eps
        drift = np.abs(y - x)
        assert (drift <= np.spacing(np.abs(x) + eps)).all()
        if magnitude < eps / 100:  # far below eps: many units of x's own last place
            assert (drift / np.spacing(np.abs(x))).max() > 100
    assert "up to one unit in the last place of `|x[i]| + eps`" in flat(cells("04_backprop_mlp")["md-08"])


# ---------------------------------------------------------------- 04: symmetry and transposes
def test_symmetric_hidden_units_need_identical_outgoing_weights_too(mlp):
    rng = np.random.default_rng(4)
    B, D, F, C = 6, 3, 5, 4
    x_BD, labels_B = rng.normal(size=(B, D)), rng.integers(0, C, size=B)
    w1_DF = np.repeat(rng.normal(size=(D, 1)), F, axis=1)  # every hidden unit the same incoming weights

    def dw1(w2_FC):
        params = {"w1_DF": w1_DF, "b1_F": np.zeros(F), "w2_FC": w2_FC, "b2_C": np.zeros(C)}
        logits_BC, cache = mlp["mlp_forward"](params, x_BD)
        return mlp["mlp_backward"](params, cache, mlp["softmax_cross_entropy"](logits_BC, labels_B)[1])["w1_DF"]

    random_out = dw1(rng.normal(size=(F, C)))
    assert not np.allclose(random_out, random_out[:, :1])  # the columns differ after one step
    same_out = dw1(np.repeat(rng.normal(size=(1, C)), F, axis=0))
    assert np.allclose(same_out, same_out[:, :1])  # identical in and out: identical gradients
    answer = flat(followup("04_backprop_mlp", "zero-init").rubric.model_answer)
    assert "with a constant `w1` but a random `w2` the columns of `dw1` differ" in answer


def test_only_one_placement_of_the_transposes_fits_when_the_sizes_differ():
    def fitting(B, D, F):
        x, dy = np.empty((B, D)), np.empty((B, F))
        found = set()
        for (left, a), (right, b) in itertools.product(
                [("x", x), ("x.T", x.T), ("dy", dy), ("dy.T", dy.T)], repeat=2):
            if {left.split(".")[0], right.split(".")[0]} == {"x", "dy"}:
                try:
                    if (a @ b).shape == (D, F):
                        found.add(f"{left} @ {right}")
                except ValueError:
                    pass
        return found

    assert fitting(3, 4, 5) == {"x.T @ dy"}
    assert len(fitting(4, 4, 4)) > 1  # square shapes let a wrong placement run
    assert "When B, D and F all differ, only one placement" in flat(cells("04_backprop_mlp")["md-02"])
    assert cues("mlp")["y = x @ w:  dw ="].note == "the one fit when B, D, F differ"


# ---------------------------------------------------------------- 05: bytes per FLOP
@pytest.fixture(scope="module")
def comm_bytes():
    return reference("05_parallel_mlp", "setup", "comm_bytes")["comm_bytes"]


def training_flops(B, D, F, C):
    """The MLP block's matmul FLOPs for one training step: 2 forward and 4 backward per weight and example."""
    return 6 * B * F * (D + C)


@pytest.mark.parametrize("N, s", [(2, 2), (4, 2), (8, 4)])
def test_tensor_parallel_bytes_per_flop_ignore_the_batch_and_data_parallel_falls_as_one_over_b(comm_bytes, N, s):
    D, F, C = 512, 2048, 512
    tp = {B: comm_bytes("tp", B, D, F, C, N, s) / (training_flops(B, D, F, C) / N) for B in (N * 8, N * 64, N * 512)}
    assert np.allclose(list(tp.values()), (N - 1) * s / (3 * F), rtol=1e-3)  # the one-pager's (N − 1)·s / (3F)
    dp = {B // N: comm_bytes("dp", B, D, F, C, N, s) / (training_flops(B, D, F, C) / N) for B in (N * 8, N * 64, N * 512)}
    for b, ratio in dp.items():
        assert ratio == pytest.approx((N - 1) * s / (3 * N * b), rel=2e-3)  # (N − 1)·s / (3N·b), biases aside
    assert dp[8] / dp[64] == pytest.approx(8) and dp[64] / dp[512] == pytest.approx(8)
    # Data parallel is cheaper per FLOP exactly when the per-device batch exceeds F/N.
    for b in (F // N // 4, F // N * 4):
        B = N * b
        dp_cheaper = comm_bytes("dp", B, D, F, C, N, s) < comm_bytes("tp", B, D, F, C, N, s)
        assert dp_cheaper == (b > F / N)


def test_the_parallelism_argument_is_stated_as_a_ratio():
    source = cells("05_parallel_mlp")
    one_pager, answer = flat(source["md-02"]), flat(source["interview_answer"])
    assert "(N − 1)·s / (3F) bytes per FLOP" in one_pager and "(N − 1)·s / (3N·b) bytes per FLOP" in one_pager
    assert "cuts the latency of one request" in one_pager
    assert "per FLOP it sends about N/F, whatever the batch" in answer
    assert "bytes per FLOP fall as 1/(per-device batch)" in answer
    assert "grows with the batch and sits on the critical path" not in answer
    sheet = cues("parallel")
    assert "≈ N/F, whatever B" in sheet["TP bytes per FLOP"].answer
    assert sheet["DP bytes per FLOP"].answer.endswith("falls as 1/b")
    assert "TP traffic grows with" not in sheet


def test_the_sheets_all_reduce_counts_are_payloads():
    """What a device sends is 2(N − 1)/N of the payload: equal to it only for N = 2, the sheet's example."""
    from mlgrind.recall import facts

    tensor = next(s for s in SHEETS["parallel"].sections if s.title.startswith("Tensor parallel"))
    assert "2(N−1)/N × the payload (1× as N = 2)" in tensor.note and facts.N == 2
    notes = [row.note for row in tensor.rows if isinstance(row, Fact) and row.out == "elements"]
    assert notes == ["all-reduce payload per step"]
    assert 2 * (facts.N - 1) / facts.N == 1 and 2 * (4 - 1) / 4 == 1.5


def test_overlap_follow_up_no_longer_says_tp_cannot_be_hidden():
    answer = flat(followup("05_parallel_mlp", "overlap").rubric.model_answer)
    assert "only be made fast, not hidden" not in answer and "Megatron-LM's tensor-parallel" in answer


# ---------------------------------------------------------------- nits: 01, 02 and the letters
def test_numpy_names_both_shapes_in_a_broadcast_error():
    with pytest.raises(ValueError, match=r"shapes \(4,3\) \(4,\)"):
        np.empty((4, 3)) + np.empty(4)
    assert cues("broadcasting")["4. n meets m, neither is 1"].note == "NumPy names both shapes"


def test_a_missing_keepdims_is_silent_when_f_is_one():
    x_BF = np.arange(4.0).reshape(4, 1)
    assert (x_BF - x_BF.mean(axis=1)).shape == (4, 4)
    assert "except when `F = 1`" in flat(followup("01_broadcasting", "square-hides-the-bug").rubric.model_answer)


def test_dividing_by_np_sqrt_promotes_float32_only_on_numpy_2():
    scores = np.ones((2, 3), dtype=np.float32)
    numpy2 = int(np.__version__.split(".")[0]) >= 2
    assert (scores / np.sqrt(4)).dtype == (np.float64 if numpy2 else np.float32)  # NEP 50
    assert (scores / 4 ** 0.5).dtype == np.float32  # a Python float is weak on both
    text = flat(cells("02_matmul_einsum")["md-10"])
    assert "float64 on NumPy 2 (NEP 50) and leaves them float32 on NumPy 1.26" in text


def test_the_letters_say_what_they_mean():
    letters = cues("suffixes")
    assert "matmul rows" not in letters["N, M"].answer
    assert letters["M, K, N in @"].answer == "(M, K) @ (K, N): M rows, K summed, N columns"
    assert (np.empty((3, 4)) @ np.empty((4, 5))).shape == (3, 5)  # M = 3 rows, N = 5 columns
    assert "image height" in letters["H"].answer and "patch size" in letters["p (in 03)"].answer
    init = cells("04_backprop_mlp")["init_params"]
    assert "sqrt(1 / F) into the" in init and "(LeCun)" in init and "np.sqrt(1.0 / F)" in init


# ---------------------------------------------------------------- 07: units, serving, ZeRO, rings and bubbles
@pytest.fixture(scope="module")
def scaling():
    return reference("07_scaling_math", "setup", "given", "roofline", "adam_bytes", "zero", "ring_bytes", "fsdp",
                     "kv_cache", "pipeline", "plan")


LLAMA70 = {"n_params": 70_000_000_000, "n_layers": 80, "n_heads": 64, "n_kv_heads": 8, "head_dim": 128}


def test_capacity_is_binary_and_rates_decimal_in_the_solutions(scaling):
    """An "80 GB" part holds 80 GiB: 407 sequences of the 70B model fit on eight, not the 372 of 10⁹-byte GBs."""
    units = flat(cells("07_scaling_math")["md-01"])
    assert "Memory **capacity** is binary" in units and "**Bandwidth** and FLOP/s are decimal" in units
    assert scaling["max_sequences"](640, LLAMA70, 4096, 2) == 407
    per = scaling["kv_cache_bytes"](1, 4096, 80, 8, 128, 2)
    assert (640 * 10**9 - 140 * 10**9) // per == 372  # what a decimal GB would have said
    need = scaling["plan_costs"](13_000_000_000, 8, "mixed")["zero2"][0]
    assert scaling["choose_plan"](13_000_000_000, 8, need / 2**30, "mixed") == "zero2"  # an exact fit fits
    assert scaling["choose_plan"](13_000_000_000, 8, (need - 1) / 2**30, "mixed") == "fsdp"


def test_decode_batching_pays_the_kv_cache_per_sequence():
    """Weights are read once a step, each sequence's cache once a step: equal near batch 104 at 4k tokens."""
    answer = flat(cells("07_scaling_math")["interview_decode"])
    weights = 2 * LLAMA70["n_params"]
    cache = 2 * 4096 * 80 * 8 * 128 * 2
    assert "a sequence's cache is 1.34e9 bytes against 140e9 bytes of weights" in answer
    assert round(cache / 1e9, 2) == 1.34 and weights == 140e9
    assert "from a batch of about 104 the step reads more cache than weights" in answer and round(weights / cache) == 104
    # per sequence and step: 2·P FLOPs of matmuls and 4·L·layers·H·K of attention (scores and weighted sum)
    flops = 2 * LLAMA70["n_params"] + 4 * 4096 * 80 * 64 * 128
    intensity = {B: B * flops / (weights + B * cache) for B in (1, 104, 10**4, 10**9)}
    assert "never passes about 112 FLOPs per byte however large the batch" in answer
    assert round(flops / cache) == 112 and max(intensity.values()) < 112.5 < 989 / 3.35
    assert intensity[104] < 989 / 3.35 / 2  # far below the ridge where the two reads are equal
    throughput = {B: B / (weights + B * cache) for B in (1, 52, 104, 208, 416)}  # tokens per byte read
    gains = [throughput[b] / throughput[a] for a, b in ((1, 52), (52, 104), (104, 208), (208, 416))]
    assert all(g > 1 for g in gains) and gains == sorted(gains, reverse=True)  # rising, with shrinking returns
    assert "almost for free" not in answer


def test_zero2_is_enough_for_13b_on_eight_and_zero3_needs_tokens_to_hide_its_gathers(scaling):
    answer = flat(cells("07_scaling_math")["interview_zero3"])
    P, N = 13_000_000_000, 8
    assert "2 + 14/N bytes per parameter" in answer
    assert scaling["zero_bytes_per_device"](P, N, 2, "mixed") == 2 * P + 14 * P // N
    assert "3.75 × 13e9 = 48.75e9 bytes, 45.4 GiB, which fits an 80 GiB part" in answer
    assert scaling["zero_bytes_per_device"](P, N, 2, "mixed") == 48_750_000_000 <= 80 * 2**30
    assert round(48.75e9 / 2**30, 1) == 45.4 and 2 + 14 / N == 3.75
    assert scaling["choose_plan"](P, N, 80, "mixed") == "zero2"
    assert "worth it when the 16 bytes per parameter" not in answer
    # hiding the gathers: compute 6·P·t FLOPs against about 3 × 2P bytes on the link, per device and step
    assert "about 20,000 tokens per device per step at 989 TFLOP/s and 50 GB/s" in answer
    peak, link = 989e12, 50e9
    sent = scaling["plan_costs"](P, 64, "mixed")["fsdp"][1]
    assert sent == pytest.approx(3 * 2 * P, rel=0.02)
    t_min = peak / link
    assert round(t_min, -3) == 20_000
    for t, hidden in ((t_min * 1.1, True), (t_min * 0.5, False)):
        assert (6 * P * t / peak >= sent / link) == hidden


def test_fsdp_traffic_is_fixed_while_each_devices_batch_shrinks(scaling):
    """At a fixed global batch, more FSDP devices send as much each but compute less: TP and PP come in."""
    text = flat(cells("07_scaling_math")["md-plan"])
    assert "What brings them into a large run is communication more than memory" in text
    assert "FSDP's traffic per step is fixed by the model" in text
    assert "add chips without shrinking any device's batch" in text
    P, tokens, peak, link = 70_000_000_000, 4_000_000, 989e12, 50e9
    hidden = {}
    for N in (64, 256, 1024, 4096):
        sent = scaling["plan_costs"](P, N, "mixed")["fsdp"][1]
        assert sent == pytest.approx(6 * P, rel=0.05)  # fixed by the model, whatever N
        hidden[N] = 6 * P * (tokens / N) / peak >= sent / link
    assert hidden[64] and not hidden[4096]


def test_the_fsdp_exercise_gathers_once_so_it_sends_what_data_parallelism_sends(scaling):
    text = flat(cells("07_scaling_math")["md-fsdp"])
    assert "This step gathers each weight once and keeps it through the backward" in text
    assert "gathers them again for the backward: that second all-gather is the 1.5 times" in text
    sent = {"all_gather": 0, "reduce_scatter": 0}
    space = dict(scaling)
    for op in sent:
        def counting(parts, axis=0, op=op, real=scaling[op]):
            full = sum(np.asarray(p).nbytes for p in parts) if op == "all_gather" else np.asarray(parts[0]).nbytes
            sent[op] += scaling["ring_bytes"](op, full, len(parts))
            return real(parts, axis)
        space[op] = counting
    exec(cells("07_scaling_math")["fsdp"], space)  # noqa: S102 - the reference solution, with counted collectives
    N, D, F, C, b = 4, 8, 12, 4, 3
    params = scaling["init_params"](D, F, C, seed=1)
    shards = scaling["shard_params"](params, N)
    rng = np.random.default_rng(0)
    space["fsdp_step"](shards, rng.normal(size=(N, b, D)), rng.integers(0, C, size=(N, b)), 0.1)
    weights = sum(v.nbytes for v in params.values())
    assert sent["all_gather"] == scaling["ring_bytes"]("all_gather", weights, N)  # gathered once
    assert sum(sent.values()) == pytest.approx(scaling["ring_bytes"]("all_reduce", weights, N), abs=8)
    costs = scaling["plan_costs"](10**9, N, "mixed")
    assert costs["fsdp"][1] / costs["data"][1] == pytest.approx(1.5)


def ring_all_reduce_trace(N: int, S: int):
    """(steps, bytes each device sent) of a ring all-reduce of S bytes: N − 1 reduce-scatter steps, N − 1 gather steps."""
    chunk = S // N
    sent = [0] * N
    steps = 0
    for _phase in ("reduce-scatter", "all-gather"):
        for _ in range(N - 1):
            for i in range(N):
                sent[i] += chunk  # device i sends one chunk to device i + 1
            steps += 1
    return steps, sent


@pytest.mark.parametrize("N", [2, 3, 8, 64])
def test_the_ring_meets_the_all_reduce_bound_and_pays_in_steps(scaling, N):
    text = flat(cells("07_scaling_math")["md-ring-bytes"])
    assert "meeting that bound is what makes the ring bandwidth-optimal" in text
    assert "What it pays is latency: 2(N − 1) steps" in text and "which is why a ring" not in text
    S = N * 1000
    steps, sent = ring_all_reduce_trace(N, S)
    # the bound: each device sends its (N − 1)/N share out to be reduced and takes as much back in
    bound = 2 * (N - 1) * S // N
    assert steps == 2 * (N - 1) and set(sent) == {bound} == {scaling["ring_bytes"]("all_reduce", S, N)}


@pytest.mark.parametrize("p, m", [(4, 8), (4, 4), (8, 64), (2, 1)])
def test_both_bubble_figures_come_from_one_schedule(scaling, p, m):
    text = flat(cells("07_scaling_math")["md-02"])
    assert "(p − 1)/(m + p − 1) is the idle share of all the slots" in text
    assert "papers often quote (p − 1)/m instead, the idle time over the useful time" in text
    events = scaling["gpipe_schedule"](p, m)
    T = max(t for t, *_ in events) + 1
    idle, busy = p * T - len(events), len(events)
    assert idle / (p * T) == pytest.approx((p - 1) / (m + p - 1))
    assert idle / busy == pytest.approx((p - 1) / m)


def interleaved_forward_steps(p: int, v: int, m: int) -> int:
    """Slots of a greedy forward pass through p·v chunks, chunk k on device k % p, microbatches in groups of p."""
    done, t = {}, 0
    while len(done) < p * v * m:
        busy = set()
        ready = [(k, j) for k in range(p * v) for j in range(m)
                 if (k, j) not in done and (k == 0 or done.get((k - 1, j), t) < t)]
        for k, j in sorted(ready, key=lambda kj: (kj[1] // p, kj[0] // p, kj[1])):
            if k % p not in busy:
                busy.add(k % p)
                done[(k, j)] = t
        t += 1
    return t


@pytest.mark.parametrize("p, v, m", [(4, 1, 8), (4, 2, 8), (4, 4, 8), (2, 3, 4), (8, 2, 16)])
def test_interleaving_v_chunks_divides_the_bubble_by_v(p, v, m):
    assert "cutting the bubble to (p − 1)/(v·m) of the useful time" in flat(cells("07_scaling_math")["md-02"])
    slots = interleaved_forward_steps(p, v, m)  # a slot is 1/v of a stage's step
    busy = v * m
    assert (slots - busy) / busy == pytest.approx((p - 1) / (v * m))


# ---------------------------------------------------------------- 06: attention's costs, masks, norms and the cache
@pytest.fixture(scope="module")
def attention():
    return reference("06_attention_norms", "setup", "softmax", "causal-mask", "attention", "init-block-params", "decode")


def counted_matmuls():
    """``mm(a, b)``: a @ b that adds its FLOPs (2 per multiply-add) to ``flops[0]``."""
    flops = [0]

    def mm(a, b):
        flops[0] += 2 * a.shape[-2] * a.shape[-1] * b.shape[-1]
        return a @ b
    return mm, flops


@pytest.mark.parametrize("L, M, K", [(5, 7, 3), (10, 14, 3), (16, 16, 8)])
def test_flash_attention_recomputes_so_it_saves_memory_traffic_not_flops(attention, L, M, K):
    text = flat(cells("06_attention_norms")["interview_scores"])
    assert "It does not save FLOPs: every score is still computed, 4·L·M·K FLOPs per head forward" in text
    assert "the backward adds 2·L·M·K to recompute the scores on top of its 8·L·M·K, a sixth more in all" in text
    rng = np.random.default_rng(L)
    q, k, v, do = (rng.normal(size=(1, 1, n, K)) for n in (L, M, M, L))
    mm, flops = counted_matmuls()
    p = attention["softmax"](mm(q, k.swapaxes(-1, -2)) / np.sqrt(K))
    o = mm(p, v)
    forward = flops[0]
    dv, dp = mm(p.swapaxes(-1, -2), do), mm(do, v.swapaxes(-1, -2))
    ds = p * (dp - (p * dp).sum(-1, keepdims=True)) / np.sqrt(K)
    dq, dk = mm(ds, k), mm(ds.swapaxes(-1, -2), q)
    backward = flops[0] - forward
    o_ref, cache = attention["attention_forward"](q, k, v)
    for got, want in zip((o, dq, dk, dv), (o_ref, *attention["attention_backward"](do, cache))):
        assert np.allclose(got, want)  # these matmuls are the whole of attention's forward and backward
    assert (forward, backward) == (4 * L * M * K, 8 * L * M * K)
    recompute = 2 * L * M * K  # the backward recomputes the scores q @ k.T block by block
    assert (forward + backward + recompute) / (forward + backward) == pytest.approx(7 / 6)


def test_a_boolean_added_to_scores_masks_nothing_and_np_where_does(attention):
    keep_BM = np.array([[True, True, False]])
    scores_BHLM = np.zeros((1, 1, 2, 3))
    added = attention["softmax"](scores_BHLM + keep_BM[:, None, None, :])
    assert (added[..., 2] > 0).all()  # False adds 0: the padded key still gets weight
    masked = attention["softmax"](np.where(keep_BM[:, None, None, :], scores_BHLM, -np.inf))
    assert (masked[..., 2] == 0).all() and np.allclose(masked[..., :2], 0.5)
    bias_BM = np.where(keep_BM, 0.0, -np.inf)  # the additive form: a 0 / −inf bias
    assert np.array_equal(attention["softmax"](scores_BHLM + bias_BM[:, None, None, :]), masked)
    sheet = [f.expr for f in SHEETS["attention"].rows() if isinstance(f, Fact)]
    assert "np.where(keep_BM[:, None, None, :], scores_BHLM, -np.inf)" in sheet
    assert not any("+ pad" in expr for expr in sheet)


@pytest.mark.parametrize("L, M", [(1, 1), (3, 3), (2, 5), (4, 9)])
def test_the_drills_causal_mask_is_06s_keys_last(attention, L, M):
    import random

    from mlgrind.recall.drills import attention as drill

    expr = next(e for e in (drill._attention_question(random.Random(s), 3)[0] for s in range(400)) if "arange" in e)
    assert "+ (" in expr  # j ≤ i + (M − L): the queries are the last L of the M positions
    built = eval(re.sub(r"\d+", lambda m: "{}", expr).format(M, L, M, L), {"np": np})  # noqa: S307
    assert np.array_equal(built, attention["causal_mask"](L, M))


def test_batch_norm_averages_over_b_and_l_and_the_cache_grows_as_l_squared():
    source = cells("06_attention_norms")
    assert "over B and L for a (B, L, D) tensor" in flat(source["md-02"])
    assert "every other axis for each feature, B and L of a (B, L, D) tensor" in flat(source["md-drill"])
    assert cues("attention")["LayerNorm vs batch norm"].answer == "per position over D, vs per feature over B and L"
    x_BLD = np.random.default_rng(0).normal(size=(4, 5, 3)) * np.array([1.0, 10.0, 100.0]) + 7
    bn_BLD = (x_BLD - x_BLD.mean(axis=(0, 1))) / x_BLD.std(axis=(0, 1))
    assert np.allclose(bn_BLD.reshape(-1, 3).mean(0), 0) and np.allclose(bn_BLD.reshape(-1, 3).std(0), 1)
    text = flat(source["md-block-picture"])
    assert "the attention weights `p_BHLM` grow as B·H·L²" in text
    B, H, D, F = 8, 16, 1024, 4096
    for L in (512, 8192):
        grows_with_bl = B * L * (6 * D + 2 * F)  # the norms, projections, o and the MLP's u and g
        probabilities = B * H * L * L
        assert (probabilities > grows_with_bl) == (L == 8192)  # at long contexts the L² term dominates


def test_a_preallocated_masked_cache_is_right_but_not_this_contract(attention):
    text = flat(cells("06_attention_norms")["md-decode"])
    assert "Production servers instead preallocate the cache at its full length and mask the slots" in text
    assert "both are right, but not this exercise's contract" in text
    rng = np.random.default_rng(4)
    B, H, T, K, full = 2, 3, 4, 2, 9
    q_BH1K, k_BHTK, v_BHTK = rng.normal(size=(B, H, 1, K)), rng.normal(size=(B, H, T, K)), rng.normal(size=(B, H, T, K))
    k_full, v_full = np.zeros((B, H, full, K)), np.zeros((B, H, full, K))
    k_full[:, :, :T], v_full[:, :, :T] = k_BHTK, v_BHTK
    written = np.arange(full)[None, :] < T  # (1, full): the slots holding a key so far
    grown, _ = attention["attention_forward"](q_BH1K, k_BHTK, v_BHTK)
    preallocated, _ = attention["attention_forward"](q_BH1K, k_full, v_full, written)
    assert np.allclose(grown, preallocated)


def test_06_and_07_size_the_kv_cache_with_one_signature(attention, scaling):
    import inspect

    assert "07's `kv_cache_bytes` takes the same arguments in the same order" in flat(cells("06_attention_norms")["md-decode"])
    six, seven = attention["kv_cache_bytes"], scaling["kv_cache_bytes"]
    assert list(inspect.signature(six).parameters) == ["batch", "seq_len", "n_layers", "d_model", "itemsize"]
    assert list(inspect.signature(seven).parameters) == ["batch", "seq_len", "n_layers", "n_kv_heads", "head_dim", "itemsize"]
    for batch, seq_len, layers, heads, head_dim, itemsize in ((1, 4096, 32, 32, 128, 2), (3, 7, 2, 4, 5, 4)):
        assert six(batch, seq_len, layers, heads * head_dim, itemsize) == seven(batch, seq_len, layers, heads, head_dim, itemsize)
