"""The arithmetic of scaling (07_scaling_math): FLOPs, bytes, time, memory per device, communication.

Plain Python on plain numbers, so the cost drill and its explanations share one set of formulas.
Units: FLOP, bytes, FLOP/s, bytes/s and seconds throughout; a caller converts to GB or GPU-days.

    >>> matmul_flops(4096, 4096, 4096) / 1e9
    137.438953472
    >>> bytes_per_param("mixed", stage=3, devices=8)
    2.0
"""

from __future__ import annotations

__all__ = ["ADAM_BYTES", "RING_FACTORS", "SECONDS_PER_DAY", "bound", "bubble_fraction", "bytes_per_param",
           "gpu_days", "kv_cache_bytes", "matmul_bytes", "matmul_flops", "ring_bytes", "train_flops"]

SECONDS_PER_DAY = 86_400

# Bytes per parameter that Adam training keeps: (weights, gradients, optimizer state). The optimizer
# state of mixed precision is the fp32 master copy (4) and both fp32 moments (4 + 4), as ZeRO counts it.
ADAM_BYTES = {"fp32": (4, 4, 8), "mixed": (2, 2, 12)}


def matmul_flops(m: int, k: int, n: int) -> int:
    """FLOPs of (M, K) @ (K, N): each of the M·N outputs takes K multiplies and K adds."""
    return 2 * m * k * n


def matmul_bytes(m: int, k: int, n: int, itemsize: int) -> int:
    """Bytes moved at least by (M, K) @ (K, N): both inputs read once, the output written once."""
    return itemsize * (m * k + k * n + m * n)


def bound(intensity: float, peak_flops: float, bandwidth: float) -> str:
    """``"compute"`` when ``intensity`` (FLOP/byte) is above the ridge point peak/bandwidth, else ``"memory"``."""
    return "compute" if intensity > peak_flops / bandwidth else "memory"


def train_flops(params: float, tokens: float) -> float:
    """FLOPs to train a dense model: about 6 per parameter per token (2 forward, 4 backward)."""
    return 6 * params * tokens


def gpu_days(flops: float, peak_flops: float, mfu: float) -> float:
    """Accelerator-days to do ``flops`` at ``mfu`` (a fraction) of ``peak_flops`` (FLOP/s)."""
    return flops / (peak_flops * mfu) / SECONDS_PER_DAY


def bytes_per_param(precision: str, stage: int = 0, devices: int = 1) -> float:
    """Bytes per parameter of weights, gradients and Adam state on one device, at ZeRO ``stage`` over ``devices``.

    Stage 1 shards the optimizer state, stage 2 also the gradients, stage 3 also the weights.
    """
    weights, grads, state = ADAM_BYTES[precision]
    return (state / devices if stage >= 1 else state) + (grads / devices if stage >= 2 else grads) + (
        weights / devices if stage >= 3 else weights)


# Bytes each device sends on a ring, as a multiple of the whole array's bytes, for N devices.
RING_FACTORS = {"all-reduce": lambda n: 2 * (n - 1) / n, "all-gather": lambda n: (n - 1) / n,
                "reduce-scatter": lambda n: (n - 1) / n}


def ring_bytes(collective: str, devices: int, nbytes: float) -> float:
    """Bytes each device sends in a ring ``collective`` of an array of ``nbytes`` (the whole array)."""
    return RING_FACTORS[collective](devices) * nbytes


def kv_cache_bytes(batch: int, seq_len: int, layers: int, kv_heads: int, head_dim: int, itemsize: int) -> int:
    """Bytes of the KV cache: a K and a V of (batch, kv_heads, seq_len, head_dim) in every layer."""
    return 2 * batch * seq_len * layers * kv_heads * head_dim * itemsize


def bubble_fraction(stages: int, microbatches: int) -> float:
    """The idle share of a pipeline step (GPipe, 1F1B): (p − 1) / (m + p − 1)."""
    return (stages - 1) / (microbatches + stages - 1)
