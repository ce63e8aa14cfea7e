"""Wrong and alternative answers for 08_modern_transformer, one solution cell each.

Each entry names the solution cell it replaces, the test cell that grades it, and the code a
learner might write. A wrong answer must lose exactly that test cell's points; an alternative
correct answer must keep full marks. No exercise of this notebook builds on another, so each
mistake is graded in its own exercise.

Most wrong answers are one edit of a correct answer (``_edit``), so each entry shows the one
mistake a learner makes, by class: LayerNorm habits in RMSNorm (the mean, the second backward term),
the axis and the eps, gradients of shared weights not summed over B and L; RoPE's pairs, frequencies,
positions and direction, and a backward that turns the same way as the forward; SwiGLU's gate on the
wrong branch, the wrong activation, silu's derivative cut short, an overflowing sigmoid; GQA's heads
grouped in the wrong order and K and V copied for every head; the online softmax without its
rescaling, the full score matrix or a strip of it held, and a backward without ``lse`` or ``delta``.
"""


def _edit(code: str, old: str, new: str) -> str:
    """``code`` with its one ``old`` replaced by ``new`` (an entry that no longer applies fails loudly)."""
    assert code.count(old) == 1, f"{old!r} is not once in the answer"
    return code.replace(old, new)


RMSNORM = '''
def rmsnorm_forward(x_BLD, g_D, eps=1e-6):
    """RMSNorm over the last axis. x_BLD: (B, L, D); g_D: (D,). Returns (y_BLD, cache)."""
    rms_BL1 = np.sqrt((x_BLD ** 2).mean(axis=-1, keepdims=True) + eps)
    xhat_BLD = x_BLD / rms_BL1
    return xhat_BLD * g_D, (xhat_BLD, rms_BL1, g_D)


def rmsnorm_backward(dy_BLD, cache):
    """Gradients given dy_BLD = dloss/dy_BLD. Returns (dx_BLD, dg_D)."""
    xhat_BLD, rms_BL1, g_D = cache
    dg_D = (dy_BLD * xhat_BLD).sum(axis=(0, 1))
    dxhat_BLD = dy_BLD * g_D
    dx_BLD = (dxhat_BLD - xhat_BLD * (dxhat_BLD * xhat_BLD).mean(axis=-1, keepdims=True)) / rms_BL1
    return dx_BLD, dg_D
'''


ROPE = '''
def rope(x_BHLK, positions_L, base=10000.0):
    """Rotate each pair (2i, 2i + 1) of x's last axis by positions_L[l] * base ** (-2i / K). Returns x's shape."""
    K = x_BHLK.shape[-1]
    theta_k = base ** (-np.arange(0, K, 2) / K)
    angle_Lk = np.asarray(positions_L, dtype=np.float64)[:, None] * theta_k
    cos_Lk, sin_Lk = np.cos(angle_Lk), np.sin(angle_Lk)
    even, odd = x_BHLK[..., 0::2], x_BHLK[..., 1::2]
    out_BHLK = np.empty(x_BHLK.shape, dtype=np.result_type(x_BHLK.dtype, np.float32))
    out_BHLK[..., 0::2] = even * cos_Lk - odd * sin_Lk
    out_BHLK[..., 1::2] = even * sin_Lk + odd * cos_Lk
    return out_BHLK


def rope_backward(dy_BHLK, positions_L, base=10000.0):
    """dloss/dx given dy_BHLK = dloss/d rope(x). Returns dy's shape."""
    # a rotation's transpose is the rotation by the opposite angle
    return rope(dy_BHLK, -np.asarray(positions_L, dtype=np.float64), base)
'''


SWIGLU = '''
def swiglu_forward(x_BLD, w_gate_DF, w_up_DF, w_down_FD):
    """y = (silu(x @ w_gate) * (x @ w_up)) @ w_down. Returns (y_BLD, cache)."""
    gate_BLF = x_BLD @ w_gate_DF
    up_BLF = x_BLD @ w_up_DF
    sig_BLF = 0.5 * (1.0 + np.tanh(0.5 * gate_BLF))  # the sigmoid, with no overflow for large |gate|
    h_BLF = gate_BLF * sig_BLF * up_BLF
    return h_BLF @ w_down_FD, (x_BLD, w_gate_DF, w_up_DF, w_down_FD, gate_BLF, up_BLF, sig_BLF, h_BLF)


def swiglu_backward(dy_BLD, cache):
    """Gradients given dy_BLD. Returns (dx_BLD, dw_gate_DF, dw_up_DF, dw_down_FD)."""
    x_BLD, w_gate_DF, w_up_DF, w_down_FD, gate_BLF, up_BLF, sig_BLF, h_BLF = cache
    dw_down_FD = np.einsum("blf,bld->fd", h_BLF, dy_BLD)
    dh_BLF = dy_BLD @ w_down_FD.T
    dup_BLF = dh_BLF * gate_BLF * sig_BLF
    dgate_BLF = dh_BLF * up_BLF * sig_BLF * (1.0 + gate_BLF * (1.0 - sig_BLF))
    dw_gate_DF = np.einsum("bld,blf->df", x_BLD, dgate_BLF)
    dw_up_DF = np.einsum("bld,blf->df", x_BLD, dup_BLF)
    dx_BLD = dgate_BLF @ w_gate_DF.T + dup_BLF @ w_up_DF.T
    return dx_BLD, dw_gate_DF, dw_up_DF, dw_down_FD
'''


GQA = '''
def gqa_attention(q_BHLK, k_BGMK, v_BGMK, causal=True):
    """Grouped-query attention: query heads h of one group share key/value head h // (H // G). Returns o_BHLK."""
    B, H, L, K = q_BHLK.shape
    G, M = k_BGMK.shape[1], k_BGMK.shape[2]
    q_BGRLK = q_BHLK.reshape(B, G, H // G, L, K)
    scores_BGRLM = np.einsum("bgrlk,bgmk->bgrlm", q_BGRLK, k_BGMK) / np.sqrt(K)
    if causal:
        mask_LM = np.arange(M)[None, :] <= np.arange(L)[:, None] + (M - L)
        scores_BGRLM = np.where(mask_LM, scores_BGRLM, -np.inf)
    p_BGRLM = np.exp(scores_BGRLM - scores_BGRLM.max(axis=-1, keepdims=True))
    p_BGRLM /= p_BGRLM.sum(axis=-1, keepdims=True)
    o_BGRLK = np.einsum("bgrlm,bgmk->bgrlk", p_BGRLM, v_BGMK)
    return o_BGRLK.reshape(B, H, L, v_BGMK.shape[-1])


def kv_bytes_saved(B, M, H, G, K, n_layers, bytes_per_value):
    """Bytes of KV cache that G key/value heads save against H (multi-head attention)."""
    return 2 * B * M * (H - G) * K * n_layers * bytes_per_value
'''


FLASH = '''
def flash_attention(q_BHLK, k_BHMK, v_BHMK, block=64, causal=False):
    """Tiled attention with an online softmax. Returns (o_BHLK, lse_BHL), lse the log-sum-exp of each
    query's scaled (and masked) scores. Never holds an (L, M) array: a tile is at most (block, block)."""
    B, H, L, K = q_BHLK.shape
    M = k_BHMK.shape[2]
    scale = 1.0 / np.sqrt(K)
    o_BHLK = np.zeros((B, H, L, v_BHMK.shape[-1]))
    lse_BHL = np.zeros((B, H, L))
    for i in range(0, L, block):
        q_BHlK = q_BHLK[:, :, i:i + block] * scale
        rows = np.arange(i, min(i + block, L))
        m_BHl = np.full(q_BHlK.shape[:3], -np.inf)
        l_BHl = np.zeros(q_BHlK.shape[:3])
        acc_BHlK = np.zeros(q_BHlK.shape[:3] + (v_BHMK.shape[-1],))
        for j in range(0, M, block):
            if causal and j > rows[-1] + M - L:
                break  # this tile and every later one are masked out
            s_BHlm = np.einsum("bhlk,bhmk->bhlm", q_BHlK, k_BHMK[:, :, j:j + block])
            if causal:
                cols = np.arange(j, min(j + block, M))
                s_BHlm = np.where(cols[None, :] <= rows[:, None] + M - L, s_BHlm, -np.inf)
            m_new_BHl = np.maximum(m_BHl, s_BHlm.max(axis=-1))
            alpha_BHl = np.exp(m_BHl - m_new_BHl)
            p_BHlm = np.exp(s_BHlm - m_new_BHl[..., None])
            l_BHl = alpha_BHl * l_BHl + p_BHlm.sum(axis=-1)
            acc_BHlK = alpha_BHl[..., None] * acc_BHlK + np.einsum("bhlm,bhmk->bhlk", p_BHlm, v_BHMK[:, :, j:j + block])
            m_BHl = m_new_BHl
        o_BHLK[:, :, i:i + block] = acc_BHlK / l_BHl[..., None]
        lse_BHL[:, :, i:i + block] = m_BHl + np.log(l_BHl)
    return o_BHLK, lse_BHL


def flash_attention_backward(do_BHLK, q_BHLK, k_BHMK, v_BHMK, o_BHLK, lse_BHL, block=64, causal=False):
    """Gradients of flash_attention, each tile's probabilities recomputed from lse. Returns (dq, dk, dv)."""
    L, K, M = q_BHLK.shape[2], q_BHLK.shape[3], k_BHMK.shape[2]
    scale = 1.0 / np.sqrt(K)
    dq_BHLK, dk_BHMK, dv_BHMK = np.zeros(q_BHLK.shape), np.zeros(k_BHMK.shape), np.zeros(v_BHMK.shape)
    delta_BHL = (do_BHLK * o_BHLK).sum(axis=-1)  # sum over m of p * dp, for every query
    for i in range(0, L, block):
        q_BHlK, do_BHlK = q_BHLK[:, :, i:i + block], do_BHLK[:, :, i:i + block]
        rows = np.arange(i, min(i + block, L))
        for j in range(0, M, block):
            if causal and j > rows[-1] + M - L:
                break
            k_BHmK, v_BHmK = k_BHMK[:, :, j:j + block], v_BHMK[:, :, j:j + block]
            s_BHlm = np.einsum("bhlk,bhmk->bhlm", q_BHlK, k_BHmK) * scale
            if causal:
                cols = np.arange(j, min(j + block, M))
                s_BHlm = np.where(cols[None, :] <= rows[:, None] + M - L, s_BHlm, -np.inf)
            p_BHlm = np.exp(s_BHlm - lse_BHL[:, :, i:i + block, None])
            dv_BHMK[:, :, j:j + block] += np.einsum("bhlm,bhlk->bhmk", p_BHlm, do_BHlK)
            dp_BHlm = np.einsum("bhlk,bhmk->bhlm", do_BHlK, v_BHmK)
            ds_BHlm = p_BHlm * (dp_BHlm - delta_BHL[:, :, i:i + block, None]) * scale
            dq_BHLK[:, :, i:i + block] += np.einsum("bhlm,bhmk->bhlk", ds_BHlm, k_BHmK)
            dk_BHMK[:, :, j:j + block] += np.einsum("bhlm,bhlk->bhmk", ds_BHlm, q_BHlK)
    return dq_BHLK, dk_BHMK, dv_BHMK
'''

SCALER = '''
def loss_scale_update(scale, found_inf, good_steps, growth_interval=2000):
    """Dynamic loss scaling after one step. Returns (new_scale, new_good_steps, skip_step)."""
    if found_inf:
        return scale * 0.5, 0, True
    good_steps += 1
    if good_steps == growth_interval:
        return scale * 2.0, 0, False
    return scale, good_steps, False


def scaled_step(params_fp32, grads_fp16, scale, lr):
    """One SGD step on fp32 master weights from loss-scaled fp16 gradients (dicts of arrays, same keys).
    Returns the new weights (float32); the old ones, unchanged, if any gradient holds an inf or a nan."""
    if not all(np.isfinite(g).all() for g in grads_fp16.values()):
        return {name: np.array(p, dtype=np.float32) for name, p in params_fp32.items()}
    return {name: (p - lr * (grads_fp16[name].astype(np.float32) / np.float32(scale))).astype(np.float32)
            for name, p in params_fp32.items()}
'''

CKPT = '''
def activation_bytes(B, L, D, H, F, bytes_per_value):
    """Bytes one of 06's pre-norm blocks keeps for its backward (the list above), for B sequences of L tokens."""
    per_token = 8 * D + 2 * F           # x, a, q, k, v, o, h, layernorm2's output; the MLP's u and gelu(u)
    return (B * L * per_token + B * H * L * L) * bytes_per_value   # + the attention weights p_BHLL


def checkpointed_backward(blocks, x, every):
    """blocks: a list of (forward, backward) pairs, forward(x) -> (y, cache), backward(dy, cache) -> dx.
    Forward through all blocks keeping only the inputs of blocks 0, every, 2 * every, ... (no cache), then
    the backward of loss = y.sum(), recomputing one segment's caches at a time. Returns (y, dx)."""
    inputs = {}
    h = x
    for i, (forward, _) in enumerate(blocks):
        if i % every == 0:
            inputs[i] = h
        h, _ = forward(h)
    y, grad = h, np.ones(np.shape(h))
    for start in reversed(range(0, len(blocks), every)):
        segment = blocks[start:start + every]
        h, caches = inputs.pop(start), []
        for forward, _ in segment:
            h, cache = forward(h)
            caches.append(cache)
        for (_, backward), cache in zip(reversed(segment), reversed(caches)):
            grad = backward(grad, cache)
    return y, grad
'''

CKPT_KEEPS_ALL = '''
def activation_bytes(B, L, D, H, F, bytes_per_value):
    return (B * L * (8 * D + 2 * F) + B * H * L * L) * bytes_per_value

def checkpointed_backward(blocks, x, every):
    h, caches = x, []
    for forward, _ in blocks:
        h, cache = forward(h)
        caches.append(cache)
    grad = np.ones(np.shape(h))
    for (_, backward), cache in zip(reversed(blocks), reversed(caches)):
        grad = backward(grad, cache)
    return h, grad
'''

CKPT_KEEPS_LAST = '''
def activation_bytes(B, L, D, H, F, bytes_per_value):
    return (B * L * (8 * D + 2 * F) + B * H * L * L) * bytes_per_value

def checkpointed_backward(blocks, x, every):
    n = len(blocks)
    last_start = (n - 1) // every * every
    inputs, last_caches = {}, []
    h = x
    for i, (forward, _) in enumerate(blocks):
        if i % every == 0:
            inputs[i] = h
        h, cache = forward(h)
        if i >= last_start:
            last_caches.append(cache)  # the last segment runs backward first: keep its caches
    y, grad = h, np.ones(np.shape(h))
    for start in reversed(range(0, n, every)):
        segment = blocks[start:start + every]
        if start == last_start:
            caches = last_caches
        else:
            h, caches = inputs[start], []
            for forward, _ in segment:
                h, cache = forward(h)
                caches.append(cache)
        for (_, backward), cache in zip(reversed(segment), reversed(caches)):
            grad = backward(grad, cache)
    return y, grad
'''

CKPT_FROM_THE_START = '''
def activation_bytes(B, L, D, H, F, bytes_per_value):
    return (B * L * (8 * D + 2 * F) + B * H * L * L) * bytes_per_value

def checkpointed_backward(blocks, x, every):
    h = x
    for forward, _ in blocks:
        h, _ = forward(h)
    y, grad = h, np.ones(np.shape(h))
    for i in reversed(range(len(blocks))):
        h = x
        for forward, _ in blocks[:i]:
            h, _ = forward(h)
        _, cache = blocks[i][0](h)
        grad = blocks[i][1](grad, cache)
    return y, grad
'''

CKPT_INPUT_LIST = '''
def activation_bytes(B, L, D, H, F, bytes_per_value):
    values = B * L * (D + D + 3 * D + D + D + D) + B * L * 2 * F + B * H * L ** 2
    return values * bytes_per_value

def checkpointed_backward(blocks, x, every):
    n = len(blocks)
    starts = list(range(0, n, every))
    saved = []
    h = x
    for i in range(n):
        if i in starts:
            saved.append(h)
        h = blocks[i][0](h)[0]
    y = h
    grad = np.ones_like(y, dtype=float)
    for start, h in zip(starts[::-1], saved[::-1]):
        stop = min(start + every, n)
        caches = []
        for i in range(start, stop):
            h, cache = blocks[i][0](h)
            caches.append(cache)
        for i in range(stop - 1, start - 1, -1):
            grad = blocks[i][1](grad, caches[i - start])
    return y, grad
'''

MOE = '''
def top_k_router(logits_TE, k):
    """Each token's k experts with the largest logits, largest first, and their weights: a softmax over those
    k logits only. Returns (experts_Tk, weights_Tk), experts_Tk integers."""
    experts_Tk = np.argsort(-logits_TE, axis=-1, kind="stable")[:, :k]
    chosen_Tk = np.take_along_axis(logits_TE, experts_Tk, axis=-1)
    e_Tk = np.exp(chosen_Tk - chosen_Tk.max(axis=-1, keepdims=True))
    return experts_Tk, e_Tk / e_Tk.sum(axis=-1, keepdims=True)


def moe_forward(x_TD, router_DE, experts, k, capacity_factor):
    """A mixture-of-experts layer. experts: E functions, each (n, D) -> (n, D). Each expert takes at most
    ceil(capacity_factor * T * k / E) tokens, the earliest first; a choice past capacity adds nothing.
    Returns y_TD = sum over each token's kept choices of weight * expert(x)."""
    T, E = x_TD.shape[0], router_DE.shape[1]
    experts_Tk, weights_Tk = top_k_router(x_TD @ router_DE, k)
    capacity = int(np.ceil(capacity_factor * T * k / E))
    y_TD = np.zeros(x_TD.shape)
    for e in range(E):
        tokens, slots = np.nonzero(experts_Tk == e)  # in token order
        tokens, slots = tokens[:capacity], slots[:capacity]
        if len(tokens):
            y_TD[tokens] += weights_Tk[tokens, slots][:, None] * experts[e](x_TD[tokens])
    return y_TD


def load_balancing_loss(probs_TE, experts_Tk):
    """Switch Transformer's auxiliary loss E * sum_i f_i * P_i: f_i the share of the T * k choices that went
    to expert i, P_i the router's mean probability for expert i. 1 when perfectly balanced."""
    E = probs_TE.shape[1]
    f_E = np.bincount(np.ravel(experts_Tk), minlength=E) / np.size(experts_Tk)
    return float(E * np.sum(f_E * probs_TE.mean(axis=0)))


def all_to_all(parts):
    """parts[i][j]: what device i sends to device j. Returns received, received[j][i] = parts[i][j]."""
    return [[parts[i][j] for i in range(len(parts))] for j in range(len(parts))]


def moe_bytes_per_device(T, D, k, N, bytes_per_value):
    """Bytes one device sends in one MoE layer's forward with experts spread over N devices: its T tokens'
    k choices go out to the experts' devices (dispatch) and come back (combine); routing is uniform."""
    return 2 * T * k * D * bytes_per_value * (N - 1) / N
'''

# The capacity counted for the whole batch: choices are kept, in token order, until capacity * E are taken.
MOE_PER_BATCH = _edit(MOE, '''    y_TD = np.zeros(x_TD.shape)
    for e in range(E):
        tokens, slots = np.nonzero(experts_Tk == e)  # in token order
        tokens, slots = tokens[:capacity], slots[:capacity]
        if len(tokens):
            y_TD[tokens] += weights_Tk[tokens, slots][:, None] * experts[e](x_TD[tokens])''', '''    y_TD = np.zeros(x_TD.shape)
    kept = np.zeros(experts_Tk.shape, dtype=bool)
    kept.flat[:capacity * E] = True
    for e in range(E):
        tokens, slots = np.nonzero((experts_Tk == e) & kept)
        if len(tokens):
            y_TD[tokens] += weights_Tk[tokens, slots][:, None] * experts[e](x_TD[tokens])''')

# The kept choices' weights scaled up to sum to 1 again, as if nothing had been dropped.
MOE_RENORMALISED = _edit(MOE, '''    y_TD = np.zeros(x_TD.shape)
    for e in range(E):
        tokens, slots = np.nonzero(experts_Tk == e)  # in token order
        tokens, slots = tokens[:capacity], slots[:capacity]
        if len(tokens):
            y_TD[tokens] += weights_Tk[tokens, slots][:, None] * experts[e](x_TD[tokens])''', '''    y_TD = np.zeros(x_TD.shape)
    kept = np.zeros(experts_Tk.shape, dtype=bool)
    for e in range(E):
        tokens, slots = np.nonzero(experts_Tk == e)
        kept[tokens[:capacity], slots[:capacity]] = True
    total = np.where(kept, weights_Tk, 0).sum(axis=1)
    weights_Tk = weights_Tk / np.where(total > 0, total, 1)[:, None]
    for e in range(E):
        tokens, slots = np.nonzero((experts_Tk == e) & kept)
        if len(tokens):
            y_TD[tokens] += weights_Tk[tokens, slots][:, None] * experts[e](x_TD[tokens])''')

MOE_LOOPS = '''
def top_k_router(logits_TE, k):
    experts, weights = [], []
    for row in logits_TE:
        order = sorted(range(len(row)), key=lambda e: -row[e])[:k]
        z = np.array([row[e] for e in order])
        w = np.exp(z - z.max())
        experts.append(order)
        weights.append(w / w.sum())
    return np.array(experts, dtype=int), np.array(weights)

def moe_forward(x_TD, router_DE, experts, k, capacity_factor):
    T, E = len(x_TD), router_DE.shape[1]
    chosen, weights = top_k_router(x_TD @ router_DE, k)
    capacity = -(-capacity_factor * T * k // E)  # the ceiling
    queue = {e: [] for e in range(E)}
    for t in range(T):
        for j in range(k):
            e = int(chosen[t, j])
            if len(queue[e]) < capacity:
                queue[e].append((t, weights[t, j]))
    y_TD = np.zeros_like(x_TD, dtype=float)
    for e, items in queue.items():
        if items:
            rows = [t for t, _ in items]
            out = experts[e](x_TD[rows])
            for (t, w), o in zip(items, out):
                y_TD[t] += w * o
    return y_TD

def load_balancing_loss(probs_TE, experts_Tk):
    T, E = probs_TE.shape
    k = experts_Tk.shape[1]
    total = 0.0
    for i in range(E):
        f = np.sum(experts_Tk == i) / (T * k)
        total += f * probs_TE[:, i].mean()
    return E * total

def all_to_all(parts):
    N = len(parts)
    received = [[None] * N for _ in range(N)]
    for i in range(N):
        for j in range(N):
            received[j][i] = parts[i][j]
    return received

def moe_bytes_per_device(T, D, k, N, bytes_per_value):
    leaving = T * k * (N - 1) / N
    return 2 * leaving * D * bytes_per_value
'''

# Full answers written another way, for the alternatives and for mistakes an edit cannot show.
ROPE_COMPLEX = '''
def rope(x_BHLK, positions_L, base=10000.0):
    K = x_BHLK.shape[-1]
    angle_Lk = np.outer(np.asarray(positions_L, dtype=np.float64), base ** (-np.arange(K // 2) * 2.0 / K))
    z_BHLk = (x_BHLK[..., 0::2] + 1j * x_BHLK[..., 1::2]) * np.exp(1j * angle_Lk)
    return np.stack([z_BHLk.real, z_BHLk.imag], axis=-1).reshape(x_BHLK.shape)

def rope_backward(dy_BHLK, positions_L, base=10000.0):
    K = dy_BHLK.shape[-1]
    angle_Lk = np.outer(np.asarray(positions_L, dtype=np.float64), base ** (-np.arange(K // 2) * 2.0 / K))
    z_BHLk = (dy_BHLK[..., 0::2] + 1j * dy_BHLK[..., 1::2]) * np.exp(-1j * angle_Lk)
    return np.stack([z_BHLk.real, z_BHLk.imag], axis=-1).reshape(dy_BHLK.shape)
'''

ROPE_MATRICES = '''
def _rotations(positions_L, K, base, sign):
    theta = base ** (-np.arange(0, K, 2) / K)
    a = sign * np.asarray(positions_L, dtype=np.float64)[:, None] * theta
    c, s = np.cos(a), np.sin(a)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)  # (L, K/2, 2, 2)

def rope(x_BHLK, positions_L, base=10000.0):
    B, H, L, K = x_BHLK.shape
    pairs = x_BHLK.reshape(B, H, L, K // 2, 2)
    return np.einsum("lkij,bhlkj->bhlki", _rotations(positions_L, K, base, 1.0), pairs).reshape(B, H, L, K)

def rope_backward(dy_BHLK, positions_L, base=10000.0):
    B, H, L, K = dy_BHLK.shape
    pairs = dy_BHLK.reshape(B, H, L, K // 2, 2)
    # the transpose of each rotation: swap its two matrix indices
    return np.einsum("lkji,bhlkj->bhlki", _rotations(positions_L, K, base, 1.0), pairs).reshape(B, H, L, K)
'''

GQA_FULL_REPEAT = _edit(GQA, '''    q_BGRLK = q_BHLK.reshape(B, G, H // G, L, K)
    scores_BGRLM = np.einsum("bgrlk,bgmk->bgrlm", q_BGRLK, k_BGMK) / np.sqrt(K)''', '''    k_BGMK = np.repeat(k_BGMK, H // G, axis=1).reshape(B, G, H // G, M, K)
    v_BGMK = np.repeat(v_BGMK, H // G, axis=1).reshape(B, G, H // G, M, v_BGMK.shape[-1])
    q_BGRLK = q_BHLK.reshape(B, G, H // G, L, K)
    scores_BGRLM = np.einsum("bgrlk,bgrmk->bgrlm", q_BGRLK, k_BGMK) / np.sqrt(K)''').replace(
    'np.einsum("bgrlm,bgmk->bgrlk", p_BGRLM, v_BGMK)', 'np.einsum("bgrlm,bgrmk->bgrlk", p_BGRLM, v_BGMK)')

GQA_HEAD_LOOP = '''
def gqa_attention(q_BHLK, k_BGMK, v_BGMK, causal=True):
    B, H, L, K = q_BHLK.shape
    G, M = k_BGMK.shape[1], k_BGMK.shape[2]
    o_BHLK = np.zeros((B, H, L, v_BGMK.shape[-1]))
    mask_LM = np.tril(np.ones((L, M), dtype=bool), k=M - L)
    for h in range(H):
        g = h // (H // G)
        s_BLM = q_BHLK[:, h] @ k_BGMK[:, g].swapaxes(-1, -2) / np.sqrt(K)
        if causal:
            s_BLM = np.where(mask_LM, s_BLM, -np.inf)
        p_BLM = np.exp(s_BLM - s_BLM.max(-1, keepdims=True))
        o_BHLK[:, h] = (p_BLM / p_BLM.sum(-1, keepdims=True)) @ v_BGMK[:, g]
    return o_BHLK

def kv_bytes_saved(B, M, H, G, K, n_layers, bytes_per_value):
    mha = 2 * B * M * H * K * n_layers * bytes_per_value
    gqa = 2 * B * M * G * K * n_layers * bytes_per_value
    return mha - gqa
'''

FLASH_DENSE = '''
def flash_attention(q_BHLK, k_BHMK, v_BHMK, block=64, causal=False):
    L, K, M = q_BHLK.shape[2], q_BHLK.shape[3], k_BHMK.shape[2]
    s = np.einsum("bhlk,bhmk->bhlm", q_BHLK, k_BHMK) / np.sqrt(K)
    if causal:
        s = np.where(np.arange(M)[None, :] <= np.arange(L)[:, None] + M - L, s, -np.inf)
    m = s.max(-1, keepdims=True)
    lse = m + np.log(np.exp(s - m).sum(-1, keepdims=True))
    return np.einsum("bhlm,bhmk->bhlk", np.exp(s - lse), v_BHMK), lse[..., 0]
'''

_FLASH_FORWARD, _FLASH_BACKWARD = FLASH.split("\n\ndef flash_attention_backward")
_FLASH_BACKWARD = "def flash_attention_backward" + _FLASH_BACKWARD

# One block of queries against every key at once: no (L, M) array, but a (block, M) strip of it.
FLASH_STRIPS = _FLASH_FORWARD.replace("range(0, M, block)", "range(0, M, M)").replace(
    "j:j + block", "j:j + M").replace("min(j + block, M)", "M") + "\n\n" + _FLASH_BACKWARD

FLASH_KEY_TILES_ONLY = '''
def flash_attention(q_BHLK, k_BHMK, v_BHMK, block=64, causal=False):
    B, H, L, K = q_BHLK.shape
    M = k_BHMK.shape[2]
    q_BHLK = q_BHLK / np.sqrt(K)
    m_BHL = np.full((B, H, L), -np.inf)
    l_BHL = np.zeros((B, H, L))
    acc_BHLK = np.zeros((B, H, L, v_BHMK.shape[-1]))
    for j in range(0, M, block):
        s_BHLm = q_BHLK @ k_BHMK[:, :, j:j + block].swapaxes(-1, -2)
        if causal:
            cols = np.arange(j, min(j + block, M))
            s_BHLm = np.where(cols[None, :] <= np.arange(L)[:, None] + M - L, s_BHLm, -np.inf)
        m_new = np.maximum(m_BHL, s_BHLm.max(-1))
        p_BHLm = np.exp(s_BHLm - m_new[..., None])
        scale = np.exp(m_BHL - m_new)
        l_BHL = l_BHL * scale + p_BHLm.sum(-1)
        acc_BHLK = acc_BHLK * scale[..., None] + p_BHLm @ v_BHMK[:, :, j:j + block]
        m_BHL = m_new
    return acc_BHLK / l_BHL[..., None], m_BHL + np.log(l_BHL)
'''

FLASH_BACKWARD_KEYS_OUTER = '''
def flash_attention_backward(do_BHLK, q_BHLK, k_BHMK, v_BHMK, o_BHLK, lse_BHL, block=64, causal=False):
    L, K, M = q_BHLK.shape[2], q_BHLK.shape[3], k_BHMK.shape[2]
    c = 1.0 / np.sqrt(K)
    dq, dk, dv = np.zeros(q_BHLK.shape), np.zeros(k_BHMK.shape), np.zeros(v_BHMK.shape)
    delta = np.einsum("bhlk,bhlk->bhl", do_BHLK, o_BHLK)
    for j in range(0, M, block):  # the key tile outside, as FlashAttention-2's backward
        cols = np.arange(j, min(j + block, M))
        for i in range(0, L, block):
            rows = np.arange(i, min(i + block, L))
            s = q_BHLK[:, :, i:i + block] @ k_BHMK[:, :, j:j + block].swapaxes(-1, -2) * c
            if causal:
                s = np.where(cols[None, :] <= rows[:, None] + M - L, s, -np.inf)
            p = np.exp(s - lse_BHL[:, :, i:i + block, None])
            dv[:, :, j:j + block] += p.swapaxes(-1, -2) @ do_BHLK[:, :, i:i + block]
            ds = p * (do_BHLK[:, :, i:i + block] @ v_BHMK[:, :, j:j + block].swapaxes(-1, -2)
                      - delta[:, :, i:i + block, None])
            dq[:, :, i:i + block] += ds @ k_BHMK[:, :, j:j + block] * c
            dk[:, :, j:j + block] += ds.swapaxes(-1, -2) @ q_BHLK[:, :, i:i + block] * c
    return dq, dk, dv
'''


WRONG = {
    # ---------------------------------------------------------------- RMSNorm
    "rmsnorm_subtracts_the_mean": ("rmsnorm", "test_rmsnorm", _edit(
        RMSNORM, '''    rms_BL1 = np.sqrt((x_BLD ** 2).mean(axis=-1, keepdims=True) + eps)
    xhat_BLD = x_BLD / rms_BL1''', '''    x_BLD = x_BLD - x_BLD.mean(axis=-1, keepdims=True)
    rms_BL1 = np.sqrt((x_BLD ** 2).mean(axis=-1, keepdims=True) + eps)
    xhat_BLD = x_BLD / rms_BL1''')),
    "rmsnorm_divides_by_the_std": ("rmsnorm", "test_rmsnorm", _edit(
        RMSNORM, "np.sqrt((x_BLD ** 2).mean(axis=-1, keepdims=True) + eps)", "np.sqrt(x_BLD.var(axis=-1, keepdims=True) + eps)")),
    "rmsnorm_over_the_batch_axis": ("rmsnorm", "test_rmsnorm", _edit(
        RMSNORM, "(x_BLD ** 2).mean(axis=-1, keepdims=True)", "(x_BLD ** 2).mean(axis=0, keepdims=True)")),
    "rmsnorm_eps_outside_the_root": ("rmsnorm", "test_rmsnorm", _edit(
        RMSNORM, "np.sqrt((x_BLD ** 2).mean(axis=-1, keepdims=True) + eps)", "np.sqrt((x_BLD ** 2).mean(axis=-1, keepdims=True)) + eps")),
    "rmsnorm_ignores_eps": ("rmsnorm", "test_rmsnorm", _edit(
        RMSNORM, "keepdims=True) + eps)", "keepdims=True) + 1e-6)")),
    "rmsnorm_root_of_the_sum": ("rmsnorm", "test_rmsnorm", _edit(
        RMSNORM, "(x_BLD ** 2).mean(axis=-1, keepdims=True)", "(x_BLD ** 2).sum(axis=-1, keepdims=True)")),
    "rmsnorm_dg_not_summed": ("rmsnorm", "test_rmsnorm", _edit(
        RMSNORM, "dg_D = (dy_BLD * xhat_BLD).sum(axis=(0, 1))", "dg_D = dy_BLD * xhat_BLD")),
    "rmsnorm_dg_summed_over_the_batch_only": ("rmsnorm", "test_rmsnorm", _edit(
        RMSNORM, "dg_D = (dy_BLD * xhat_BLD).sum(axis=(0, 1))", "dg_D = (dy_BLD * xhat_BLD).sum(axis=0)")),
    "rmsnorm_dg_without_xhat": ("rmsnorm", "test_rmsnorm", _edit(
        RMSNORM, "dg_D = (dy_BLD * xhat_BLD).sum(axis=(0, 1))", "dg_D = dy_BLD.sum(axis=(0, 1))")),
    "rmsnorm_dx_without_the_rms_term": ("rmsnorm", "test_rmsnorm", _edit(
        RMSNORM, "dx_BLD = (dxhat_BLD - xhat_BLD * (dxhat_BLD * xhat_BLD).mean(axis=-1, keepdims=True)) / rms_BL1",
        "dx_BLD = dxhat_BLD / rms_BL1")),
    "rmsnorm_dx_with_layernorms_mean_term": ("rmsnorm", "test_rmsnorm", _edit(
        RMSNORM, "dx_BLD = (dxhat_BLD - xhat_BLD", "dx_BLD = (dxhat_BLD - dxhat_BLD.mean(axis=-1, keepdims=True) - xhat_BLD")),
    "rmsnorm_dx_forgets_the_gain": ("rmsnorm", "test_rmsnorm", _edit(
        RMSNORM, "dxhat_BLD = dy_BLD * g_D", "dxhat_BLD = dy_BLD")),
    "rmsnorm_normalises_x_in_place": ("rmsnorm", "test_rmsnorm", _edit(
        RMSNORM, '''    xhat_BLD = x_BLD / rms_BL1''', '''    x_BLD /= rms_BL1
    xhat_BLD = x_BLD''')),
    # ---------------------------------------------------------------- RoPE
    "rope_pairs_the_two_halves": ("rope", "test_rope", _edit(
        ROPE, '''    even, odd = x_BHLK[..., 0::2], x_BHLK[..., 1::2]
    out_BHLK = np.empty(x_BHLK.shape, dtype=np.result_type(x_BHLK.dtype, np.float32))
    out_BHLK[..., 0::2] = even * cos_Lk - odd * sin_Lk
    out_BHLK[..., 1::2] = even * sin_Lk + odd * cos_Lk''', '''    even, odd = x_BHLK[..., :K // 2], x_BHLK[..., K // 2:]
    out_BHLK = np.concatenate([even * cos_Lk - odd * sin_Lk, even * sin_Lk + odd * cos_Lk], axis=-1)''')),
    "rope_pairs_with_a_reshape_of_halves": ("rope", "test_rope", _edit(
        ROPE, '''    even, odd = x_BHLK[..., 0::2], x_BHLK[..., 1::2]''',
        '''    even, odd = np.moveaxis(x_BHLK.reshape(x_BHLK.shape[:-1] + (2, K // 2)), -2, 0)''')),
    "rope_frequencies_i_over_K": ("rope", "test_rope", _edit(
        ROPE, "theta_k = base ** (-np.arange(0, K, 2) / K)", "theta_k = base ** (-np.arange(K // 2) / K)")),
    "rope_frequencies_growing": ("rope", "test_rope", _edit(
        ROPE, "theta_k = base ** (-np.arange(0, K, 2) / K)", "theta_k = base ** (np.arange(0, K, 2) / K)")),
    "rope_ignores_positions": ("rope", "test_rope", _edit(
        ROPE, "np.asarray(positions_L, dtype=np.float64)[:, None]", "np.arange(x_BHLK.shape[2])[:, None]")),
    "rope_ignores_base": ("rope", "test_rope", _edit(
        ROPE, "theta_k = base ** (-np.arange(0, K, 2) / K)", "theta_k = 10000.0 ** (-np.arange(0, K, 2) / K)")),
    "rope_turns_the_wrong_way": ("rope", "test_rope", _edit(
        ROPE, '''    out_BHLK[..., 0::2] = even * cos_Lk - odd * sin_Lk
    out_BHLK[..., 1::2] = even * sin_Lk + odd * cos_Lk''', '''    out_BHLK[..., 0::2] = even * cos_Lk + odd * sin_Lk
    out_BHLK[..., 1::2] = odd * cos_Lk - even * sin_Lk''')),
    "rope_cos_and_sin_swapped": ("rope", "test_rope", _edit(
        ROPE, "cos_Lk, sin_Lk = np.cos(angle_Lk), np.sin(angle_Lk)", "cos_Lk, sin_Lk = np.sin(angle_Lk), np.cos(angle_Lk)")),
    "rope_backward_turns_the_same_way": ("rope", "test_rope", _edit(
        ROPE, "return rope(dy_BHLK, -np.asarray(positions_L, dtype=np.float64), base)",
        "return rope(dy_BHLK, positions_L, base)")),
    "rope_backward_with_absolute_angles": ("rope", "test_rope", _edit(
        ROPE, "return rope(dy_BHLK, -np.asarray(positions_L, dtype=np.float64), base)",
        "return rope(dy_BHLK, np.abs(-np.asarray(positions_L, dtype=np.float64)), base)")),
    "rope_backward_ignores_base": ("rope", "test_rope", _edit(
        ROPE, "return rope(dy_BHLK, -np.asarray(positions_L, dtype=np.float64), base)",
        "return rope(dy_BHLK, -np.asarray(positions_L, dtype=np.float64))")),
    "rope_rotates_x_in_place": ("rope", "test_rope", _edit(
        ROPE, '''    even, odd = x_BHLK[..., 0::2], x_BHLK[..., 1::2]
    out_BHLK = np.empty(x_BHLK.shape, dtype=np.result_type(x_BHLK.dtype, np.float32))''', '''    even, odd = x_BHLK[..., 0::2].copy(), x_BHLK[..., 1::2].copy()
    out_BHLK = x_BHLK''')),
    # ---------------------------------------------------------------- SwiGLU
    "swiglu_gate_on_the_up_branch": ("swiglu", "test_swiglu", _edit(
        SWIGLU, '''    gate_BLF = x_BLD @ w_gate_DF
    up_BLF = x_BLD @ w_up_DF''', '''    gate_BLF = x_BLD @ w_up_DF
    up_BLF = x_BLD @ w_gate_DF''')),
    "swiglu_sigmoid_gate": ("swiglu", "test_swiglu", _edit(
        SWIGLU, "h_BLF = gate_BLF * sig_BLF * up_BLF", "h_BLF = sig_BLF * up_BLF")),
    "swiglu_relu_gate": ("swiglu", "test_swiglu", _edit(
        SWIGLU, "h_BLF = gate_BLF * sig_BLF * up_BLF", "h_BLF = np.maximum(gate_BLF, 0) * up_BLF")),
    "swiglu_sigmoid_overflows": ("swiglu", "test_swiglu", _edit(
        SWIGLU, "sig_BLF = 0.5 * (1.0 + np.tanh(0.5 * gate_BLF))", "sig_BLF = np.exp(gate_BLF) / (1.0 + np.exp(gate_BLF))")),
    "swiglu_silu_derivative_is_the_sigmoid": ("swiglu", "test_swiglu", _edit(
        SWIGLU, "dgate_BLF = dh_BLF * up_BLF * sig_BLF * (1.0 + gate_BLF * (1.0 - sig_BLF))",
        "dgate_BLF = dh_BLF * up_BLF * sig_BLF")),
    "swiglu_silu_derivative_of_the_sigmoid": ("swiglu", "test_swiglu", _edit(
        SWIGLU, "dgate_BLF = dh_BLF * up_BLF * sig_BLF * (1.0 + gate_BLF * (1.0 - sig_BLF))",
        "dgate_BLF = dh_BLF * up_BLF * sig_BLF * (1.0 - sig_BLF)")),
    "swiglu_dx_through_the_gate_only": ("swiglu", "test_swiglu", _edit(
        SWIGLU, "dx_BLD = dgate_BLF @ w_gate_DF.T + dup_BLF @ w_up_DF.T", "dx_BLD = dgate_BLF @ w_gate_DF.T")),
    "swiglu_dw_down_per_position": ("swiglu", "test_swiglu", _edit(
        SWIGLU, 'dw_down_FD = np.einsum("blf,bld->fd", h_BLF, dy_BLD)', 'dw_down_FD = np.einsum("blf,bld->lfd", h_BLF, dy_BLD)')),
    "swiglu_dw_gate_transposed": ("swiglu", "test_swiglu", _edit(
        SWIGLU, 'dw_gate_DF = np.einsum("bld,blf->df", x_BLD, dgate_BLF)', 'dw_gate_DF = np.einsum("bld,blf->fd", x_BLD, dgate_BLF)')),
    "swiglu_dup_without_the_gate": ("swiglu", "test_swiglu", _edit(
        SWIGLU, "dup_BLF = dh_BLF * gate_BLF * sig_BLF", "dup_BLF = dh_BLF * sig_BLF")),
    # ---------------------------------------------------------------- grouped-query attention
    "gqa_heads_grouped_in_turn": ("gqa", "test_gqa", _edit(_edit(
        GQA, '''    q_BGRLK = q_BHLK.reshape(B, G, H // G, L, K)''',
        '''    q_BGRLK = q_BHLK.reshape(B, H // G, G, L, K).transpose(0, 2, 1, 3, 4)'''),
        "return o_BGRLK.reshape(B, H, L, v_BGMK.shape[-1])",
        "return o_BGRLK.transpose(0, 2, 1, 3, 4).reshape(B, H, L, v_BGMK.shape[-1])")),
    "gqa_heads_by_modulo": ("gqa", "test_gqa", _edit(
        GQA_HEAD_LOOP, "g = h // (H // G)", "g = h % G")),
    "gqa_repeats_k_and_v": ("gqa", "test_gqa", GQA_FULL_REPEAT),
    "gqa_indexes_k_and_v_per_head": ("gqa", "test_gqa", _edit(
        GQA_HEAD_LOOP, '''    for h in range(H):
        g = h // (H // G)''', '''    groups = np.arange(H) // (H // G)
    k_BGMK, v_BGMK = k_BGMK[:, groups], v_BGMK[:, groups]  # fancy indexing copies them
    for h in range(H):
        g = h''')),
    "gqa_without_the_scale": ("gqa", "test_gqa", _edit(GQA, ", k_BGMK) / np.sqrt(K)", ", k_BGMK)")),
    "gqa_scaled_by_the_model_width": ("gqa", "test_gqa", _edit(GQA, ", k_BGMK) / np.sqrt(K)", ", k_BGMK) / np.sqrt(H * K)")),
    "gqa_mask_without_the_offset": ("gqa", "test_gqa", _edit(GQA, "np.arange(L)[:, None] + (M - L)", "np.arange(L)[:, None]")),
    "gqa_mask_ignores_causal": ("gqa", "test_gqa", _edit(GQA, "    if causal:\n", "    if True:\n")),
    "gqa_softmax_over_the_queries": ("gqa", "test_gqa", _edit(_edit(
        GQA, "p_BGRLM = np.exp(scores_BGRLM - scores_BGRLM.max(axis=-1, keepdims=True))",
        "p_BGRLM = np.exp(scores_BGRLM - scores_BGRLM.max(axis=-2, keepdims=True))"),
        "p_BGRLM /= p_BGRLM.sum(axis=-1, keepdims=True)", "p_BGRLM /= p_BGRLM.sum(axis=-2, keepdims=True)")),
    "kv_bytes_saved_keys_only": ("gqa", "test_gqa", _edit(
        GQA, "return 2 * B * M * (H - G) * K * n_layers * bytes_per_value", "return B * M * (H - G) * K * n_layers * bytes_per_value")),
    "kv_bytes_saved_is_the_gqa_cache": ("gqa", "test_gqa", _edit(
        GQA, "return 2 * B * M * (H - G) * K * n_layers * bytes_per_value", "return 2 * B * M * G * K * n_layers * bytes_per_value")),
    "kv_bytes_saved_as_a_ratio": ("gqa", "test_gqa", _edit(
        GQA, "return 2 * B * M * (H - G) * K * n_layers * bytes_per_value", "return H / G")),
    "kv_bytes_saved_in_gib": ("gqa", "test_gqa", _edit(
        GQA, "return 2 * B * M * (H - G) * K * n_layers * bytes_per_value",
        "return 2 * B * M * (H - G) * K * n_layers * bytes_per_value / 2**30")),
    # ---------------------------------------------------------------- loss scaling
    "scale_grows_after_an_overflow": ("scaler", "test_scaler", _edit(
        SCALER, "return scale * 0.5, 0, True", "return scale * 2.0, 0, True")),
    "scale_kept_after_an_overflow": ("scaler", "test_scaler", _edit(
        SCALER, "return scale * 0.5, 0, True", "return scale, 0, True")),
    "overflow_keeps_the_count": ("scaler", "test_scaler", _edit(
        SCALER, "return scale * 0.5, 0, True", "return scale * 0.5, good_steps, True")),
    "overflow_not_skipped": ("scaler", "test_scaler", _edit(
        SCALER, "return scale * 0.5, 0, True", "return scale * 0.5, 0, False")),
    "scale_grows_one_step_late": ("scaler", "test_scaler", _edit(
        SCALER, "if good_steps == growth_interval:", "if good_steps > growth_interval:")),
    "count_not_restarted_after_growing": ("scaler", "test_scaler", _edit(
        SCALER, "return scale * 2.0, 0, False", "return scale * 2.0, good_steps, False")),
    "scale_grows_every_clean_step": ("scaler", "test_scaler", _edit(
        SCALER, "if good_steps == growth_interval:", "if True:")),
    "scale_grows_by_its_square": ("scaler", "test_scaler", _edit(
        SCALER, "return scale * 2.0, 0, False", "return scale * scale, 0, False")),
    "step_with_the_scaled_gradient": ("scaler", "test_scaler", _edit(
        SCALER, "(grads_fp16[name].astype(np.float32) / np.float32(scale))", "grads_fp16[name].astype(np.float32)")),
    "unscaled_in_float16": ("scaler", "test_scaler", _edit(
        SCALER, "(grads_fp16[name].astype(np.float32) / np.float32(scale))", "(grads_fp16[name] / np.float16(scale))")),
    "skip_only_for_inf": ("scaler", "test_scaler", _edit(
        SCALER, "if not all(np.isfinite(g).all() for g in grads_fp16.values()):",
        "if any(np.isinf(g).any() for g in grads_fp16.values()):")),
    "skip_checks_the_first_gradient_only": ("scaler", "test_scaler", _edit(
        SCALER, "if not all(np.isfinite(g).all() for g in grads_fp16.values()):",
        "if not np.isfinite(next(iter(grads_fp16.values()))).all():")),
    "weights_returned_in_float16": ("scaler", "test_scaler", _edit(
        SCALER, ".astype(np.float32)\n            for name, p in params_fp32.items()}", ".astype(np.float16)\n            for name, p in params_fp32.items()}")),
    "step_taken_in_place": ("scaler", "test_scaler", _edit(
        SCALER, "    return {name: (p - lr * (grads_fp16[name].astype(np.float32) / np.float32(scale))).astype(np.float32)\n            for name, p in params_fp32.items()}",
        "    for name, p in params_fp32.items():\n        p -= lr * (grads_fp16[name].astype(np.float32) / np.float32(scale))\n    return params_fp32")),
    # ---------------------------------------------------------------- activation memory, checkpointing
    "activation_bytes_without_the_weights": ("ckpt", "test_ckpt", _edit(
        CKPT, "(B * L * per_token + B * H * L * L) * bytes_per_value", "B * L * per_token * bytes_per_value")),
    "activation_bytes_weights_of_one_head": ("ckpt", "test_ckpt", _edit(
        CKPT, "(B * L * per_token + B * H * L * L) * bytes_per_value", "(B * L * per_token + B * L * L) * bytes_per_value")),
    "activation_bytes_scores_and_weights": ("ckpt", "test_ckpt", _edit(
        CKPT, "(B * L * per_token + B * H * L * L) * bytes_per_value", "(B * L * per_token + 2 * B * H * L * L) * bytes_per_value")),
    "activation_bytes_mlp_hidden_once": ("ckpt", "test_ckpt", _edit(CKPT, "per_token = 8 * D + 2 * F", "per_token = 8 * D + F")),
    "activation_bytes_without_q_k_v": ("ckpt", "test_ckpt", _edit(CKPT, "per_token = 8 * D + 2 * F", "per_token = 5 * D + 2 * F")),
    "activation_bytes_counts_values": ("ckpt", "test_ckpt", _edit(
        CKPT, "(B * L * per_token + B * H * L * L) * bytes_per_value", "(B * L * per_token + B * H * L * L)")),
    "checkpoint_keeps_every_cache": ("ckpt", "test_ckpt", CKPT_KEEPS_ALL),
    "checkpoint_recomputes_from_the_start": ("ckpt", "test_ckpt", CKPT_FROM_THE_START),
    # an optimisation the contract rules out: its count of forward calls is not 2 per block
    "checkpoint_keeps_the_last_segment": ("ckpt", "test_ckpt", CKPT_KEEPS_LAST),
    "checkpoint_backward_in_forward_order": ("ckpt", "test_ckpt", _edit(
        CKPT, "zip(reversed(segment), reversed(caches))", "zip(segment, caches)")),
    "checkpoint_segments_in_forward_order": ("ckpt", "test_ckpt", _edit(
        CKPT, "for start in reversed(range(0, len(blocks), every)):", "for start in range(0, len(blocks), every):")),
    "checkpoint_stores_outputs": ("ckpt", "test_ckpt", _edit(
        CKPT, "        if i % every == 0:\n            inputs[i] = h\n        h, _ = forward(h)\n",
        "        h, _ = forward(h)\n        if i % every == 0:\n            inputs[i] = h\n")),
    "checkpoint_gradient_of_the_mean": ("ckpt", "test_ckpt", _edit(
        CKPT, "y, grad = h, np.ones(np.shape(h))", "y, grad = h, np.ones(np.shape(h)) / np.size(h)")),
    # ---------------------------------------------------------------- mixture of experts
    "router_softmax_before_top_k": ("moe", "test_moe", _edit(
        MOE, '''    chosen_Tk = np.take_along_axis(logits_TE, experts_Tk, axis=-1)
    e_Tk = np.exp(chosen_Tk - chosen_Tk.max(axis=-1, keepdims=True))
    return experts_Tk, e_Tk / e_Tk.sum(axis=-1, keepdims=True)''', '''    p_TE = np.exp(logits_TE - logits_TE.max(axis=-1, keepdims=True))
    p_TE = p_TE / p_TE.sum(axis=-1, keepdims=True)
    return experts_Tk, np.take_along_axis(p_TE, experts_Tk, axis=-1)''')),
    "router_smallest_logits": ("moe", "test_moe", _edit(
        MOE, "np.argsort(-logits_TE, axis=-1, kind=\"stable\")[:, :k]", "np.argsort(logits_TE, axis=-1)[:, :k]")),
    "router_largest_last": ("moe", "test_moe", _edit(
        MOE, "np.argsort(-logits_TE, axis=-1, kind=\"stable\")[:, :k]", "np.argsort(logits_TE, axis=-1)[:, -k:]")),
    "router_weights_the_raw_logits": ("moe", "test_moe", _edit(
        MOE, "return experts_Tk, e_Tk / e_Tk.sum(axis=-1, keepdims=True)", "return experts_Tk, chosen_Tk")),
    "capacity_counted_per_batch": ("moe", "test_moe", MOE_PER_BATCH),
    "capacity_rounded_down": ("moe", "test_moe", _edit(
        MOE, "capacity = int(np.ceil(capacity_factor * T * k / E))", "capacity = int(capacity_factor * T * k / E)")),
    "capacity_without_k": ("moe", "test_moe", _edit(
        MOE, "capacity = int(np.ceil(capacity_factor * T * k / E))", "capacity = int(np.ceil(capacity_factor * T / E))")),
    "capacity_keeps_the_latest_tokens": ("moe", "test_moe", _edit(
        MOE, "tokens, slots = tokens[:capacity], slots[:capacity]", "tokens, slots = tokens[::-1][:capacity], slots[::-1][:capacity]")),
    "no_capacity_at_all": ("moe", "test_moe", _edit(
        MOE, "        tokens, slots = tokens[:capacity], slots[:capacity]\n", "")),
    "moe_output_unweighted": ("moe", "test_moe", _edit(
        MOE, "y_TD[tokens] += weights_Tk[tokens, slots][:, None] * experts[e](x_TD[tokens])",
        "y_TD[tokens] += experts[e](x_TD[tokens])")),
    "moe_weights_renormalised_after_dropping": ("moe", "test_moe", MOE_RENORMALISED),
    "balance_loss_without_E": ("moe", "test_moe", _edit(
        MOE, "return float(E * np.sum(f_E * probs_TE.mean(axis=0)))", "return float(np.sum(f_E * probs_TE.mean(axis=0)))")),
    "balance_loss_f_over_tokens": ("moe", "test_moe", _edit(
        MOE, "np.bincount(np.ravel(experts_Tk), minlength=E) / np.size(experts_Tk)",
        "np.bincount(np.ravel(experts_Tk), minlength=E) / len(experts_Tk)")),
    "balance_loss_from_probabilities_only": ("moe", "test_moe", _edit(
        MOE, "return float(E * np.sum(f_E * probs_TE.mean(axis=0)))", "return float(E * np.sum(probs_TE.mean(axis=0) ** 2))")),
    "all_to_all_sends_nothing": ("moe", "test_moe", _edit(
        MOE, "return [[parts[i][j] for i in range(len(parts))] for j in range(len(parts))]", "return parts")),
    "moe_bytes_dispatch_only": ("moe", "test_moe", _edit(
        MOE, "return 2 * T * k * D * bytes_per_value * (N - 1) / N", "return T * k * D * bytes_per_value * (N - 1) / N")),
    "moe_bytes_counts_local_tokens": ("moe", "test_moe", _edit(
        MOE, "return 2 * T * k * D * bytes_per_value * (N - 1) / N", "return 2 * T * k * D * bytes_per_value")),
    "moe_bytes_without_k": ("moe", "test_moe", _edit(
        MOE, "return 2 * T * k * D * bytes_per_value * (N - 1) / N", "return 2 * T * D * bytes_per_value * (N - 1) / N")),
    # ---------------------------------------------------------------- FlashAttention
    "flash_running_sum_not_rescaled": ("flash", "test_flash", _edit(
        FLASH, "l_BHl = alpha_BHl * l_BHl + p_BHlm.sum(axis=-1)", "l_BHl = l_BHl + p_BHlm.sum(axis=-1)")),
    "flash_output_not_rescaled": ("flash", "test_flash", _edit(
        FLASH, "acc_BHlK = alpha_BHl[..., None] * acc_BHlK + np.einsum", "acc_BHlK = acc_BHlK + np.einsum")),
    "flash_rescaled_the_wrong_way": ("flash", "test_flash", _edit(
        FLASH, "alpha_BHl = np.exp(m_BHl - m_new_BHl)", "alpha_BHl = np.exp(m_new_BHl - m_BHl)")),
    "flash_without_a_running_max": ("flash", "test_flash", _edit(_edit(
        FLASH, "m_new_BHl = np.maximum(m_BHl, s_BHlm.max(axis=-1))", "m_new_BHl = s_BHlm.max(axis=-1)"),
        "alpha_BHl = np.exp(m_BHl - m_new_BHl)", "alpha_BHl = np.ones(m_BHl.shape)")),
    "flash_lse_without_the_max": ("flash", "test_flash", _edit(
        FLASH, "lse_BHL[:, :, i:i + block] = m_BHl + np.log(l_BHl)", "lse_BHL[:, :, i:i + block] = np.log(l_BHl)")),
    "flash_lse_is_the_sum": ("flash", "test_flash", _edit(
        FLASH, "lse_BHL[:, :, i:i + block] = m_BHl + np.log(l_BHl)", "lse_BHL[:, :, i:i + block] = l_BHl")),
    "flash_without_the_scale": ("flash", "test_flash", _edit(
        FLASH, "q_BHlK = q_BHLK[:, :, i:i + block] * scale", "q_BHlK = q_BHLK[:, :, i:i + block]")),
    "flash_mask_without_the_offset": ("flash", "test_flash", _edit(
        _FLASH_FORWARD, "cols[None, :] <= rows[:, None] + M - L", "cols[None, :] <= rows[:, None]") + "\n\n" + _FLASH_BACKWARD),
    "flash_holds_the_full_scores": ("flash", "test_flash", FLASH_DENSE + "\n" + _FLASH_BACKWARD),
    "flash_holds_a_strip_of_scores": ("flash", "test_flash", FLASH_STRIPS),
    "flash_backward_normalises_each_tile": ("flash", "test_flash", _edit(
        FLASH, "p_BHlm = np.exp(s_BHlm - lse_BHL[:, :, i:i + block, None])",
        "p_BHlm = np.exp(s_BHlm - s_BHlm.max(-1, keepdims=True))\n"
        "            p_BHlm = p_BHlm / p_BHlm.sum(-1, keepdims=True)")),
    "flash_backward_without_lse": ("flash", "test_flash", _edit(
        FLASH, "p_BHlm = np.exp(s_BHlm - lse_BHL[:, :, i:i + block, None])", "p_BHlm = np.exp(s_BHlm)")),
    "flash_backward_without_delta": ("flash", "test_flash", _edit(
        FLASH, "ds_BHlm = p_BHlm * (dp_BHlm - delta_BHL[:, :, i:i + block, None]) * scale",
        "ds_BHlm = p_BHlm * dp_BHlm * scale")),
    "flash_backward_delta_as_a_mean": ("flash", "test_flash", _edit(
        FLASH, "delta_BHL = (do_BHLK * o_BHLK).sum(axis=-1)", "delta_BHL = (do_BHLK * o_BHLK).mean(axis=-1)")),
    "flash_backward_dk_unscaled": ("flash", "test_flash", _edit(
        FLASH, '''            ds_BHlm = p_BHlm * (dp_BHlm - delta_BHL[:, :, i:i + block, None]) * scale
            dq_BHLK[:, :, i:i + block] += np.einsum("bhlm,bhmk->bhlk", ds_BHlm, k_BHmK)
            dk_BHMK[:, :, j:j + block] += np.einsum("bhlm,bhlk->bhmk", ds_BHlm, q_BHlK)''',
        '''            ds_BHlm = p_BHlm * (dp_BHlm - delta_BHL[:, :, i:i + block, None])
            dq_BHLK[:, :, i:i + block] += np.einsum("bhlm,bhmk->bhlk", ds_BHlm, k_BHmK) * scale
            dk_BHMK[:, :, j:j + block] += np.einsum("bhlm,bhlk->bhmk", ds_BHlm, q_BHlK)''')),
    "flash_backward_dv_from_the_scores": ("flash", "test_flash", _edit(
        FLASH, 'dv_BHMK[:, :, j:j + block] += np.einsum("bhlm,bhlk->bhmk", p_BHlm, do_BHlK)',
        'dv_BHMK[:, :, j:j + block] += np.einsum("bhlm,bhlk->bhmk", s_BHlm, do_BHlK)')),
}

ALTERNATIVE = {
    # ---------------------------------------------------------------- RMSNorm
    "rmsnorm_by_the_norm": ("rmsnorm", _edit(
        RMSNORM, "rms_BL1 = np.sqrt((x_BLD ** 2).mean(axis=-1, keepdims=True) + eps)",
        "rms_BL1 = np.sqrt(np.linalg.norm(x_BLD, axis=-1, keepdims=True) ** 2 / x_BLD.shape[-1] + eps)")),
    "rmsnorm_with_einsum_and_a_reciprocal": ("rmsnorm", '''
def rmsnorm_forward(x_BLD, g_D, eps=1e-6):
    inv_BL1 = 1.0 / np.sqrt(np.einsum("bld,bld->bl", x_BLD, x_BLD)[..., None] / x_BLD.shape[-1] + eps)
    return x_BLD * inv_BL1 * g_D, (x_BLD, inv_BL1, g_D)

def rmsnorm_backward(dy_BLD, cache):
    x_BLD, inv_BL1, g_D = cache
    D = x_BLD.shape[-1]
    dg_D = np.einsum("bld,bld,bl->d", dy_BLD, x_BLD, inv_BL1[..., 0])
    dxhat_BLD = dy_BLD * g_D
    # d(x * inv)/dx = inv - x * inv**3 * x / D
    dx_BLD = dxhat_BLD * inv_BL1 - x_BLD * inv_BL1 ** 3 * (dxhat_BLD * x_BLD).sum(-1, keepdims=True) / D
    return dx_BLD, dg_D
'''),
    "rmsnorm_caching_in_a_namedtuple": ("rmsnorm", '''
from collections import namedtuple

RMSCache = namedtuple("RMSCache", ["xhat_BLD", "rms_BL1", "g_D"])

def rmsnorm_forward(x_BLD, g_D, eps=1e-6):
    rms_BL1 = np.sqrt(np.mean(x_BLD ** 2, axis=-1, keepdims=True) + eps)
    cache = RMSCache(xhat_BLD=x_BLD / rms_BL1, rms_BL1=rms_BL1, g_D=g_D)
    return cache.xhat_BLD * g_D, cache

def rmsnorm_backward(dy_BLD, cache):
    dxhat_BLD = dy_BLD * cache.g_D
    projection_BL1 = (dxhat_BLD * cache.xhat_BLD).mean(axis=-1, keepdims=True)
    return (dxhat_BLD - cache.xhat_BLD * projection_BL1) / cache.rms_BL1, (dy_BLD * cache.xhat_BLD).sum(axis=(0, 1))
'''),
    "rmsnorm_one_position_at_a_time": ("rmsnorm", '''
def rmsnorm_forward(x_BLD, g_D, eps=1e-6):
    y_BLD = np.zeros(x_BLD.shape)
    for index in np.ndindex(x_BLD.shape[:-1]):
        y_BLD[index] = x_BLD[index] / np.sqrt(np.mean(x_BLD[index] ** 2) + eps) * g_D
    return y_BLD, (np.array(x_BLD, dtype=np.float64), g_D, eps)

def rmsnorm_backward(dy_BLD, cache):
    x_BLD, g_D, eps = cache
    dx_BLD, dg_D = np.zeros(x_BLD.shape), np.zeros(g_D.shape)
    for index in np.ndindex(x_BLD.shape[:-1]):
        x, dy = x_BLD[index], dy_BLD[index]
        r = np.sqrt(np.mean(x ** 2) + eps)
        dg_D += dy * x / r
        dxhat = dy * g_D
        dx_BLD[index] = dxhat / r - x * np.dot(dxhat, x) / (len(x) * r ** 3)
    return dx_BLD, dg_D
'''),
    # ---------------------------------------------------------------- RoPE
    "rope_as_complex_numbers": ("rope", ROPE_COMPLEX),
    "rope_as_rotation_matrices": ("rope", ROPE_MATRICES),
    "rope_backward_written_out": ("rope", _edit(
        ROPE, "    return rope(dy_BHLK, -np.asarray(positions_L, dtype=np.float64), base)", '''    K = dy_BHLK.shape[-1]
    angle_Lk = np.asarray(positions_L, dtype=np.float64)[:, None] * base ** (-np.arange(0, K, 2) / K)
    c, s = np.cos(angle_Lk), np.sin(angle_Lk)
    dx_BHLK = np.zeros(dy_BHLK.shape)
    dx_BHLK[..., 0::2] = dy_BHLK[..., 0::2] * c + dy_BHLK[..., 1::2] * s
    dx_BHLK[..., 1::2] = -dy_BHLK[..., 0::2] * s + dy_BHLK[..., 1::2] * c
    return dx_BHLK''')),
    # ---------------------------------------------------------------- SwiGLU
    "swiglu_sigmoid_from_logaddexp": ("swiglu", _edit(
        SWIGLU, "sig_BLF = 0.5 * (1.0 + np.tanh(0.5 * gate_BLF))", "sig_BLF = np.exp(-np.logaddexp(0.0, -gate_BLF))")),
    "swiglu_derivative_from_silu": ("swiglu", _edit(
        SWIGLU, "dgate_BLF = dh_BLF * up_BLF * sig_BLF * (1.0 + gate_BLF * (1.0 - sig_BLF))",
        "silu_BLF = gate_BLF * sig_BLF\n"
        "    dgate_BLF = dh_BLF * up_BLF * (silu_BLF + sig_BLF * (1.0 - silu_BLF))")),
    "swiglu_with_matmuls_over_flattened_positions": ("swiglu", '''
def _sigmoid(z):
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z))))

def swiglu_forward(x_BLD, w_gate_DF, w_up_DF, w_down_FD):
    B, L, D = x_BLD.shape
    x_ND = x_BLD.reshape(B * L, D)
    g_NF, u_NF = x_ND @ w_gate_DF, x_ND @ w_up_DF
    h_NF = g_NF * _sigmoid(g_NF) * u_NF
    return (h_NF @ w_down_FD).reshape(B, L, D), (x_ND, g_NF, u_NF, h_NF, w_gate_DF, w_up_DF, w_down_FD, (B, L))

def swiglu_backward(dy_BLD, cache):
    x_ND, g_NF, u_NF, h_NF, w_gate_DF, w_up_DF, w_down_FD, (B, L) = cache
    dy_ND = dy_BLD.reshape(B * L, -1)
    dh_NF = dy_ND @ w_down_FD.T
    s_NF = _sigmoid(g_NF)
    dg_NF = dh_NF * u_NF * (s_NF + g_NF * s_NF * (1 - s_NF))
    du_NF = dh_NF * g_NF * s_NF
    dx_ND = dg_NF @ w_gate_DF.T + du_NF @ w_up_DF.T
    return dx_ND.reshape(B, L, -1), x_ND.T @ dg_NF, x_ND.T @ du_NF, h_NF.T @ dy_ND
'''),
    "swiglu_caching_in_an_object": ("swiglu", '''
class SwiGLUCache:
    """What the backward needs: the input, the weights, and the two branches before the product."""

    def __init__(self, x_BLD, w_gate_DF, w_up_DF, w_down_FD, gate_BLF, up_BLF):
        self.x_BLD, self.w_gate_DF, self.w_up_DF, self.w_down_FD = x_BLD, w_gate_DF, w_up_DF, w_down_FD
        self.gate_BLF, self.up_BLF = gate_BLF, up_BLF
        self.sig_BLF = 0.5 * (1.0 + np.tanh(0.5 * gate_BLF))
        self.h_BLF = gate_BLF * self.sig_BLF * up_BLF

def swiglu_forward(x_BLD, w_gate_DF, w_up_DF, w_down_FD):
    c = SwiGLUCache(x_BLD, w_gate_DF, w_up_DF, w_down_FD, x_BLD @ w_gate_DF, x_BLD @ w_up_DF)
    return c.h_BLF @ w_down_FD, c

def swiglu_backward(dy_BLD, c):
    dh_BLF = dy_BLD @ c.w_down_FD.T
    dup_BLF = dh_BLF * c.gate_BLF * c.sig_BLF
    dgate_BLF = dh_BLF * c.up_BLF * c.sig_BLF * (1.0 + c.gate_BLF * (1.0 - c.sig_BLF))
    dx_BLD = dgate_BLF @ c.w_gate_DF.T + dup_BLF @ c.w_up_DF.T
    return (dx_BLD, np.einsum("bld,blf->df", c.x_BLD, dgate_BLF), np.einsum("bld,blf->df", c.x_BLD, dup_BLF),
            np.einsum("blf,bld->fd", c.h_BLF, dy_BLD))
'''),
    # ---------------------------------------------------------------- grouped-query attention
    "gqa_one_head_at_a_time_with_views": ("gqa", GQA_HEAD_LOOP),
    "gqa_keys_broadcast_over_the_group": ("gqa", _edit(_edit(
        GQA, 'scores_BGRLM = np.einsum("bgrlk,bgmk->bgrlm", q_BGRLK, k_BGMK) / np.sqrt(K)',
        "scores_BGRLM = q_BGRLK @ k_BGMK[:, :, None].swapaxes(-1, -2) / np.sqrt(K)"),
        'o_BGRLK = np.einsum("bgrlm,bgmk->bgrlk", p_BGRLM, v_BGMK)', "o_BGRLK = p_BGRLM @ v_BGMK[:, :, None]")),
    "gqa_one_group_at_a_time": ("gqa", '''
def gqa_attention(q_BHLK, k_BGMK, v_BGMK, causal=True):
    B, H, L, K = q_BHLK.shape
    G, M = k_BGMK.shape[1], k_BGMK.shape[2]
    r = H // G
    out = []
    for g in range(G):
        s = np.einsum("bhlk,bmk->bhlm", q_BHLK[:, g * r:(g + 1) * r], k_BGMK[:, g]) / K ** 0.5
        if causal:
            s = s + np.where(np.tril(np.ones((L, M)), k=M - L) > 0, 0.0, -np.inf)
        s = s - s.max(-1, keepdims=True)
        p = np.exp(s) / np.exp(s).sum(-1, keepdims=True)
        out.append(np.einsum("bhlm,bmk->bhlk", p, v_BGMK[:, g]))
    return np.concatenate(out, axis=1)

def kv_bytes_saved(B, M, H, G, K, n_layers, bytes_per_value):
    per_head = 2 * B * M * K * n_layers * bytes_per_value
    return per_head * H - per_head * G
'''),
    # ---------------------------------------------------------------- loss scaling
    "scaler_written_with_one_return": ("scaler", '''
def loss_scale_update(scale, found_inf, good_steps, growth_interval=2000):
    if found_inf:
        new_scale, new_good = scale / 2, 0
    else:
        new_good = good_steps + 1
        new_scale = scale
        if new_good >= growth_interval:
            new_scale, new_good = scale * 2, 0
    return new_scale, new_good, bool(found_inf)

def scaled_step(params_fp32, grads_fp16, scale, lr):
    found_inf = any(not np.all(np.isfinite(g)) for g in grads_fp16.values())
    new = {}
    for name, w in params_fp32.items():
        g = np.asarray(grads_fp16[name], dtype=np.float32) * np.float32(1.0 / scale)
        new[name] = w.copy() if found_inf else (w - np.float32(lr) * g).astype(np.float32)
    return new
'''),
    # ---------------------------------------------------------------- activation memory, checkpointing
    "checkpoint_with_a_list_of_inputs": ("ckpt", CKPT_INPUT_LIST),
    # ---------------------------------------------------------------- mixture of experts
    "moe_with_loops": ("moe", MOE_LOOPS),
    "router_with_argpartition": ("moe", _edit(
        MOE, 'experts_Tk = np.argsort(-logits_TE, axis=-1, kind="stable")[:, :k]',
        "top_Tk = np.argpartition(-logits_TE, k - 1, axis=-1)[:, :k]\n"
        "    order_Tk = np.argsort(-np.take_along_axis(logits_TE, top_Tk, axis=-1), axis=-1)\n"
        "    experts_Tk = np.take_along_axis(top_Tk, order_Tk, axis=-1)")),
    # ---------------------------------------------------------------- FlashAttention
    "flash_tiles_keys_only": ("flash", FLASH_KEY_TILES_ONLY + "\n" + _FLASH_BACKWARD),
    "flash_backward_keys_outside": ("flash", _FLASH_FORWARD + "\n" + FLASH_BACKWARD_KEYS_OUTER),
    "flash_with_matmuls": ("flash", FLASH.replace(
        'np.einsum("bhlk,bhmk->bhlm", q_BHlK, k_BHMK[:, :, j:j + block])', "q_BHlK @ k_BHMK[:, :, j:j + block].swapaxes(-1, -2)").replace(
        'np.einsum("bhlm,bhmk->bhlk", p_BHlm, v_BHMK[:, :, j:j + block])', "p_BHlm @ v_BHMK[:, :, j:j + block]")),
}
