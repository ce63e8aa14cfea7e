"""A cost question's answer worked out again from the numbers it states, by the formulas as the notebook writes them.

Written apart from mlgrind.recall.costdrill on purpose: the tests compare the two.
"""

from __future__ import annotations

ITEMSIZE = {"fp32": 4, "bf16": 2, "fp8": 1}
UNIT = {"FLOP": 1, "GFLOP": 1e9, "MB": 1e6, "GB": 1e9, "GiB": 2**30, "ms": 1e-3}


def recomputed(kind: str, v: dict) -> float | str:
    """The answer to the cost question of ``kind`` (its ``expr``) stating ``v`` (its ``values``)."""
    m, k, n = v.get("M"), v.get("K"), v.get("N")
    flops = 2 * m * k * n if m else None
    moved = ITEMSIZE.get(v.get("dtype"), 0) * (m * k + k * n + m * n) if m else None
    in_unit = (lambda x: x / UNIT[v["unit"]]) if "unit" in v else None
    if kind == "matmul-flops":
        return in_unit(flops)
    if kind == "matmul-bytes":
        return in_unit(moved)
    if kind == "intensity":
        return flops / moved
    if kind == "bound":
        return "compute" if flops / moved >= v["peak"] / v["bandwidth"] else "memory"
    if kind == "train-flops":
        return in_unit(6 * v["params"] * v["tokens"])
    if kind == "gpu-days":
        return 6 * v["params"] * v["tokens"] / (v["peak"] * v["mfu"]) / (24 * 3600)
    if kind in ("adam-bytes", "zero-bytes"):
        weights, grads, state = {"fp32": (4, 4, 4 + 4), "mixed": (2, 2, 4 + 4 + 4)}[v["precision"]]
        stage, d = v.get("stage", 0), v.get("devices", 1)
        per_param = state / (d if stage >= 1 else 1) + grads / (d if stage >= 2 else 1) + weights / (d if stage >= 3 else 1)
        return in_unit(per_param * v["params"])
    if kind == "ring":
        sent = (2 if v["collective"] == "all-reduce" else 1) * (v["devices"] - 1) / v["devices"]
        return in_unit(sent * v["size_gb"] * 1e9)
    if kind == "bubble":
        return (v["stages"] - 1) / (v["microbatches"] + v["stages"] - 1)
    if kind == "kv-cache":
        kv_heads = {"MHA": v["heads"], "GQA": 8, "MQA": 1}[v["attention"]]
        assert v["kv_heads"] == kv_heads
        return in_unit(2 * v["batch"] * v["seq_len"] * v["layers"] * kv_heads * v["head_dim"] * ITEMSIZE[v["dtype"]])
    if kind == "decode-time":
        return in_unit(ITEMSIZE[v["dtype"]] * v["params"] / (v["devices"] * v["bandwidth"]))
    if kind == "ttft":
        compute = 2 * v["params"] * v["batch"] * v["prompt"] / (v["devices"] * v["peak"])
        return in_unit(max(compute, ITEMSIZE[v["dtype"]] * v["params"] / (v["devices"] * v["bandwidth"])))
    if kind == "tpot":
        cache = v["batch"] * v["context"] * 2 * v["layers"] * v["kv_heads"] * v["head_dim"] * ITEMSIZE[v["dtype"]]
        return in_unit((ITEMSIZE[v["dtype"]] * v["params"] + cache) / (v["devices"] * v["bandwidth"]))
    if kind == "kv-budget":
        return in_unit(v["memory_gb"] * 2**30 - ITEMSIZE[v["dtype"]] * v["params"] / v["devices"])
    if kind == "spec-tokens":
        return sum(v["alpha"] ** k for k in range(v["gamma"] + 1))
    raise AssertionError(f"a kind of cost question these formulas do not know: {kind}")
