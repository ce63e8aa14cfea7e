"""The ``cost`` drill (07): FLOPs, bytes, memory, communication and time, right within 3%.

Its questions, answers and working come from recall.costdrill; a family is a set of its kinds.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from .. import costdrill
from .registry import Question, family, topic


def _kinds(*kinds: str) -> Callable[[Question], bool]:
    return lambda q: q.expr in kinds


@topic("cost", "FLOPs, bytes, memory, communication and time of training and serving (within 3%)",
       notebook="07_scaling_math", explain=lambda q: "\n".join(costdrill.solve(q.expr, q.values)[1]),
       parse=costdrill.parse_answer, check=costdrill.close_enough, slip=costdrill.slip, oracle="the formula",
       placeholder="6.9e10, 2*4096**3  or  memory", families=[
           family("cost-roofline", "matmul FLOPs, bytes and the roofline", level=2,
                  holds=_kinds("matmul-flops", "matmul-bytes", "intensity", "bound")),
           family("cost-compute", "training FLOPs and GPU-days", level=2, holds=_kinds("train-flops", "gpu-days")),
           family("cost-memory", "Adam memory and ZeRO stages", level=2, holds=_kinds("adam-bytes", "zero-bytes")),
           family("cost-communication", "ring collectives and the pipeline bubble", level=2,
                  holds=_kinds("ring", "bubble")),
           family("cost-serving", "KV cache and decode time", level=2, holds=_kinds("kv-cache", "decode-time")),
           family("cost-inference", "TTFT, time per token, KV budget and speculative tokens per step", level=2,
                  holds=_kinds("ttft", "tpot", "kv-budget", "spec-tokens")),
       ])
def generate(rng: random.Random, level: int) -> Question:
    kind, values = costdrill.draw(rng, level)
    answer, _ = costdrill.solve(kind, values)
    return Question("", kind, {}, answer, values, costdrill.say(kind, values))
