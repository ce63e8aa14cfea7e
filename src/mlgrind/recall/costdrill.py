"""The cost drill's questions: seeded sizes, the question in words with its unit, the answer and its working.

Each kind of question (``KINDS``) draws the numbers it states, says them, and solves them; the answer
and the working shown after a miss come from the same lines, so an explanation can never disagree
with the answer::

    >>> import random
    >>> kind, values = draw(random.Random(0), level=1)
    >>> answer, working = solve(kind, values)
    >>> kind in KINDS and "=" in working[0]
    True

A right answer is within ``TOLERANCE`` (3%) of the computed one, closer than any unit slip the
course teaches (GB for GiB is 7.4% off, MB for MiB 4.9%), so a slip is never marked right and
``slip`` names it; some answers are a word (``compute`` or ``memory``). recall.drills.cost registers
the topic ``cost`` from these.
"""

from __future__ import annotations

import ast
import math
import operator
import random
from collections.abc import Callable
from dataclasses import dataclass

from .words import number

__all__ = ["KINDS", "SLIPS", "TOLERANCE", "WORDS", "close_enough", "draw", "parse_answer", "say", "slip", "solve"]

TOLERANCE = 0.03  # a relative error: three significant figures, and below every slip in SLIPS
WORDS = ("compute", "memory")
UNITS = {"FLOP": 1, "GFLOP": 1e9, "TFLOP": 1e12, "MB": 1e6, "GB": 1e9, "GiB": 2**30, "ms": 1e-3}
DIVISORS = {"GFLOP": "1e9", "TFLOP": "1e12", "MB": "1e6", "GB": "1e9", "GiB": "2^30", "ms": "1e-3"}  # as typed
UNIT_WORDS = {"FLOP": "FLOP", "GFLOP": "GFLOP (1e9 FLOP)", "TFLOP": "TFLOP (1e12 FLOP)", "MB": "MB (1e6 bytes)",
              "GB": "GB (1e9 bytes)", "GiB": "GiB (2^30 bytes)", "ms": "milliseconds"}
ITEMSIZE = {"fp32": 4, "bf16": 2, "fp8": 1}
SECONDS_PER_DAY = 86_400

# Accelerators a question states: (peak dense FLOP/s in bf16, memory bandwidth in bytes/s), A100- to B200-like.
ACCELERATORS = [(312e12, 2.0e12), (989e12, 3.35e12), (2250e12, 8e12)]
PARAMS = [125e6, 1.3e9, 7e9, 8e9, 13e9, 34e9, 70e9, 175e9, 405e9]
TOKENS = [300e9, 1e12, 2e12, 15e12]

Working = tuple[float | str, list[str]]  # the answer, and the lines that compute it


@dataclass(frozen=True)
class Kind:
    level: int  # the easiest drill level that asks it
    draw: Callable[[random.Random, int], dict]  # the numbers (and words) a question states
    say: Callable[[dict], str]  # the question in words, its unit named
    solve: Callable[[dict], Working]


KINDS: dict[str, Kind] = {}


def kind(name: str, level: int, draw: Callable[[random.Random, int], dict], say: Callable[[dict], str]):
    """Register the decorated ``solve(values)`` as the kind of question ``name``."""
    def register(solve: Callable[[dict], Working]):
        KINDS[name] = Kind(level, draw, say, solve)
        return solve
    return register


def draw(rng: random.Random, level: int) -> tuple[str, dict]:
    """A kind of question asked at ``level`` and the numbers it states, drawn from ``rng``."""
    name = rng.choice([name for name, k in KINDS.items() if k.level <= level])
    return name, KINDS[name].draw(rng, level)


def say(name: str, values: dict) -> str:
    return KINDS[name].say(values)


def solve(name: str, values: dict) -> Working:
    return KINDS[name].solve(values)


def _in(unit: str) -> str:
    return f"Answer in {UNIT_WORDS[unit]}."


def _converted(value: float, unit: str, what: str) -> tuple[float, str]:
    """``value`` (in FLOP, bytes or seconds) in ``unit``, and the line that says so."""
    answer = value / UNITS[unit]
    if UNITS[unit] == 1:
        return answer, f"= {number(value)} {unit}"
    return answer, f"= {number(value)} {what} / {DIVISORS[unit]} = {number(answer)} {unit}"


def _count(x: float) -> str:
    """A parameter or token count as people say it, with its digits: ``70B (7e10)``."""
    for scale, letter in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if x >= scale:
            return f"{number(x / scale)}{letter} ({number(x)})"
    return number(x)


def _accelerator(values: dict) -> str:
    return (f"an accelerator with a peak of {number(values['peak'] / 1e12)} TFLOP/s and "
            f"{number(values['bandwidth'] / 1e12)} TB/s of memory bandwidth")


# ---------------------------------------------------------------------------- roofline
def _matmul_sizes(rng: random.Random, level: int) -> dict:
    def size():
        base = 2 ** rng.randint(8, 14)
        return base if level == 1 or rng.random() < 0.6 else 3 * base // 2
    return {"M": size(), "K": size(), "N": size()}


def _matmul_text(v: dict) -> str:
    return f"the matmul (M, K) @ (K, N) with M = {v['M']}, K = {v['K']}, N = {v['N']}"


def _flops_line(v: dict) -> tuple[int, str]:
    flops = 2 * v["M"] * v["K"] * v["N"]
    return flops, f"FLOPs = 2·M·K·N = 2 × {v['M']} × {v['K']} × {v['N']} = {number(flops)} FLOP"


def _bytes_line(v: dict) -> tuple[int, str]:
    s = ITEMSIZE[v["dtype"]]
    nbytes = s * (v["M"] * v["K"] + v["K"] * v["N"] + v["M"] * v["N"])
    return nbytes, (f"bytes = s·(M·K + K·N + M·N) = {s} × ({v['M']}×{v['K']} + {v['K']}×{v['N']} + "
                    f"{v['M']}×{v['N']}) = {number(nbytes)} bytes ({v['dtype']}: s = {s})")


@kind("matmul-flops", 1, lambda rng, level: _matmul_sizes(rng, level) | {"unit": "GFLOP"},
      lambda v: f"How many FLOPs does {_matmul_text(v)} take? {_in(v['unit'])}")
def _matmul_flops(v: dict) -> Working:
    flops, line = _flops_line(v)
    answer, converted = _converted(flops, v["unit"], "FLOP")
    return answer, [line, converted, "each of the M·N outputs takes K multiplies and K adds"]


@kind("matmul-bytes", 1, lambda rng, level: _matmul_sizes(rng, level) | {"dtype": rng.choice(["bf16", "fp32"]),
                                                                          "unit": "MB"},
      lambda v: (f"How many bytes does {_matmul_text(v)} in {v['dtype']} move at least, reading both inputs "
                 f"once and writing the output once? {_in(v['unit'])}"))
def _matmul_bytes(v: dict) -> Working:
    nbytes, line = _bytes_line(v)
    answer, converted = _converted(nbytes, v["unit"], "bytes")
    return answer, [line, converted]


@kind("intensity", 2, lambda rng, level: _matmul_sizes(rng, level) | {"dtype": "bf16"},
      lambda v: (f"What is the arithmetic intensity of {_matmul_text(v)} in {v['dtype']}, each input read "
                 "once and the output written once? Answer in FLOP per byte."))
def _intensity(v: dict) -> Working:
    (flops, flops_line), (nbytes, bytes_line) = _flops_line(v), _bytes_line(v)
    answer = flops / nbytes
    return answer, [flops_line, bytes_line, f"intensity = FLOPs / bytes = {number(flops)} / {number(nbytes)} "
                                            f"= {number(answer)} FLOP/byte"]


def _bound_values(rng: random.Random, level: int) -> dict:
    peak, bandwidth = rng.choice(ACCELERATORS)
    while True:  # not within a factor of 2 of the ridge: the question is the roofline, not the digits
        v = _matmul_sizes(rng, level) | {"dtype": "bf16", "peak": peak, "bandwidth": bandwidth}
        v["M"] = rng.choice([1, 4, 16, 64, v["M"]])  # a few rows, as in decoding, or many
        (flops, _), (nbytes, _) = _flops_line(v), _bytes_line(v)
        if not 0.5 < flops / nbytes / (peak / bandwidth) < 2:
            return v


@kind("bound", 2, _bound_values,
      lambda v: (f"On {_accelerator(v)}, is {_matmul_text(v)} in {v['dtype']} compute-bound or memory-bound? "
                 "Answer compute or memory."))
def _bound(v: dict) -> Working:
    intensity, lines = _intensity(v)
    ridge = v["peak"] / v["bandwidth"]
    answer = "compute" if intensity >= ridge else "memory"
    return answer, lines + [f"ridge point = peak / bandwidth = {number(v['peak'])} / {number(v['bandwidth'])} "
                            f"= {number(ridge)} FLOP/byte",
                            f"{number(intensity)} {'≥' if answer == 'compute' else '<'} {number(ridge)}: "
                            f"{answer}-bound"]


# ---------------------------------------------------------------------------- training compute
@kind("train-flops", 1, lambda rng, level: {"params": rng.choice(PARAMS), "tokens": rng.choice(TOKENS),
                                             "unit": "FLOP"},
      lambda v: (f"About how many FLOPs does training a dense {_count(v['params'])}-parameter transformer on "
                 f"{_count(v['tokens'])} tokens take? {_in(v['unit'])}"))
def _train_flops(v: dict) -> Working:
    flops = 6 * v["params"] * v["tokens"]
    return flops, [f"FLOPs ≈ 6·P·T = 6 × {number(v['params'])} × {number(v['tokens'])} = {number(flops)} FLOP",
                   "6 per parameter per token: 2 in the forward pass, 4 in the backward"]


def _gpu_days_values(rng: random.Random, level: int) -> dict:
    peak, _ = rng.choice(ACCELERATORS)
    return {"params": rng.choice(PARAMS), "tokens": rng.choice(TOKENS), "peak": peak,
            "mfu": rng.choice([0.3, 0.4, 0.5])}


@kind("gpu-days", 2, _gpu_days_values,
      lambda v: (f"Training a dense {_count(v['params'])}-parameter transformer on {_count(v['tokens'])} tokens, "
                 f"on accelerators with a peak of {number(v['peak'] / 1e12)} TFLOP/s at {v['mfu']:.0%} MFU: "
                 "how many GPU-days (one accelerator for one day of 86,400 s)? Answer in GPU-days."))
def _gpu_days(v: dict) -> Working:
    flops, lines = _train_flops(v)
    seconds = flops / (v["peak"] * v["mfu"])
    answer = seconds / SECONDS_PER_DAY
    return answer, lines[:1] + [
        f"seconds on one accelerator = FLOPs / (peak × MFU) = {number(flops)} / ({number(v['peak'])} × "
        f"{v['mfu']}) = {number(seconds)} s",
        f"GPU-days = {number(seconds)} / 86400 = {number(answer)}"]


# ---------------------------------------------------------------------------- training memory
PRECISION_WORDS = {"fp32": "in fp32 (fp32 weights, gradients and both Adam moments)",
                   "mixed": "in mixed precision (bf16 weights and gradients; fp32 master weights and both Adam moments)"}


# Bytes per parameter that Adam training keeps: (weights, gradients, optimizer state). The optimizer
# state of mixed precision is the fp32 master copy (4) and both fp32 moments (4 + 4), as ZeRO counts it.
ADAM_BYTES = {"fp32": (4, 4, 8), "mixed": (2, 2, 12)}


def _bytes_per_param_line(v: dict) -> tuple[float, str]:
    weights, grads, state = ADAM_BYTES[v["precision"]]
    stage, n = v.get("stage", 0), v.get("devices", 1)
    sharded = [(state, stage >= 1), (grads, stage >= 2), (weights, stage >= 3)]  # ZeRO 1, 2, 3 shard one more each
    terms = [f"{size}/{n}" if split else str(size) for size, split in sharded]
    per_param = sum(size / n if split else size for size, split in sharded)
    return per_param, (f"bytes per parameter = optimizer state + gradients + weights = {' + '.join(terms)} "
                       f"= {number(per_param)}")


@kind("adam-bytes", 1, lambda rng, level: {"params": rng.choice(PARAMS), "precision": rng.choice(["fp32", "mixed"]),
                                            "unit": "GB"},
      lambda v: (f"How much memory do the weights, gradients and Adam state of a {_count(v['params'])}-parameter "
                 f"model take when trained {PRECISION_WORDS[v['precision']]}? Leave out activations. "
                 f"{_in(v['unit'])}"))
def _adam_bytes(v: dict) -> Working:
    per_param, line = _bytes_per_param_line(v)
    nbytes = per_param * v["params"]
    answer, converted = _converted(nbytes, v["unit"], "bytes")
    state = "fp32 master 4 + two fp32 moments 8" if v["precision"] == "mixed" else "two fp32 moments 8"
    return answer, [line + f"  (optimizer state: {state})",
                    f"bytes = {number(per_param)} × {number(v['params'])} = {number(nbytes)} bytes", converted]


STAGES = {0: "plain data parallel: nothing sharded", 1: "stage 1 shards the optimizer state",
          2: "stage 2 shards the optimizer state and the gradients",
          3: "stage 3 shards the optimizer state, the gradients and the weights"}


@kind("zero-bytes", 2, lambda rng, level: {"params": rng.choice(PARAMS), "precision": rng.choice(["fp32", "mixed"]),
                                            "stage": rng.randint(0, 3), "devices": rng.choice([4, 8, 16, 64]),
                                            "unit": "GB"},
      lambda v: (f"A {_count(v['params'])}-parameter model is trained {PRECISION_WORDS[v['precision']]} with "
                 f"ZeRO stage {v['stage']} over {v['devices']} data-parallel devices. How much memory do the "
                 f"weights, gradients and Adam state take on each device? {_in(v['unit'])}"))
def _zero_bytes(v: dict) -> Working:
    per_param, line = _bytes_per_param_line(v)
    nbytes = per_param * v["params"]
    answer, converted = _converted(nbytes, v["unit"], "bytes")
    return answer, [f"ZeRO {STAGES[v['stage']]} over N = {v['devices']}", line,
                    f"bytes per device = {number(per_param)} × {number(v['params'])} = {number(nbytes)} bytes",
                    converted]


# ---------------------------------------------------------------------------- communication
# Bytes each device sends on a ring, as a multiple of the whole array's bytes, for N devices.
RING_FACTORS = {"all-reduce": lambda n: 2 * (n - 1) / n, "all-gather": lambda n: (n - 1) / n,
                "reduce-scatter": lambda n: (n - 1) / n}


@kind("ring", 1, lambda rng, level: {"collective": rng.choice(list(RING_FACTORS)),
                                     "devices": rng.choice([2, 4, 8, 16, 64]),
                                     "size_gb": rng.choice([0.5, 1.4, 2.8, 14, 26, 140]), "unit": "GB"},
      lambda v: (f"A ring {v['collective']} over {v['devices']} devices of an array of {number(v['size_gb'])} GB "
                 f"(the whole array): how many bytes does each device send? {_in(v['unit'])}"))
def _ring(v: dict) -> Working:
    n = v["devices"]
    nbytes = RING_FACTORS[v["collective"]](n) * v["size_gb"] * 1e9
    factor = "2(N−1)/N" if v["collective"] == "all-reduce" else "(N−1)/N"
    answer, converted = _converted(nbytes, v["unit"], "bytes")
    return answer, [f"{v['collective']} on a ring: each device sends {factor} × the array",
                    f"= {number(RING_FACTORS[v['collective']](n))} × {number(v['size_gb'])} GB "
                    f"with N = {n}", converted]


@kind("bubble", 2, lambda rng, level: {"stages": rng.choice([2, 4, 8, 16]), "microbatches": rng.choice([4, 8, 16, 32, 64])},
      lambda v: (f"A pipeline of {v['stages']} stages runs {v['microbatches']} microbatches per step (GPipe or 1F1B). "
                 "What fraction of the step does a stage sit idle in the bubble? Answer as a fraction, "
                 "e.g. 0.25."))
def _bubble(v: dict) -> Working:
    p, m = v["stages"], v["microbatches"]
    answer = (p - 1) / (m + p - 1)
    return answer, [f"bubble = (p − 1) / (m + p − 1) = ({p} − 1) / ({m} + {p} − 1) = {p - 1}/{m + p - 1} "
                    f"= {number(answer)}",
                    "p − 1 microbatch slots fill the pipeline and p − 1 drain it"]


# ---------------------------------------------------------------------------- serving
def _kv_values(rng: random.Random, level: int) -> dict:
    layers, heads = rng.choice([(32, 32), (40, 40), (48, 64), (80, 64), (96, 96), (126, 128)])
    attention = rng.choice(["MHA", "GQA", "MQA"][: level])
    kv_heads = {"MHA": heads, "GQA": 8, "MQA": 1}[attention]
    return {"layers": layers, "heads": heads, "kv_heads": kv_heads, "attention": attention,
            "head_dim": 128, "batch": rng.choice([1, 4, 8, 32]), "seq_len": rng.choice([2048, 4096, 8192, 32768, 131072]),
            "dtype": rng.choice(["bf16", "bf16", "fp8"] if level == 3 else ["bf16"]), "unit": "GiB"}


@kind("kv-cache", 1, _kv_values,
      lambda v: (f"A model with {v['layers']} layers, {v['heads']} query heads and {v['kv_heads']} KV heads "
                 f"({v['attention']}), head size {v['head_dim']}, serves batch {v['batch']} at "
                 f"{v['seq_len']} tokens of context with a {v['dtype']} KV cache. How big is the cache? "
                 f"{_in(v['unit'])}"))
def _kv_cache(v: dict) -> Working:
    s = ITEMSIZE[v["dtype"]]
    nbytes = 2 * v["batch"] * v["seq_len"] * v["layers"] * v["kv_heads"] * v["head_dim"] * s
    answer, converted = _converted(nbytes, v["unit"], "bytes")
    return answer, ["bytes = 2 (K and V) · batch · seq_len · layers · kv_heads · head_dim · itemsize",
                    f"= 2 × {v['batch']} × {v['seq_len']} × {v['layers']} × {v['kv_heads']} × {v['head_dim']} "
                    f"× {s} = {number(nbytes)} bytes", converted]


DEVICE_BYTES = 80 * 2**30  # an "80 GB" accelerator holds 80 GiB


def tensor_parallel_degree(weight_bytes: float) -> int:
    """The fewest accelerators, a power of two, whose 80 GiB hold 1/N of the weights each with a quarter to spare."""
    n = 1
    while weight_bytes / n > 0.75 * DEVICE_BYTES:
        n *= 2
    return n


def _decode_values(rng: random.Random, level: int) -> dict:
    _, bandwidth = rng.choice(ACCELERATORS)
    params = rng.choice(PARAMS[2:])
    return {"params": params, "bandwidth": bandwidth, "dtype": "bf16", "unit": "ms",
            "devices": tensor_parallel_degree(ITEMSIZE["bf16"] * params)}


def _decode_where(v: dict) -> str:
    if v["devices"] == 1:
        return "runs on one 80 GB accelerator"
    return (f"is split by tensor parallelism over {v['devices']} accelerators of 80 GB (its weights do not fit "
            f"one), each reading its 1/{v['devices']} of the weights")


@kind("decode-time", 2, _decode_values,
      lambda v: (f"Decoding at batch 1, a dense {_count(v['params'])}-parameter model in {v['dtype']} "
                 f"{_decode_where(v)} at {number(v['bandwidth'] / 1e12)} TB/s of memory bandwidth. At least how "
                 f"long does one token take, the KV cache and communication left out? {_in(v['unit'])}"))
def _decode_time(v: dict) -> Working:
    nbytes = ITEMSIZE[v["dtype"]] * v["params"]
    n = v["devices"]
    seconds = nbytes / (n * v["bandwidth"])
    answer, converted = _converted(seconds, v["unit"], "s")
    return answer, ["at batch 1 every weight is read once per token for 2 FLOPs: about 1 FLOP per byte, "
                    "far below the ridge, so memory-bound",
                    f"time = weight bytes / (devices × bandwidth) = {ITEMSIZE[v['dtype']]} × {number(v['params'])} / "
                    f"({n} × {number(v['bandwidth'])}) = {number(seconds)} s", converted]


# ---------------------------------------------------------------------------- serving a request (09)
# A 70B-class layout: 80 layers, 8 KV heads of 128; bf16 cache: 2 · 80 · 8 · 128 · 2 bytes a token.
KV_LAYOUTS = [(32, 8), (48, 8), (80, 8), (126, 8), (32, 32)]


def _ttft_values(rng: random.Random, level: int) -> dict:
    peak, bandwidth = rng.choice(ACCELERATORS)
    params = rng.choice(PARAMS[2:])
    return {"params": params, "batch": rng.choice([1, 4, 16]), "prompt": rng.choice([512, 2048, 8192]),
            "peak": peak, "bandwidth": bandwidth, "dtype": "bf16", "unit": "ms",
            "devices": tensor_parallel_degree(ITEMSIZE["bf16"] * params)}


@kind("ttft", 2, _ttft_values,
      lambda v: (f"Prefill: a dense {_count(v['params'])}-parameter model in {v['dtype']}, split over "
                 f"{v['devices']} accelerator(s) with a peak of {number(v['peak'] / 1e12)} TFLOP/s and "
                 f"{number(v['bandwidth'] / 1e12)} TB/s each, takes batch {v['batch']} of prompts of "
                 f"{v['prompt']} tokens. At least how long until the first token, attention's FLOPs and "
                 f"communication left out? {_in(v['unit'])}"))
def _ttft(v: dict) -> Working:
    n, s = v["devices"], ITEMSIZE[v["dtype"]]
    flops = 2 * v["params"] * v["batch"] * v["prompt"]
    compute, memory = flops / (n * v["peak"]), s * v["params"] / (n * v["bandwidth"])
    seconds = max(compute, memory)
    answer, converted = _converted(seconds, v["unit"], "s")
    return answer, [f"FLOPs = 2·P·batch·prompt = 2 × {number(v['params'])} × {v['batch']} × {v['prompt']} "
                    f"= {number(flops)} FLOP",
                    f"compute = FLOPs / (devices × peak) = {number(compute)} s; reading the weights once = "
                    f"{s} × {number(v['params'])} / ({n} × {number(v['bandwidth'])}) = {number(memory)} s",
                    f"the larger: {'compute' if compute >= memory else 'memory'}-bound, {number(seconds)} s",
                    converted]


def _tpot_values(rng: random.Random, level: int) -> dict:
    _, bandwidth = rng.choice(ACCELERATORS)
    params = rng.choice(PARAMS[2:])
    layers, kv_heads = rng.choice(KV_LAYOUTS)
    return {"params": params, "layers": layers, "kv_heads": kv_heads, "head_dim": 128, "batch": rng.choice([1, 8, 32, 64]),
            "context": rng.choice([1024, 4096, 32768]), "bandwidth": bandwidth, "dtype": "bf16", "unit": "ms",
            "devices": tensor_parallel_degree(ITEMSIZE["bf16"] * params)}


def _kv_token_line(v: dict) -> tuple[int, str]:
    s = ITEMSIZE[v["dtype"]]
    per_token = 2 * v["layers"] * v["kv_heads"] * v["head_dim"] * s
    return per_token, (f"cache per token = 2 · layers · kv_heads · head_dim · s = 2 × {v['layers']} × {v['kv_heads']} × "
                       f"{v['head_dim']} × {s} = {number(per_token)} bytes")


@kind("tpot", 2, _tpot_values,
      lambda v: (f"Decode: a dense {_count(v['params'])}-parameter model in {v['dtype']} ({v['layers']} layers, "
                 f"{v['kv_heads']} KV heads of {v['head_dim']}, a {v['dtype']} KV cache), split over {v['devices']} "
                 f"accelerator(s) of {number(v['bandwidth'] / 1e12)} TB/s, decodes batch {v['batch']} with "
                 f"{v['context']} tokens of context each. At least how long does a step (one token per sequence) "
                 f"take, reading the weights once and every sequence's cache, communication left out? "
                 f"{_in(v['unit'])}"))
def _tpot(v: dict) -> Working:
    per_token, line = _kv_token_line(v)
    s, n = ITEMSIZE[v["dtype"]], v["devices"]
    nbytes = s * v["params"] + v["batch"] * v["context"] * per_token
    seconds = nbytes / (n * v["bandwidth"])
    answer, converted = _converted(seconds, v["unit"], "s")
    return answer, ["a decode step is memory-bound: about 2·batch FLOPs per weight read, far below the ridge", line,
                    f"bytes = weights + batch · context · cache per token = {s} × {number(v['params'])} + {v['batch']} × "
                    f"{v['context']} × {number(per_token)} = {number(nbytes)} bytes",
                    f"time = bytes / (devices × bandwidth) = {number(nbytes)} / ({n} × {number(v['bandwidth'])}) "
                    f"= {number(seconds)} s", converted]


def _budget_values(rng: random.Random, level: int) -> dict:
    params = rng.choice(PARAMS[2:])
    return {"params": params, "dtype": "bf16", "memory_gb": 80, "unit": "GiB",
            "devices": tensor_parallel_degree(ITEMSIZE["bf16"] * params) * rng.choice([1, 2])}


@kind("kv-budget", 2, _budget_values,
      lambda v: (f"A dense {_count(v['params'])}-parameter model in {v['dtype']} is split by tensor parallelism over "
                 f"{v['devices']} accelerators of {v['memory_gb']} GB each. How much memory does each keep for the "
                 f"KV cache once its share of the weights is loaded (nothing else counted)? {_in(v['unit'])}"))
def _kv_budget(v: dict) -> Working:
    s, n = ITEMSIZE[v["dtype"]], v["devices"]
    capacity = v["memory_gb"] * 2**30
    nbytes = capacity - s * v["params"] / n
    answer, converted = _converted(nbytes, v["unit"], "bytes")
    return answer, [f"capacity is binary: {v['memory_gb']} GB holds {v['memory_gb']} × 2^30 = {number(capacity)} bytes",
                    f"budget = capacity − weights / devices = {number(capacity)} − {s} × {number(v['params'])} / {n} "
                    f"= {number(nbytes)} bytes", converted]


@kind("spec-tokens", 2, lambda rng, level: {"alpha": rng.choice([0.5, 0.6, 0.7, 0.8, 0.9]), "gamma": rng.choice([2, 3, 4, 5, 8])},
      lambda v: (f"Speculative decoding: a draft proposes {v['gamma']} tokens per step and each is accepted with "
                 f"probability {v['alpha']}, independently. How many tokens does a step emit on average, the bonus "
                 "token included? Answer in tokens."))
def _spec_tokens(v: dict) -> Working:
    a, g = v["alpha"], v["gamma"]
    answer = (1 - a ** (g + 1)) / (1 - a)
    return answer, [f"tokens per step = (1 − α^(γ+1)) / (1 − α) with α = {a}, γ = {g}: "
                    f"(1 − {a}^{g + 1}) / (1 − {a}) = {number(answer)}",
                    "1 + α + α² + … + α^γ: the k-th draft counts only when the k before it were all accepted"]


# ---------------------------------------------------------------------------- answers
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos}


def _arithmetic(node: ast.AST) -> float:
    """The value of a numbers-only expression (``2*4096**3``, ``6*7e9*2e12``); ValueError otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)  # floats overflow to an error, where huge ints would compute for ever
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_arithmetic(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _arithmetic(node.left), _arithmetic(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 100:
            raise ValueError("an exponent above 100")
        return _OPERATORS[type(node.op)](left, right)
    raise ValueError("only numbers and + - * / ** ( )")


def parse_answer(text: str) -> float | str:
    """``6.9e10``, ``68,700``, ``2*4096**3``, ``2^30``, ``15%`` -> a number; ``compute``/``memory(-bound)`` -> the word."""
    typed = text.strip().lower()
    word = typed.removesuffix("bound").strip(" -")
    if word in WORDS:
        return word
    hint = "type a number such as 6.9e10 or 2*4096**3, or the word compute or memory"
    if not typed:
        raise ValueError(hint)
    scale = 0.01 if typed.endswith("%") else 1
    body = typed.removesuffix("%").replace(",", "").replace("_", "").replace("^", "**").replace("×", "*")
    try:
        value = float(_arithmetic(ast.parse(body, mode="eval").body)) * scale
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError) as problem:
        raise ValueError(f"{text.strip()!r} is not a number ({problem or 'not arithmetic'}): {hint}") from None
    if not math.isfinite(value):
        raise ValueError(f"{text.strip()!r} is not a finite number: {hint}")
    return value


# given / expected -> the slip that multiplies an answer by it
SLIPS = {2**30 / 1e9: "looks like GiB vs GB: an accelerator's GB hold 2^30 bytes, a GB of traffic 1e9",
         1e9 / 2**30: "looks like GB vs GiB: an accelerator's GB hold 2^30 bytes, a GB of traffic 1e9",
         2**20 / 1e6: "looks like MiB vs MB (2^20 against 1e6 bytes)", 1e6 / 2**20: "looks like MB vs MiB (1e6 against 2^20 bytes)",
         8: "looks like bits vs bytes (a byte is 8 bits)", 1 / 8: "looks like bytes vs bits (a byte is 8 bits)",
         2: "twice the answer: a multiply-add is 2 FLOPs, not 4? or keys and values counted twice?",
         1 / 2: "half the answer: a multiply-add is 2 FLOPs; the KV cache holds keys and values",
         3: "three times the answer: 6·P·T counts forward and backward together", 1 / 3: "a third of the answer: "
         "training is 6·P·T (2 forward, 4 backward), not 2·P·T",
         **{10.0**k: f"off by 10^{k}: FLOP vs GFLOP or TFLOP, bytes vs MB or GB, s vs ms?" for k in (3, 6, 9, 12)},
         **{10.0**-k: f"off by 10^-{k}: FLOP vs GFLOP or TFLOP, bytes vs MB or GB, s vs ms?" for k in (3, 6, 9, 12)}}


def slip(expected: float | str, given: float | str) -> str:
    """The likely slip when ``given`` is ``expected`` times one of SLIPS' factors (within TOLERANCE), else ""."""
    if isinstance(expected, str) or isinstance(given, str) or expected == 0 or given / expected <= 0:
        return ""
    if close_enough(expected, given):
        return ""
    off = {factor: abs(math.log(given / expected / factor)) for factor in SLIPS}
    nearest = min(off, key=off.get)  # GB for GiB (1.074) and MB for MiB (1.049) are only 2.4% apart
    return SLIPS[nearest] if off[nearest] <= math.log1p(TOLERANCE) else ""


def close_enough(expected: float | str, given: float | str) -> bool:
    """A word must be the word; a number within TOLERANCE (relative) of the expected one."""
    if isinstance(expected, str) or isinstance(given, str):
        return expected == given
    return abs(given - expected) <= TOLERANCE * abs(expected)
