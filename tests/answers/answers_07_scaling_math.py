"""Wrong and alternative answers for 07_scaling_math, one solution cell each.

Each entry names the solution cell it replaces, the test cell that grades it, and the code a
learner might write. A wrong answer must lose exactly that test cell's points; an alternative
correct answer must keep full marks. The hidden tests swap in correct versions of the functions an
exercise builds on (arithmetic_intensity, adam_bytes_per_param, kv_cache_bytes, ring_bytes,
zero_bytes_per_device, the collectives), so every mistake is graded in its own exercise.

Most wrong answers are one edit of a correct answer (``_edit``), so each entry shows the one
mistake a learner makes, by class: units (bits, a decimal GB of capacity, hours, floats and rounding for byte counts), ties and
boundaries (a tie at the ridge, a state of exactly the device's size), factors (the 2
of a multiply-add, 6·P·T, the ring's (N − 1)/N), what a ZeRO stage shards, keys without values and
heads for KV heads, and for FSDP the mean, the shard, the axis and the device's own data.
"""


def _edit(code: str, old: str, new: str) -> str:
    """``code`` with its one ``old`` replaced by ``new`` (an entry that no longer applies fails loudly)."""
    assert code.count(old) == 1, f"{old!r} is not once in the answer"
    return code.replace(old, new)


ROOFLINE = '''
def arithmetic_intensity(M, K, N, itemsize):
    flops = 2 * M * K * N
    bytes_moved = itemsize * (M * K + K * N + M * N)
    return flops / bytes_moved

def roofline(flops, bytes_moved, peak_flops, bandwidth):
    compute_s, memory_s = flops / peak_flops, bytes_moved / bandwidth
    return max(compute_s, memory_s), "compute" if compute_s >= memory_s else "memory"
'''

DECODE = '''
def compute_bound_batch(K, N, itemsize, peak_flops, bandwidth):
    ridge = peak_flops / bandwidth
    if 2 * K * N <= ridge * itemsize * (K + N):
        return None
    M = max(1, int(np.ceil(ridge * itemsize * K * N / (2 * K * N - ridge * itemsize * (K + N)))))
    for _ in range(2):
        if M > 1 and arithmetic_intensity(M - 1, K, N, itemsize) >= ridge:
            M -= 1
        elif arithmetic_intensity(M, K, N, itemsize) < ridge:
            M += 1
    return M
'''

TRAIN = '''
def train_flops(n_params, n_tokens):
    return 6 * n_params * n_tokens

def mfu(n_params, tokens_per_second, n_devices, peak_flops):
    return train_flops(n_params, tokens_per_second) / (n_devices * peak_flops)

def gpu_days(n_params, n_tokens, peak_flops, mfu):
    seconds = train_flops(n_params, n_tokens) / (peak_flops * mfu)
    return seconds / 86400
'''

ADAM = '''
def adam_bytes_per_param(precision):
    if precision == "fp32":
        return 4 + 4 + 4 + 4
    if precision == "mixed":
        return 2 + 2 + 4 + 4 + 4
    raise ValueError(f"unknown precision {precision!r}")
'''

ZERO = '''
def zero_bytes_per_device(n_params, n_devices, stage, precision):
    if precision not in ("fp32", "mixed") or stage not in (0, 1, 2, 3):
        raise ValueError(f"unknown stage {stage!r} or precision {precision!r}")
    weights = grads = 4 if precision == "fp32" else 2
    optimizer = adam_bytes_per_param(precision) - weights - grads
    per_param = [weights, grads, optimizer]
    sharded = sum(per_param[3 - stage:]) if stage else 0
    whole = sum(per_param) - sharded
    return whole * n_params + sharded * n_params // n_devices
'''

RING = '''
def ring_bytes(op, array_bytes, n_devices):
    N = n_devices
    steps = {"all_reduce": 2 * (N - 1), "all_gather": N - 1, "reduce_scatter": N - 1}
    if op not in steps:
        raise ValueError(f"unknown op {op!r}")
    return steps[op] * array_bytes // N
'''

RING_ALL_REDUCE = '''
def ring_all_reduce(parts):
    shape = parts[0].shape
    chunks_N = reduce_scatter([part.reshape(-1) for part in parts], axis=0)
    return [full.reshape(shape) for full in all_gather(chunks_N, axis=0)]
'''

FSDP = '''
def fsdp_step(shards_N, x_NbD, labels_Nb, lr):
    N = len(shards_N)
    full_N = [{} for _ in range(N)]
    for key, short in SHARD_KEYS.items():
        for i, full in enumerate(all_gather([shards[short] for shards in shards_N], axis=0)):
            full_N[i][key] = full
    grads_N = []
    for params, x_bD, labels_b in zip(full_N, x_NbD, labels_Nb):
        logits_bC, cache = mlp_forward(params, x_bD)
        _, dlogits_bC = softmax_cross_entropy(logits_bC, labels_b)
        grads_N.append(mlp_backward(params, cache, dlogits_bC)[0])
    new_N = [{} for _ in range(N)]
    for key, short in SHARD_KEYS.items():
        summed_N = reduce_scatter([grads[key] for grads in grads_N], axis=0)
        for i in range(N):
            new_N[i][short] = shards_N[i][short] - lr * (summed_N[i] / N)
    return new_N
'''

KV = '''
def kv_cache_bytes(batch, seq_len, n_layers, n_kv_heads, head_dim, itemsize):
    return 2 * batch * seq_len * n_layers * n_kv_heads * head_dim * itemsize

def max_sequences(memory_gb, model, seq_len, itemsize):
    free = round(memory_gb * 2**30) - model["n_params"] * itemsize
    per_sequence = kv_cache_bytes(1, seq_len, model["n_layers"], model["n_kv_heads"], model["head_dim"], itemsize)
    return max(0, free // per_sequence)
'''

PIPELINE = '''
def pipeline_bubble(n_stages, n_microbatches):
    p, m = n_stages, n_microbatches
    return (p - 1) / (m + p - 1)

def gpipe_schedule(n_stages, n_microbatches):
    p, m = n_stages, n_microbatches
    events = [(s + j, s, "F", j) for j in range(m) for s in range(p)]
    first_backward = m + p - 1
    events += [(first_backward + (p - 1 - s) + j, s, "B", j) for j in range(m) for s in range(p)]
    return sorted(events)

def idle_fraction(events, n_stages):
    steps = max(step for step, _, _, _ in events) + 1
    return 1 - len(events) / (n_stages * steps)

def peak_activations(events, n_stages):
    start = {(s, j): step for step, s, kind, j in events if kind == "F"}
    spans = [[] for _ in range(n_stages)]
    for step, s, kind, j in events:
        if kind == "B":
            spans[s].append((start[(s, j)], step))
    last = max(step for step, _, _, _ in events)
    return [max(sum(a <= t <= b for a, b in spans[s]) for t in range(last + 1)) for s in range(n_stages)]
'''

PLAN = '''
PLANS = ("data", "zero2", "fsdp")

def plan_costs(n_params, n_devices, precision):
    wire = n_params * (2 if precision == "mixed" else 4)
    gather, scatter = ring_bytes("all_gather", wire, n_devices), ring_bytes("reduce_scatter", wire, n_devices)
    return {"data": (zero_bytes_per_device(n_params, n_devices, 0, precision), ring_bytes("all_reduce", wire, n_devices)),
            "zero2": (zero_bytes_per_device(n_params, n_devices, 2, precision), scatter + gather),
            "fsdp": (zero_bytes_per_device(n_params, n_devices, 3, precision), 2 * gather + scatter)}

def choose_plan(n_params, n_devices, device_gb, precision):
    costs = plan_costs(n_params, n_devices, precision)
    return next((plan for plan in PLANS if costs[plan][0] <= device_gb * 2**30), None)
'''

CORRECT = {"roofline": ROOFLINE, "decode_batch": DECODE, "train_cost": TRAIN, "adam_bytes": ADAM, "zero": ZERO,
           "ring_bytes": RING, "ring_all_reduce": RING_ALL_REDUCE, "fsdp": FSDP, "kv_cache": KV,
           "pipeline": PIPELINE, "plan": PLAN}

WRONG = {
    # ---------------------------------------------------------------- the roofline: factors and units
    "intensity_one_flop_per_multiply_add": ("roofline", "test_roofline", _edit(
        ROOFLINE, "flops = 2 * M * K * N", "flops = M * K * N")),
    "intensity_bits_for_bytes": ("roofline", "test_roofline", _edit(
        ROOFLINE, "bytes_moved = itemsize * (", "bytes_moved = 8 * itemsize * (")),
    "intensity_per_number_not_per_byte": ("roofline", "test_roofline", _edit(
        ROOFLINE, "bytes_moved = itemsize * (M * K + K * N + M * N)", "bytes_moved = M * K + K * N + M * N")),
    "intensity_result_not_written": ("roofline", "test_roofline", _edit(
        ROOFLINE, "(M * K + K * N + M * N)", "(M * K + K * N)")),
    "roofline_adds_the_two_times": ("roofline", "test_roofline", _edit(
        ROOFLINE, "return max(compute_s, memory_s),", "return compute_s + memory_s,")),
    "roofline_takes_the_faster_bound": ("roofline", "test_roofline", _edit(
        ROOFLINE, "return max(compute_s, memory_s),", "return min(compute_s, memory_s),")),
    "roofline_bound_swapped": ("roofline", "test_roofline", _edit(
        ROOFLINE, '"compute" if compute_s >= memory_s else "memory"', '"memory" if compute_s >= memory_s else "compute"')),
    # ties at the ridge: at least the ridge is compute-bound
    "roofline_tie_is_memory_bound": ("roofline", "test_roofline", _edit(
        ROOFLINE, '"compute" if compute_s >= memory_s', '"compute" if compute_s > memory_s')),
    "roofline_tie_by_intensity_strictly_above_the_ridge": ("roofline", "test_roofline", '''
def arithmetic_intensity(M, K, N, itemsize):
    return 2 * M * K * N / (itemsize * (M * K + K * N + M * N))

def roofline(flops, bytes_moved, peak_flops, bandwidth):
    bound = "compute" if flops / bytes_moved > peak_flops / bandwidth else "memory"
    return max(flops / peak_flops, bytes_moved / bandwidth), bound
'''),
    # ---------------------------------------------------------------- the decode batch
    "decode_batch_loop_past_the_tie": ("decode_batch", "test_decode_batch", '''
def compute_bound_batch(K, N, itemsize, peak_flops, bandwidth):
    ridge = peak_flops / bandwidth
    if 2 * K * N <= ridge * itemsize * (K + N):
        return None
    M = 1
    while arithmetic_intensity(M, K, N, itemsize) <= ridge:
        M += 1
    return M
'''),
    "decode_batch_floor_plus_one": ("decode_batch", "test_decode_batch", _edit(
        DECODE, "M = max(1, int(np.ceil(ridge * itemsize * K * N / (2 * K * N - ridge * itemsize * (K + N)))))\n"
        "    for _ in range(2):\n"
        "        if M > 1 and arithmetic_intensity(M - 1, K, N, itemsize) >= ridge:\n"
        "            M -= 1\n"
        "        elif arithmetic_intensity(M, K, N, itemsize) < ridge:\n"
        "            M += 1\n",
        "M = int(ridge * itemsize * K * N / (2 * K * N - ridge * itemsize * (K + N))) + 1\n")),
    "decode_batch_correction_with_strict_comparisons": ("decode_batch", "test_decode_batch", _edit(_edit(
        DECODE, "arithmetic_intensity(M - 1, K, N, itemsize) >= ridge", "arithmetic_intensity(M - 1, K, N, itemsize) > ridge"),
        "elif arithmetic_intensity(M, K, N, itemsize) < ridge", "elif arithmetic_intensity(M, K, N, itemsize) <= ridge")),
    "decode_batch_the_last_memory_bound_one": ("decode_batch", "test_decode_batch", _edit(
        DECODE, "    return M\n", "    return M - 1 if M > 1 else M\n")),
    "decode_batch_never_none": ("decode_batch", "test_decode_batch", _edit(
        DECODE, "    if 2 * K * N <= ridge * itemsize * (K + N):\n        return None\n", "")),
    "decode_batch_ignores_itemsize": ("decode_batch", "test_decode_batch", DECODE.replace(
        "itemsize", "1").replace("def compute_bound_batch(K, N, 1,", "def compute_bound_batch(K, N, itemsize,")),
    # ---------------------------------------------------------------- training cost: 6·P·T, devices, days
    "train_flops_forward_only": ("train_cost", "test_train_cost", _edit(
        TRAIN, "return 6 * n_params * n_tokens", "return 2 * n_params * n_tokens")),
    "mfu_forgets_the_devices": ("train_cost", "test_train_cost", _edit(
        TRAIN, "/ (n_devices * peak_flops)", "/ peak_flops")),
    "mfu_forward_flops": ("train_cost", "test_train_cost", _edit(
        TRAIN, "return train_flops(n_params, tokens_per_second) /", "return 2 * n_params * tokens_per_second /")),
    "gpu_days_in_hours": ("train_cost", "test_train_cost", _edit(TRAIN, "return seconds / 86400", "return seconds / 3600")),
    # ---------------------------------------------------------------- bytes per parameter
    "adam_mixed_without_master_weights": ("adam_bytes", "test_adam_bytes", _edit(
        ADAM, "return 2 + 2 + 4 + 4 + 4", "return 2 + 2 + 4 + 4")),
    "adam_mixed_master_weights_twice": ("adam_bytes", "test_adam_bytes", _edit(
        ADAM, "return 2 + 2 + 4 + 4 + 4", "return 2 + 2 + 4 + 4 + 4 + 4")),
    "adam_fp32_with_a_master_copy": ("adam_bytes", "test_adam_bytes", _edit(
        ADAM, "return 4 + 4 + 4 + 4", "return 4 + 4 + 4 + 4 + 4")),
    "adam_bits_for_bytes": ("adam_bytes", "test_adam_bytes", _edit(
        ADAM, "return 2 + 2 + 4 + 4 + 4", "return 8 * (2 + 2 + 4 + 4 + 4)")),
    "adam_unknown_precision_is_zero": ("adam_bytes", "test_adam_bytes", _edit(
        ADAM, 'raise ValueError(f"unknown precision {precision!r}")', "return 0")),
    # ---------------------------------------------------------------- ZeRO: what each stage shards
    "zero1_shards_the_gradients_too": ("zero", "test_zero", _edit(
        ZERO, "sharded = sum(per_param[3 - stage:]) if stage else 0",
        "sharded = sum(per_param[max(0, 2 - stage):]) if stage else 0")),
    "zero2_shards_the_weights_too": ("zero", "test_zero", _edit(
        ZERO, "sharded = sum(per_param[3 - stage:]) if stage else 0",
        "sharded = sum(per_param[3 - stage if stage < 2 else 0:]) if stage else 0")),
    "zero_divides_everything_by_n": ("zero", "test_zero", _edit(
        ZERO, "return whole * n_params + sharded * n_params // n_devices",
        "return (whole + sharded) * n_params // n_devices")),
    "zero1_keeps_the_master_weights_whole": ("zero", "test_zero", _edit(
        ZERO, "    whole = sum(per_param) - sharded\n",
        "    if precision == \"mixed\" and stage == 1:\n        sharded -= 4\n    whole = sum(per_param) - sharded\n")),
    "zero_true_division_a_float": ("zero", "test_zero", _edit(
        ZERO, "sharded * n_params // n_devices", "sharded * n_params / n_devices")),
    # ---------------------------------------------------------------- ring factors
    "ring_bytes_the_payload": ("ring_bytes", "test_ring_bytes", _edit(
        RING, "return steps[op] * array_bytes // N", "return array_bytes * (2 if op == 'all_reduce' else 1)")),
    "ring_all_reduce_with_one_pass": ("ring_bytes", "test_ring_bytes", _edit(
        RING, '"all_reduce": 2 * (N - 1)', '"all_reduce": N - 1')),
    "ring_all_gather_with_two_passes": ("ring_bytes", "test_ring_bytes", _edit(
        RING, '"all_gather": N - 1', '"all_gather": 2 * (N - 1)')),
    "ring_n_minus_one_whole_arrays": ("ring_bytes", "test_ring_bytes", _edit(
        RING, "return steps[op] * array_bytes // N", "return steps[op] * array_bytes")),
    "ring_bytes_a_float": ("ring_bytes", "test_ring_bytes", _edit(
        RING, "return steps[op] * array_bytes // N", "return steps[op] / N * array_bytes")),
    "ring_bytes_rounds_up": ("ring_bytes", "test_ring_bytes", _edit(
        RING, "return steps[op] * array_bytes // N", "return -(-steps[op] * array_bytes // N)")),
    "ring_bytes_rounds_to_nearest": ("ring_bytes", "test_ring_bytes", _edit(
        RING, "return steps[op] * array_bytes // N", "return round(steps[op] * array_bytes / N)")),
    "ring_bytes_one_chunk_rounded_down_then_multiplied": ("ring_bytes", "test_ring_bytes", _edit(
        RING, "return steps[op] * array_bytes // N", "return steps[op] * (array_bytes // N)")),
    # ---------------------------------------------------------------- all-reduce from its two halves
    "ring_all_reduce_calls_all_reduce": ("ring_all_reduce", "test_ring_all_reduce", '''
def ring_all_reduce(parts):
    return all_reduce(parts)
'''),
    "ring_all_reduce_gathers_the_parts_not_the_chunks": ("ring_all_reduce", "test_ring_all_reduce", '''
def ring_all_reduce(parts):
    shape = parts[0].shape
    reduce_scatter([part.reshape(-1) for part in parts], axis=0)
    gathered_N = all_gather([part.reshape(-1) for part in parts], axis=0)
    return [g.reshape(len(parts), -1).sum(axis=0).reshape(shape) for g in gathered_N]
'''),
    "ring_all_reduce_one_array_for_every_device": ("ring_all_reduce", "test_ring_all_reduce", _edit(
        RING_ALL_REDUCE, "return [full.reshape(shape) for full in all_gather(chunks_N, axis=0)]",
        "full = all_gather(chunks_N, axis=0)[0].reshape(shape)\n    return [full for _ in parts]")),
    "ring_all_reduce_sums_on_one_device": ("ring_all_reduce", "test_ring_all_reduce", '''
def ring_all_reduce(parts):
    total = parts[0].copy()
    for part in parts[1:]:
        total = total + part
    chunks_N = reduce_scatter([total.reshape(-1) / len(parts) for _ in parts], axis=0)
    return [full.reshape(parts[0].shape) for full in all_gather(chunks_N, axis=0)]
'''),
    # ---------------------------------------------------------------- FSDP
    "fsdp_forgets_the_mean": ("fsdp", "test_fsdp", _edit(FSDP, "lr * (summed_N[i] / N)", "lr * summed_N[i]")),
    "fsdp_updates_the_gathered_full_params": ("fsdp", "test_fsdp", _edit(
        FSDP, '''    new_N = [{} for _ in range(N)]
    for key, short in SHARD_KEYS.items():
        summed_N = reduce_scatter([grads[key] for grads in grads_N], axis=0)
        for i in range(N):
            new_N[i][short] = shards_N[i][short] - lr * (summed_N[i] / N)
    return new_N''', '''    new_N = [{} for _ in range(N)]
    for key, short in SHARD_KEYS.items():
        summed_N = all_gather(reduce_scatter([grads[key] for grads in grads_N], axis=0), axis=0)
        for i in range(N):
            new_N[i][short] = full_N[i][key] - lr * (summed_N[i] / N)
    return new_N''')),
    "fsdp_reduce_scatters_along_the_last_axis": ("fsdp", "test_fsdp", _edit(
        FSDP, "reduce_scatter([grads[key] for grads in grads_N], axis=0)",
        "reduce_scatter([grads[key] for grads in grads_N], axis=-1)")),
    "fsdp_every_device_trains_on_device_0s_batch": ("fsdp", "test_fsdp", _edit(
        FSDP, "zip(full_N, x_NbD, labels_Nb)", "zip(full_N, [x_NbD[0]] * N, [labels_Nb[0]] * N)")),
    "fsdp_all_reduces_then_slices": ("fsdp", "test_fsdp", _edit(
        FSDP, "        summed_N = reduce_scatter([grads[key] for grads in grads_N], axis=0)\n",
        "        summed_N = [np.split(g, N)[i] for i, g in enumerate(all_reduce([grads[key] for grads in grads_N]))]\n")),
    "fsdp_updates_the_shards_in_place": ("fsdp", "test_fsdp", _edit(
        FSDP, "            new_N[i][short] = shards_N[i][short] - lr * (summed_N[i] / N)\n",
        "            shards_N[i][short] -= lr * (summed_N[i] / N)\n            new_N[i][short] = shards_N[i][short]\n")),
    "fsdp_sums_the_gradients_outside_a_collective": ("fsdp", "test_fsdp", _edit(
        FSDP, "        summed_N = reduce_scatter([grads[key] for grads in grads_N], axis=0)\n",
        "        total = sum(grads[key] for grads in grads_N)\n        summed_N = np.split(total, N)\n")),
    # ---------------------------------------------------------------- KV cache and concurrency
    "kv_cache_keys_without_values": ("kv_cache", "test_kv", _edit(
        KV, "return 2 * batch * seq_len", "return batch * seq_len")),
    "kv_cache_bits_for_bytes": ("kv_cache", "test_kv", _edit(
        KV, "return 2 * batch * seq_len", "return 16 * batch * seq_len")),
    "max_sequences_decimal_gb": ("kv_cache", "test_kv", _edit(KV, "round(memory_gb * 2**30)", "round(memory_gb * 10**9)")),
    "max_sequences_gb_of_1024_cubed_thousand": ("kv_cache", "test_kv", _edit(
        KV, "round(memory_gb * 2**30)", "round(memory_gb * 1024 * 1000 * 1000)")),
    "max_sequences_one_sequence_short_at_an_exact_fit": ("kv_cache", "test_kv", _edit(
        KV, "return max(0, free // per_sequence)", "return max(0, (free - 1) // per_sequence)")),
    "max_sequences_floor_of_a_float_division": ("kv_cache", "test_kv", _edit(
        KV, "return max(0, free // per_sequence)", "return max(0, int(free / per_sequence - 1e-9))")),
    "max_sequences_query_heads": ("kv_cache", "test_kv", _edit(KV, 'model["n_kv_heads"]', 'model["n_heads"]')),
    "max_sequences_negative_when_weights_overflow": ("kv_cache", "test_kv", _edit(
        KV, "return max(0, free // per_sequence)", "return free // per_sequence")),
    # ---------------------------------------------------------------- the pipeline
    "bubble_over_m": ("pipeline", "test_pipeline", _edit(PIPELINE, "return (p - 1) / (m + p - 1)", "return (p - 1) / m")),
    "gpipe_backward_before_the_last_forward": ("pipeline", "test_pipeline", _edit(
        PIPELINE, "first_backward = m + p - 1", "first_backward = p")),
    "gpipe_one_step_late": ("pipeline", "test_pipeline", _edit(
        PIPELINE, "first_backward = m + p - 1", "first_backward = m + p")),
    "gpipe_backwards_all_stages_at_once": ("pipeline", "test_pipeline", _edit(
        PIPELINE, "(first_backward + (p - 1 - s) + j, s", "(first_backward + j, s")),
    "idle_fraction_one_step_short": ("pipeline", "test_pipeline", _edit(
        PIPELINE, "steps = max(step for step, _, _, _ in events) + 1", "steps = max(step for step, _, _, _ in events)")),
    "peak_activations_never_frees_them": ("pipeline", "test_pipeline", _edit(
        PIPELINE, "sum(a <= t <= b for a, b in spans[s])", "sum(a <= t for a, b in spans[s])")),
    # ---------------------------------------------------------------- which parallelism
    "plan_fsdp_gathers_once": ("plan", "test_plan", _edit(PLAN, "2 * gather + scatter", "gather + scatter")),
    "plan_zero2_without_the_all_gather": ("plan", "test_plan", _edit(PLAN, "scatter + gather),", "scatter),")),
    "plan_fp32_on_the_wire": ("plan", "test_plan", _edit(PLAN, '(2 if precision == "mixed" else 4)', "4")),
    "choose_plan_least_memory": ("plan", "test_plan", _edit(
        PLAN, "return next((plan for plan in PLANS if costs[plan][0] <= device_gb * 2**30), None)",
        "fits = [plan for plan in PLANS if costs[plan][0] <= device_gb * 2**30]\n"
        "    return min(fits, key=lambda plan: costs[plan][0]) if fits else None")),
    "choose_plan_decimal_gb": ("plan", "test_plan", _edit(PLAN, "device_gb * 2**30", "device_gb * 10**9")),
    "choose_plan_an_exact_fit_does_not_fit": ("plan", "test_plan", _edit(
        PLAN, "costs[plan][0] <= device_gb * 2**30", "costs[plan][0] < device_gb * 2**30")),
    "choose_plan_keeps_a_byte_of_headroom": ("plan", "test_plan", _edit(
        PLAN, "costs[plan][0] <= device_gb * 2**30", "costs[plan][0] + 1 <= device_gb * 2**30")),
    "choose_plan_rounds_the_state_up_to_whole_gib": ("plan", "test_plan", _edit(
        PLAN, "costs[plan][0] <= device_gb * 2**30", "-(-costs[plan][0] // 2**30) <= device_gb")),
}

ALTERNATIVE = {
    "roofline_against_the_ridge": ("roofline", '''
def arithmetic_intensity(M, K, N, itemsize):
    numbers = M * K + K * N + M * N
    return 2.0 * M * K * N / numbers / itemsize

def roofline(flops, bytes_moved, peak_flops, bandwidth):
    if flops / bytes_moved >= peak_flops / bandwidth:
        return flops / peak_flops, "compute"
    return bytes_moved / bandwidth, "memory"
'''),
    "decode_batch_a_plain_loop": ("decode_batch", '''
def compute_bound_batch(K, N, itemsize, peak_flops, bandwidth):
    ridge = peak_flops / bandwidth
    if 2 * K * N / (itemsize * (K + N)) <= ridge:   # the limit as M grows
        return None
    M = 1
    while arithmetic_intensity(M, K, N, itemsize) < ridge:
        M += 1
    return M
'''),
    "roofline_cross_multiplied": ("roofline", '''
def arithmetic_intensity(M, K, N, itemsize):
    return (M * K * N) / (itemsize * (M * K + K * N + M * N)) * 2

def roofline(flops, bytes_moved, peak_flops, bandwidth):
    compute_bound = flops * bandwidth >= bytes_moved * peak_flops
    seconds = flops / peak_flops if compute_bound else bytes_moved / bandwidth
    return seconds, "compute" if compute_bound else "memory"
'''),
    "decode_batch_exact_fractions": ("decode_batch", '''
from fractions import Fraction
from math import ceil

def compute_bound_batch(K, N, itemsize, peak_flops, bandwidth):
    ridge = Fraction(peak_flops) / Fraction(bandwidth)
    gain = 2 * K * N - ridge * itemsize * (K + N)      # intensity >= ridge  <=>  M * gain >= ridge * itemsize * K * N
    if gain <= 0:
        return None
    return max(1, ceil(ridge * itemsize * K * N / gain))
'''),
    "decode_batch_bisection": ("decode_batch", '''
def compute_bound_batch(K, N, itemsize, peak_flops, bandwidth):
    ridge = peak_flops / bandwidth
    hi = 1
    while arithmetic_intensity(hi, K, N, itemsize) < ridge:
        hi *= 2
        if hi > 2**50:
            return None
    lo = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if arithmetic_intensity(mid, K, N, itemsize) >= ridge:
            hi = mid
        else:
            lo = mid
    return hi
'''),
    "train_cost_in_hours_and_per_device": ("train_cost", '''
def train_flops(n_params, n_tokens):
    forward = 2 * n_params * n_tokens
    backward = 2 * forward
    return forward + backward

def mfu(n_params, tokens_per_second, n_devices, peak_flops):
    per_device = tokens_per_second / n_devices
    return 6 * n_params * per_device / peak_flops

def gpu_days(n_params, n_tokens, peak_flops, mfu):
    hours = 6 * n_params * n_tokens / (mfu * peak_flops) / 3600
    return hours / 24
'''),
    "adam_bytes_from_a_table": ("adam_bytes", '''
BYTES = {"fp32": {"weights": 4, "grads": 4, "adam_m": 4, "adam_v": 4},
         "mixed": {"weights": 2, "grads": 2, "master": 4, "adam_m": 4, "adam_v": 4}}

def adam_bytes_per_param(precision):
    if precision not in BYTES:
        raise ValueError(f"no such precision: {precision}")
    return sum(BYTES[precision].values())
'''),
    "zero_stage_by_stage": ("zero", '''
def zero_bytes_per_device(n_params, n_devices, stage, precision):
    if precision == "fp32":
        w, g, o = 4, 4, 8
    elif precision == "mixed":
        w, g, o = 2, 2, 12
    else:
        raise ValueError(precision)
    P, N = n_params, n_devices
    if stage == 0:
        return (w + g + o) * P
    if stage == 1:
        return (w + g) * P + o * P // N
    if stage == 2:
        return w * P + (g + o) * P // N
    if stage == 3:
        return (w + g + o) * P // N
    raise ValueError(f"stage {stage}")
'''),
    "ring_bytes_chunk_by_chunk": ("ring_bytes", '''
def ring_bytes(op, array_bytes, n_devices):
    if op == "all_reduce":
        passes = 2
    elif op in ("all_gather", "reduce_scatter"):
        passes = 1
    else:
        raise ValueError(f"ring_bytes: no op called {op}")
    sent = 0
    for _ in range(passes * (n_devices - 1)):   # one chunk per ring step
        sent += array_bytes
    return sent // n_devices
'''),
    "ring_all_reduce_with_ravel_and_a_copy": ("ring_all_reduce", '''
def ring_all_reduce(parts):
    flat_N = [np.ravel(part) for part in parts]
    mine_N = reduce_scatter(flat_N)
    return [np.reshape(full, parts[0].shape).copy() for full in all_gather(mine_N)]
'''),
    "fsdp_layer_by_layer_mean_before_the_scatter": ("fsdp", '''
def fsdp_step(shards_N, x_NbD, labels_Nb, lr):
    N = len(shards_N)
    w1_NDF = all_gather([s["w1_dF"] for s in shards_N])
    b1_NF = all_gather([s["b1_f"] for s in shards_N])
    h_NbF = [x @ w1 + b1 for x, w1, b1 in zip(x_NbD, w1_NDF, b1_NF)]
    a_NbF = [relu(h) for h in h_NbF]
    w2_NFC = all_gather([s["w2_fC"] for s in shards_N])
    b2_NC = all_gather([s["b2_c"] for s in shards_N])
    dlogits_NbC = [softmax_cross_entropy(a @ w2 + b2, y)[1] for a, w2, b2, y in zip(a_NbF, w2_NFC, b2_NC, labels_Nb)]
    # backward, second layer first; every gradient is scaled by 1/N before its reduce-scatter
    dw2 = reduce_scatter([a.T @ d / N for a, d in zip(a_NbF, dlogits_NbC)])
    db2 = reduce_scatter([d.sum(axis=0) / N for d in dlogits_NbC])
    dh_NbF = [(d @ w2.T) * (h > 0) for d, w2, h in zip(dlogits_NbC, all_gather([s["w2_fC"] for s in shards_N]), h_NbF)]
    dw1 = reduce_scatter([x.T @ dh / N for x, dh in zip(x_NbD, dh_NbF)])
    db1 = reduce_scatter([dh.sum(axis=0) / N for dh in dh_NbF])
    return [{"w1_dF": s["w1_dF"] - lr * dw1[i], "b1_f": s["b1_f"] - lr * db1[i],
             "w2_fC": s["w2_fC"] - lr * dw2[i], "b2_c": s["b2_c"] - lr * db2[i]} for i, s in enumerate(shards_N)]
'''),
    "kv_cache_with_prod_and_float_division": ("kv_cache", '''
import math

def kv_cache_bytes(batch, seq_len, n_layers, n_kv_heads, head_dim, itemsize):
    per_layer = math.prod([batch, n_kv_heads, seq_len, head_dim]) * itemsize
    return 2 * n_layers * per_layer

def max_sequences(memory_gb, model, seq_len, itemsize):
    weights = model["n_params"] * itemsize
    if weights > memory_gb * 1024**3:
        return 0
    one = kv_cache_bytes(1, seq_len, model["n_layers"], model["n_kv_heads"], model["head_dim"], itemsize)
    return int((round(memory_gb * 1024**3) - weights) // one)
'''),
    "pipeline_simulated_step_by_step": ("pipeline", '''
def pipeline_bubble(n_stages, n_microbatches):
    idle_steps = n_stages - 1
    return idle_steps / (n_microbatches + idle_steps)

def gpipe_schedule(n_stages, n_microbatches):
    p, m = n_stages, n_microbatches
    done, events, t = {}, [], 0
    while len(events) < 2 * p * m:
        now = []
        for s in range(p):
            fwd = [j for j in range(m) if ("F", s, j) not in done and (s == 0 or done.get(("F", s - 1, j), t) < t)]
            all_forwards_done = len([k for k in done if k[0] == "F"]) == p * m
            bwd = [j for j in range(m) if ("B", s, j) not in done and all_forwards_done and
                   (done.get(("B", s + 1, j), t) < t if s < p - 1 else done[("F", s, j)] < t)]
            if fwd:
                now.append((t, s, "F", min(fwd)))
            elif bwd:
                now.append((t, s, "B", min(bwd)))
        for step, s, kind, j in now:
            done[(kind, s, j)] = step
        events += now
        t += 1
    return events

def idle_fraction(events, n_stages):
    busy = {(step, stage) for step, stage, _, _ in events}
    steps = 1 + max(step for step, _, _, _ in events)
    return (n_stages * steps - len(busy)) / (n_stages * steps)

def peak_activations(events, n_stages):
    peaks = []
    for s in range(n_stages):
        changes = sorted([(t, 0) for t, st, k, _ in events if st == s and k == "F"] +
                         [(t, 1) for t, st, k, _ in events if st == s and k == "B"])
        held = best = 0
        for _, is_backward in changes:   # a forward adds one; a backward frees one after its step
            if is_backward:
                held -= 1
            else:
                held += 1
                best = max(best, held)
        peaks.append(best)
    return peaks
'''),
    "gpipe_simulated_last_microbatch_back_first": ("pipeline", '''
def pipeline_bubble(n_stages, n_microbatches):
    idle_steps = n_stages - 1
    return idle_steps / (n_microbatches + idle_steps)

def gpipe_schedule(n_stages, n_microbatches):
    p, m = n_stages, n_microbatches
    done, events, t = {}, [], 0
    while len(events) < 2 * p * m:
        now = []
        for s in range(p):
            fwd = [j for j in range(m) if ("F", s, j) not in done and (s == 0 or done.get(("F", s - 1, j), t) < t)]
            all_forwards_done = len([k for k in done if k[0] == "F"]) == p * m
            bwd = [j for j in range(m) if ("B", s, j) not in done and all_forwards_done and
                   (done.get(("B", s + 1, j), t) < t if s < p - 1 else done[("F", s, j)] < t)]
            if fwd:
                now.append((t, s, "F", min(fwd)))
            elif bwd:
                now.append((t, s, "B", max(bwd)))
        for step, s, kind, j in now:
            done[(kind, s, j)] = step
        events += now
        t += 1
    return events

def idle_fraction(events, n_stages):
    busy = {(step, stage) for step, stage, _, _ in events}
    steps = 1 + max(step for step, _, _, _ in events)
    return (n_stages * steps - len(busy)) / (n_stages * steps)

def peak_activations(events, n_stages):
    peaks = []
    for s in range(n_stages):
        changes = sorted([(t, 0) for t, st, k, _ in events if st == s and k == "F"] +
                         [(t, 1) for t, st, k, _ in events if st == s and k == "B"])
        held = best = 0
        for _, is_backward in changes:   # a forward adds one; a backward frees one after its step
            if is_backward:
                held -= 1
            else:
                held += 1
                best = max(best, held)
        peaks.append(best)
    return peaks
'''),
    "gpipe_backwards_in_reverse_microbatch_order": ("pipeline", _edit(
        PIPELINE, "(p - 1 - s) + j, s, \"B\", j)", "(p - 1 - s) + (m - 1 - j), s, \"B\", j)")),
    "plan_inline_formulas_and_a_loop": ("plan", '''
PLANS = ("data", "zero2", "fsdp")

def plan_costs(n_params, n_devices, precision):
    item = {"mixed": 2, "fp32": 4}[precision]
    state = 16 * n_params
    optimizer = state - 2 * item * n_params
    N, wire = n_devices, item * n_params
    return {"data": (state, 2 * (N - 1) * wire // N),
            "zero2": (item * n_params + (item * n_params + optimizer) // N, 2 * ((N - 1) * wire // N)),
            "fsdp": (state // N, 3 * ((N - 1) * wire // N))}

def choose_plan(n_params, n_devices, device_gb, precision):
    costs = plan_costs(n_params, n_devices, precision)
    for plan in PLANS:
        if costs[plan][0] / 1024**3 <= device_gb:
            return plan
    return None
'''),
}
