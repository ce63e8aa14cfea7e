"""Grading a class: serial `nbgrader autograde` against `mlgrind autograde --jobs 2`, at several sizes.

For each class size N the script builds N submissions of 01_broadcasting (mixed correct and wrong
answers) in throw-away course copies, grades one copy with plain serial nbgrader and another with
`mlgrind autograde --jobs 2` (both on SQLite), and, when PostgreSQL's server is installed, a third
with `--jobs 2` on a throw-away PostgreSQL gradebook. It prints the times, the speed-up over serial
and the seconds per submission, then what the grading sandbox adds to each kernel's start (a
grading kernel started and ready, sandboxed and not, in the same run).
Usage: python benchmarks/class_autograde.py [--sizes 10 40 160] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
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
from pgcluster import Cluster, server_bin  # noqa: E402
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


def timed(args: list[str], cwd: Path, db_url: str = "") -> float:
    environment = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    environment.pop("MLGRIND_DB_URL", None)
    if db_url:
        environment["MLGRIND_DB_URL"] = db_url
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, capture_output=True, env=environment)
    return time.perf_counter() - start


# One grading kernel started until it answers, then shut down; prints the median seconds of N starts.
KERNEL_START = """
import asyncio, statistics, sys, time
from mlgrind.grading.kernels import GradingKernelManager

async def start_and_stop():
    km = GradingKernelManager(kernel_name="python3")
    start = time.perf_counter()
    await km.start_kernel(extra_arguments=["--IPKernelApp.log_level=ERROR", "--HistoryManager.hist_file=:memory:"])
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=120)
    took = time.perf_counter() - start
    kc.stop_channels()
    await km.shutdown_kernel(now=True)
    return took

print(statistics.median(asyncio.run(start_and_stop()) for _ in range(int(sys.argv[1]))))
"""


def kernel_start_seconds(sandbox: str, cwd: Path, starts: int = 5) -> float | None:
    """Median start-up of a grading kernel with ``MLGRIND_SANDBOX=sandbox``; None if it cannot start."""
    environment = dict(os.environ, MLGRIND_SANDBOX=sandbox)
    done = subprocess.run([sys.executable, "-c", KERNEL_START, str(starts)], cwd=cwd, env=environment,
                          capture_output=True, text=True)
    return float(done.stdout.split()[-1]) if done.returncode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 40, 160])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    jobs = ["autograde", ASSIGNMENT, "--jobs", str(args.jobs)]

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cluster = Cluster(Path(tempfile.mkdtemp(prefix="mlgrind-pg-"))).start() if server_bin() else None
        try:
            for size in tqdm(args.sizes, desc="class sizes"):
                kinds = ["serial", "sqlite"] + (["postgresql"] if cluster else [])
                courses, urls = {}, {}
                for kind in kinds:
                    course = copy_course(Path(tmp) / f"{kind}-{size}")
                    make_class(course, size)
                    urls[kind] = cluster.database() if kind == "postgresql" else ""
                    timed([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"], course, urls[kind])
                    courses[kind] = course
                serial = timed([str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--force"], courses["serial"])
                sqlite = timed([str(BIN / "mlgrind"), *jobs], courses["sqlite"])
                pg = timed([str(BIN / "mlgrind"), *jobs], courses["postgresql"], urls["postgresql"]) if cluster else None
                rows.append((size, serial, sqlite, pg))
            sandboxed = kernel_start_seconds("require", Path(tmp))
            bare = kernel_start_seconds("off", Path(tmp))
        finally:
            if cluster:
                cluster.stop()

    j = args.jobs
    print(f"{'N':>5}  {'serial s':>9}  {f'jobs={j} s':>9}  {'speed-up':>8}  {'s/sub serial':>12}  "
          f"{f's/sub jobs={j}':>12}  {f'PostgreSQL jobs={j} s':>20}")
    for size, serial, sqlite, pg in rows:
        pg_text = f"{pg:>9.1f} ({serial / pg:.2f}x)" if pg else "not installed"
        print(f"{size:>5}  {serial:>9.1f}  {sqlite:>9.1f}  {serial / sqlite:>7.2f}x  {serial / size:>12.2f}  "
              f"{sqlite / size:>12.2f}  {pg_text:>20}")
    if sandboxed is None:
        print("grading kernel start: the sandbox is not available here (bubblewrap missing?)")
    else:
        print(f"grading kernel start: {sandboxed:.2f} s sandboxed, {bare:.2f} s without the sandbox "
              f"(the sandbox's cost per kernel: {sandboxed - bare:+.2f} s)")


if __name__ == "__main__":
    main()
