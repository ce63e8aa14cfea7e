"""Wrong and alternative answers for 09_serving, one solution cell each.

Each entry names the solution cell it replaces, the test cell that grades it, and the code a
learner might write. A wrong answer must lose exactly that test cell's points; an alternative
correct answer must keep full marks. No exercise of this notebook builds on another.

Most wrong answers are one edit of a correct answer (``_edit``), so each entry shows the one
mistake, by class: decode costed as compute-bound, the KV cache read once per batch instead of per
sequence, a roofline that adds where it takes the larger, the 2 of a multiply-add, a crossover rounded
the wrong way or blind to the cache; a paged cache that leaks blocks on free (or gives them back
twice), takes a block per token or one too early, gathers in block-id order or whole blocks, runs out
with the wrong error or a changed length; a static batch that starts before it is full or refills a
free slot, a continuous one that waits for the longest sequence or over-fills, TTFT and throughput
over the wrong span; speculative acceptance uncapped or inverted, resampling from p, from q - p or an
unnormalised residual, a missing or misplaced bonus token, a step that goes on after a rejection;
one quantization scale per tensor, the wrong axis or range, truncation, int8, int16 or float32
accumulation; a serving plan that does not split the weights or the cache, counts decimal GB, leaves
a bound out, or picks the most devices.
"""


def _edit(code: str, old: str, new: str) -> str:
    """``code`` with its one ``old`` replaced by ``new`` (an entry that no longer applies fails loudly)."""
    assert code.count(old) == 1, f"{old!r} is not once in the answer"
    return code.replace(old, new)


PREFILL = '''
def prefill_decode_times(params, prompt_len, batch, bytes_per_param, peak_flops, mem_bw, kv_bytes_per_token):
    """(ttft_s, tpot_s): the prefill of batch prompts of prompt_len tokens, then one decode step, in seconds."""
    bytes_read = params * bytes_per_param + batch * prompt_len * kv_bytes_per_token
    ttft_s = max(2 * params * batch * prompt_len / peak_flops, bytes_read / mem_bw)
    tpot_s = max(2 * params * batch / peak_flops, bytes_read / mem_bw)
    return ttft_s, tpot_s


def decode_crossover_batch(params, context_len, bytes_per_param, peak_flops, mem_bw, kv_bytes_per_token):
    """Smallest batch whose decode step computes at least as long as it reads, or None. An int."""
    per_sequence = 2 * params / peak_flops - context_len * kv_bytes_per_token / mem_bw
    if per_sequence <= 0:
        return None
    batch = max(1, int(np.ceil(params * bytes_per_param / mem_bw / per_sequence)))
    compute = lambda b: 2 * params * b / peak_flops
    memory = lambda b: (params * bytes_per_param + b * context_len * kv_bytes_per_token) / mem_bw
    while batch > 1 and compute(batch - 1) >= memory(batch - 1):   # float rounding at the boundary
        batch -= 1
    while compute(batch) < memory(batch):
        batch += 1
    return batch
'''


PAGED = '''
class PagedKVCache:
    """Keys and values of many sequences in pools of fixed-size blocks, found through a block table each."""

    def __init__(self, num_blocks, block_size, H, K):
        self.block_size = block_size
        self.k_NSHK = np.zeros((num_blocks, block_size, H, K))
        self.v_NSHK = np.zeros((num_blocks, block_size, H, K))
        self.free_blocks = list(range(num_blocks))[::-1]   # pop() takes the lowest id first
        self.tables = {}     # seq -> list of block ids
        self.lengths = {}    # seq -> tokens held

    def add(self, seq):
        self.tables[seq] = []
        self.lengths[seq] = 0

    def append(self, seq, k_HK, v_HK):
        T, table = self.lengths[seq], self.tables[seq]
        if T == len(table) * self.block_size:
            if not self.free_blocks:
                raise RuntimeError(f"out of KV blocks: all {self.k_NSHK.shape[0]} are in use")
            table.append(self.free_blocks.pop())
        block, slot = table[T // self.block_size], T % self.block_size
        self.k_NSHK[block, slot] = k_HK
        self.v_NSHK[block, slot] = v_HK
        self.lengths[seq] = T + 1

    def free(self, seq):
        self.free_blocks.extend(self.tables.pop(seq))
        del self.lengths[seq]

    def gather(self, seq):
        """(k_HTK, v_HTK): the sequence's T tokens in order, new arrays."""
        T, table = self.lengths[seq], self.tables[seq]
        k_TSHK, v_TSHK = self.k_NSHK[table], self.v_NSHK[table]     # fancy indexing: copies
        H, K = self.k_NSHK.shape[2:]
        k_THK = k_TSHK.reshape(-1, H, K)[:T]
        v_THK = v_TSHK.reshape(-1, H, K)[:T]
        return k_THK.transpose(1, 0, 2).copy(), v_THK.transpose(1, 0, 2).copy()

    def block_table(self, seq):
        return list(self.tables[seq])
'''


BATCHING = '''
def simulate_batching(requests, max_batch, step_time, policy):
    """requests: list of (arrival_s, prompt_len, output_len); policy "static" or "continuous".
    Returns {"ttft": [s per request], "completion": [s per request], "throughput": tokens per s}."""
    n = len(requests)
    queue = sorted(range(n), key=lambda i: (requests[i][0], i))
    running, left = [], {}
    ttft, completion = [None] * n, [None] * n
    step = 0
    while queue or running:
        now = step * step_time
        arrived = [i for i in queue if requests[i][0] <= now]
        if policy == "continuous":
            joining = arrived[:max_batch - len(running)]
        elif not running and (len(arrived) >= max_batch or len(arrived) == len(queue)):
            joining = arrived[:max_batch]
        else:
            joining = []
        for i in joining:
            queue.remove(i)
            running.append(i)
            left[i] = requests[i][2]
        if not running:
            later = min(requests[i][0] for i in queue if requests[i][0] > now)
            step = max(step + 1, int(np.ceil(later / step_time)))
            continue
        end = now + step_time
        for i in running:
            if left[i] == 0:
                continue
            if left[i] == requests[i][2]:
                ttft[i] = end - requests[i][0]
            left[i] -= 1
            if left[i] == 0:
                completion[i] = end
        if policy == "continuous" or all(left[i] == 0 for i in running):
            running = [i for i in running if left[i] > 0]
        step += 1
    tokens = sum(r[2] for r in requests)
    return {"ttft": ttft, "completion": completion,
            "throughput": tokens / (max(completion) - min(r[0] for r in requests))}
'''


SPECULATIVE = '''
def speculative_step(p_target_GV, q_draft_GV, draft_tokens_G, rng):
    """Tokens one speculative step emits (a list of ints, 1 to G + 1). p_target_GV has G + 1 rows."""
    out = []
    for i, x in enumerate(draft_tokens_G):
        x = int(x)
        p_V, q_V = p_target_GV[i], q_draft_GV[i]
        if rng.random() < min(1.0, p_V[x] / q_V[x]):
            out.append(x)
            continue
        residual_V = np.maximum(p_V - q_V, 0.0)
        out.append(int(rng.choice(len(p_V), p=residual_V / residual_V.sum())))
        return out
    bonus_V = p_target_GV[len(draft_tokens_G)]
    out.append(int(rng.choice(len(bonus_V), p=bonus_V)))
    return out


def expected_tokens_per_step(alpha, gamma):
    """Mean tokens per speculative step: (1 - alpha ** (gamma + 1)) / (1 - alpha); gamma + 1 at alpha = 1."""
    if alpha == 1:
        return float(gamma + 1)
    return (1 - alpha ** (gamma + 1)) / (1 - alpha)
'''


QUANT = '''
def quantize_int8(w_DF, axis):
    """Symmetric int8, one scale per index along axis. Returns (q, scale): q int8 of w's shape, scale (w.shape[axis],)."""
    axis = axis % w_DF.ndim
    others = tuple(a for a in range(w_DF.ndim) if a != axis)
    amax = np.abs(w_DF).max(axis=others)
    scale = np.where(amax > 0, amax / 127, 1.0)
    shape = [1] * w_DF.ndim
    shape[axis] = -1
    q = np.clip(np.round(w_DF / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


def int8_matmul(x_BD, q_DF, scale_F):
    """(x_BD @ q_DF) accumulated in int32, times scale_F per column. int8 inputs; a float64 (B, F) array."""
    acc_BF = x_BD.astype(np.int32) @ q_DF.astype(np.int32)
    return acc_BF * np.asarray(scale_F, dtype=np.float64)


def quantize_int4_groups(w_DF, group):
    """Symmetric 4-bit (-7..7, in int8) with a scale per group of input rows and output column. Returns (q_DF, scale_GF)."""
    D, F = w_DF.shape
    if D % group:
        raise ValueError(f"group {group} does not divide D = {D}")
    w_GgF = w_DF.reshape(D // group, group, F)
    amax_GF = np.abs(w_GgF).max(axis=1)
    scale_GF = np.where(amax_GF > 0, amax_GF / 7, 1.0)
    q_GgF = np.clip(np.round(w_GgF / scale_GF[:, None, :]), -7, 7).astype(np.int8)
    return q_GgF.reshape(D, F), scale_GF
'''


PLAN = '''
def serving_plan(model, device, slo):
    """{"tp", "batch", "kv_budget_gb"} for the fewest devices meeting slo["tpot_s"], or {"reason": why none does}."""
    P, s = model["n_params"], model["bytes_per_param"]
    kv_per_token = 2 * model["n_layers"] * model["n_kv_heads"] * model["head_dim"] * s
    capacity = device["memory_gb"] * 2**30
    target, L = slo["tpot_s"], slo["context_len"]
    tp, fits = 1, False
    while tp <= device["max_devices"]:
        weights = P * s / tp
        per_sequence = L * kv_per_token / tp
        budget = capacity - weights
        fits = budget >= per_sequence
        if fits:
            batch = min(int(budget // per_sequence),
                        int(np.floor(target * device["peak_flops"] * tp / (2 * P))),
                        int(np.floor((target * device["mem_bw"] - weights) / per_sequence)))
            if batch >= 1:
                return {"tp": tp, "batch": batch, "kv_budget_gb": budget / 2**30}
        tp *= 2
    tp //= 2
    if not fits:
        return {"reason": f"not enough memory: on {tp} devices the weights and one sequence's cache need "
                          f"{(P * s + L * kv_per_token) / tp / 2**30:.1f} GiB per device, more than {device['memory_gb']}"}
    step = max(2 * P / tp / device["peak_flops"], (P * s + L * kv_per_token) / tp / device["mem_bw"])
    return {"reason": f"time per token: even at batch 1 on {tp} devices a step takes {step * 1e3:.1f} ms, "
                      f"more than {target * 1e3:.1f} ms"}
'''


WRONG = {
    # ---------------------------------------------------------------- prefill and decode
    "decode_costed_as_compute_bound": ("prefill", "test_prefill", _edit(
        PREFILL, "tpot_s = max(2 * params * batch / peak_flops, bytes_read / mem_bw)", "tpot_s = 2 * params * batch / peak_flops")),
    "decode_reads_the_cache_once_per_batch": ("prefill", "test_prefill", _edit(
        PREFILL, "tpot_s = max(2 * params * batch / peak_flops, bytes_read / mem_bw)",
        "tpot_s = max(2 * params * batch / peak_flops, (params * bytes_per_param + prompt_len * kv_bytes_per_token) / mem_bw)")),
    "cache_once_per_batch_in_both_phases": ("prefill", "test_prefill", _edit(
        PREFILL, "bytes_read = params * bytes_per_param + batch * prompt_len * kv_bytes_per_token",
        "bytes_read = params * bytes_per_param + prompt_len * kv_bytes_per_token")),
    "decode_reads_the_weights_only": ("prefill", "test_prefill", _edit(
        PREFILL, "tpot_s = max(2 * params * batch / peak_flops, bytes_read / mem_bw)",
        "tpot_s = max(2 * params * batch / peak_flops, params * bytes_per_param / mem_bw)")),
    "roofline_adds_compute_and_memory": ("prefill", "test_prefill", _edit(_edit(
        PREFILL, "ttft_s = max(2 * params * batch * prompt_len / peak_flops, bytes_read / mem_bw)",
        "ttft_s = 2 * params * batch * prompt_len / peak_flops + bytes_read / mem_bw"),
        "tpot_s = max(2 * params * batch / peak_flops, bytes_read / mem_bw)", "tpot_s = 2 * params * batch / peak_flops + bytes_read / mem_bw")),
    "prefill_costed_as_memory_bound": ("prefill", "test_prefill", _edit(
        PREFILL, "ttft_s = max(2 * params * batch * prompt_len / peak_flops, bytes_read / mem_bw)", "ttft_s = bytes_read / mem_bw")),
    "flops_without_the_2": ("prefill", "test_prefill", _edit(_edit(
        PREFILL, "max(2 * params * batch * prompt_len / peak_flops", "max(params * batch * prompt_len / peak_flops"),
        "max(2 * params * batch / peak_flops", "max(params * batch / peak_flops")),
    "prefill_flops_of_one_prompt": ("prefill", "test_prefill", _edit(
        PREFILL, "max(2 * params * batch * prompt_len / peak_flops", "max(2 * params * prompt_len / peak_flops")),
    "decode_flops_of_the_whole_prompt": ("prefill", "test_prefill", _edit(
        PREFILL, "tpot_s = max(2 * params * batch / peak_flops", "tpot_s = max(2 * params * batch * prompt_len / peak_flops")),
    "crossover_rounds_down": ("prefill", "test_prefill", _edit(_edit(_edit(
        PREFILL, "batch = max(1, int(np.ceil(params * bytes_per_param / mem_bw / per_sequence)))",
        "return max(1, int(np.floor(params * bytes_per_param / mem_bw / per_sequence)))"),
        "    while batch > 1 and compute(batch - 1) >= memory(batch - 1):   # float rounding at the boundary\n        batch -= 1\n", ""),
        "    while compute(batch) < memory(batch):\n        batch += 1\n    return batch\n", "")),
    "crossover_without_the_cache": ("prefill", "test_prefill", '''
def prefill_decode_times(params, prompt_len, batch, bytes_per_param, peak_flops, mem_bw, kv_bytes_per_token):
    bytes_read = params * bytes_per_param + batch * prompt_len * kv_bytes_per_token
    return (max(2 * params * batch * prompt_len / peak_flops, bytes_read / mem_bw),
            max(2 * params * batch / peak_flops, bytes_read / mem_bw))


def decode_crossover_batch(params, context_len, bytes_per_param, peak_flops, mem_bw, kv_bytes_per_token):
    # the ridge alone: s * peak / (2 * bw), as if the cache cost nothing
    return max(1, int(np.ceil(bytes_per_param * peak_flops / (2 * mem_bw))))
'''),
    "crossover_cache_read_once_per_batch": ("prefill", "test_prefill", '''
def prefill_decode_times(params, prompt_len, batch, bytes_per_param, peak_flops, mem_bw, kv_bytes_per_token):
    bytes_read = params * bytes_per_param + batch * prompt_len * kv_bytes_per_token
    return (max(2 * params * batch * prompt_len / peak_flops, bytes_read / mem_bw),
            max(2 * params * batch / peak_flops, bytes_read / mem_bw))


def decode_crossover_batch(params, context_len, bytes_per_param, peak_flops, mem_bw, kv_bytes_per_token):
    bytes_read = params * bytes_per_param + context_len * kv_bytes_per_token
    return max(1, int(np.ceil(bytes_read / mem_bw / (2 * params / peak_flops))))
'''),
    "crossover_never_none": ("prefill", "test_prefill", _edit(_edit(_edit(_edit(
        PREFILL, "    if per_sequence <= 0:\n        return None\n", ""),
        "batch = max(1, int(np.ceil(params * bytes_per_param / mem_bw / per_sequence)))",
        "return max(1, int(np.ceil(params * bytes_per_param / mem_bw / per_sequence)))"),
        "    while batch > 1 and compute(batch - 1) >= memory(batch - 1):   # float rounding at the boundary\n        batch -= 1\n", ""),
        "    while compute(batch) < memory(batch):\n        batch += 1\n    return batch\n", "")),
    # ---------------------------------------------------------------- the paged cache
    "free_leaks_the_blocks": ("paged", "test_paged", _edit(
        PAGED, "self.free_blocks.extend(self.tables.pop(seq))", "self.tables.pop(seq)")),
    "free_returns_the_last_block_only": ("paged", "test_paged", _edit(
        PAGED, "self.free_blocks.extend(self.tables.pop(seq))", "self.free_blocks.extend(self.tables.pop(seq)[-1:])")),
    "free_gives_blocks_back_twice": ("paged", "test_paged", _edit(
        PAGED, "self.free_blocks.extend(self.tables.pop(seq))", "self.free_blocks.extend(2 * self.tables.pop(seq))")),
    "a_block_for_every_token": ("paged", "test_paged", _edit(_edit(
        PAGED, "if T == len(table) * self.block_size:", "if True:"),
        "block, slot = table[T // self.block_size], T % self.block_size", "block, slot = table[T], 0")),
    "a_block_taken_on_add": ("paged", "test_paged", _edit(_edit(
        PAGED, "        self.tables[seq] = []\n", "        self.tables[seq] = [self.free_blocks.pop()]\n"),
        "if T == len(table) * self.block_size:", "if T and T % self.block_size == 0:")),
    "gather_in_block_id_order": ("paged", "test_paged", _edit(
        PAGED, "k_TSHK, v_TSHK = self.k_NSHK[table], self.v_NSHK[table]", "k_TSHK, v_TSHK = self.k_NSHK[sorted(table)], self.v_NSHK[sorted(table)]")),
    "gather_whole_blocks": ("paged", "test_paged", _edit(_edit(
        PAGED, "k_THK = k_TSHK.reshape(-1, H, K)[:T]", "k_THK = k_TSHK.reshape(-1, H, K)"),
        "v_THK = v_TSHK.reshape(-1, H, K)[:T]", "v_THK = v_TSHK.reshape(-1, H, K)")),
    "out_of_blocks_is_an_index_error": ("paged", "test_paged", _edit(
        PAGED, '''            if not self.free_blocks:
                raise RuntimeError(f"out of KV blocks: all {self.k_NSHK.shape[0]} are in use")
''', "")),
    "out_of_blocks_after_counting_the_token": ("paged", "test_paged", _edit(
        PAGED, "        T, table = self.lengths[seq], self.tables[seq]\n        if T ==",
        "        T, table = self.lengths[seq], self.tables[seq]\n        self.lengths[seq] = T + 1\n        if T ==")),
    "one_block_kept_in_reserve": ("paged", "test_paged", _edit(
        PAGED, "if not self.free_blocks:", "if len(self.free_blocks) <= 1:")),
    "every_token_in_the_first_block": ("paged", "test_paged", _edit(
        PAGED, "block, slot = table[T // self.block_size], T % self.block_size", "block, slot = table[0], T % self.block_size")),
    "pools_in_float32": ("paged", "test_paged", _edit(_edit(
        PAGED, "self.k_NSHK = np.zeros((num_blocks, block_size, H, K))", "self.k_NSHK = np.zeros((num_blocks, block_size, H, K), np.float32)"),
        "self.v_NSHK = np.zeros((num_blocks, block_size, H, K))", "self.v_NSHK = np.zeros((num_blocks, block_size, H, K), np.float32)")),
    # ---------------------------------------------------------------- batching
    "static_batch_starts_before_it_is_full": ("batching", "test_batching", _edit(
        BATCHING, "elif not running and (len(arrived) >= max_batch or len(arrived) == len(queue)):", "elif not running:")),
    "static_batch_refills_a_free_slot": ("batching", "test_batching", _edit(_edit(_edit(
        BATCHING, "elif not running and (len(arrived) >= max_batch or len(arrived) == len(queue)):\n            joining = arrived[:max_batch]",
        "elif len(running) < max_batch and (len(arrived) >= max_batch or len(arrived) == len(queue)):\n"
        "            joining = arrived[:max_batch - len(running)]"),
        'if policy == "continuous" or all(left[i] == 0 for i in running):', "if True:"),
        "            if left[i] == 0:\n                continue\n", "")),
    "continuous_waits_for_the_longest": ("batching", "test_batching", _edit(
        BATCHING, 'if policy == "continuous" or all(left[i] == 0 for i in running):', "if all(left[i] == 0 for i in running):")),
    "continuous_overfills_the_batch": ("batching", "test_batching", _edit(
        BATCHING, "joining = arrived[:max_batch - len(running)]", "joining = arrived")),
    "ttft_from_time_zero": ("batching", "test_batching", _edit(
        BATCHING, "ttft[i] = end - requests[i][0]", "ttft[i] = end")),
    "first_token_a_step_early": ("batching", "test_batching", _edit(
        BATCHING, "ttft[i] = end - requests[i][0]", "ttft[i] = now - requests[i][0]")),
    "joins_in_the_step_it_arrives": ("batching", "test_batching", _edit(
        BATCHING, "arrived = [i for i in queue if requests[i][0] <= now]", "arrived = [i for i in queue if requests[i][0] < now + step_time]")),
    "throughput_from_time_zero": ("batching", "test_batching", _edit(
        BATCHING, '"throughput": tokens / (max(completion) - min(r[0] for r in requests))}', '"throughput": tokens / max(completion)}')),
    "last_come_first_served": ("batching", "test_batching", _edit(
        BATCHING, "queue = sorted(range(n), key=lambda i: (requests[i][0], i))", "queue = sorted(range(n), key=lambda i: (-requests[i][0], -i))")),
    "completion_since_arrival": ("batching", "test_batching", _edit(
        BATCHING, "completion[i] = end", "completion[i] = end - requests[i][0]")),
    # ---------------------------------------------------------------- speculative decoding
    "acceptance_uncapped": ("speculative", "test_speculative", _edit(
        SPECULATIVE, "if rng.random() < min(1.0, p_V[x] / q_V[x]):", "if rng.binomial(1, p_V[x] / q_V[x]):")),
    "acceptance_q_over_p": ("speculative", "test_speculative", _edit(
        SPECULATIVE, "if rng.random() < min(1.0, p_V[x] / q_V[x]):", "if rng.random() < min(1.0, q_V[x] / max(p_V[x], 1e-300)):")),
    "acceptance_when_p_beats_q": ("speculative", "test_speculative", _edit(
        SPECULATIVE, "if rng.random() < min(1.0, p_V[x] / q_V[x]):", "if p_V[x] >= q_V[x]:")),
    "resamples_from_p": ("speculative", "test_speculative", _edit(
        SPECULATIVE, "residual_V = np.maximum(p_V - q_V, 0.0)", "residual_V = p_V")),
    "resamples_from_q_minus_p": ("speculative", "test_speculative", _edit(
        SPECULATIVE, "residual_V = np.maximum(p_V - q_V, 0.0)", "residual_V = np.maximum(q_V - p_V, 0.0)")),
    "residual_not_normalised": ("speculative", "test_speculative", _edit(
        SPECULATIVE, "p=residual_V / residual_V.sum()", "p=residual_V")),
    "residual_without_the_draft_token": ("speculative", "test_speculative", _edit(
        SPECULATIVE, "residual_V = np.maximum(p_V - q_V, 0.0)", "residual_V = p_V.copy()\n        residual_V[x] = 0.0")),
    "no_bonus_token": ("speculative", "test_speculative", _edit(
        SPECULATIVE, '''    bonus_V = p_target_GV[len(draft_tokens_G)]
    out.append(int(rng.choice(len(bonus_V), p=bonus_V)))
''', "")),
    "bonus_from_the_last_draft_row": ("speculative", "test_speculative", _edit(
        SPECULATIVE, "bonus_V = p_target_GV[len(draft_tokens_G)]", "bonus_V = p_target_GV[len(draft_tokens_G) - 1]")),
    "goes_on_after_a_rejection": ("speculative", "test_speculative", _edit(
        SPECULATIVE, "        out.append(int(rng.choice(len(p_V), p=residual_V / residual_V.sum())))\n        return out\n",
        "        out.append(int(rng.choice(len(p_V), p=residual_V / residual_V.sum())))\n")),
    "tokens_per_step_without_the_bonus": ("speculative", "test_speculative", _edit(
        SPECULATIVE, "return (1 - alpha ** (gamma + 1)) / (1 - alpha)", "return (1 - alpha ** gamma) / (1 - alpha)")),
    "tokens_per_step_divides_by_zero": ("speculative", "test_speculative", _edit(
        SPECULATIVE, "    if alpha == 1:\n        return float(gamma + 1)\n", "")),
    "tokens_per_step_linear": ("speculative", "test_speculative", _edit(
        SPECULATIVE, "return (1 - alpha ** (gamma + 1)) / (1 - alpha)", "return alpha * gamma + 1")),
    # ---------------------------------------------------------------- quantization
    "int8_one_scale_per_tensor": ("quant", "test_quant", _edit(
        QUANT, "amax = np.abs(w_DF).max(axis=others)", "amax = np.full(w_DF.shape[axis], np.abs(w_DF).max())")),
    "int8_a_scalar_scale": ("quant", "test_quant", _edit(_edit(
        QUANT, "amax = np.abs(w_DF).max(axis=others)", "amax = np.abs(w_DF).max()"),
        "q = np.clip(np.round(w_DF / scale.reshape(shape)), -127, 127).astype(np.int8)",
        "q = np.clip(np.round(w_DF / scale), -127, 127).astype(np.int8)")),
    "int8_scale_over_the_channel_axis": ("quant", "test_quant", _edit(
        QUANT, "others = tuple(a for a in range(w_DF.ndim) if a != axis)", "others = axis")),
    "int8_divides_by_128": ("quant", "test_quant", _edit(QUANT, "scale = np.where(amax > 0, amax / 127, 1.0)", "scale = np.where(amax > 0, amax / 128, 1.0)")),
    "int8_truncates": ("quant", "test_quant", _edit(
        QUANT, "q = np.clip(np.round(w_DF / scale.reshape(shape)), -127, 127).astype(np.int8)",
        "q = np.clip(w_DF / scale.reshape(shape), -127, 127).astype(np.int8)")),
    "int8_asymmetric_range": ("quant", "test_quant", _edit(
        QUANT, "scale = np.where(amax > 0, amax / 127, 1.0)",
        "scale = np.where(amax > 0, (w_DF.max(axis=others) - w_DF.min(axis=others)) / 255, 1.0)")),
    "int8_zero_channel_scale_zero": ("quant", "test_quant", _edit(
        QUANT, "q = np.clip(np.round(w_DF / scale.reshape(shape)), -127, 127).astype(np.int8)",
        "q = np.clip(np.round(np.nan_to_num(w_DF / scale.reshape(shape))), -127, 127).astype(np.int8)\n    scale = amax / 127")),
    "int8_sums_in_int8": ("quant", "test_quant", _edit(
        QUANT, "acc_BF = x_BD.astype(np.int32) @ q_DF.astype(np.int32)", "acc_BF = x_BD @ q_DF")),
    "int8_sums_in_int16": ("quant", "test_quant", _edit(
        QUANT, "acc_BF = x_BD.astype(np.int32) @ q_DF.astype(np.int32)", "acc_BF = x_BD.astype(np.int16) @ q_DF.astype(np.int16)")),
    "int8_sums_in_float32": ("quant", "test_quant", _edit(
        QUANT, "acc_BF = x_BD.astype(np.int32) @ q_DF.astype(np.int32)", "acc_BF = x_BD.astype(np.float32) @ q_DF.astype(np.float32)")),
    "int8_matmul_not_scaled": ("quant", "test_quant", _edit(
        QUANT, "return acc_BF * np.asarray(scale_F, dtype=np.float64)", "return acc_BF.astype(np.float64)")),
    "int8_matmul_scales_the_rows": ("quant", "test_quant", _edit(
        QUANT, "return acc_BF * np.asarray(scale_F, dtype=np.float64)", "return acc_BF * np.asarray(scale_F, dtype=np.float64).mean()")),
    "int4_range_to_8": ("quant", "test_quant", _edit(_edit(
        QUANT, "scale_GF = np.where(amax_GF > 0, amax_GF / 7, 1.0)", "scale_GF = np.where(amax_GF > 0, amax_GF / 8, 1.0)"),
        "np.round(w_GgF / scale_GF[:, None, :]), -7, 7)", "np.round(w_GgF / scale_GF[:, None, :]), -8, 7)")),
    "int4_one_scale_per_column": ("quant", "test_quant", _edit(
        QUANT, "amax_GF = np.abs(w_GgF).max(axis=1)", "amax_GF = np.broadcast_to(np.abs(w_GgF).max(axis=(0, 1)), (D // group, F))")),
    "int4_one_scale_per_group": ("quant", "test_quant", _edit(
        QUANT, "amax_GF = np.abs(w_GgF).max(axis=1)", "amax_GF = np.broadcast_to(np.abs(w_GgF).max(axis=(1, 2))[:, None], (D // group, F))")),
    "int4_groups_of_strided_rows": ("quant", "test_quant", _edit(_edit(
        QUANT, "w_GgF = w_DF.reshape(D // group, group, F)", "w_GgF = w_DF.reshape(group, D // group, F).transpose(1, 0, 2)"),
        "return q_GgF.reshape(D, F), scale_GF", "return q_GgF.transpose(1, 0, 2).reshape(D, F), scale_GF")),
    # ---------------------------------------------------------------- the serving plan
    "plan_weights_not_split": ("plan", "test_plan", _edit(PLAN, "weights = P * s / tp", "weights = P * s")),
    "plan_cache_not_split": ("plan", "test_plan", _edit(PLAN, "per_sequence = L * kv_per_token / tp", "per_sequence = L * kv_per_token")),
    "plan_decimal_gb": ("plan", "test_plan", _edit(PLAN, 'capacity = device["memory_gb"] * 2**30', 'capacity = device["memory_gb"] * 10**9')),
    "plan_batch_not_capped_by_memory": ("plan", "test_plan", _edit(PLAN, "batch = min(int(budget // per_sequence),", "batch = min(")),
    "plan_step_without_the_caches": ("plan", "test_plan", _edit(
        PLAN, "int(np.floor((target * device[\"mem_bw\"] - weights) / per_sequence)))",
        "(10**12 if weights / device[\"mem_bw\"] <= target else 0))")),
    "plan_compute_time_only": ("plan", "test_plan", _edit(
        PLAN, ",\n                        int(np.floor((target * device[\"mem_bw\"] - weights) / per_sequence)))", ")")),
    "plan_most_devices": ("plan", "test_plan", '''
def serving_plan(model, device, slo):
    P, s = model["n_params"], model["bytes_per_param"]
    kv_per_token = 2 * model["n_layers"] * model["n_kv_heads"] * model["head_dim"] * s
    capacity = device["memory_gb"] * 2**30
    target, L = slo["tpot_s"], slo["context_len"]
    degrees = [2**i for i in range(64) if 2**i <= device["max_devices"]]
    for tp in reversed(degrees):
        weights, per_sequence = P * s / tp, L * kv_per_token / tp
        budget = capacity - weights
        if budget >= per_sequence:
            batch = min(int(budget // per_sequence), int(np.floor(target * device["peak_flops"] * tp / (2 * P))),
                        int(np.floor((target * device["mem_bw"] - weights) / per_sequence)))
            if batch >= 1:
                return {"tp": tp, "batch": batch, "kv_budget_gb": budget / 2**30}
    fits = capacity - P * s / degrees[-1] >= L * kv_per_token / degrees[-1]
    return {"reason": "time per token: too slow" if fits else "not enough memory"}
'''),
    "plan_budget_in_bytes": ("plan", "test_plan", _edit(
        PLAN, 'return {"tp": tp, "batch": batch, "kv_budget_gb": budget / 2**30}', 'return {"tp": tp, "batch": batch, "kv_budget_gb": budget}')),
    "plan_tries_one_device_only": ("plan", "test_plan", _edit(PLAN, 'while tp <= device["max_devices"]:', "while tp <= 1:")),
    "plan_tries_every_count": ("plan", "test_plan", _edit(PLAN, "        tp *= 2\n    tp //= 2\n", "        tp += 1\n    tp -= 1\n")),
    "plan_no_reason": ("plan", "test_plan", _edit(_edit(
        PLAN, '''        return {"reason": f"not enough memory''', '''        return {"why": f"not enough memory'''),
        '''    return {"reason": f"time per token''', '''    return {"why": f"time per token''')),
    "plan_reasons_swapped": ("plan", "test_plan", _edit(PLAN, "    if not fits:\n", "    if fits:\n")),
}


ALTERNATIVE = {
    "times_with_numpy_maximum_and_a_bisected_crossover": ("prefill", '''
def prefill_decode_times(params, prompt_len, batch, bytes_per_param, peak_flops, mem_bw, kv_bytes_per_token):
    memory_s = (params * bytes_per_param + batch * prompt_len * kv_bytes_per_token) / mem_bw
    flops_per_token = 2.0 * params
    return (float(np.maximum(flops_per_token * batch * prompt_len / peak_flops, memory_s)),
            float(np.maximum(flops_per_token * batch / peak_flops, memory_s)))


def decode_crossover_batch(params, context_len, bytes_per_param, peak_flops, mem_bw, kv_bytes_per_token):
    def bound(b):
        return 2 * params * b / peak_flops >= (params * bytes_per_param + b * context_len * kv_bytes_per_token) / mem_bw
    if 2 * params / peak_flops <= context_len * kv_bytes_per_token / mem_bw:
        return None
    hi = 1
    while not bound(hi):
        hi *= 2
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if bound(mid) else (mid, hi)
    return hi
'''),
    "paged_cache_with_a_free_set_and_token_loops": ("paged", '''
class PagedKVCache:
    def __init__(self, num_blocks, block_size, H, K):
        self.bs, self.H, self.K = block_size, H, K
        self.k_pool = np.zeros((num_blocks, block_size, H, K))
        self.v_pool = np.zeros((num_blocks, block_size, H, K))
        self.unused = set(range(num_blocks))
        self.seqs = {}

    def add(self, seq):
        self.seqs[seq] = {"blocks": [], "n": 0}

    def append(self, seq, k_HK, v_HK):
        s = self.seqs[seq]
        if s["n"] % self.bs == 0:
            if not self.unused:
                raise RuntimeError("no free block left in the KV cache")
            block = max(self.unused)          # the highest id: any free block will do
            self.unused.remove(block)
            s["blocks"].append(block)
        block = s["blocks"][-1]
        self.k_pool[block, s["n"] % self.bs] = k_HK
        self.v_pool[block, s["n"] % self.bs] = v_HK
        s["n"] += 1

    def free(self, seq):
        self.unused.update(self.seqs.pop(seq)["blocks"])

    def gather(self, seq):
        s = self.seqs[seq]
        k = np.zeros((self.H, s["n"], self.K))
        v = np.zeros((self.H, s["n"], self.K))
        for t in range(s["n"]):
            block, slot = s["blocks"][t // self.bs], t % self.bs
            k[:, t] = self.k_pool[block, slot]
            v[:, t] = self.v_pool[block, slot]
        return k, v

    def block_table(self, seq):
        return [int(b) for b in self.seqs[seq]["blocks"]]
'''),
    "batching_by_events_with_a_running_clock": ("batching", '''
def simulate_batching(requests, max_batch, step_time, policy):
    order = sorted(range(len(requests)), key=lambda i: (requests[i][0], i))
    waiting = list(order)
    batch = []                      # [index, tokens left]
    first, last = {}, {}
    k = 0
    while waiting or batch:
        t = k * step_time
        ready = [i for i in waiting if requests[i][0] <= t]
        if policy == "continuous":
            room = max_batch - len(batch)
        else:
            room = max_batch if not batch and (len(ready) >= max_batch or len(ready) == len(waiting)) else 0
        for i in ready[:room]:
            waiting.remove(i)
            batch.append([i, requests[i][2]])
        if not batch:
            k += 1
            continue
        for entry in batch:
            i, todo = entry
            if todo == 0:
                continue
            if todo == requests[i][2]:
                first[i] = t + step_time
            entry[1] -= 1
            if entry[1] == 0:
                last[i] = t + step_time
        if policy == "continuous":
            batch = [e for e in batch if e[1] > 0]
        elif all(e[1] == 0 for e in batch):
            batch = []
        k += 1
    n = len(requests)
    span = max(last.values()) - min(r[0] for r in requests)
    return {"ttft": [first[i] - requests[i][0] for i in range(n)], "completion": [last[i] for i in range(n)],
            "throughput": sum(r[2] for r in requests) / span}
'''),
    "speculative_by_inverse_cdf_and_a_sum_of_powers": ("speculative", '''
def _draw(rng, probs_V):
    cdf_V = np.cumsum(probs_V) / np.sum(probs_V)
    return int(min(np.searchsorted(cdf_V, rng.random(), side="right"), len(probs_V) - 1))


def speculative_step(p_target_GV, q_draft_GV, draft_tokens_G, rng):
    G = len(draft_tokens_G)
    for i in range(G):
        x = int(draft_tokens_G[i])
        ratio = p_target_GV[i, x] / q_draft_GV[i, x]
        if ratio < 1 and rng.random() >= ratio:
            return [int(t) for t in draft_tokens_G[:i]] + [_draw(rng, np.clip(p_target_GV[i] - q_draft_GV[i], 0, None))]
    return [int(t) for t in draft_tokens_G] + [_draw(rng, p_target_GV[G])]


def expected_tokens_per_step(alpha, gamma):
    return float(sum(alpha ** k for k in range(gamma + 1)))
'''),
    "quantization_with_rint_einsum_and_group_loops": ("quant", '''
def quantize_int8(w_DF, axis):
    w_CX = np.moveaxis(w_DF, axis, 0)
    amax_C = np.abs(w_CX).reshape(w_CX.shape[0], -1).max(axis=1)
    scale_C = amax_C / 127
    scale_C[amax_C == 0] = 1.0
    q_CX = np.rint(w_CX * (1.0 / scale_C)[:, None])
    return np.moveaxis(np.clip(q_CX, -127, 127).astype(np.int8), 0, axis), scale_C


def int8_matmul(x_BD, q_DF, scale_F):
    acc_BF = np.einsum("bd,df->bf", x_BD, q_DF, dtype=np.int32)
    return acc_BF.astype(np.float64) * scale_F


def quantize_int4_groups(w_DF, group):
    D, F = w_DF.shape
    if D % group != 0:
        raise ValueError(f"D = {D} is not a multiple of group = {group}")
    q_DF = np.zeros((D, F), dtype=np.int8)
    scale_GF = np.ones((D // group, F))
    for g in range(D // group):
        rows = w_DF[g * group:(g + 1) * group]
        amax_F = np.abs(rows).max(axis=0)
        scale_GF[g] = np.where(amax_F > 0, amax_F / 7, 1.0)
        q_DF[g * group:(g + 1) * group] = np.clip(np.round(rows / scale_GF[g]), -7, 7)
    return q_DF, scale_GF
'''),
    "plan_by_bisection_over_the_batch": ("plan", '''
def serving_plan(model, device, slo):
    P, s = model["n_params"], model["bytes_per_param"]
    kv = 2 * model["n_layers"] * model["n_kv_heads"] * model["head_dim"] * s * slo["context_len"]
    gib = 2**30
    tp = 1
    last_fits = False
    while tp <= device["max_devices"]:
        budget = device["memory_gb"] * gib - P * s / tp
        last_fits = budget >= kv / tp
        def ok(b):
            step = max(2 * P * b / tp / device["peak_flops"], (P * s / tp + b * kv / tp) / device["mem_bw"])
            return b * kv / tp <= budget and step <= slo["tpot_s"]
        if ok(1):
            lo, hi = 1, 2
            while ok(hi):
                lo, hi = hi, hi * 2
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if ok(mid) else (lo, mid)
            return {"tp": tp, "batch": lo, "kv_budget_gb": budget / gib}
        tp *= 2
    if not last_fits:
        return {"reason": "Out of memory: the weights and a single sequence's cache do not fit"}
    return {"reason": "Time per token target missed even at batch 1 on every device"}
'''),
}
