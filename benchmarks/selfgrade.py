"""Self-grade speed: `mlgrind grade 01` against a bare `jupyter nbconvert --execute` of the same notebook.

Both run, interleaved, on a solved learner notebook in a throw-away copy of the course; the script
prints each median wall time and their ratio (below 1.0 means grading is faster than merely
executing the notebook). Usage: python benchmarks/selfgrade.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support import copy_course, solved  # noqa: E402

ASSIGNMENT = "01_broadcasting"
BIN = Path(sys.executable).parent


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


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
        timed(grade, course)  # the first grade also fills the gradebook
        timed(execute, course)
        times = {"grade": [], "execute": []}
        for _ in tqdm(range(runs), desc="interleaved runs"):
            times["grade"].append(timed(grade, course))
            times["execute"].append(timed(execute, course))

    grade_s, execute_s = statistics.median(times["grade"]), statistics.median(times["execute"])
    print(f"mlgrind grade 01 (autograde + feedback + table): median {grade_s:.2f} s")
    print(f"jupyter nbconvert --execute (same notebook):      median {execute_s:.2f} s")
    print(f"ratio: {grade_s / execute_s:.2f}x")


if __name__ == "__main__":
    main()
