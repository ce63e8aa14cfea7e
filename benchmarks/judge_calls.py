"""What the judge's split costs per call: a student's function called through the judge's proxy.

A student process serves its functions on a Unix socket, as a sandboxed grading kernel does, and this
process calls them through ``judge_side``'s proxies; the same functions called in this process are the
baseline, measured in the same run. It prints the median cost of one call for a few argument sizes
(a shape tuple as in 01's ``broadcast_shape``, small and larger float arrays, and a call that calls a
judge function back), and the ratio to a direct call.
Usage: python benchmarks/judge_calls.py [--calls N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mlgrind.judge import judge_side

FUNCTIONS = '''
import numpy as np

def broadcast_shape(*shapes):
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for axis, n in enumerate((1,) * (ndim - len(s)) + tuple(s)):
            out[axis] = n if out[axis] == 1 else out[axis]
    return tuple(out)

def standardize(x_BF, eps=1e-5):
    return (x_BF - x_BF.mean(0)) / np.sqrt(x_BF.var(0) + eps)

def twice(f, x):
    return f(x) + f(x)
'''

STUDENT = FUNCTIONS + '''
import time
import mlgrind.judge.student_side as side
side.serve(PATH)
print("ready", flush=True)
time.sleep(3600)
'''


def per_call(fn, args, calls: int) -> float:
    """Median seconds per call of ``fn(*args)`` over ``calls`` calls, timed in 10 batches."""
    batch = max(calls // 10, 1)
    times = []
    for _ in range(10):
        start = time.perf_counter()
        for _ in range(batch):
            fn(*args)
        times.append((time.perf_counter() - start) / batch)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    calls = parser.parse_args().calls

    local: dict = {}
    exec(FUNCTIONS, local)
    rng = np.random.default_rng(0)
    cases = [
        ("broadcast_shape((9, 1, 3), (4, 1))", "broadcast_shape", ((9, 1, 3), (4, 1))),
        ("standardize of a (8, 4) float64 array", "standardize", (rng.normal(size=(8, 4)),)),
        ("standardize of a (512, 256) float64 array", "standardize", (rng.normal(size=(512, 256)),)),
        ("a call that calls a judge function back twice", "twice", (lambda x: x + 1, 1)),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "j")
        student = subprocess.Popen([sys.executable, "-c", STUDENT.replace("PATH", repr(path))],
                                   stdout=subprocess.PIPE, text=True)
        try:
            assert student.stdout.readline().strip() == "ready"
            judge_side.connect(path, [FUNCTIONS])
            proxies: dict = {}
            judge_side.sync(proxies)
            for what, name, args in tqdm(cases, desc="cases"):
                direct = per_call(local[name], args, calls)
                proxied = per_call(proxies[name], args, calls)
                tqdm.write(f"{what}: {proxied * 1e6:8.0f} us through the judge, {direct * 1e6:8.1f} us direct, "
                      f"{proxied - direct:.2e} s added per call ({proxied / direct:.0f}x)")
        finally:
            student.kill()
            student.wait()


if __name__ == "__main__":
    main()
