"""A grading kernel started early, so it boots while the grader is still importing nbgrader.

``start`` launches the kernel nbgrader's Execute would launch (same kernel, arguments and
environment); ``mlgrind.grading.preprocessors.Execute`` takes it with ``take``; ``stop`` ends one left unused.
"""

from __future__ import annotations

import asyncio
import os

from ..course import Course

_ready: list = []


def start(course: Course, kernel_name: str = "python3"):
    """Start a kernel for the next autograde in this process; returns its manager, or None."""
    from jupyter_client.manager import AsyncKernelManager

    execute = course.settings.config.Execute
    extra = list(execute.get("extra_arguments", [])) + ["--HistoryManager.hist_file=:memory:"]
    env = {**os.environ, "NBGRADER_EXECUTION": "autograde"}
    km = AsyncKernelManager(kernel_name=kernel_name)
    try:
        asyncio.run(km.start_kernel(extra_arguments=extra, cwd=str(course.autograder), env=env))
    except Exception:
        return None  # nbgrader will start its own
    _ready.append(km)
    return km


def take(kernel_name: str | None):
    """Hand over a started kernel of ``kernel_name``, if there is one."""
    for km in _ready:
        if km.kernel_name == kernel_name:
            _ready.remove(km)
            return km
    return None


def stop() -> None:
    """Shut down every kernel that was started and never taken."""
    while _ready:
        km = _ready.pop()
        asyncio.run(km.shutdown_kernel(now=True))
