"""Shape-flow speed: a plan plus its diagram, against NumPy's own np.broadcast_shapes.

For random shape pairs of 1 to 8 dims (size-1 axes and clashes included), times
``broadcast(a, b)`` + ``broadcast_html`` and ``matmul(a, b)`` + ``matmul_html`` (what a widget
does on every keystroke) and ``np.broadcast_shapes(a, b)`` on the same inputs, and prints each
median per call and the ratio. Target: under 2 ms per plan + render.
Usage: python benchmarks/shapeflow.py [--cases N] [--repeat R]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import numpy as np

from mlgrind.shapes.rules import ShapeError, broadcast, matmul
from mlgrind.shapes.html import broadcast_html, matmul_html

TARGET_MS = 2.0


def pairs(count: int, seed: int = 0) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Shape pairs of 1-8 dims: the second is cut from the first, with 1s and clashes mixed in."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        a = tuple(rng.choice([1, 1, 2, 3, 4, 5, 7, 64]) for _ in range(rng.randint(1, 8)))
        b = list(a[len(a) - rng.randint(1, len(a)):])
        for axis in range(len(b)):
            roll = rng.random()
            b[axis] = 1 if roll < 0.3 else rng.randint(2, 9) if roll < 0.4 else b[axis]
        out.append((a, tuple(b)))
    return out


def per_call(fn, repeat: int) -> float:
    """Median seconds per call of ``fn()`` over ``repeat`` timed runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def plan_and_draw(plan, draw, *shapes):
    try:
        return draw(plan(*shapes))
    except ShapeError as clash:
        return draw(clash.plan, str(clash)) if clash.plan is not None else str(clash)


def numpy_broadcast(a, b):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    cases = pairs(args.cases)
    rows = {"broadcast plan + render": [], "matmul plan + render": [], "np.broadcast_shapes": []}
    for a, b in cases:  # interleaved, so a busy moment slows all three alike
        runs = {
            "broadcast plan + render": lambda: plan_and_draw(broadcast, broadcast_html, a, b),
            "matmul plan + render": lambda: plan_and_draw(matmul, matmul_html, a, b),
            "np.broadcast_shapes": lambda: numpy_broadcast(a, b),
        }
        for name, run in runs.items():
            rows[name].append(per_call(run, args.repeat))

    numpy_s = statistics.median(rows["np.broadcast_shapes"])
    print(f"{len(cases)} shape pairs of 1-8 dims, median per call of {args.repeat} runs each")
    for name, times in rows.items():
        median = statistics.median(times)
        worst = max(times)
        mark = "" if name.startswith("np.") else ("  ok (< 2 ms)" if median * 1e3 < TARGET_MS else "  SLOW (>= 2 ms)")
        print(f"{name:26s} median {median * 1e3:8.3f} ms  (slowest case {worst * 1e3:7.3f} ms)  "
              f"{median / numpy_s:7.1f}x NumPy{mark}")


if __name__ == "__main__":
    main()
