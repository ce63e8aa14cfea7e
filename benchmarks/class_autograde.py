"""Grading a class: serial `nbgrader autograde` against `mlgrind autograde --jobs 2`, at several sizes.

For each class size N the script builds N submissions of 01_broadcasting (mixed correct and wrong
answers) in two throw-away course copies, grades one copy with plain serial nbgrader and the other
with `mlgrind autograde --jobs 2`, and prints both times, the speed-up and the seconds per
submission. Usage: python benchmarks/class_autograde.py [--sizes 10 40 160] [--jobs 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from tqdm import tqdm

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "answers")]
from answers_01_broadcasting import WRONG  # noqa: E402
from support import copy_course, replace_solution, solved  # noqa: E402

ASSIGNMENT = "01_broadcasting"
BIN = Path(sys.executable).parent


def make_class(course: Path, size: int) -> None:
    """``size`` submissions: every other one correct, the rest cycling through the wrong answers."""
    wrong = list(WRONG.values())
    for i in range(size):
        nb = solved(course, ASSIGNMENT)
        if i % 2:
            solution_id, _test_id, code = wrong[(i // 2) % len(wrong)]
            nb = replace_solution(nb, solution_id, code)
        folder = course / "autograder" / "submitted" / f"student-{i:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / f"{ASSIGNMENT}.ipynb"))


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 40, 160])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in tqdm(args.sizes, desc="class sizes"):
            courses = {}
            for kind in ("serial", "parallel"):
                course = copy_course(Path(tmp) / f"{kind}-{size}")
                make_class(course, size)
                subprocess.run([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"],
                               cwd=course, check=True, capture_output=True)
                courses[kind] = course
            serial = timed([str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--force"], courses["serial"])
            parallel = timed([str(BIN / "mlgrind"), "autograde", ASSIGNMENT, "--jobs", str(args.jobs)],
                             courses["parallel"])
            rows.append((size, serial, parallel))

    print(f"{'N':>5}  {'serial s':>9}  {'jobs=' + str(args.jobs) + ' s':>9}  {'speed-up':>8}  "
          f"{'s/sub serial':>12}  {'s/sub jobs':>10}")
    for size, serial, parallel in rows:
        print(f"{size:>5}  {serial:>9.1f}  {parallel:>9.1f}  {serial / parallel:>7.2f}x  "
              f"{serial / size:>12.2f}  {parallel / size:>10.2f}")


if __name__ == "__main__":
    main()
