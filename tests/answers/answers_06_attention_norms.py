"""Wrong and alternative answers for 06_attention_norms, one solution cell each.

Each entry names the solution cell it replaces, the test cell that grades it, and the code a
learner might write. A wrong answer must lose exactly that test cell's points; an alternative
correct answer must keep full marks. The hidden tests of attention, multi-head attention, the block,
decoding and the language model's gradients swap in correct versions of the helpers they build on
while they run, so a bug is graded in its own exercise. Training cannot be graded that way: it runs
the learner's own functions, so a bug that spoils it (NaNs, a shape error, or a model that learns
less than 90% of the reversals; correct answers learn all of them, the slightly wrong gradients
below still reach 98%) also costs `test_lm`. Such entries name both test cells.

Most wrong answers are one edit of a correct answer (``_edit``), so each entry shows the one
mistake a learner makes, by class: the wrong axis, a missing term, a missing transpose, a missing
sum over broadcast axes, a reshape where a transpose belongs, a dropped residual, a clip where a
shift belongs, a changed default of a given signature, a float for a byte count, and for decoding a
step that ignores its cache or an output that reads a later token.
"""


def _edit(code: str, old: str, new: str) -> str:
    """``code`` with its one ``old`` replaced by ``new`` (an entry that no longer applies fails loudly)."""
    assert code.count(old) == 1, f"{old!r} is not once in the answer"
    return code.replace(old, new)


SOFTMAX = '''
def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)

def softmax_backward(dp, p, axis=-1):
    return p * (dp - (p * dp).sum(axis=axis, keepdims=True))
'''

MASK = '''
def causal_mask(L, M=None):
    M = L if M is None else M
    return np.arange(M)[None, :] <= np.arange(L)[:, None] + (M - L)
'''

PREDICTIONS = '''
from mlgrind.checks import skip_if_not_attempted

answers = [None] * len(QUESTIONS)
with skip_if_not_attempted("answers"):
    answers = [(2, 4, 5, 7), "error", "error", "error", (2, 4, 5, 7), (2, 1, 5, 7), (2, 4, 5, 1)]
'''

ATTENTION = '''
def attention_forward(q_BHLK, k_BHMK, v_BHMK, mask_LM=None):
    K = q_BHLK.shape[-1]
    scores_BHLM = np.einsum("bhlk,bhmk->bhlm", q_BHLK, k_BHMK) / np.sqrt(K)
    if mask_LM is not None:
        scores_BHLM = np.where(mask_LM, scores_BHLM, -np.inf)
    p_BHLM = softmax(scores_BHLM, axis=-1)
    o_BHLK = np.einsum("bhlm,bhmk->bhlk", p_BHLM, v_BHMK)
    return o_BHLK, (q_BHLK, k_BHMK, v_BHMK, p_BHLM)

def attention_backward(do_BHLK, cache):
    q_BHLK, k_BHMK, v_BHMK, p_BHLM = cache
    K = q_BHLK.shape[-1]
    dv_BHMK = np.einsum("bhlm,bhlk->bhmk", p_BHLM, do_BHLK)
    dp_BHLM = np.einsum("bhlk,bhmk->bhlm", do_BHLK, v_BHMK)
    dscores_BHLM = softmax_backward(dp_BHLM, p_BHLM, axis=-1) / np.sqrt(K)
    dq_BHLK = np.einsum("bhlm,bhmk->bhlk", dscores_BHLM, k_BHMK)
    dk_BHMK = np.einsum("bhlm,bhlk->bhmk", dscores_BHLM, q_BHLK)
    return dq_BHLK, dk_BHMK, dv_BHMK
'''

LAYERNORM = '''
def layernorm_forward(x_BLD, gamma_D, beta_D, eps=1e-5):
    mean_BL1 = x_BLD.mean(axis=-1, keepdims=True)
    std_BL1 = np.sqrt(x_BLD.var(axis=-1, keepdims=True) + eps)
    xhat_BLD = (x_BLD - mean_BL1) / std_BL1
    return xhat_BLD * gamma_D + beta_D, (xhat_BLD, std_BL1, gamma_D)

def layernorm_backward(dy_BLD, cache):
    xhat_BLD, std_BL1, gamma_D = cache
    dbeta_D = dy_BLD.sum(axis=(0, 1))
    dgamma_D = (dy_BLD * xhat_BLD).sum(axis=(0, 1))
    dxhat_BLD = dy_BLD * gamma_D
    dx_BLD = (dxhat_BLD - dxhat_BLD.mean(axis=-1, keepdims=True)
              - xhat_BLD * (dxhat_BLD * xhat_BLD).mean(axis=-1, keepdims=True)) / std_BL1
    return dx_BLD, dgamma_D, dbeta_D
'''

GELU = '''
def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))

def gelu_backward(dy, x):
    c = np.sqrt(2.0 / np.pi)
    t = np.tanh(c * (x + 0.044715 * x ** 3))
    return dy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t ** 2) * c * (1.0 + 3 * 0.044715 * x ** 2))
'''

MHA = '''
def mha_forward(params, x_BLD, n_heads, causal=True):
    B, L, D = x_BLD.shape
    H, K = n_heads, D // n_heads

    def split(a_BLD):
        return a_BLD.reshape(B, L, H, K).transpose(0, 2, 1, 3)

    q_BHLK, k_BHLK, v_BHLK = (split(x_BLD @ params[w]) for w in ("wq_DD", "wk_DD", "wv_DD"))
    o_BHLK, attention_cache = attention_forward(q_BHLK, k_BHLK, v_BHLK, causal_mask(L) if causal else None)
    o_BLD = o_BHLK.transpose(0, 2, 1, 3).reshape(B, L, D)
    return o_BLD @ params["wo_DD"], {"x_BLD": x_BLD, "o_BLD": o_BLD, "attention": attention_cache, "H": H}

def mha_backward(params, cache, dy_BLD):
    x_BLD, o_BLD, H = cache["x_BLD"], cache["o_BLD"], cache["H"]
    B, L, D = x_BLD.shape
    do_BHLK = (dy_BLD @ params["wo_DD"].T).reshape(B, L, H, D // H).transpose(0, 2, 1, 3)
    dq, dk, dv = (d.transpose(0, 2, 1, 3).reshape(B, L, D) for d in attention_backward(do_BHLK, cache["attention"]))
    grads = {"wo_DD": np.einsum("bld,ble->de", o_BLD, dy_BLD)}
    dx_BLD = np.zeros_like(x_BLD)
    for name, d_BLD in (("wq_DD", dq), ("wk_DD", dk), ("wv_DD", dv)):
        grads[name] = np.einsum("bld,ble->de", x_BLD, d_BLD)
        dx_BLD = dx_BLD + d_BLD @ params[name].T
    return dx_BLD, grads
'''

BLOCK = '''
def block_forward(params, x_BLD, n_heads):
    a_BLD, ln1 = layernorm_forward(x_BLD, params["ln1_gamma_D"], params["ln1_beta_D"])
    attn_BLD, mha = mha_forward(params, a_BLD, n_heads, causal=True)
    h_BLD = x_BLD + attn_BLD
    n_BLD, ln2 = layernorm_forward(h_BLD, params["ln2_gamma_D"], params["ln2_beta_D"])
    u_BLF = n_BLD @ params["w1_DF"] + params["b1_F"]
    g_BLF = gelu(u_BLF)
    y_BLD = h_BLD + g_BLF @ params["w2_FD"] + params["b2_D"]
    return y_BLD, (ln1, mha, ln2, n_BLD, u_BLF, g_BLF)

def block_backward(params, cache, dy_BLD):
    ln1, mha, ln2, n_BLD, u_BLF, g_BLF = cache
    grads = {"w2_FD": np.einsum("blf,bld->fd", g_BLF, dy_BLD), "b2_D": dy_BLD.sum(axis=(0, 1))}
    du_BLF = gelu_backward(dy_BLD @ params["w2_FD"].T, u_BLF)
    grads["w1_DF"] = np.einsum("bld,blf->df", n_BLD, du_BLF)
    grads["b1_F"] = du_BLF.sum(axis=(0, 1))
    dh_BLD, grads["ln2_gamma_D"], grads["ln2_beta_D"] = layernorm_backward(du_BLF @ params["w1_DF"].T, ln2)
    dh_BLD = dy_BLD + dh_BLD
    da_BLD, attention_grads = mha_backward(params, mha, dh_BLD)
    grads.update(attention_grads)
    dx_BLD, grads["ln1_gamma_D"], grads["ln1_beta_D"] = layernorm_backward(da_BLD, ln1)
    return dh_BLD + dx_BLD, grads
'''

DECODE = '''
def decode_step(params, x_B1D, cache, n_heads):
    B, _, D = x_B1D.shape
    H, K = n_heads, D // n_heads
    q_BH1K, k_BH1K, v_BH1K = ((x_B1D @ params[w]).reshape(B, 1, H, K).transpose(0, 2, 1, 3)
                              for w in ("wq_DD", "wk_DD", "wv_DD"))
    k_BHTK = np.concatenate([cache[0], k_BH1K], axis=2)
    v_BHTK = np.concatenate([cache[1], v_BH1K], axis=2)
    o_BH1K, _ = attention_forward(q_BH1K, k_BHTK, v_BHTK)
    return o_BH1K.transpose(0, 2, 1, 3).reshape(B, 1, D) @ params["wo_DD"], (k_BHTK, v_BHTK)

def mha_decode(params, x_BLD, n_heads):
    B, L, D = x_BLD.shape
    empty_BH0K = np.zeros((B, n_heads, 0, D // n_heads), dtype=x_BLD.dtype)
    cache, outputs = (empty_BH0K, empty_BH0K), []
    for t in range(L):
        y_B1D, cache = decode_step(params, x_BLD[:, t:t + 1], cache, n_heads)
        outputs.append(y_B1D)
    return np.concatenate(outputs, axis=1)

def kv_cache_bytes(batch, seq_len, n_layers, d_model, itemsize=2):
    return 2 * n_layers * batch * seq_len * d_model * itemsize
'''

STEP = DECODE[:DECODE.index("def mha_decode")]
KV_BYTES = DECODE[DECODE.index("def kv_cache_bytes"):]

LM = '''
def lm_forward(params, tokens_BL, n_heads):
    L = tokens_BL.shape[1]
    x_BLD = params["embed_VD"][tokens_BL] + params["pos_LD"][:L]
    y_BLD, block_cache = block_forward(block_params(params), x_BLD, n_heads)
    return y_BLD @ params["unembed_DV"], (tokens_BL, y_BLD, block_cache)

def lm_backward(params, cache, dlogits_BLV):
    tokens_BL, y_BLD, block_cache = cache
    L = tokens_BL.shape[1]
    grads = {"unembed_DV": np.einsum("bld,blv->dv", y_BLD, dlogits_BLV)}
    dx_BLD, block_grads = block_backward(block_params(params), block_cache, dlogits_BLV @ params["unembed_DV"].T)
    grads |= block_grads
    grads["embed_VD"] = np.zeros_like(params["embed_VD"])
    np.add.at(grads["embed_VD"], tokens_BL, dx_BLD)
    grads["pos_LD"] = np.zeros_like(params["pos_LD"])
    grads["pos_LD"][:L] = dx_BLD.sum(axis=0)
    return grads
'''

TRAIN = "test_lm"  # training runs the learner's own functions: a bug that spoils it costs these points too

WRONG = {
    # ---------------------------------------------------------------- softmax
    "softmax_ignores_axis": ("softmax", "test_softmax", _edit(SOFTMAX, '''    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)''', '''    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)''')),
    "softmax_without_max_shift": ("softmax", "test_softmax", _edit(SOFTMAX, "np.exp(z - z.max(axis=axis, keepdims=True))",
                                                                   "np.exp(z)")),
    "softmax_max_without_keepdims": ("softmax", ("test_softmax", TRAIN), _edit(SOFTMAX, "z.max(axis=axis, keepdims=True)",
                                                                      "z.max(axis=axis)")),
    "softmax_shifts_z_in_place": ("softmax", "test_softmax", _edit(SOFTMAX, '''    e = np.exp(z - z.max(axis=axis, keepdims=True))''',
                                                                   '''    z -= z.max(axis=axis, keepdims=True)
    e = np.exp(z)''')),
    "softmax_backward_without_the_sum_term": ("softmax", "test_softmax", _edit(
        SOFTMAX, "p * (dp - (p * dp).sum(axis=axis, keepdims=True))", "p * dp")),
    "softmax_backward_sums_over_the_wrong_axis": ("softmax", ("test_softmax", TRAIN), _edit(
        SOFTMAX, "(p * dp).sum(axis=axis, keepdims=True)", "(p * dp).sum(axis=0, keepdims=True)")),
    "softmax_backward_sums_everything": ("softmax", ("test_softmax", TRAIN), _edit(
        SOFTMAX, "(p * dp).sum(axis=axis, keepdims=True)", "(p * dp).sum()")),
    # logits far from 0: a clip is not a shift
    "softmax_clips_the_logits_at_80": ("softmax", "test_softmax", _edit(
        SOFTMAX, "np.exp(z - z.max(axis=axis, keepdims=True))", "np.exp(np.clip(z, -80, 80))")),
    "softmax_clips_where_float64_overflows": ("softmax", "test_softmax", _edit(
        SOFTMAX, "np.exp(z - z.max(axis=axis, keepdims=True))", "np.exp(np.clip(z, -700, 700))")),
    "softmax_shifts_by_the_first_entry": ("softmax", "test_softmax", _edit(
        SOFTMAX, "np.exp(z - z.max(axis=axis, keepdims=True))", "np.exp(z - np.take(z, [0], axis=axis))")),
    "softmax_shifts_by_the_mean": ("softmax", ("test_softmax", TRAIN), _edit(
        SOFTMAX, "np.exp(z - z.max(axis=axis, keepdims=True))", "np.exp(z - z.mean(axis=axis, keepdims=True))")),
    # the defaults of the given signatures
    "softmax_backward_defaults_to_axis_0": ("softmax", "test_softmax", _edit(
        SOFTMAX, "def softmax_backward(dp, p, axis=-1):", "def softmax_backward(dp, p, axis=0):")),
    "softmax_defaults_to_axis_0": ("softmax", "test_softmax", _edit(
        SOFTMAX, "def softmax(z, axis=-1):", "def softmax(z, axis=0):")),
    # ---------------------------------------------------------------- causal mask
    "mask_upper_triangle": ("causal_mask", ("test_causal_mask", TRAIN), _edit(MASK, "<=", ">=")),
    "mask_diagonal_off_by_one": ("causal_mask", ("test_causal_mask", TRAIN), _edit(MASK, "<=", "<")),
    "mask_queries_first": ("causal_mask", "test_causal_mask", _edit(MASK, " + (M - L)", "")),
    "mask_transposed": ("causal_mask", ("test_causal_mask", TRAIN), _edit(
        MASK, "np.arange(M)[None, :] <= np.arange(L)[:, None] + (M - L)",
        "np.arange(L)[None, :] + (M - L) >= np.arange(M)[:, None]")),
    "mask_with_tril": ("causal_mask", "test_causal_mask", _edit(
        MASK, "np.arange(M)[None, :] <= np.arange(L)[:, None] + (M - L)", "np.tril(np.ones((L, M), dtype=bool), M - L)")),
    "mask_with_a_loop": ("causal_mask", "test_causal_mask", _edit(
        MASK, "np.arange(M)[None, :] <= np.arange(L)[:, None] + (M - L)",
        "np.array([[j <= i + M - L for j in range(M)] for i in range(L)])")),
    "mask_of_ints": ("causal_mask", "test_causal_mask", _edit(
        MASK, "np.arange(M)[None, :] <= np.arange(L)[:, None] + (M - L)",
        "(np.arange(M)[None, :] <= np.arange(L)[:, None] + (M - L)).astype(int)")),
    # ---------------------------------------------------------------- predictions
    "predictions_pad_with_one_new_axis": ("mask_predictions", "test_mask_predictions", _edit(
        PREDICTIONS, '"error", "error", "error", (2, 4, 5, 7)', '"error", "error", (2, 4, 5, 7), (2, 4, 5, 7)')),
    "predictions_transposed_mask_broadcasts": ("mask_predictions", "test_mask_predictions", _edit(
        PREDICTIONS, '[(2, 4, 5, 7), "error",', '[(2, 4, 5, 7), (2, 4, 5, 7),')),
    "predictions_keepdims_forgotten": ("mask_predictions", "test_mask_predictions", _edit(
        PREDICTIONS, "(2, 4, 5, 1)]", "(2, 4, 5)]")),
    # ---------------------------------------------------------------- attention
    "attention_without_a_mask_is_causal_by_default": ("attention", "test_attention", _edit(_edit(
        ATTENTION, "def attention_forward(q_BHLK, k_BHMK, v_BHMK, mask_LM=None):",
        "def attention_forward(q_BHLK, k_BHMK, v_BHMK, mask_LM=\"causal\"):"),
        "    if mask_LM is not None:\n",
        "    if isinstance(mask_LM, str):\n"
        "        mask_LM = causal_mask(q_BHLK.shape[2], k_BHMK.shape[2])\n"
        "    if mask_LM is not None:\n")),
    "attention_scaled_by_K": ("attention", "test_attention", _edit(
        ATTENTION, 'k_BHMK) / np.sqrt(K)', 'k_BHMK) / K')),
    "attention_scaled_by_sqrt_D": ("attention", "test_attention", _edit(
        ATTENTION, '''    K = q_BHLK.shape[-1]
    scores_BHLM''', '''    K = q_BHLK.shape[1] * q_BHLK.shape[-1]
    scores_BHLM''')),
    "attention_not_scaled": ("attention", "test_attention", _edit(
        ATTENTION, 'k_BHMK) / np.sqrt(K)', 'k_BHMK)')),
    "attention_mask_after_softmax": ("attention", "test_attention", _edit(
        ATTENTION, '''    if mask_LM is not None:
        scores_BHLM = np.where(mask_LM, scores_BHLM, -np.inf)
    p_BHLM = softmax(scores_BHLM, axis=-1)''', '''    p_BHLM = softmax(scores_BHLM, axis=-1)
    if mask_LM is not None:
        p_BHLM = p_BHLM * mask_LM''')),
    "attention_mask_with_zero": ("attention", "test_attention", _edit(
        ATTENTION, "np.where(mask_LM, scores_BHLM, -np.inf)", "np.where(mask_LM, scores_BHLM, 0.0)")),
    "attention_mask_ignored": ("attention", "test_attention", _edit(
        ATTENTION, "    if mask_LM is not None:\n        scores_BHLM = np.where(mask_LM, scores_BHLM, -np.inf)\n", "")),
    "attention_softmax_over_queries": ("attention", ("test_attention", TRAIN), _edit(
        ATTENTION, "p_BHLM = softmax(scores_BHLM, axis=-1)", "p_BHLM = softmax(scores_BHLM, axis=-2)")),
    "attention_dk_missing_transpose": ("attention", "test_attention", _edit(
        ATTENTION, 'dk_BHMK = np.einsum("bhlm,bhlk->bhmk", dscores_BHLM, q_BHLK)', 'dk_BHMK = dscores_BHLM @ q_BHLK')),
    "attention_dv_missing_transpose": ("attention", "test_attention", _edit(
        ATTENTION, 'dv_BHMK = np.einsum("bhlm,bhlk->bhmk", p_BHLM, do_BHLK)', 'dv_BHMK = p_BHLM @ do_BHLK')),
    "attention_backward_without_the_softmax_sum_term": ("attention", "test_attention", _edit(
        ATTENTION, "softmax_backward(dp_BHLM, p_BHLM, axis=-1)", "p_BHLM * dp_BHLM")),
    "attention_backward_without_the_scale": ("attention", "test_attention", _edit(
        ATTENTION, "softmax_backward(dp_BHLM, p_BHLM, axis=-1) / np.sqrt(K)", "softmax_backward(dp_BHLM, p_BHLM, axis=-1)")),
    "attention_dq_from_values": ("attention", "test_attention", _edit(
        ATTENTION, 'dq_BHLK = np.einsum("bhlm,bhmk->bhlk", dscores_BHLM, k_BHMK)',
        'dq_BHLK = np.einsum("bhlm,bhmk->bhlk", dscores_BHLM, v_BHMK)')),
    # ---------------------------------------------------------------- layernorm
    "layernorm_over_the_batch_axis": ("layernorm", ("test_layernorm", TRAIN), _edit(_edit(
        LAYERNORM, "mean_BL1 = x_BLD.mean(axis=-1, keepdims=True)", "mean_BL1 = x_BLD.mean(axis=0, keepdims=True)"),
        "np.sqrt(x_BLD.var(axis=-1, keepdims=True) + eps)", "np.sqrt(x_BLD.var(axis=0, keepdims=True) + eps)")),
    "layernorm_ddof_1": ("layernorm", "test_layernorm", _edit(
        LAYERNORM, "x_BLD.var(axis=-1, keepdims=True)", "x_BLD.var(axis=-1, keepdims=True, ddof=1)")),
    "layernorm_eps_outside_the_root": ("layernorm", "test_layernorm", _edit(
        LAYERNORM, "np.sqrt(x_BLD.var(axis=-1, keepdims=True) + eps)", "np.sqrt(x_BLD.var(axis=-1, keepdims=True)) + eps")),
    "layernorm_default_eps_1e_6": ("layernorm", "test_layernorm", _edit(
        LAYERNORM, "def layernorm_forward(x_BLD, gamma_D, beta_D, eps=1e-5):", "def layernorm_forward(x_BLD, gamma_D, beta_D, eps=1e-6):")),
    "layernorm_ignores_eps": ("layernorm", "test_layernorm", _edit(
        LAYERNORM, "keepdims=True) + eps)", "keepdims=True) + 1e-5)")),
    "layernorm_backward_missing_the_mean_term": ("layernorm", "test_layernorm", _edit(
        LAYERNORM, "(dxhat_BLD - dxhat_BLD.mean(axis=-1, keepdims=True)\n", "(dxhat_BLD\n")),
    "layernorm_backward_missing_the_variance_term": ("layernorm", "test_layernorm", _edit(
        LAYERNORM, "\n              - xhat_BLD * (dxhat_BLD * xhat_BLD).mean(axis=-1, keepdims=True)) / std_BL1", ") / std_BL1")),
    "layernorm_backward_forgets_gamma": ("layernorm", "test_layernorm", _edit(
        LAYERNORM, "dxhat_BLD = dy_BLD * gamma_D", "dxhat_BLD = dy_BLD")),
    "layernorm_dgamma_not_summed": ("layernorm", ("test_layernorm", TRAIN), _edit(
        LAYERNORM, "dgamma_D = (dy_BLD * xhat_BLD).sum(axis=(0, 1))", "dgamma_D = dy_BLD * xhat_BLD")),
    "layernorm_dbeta_summed_over_the_batch_only": ("layernorm", ("test_layernorm", TRAIN), _edit(
        LAYERNORM, "dbeta_D = dy_BLD.sum(axis=(0, 1))", "dbeta_D = dy_BLD.sum(axis=0)")),
    "layernorm_dbeta_averaged": ("layernorm", "test_layernorm", _edit(
        LAYERNORM, "dbeta_D = dy_BLD.sum(axis=(0, 1))", "dbeta_D = dy_BLD.mean(axis=(0, 1))")),
    # ---------------------------------------------------------------- gelu
    "gelu_exact_erf": ("gelu", "test_gelu", _edit(
        GELU, "    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))",
        "    import math\n    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / np.sqrt(2.0)))")),
    "gelu_sigmoid_approximation": ("gelu", "test_gelu", _edit(
        GELU, "    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))",
        "    return x / (1.0 + np.exp(-1.702 * x))")),
    "gelu_backward_without_dy": ("gelu", ("test_gelu", TRAIN), _edit(GELU, "    return dy * (0.5", "    return (0.5")),
    "gelu_backward_missing_the_product_rule_term": ("gelu", "test_gelu", _edit(
        GELU, "0.5 * (1.0 + t) + 0.5 * x * (1.0 - t ** 2) * c * (1.0 + 3 * 0.044715 * x ** 2)", "0.5 * (1.0 + t)")),
    "gelu_backward_missing_the_chain_rule_inside": ("gelu", "test_gelu", _edit(
        GELU, " * c * (1.0 + 3 * 0.044715 * x ** 2)", " * c")),
    # ---------------------------------------------------------------- multi-head attention
    "mha_merge_with_a_bare_reshape": ("mha", ("test_mha", TRAIN), _edit(_edit(
        MHA, "o_BLD = o_BHLK.transpose(0, 2, 1, 3).reshape(B, L, D)", "o_BLD = o_BHLK.reshape(B, L, D)"),
        "(dy_BLD @ params[\"wo_DD\"].T).reshape(B, L, H, D // H).transpose(0, 2, 1, 3)",
        "(dy_BLD @ params[\"wo_DD\"].T).reshape(B, H, L, D // H)")),
    "mha_split_with_a_bare_reshape": ("mha", ("test_mha", TRAIN), _edit(
        MHA, "return a_BLD.reshape(B, L, H, K).transpose(0, 2, 1, 3)", "return a_BLD.reshape(B, H, L, K)")),
    "mha_not_causal_by_default": ("mha", "test_mha", _edit(
        MHA, "def mha_forward(params, x_BLD, n_heads, causal=True):", "def mha_forward(params, x_BLD, n_heads, causal=False):")),
    "mha_ignores_causal": ("mha", "test_mha", _edit(MHA, "causal_mask(L) if causal else None", "causal_mask(L)")),
    "mha_dx_only_through_the_queries": ("mha", "test_mha", _edit(
        MHA, "        dx_BLD = dx_BLD + d_BLD @ params[name].T\n", "        if name == \"wq_DD\":\n            dx_BLD = d_BLD @ params[name].T\n")),
    "mha_weight_gradients_transposed": ("mha", ("test_mha", TRAIN), _edit(
        MHA, 'grads[name] = np.einsum("bld,ble->de", x_BLD, d_BLD)', 'grads[name] = np.einsum("bld,ble->ed", x_BLD, d_BLD)')),
    "mha_wo_gradient_from_x": ("mha", "test_mha", _edit(
        MHA, 'np.einsum("bld,ble->de", o_BLD, dy_BLD)', 'np.einsum("bld,ble->de", x_BLD, dy_BLD)')),
    "mha_do_without_wo": ("mha", "test_mha", _edit(MHA, "(dy_BLD @ params[\"wo_DD\"].T).reshape", "dy_BLD.reshape")),
    # ---------------------------------------------------------------- block
    "block_residual_dropped_at_the_input": ("block", "test_block", _edit(
        BLOCK, "    return dh_BLD + dx_BLD, grads", "    return dx_BLD, grads")),
    "block_residual_dropped_around_the_mlp": ("block", "test_block", _edit(
        BLOCK, "    dh_BLD = dy_BLD + dh_BLD\n", "")),
    "block_b1_gradient_not_summed": ("block", ("test_block", TRAIN), _edit(
        BLOCK, 'grads["b1_F"] = du_BLF.sum(axis=(0, 1))', 'grads["b1_F"] = du_BLF')),
    "block_b2_gradient_summed_over_the_batch_only": ("block", ("test_block", TRAIN), _edit(
        BLOCK, '"b2_D": dy_BLD.sum(axis=(0, 1))', '"b2_D": dy_BLD.sum(axis=0)')),
    "block_mlp_reads_x_not_h": ("block", "test_block", _edit(
        BLOCK, "layernorm_forward(h_BLD, params", "layernorm_forward(x_BLD, params")),
    "block_post_norm": ("block", "test_block", _edit(
        BLOCK, "    a_BLD, ln1 = layernorm_forward(x_BLD, params[\"ln1_gamma_D\"], params[\"ln1_beta_D\"])\n"
               "    attn_BLD, mha = mha_forward(params, a_BLD, n_heads, causal=True)\n"
               "    h_BLD = x_BLD + attn_BLD\n",
        "    attn_BLD, mha = mha_forward(params, x_BLD, n_heads, causal=True)\n"
        "    h_BLD, ln1 = layernorm_forward(x_BLD + attn_BLD, params[\"ln1_gamma_D\"], params[\"ln1_beta_D\"])\n")),
    "block_gelu_backward_at_the_output": ("block", "test_block", _edit(
        BLOCK, 'gelu_backward(dy_BLD @ params["w2_FD"].T, u_BLF)', 'gelu_backward(dy_BLD @ params["w2_FD"].T, g_BLF)')),
    "block_grads_miss_the_attention_weights": ("block", ("test_block", TRAIN), _edit(BLOCK, "    grads.update(attention_grads)\n", "")),
    # ---------------------------------------------------------------- decoding
    "decode_attends_to_future_tokens": ("decode", "test_decode", STEP + '''
def mha_decode(params, x_BLD, n_heads):
    B, L, D = x_BLD.shape
    H, K = n_heads, D // n_heads
    k_BHLK, v_BHLK = ((x_BLD @ params[w]).reshape(B, L, H, K).transpose(0, 2, 1, 3) for w in ("wk_DD", "wv_DD"))
    outputs = []
    for t in range(L):
        q_BH1K = (x_BLD[:, t:t + 1] @ params["wq_DD"]).reshape(B, 1, H, K).transpose(0, 2, 1, 3)
        o_BH1K, _ = attention_forward(q_BH1K, k_BHLK, v_BHLK)
        outputs.append(o_BH1K.transpose(0, 2, 1, 3).reshape(B, 1, D) @ params["wo_DD"])
    return np.concatenate(outputs, axis=1)
''' + KV_BYTES),
    "decode_drops_the_first_token": ("decode", "test_decode", _edit(
        DECODE, "attention_forward(q_BH1K, k_BHTK, v_BHTK)",
        "attention_forward(q_BH1K, k_BHTK[:, :, 1:] if k_BHTK.shape[2] > 1 else k_BHTK,\n"
        "                                  v_BHTK[:, :, 1:] if v_BHTK.shape[2] > 1 else v_BHTK)")),
    "decode_attends_before_appending": ("decode", "test_decode", _edit(
        DECODE, "attention_forward(q_BH1K, k_BHTK, v_BHTK)",
        "attention_forward(q_BH1K, *(cache if cache[0].shape[2] else (k_BHTK, v_BHTK)))")),
    "decode_recomputes_with_mha_forward": ("decode", "test_decode", STEP + '''
def mha_decode(params, x_BLD, n_heads):
    steps = [mha_forward(params, x_BLD[:, :t + 1], n_heads, causal=True)[0][:, -1:] for t in range(x_BLD.shape[1])]
    return np.concatenate(steps, axis=1)
''' + KV_BYTES),
    # the process: the step reads earlier positions only through the cache, and no output reads a later one
    "decode_step_ignores_the_cache": ("decode", "test_decode", _edit(
        DECODE, "attention_forward(q_BH1K, k_BHTK, v_BHTK)", "attention_forward(q_BH1K, k_BH1K, v_BH1K)")),
    "decode_step_puts_the_new_key_first": ("decode", "test_decode", _edit(_edit(
        DECODE, "np.concatenate([cache[0], k_BH1K], axis=2)", "np.concatenate([k_BH1K, cache[0]], axis=2)"),
        "np.concatenate([cache[1], v_BH1K], axis=2)", "np.concatenate([v_BH1K, cache[1]], axis=2)")),
    "decode_step_reprojects_the_prefix_it_caches": ("decode", "test_decode", '''
def decode_step(params, x_B1D, cache, n_heads):
    x_BTD = np.concatenate([cache[0], x_B1D], axis=1)      # the inputs so far, projected again every step
    B, T, D = x_BTD.shape
    H, K = n_heads, D // n_heads
    q_BHTK, k_BHTK, v_BHTK = ((x_BTD @ params[w]).reshape(B, T, H, K).transpose(0, 2, 1, 3)
                              for w in ("wq_DD", "wk_DD", "wv_DD"))
    o_BH1K, _ = attention_forward(q_BHTK[:, :, -1:], k_BHTK, v_BHTK)
    return o_BH1K.transpose(0, 2, 1, 3).reshape(B, 1, D) @ params["wo_DD"], (x_BTD, x_BTD)

def mha_decode(params, x_BLD, n_heads):
    B, L, D = x_BLD.shape
    cache, outputs = (x_BLD[:, :0], x_BLD[:, :0]), []
    for t in range(L):
        y_B1D, cache = decode_step(params, x_BLD[:, t:t + 1], cache, n_heads)
        outputs.append(y_B1D)
    return np.concatenate(outputs, axis=1)
''' + KV_BYTES),
    "mha_decode_full_causal_attention_in_one_shot": ("decode", "test_decode", STEP + '''
def mha_decode(params, x_BLD, n_heads):
    B, L, D = x_BLD.shape
    H, K = n_heads, D // n_heads
    q, k, v = ((x_BLD @ params[w]).reshape(B, L, H, K).transpose(0, 2, 1, 3) for w in ("wq_DD", "wk_DD", "wv_DD"))
    o_BHLK, _ = attention_forward(q, k, v, causal_mask(L))
    return o_BHLK.transpose(0, 2, 1, 3).reshape(B, L, D) @ params["wo_DD"]
''' + KV_BYTES),
    "mha_decode_masks_future_scores_with_a_large_negative": ("decode", "test_decode", STEP + '''
def mha_decode(params, x_BLD, n_heads):
    B, L, D = x_BLD.shape
    H, K = n_heads, D // n_heads
    q, k, v = ((x_BLD @ params[w]).reshape(B, L, H, K).transpose(0, 2, 1, 3) for w in ("wq_DD", "wk_DD", "wv_DD"))
    outputs = []
    for t in range(L):
        scores = np.einsum("bhk,bhmk->bhm", q[:, :, t], k) / np.sqrt(K)
        scores = scores + np.where(np.arange(L) <= t, 0.0, -1e9)
        p = np.exp(scores - scores.max(-1, keepdims=True))
        p = p / p.sum(-1, keepdims=True)
        outputs.append(np.einsum("bhm,bhmk->bhk", p, v).reshape(B, 1, D) @ params["wo_DD"])
    return np.concatenate(outputs, axis=1)
''' + KV_BYTES),
    "kv_cache_bytes_keys_only": ("decode", "test_decode", _edit(
        DECODE, "return 2 * n_layers * batch", "return n_layers * batch")),
    "kv_cache_bytes_ignores_itemsize": ("decode", "test_decode", _edit(
        DECODE, "d_model * itemsize", "d_model * 2")),
    "kv_cache_bytes_a_float": ("decode", "test_decode", _edit(
        DECODE, "return 2 * n_layers * batch * seq_len * d_model * itemsize",
        "return 2.0 * n_layers * batch * seq_len * d_model * itemsize")),
    "kv_cache_bytes_via_gib": ("decode", "test_decode", _edit(
        DECODE, "return 2 * n_layers * batch * seq_len * d_model * itemsize",
        "return 2 * n_layers * batch * seq_len * d_model * itemsize / 2**30 * 2**30")),
    "kv_cache_bytes_layers_first_as_it_once_was": ("decode", "test_decode", _edit(_edit(
        DECODE, "def kv_cache_bytes(batch, seq_len, n_layers, d_model, itemsize=2):",
        "def kv_cache_bytes(n_layers, batch, length, d_model, itemsize=2):"),
        "n_layers * batch * seq_len", "n_layers * batch * length")),
    "kv_cache_bytes_default_itemsize_fp32": ("decode", "test_decode", _edit(
        DECODE, "def kv_cache_bytes(batch, seq_len, n_layers, d_model, itemsize=2):",
        "def kv_cache_bytes(batch, seq_len, n_layers, d_model, itemsize=4):")),
    # ---------------------------------------------------------------- the language model
    "lm_embedding_gradient_written_once_per_token": ("lm", "test_lm", _edit(
        LM, "np.add.at(grads[\"embed_VD\"], tokens_BL, dx_BLD)", "grads[\"embed_VD\"][tokens_BL] += dx_BLD")),
    "lm_position_gradient_averaged_over_the_batch": ("lm", "test_lm", _edit(
        LM, "dx_BLD.sum(axis=0)", "dx_BLD.mean(axis=0)")),
    "lm_unembed_gradient_transposed": ("lm", "test_lm", _edit(
        LM, 'np.einsum("bld,blv->dv", y_BLD, dlogits_BLV)', 'np.einsum("bld,blv->vd", y_BLD, dlogits_BLV)')),
    "lm_without_positions": ("lm", "test_lm", _edit(LM, " + params[\"pos_LD\"][:L]", "")),
}

ALTERNATIVE = {
    "lm_one_hot_matmuls": ("lm", '''
def lm_forward(params, tokens_BL, n_heads):
    B, L = tokens_BL.shape
    onehot_BLV = np.eye(params["embed_VD"].shape[0])[tokens_BL]
    x_BLD = onehot_BLV @ params["embed_VD"] + params["pos_LD"][None, :L]
    y_BLD, cache = block_forward(block_params(params), x_BLD, n_heads)
    return y_BLD @ params["unembed_DV"], {"onehot": onehot_BLV, "y": y_BLD, "block": cache}

def lm_backward(params, cache, dlogits_BLV):
    onehot_BLV, y_BLD = cache["onehot"], cache["y"]
    B, L, V = onehot_BLV.shape
    D = y_BLD.shape[-1]
    dx_BLD, grads = block_backward(block_params(params), cache["block"], dlogits_BLV @ params["unembed_DV"].T)
    grads = dict(grads)
    grads["unembed_DV"] = y_BLD.reshape(-1, D).T @ dlogits_BLV.reshape(-1, V)
    grads["embed_VD"] = onehot_BLV.reshape(-1, V).T @ dx_BLD.reshape(-1, D)
    grads["pos_LD"] = np.concatenate([dx_BLD.sum(0), np.zeros((params["pos_LD"].shape[0] - L, D))])
    return grads
'''),
    # one query per step: (B, H, 1, K) and (B, 1, H, K) hold the same sequence, so a reshape merges the heads
    "decode_one_query_merges_heads_with_a_reshape": ("decode", _edit(
        DECODE, "o_BH1K.transpose(0, 2, 1, 3).reshape(B, 1, D)", "o_BH1K.reshape(B, 1, D)")),
    "softmax_log_sum_exp_and_jacobian_einsum": ("softmax", '''
def softmax(z, axis=-1):
    m = np.max(z, axis=axis, keepdims=True)
    log_p = (z - m) - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return np.exp(log_p)

def softmax_backward(dp, p, axis=-1):
    p_last, dp_last = np.moveaxis(p, axis, -1), np.moveaxis(dp, axis, -1)
    n = p_last.shape[-1]
    jacobian = p_last[..., :, None] * (np.eye(n) - p_last[..., None, :])   # d p_i / d z_j
    return np.moveaxis(np.einsum("...i,...ij->...j", dp_last, jacobian), -1, axis)
'''),
    "softmax_by_hand_with_sum_first": ("softmax", '''
def softmax(z, axis=-1):
    shifted = z - np.amax(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    total = np.add.reduce(e, axis=axis, keepdims=True)
    return e / total

def softmax_backward(dp, p, axis=-1):
    weighted = np.sum(p * dp, axis=axis, keepdims=True)
    return p * dp - p * weighted
'''),
    "causal_mask_subtract_outer": ("causal_mask", '''
def causal_mask(L, M=None):
    if M is None:
        M = L
    return np.subtract.outer(np.arange(L) + M - L, np.arange(M)) >= 0
'''),
    "causal_mask_greater_equal_of_columns": ("causal_mask", '''
def causal_mask(L, M=None):
    M = M or L
    query_L1 = np.arange(M - L, M).reshape(L, 1)
    key_1M = np.arange(M).reshape(1, M)
    return np.greater_equal(query_L1, key_1M)
'''),
    "predictions_as_lists": ("mask_predictions", '''
from mlgrind.checks import skip_if_not_attempted

answers = [None] * len(QUESTIONS)
with skip_if_not_attempted("answers"):
    answers = [[2, 4, 5, 7], "Error", "error", " error", [2, 4, 5, 7], [2, 1, 5, 7], [2, 4, 5, 1]]
'''),
    "attention_matmul_and_a_dict_cache": ("attention", '''
def attention_forward(q_BHLK, k_BHMK, v_BHMK, mask_LM=None):
    scores_BHLM = (q_BHLK @ k_BHMK.swapaxes(-1, -2)) / q_BHLK.shape[-1] ** 0.5
    if mask_LM is not None:
        scores_BHLM = np.where(mask_LM, scores_BHLM, -1e9)
    p_BHLM = softmax(scores_BHLM)
    return p_BHLM @ v_BHMK, {"q": q_BHLK, "k": k_BHMK, "v": v_BHMK, "p": p_BHLM}

def attention_backward(do_BHLK, cache):
    q, k, v, p = cache["q"], cache["k"], cache["v"], cache["p"]
    dv = p.swapaxes(-1, -2) @ do_BHLK
    dscores = softmax_backward(do_BHLK @ v.swapaxes(-1, -2), p)
    scale = q.shape[-1] ** -0.5
    return dscores @ k * scale, dscores.swapaxes(-1, -2) @ q * scale, dv
'''),
    "attention_loops_over_batch_and_heads": ("attention", '''
def attention_forward(q_BHLK, k_BHMK, v_BHMK, mask_LM=None):
    B, H, L, K = q_BHLK.shape
    o = np.zeros(q_BHLK.shape[:3] + v_BHMK.shape[-1:], dtype=np.result_type(q_BHLK, v_BHMK))
    weights = []
    for b in range(B):
        for h in range(H):
            s_LM = q_BHLK[b, h] @ k_BHMK[b, h].T / np.sqrt(K)
            if mask_LM is not None:
                s_LM = s_LM.copy()
                s_LM[~mask_LM] = -np.inf
            p_LM = softmax(s_LM, axis=1)
            o[b, h] = p_LM @ v_BHMK[b, h]
            weights.append(p_LM)
    return o, [q_BHLK, k_BHMK, v_BHMK, weights]

def attention_backward(do_BHLK, cache):
    q, k, v, weights = cache
    B, H, L, K = q.shape
    dq, dk, dv = np.zeros(q.shape), np.zeros(k.shape), np.zeros(v.shape)
    for b in range(B):
        for h in range(H):
            p_LM = weights[b * H + h]
            dv[b, h] = p_LM.T @ do_BHLK[b, h]
            ds_LM = softmax_backward(do_BHLK[b, h] @ v[b, h].T, p_LM, axis=1) / np.sqrt(K)
            dq[b, h] = ds_LM @ k[b, h]
            dk[b, h] = ds_LM.T @ q[b, h]
    return dq, dk, dv
'''),
    "attention_recomputes_p_in_backward": ("attention", '''
def _scores(q_BHLK, k_BHMK, mask_LM):
    s = np.einsum("bhlk,bhmk->bhlm", q_BHLK, k_BHMK) * q_BHLK.shape[-1] ** -0.5
    return s if mask_LM is None else np.where(mask_LM, s, -np.inf)

def attention_forward(q_BHLK, k_BHMK, v_BHMK, mask_LM=None):
    p = softmax(_scores(q_BHLK, k_BHMK, mask_LM))
    return np.einsum("bhlm,bhmk->bhlk", p, v_BHMK), (q_BHLK, k_BHMK, v_BHMK, mask_LM)

def attention_backward(do_BHLK, cache):
    q, k, v, mask = cache
    p = softmax(_scores(q, k, mask))
    dp = np.einsum("bhlk,bhmk->bhlm", do_BHLK, v)
    ds = p * dp - p * np.einsum("bhlm,bhlm->bhl", p, dp)[..., None]
    ds = ds / np.sqrt(q.shape[-1])
    return (np.einsum("bhlm,bhmk->bhlk", ds, k), np.einsum("bhlm,bhlk->bhmk", ds, q),
            np.einsum("bhlm,bhlk->bhmk", p, do_BHLK))
'''),
    "layernorm_dict_cache_and_the_sum_form": ("layernorm", '''
def layernorm_forward(x_BLD, gamma_D, beta_D, eps=1e-5):
    centred = x_BLD - np.mean(x_BLD, axis=2, keepdims=True)
    rstd = 1.0 / np.sqrt(np.mean(centred ** 2, axis=2, keepdims=True) + eps)
    xhat = centred * rstd
    return gamma_D * xhat + beta_D, {"xhat": xhat, "rstd": rstd, "gamma": gamma_D}

def layernorm_backward(dy_BLD, cache):
    xhat, rstd, gamma = cache["xhat"], cache["rstd"], cache["gamma"]
    D = xhat.shape[-1]
    g = dy_BLD * gamma
    dx = rstd / D * (D * g - g.sum(-1, keepdims=True) - xhat * (g * xhat).sum(-1, keepdims=True))
    flat = dy_BLD.reshape(-1, D)
    return dx, (flat * xhat.reshape(-1, D)).sum(0), flat.sum(0)
'''),
    "layernorm_backward_through_mean_and_variance": ("layernorm", '''
def layernorm_forward(x_BLD, gamma_D, beta_D, eps=1e-5):
    mu = x_BLD.mean(-1, keepdims=True)
    var = x_BLD.var(-1, keepdims=True)
    y = (x_BLD - mu) / np.sqrt(var + eps) * gamma_D + beta_D
    return y, (x_BLD, mu, var, eps, gamma_D)

def layernorm_backward(dy_BLD, cache):
    x, mu, var, eps, gamma = cache
    D = x.shape[-1]
    inv = (var + eps) ** -0.5
    xhat = (x - mu) * inv
    dxhat = dy_BLD * gamma
    dvar = np.sum(dxhat * (x - mu), -1, keepdims=True) * -0.5 * inv ** 3
    dmu = -np.sum(dxhat * inv, -1, keepdims=True) + dvar * np.mean(-2.0 * (x - mu), -1, keepdims=True)
    dx = dxhat * inv + dvar * 2.0 * (x - mu) / D + dmu / D
    return dx, np.einsum("bld,bld->d", dy_BLD, xhat), np.einsum("bld->d", dy_BLD)
'''),
    "gelu_with_sech_squared": ("gelu", '''
C = (2.0 / np.pi) ** 0.5

def gelu(x):
    u = C * (x + 0.044715 * x ** 3)
    return x * (1.0 + np.tanh(u)) / 2

def gelu_backward(dy, x):
    u = C * (x + 0.044715 * x ** 3)
    with np.errstate(over="ignore"):
        sech2 = 1.0 / np.cosh(u) ** 2
    return dy * ((1.0 + np.tanh(u)) / 2 + x / 2 * sech2 * C * (1.0 + 0.134145 * x ** 2))
'''),
    "mha_loops_over_heads_with_a_tuple_cache": ("mha", '''
def mha_forward(params, x_BLD, n_heads, causal=True):
    B, L, D = x_BLD.shape
    K = D // n_heads
    q, k, v = x_BLD @ params["wq_DD"], x_BLD @ params["wk_DD"], x_BLD @ params["wv_DD"]
    mask = causal_mask(L) if causal else None
    o_BLD = np.zeros_like(q)
    caches = []
    for h in range(n_heads):
        cols = slice(h * K, (h + 1) * K)
        o_h, c = attention_forward(q[:, None, :, cols], k[:, None, :, cols], v[:, None, :, cols], mask)
        o_BLD[:, :, cols] = o_h[:, 0]
        caches.append(c)
    return o_BLD @ params["wo_DD"], (x_BLD, o_BLD, caches, K)

def mha_backward(params, cache, dy_BLD):
    x_BLD, o_BLD, caches, K = cache
    do_BLD = dy_BLD @ params["wo_DD"].T
    dq, dk, dv = np.zeros_like(do_BLD), np.zeros_like(do_BLD), np.zeros_like(do_BLD)
    for h, c in enumerate(caches):
        cols = slice(h * K, (h + 1) * K)
        gq, gk, gv = attention_backward(do_BLD[:, None, :, cols], c)
        dq[:, :, cols], dk[:, :, cols], dv[:, :, cols] = gq[:, 0], gk[:, 0], gv[:, 0]
    x2 = x_BLD.reshape(-1, x_BLD.shape[-1])
    grads = {"wq_DD": x2.T @ dq.reshape(x2.shape), "wk_DD": x2.T @ dk.reshape(x2.shape),
             "wv_DD": x2.T @ dv.reshape(x2.shape),
             "wo_DD": o_BLD.reshape(x2.shape).T @ dy_BLD.reshape(x2.shape)}
    dx = dq @ params["wq_DD"].T + dk @ params["wk_DD"].T + dv @ params["wv_DD"].T
    return dx, grads
'''),
    "block_dict_cache_and_matmuls": ("block", '''
def block_forward(params, x_BLD, n_heads):
    c = {}
    a, c["ln1"] = layernorm_forward(x_BLD, params["ln1_gamma_D"], params["ln1_beta_D"])
    att, c["mha"] = mha_forward(params, a, n_heads)
    h = x_BLD + att
    c["n"], c["ln2"] = layernorm_forward(h, params["ln2_gamma_D"], params["ln2_beta_D"])
    c["u"] = c["n"] @ params["w1_DF"] + params["b1_F"]
    c["g"] = gelu(c["u"])
    return h + (c["g"] @ params["w2_FD"] + params["b2_D"]), c

def block_backward(params, cache, dy_BLD):
    D, F = params["w1_DF"].shape
    g2, n2 = cache["g"].reshape(-1, F), cache["n"].reshape(-1, D)
    dy2 = dy_BLD.reshape(-1, D)
    grads = {"w2_FD": g2.T @ dy2, "b2_D": dy2.sum(0)}
    du = gelu_backward(dy_BLD @ params["w2_FD"].T, cache["u"])
    grads["w1_DF"] = n2.T @ du.reshape(-1, F)
    grads["b1_F"] = du.reshape(-1, F).sum(0)
    dn = du @ params["w1_DF"].T
    dh_mlp, grads["ln2_gamma_D"], grads["ln2_beta_D"] = layernorm_backward(dn, cache["ln2"])
    dh = dh_mlp + dy_BLD
    da, more = mha_backward(params, cache["mha"], dh)
    dx_attn, grads["ln1_gamma_D"], grads["ln1_beta_D"] = layernorm_backward(da, cache["ln1"])
    grads.update(more)
    return dx_attn + dh, grads
'''),
    "decode_preallocated_cache_in_a_dict": ("decode", '''
def decode_step(params, x_B1D, cache, n_heads):
    B, _, D = x_B1D.shape
    H, K = n_heads, D // n_heads
    heads = lambda w: (x_B1D[:, 0] @ params[w]).reshape(B, H, 1, K)
    k_all = np.concatenate([cache[0], heads("wk_DD")], axis=2)
    v_all = np.concatenate([cache[1], heads("wv_DD")], axis=2)
    o, _ = attention_forward(heads("wq_DD"), k_all, v_all)
    return (o.reshape(B, D) @ params["wo_DD"])[:, None], (k_all, v_all)

def mha_decode(params, x_BLD, n_heads):
    B, L, D = x_BLD.shape
    H, K = n_heads, D // n_heads
    cache = {"k": np.zeros((B, H, L, K), x_BLD.dtype), "v": np.zeros((B, H, L, K), x_BLD.dtype)}
    y_BLD = np.zeros((B, L, D), dtype=np.result_type(x_BLD, params["wo_DD"]))
    for t in range(L):    # the cache is preallocated; each step sees the t positions written so far
        y_BLD[:, t:t + 1], (k, v) = decode_step(params, x_BLD[:, t:t + 1], (cache["k"][:, :, :t], cache["v"][:, :, :t]), H)
        cache["k"][:, :, t], cache["v"][:, :, t] = k[:, :, -1], v[:, :, -1]
    return y_BLD

def kv_cache_bytes(batch, seq_len, n_layers, d_model, itemsize=2):
    per_token = 2 * d_model * itemsize           # one key and one value of d_model numbers
    return n_layers * batch * seq_len * per_token
'''),
    "decode_list_cache_and_inline_attention": ("decode", '''
def decode_step(params, x_B1D, cache, n_heads):
    B, _, D = x_B1D.shape
    H, K = n_heads, D // n_heads
    q, k, v = ((x_B1D[:, 0] @ params[w]).reshape(B, H, 1, K) for w in ("wq_DD", "wk_DD", "wv_DD"))
    kv = [np.concatenate([cache[0], k], axis=2), np.concatenate([cache[1], v], axis=2)]
    s = np.einsum("bhqk,bhmk->bhqm", q, kv[0]) / np.sqrt(K)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return np.einsum("bhqm,bhmk->bqhk", p, kv[1]).reshape(B, 1, D) @ params["wo_DD"], kv

def mha_decode(params, x_BLD, n_heads):
    B, L, D = x_BLD.shape
    kv = [np.zeros((B, n_heads, 0, D // n_heads))] * 2
    out = []
    for t in range(L):
        y, kv = decode_step(params, x_BLD[:, t:t + 1], kv, n_heads)
        out.append(y)
    return np.concatenate(out, axis=1)

def kv_cache_bytes(batch, seq_len, n_layers, d_model, itemsize=2):
    return int(np.prod([2, n_layers, batch, seq_len, d_model, itemsize], dtype=np.int64))
'''),
}
