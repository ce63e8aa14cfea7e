"""What 09_serving says, checked by computing it.

Every number and rule the notebook states outside its tables (the one-pager's tables are read by
test_onepager_cells) is computed here: in the one-pager's prose, the exercises' texts and check
comments, what the check cells print, the interview model answers (source/ only) and the recall
drill's answers. Where a claim is about the exercises' functions, the source notebook's own solution
cells are run. The test fails if the notebook stops saying what it checks.
"""

from __future__ import annotations

import contextlib
import io
import math

import nbformat
import numpy as np
import pytest

from support import REPO

NOTEBOOK = REPO / "source" / "09_serving" / "09_serving.ipynb"
P, S, PEAK, BW = 70e9, 2, 989e12, 3.35e12
KV_TOKEN = 2 * 80 * 8 * 128 * 2          # Llama-2-70B-like: 80 layers, 8 KV heads of 128, bf16


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(str(NOTEBOOK), as_version=4)


@pytest.fixture(scope="module")
def cells(nb):
    return {c.get("id"): " ".join(c.source.split()) for c in nb.cells}


@pytest.fixture(scope="module")
def solved(nb):
    """The source's solution and given cells, run: the functions as the notebook teaches them."""
    space = {"np": np}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade_id", "").endswith("_driver")):
            exec(cell.source, space)  # noqa: S102
    return space


def printed(nb, space, grade_id: str) -> str:
    """What the check cell ``grade_id`` prints, run after the solutions."""
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(cell.source, dict(space))  # noqa: S102
    return " ".join(out.getvalue().split())


def model_answer(grade_id: str) -> str:
    from mlgrind.course import Course
    from mlgrind.course.rubrics import from_source

    found = [r for r in from_source(Course(REPO), "09_serving") if r.grade_id == grade_id]
    assert len(found) == 1, grade_id
    return " ".join(found[0].model_answer.split())


def test_units_and_the_kv_bytes_per_token(cells):
    text = cells["md-01"]
    assert "an \"80 GB\" accelerator holds 80 GiB, 80 × 2³⁰ bytes" in text
    assert "3.35 TB/s moves 3.35e12 bytes a second, 989 TFLOP/s is 989e12 FLOP/s" in text
    assert "`2 · n_layers · n_kv_heads · head_dim · itemsize`" in text
    assert KV_TOKEN == 327_680


def test_one_pager_prose(cells, solved):
    text = cells["md-one-pager"]
    # A decode step's intensity is about the batch: 2·b·D·F FLOPs over the (D, F) weight's bytes in bf16.
    assert "whose intensity is about b FLOPs per byte (07)" in text
    for b in (1, 8, 64):
        D = F = 8192
        assert 2 * b * D * F / (2 * (b * D + D * F + b * F)) == pytest.approx(b, rel=0.02)
    # A paged cache wastes at most block_size - 1 slots per sequence, whatever its length.
    assert "at most `block_size − 1` slots wasted per sequence" in text
    ops = [("add", 0)] + [("append", 0, np.zeros((1, 1)), np.zeros((1, 1)))] * 33 + [("block_table", 0)]
    table = solved["run_paged_cache"](8, 16, 1, 1, ops)[-1][1]
    assert len(table) * 16 - 33 == 15
    # int8 products overflow an int16 sum from D = 3.
    assert "a sum of D products of up to 127² overflows int16 from D = 3" in text
    assert 2 * 127**2 <= np.iinfo(np.int16).max < 3 * 127**2
    x, q = np.full((1, 3), 127, np.int8), np.full((3, 1), 127, np.int8)
    assert (x.astype(np.int16) @ q.astype(np.int16))[0, 0] != 3 * 127**2
    # int4 groups: 4 bits and a 16-bit scale per group of rows.
    assert "4 bits plus a 16-bit scale per group" in text
    # The expected tokens per step: sum of alpha^k for k = 0..gamma.
    assert "a step emits `(1 − α^(γ+1)) / (1 − α)` tokens on average" in text
    for alpha, gamma in ((0.8, 4), (0.5, 1), (0.95, 7)):
        assert sum(alpha**k for k in range(gamma + 1)) == pytest.approx((1 - alpha ** (gamma + 1)) / (1 - alpha))


def test_speculative_decoding_is_exact():
    """P(emit x) = q(x) min(1, p(x)/q(x)) + (1 - sum min(p, q)) residual(x) = p(x), for random p and q."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
        q[rng.integers(6)] = 0
        q /= q.sum()
        kept = np.where(q > 0, q * np.minimum(1, p / np.where(q > 0, q, 1)), 0)
        residual = np.maximum(p - q, 0)
        assert np.allclose(kept + (1 - kept.sum()) * residual / residual.sum(), p)


def test_prefill_and_decode_as_printed(nb, solved, cells):
    assert "240 FLOPs, 32 bytes" in cells["check_prefill"]
    assert 2 * 10 * 4 * 3 == 240 and 10 * 2 + 4 * 3 * 1 == 32
    assert solved["prefill_decode_times"](10, 3, 4, 2, 24, 8, 1) == (max(240 / 24, 32 / 8), max(80 / 24, 32 / 8))
    out = printed(nb, solved, "check_prefill")
    ttft = 2 * P * 2048 / PEAK
    tpot = (P * S + 2048 * KV_TOKEN) / BW
    assert f"TTFT {ttft * 1e3:.0f} ms for 2048 tokens, TPOT {tpot * 1e3:.1f} ms at batch 1" in out
    assert "TTFT 290 ms" in out and "TPOT 42.0 ms" in out
    # Without a cache the crossover is the ridge s * peak / (2 bw) = 295.2: batch 296; at 512 tokens 457.
    assert S * PEAK / (2 * BW) == pytest.approx(295.2, abs=0.05)
    for context, batch in ((0, 296), (512, 457)):
        exact = P * S / BW / (2 * P / PEAK - context * KV_TOKEN / BW)
        assert math.ceil(exact) == batch
        assert f"with {context} tokens of context a decode step turns compute-bound from batch {batch}" in out
    assert 2 * P / PEAK < 4096 * KV_TOKEN / BW
    assert "with 4096 tokens of context a decode step turns compute-bound at no batch" in out


def test_the_serving_plans_as_printed(nb, solved, cells):
    text = cells["check_plan"]
    assert "one device: 100 bytes of weights, 100 left, 2 bytes a token, 10 tokens: 5 sequences; step 0.12 s at 1" in text
    assert 200 - 100 == 100 and 2 * 1 * 1 * 1 * 1 == 2 and 100 // (10 * 2) == 5 and (100 + 10 * 2) / 1000 == 0.12
    assert "two read 50 + 10 per sequence: 2 sequences" in text
    assert (0.075 * 1000 - 50) // 10 == 2 and (100 + 20) / 1000 > 0.075
    out = printed(nb, solved, "check_plan")
    # 50 ms: 2 devices hold 70e9 bytes each; 80 GiB - 70e9 bytes left; 23 caches of 4096 tokens, half each.
    budget = 80 * 2**30 - P * S / 2
    per = 4096 * KV_TOKEN / 2
    batch = min(budget // per, math.floor((0.05 * BW - P * S / 2) / per))
    assert batch == 23 and (P * S / 2 + 23 * per) / BW <= 0.05
    assert f"{{'tp': 2, 'batch': 23, 'kv_budget_gb': {budget / 2**30!r}}}" in out
    assert "{'tp': 4, 'batch': 95," in out
    assert math.floor((0.02 * BW - P * S / 4) / (per / 2)) == 95
    step = (P * S + 4096 * KV_TOKEN) / 8 / BW
    assert f"a step takes {step * 1e3:.1f} ms, more than 5.0 ms" in out and f"{step * 1e3:.1f}" == "5.3"


def test_model_answers():
    decode = model_answer("interview_decode")
    assert "over a thousand FLOPs per byte, far above an H100's ridge of about 295" in decode
    M, K = 2048, 8192
    assert 2 * M * K * K / (2 * (M * K + K * K + M * K)) > 1000      # bf16: (M, K) @ (K, K), each read or written once
    assert round(PEAK / BW) == 295
    assert "0.29 s for a 2048-token prompt on a 70B model at 989 TFLOP/s" in decode
    assert round(2 * P * 2048 / PEAK, 2) == 0.29
    assert "140 GB of bf16 weights" in decode and P * S == 140e9
    assert "about 42 ms per token on 3.35 TB/s at batch 1 with 2048 tokens of context" in decode
    assert round((P * S + 2048 * KV_TOKEN) / BW * 1e3) == 42
    paged = model_answer("interview_paged")
    assert "at most 15 slots wasted per sequence" in paged and "blocks of, say, 16 tokens" in paged
    spec = model_answer("interview_speculative")
    assert "3.36 at α = 0.8, γ = 4" in spec
    assert round((1 - 0.8**5) / 0.2, 2) == 3.36


def test_drill_answers(cells, solved):
    text = cells["md-drill"]
    assert "TTFT ≈ 2 · 70e9 · 2048 / 989e12 = 0.29 s; TPOT ≈ (140e9 + 2048 · 327680) / 3.35e12 = 42 ms" in text
    assert "= 2 · 989 / 6.7 ≈ 295 (so batch 296)" in text
    assert solved["decode_crossover_batch"](P, 0, S, PEAK, BW, KV_TOKEN) == 296
    assert "1.34e9 cache bytes take 0.40 ms to read, its 1.4e11 FLOPs 0.14 ms to compute" in text
    assert f"{4096 * KV_TOKEN:.3g}" == "1.34e+09" and round(4096 * KV_TOKEN / BW * 1e3, 2) == 0.40
    assert round(2 * P / PEAK * 1e3, 2) == 0.14
    assert solved["decode_crossover_batch"](P, 4096, S, PEAK, BW, KV_TOKEN) is None
    assert "ceil(33 / 16) = 3 blocks, 48 − 33 = 15 empty slots" in text
    assert "Static: when the 10-token request finishes, at t = 10 steps (its first token at t = 11)" in text
    assert "Continuous: at t = 2, when a 2-token request leaves (its first token at t = 3)" in text
    trace = [(0.0, 100, 10), (0.0, 100, 2), (0.0, 100, 2)]
    assert solved["simulate_batching"](trace, 2, 1.0, "static")["ttft"][2] == 11.0
    assert solved["simulate_batching"](trace, 2, 1.0, "continuous")["ttft"][2] == 3.0
    assert "4 + 16/128 = 4.125 bits; 16 / 4.125 ≈ 3.9 times" in text and round(16 / 4.125, 1) == 3.9
    assert "3.36 tokens" in text and solved["expected_tokens_per_step"](0.8, 4) == pytest.approx(3.3616)
