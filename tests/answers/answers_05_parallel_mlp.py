"""Wrong and alternative answers for 05_parallel_mlp, one solution cell each.

Each entry names the solution cell it replaces, the test cell that grades it, and the code a
learner might write. A wrong answer must lose exactly that test cell's points; an alternative
correct answer must keep full marks. (The hidden tests swap in correct collectives, and for the
data-parallel exercise the given MLP functions, while they run, so every exercise is graded on its
own.)
"""

WRONG = {
    # ---------------------------------------------------------------- all_reduce
    "all_reduce_one_array_for_every_device": ("all_reduce", "test_all_reduce", '''
def all_reduce(parts):
    total = sum(parts)
    return [total] * len(parts)
'''),
    "all_reduce_mean": ("all_reduce", "test_all_reduce", '''
def all_reduce(parts):
    mean = np.mean(np.stack(parts), axis=0)
    return [mean.copy() for _ in parts]
'''),
    "all_reduce_accumulates_into_device_0": ("all_reduce", "test_all_reduce", '''
def all_reduce(parts):
    total = parts[0]
    for part in parts[1:]:
        total += part
    return [total.copy() for _ in parts]
'''),
    # ---------------------------------------------------------------- all_gather
    "all_gather_stacks": ("all_gather", "test_all_gather", '''
def all_gather(parts, axis=0):
    return [np.stack(parts, axis=axis) for _ in parts]
'''),
    "all_gather_ignores_axis": ("all_gather", "test_all_gather", '''
def all_gather(parts, axis=0):
    return [np.concatenate(parts) for _ in parts]
'''),
    "all_gather_one_array_for_every_device": ("all_gather", "test_all_gather", '''
def all_gather(parts, axis=0):
    full = np.concatenate(parts, axis=axis)
    return [full for _ in parts]
'''),
    # ---------------------------------------------------------------- reduce_scatter
    "reduce_scatter_whole_sum_everywhere": ("reduce_scatter", "test_reduce_scatter", '''
def reduce_scatter(parts, axis=0):
    if parts[0].shape[axis] % len(parts):
        raise ValueError(f"size {parts[0].shape[axis]} does not split into {len(parts)}")
    total = sum(parts)
    return [total.copy() for _ in parts]
'''),
    "reduce_scatter_without_the_sum": ("reduce_scatter", "test_reduce_scatter", '''
def reduce_scatter(parts, axis=0):
    n = len(parts)
    if parts[0].shape[axis] % n:
        raise ValueError(f"size {parts[0].shape[axis]} does not split into {n}")
    return [np.split(part, n, axis=axis)[i].copy() for i, part in enumerate(parts)]
'''),
    "reduce_scatter_uneven_chunks_silently": ("reduce_scatter", "test_reduce_scatter", '''
def reduce_scatter(parts, axis=0):
    total = sum(parts)
    return [chunk.copy() for chunk in np.array_split(total, len(parts), axis=axis)]
'''),
    # ---------------------------------------------------------------- row-sharded layer
    "row_sharded_all_reduce_after_the_relu": ("row_sharded", "test_row_sharded", '''
def row_sharded_forward(x_NBd, w1_NdF, b1_F):
    n = len(x_NBd)
    h_NBF = [x_Bd @ w1_dF + b1_F / n for x_Bd, w1_dF in zip(x_NBd, w1_NdF)]
    a_NBF = all_reduce([relu(h_BF) for h_BF in h_NBF])
    return a_NBF, (x_NBd, w1_NdF, h_NBF)

def row_sharded_backward(cache, da_NBF):
    x_NBd, w1_NdF, h_NBF = cache
    dh_NBF = [da_BF * (h_BF > 0) for da_BF, h_BF in zip(da_NBF, h_NBF)]
    return ([dh @ w.T for dh, w in zip(dh_NBF, w1_NdF)], [x.T @ dh for x, dh in zip(x_NBd, dh_NBF)],
            all_reduce([dh.sum(axis=0) for dh in dh_NBF]))
'''),
    "row_sharded_bias_added_on_every_device": ("row_sharded", "test_row_sharded", '''
def row_sharded_forward(x_NBd, w1_NdF, b1_F):
    h_NBF = all_reduce([x_Bd @ w1_dF + b1_F for x_Bd, w1_dF in zip(x_NBd, w1_NdF)])
    return [relu(h) for h in h_NBF], (x_NBd, w1_NdF, h_NBF)

def row_sharded_backward(cache, da_NBF):
    x_NBd, w1_NdF, h_NBF = cache
    dh_NBF = [da_BF * (h_BF > 0) for da_BF, h_BF in zip(da_NBF, h_NBF)]
    return ([dh @ w.T for dh, w in zip(dh_NBF, w1_NdF)], [x.T @ dh for x, dh in zip(x_NBd, dh_NBF)],
            [dh.sum(axis=0) for dh in dh_NBF])
'''),
    "row_sharded_mask_from_the_local_partial": ("row_sharded", "test_row_sharded", '''
def row_sharded_forward(x_NBd, w1_NdF, b1_F):
    partial_NBF = [x_Bd @ w1_dF for x_Bd, w1_dF in zip(x_NBd, w1_NdF)]
    a_NBF = [relu(h + b1_F) for h in all_reduce(partial_NBF)]
    return a_NBF, (x_NBd, w1_NdF, partial_NBF)

def row_sharded_backward(cache, da_NBF):
    x_NBd, w1_NdF, partial_NBF = cache
    dh_NBF = [da_BF * (p_BF > 0) for da_BF, p_BF in zip(da_NBF, partial_NBF)]
    return ([dh @ w.T for dh, w in zip(dh_NBF, w1_NdF)], [x.T @ dh for x, dh in zip(x_NBd, dh_NBF)],
            [dh.sum(axis=0) for dh in dh_NBF])
'''),
    "row_sharded_dw_transposed": ("row_sharded", "test_row_sharded", '''
def row_sharded_forward(x_NBd, w1_NdF, b1_F):
    h_NBF = [h + b1_F for h in all_reduce([x @ w for x, w in zip(x_NBd, w1_NdF)])]
    return [relu(h) for h in h_NBF], (x_NBd, w1_NdF, h_NBF)

def row_sharded_backward(cache, da_NBF):
    x_NBd, w1_NdF, h_NBF = cache
    dh_NBF = [da_BF * (h_BF > 0) for da_BF, h_BF in zip(da_NBF, h_NBF)]
    return ([dh @ w.T for dh, w in zip(dh_NBF, w1_NdF)], [dh.T @ x for x, dh in zip(x_NBd, dh_NBF)],
            [dh.sum(axis=0) for dh in dh_NBF])
'''),
    # ---------------------------------------------------------------- tensor parallel MLP
    "tp_second_bias_added_on_every_device": ("tp_mlp", "test_tp_mlp", '''
def tp_mlp_forward(params_N, x_NBD):
    h_NBf = [x @ p["w1_Df"] + p["b1_f"] for p, x in zip(params_N, x_NBD)]
    a_NBf = [relu(h) for h in h_NBf]
    logits_NBC = all_reduce([a @ p["w2_fC"] + p["b2_C"] for p, a in zip(params_N, a_NBf)])
    return logits_NBC, (params_N, x_NBD, h_NBf, a_NBf)

def tp_mlp_backward(cache, dlogits_NBC):
    params_N, x_NBD, h_NBf, a_NBf = cache
    grads_N, dx_parts = [], []
    for p, x, h, a, dl in zip(params_N, x_NBD, h_NBf, a_NBf, dlogits_NBC):
        dh = (dl @ p["w2_fC"].T) * (h > 0)
        grads_N.append({"w1_Df": x.T @ dh, "b1_f": dh.sum(0), "w2_fC": a.T @ dl, "b2_C": dl.sum(0)})
        dx_parts.append(dh @ p["w1_Df"].T)
    return all_reduce(dx_parts), grads_N
'''),
    "tp_dx_not_all_reduced": ("tp_mlp", "test_tp_mlp", '''
def tp_mlp_forward(params_N, x_NBD):
    h_NBf = [x @ p["w1_Df"] + p["b1_f"] for p, x in zip(params_N, x_NBD)]
    a_NBf = [relu(h) for h in h_NBf]
    z_NBC = all_reduce([a @ p["w2_fC"] for p, a in zip(params_N, a_NBf)])
    return [z + p["b2_C"] for p, z in zip(params_N, z_NBC)], (params_N, x_NBD, h_NBf, a_NBf)

def tp_mlp_backward(cache, dlogits_NBC):
    params_N, x_NBD, h_NBf, a_NBf = cache
    grads_N, dx_NBD = [], []
    for p, x, h, a, dl in zip(params_N, x_NBD, h_NBf, a_NBf, dlogits_NBC):
        dh = (dl @ p["w2_fC"].T) * (h > 0)
        grads_N.append({"w1_Df": x.T @ dh, "b1_f": dh.sum(0), "w2_fC": a.T @ dl, "b2_C": dl.sum(0)})
        dx_NBD.append(dh @ p["w1_Df"].T)
    return dx_NBD, grads_N
'''),
    "tp_db2_split_across_devices": ("tp_mlp", "test_tp_mlp", '''
def tp_mlp_forward(params_N, x_NBD):
    h_NBf = [x @ p["w1_Df"] + p["b1_f"] for p, x in zip(params_N, x_NBD)]
    a_NBf = [relu(h) for h in h_NBf]
    z_NBC = all_reduce([a @ p["w2_fC"] for p, a in zip(params_N, a_NBf)])
    return [z + p["b2_C"] for p, z in zip(params_N, z_NBC)], (params_N, x_NBD, h_NBf, a_NBf)

def tp_mlp_backward(cache, dlogits_NBC):
    params_N, x_NBD, h_NBf, a_NBf = cache
    n = len(params_N)
    grads_N, dx_parts = [], []
    for p, x, h, a, dl in zip(params_N, x_NBD, h_NBf, a_NBf, dlogits_NBC):
        dh = (dl @ p["w2_fC"].T) * (h > 0)
        grads_N.append({"w1_Df": x.T @ dh, "b1_f": dh.sum(0), "w2_fC": a.T @ dl, "b2_C": dl.sum(0) / n})
        dx_parts.append(dh @ p["w1_Df"].T)
    return all_reduce(dx_parts), grads_N
'''),
    # ---------------------------------------------------------------- data parallel
    "dp_summed_not_averaged": ("dp_mlp", "test_dp_mlp", '''
def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    x_NbD, labels_Nb = shard(x_BD, n_devices, axis=0), shard(labels_B, n_devices, axis=0)
    losses, grads_N = [], []
    for x_bD, labels_b in zip(x_NbD, labels_Nb):
        logits_bC, cache = mlp_forward(params, x_bD)
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_b)
        losses.append(loss)
        grads_N.append(mlp_backward(params, cache, dlogits_bC)[0])
    summed = {k: all_reduce([g[k] for g in grads_N]) for k in params}
    return float(np.mean(losses)), [{k: summed[k][i] for k in params} for i in range(n_devices)]
'''),
    "dp_uneven_batch_split_silently": ("dp_mlp", "test_dp_mlp", '''
def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    x_NbD, labels_Nb = np.array_split(x_BD, n_devices), np.array_split(labels_B, n_devices)
    losses, grads_N = [], []
    for x_bD, labels_b in zip(x_NbD, labels_Nb):
        logits_bC, cache = mlp_forward(params, x_bD)
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_b)
        losses.append(loss)
        grads_N.append(mlp_backward(params, cache, dlogits_bC)[0])
    summed = {k: all_reduce([g[k] for g in grads_N]) for k in params}
    return float(np.mean(losses)), [{k: summed[k][i] / n_devices for k in params} for i in range(n_devices)]
'''),
    "dp_every_replica_on_the_full_batch": ("dp_mlp", "test_dp_mlp", '''
def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    if len(x_BD) % n_devices:
        raise ValueError(f"batch of {len(x_BD)} does not split over {n_devices} replicas")
    logits_BC, cache = mlp_forward(params, x_BD)
    loss, dlogits_BC = softmax_cross_entropy(logits_BC, labels_B)
    grads = mlp_backward(params, cache, dlogits_BC)[0]
    summed = {k: all_reduce([grads[k] / n_devices for _ in range(n_devices)]) for k in params}
    return float(loss), [{k: summed[k][i] for k in params} for i in range(n_devices)]
'''),
    # ---------------------------------------------------------------- comm_bytes: what is all-reduced
    "comm_tp_forward_only": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    if scheme not in ("tp", "dp"):
        raise ValueError(f"unknown scheme {scheme}")
    N = n_devices
    elements = B * C if scheme == "tp" else D * F + F + F * C + C
    return 2 * (N - 1) * elements * itemsize // N
'''),
    "comm_dp_without_biases": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    if scheme not in ("tp", "dp"):
        raise ValueError(f"unknown scheme {scheme}")
    N = n_devices
    elements = B * C + B * D if scheme == "tp" else D * F + F * C
    return 2 * (N - 1) * elements * itemsize // N
'''),
    "comm_elements_not_bytes": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    if scheme not in ("tp", "dp"):
        raise ValueError(f"unknown scheme {scheme}")
    N = n_devices
    elements = B * C + B * D if scheme == "tp" else D * F + F + F * C + C
    return 2 * (N - 1) * elements // N
'''),
    "comm_tp_and_dp_swapped": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    if scheme not in ("tp", "dp"):
        raise ValueError(f"unknown scheme {scheme}")
    N = n_devices
    elements = D * F + F + F * C + C if scheme == "tp" else B * C + B * D
    return 2 * (N - 1) * elements * itemsize // N
'''),
    "comm_default_itemsize_2": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=2):
    if scheme not in ("tp", "dp"):
        raise ValueError(f"unknown scheme {scheme}")
    N = n_devices
    elements = B * C + B * D if scheme == "tp" else D * F + F + F * C + C
    return 2 * (N - 1) * elements * itemsize // N
'''),
    "comm_default_itemsize_8": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=8):
    if scheme not in ("tp", "dp"):
        raise ValueError(f"unknown scheme {scheme}")
    N = n_devices
    elements = B * C + B * D if scheme == "tp" else D * F + F + F * C + C
    return 2 * (N - 1) * elements * itemsize // N
'''),
    # ---------------------------------------------------------------- comm_bytes: the ring's factor
    "comm_raw_payload": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    if scheme not in ("tp", "dp"):
        raise ValueError(f"unknown scheme {scheme}")
    if n_devices == 1:
        return 0
    return (B * C + B * D) * itemsize if scheme == "tp" else (D * F + F + F * C + C) * itemsize
'''),
    "comm_ring_factor_without_the_2": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    if scheme not in ("tp", "dp"):
        raise ValueError(f"unknown scheme {scheme}")
    S = ((B * C + B * D) if scheme == "tp" else (D * F + F + F * C + C)) * itemsize
    return (n_devices - 1) * S // n_devices
'''),
    "comm_ring_factor_n_not_n_minus_1": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    if scheme not in ("tp", "dp"):
        raise ValueError(f"unknown scheme {scheme}")
    if n_devices == 1:
        return 0
    S = ((B * C + B * D) if scheme == "tp" else (D * F + F + F * C + C)) * itemsize
    return 2 * n_devices * S // n_devices
'''),
    "comm_ring_factor_without_the_division": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    if scheme not in ("tp", "dp"):
        raise ValueError(f"unknown scheme {scheme}")
    S = ((B * C + B * D) if scheme == "tp" else (D * F + F + F * C + C)) * itemsize
    return 2 * (n_devices - 1) * S
'''),
    "comm_float_bytes": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    if scheme not in ("tp", "dp"):
        raise ValueError(f"unknown scheme {scheme}")
    S = ((B * C + B * D) if scheme == "tp" else (D * F + F + F * C + C)) * itemsize
    return 2 * (n_devices - 1) / n_devices * S
'''),
    "comm_one_device_still_sends": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    if scheme not in ("tp", "dp"):
        raise ValueError(f"unknown scheme {scheme}")
    S = ((B * C + B * D) if scheme == "tp" else (D * F + F + F * C + C)) * itemsize
    return 2 * max(n_devices - 1, 1) * S // n_devices
'''),
    # ---------------------------------------------------------------- comm_bytes: error paths
    "comm_unknown_scheme_on_one_device_is_0": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    if n_devices == 1:
        return 0
    if scheme == "tp":
        S = (B * C + B * D) * itemsize
    elif scheme == "dp":
        S = (D * F + F + F * C + C) * itemsize
    else:
        raise ValueError(f"unknown scheme {scheme}")
    return 2 * (n_devices - 1) * S // n_devices
'''),
    "comm_unknown_scheme_is_dp": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    if scheme == "tp":
        S = (B * C + B * D) * itemsize
    else:
        S = (D * F + F + F * C + C) * itemsize
    return 2 * (n_devices - 1) * S // n_devices
'''),
    "comm_unknown_scheme_error_without_its_name": ("comm_bytes", "test_comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    sizes = {"tp": B * C + B * D, "dp": D * F + F + F * C + C}
    if scheme not in sizes:
        raise ValueError("scheme must be tp or dp")
    return 2 * (n_devices - 1) * sizes[scheme] * itemsize // n_devices
'''),
    # ---------------------------------------------------------------- devices that share memory
    "all_reduce_one_device_gets_its_input": ("all_reduce", "test_all_reduce", '''
def all_reduce(parts):
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return [total] + [total.copy() for _ in parts[1:]]
'''),
    "all_gather_one_device_shortcut": ("all_gather", "test_all_gather", '''
def all_gather(parts, axis=0):
    if len(parts) == 1:
        return [parts[0]]
    return [np.concatenate(parts, axis=axis) for _ in parts]
'''),
    "all_gather_one_device_view": ("all_gather", "test_all_gather", '''
def all_gather(parts, axis=0):
    full = parts[0][...] if len(parts) == 1 else np.concatenate(parts, axis=axis)
    return [full] + [full.copy() for _ in parts[1:]]
'''),
    "reduce_scatter_one_device_shortcut": ("reduce_scatter", "test_reduce_scatter", '''
def reduce_scatter(parts, axis=0):
    n = len(parts)
    if n == 1:
        return list(parts)
    if parts[0].shape[axis] % n:
        raise ValueError(f"axis size {parts[0].shape[axis]} does not split into {n} chunks")
    return [c.copy() for c in np.split(sum(parts), n, axis=axis)]
'''),
    "reduce_scatter_sum_starts_from_the_input": ("reduce_scatter", "test_reduce_scatter", '''
def reduce_scatter(parts, axis=0):
    n = len(parts)
    if parts[0].shape[axis] % n:
        raise ValueError(f"axis size {parts[0].shape[axis]} does not split into {n} chunks")
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return np.split(total, n, axis=axis)
'''),
    "dp_one_dict_for_every_replica": ("dp_mlp", "test_dp_mlp", '''
def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    x_NbD, labels_Nb = shard(x_BD, n_devices, axis=0), shard(labels_B, n_devices, axis=0)
    losses, local = [], []
    for x_bD, labels_b in zip(x_NbD, labels_Nb):
        logits_bC, cache = mlp_forward(params, x_bD)
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_b)
        losses.append(loss)
        local.append(mlp_backward(params, cache, dlogits_bC)[0])
    mean = {k: all_reduce([g[k] for g in local])[0] / n_devices for k in params}
    return float(np.mean(losses)), [mean] * n_devices
'''),
    "dp_fresh_dicts_of_the_same_arrays": ("dp_mlp", "test_dp_mlp", '''
def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    x_NbD, labels_Nb = shard(x_BD, n_devices, axis=0), shard(labels_B, n_devices, axis=0)
    losses, local = [], []
    for x_bD, labels_b in zip(x_NbD, labels_Nb):
        logits_bC, cache = mlp_forward(params, x_bD)
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_b)
        losses.append(loss)
        local.append(mlp_backward(params, cache, dlogits_bC)[0])
    mean = {k: all_reduce([g[k] for g in local])[0] / n_devices for k in params}
    return float(np.mean(losses)), [dict(mean) for _ in range(n_devices)]
'''),
    "dp_replicas_get_views_of_one_buffer": ("dp_mlp", "test_dp_mlp", '''
def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    x_NbD, labels_Nb = shard(x_BD, n_devices, axis=0), shard(labels_B, n_devices, axis=0)
    losses, local = [], []
    for x_bD, labels_b in zip(x_NbD, labels_Nb):
        logits_bC, cache = mlp_forward(params, x_bD)
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_b)
        losses.append(loss)
        local.append(mlp_backward(params, cache, dlogits_bC)[0])
    summed = {k: all_reduce([g[k] for g in local]) for k in params}
    mean = {k: summed[k][0] / n_devices for k in params}
    return float(np.mean(losses)), [{k: mean[k].reshape(params[k].shape) for k in params} for _ in range(n_devices)]
'''),
    # ---------------------------------------------------------------- devices that are not isolated
    "tp_every_device_runs_the_unsharded_mlp": ("tp_mlp", "test_tp_mlp", '''
def tp_mlp_forward(params_N, x_NBD):
    n = len(params_N)
    w1_DF = np.concatenate([p["w1_Df"] for p in params_N], axis=1)
    b1_F = np.concatenate([p["b1_f"] for p in params_N])
    w2_FC = np.concatenate([p["w2_fC"] for p in params_N], axis=0)
    h_BF = x_NBD[0] @ w1_DF + b1_F
    logits_BC = relu(h_BF) @ w2_FC
    z_NBC = all_reduce([logits_BC / n for _ in range(n)])
    return [z + p["b2_C"] for p, z in zip(params_N, z_NBC)], (params_N, x_NBD)

def tp_mlp_backward(cache, dlogits_NBC):
    params_N, x_NBD = cache
    n, f = len(params_N), params_N[0]["w1_Df"].shape[1]
    w1_DF = np.concatenate([p["w1_Df"] for p in params_N], axis=1)
    b1_F = np.concatenate([p["b1_f"] for p in params_N])
    w2_FC = np.concatenate([p["w2_fC"] for p in params_N], axis=0)
    x_BD, dl = x_NBD[0], dlogits_NBC[0]
    h_BF = x_BD @ w1_DF + b1_F
    dh_BF = (dl @ w2_FC.T) * (h_BF > 0)
    dw1, db1, dw2 = x_BD.T @ dh_BF, dh_BF.sum(0), relu(h_BF).T @ dl
    grads_N = [{"w1_Df": dw1[:, i * f:(i + 1) * f].copy(), "b1_f": db1[i * f:(i + 1) * f].copy(),
                "w2_fC": dw2[i * f:(i + 1) * f].copy(), "b2_C": dlogits_NBC[i].sum(0)} for i in range(n)]
    return all_reduce([dh_BF @ w1_DF.T / n for _ in range(n)]), grads_N
'''),
    "tp_backward_gathers_the_hidden_gradient": ("tp_mlp", "test_tp_mlp", '''
def tp_mlp_forward(params_N, x_NBD):
    h_NBf = [x @ p["w1_Df"] + p["b1_f"] for p, x in zip(params_N, x_NBD)]
    a_NBf = [relu(h) for h in h_NBf]
    z_NBC = all_reduce([a @ p["w2_fC"] for p, a in zip(params_N, a_NBf)])
    return [z + p["b2_C"] for p, z in zip(params_N, z_NBC)], (params_N, x_NBD, h_NBf, a_NBf)

def tp_mlp_backward(cache, dlogits_NBC):
    params_N, x_NBD, h_NBf, a_NBf = cache
    n = len(params_N)
    grads_N, dh_NBf = [], []
    for p, x, h, a, dl in zip(params_N, x_NBD, h_NBf, a_NBf, dlogits_NBC):
        dh = (dl @ p["w2_fC"].T) * (h > 0)
        dh_NBf.append(dh)
        grads_N.append({"w1_Df": x.T @ dh, "b1_f": dh.sum(0), "w2_fC": a.T @ dl, "b2_C": dl.sum(0)})
    dh_BF = np.hstack(dh_NBf)
    w1_DF = np.hstack([p["w1_Df"] for p in params_N])
    return all_reduce([dh_BF @ w1_DF.T / n for _ in range(n)]), grads_N
'''),
    "tp_every_device_hands_in_device_0s_partial": ("tp_mlp", "test_tp_mlp", '''
def tp_mlp_forward(params_N, x_NBD):
    h_NBf = [x @ p["w1_Df"] + p["b1_f"] for p, x in zip(params_N, x_NBD)]
    a_NBf = [relu(h) for h in h_NBf]
    partial_NBC = [a @ p["w2_fC"] for p, a in zip(params_N, a_NBf)]
    total = partial_NBC[0]
    for part in partial_NBC[1:]:
        total = total + part
    n = len(params_N)
    z_NBC = all_reduce([total / n for _ in range(n)])
    return [z + p["b2_C"] for p, z in zip(params_N, z_NBC)], (params_N, x_NBD, h_NBf, a_NBf)

def tp_mlp_backward(cache, dlogits_NBC):
    params_N, x_NBD, h_NBf, a_NBf = cache
    grads_N, dx_parts = [], []
    for p, x, h, a, dl in zip(params_N, x_NBD, h_NBf, a_NBf, dlogits_NBC):
        dh = (dl @ p["w2_fC"].T) * (h > 0)
        grads_N.append({"w1_Df": x.T @ dh, "b1_f": dh.sum(0), "w2_fC": a.T @ dl, "b2_C": dl.sum(0)})
        dx_parts.append(dh @ p["w1_Df"].T)
    return all_reduce(dx_parts), grads_N
'''),
    "row_sharded_every_device_runs_the_unsharded_layer": ("row_sharded", "test_row_sharded", '''
def row_sharded_forward(x_NBd, w1_NdF, b1_F):
    n = len(x_NBd)
    x_BD, w1_DF = np.concatenate(x_NBd, axis=1), np.concatenate(w1_NdF, axis=0)
    h_NBF = [h + b1_F for h in all_reduce([x_BD @ w1_DF / n for _ in range(n)])]
    return [relu(h) for h in h_NBF], (x_NBd, w1_NdF, h_NBF)

def row_sharded_backward(cache, da_NBF):
    x_NBd, w1_NdF, h_NBF = cache
    dh_NBF = [da_BF * (h_BF > 0) for da_BF, h_BF in zip(da_NBF, h_NBF)]
    return ([dh @ w.T for dh, w in zip(dh_NBF, w1_NdF)], [x.T @ dh for x, dh in zip(x_NBd, dh_NBF)],
            [dh.sum(axis=0) for dh in dh_NBF])
'''),
    "row_sharded_device_i_hands_in_the_neighbours_partial": ("row_sharded", "test_row_sharded", '''
def row_sharded_forward(x_NBd, w1_NdF, b1_F):
    n = len(x_NBd)
    partial_NBF = [x_NBd[(i + 1) % n] @ w1_NdF[(i + 1) % n] for i in range(n)]
    h_NBF = [h + b1_F for h in all_reduce(partial_NBF)]
    return [relu(h) for h in h_NBF], (x_NBd, w1_NdF, h_NBF)

def row_sharded_backward(cache, da_NBF):
    x_NBd, w1_NdF, h_NBF = cache
    dh_NBF = [da_BF * (h_BF > 0) for da_BF, h_BF in zip(da_NBF, h_NBF)]
    return ([dh @ w.T for dh, w in zip(dh_NBF, w1_NdF)], [x.T @ dh for x, dh in zip(x_NBd, dh_NBF)],
            [dh.sum(axis=0) for dh in dh_NBF])
'''),
    "row_sharded_backward_reads_device_0s_gradient": ("row_sharded", "test_row_sharded", '''
def row_sharded_forward(x_NBd, w1_NdF, b1_F):
    h_NBF = [h + b1_F for h in all_reduce([x @ w for x, w in zip(x_NBd, w1_NdF)])]
    return [relu(h) for h in h_NBF], (x_NBd, w1_NdF, h_NBF)

def row_sharded_backward(cache, da_NBF):
    x_NBd, w1_NdF, h_NBF = cache
    dh_BF = da_NBF[0] * (h_NBF[0] > 0)      # "the same on every device"
    return ([dh_BF @ w.T for w in w1_NdF], [x.T @ dh_BF for x in x_NBd], [dh_BF.sum(axis=0) for _ in x_NBd])
'''),
    "dp_full_batch_gradient_and_all_reduced_zeros": ("dp_mlp", "test_dp_mlp", '''
def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    x_NbD, labels_Nb = shard(x_BD, n_devices, axis=0), shard(labels_B, n_devices, axis=0)
    losses, local = [], []
    for x_bD, labels_b in zip(x_NbD, labels_Nb):
        logits_bC, cache = mlp_forward(params, x_bD)
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_b)
        losses.append(loss)
        local.append(mlp_backward(params, cache, dlogits_bC)[0])
    full = {k: sum(g[k] for g in local) / n_devices for k in params}     # combined on the host
    zeros = {k: all_reduce([np.zeros_like(params[k]) for _ in range(n_devices)]) for k in params}
    return float(np.mean(losses)), [{k: full[k] + zeros[k][i] for k in params} for i in range(n_devices)]
'''),
    "dp_every_replica_hands_in_the_full_mean": ("dp_mlp", "test_dp_mlp", '''
def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    x_NbD, labels_Nb = shard(x_BD, n_devices, axis=0), shard(labels_B, n_devices, axis=0)
    losses, local = [], []
    for x_bD, labels_b in zip(x_NbD, labels_Nb):
        logits_bC, cache = mlp_forward(params, x_bD)
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_b)
        losses.append(loss)
        local.append(mlp_backward(params, cache, dlogits_bC)[0])
    mean = {k: np.mean([g[k] for g in local], axis=0) for k in params}
    summed = {k: all_reduce([mean[k] / n_devices for _ in range(n_devices)]) for k in params}
    return float(np.mean(losses)), [{k: summed[k][i] for k in params} for i in range(n_devices)]
'''),
    "dp_flat_bucket_of_the_host_mean": ("dp_mlp", "test_dp_mlp", '''
def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    b = len(x_BD) // n_devices
    if b * n_devices != len(x_BD):
        raise ValueError(f"B={len(x_BD)} is not a multiple of n_devices={n_devices}")
    keys = list(params)
    losses, flats = [], []
    for i in range(n_devices):
        logits_bC, cache = mlp_forward(params, x_BD[i * b:(i + 1) * b])
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_B[i * b:(i + 1) * b])
        losses.append(loss)
        grads = mlp_backward(params, cache, dlogits_bC)[0]
        flats.append(np.concatenate([grads[k].ravel() for k in keys]))
    mean = np.mean(flats, axis=0)
    out = []
    for flat in all_reduce([mean / n_devices] * n_devices):
        start, grads = 0, {}
        for k in keys:
            grads[k] = flat[start:start + params[k].size].reshape(params[k].shape)
            start += params[k].size
        out.append(grads)
    return float(np.mean(losses)), out
'''),
    # ---------------------------------------------------------------- float32 and strided inputs
    "row_sharded_wire_format_assumes_float64": ("row_sharded", "test_row_sharded", '''
def _wire(a):   # what goes over the wire: the raw bytes
    return np.frombuffer(a.tobytes(), dtype=np.float64).reshape(a.shape)

def row_sharded_forward(x_NBd, w1_NdF, b1_F):
    h_NBF = [_wire(h) + b1_F for h in all_reduce([_wire(x @ w) for x, w in zip(x_NBd, w1_NdF)])]
    return [relu(h) for h in h_NBF], (x_NBd, w1_NdF, h_NBF)

def row_sharded_backward(cache, da_NBF):
    x_NBd, w1_NdF, h_NBF = cache
    dh_NBF = [da_BF * (h_BF > 0) for da_BF, h_BF in zip(da_NBF, h_NBF)]
    return ([dh @ w.T for dh, w in zip(dh_NBF, w1_NdF)], [x.T @ dh for x, dh in zip(x_NBd, dh_NBF)],
            [dh.sum(axis=0) for dh in dh_NBF])
'''),
    "tp_weights_read_through_their_buffer": ("tp_mlp", "test_tp_mlp", '''
def _local(a):   # a zero-copy view of this device's buffer
    return np.frombuffer(a, dtype=a.dtype).reshape(a.shape)

def tp_mlp_forward(params_N, x_NBD):
    h_NBf = [x @ _local(p["w1_Df"]) + p["b1_f"] for p, x in zip(params_N, x_NBD)]
    a_NBf = [relu(h) for h in h_NBf]
    z_NBC = all_reduce([a @ _local(p["w2_fC"]) for p, a in zip(params_N, a_NBf)])
    return [z + p["b2_C"] for p, z in zip(params_N, z_NBC)], (params_N, x_NBD, h_NBf, a_NBf)

def tp_mlp_backward(cache, dlogits_NBC):
    params_N, x_NBD, h_NBf, a_NBf = cache
    grads_N, dx_parts = [], []
    for p, x, h, a, dl in zip(params_N, x_NBD, h_NBf, a_NBf, dlogits_NBC):
        dh = (dl @ p["w2_fC"].T) * (h > 0)
        grads_N.append({"w1_Df": x.T @ dh, "b1_f": dh.sum(0), "w2_fC": a.T @ dl, "b2_C": dl.sum(0)})
        dx_parts.append(dh @ p["w1_Df"].T)
    return all_reduce(dx_parts), grads_N
'''),
    "dp_as_strided_split_assumes_contiguous_float64": ("dp_mlp", "test_dp_mlp", '''
from numpy.lib.stride_tricks import as_strided

def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    B, D = x_BD.shape
    if B % n_devices:
        raise ValueError(f"B={B} does not split into n_devices={n_devices} shards")
    b = B // n_devices
    x_NbD = as_strided(x_BD, shape=(n_devices, b, D), strides=(b * D * 8, D * 8, 8))
    labels_Nb = labels_B.reshape(n_devices, b)
    losses, local = [], []
    for x_bD, labels_b in zip(x_NbD, labels_Nb):
        logits_bC, cache = mlp_forward(params, x_bD)
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_b)
        losses.append(loss)
        local.append(mlp_backward(params, cache, dlogits_bC)[0])
    summed = {k: all_reduce([g[k] for g in local]) for k in params}
    return float(np.mean(losses)), [{k: summed[k][i] / n_devices for k in params} for i in range(n_devices)]
'''),
    "dp_float64_scratch_buffer_for_one_replica": ("dp_mlp", "test_dp_mlp", '''
def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    x_NbD, labels_Nb = shard(x_BD, n_devices, axis=0), shard(labels_B, n_devices, axis=0)
    losses, local = [], []
    for x_bD, labels_b in zip(x_NbD, labels_Nb):
        logits_bC, cache = mlp_forward(params, x_bD)
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_b)
        losses.append(loss)
        local.append(mlp_backward(params, cache, dlogits_bC)[0])
    # one flat float64 buffer per replica, filled through a view of the right size in bytes
    flats = []
    for g in local:
        flat = np.empty(sum(v.size for v in g.values()))
        raw = flat.view(np.uint8)
        start = 0
        for k in params:
            nbytes = g[k].nbytes
            raw[start:start + nbytes] = np.frombuffer(np.ascontiguousarray(g[k]).tobytes(), dtype=np.uint8)
            start += nbytes
        flats.append(flat)
    out = []
    for flat in all_reduce(flats):
        flat, start, grads = flat / n_devices, 0, {}
        for k in params:
            grads[k] = flat[start:start + params[k].size].reshape(params[k].shape)
            start += params[k].size
        out.append(grads)
    return float(np.mean(losses)), out
'''),
    "all_gather_float64_buffer": ("all_gather", "test_all_gather", '''
def all_gather(parts, axis=0):
    axis = axis % parts[0].ndim
    shape = list(parts[0].shape)
    k = shape[axis]
    shape[axis] = k * len(parts)
    out = []
    for _ in parts:
        full = np.zeros(shape)
        for i, part in enumerate(parts):
            index = [slice(None)] * part.ndim
            index[axis] = slice(i * k, (i + 1) * k)
            full[tuple(index)] = part
        out.append(full)
    return out
'''),
    "all_gather_through_the_flat_buffers": ("all_gather", "test_all_gather", '''
def all_gather(parts, axis=0):
    # concatenate the raw memory, then look at it in the full shape
    axis = axis % parts[0].ndim
    shape = list(parts[0].shape)
    shape[axis] *= len(parts)
    flat = np.concatenate([np.moveaxis(p, axis, 0).reshape(-1) for p in parts])
    moved = [shape[axis]] + [n for i, n in enumerate(shape) if i != axis]
    full = np.moveaxis(np.ndarray(moved, dtype=np.float64, buffer=flat.astype(np.float64)), 0, axis)
    return [full.copy() for _ in parts]
'''),
}

ALTERNATIVE = {
    "all_reduce_stack_and_sum": ("all_reduce", '''
def all_reduce(parts):
    return [np.sum(np.stack(parts), axis=0) for _ in parts]
'''),
    "all_reduce_functools": ("all_reduce", '''
import functools

def all_reduce(parts):
    total = functools.reduce(np.add, parts)
    return [np.array(total, copy=True) for _ in range(len(parts))]
'''),
    "all_gather_copies_then_concatenates": ("all_gather", '''
def all_gather(parts, axis=0):
    return [np.concatenate([p.copy() for p in parts], axis=axis) for _ in parts]
'''),
    "reduce_scatter_through_all_reduce_and_take": ("reduce_scatter", '''
def reduce_scatter(parts, axis=0):
    n, size = len(parts), parts[0].shape[axis]
    if size % n != 0:
        raise ValueError(f"reduce_scatter: {size} elements along axis {axis} cannot be cut into {n} equal chunks")
    total = all_reduce(parts)[0]
    k = size // n
    return [np.take(total, np.arange(i * k, (i + 1) * k), axis=axis) for i in range(n)]
'''),
    "row_sharded_einsum_and_dict_cache": ("row_sharded", '''
def row_sharded_forward(x_NBd, w1_NdF, b1_F):
    partial_NBF = [np.einsum("bd,df->bf", x, w) for x, w in zip(x_NBd, w1_NdF)]
    h_NBF = [h + b1_F for h in all_reduce(partial_NBF)]
    return [np.where(h > 0, h, 0.0) for h in h_NBF], {"x": x_NBd, "w": w1_NdF, "h": h_NBF}

def row_sharded_backward(cache, da_NBF):
    dh_NBF = [np.where(h > 0, da, 0.0) for da, h in zip(da_NBF, cache["h"])]
    dx_NBd = [np.einsum("bf,df->bd", dh, w) for dh, w in zip(dh_NBF, cache["w"])]
    dw1_NdF = [np.einsum("bd,bf->df", x, dh) for x, dh in zip(cache["x"], dh_NBF)]
    return dx_NBd, dw1_NdF, [np.einsum("bf->f", dh) for dh in dh_NBF]
'''),
    "row_sharded_device_loop": ("row_sharded", '''
def row_sharded_forward(x_NBd, w1_NdF, b1_F):
    partials = []
    for device in range(len(x_NBd)):
        partials.append(x_NBd[device] @ w1_NdF[device])
    h_NBF = all_reduce(partials)
    a_NBF = []
    for device in range(len(x_NBd)):
        h_NBF[device] = h_NBF[device] + b1_F
        a_NBF.append(relu(h_NBF[device]))
    return a_NBF, (x_NBd, w1_NdF, a_NBF)

def row_sharded_backward(cache, da_NBF):
    x_NBd, w1_NdF, a_NBF = cache
    dx_NBd, dw1_NdF, db1_NF = [], [], []
    for device in range(len(x_NBd)):
        dh_BF = da_NBF[device] * (a_NBF[device] > 0)
        dx_NBd.append(dh_BF @ w1_NdF[device].T)
        dw1_NdF.append(x_NBd[device].T @ dh_BF)
        db1_NF.append(dh_BF.sum(axis=0))
    return dx_NBd, dw1_NdF, db1_NF
'''),
    "tp_einsum_and_tuple_cache": ("tp_mlp", '''
def tp_mlp_forward(params_N, x_NBD):
    h_NBf = [np.einsum("bd,df->bf", x, p["w1_Df"]) + p["b1_f"] for p, x in zip(params_N, x_NBD)]
    a_NBf = [np.where(h > 0, h, 0.0) for h in h_NBf]
    z_NBC = all_reduce([np.einsum("bf,fc->bc", a, p["w2_fC"]) for p, a in zip(params_N, a_NBf)])
    return [z + p["b2_C"] for p, z in zip(params_N, z_NBC)], (params_N, x_NBD, a_NBf)

def tp_mlp_backward(cache, dlogits_NBC):
    params_N, x_NBD, a_NBf = cache
    grads_N, dx_parts = [], []
    for p, x, a, dl in zip(params_N, x_NBD, a_NBf, dlogits_NBC):
        dh = np.where(a > 0, np.einsum("bc,fc->bf", dl, p["w2_fC"]), 0.0)
        grads_N.append({"w1_Df": np.einsum("bd,bf->df", x, dh), "b1_f": dh.sum(0),
                        "w2_fC": np.einsum("bf,bc->fc", a, dl), "b2_C": dl.sum(0)})
        dx_parts.append(np.einsum("bf,df->bd", dh, p["w1_Df"]))
    return all_reduce(dx_parts), grads_N
'''),
    "dp_one_flat_bucket": ("dp_mlp", '''
def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    B = len(x_BD)
    if B % n_devices:
        raise ValueError(f"a batch of B={B} examples does not split evenly over n_devices={n_devices}")
    b = B // n_devices
    keys = sorted(params)
    flats = []
    for i in range(n_devices):
        logits_bC, cache = mlp_forward(params, x_BD[i * b:(i + 1) * b])
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_B[i * b:(i + 1) * b])
        grads, _ = mlp_backward(params, cache, dlogits_bC)
        flats.append(np.concatenate([[loss]] + [grads[k].ravel() for k in keys]))
    grads_N = []
    for flat in all_reduce(flats):
        flat = flat / n_devices
        grads, start = {}, 1
        for k in keys:
            size = params[k].size
            grads[k] = flat[start:start + size].reshape(params[k].shape)
            start += size
        grads_N.append(grads)
    return flat[0], grads_N
'''),
    "comm_bytes_from_shapes": ("comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    shapes = {"tp": [(B, C), (B, D)], "dp": [(D, F), (F,), (F, C), (C,)]}
    if scheme not in shapes:
        raise ValueError(f"scheme must be 'tp' or 'dp', not {scheme!r}")
    if n_devices < 2:
        return 0
    payload = int(sum(np.prod(shape) for shape in shapes[scheme])) * itemsize
    return payload * 2 * (n_devices - 1) // n_devices
'''),
    "comm_bytes_per_chunk_in_another_order": ("comm_bytes", '''
def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    if scheme == "tp":
        nbytes = itemsize * B * (C + D)
    elif scheme == "dp":
        nbytes = itemsize * (F * (D + 1 + C) + C)
    else:
        raise ValueError("unknown scheme: " + str(scheme))
    # a reduce-scatter sends (N - 1)/N of the array, then an all-gather as much again
    return nbytes * (n_devices - 1) // n_devices * 2
'''),
    "comm_bytes_dict_of_factors": ("comm_bytes", '''
from fractions import Fraction

RING = {"all_reduce": lambda n: Fraction(2 * (n - 1), n), "all_gather": lambda n: Fraction(n - 1, n),
        "reduce_scatter": lambda n: Fraction(n - 1, n)}

def comm_bytes(scheme, B, D, F, C, n_devices, itemsize=4):
    steps = {"tp": [("all_reduce", B * C), ("all_reduce", B * D)],
             "dp": [("all_reduce", n) for n in (D * F, F, F * C, C)]}
    if scheme not in steps:
        raise ValueError(f"no such scheme {scheme!r}")
    return int(sum(RING[op](n_devices) * elements * itemsize for op, elements in steps[scheme]))
'''),
    "all_gather_one_device_copies": ("all_gather", '''
def all_gather(parts, axis=0):
    if len(parts) == 1:
        return [parts[0].copy()]
    return [np.concatenate(parts, axis=axis) for _ in parts]
'''),
    "reduce_scatter_disjoint_views_of_a_fresh_sum": ("reduce_scatter", '''
def reduce_scatter(parts, axis=0):
    n = len(parts)
    if parts[0].shape[axis] % n:
        raise ValueError(f"cannot cut {parts[0].shape[axis]} into {n} equal chunks")
    total = np.add.reduce(np.stack(parts), axis=0)
    return np.split(total, n, axis=axis)   # chunks of a new array: no two devices share memory
'''),
    "dp_deepcopy_per_replica": ("dp_mlp", '''
import copy

def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    x_NbD, labels_Nb = shard(x_BD, n_devices, axis=0), shard(labels_B, n_devices, axis=0)
    losses, local = [], []
    for x_bD, labels_b in zip(x_NbD, labels_Nb):
        logits_bC, cache = mlp_forward(params, x_bD)
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_b)
        losses.append(loss)
        local.append(mlp_backward(params, cache, dlogits_bC)[0])
    mean = {k: all_reduce([g[k] for g in local])[0] / n_devices for k in params}
    return float(np.mean(losses)), [copy.deepcopy(mean) for _ in range(n_devices)]
'''),
    "tp_per_device_helper_functions": ("tp_mlp", '''
def _device_forward(p, x_BD):
    h_Bf = np.matmul(x_BD, p["w1_Df"]) + p["b1_f"]
    a_Bf = np.maximum(h_Bf, 0)
    return np.matmul(a_Bf, p["w2_fC"]), (p, x_BD, h_Bf, a_Bf)

def _device_backward(device_cache, dlogits_BC):
    p, x_BD, h_Bf, a_Bf = device_cache
    dh_Bf = np.dot(dlogits_BC, p["w2_fC"].T) * (h_Bf > 0)
    grads = {"w1_Df": np.dot(x_BD.T, dh_Bf), "b1_f": np.sum(dh_Bf, axis=0),
             "w2_fC": np.dot(a_Bf.T, dlogits_BC), "b2_C": np.sum(dlogits_BC, axis=0)}
    return grads, np.dot(dh_Bf, p["w1_Df"].T)

def tp_mlp_forward(params_N, x_NBD):
    results = [_device_forward(p, x) for p, x in zip(params_N, x_NBD)]
    summed = all_reduce([partial for partial, _ in results])
    logits_NBC = [z + p["b2_C"] for z, p in zip(summed, params_N)]
    return logits_NBC, [device_cache for _, device_cache in results]

def tp_mlp_backward(cache, dlogits_NBC):
    results = [_device_backward(c, dl) for c, dl in zip(cache, dlogits_NBC)]
    return all_reduce([dx for _, dx in results]), [grads for grads, _ in results]
'''),
    "row_sharded_per_device_dicts": ("row_sharded", '''
def row_sharded_forward(x_NBd, w1_NdF, b1_F):
    devices = [{"x": x, "w": w} for x, w in zip(x_NBd, w1_NdF)]
    for dev, h in zip(devices, all_reduce([np.dot(d["x"], d["w"]) for d in devices])):
        dev["h"] = h + b1_F
    return [np.clip(d["h"], 0, None) for d in devices], devices

def row_sharded_backward(cache, da_NBF):
    out = [], [], []
    for dev, da in zip(cache, da_NBF):
        dh = da * (dev["h"] > 0)
        out[0].append(dh @ dev["w"].T)
        out[1].append(dev["x"].T @ dh)
        out[2].append(dh.sum(axis=0))
    return out
'''),
    "dp_divide_before_the_all_reduce": ("dp_mlp", '''
def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    x_NbD, labels_Nb = shard(x_BD, n_devices, axis=0), shard(labels_B, n_devices, axis=0)
    loss_parts, grad_parts = [], {k: [] for k in params}
    for x_bD, labels_b in zip(x_NbD, labels_Nb):
        logits_bC, cache = mlp_forward(params, x_bD)
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_b)
        loss_parts.append(np.array([loss / n_devices]))
        grads, _ = mlp_backward(params, cache, dlogits_bC)
        for k in params:
            grad_parts[k].append(grads[k] / n_devices)
    reduced = {k: all_reduce(grad_parts[k]) for k in params}
    return float(all_reduce(loss_parts)[0][0]), [{k: reduced[k][i] for k in params} for i in range(n_devices)]
'''),
    "dp_as_strided_split_from_the_strides": ("dp_mlp", '''
from numpy.lib.stride_tricks import as_strided

def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    B, D = x_BD.shape
    if B % n_devices:
        raise ValueError(f"B={B} does not split into n_devices={n_devices} shards")
    b = B // n_devices
    s0, s1 = x_BD.strides
    x_NbD = as_strided(x_BD, shape=(n_devices, b, D), strides=(b * s0, s0, s1), writeable=False)
    labels_Nb = [labels_B[i * b:(i + 1) * b] for i in range(n_devices)]
    losses, local = [], []
    for x_bD, labels_b in zip(x_NbD, labels_Nb):
        logits_bC, cache = mlp_forward(params, x_bD)
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_b)
        losses.append(loss)
        local.append(mlp_backward(params, cache, dlogits_bC)[0])
    summed = {k: all_reduce([g[k] for g in local]) for k in params}
    return float(np.mean(losses)), [{k: summed[k][i] / n_devices for k in params} for i in range(n_devices)]
'''),
    "row_sharded_wire_format_keeps_the_dtype": ("row_sharded", '''
def _wire(a):   # what goes over the wire: the raw bytes, read back in the sender's dtype
    return np.frombuffer(np.ascontiguousarray(a).tobytes(), dtype=a.dtype).reshape(a.shape)

def row_sharded_forward(x_NBd, w1_NdF, b1_F):
    h_NBF = [_wire(h) + b1_F for h in all_reduce([_wire(x @ w) for x, w in zip(x_NBd, w1_NdF)])]
    return [relu(h) for h in h_NBF], (x_NBd, w1_NdF, h_NBF)

def row_sharded_backward(cache, da_NBF):
    x_NBd, w1_NdF, h_NBF = cache
    dh_NBF = [da_BF * (h_BF > 0) for da_BF, h_BF in zip(da_NBF, h_NBF)]
    return ([dh @ w.T for dh, w in zip(dh_NBF, w1_NdF)], [x.T @ dh for x, dh in zip(x_NBd, dh_NBF)],
            [dh.sum(axis=0) for dh in dh_NBF])
'''),
    "dp_hands_in_shard_sums_then_divides_by_B": ("dp_mlp", '''
def dp_mlp_grads(params, x_BD, labels_B, n_devices):
    B = len(x_BD)
    x_NbD, labels_Nb = shard(x_BD, n_devices, axis=0), shard(labels_B, n_devices, axis=0)
    sums, loss_sums = {k: [] for k in params}, []
    for x_bD, labels_b in zip(x_NbD, labels_Nb):
        b = len(x_bD)
        logits_bC, cache = mlp_forward(params, x_bD)
        loss, dlogits_bC = softmax_cross_entropy(logits_bC, labels_b)
        grads, _ = mlp_backward(params, cache, dlogits_bC)
        loss_sums.append(np.array(loss * b))
        for k in params:
            sums[k].append(grads[k] * b)        # the sum over this shard's examples
    total = {k: all_reduce(sums[k]) for k in params}
    return float(all_reduce(loss_sums)[0]) / B, [{k: total[k][i] / B for k in params} for i in range(n_devices)]
'''),
    "all_gather_preallocated_in_the_parts_dtype": ("all_gather", '''
def all_gather(parts, axis=0):
    axis = axis % parts[0].ndim
    shape = list(parts[0].shape)
    k = shape[axis]
    shape[axis] = k * len(parts)
    out = []
    for _ in parts:
        full = np.empty(shape, dtype=parts[0].dtype)
        for i, part in enumerate(parts):
            index = [slice(None)] * part.ndim
            index[axis] = slice(i * k, (i + 1) * k)
            full[tuple(index)] = part
        out.append(full)
    return out
'''),
}
