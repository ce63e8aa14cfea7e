"""Notebook speed: run every source notebook (solutions and hidden tests) with nbclient, timed.

Each notebook runs in a fresh kernel, as nbgrader's autograde runs it. The baseline is a one-cell
notebook that only imports numpy, so "× baseline" says how many kernel starts a notebook costs.
Runs are interleaved (baseline, then each notebook, repeated), and each figure is the median over
the runs. The table also shows the time spent in the graded test cells and the slowest cell.

Usage: python benchmarks/notebooks.py [ASSIGNMENT ...] [--runs N] [--timeout SECONDS]
(assignments by id or number, e.g. `04 05`; default: every notebook in source/).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from tqdm import tqdm

from mlgrind.course import Course

REPO = Path(__file__).resolve().parents[1]
BASELINE = "baseline (import numpy)"


def baseline_notebook():
    nb = new_notebook(cells=[new_code_cell("import numpy as np")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def cell_seconds(cell) -> float:
    """How long the kernel spent on ``cell``, from the timing nbclient records in its metadata."""
    timing = cell.metadata.get("execution", {})
    try:
        start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return 0.0
    return (end - start).total_seconds()


def execute(nb, folder: Path, timeout: int) -> dict:
    """Run ``nb`` in a fresh kernel; wall time, time in graded test cells, the slowest cell, errors."""
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(folder)}})
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    code = [c for c in nb.cells if c.cell_type == "code"]
    graded = [c for c in code if c.metadata.get("nbgrader", {}).get("grade")]
    slowest = max(code, key=cell_seconds)
    errors = [c.metadata.get("nbgrader", {}).get("grade_id", c.get("id", "?")) for c in code
              if any(o.output_type == "error" for o in c.outputs)]
    return {
        "wall": wall,
        "tests": sum(cell_seconds(c) for c in graded),
        "slowest": (slowest.metadata.get("nbgrader", {}).get("grade_id", slowest.get("id", "?")),
                    cell_seconds(slowest)),
        "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="ids or numbers (default: all in source/)")
    parser.add_argument("--runs", type=int, default=3, help="repetitions; the median is reported")
    parser.add_argument("--timeout", type=int, default=120, help="seconds one cell may run")
    args = parser.parse_args()

    course = Course(REPO)
    names = [course.resolve(a) for a in args.assignments] or course.assignments()
    jobs = [(BASELINE, baseline_notebook, REPO)] + [
        (name, (lambda n=name: nbformat.read(str(course.source_notebook(n)), as_version=4)),
         course.source_notebook(name).parent)
        for name in names
    ]
    results: dict[str, list[dict]] = {name: [] for name, _, _ in jobs}
    with tqdm(total=args.runs * len(jobs), desc="executing", unit="notebook") as bar:
        for _ in range(args.runs):
            for name, load, folder in jobs:
                bar.set_postfix_str(name)
                results[name].append(execute(load(), folder, args.timeout))
                bar.update()

    base = statistics.median(r["wall"] for r in results[BASELINE])
    width = max(len(name) for name in results)
    print(f"\n{'notebook':{width}}  {'median s':>8}  {'× baseline':>10}  {'test cells s':>12}  slowest cell")
    failed = False
    for name, runs in results.items():
        wall = statistics.median(r["wall"] for r in runs)
        line = f"{name:{width}}  {wall:8.2f}  {wall / base:9.2f}x"
        if name != BASELINE:
            tests = statistics.median(r["tests"] for r in runs)
            cell, seconds = max((r["slowest"] for r in runs), key=lambda s: s[1])
            line += f"  {tests:12.2f}  {cell} ({seconds:.2f} s)"
        print(line)
        errors = sorted({e for r in runs for e in r["errors"]})
        if errors:
            failed = True
            print(f"{'':{width}}  cells that raised: {', '.join(errors)}")
    print(f"\n{args.runs} interleaved run(s), Python {sys.version.split()[0]}; 'test cells' is the time "
          "spent in graded cells (the hidden tests), as the kernel measured it.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
