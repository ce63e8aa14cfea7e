"""Self-grade speed: `mlgrind grade 01` against a bare `jupyter nbconvert --execute` of the same notebook.

Three commands run, interleaved, on a solved learner notebook in a throw-away copy of the course:
a repeated grade answered by the course's warm grader, the same grade in its own process
(``MLGRIND_WARM=0``, as every first grade is), and nbconvert. Before each warm grade the warm grader
has booted its next kernel (as it has whenever a learner has spent a moment on their notebook); the
script waits for that outside the timings. It prints each median wall time and the ratios to
nbconvert's (below 1.0 means grading is faster than merely executing the notebook).
Usage: python benchmarks/selfgrade.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support import copy_course, solved, stop_warm_grader  # noqa: E402

from mlgrind.grading import warm  # noqa: E402

ASSIGNMENT = "01_broadcasting"
BIN = Path(sys.executable).parent


def timed(args: list[str], cwd: Path, **env: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **env})
    elapsed = time.perf_counter() - start
    assert "warm grader" not in done.stderr, done.stderr  # a warm grade that fell back would not count
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs

    with tempfile.TemporaryDirectory() as tmp:
        course = copy_course(Path(tmp) / "course")
        learner = course / "notebooks" / f"{ASSIGNMENT}.ipynb"
        nbformat.write(solved(course, ASSIGNMENT), str(learner))
        grade = [str(BIN / "mlgrind"), "grade", "01"]
        execute = [str(BIN / "jupyter"), "nbconvert", "--to", "notebook", "--execute", str(learner),
                   "--output", str(Path(tmp) / "executed.ipynb")]
        try:
            timed(grade, course, MLGRIND_WARM="1")  # the first grade fills the gradebook and starts the warm grader
            timed(execute, course)
            assert warm.ping(course) is not None, "the warm grader did not start"
            times = {"warm": [], "cold": [], "execute": []}
            for _ in tqdm(range(runs), desc="interleaved runs"):
                times["warm"].append(timed(grade, course, MLGRIND_WARM="1"))
                assert warm.ping(course) is not None, "the warm grader stopped"  # its next kernel is booted
                times["cold"].append(timed(grade, course, MLGRIND_WARM="0"))
                times["execute"].append(timed(execute, course))
        finally:
            stop_warm_grader(course)

    warm_s, cold_s, execute_s = (statistics.median(times[k]) for k in ("warm", "cold", "execute"))
    print(f"mlgrind grade 01, warm grader (autograde + feedback + table): median {warm_s:.2f} s")
    print(f"mlgrind grade 01, in its own process (MLGRIND_WARM=0):        median {cold_s:.2f} s")
    print(f"jupyter nbconvert --execute (same notebook):                  median {execute_s:.2f} s")
    print(f"ratio, warm: {warm_s / execute_s:.2f}x; in its own process: {cold_s / execute_s:.2f}x")


if __name__ == "__main__":
    main()
