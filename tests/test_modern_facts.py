"""What 08_modern_transformer says, checked by computing it.

Every number and rule the notebook states outside its tables (the one-pager's tables are read by
test_onepager_cells) is computed here: in the one-pager's prose, the exercises' texts and check
comments, the pictures' titles, the interview model answers (source/ only) and the recall drill's
answers. Where a claim is about the exercises' functions, the source notebook's own solution cells
are run. The test fails if the notebook stops saying what it checks.
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

from support import REPO

NOTEBOOK = REPO / "source" / "08_modern_transformer" / "08_modern_transformer.ipynb"


@pytest.fixture(scope="module")
def cells():
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    return {c.get("id"): " ".join(c.source.split()) for c in nb.cells}


@pytest.fixture(scope="module")
def solved():
    """The source's solution cells, run: the functions as the notebook teaches them."""
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    space = {"np": np}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            exec(cell.source, space)  # noqa: S102
    return space


def model_answer(grade_id: str) -> str:
    from mlgrind.course import Course
    from mlgrind.course.rubrics import from_source

    found = [r for r in from_source(Course(REPO), "08_modern_transformer") if r.grade_id == grade_id]
    assert len(found) == 1, grade_id
    return " ".join(found[0].model_answer.split())


def _rotation(angle):
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


def _sigmoid(g):
    return 1 / (1 + np.exp(-g))


def test_one_pager_prose(cells):
    text = cells["md-one-pager"]
    # RMSNorm: LayerNorm without the mean and the shift; the two agree on centred features.
    assert "RMSNorm** is LayerNorm without the mean and without the shift" in text
    x = np.random.default_rng(0).normal(size=(4, 6))
    x -= x.mean(-1, keepdims=True)
    assert np.allclose(x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-6),
                       (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-6))
    # RoPE: a rotation by a, then b's transpose, is a rotation by b - a.
    assert "A rotation by `a` then `b`'s transpose is a rotation by `b − a`" in text
    for a, b in ((0.3, 1.9), (5.0, -2.0)):
        assert np.allclose(_rotation(b).T @ _rotation(a), _rotation(a - b))
        assert np.allclose(_rotation(a).T @ _rotation(b), _rotation(b - a))
    # SwiGLU: F = 8D/3 keeps a 4D two-matrix MLP's parameters; silu's derivative.
    assert "so models take `F ≈ 8D/3` to keep the parameter count of a `4D` MLP" in text
    D = 4096
    assert 3 * D * (8 * D / 3) == pytest.approx(2 * D * 4 * D)
    assert "`silu'(g) = sigmoid(g) · (1 + g · (1 − sigmoid(g)))`" in text
    g = np.linspace(-6, 6, 25)
    silu = lambda z: z * _sigmoid(z)  # noqa: E731
    numeric = (silu(g + 1e-6) - silu(g - 1e-6)) / 2e-6
    assert np.allclose(numeric, _sigmoid(g) * (1 + g * (1 - _sigmoid(g))), atol=1e-8)
    # GQA: query head h reads h // (H / G); G = H is multi-head, G = 1 multi-query; the cache shrinks by H/G.
    assert "query head `h` reads key/value head `h // (H / G)`" in text and "The KV cache shrinks by H/G" in text
    H, G = 8, 2
    assert [h // (H // G) for h in range(H)] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert [h // (H // H) for h in range(H)] == list(range(H)) and {h // (H // 1) for h in range(H)} == {0}


def test_one_pager_online_softmax_is_exact(cells):
    """The tile rows: running max, sum and output rescaled by exp(m_old - m_new) give softmax attention."""
    text = cells["md-one-pager"]
    assert "multiply `l` and `acc` by `exp(m_old − m_new)`" in text
    rng = np.random.default_rng(1)
    s, v = rng.normal(size=(3, 11)) * 4, rng.normal(size=(11, 2))
    m, l, acc = np.full(3, -np.inf), np.zeros(3), np.zeros((3, 2))
    for j in range(0, 11, 4):
        tile = s[:, j:j + 4]
        m_new = np.maximum(m, tile.max(-1))
        l = np.exp(m - m_new) * l + np.exp(tile - m_new[:, None]).sum(-1)
        acc = np.exp(m - m_new)[:, None] * acc + np.exp(tile - m_new[:, None]) @ v[j:j + 4]
        m = m_new
    p = np.exp(s) / np.exp(s).sum(-1, keepdims=True)
    assert np.allclose(acc / l[:, None], p @ v) and np.allclose(m + np.log(l), np.log(np.exp(s).sum(-1)))
    # the backward's delta: sum over keys of p * dp equals sum over K of do * o
    assert "needs `sum(do · o)` per query (the softmax backward's `sum(p · dp)`)" in text
    do = rng.normal(size=(3, 2))
    assert np.allclose((p * (do @ v.T)).sum(-1), (do * (p @ v)).sum(-1))


def test_exercise_texts_and_checks(cells):
    # RMSNorm's check: rms of (3, 4) is sqrt(12.5)
    assert "rms of (3, 4) is sqrt((9 + 16) / 2) = sqrt(12.5)" in cells["check_rmsnorm"]
    assert np.sqrt((9 + 16) / 2) == np.sqrt(12.5) == np.sqrt(np.mean(np.array([3.0, 4.0]) ** 2))
    # RoPE's check: K = 4, theta = (1, 0.01), at position 50: 50 rad and 0.5 rad
    assert "K = 4: theta = (1, 10000 ** -0.5 = 0.01); at position 50 the first pair turns by 50 rad, the second by 0.5" \
        in cells["check_rope"]
    theta = 10000.0 ** (-np.arange(0, 4, 2) / 4)
    assert np.allclose(theta, [1, 0.01]) and np.allclose(50 * theta, [50, 0.5])
    # SwiGLU's check: silu(2) = 1.7616, times 3 is 5.2848
    assert "silu(2) = 2 * sigmoid(2) = 1.7616; times 3 is 5.2848" in cells["check_swiglu"]
    assert round(2 * _sigmoid(2.0), 4) == 1.7616 and round(3 * 2 * _sigmoid(2.0), 4) == 5.2848
    # GQA's text and check
    assert "with H = 8 and G = 2, heads 0–3 read head 0 and heads 4–7 read head 1" in cells["md-gqa"]
    assert [h // (8 // 2) for h in range(8)] == [0] * 4 + [1] * 4
    assert "kv_bytes_saved(1, 4096, 32, 8, 128, 32, 2), 1610612736" in cells["check_gqa"]
    assert 2 * 1 * 4096 * (32 - 8) * 128 * 32 * 2 == 1610612736
    # FlashAttention's text: 4 GiB per head at 32k in fp32; 32 MiB of scores and a 16 MiB strip for the
    # graded size in float64, as the hidden test measures it
    text = cells["md-flash"]
    assert "at 32k tokens that is 4 GiB per head in fp32" in text and 32768 ** 2 * 4 == 4 * 2 ** 30
    assert ("L = 256, M = 16384, K = 4, block 128 (the full scores in float64 would be 32 MiB, a strip of one block "
            "of queries against all keys 16 MiB; at most 16 MiB is allowed") in text
    assert 256 * 16384 * 8 == 32 * 2 ** 20 and 128 * 16384 * 8 == 16 * 2 ** 20
    hidden = cells["test_flash"]
    assert "B, H, L, M, K, block = 1, 1, 256, 16384, 4, 128" in hidden and "allowed = 16 * 2**20" in hidden
    assert "`delta = Σ_K do · o` per query in place of 06's `Σ_M p · dp` (they are equal" in text


def test_pictures_say_what_they_show(cells, solved):
    # RoPE's picture: the score depends on the gap only, so the two curves coincide.
    assert "The score depends on the gap only: the two curves lie on each other" in cells["rope_picture"]
    rope = solved["rope"]
    vec = np.random.default_rng(2).normal(size=(1, 1, 1, 64))
    for gap in (0, 1, 37, 199):
        at_0 = np.sum(rope(vec, np.array([0])) * rope(vec, np.array([gap])))
        at_500 = np.sum(rope(vec, np.array([500])) * rope(vec, np.array([500 + gap])))
        assert at_0 == pytest.approx(at_500, abs=1e-9)
    # The tiles picture: causal tiles above the diagonal skipped, those on it masked, the rest full.
    assert "Tiles above the diagonal are # skipped whole; tiles on it are masked inside" in cells["flash_picture"]
    L, tile = 16, 4
    mask = np.arange(L)[None, :] <= np.arange(L)[:, None]
    kinds = {}
    for i in range(0, L, tile):
        for j in range(0, L, tile):
            block = mask[i:i + tile, j:j + tile]
            kinds[i, j] = "skip" if not block.any() else "full" if block.all() else "mask"
    assert {(i, j) for (i, j), k in kinds.items() if k == "skip"} == {(i, j) for (i, j) in kinds if j > i}
    assert {(i, j) for (i, j), k in kinds.items() if k == "mask"} == {(i, j) for (i, j) in kinds if j == i}


def test_the_solutions_keep_their_promises(solved):
    """What the texts promise of the functions: GQA with G = H is multi-head attention; flash equals
    full attention for any block; RMSNorm's dx formula is its gradient."""
    rng = np.random.default_rng(3)
    q, k, v = rng.normal(size=(2, 4, 3, 5)), rng.normal(size=(2, 4, 6, 5)), rng.normal(size=(2, 4, 6, 5))
    s = np.einsum("bhlk,bhmk->bhlm", q, k) / np.sqrt(5)
    s = np.where(np.arange(6)[None, :] <= np.arange(3)[:, None] + 3, s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    full = (p / p.sum(-1, keepdims=True)) @ v
    assert np.allclose(solved["gqa_attention"](q, k, v, True), full)
    for block in (1, 2, 4, 64):
        assert np.allclose(solved["flash_attention"](q, k, v, block, True)[0], full)
    x, g, dy = rng.normal(size=(2, 3, 4)), rng.normal(size=4), rng.normal(size=(2, 3, 4))
    _, cache = solved["rmsnorm_forward"](x, g)
    dx, _ = solved["rmsnorm_backward"](dy, cache)
    numeric = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[i] = 1e-6
        numeric[i] = (np.sum(solved["rmsnorm_forward"](x + e, g)[0] * dy)
                      - np.sum(solved["rmsnorm_forward"](x - e, g)[0] * dy)) / 2e-6
    assert np.allclose(dx, numeric, atol=1e-7)


def test_model_answers():
    text = model_answer("interview_gqa")
    # 80 layers, head size 128, bf16, 32k tokens: 10 GiB with 8 KV heads, 80 GiB with 64
    assert "one 32k-token sequence needs 10 GiB of cache instead of 80 GiB" in text
    assert 2 * 80 * 8 * 128 * 32768 * 2 == 10 * 2 ** 30 and 2 * 80 * 64 * 128 * 32768 * 2 == 80 * 2 ** 30
    assert "reads 8 times fewer cache bytes per token" in text and 64 // 8 == 8
    assert "(D × G·K instead of D × D)" in text  # with D = H·K
    text = model_answer("interview_rope")
    assert "(R_a q)·(R_b k) = q·(R_a^T R_b k) = q·(R_{b−a} k)" in text
    qv, kv = np.array([0.2, -1.0]), np.array([1.5, 0.3])
    for a, b in ((0.1, 0.7), (3.0, 1.0)):
        assert (_rotation(a) @ qv) @ (_rotation(b) @ kv) == pytest.approx(qv @ (_rotation(b - a) @ kv))
    text = model_answer("interview_flash")
    assert "HBM traffic falls from order L·M to order L·K + M·K per head" in text
    assert "writes only the output and one log-sum-exp per query" in text


def test_recall_drill_answers(cells):
    text = cells["md-drill"]
    assert "at `θ = 1, 0.1, 0.01, 0.001` radians per position" in text
    assert np.allclose(10000.0 ** (-np.arange(0, 8, 2) / 8), [1, 0.1, 0.01, 0.001])
    assert "Three matrices, 3·D·F parameters: with `F = 8D/3` that is the 8D² of a 4D two-matrix MLP" in text
    q_BHLK, k_BGMK = np.empty((2, 32, 1, 128)), np.empty((2, 8, 4096, 128))
    q_BGRLK = q_BHLK.reshape(2, 8, 4, 1, 128)
    assert "Grouped queries (2, 8, 4, 1, 128), scores (2, 8, 4, 1, 4096) (or (2, 32, 1, 4096) merged back)" in text
    scores = np.einsum("bgrlk,bgmk->bgrlm", q_BGRLK, k_BGMK)
    assert q_BGRLK.shape == (2, 8, 4, 1, 128) and scores.shape == (2, 8, 4, 1, 4096)
    assert scores.reshape(2, 32, 1, 4096).shape == (2, 32, 1, 4096)
    assert "head 13 reads head 13 // 4 = 3" in text and 13 // (32 // 8) == 3


def test_float16_facts(cells):
    """The one-pager's and the mixed-precision cell's numbers, from NumPy's own float16."""
    f16 = np.finfo(np.float16)
    text = cells["md-one-pager"] + " " + cells["md-fp16"]
    assert "largest 65504, smallest normal 2⁻¹⁴ ≈ 6.1e-5, smallest subnormal 2⁻²⁴ ≈ 6e-8, steps of 2⁻¹⁰ ≈ 0.001" in text
    assert f16.max == 65504 and f16.smallest_normal == 2.0 ** -14 and round(2.0 ** -14, 6) == 6.1e-5
    assert f16.smallest_subnormal == 2.0 ** -24 and round(2.0 ** -24, 8) == 6e-8 and f16.eps == 2.0 ** -10
    assert "5 exponent bits and 10 mantissa bits" in text and (f16.nexp, f16.nmant) == (5, 10)
    # bfloat16: float32's 8 exponent bits, 7 mantissa bits: the top half of a float32's bits
    assert "bfloat16 keeps float32's 8 exponent bits (up to about 3.4e38, down to about 1e-38) and only 7 mantissa" in text
    f32 = np.finfo(np.float32)
    assert f32.nexp == 8 and 32 - 16 - 1 - 8 == 7 and round(float(f32.max) / 1e38, 1) == 3.4
    assert float(f32.smallest_normal) == pytest.approx(1.18e-38, rel=1e-2)
    bf16_max = np.array([0x7F7F0000], dtype=np.uint32).view(np.float32)[0]  # largest finite bfloat16
    assert round(float(bf16_max) / 1e38, 1) == 3.4
    # the cell's three demonstrations
    assert "a gradient of 1e-8 becomes 0, a running sum of 0.01 stops growing at 32, and counting in steps of 1 stops at 2048" \
        in text
    assert np.float16(1e-8) == 0 and np.float16(1e-8 * 65536) > 0
    assert np.cumsum(np.full(10_000, 0.01, dtype=np.float16), dtype=np.float16)[-1] == 32
    count = np.float16(0)
    for _ in range(3000):
        count = count + np.float16(1)
    assert count == 2048 and np.spacing(np.float16(2048)) == 2
    with np.errstate(over="ignore"):
        assert np.isinf(np.array(70000.0).astype(np.float16))


def test_loss_scale_facts(cells, solved):
    text = cells["md-fp16"]
    assert "multiply the loss by a scale `S` (say 65536)" in text
    # loss scaling saves the 1e-8 gradient: scaled it is a float16 normal number, unscaled in float32 it is back
    assert np.float16(1e-8 * 65536) >= np.finfo(np.float16).smallest_normal
    assert np.float32(np.float16(1e-8 * 65536)) / 65536 == pytest.approx(1e-8, rel=1e-3)
    # the picture's title, with the solution's rules
    assert "The scale halves at each overflow and doubles after 50 clean steps" in cells["scaler_picture"]
    update = solved["loss_scale_update"]
    scale, good = 1024.0, 0
    for _ in range(49):
        scale, good, skip = update(scale, False, good, 50)
    assert (scale, skip) == (1024.0, False)
    assert update(scale, False, good, 50)[0] == 2048.0 and update(scale, True, good, 50)[:3:2] == (512.0, True)


def test_activation_memory_facts(cells, solved):
    text = cells["md-ckpt"]
    # the list: 8 D per token (x, a, q, k, v, o, h, layernorm 2's output), 2 F (u and gelu(u)), H L L per sequence
    assert "8·D values" in text and "2·F" in text and "H·L·L values" in text
    assert len(["x", "a", "q", "k", "v", "o", "h", "ln2"]) == 8 and len(["u", "gelu_u"]) == 2
    B, L, D, H, F, s = 1, 4096, 4096, 32, 16384, 2
    total = (B * L * (8 * D + 2 * F) + B * H * L * L) * s
    assert "in bf16 that is 1.5 GiB per block, 1 GiB of it the attention weights" in text
    assert total == 1.5 * 2 ** 30 and B * H * L * L * s == 2 ** 30
    assert solved["activation_bytes"](B, L, D, H, F, s) == total
    # checkpointing: one more forward, 2 + 2 + 4 = 8 FLOPs per parameter per token instead of 2 + 4 = 6
    assert "for about a third more compute (one more forward: 8 FLOPs per parameter per token instead of 6)" in text
    assert 2 + 2 + 4 == 8 and 8 / 6 - 1 == pytest.approx(1 / 3)


def test_mixture_of_experts_facts(cells, solved):
    text = cells["md-moe"]
    assert "so the parameters grow E-fold while the FLOPs per token grow only k-fold" in text
    # the check cell's numbers
    check = cells["check_moe"]
    assert "capacity ceil(1.0 * 4 * 1 / 2) = 2: tokens 2 and 3 are dropped" in check and int(np.ceil(1.0 * 4 * 1 / 2)) == 2
    assert "moe_bytes_per_device(4096, 4096, 2, 8, 2) / 2**20, 112.0" in check
    assert 2 * 4096 * 2 * 4096 * 2 * (8 - 1) / 8 / 2 ** 20 == 112
    w = np.exp([3.0, 2.0]) / np.exp([3.0, 2.0]).sum()
    assert "softmax of [3, 2]" in check and np.allclose(w, [1 / (1 + np.exp(-1.0)), 1 / (1 + np.exp(1.0))])
    # the balance loss is 1 when routing is uniform, and grows when a few experts take most tokens
    assert "It is 1 when routing is uniform, and grows as a few experts take most tokens" in text
    loss = solved["load_balancing_loss"]
    assert loss(np.full((8, 4), 0.25), np.arange(8).reshape(8, 1) % 4) == pytest.approx(1)
    skewed = np.tile([0.7, 0.1, 0.1, 0.1], (8, 1))
    assert loss(skewed, np.zeros((8, 1), dtype=int)) == pytest.approx(4 * 0.7) and 4 * 0.7 > 1
    # the one-pager's summary line agrees with the exercise
    page = cells["md-one-pager"]
    assert "capacity `ceil(capacity_factor · T · k / E)` per expert" in page
    assert "`2·T·k·D·s·(N − 1)/N` bytes sent per device" in page
    assert "`B·L·(8D + 2F) + B·H·L²` values" in page
    assert solved["moe_bytes_per_device"](4096, 4096, 2, 8, 2) == 2 * 4096 * 2 * 4096 * 2 * 7 / 8
    # the picture's words: tokens above a capacity line are dropped
    assert "tokens above the line are dropped" in cells["moe_picture"]
    rng = np.random.default_rng(8)
    logits = rng.normal(size=(512, 8)) + np.linspace(1.5, -1.5, 8)
    experts, _ = solved["top_k_router"](logits, 2)
    load = np.bincount(np.ravel(experts), minlength=8)
    assert load.max() > np.ceil(1.25 * 512 * 2 / 8)  # the skewed router does overflow the drawn capacities
