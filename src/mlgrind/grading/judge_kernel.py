"""The judge's kernel: where the hidden tests and the course's own cells run, apart from the student's code.

A plain local kernel (it never runs student code, so it needs no sandbox), started while the
student's kernel boots. ``open_line`` has the student's kernel listen on a socket in its own scratch
folder and the judge connect to it: from then on the judge reaches the student's names only as
``judge.judge_side`` proxies and plain data, and reads the memory each call held at its peak where
the grader says (the sandbox's memory control group, else the kernel's process: ``judge.peak``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from .sandbox import JUDGE_PREFIX, short_temp_folder
from .zmq_context import shared_context

SIDE = "__import__('mlgrind.judge.{0}').judge.{0}"
JUDGE_SIDE = SIDE.format("judge_side")
STUDENT_SIDE = SIDE.format("student_side")


class JudgeKernel:
    """A judge's kernel for one notebook: ``start``, ``open_line`` to a student's kernel, ``run``, ``stop``."""

    def __init__(self, kernel_name: str, cwd: str, startup_timeout: float = 60):
        self.startup_timeout = startup_timeout
        # Private (0700): the kernel's sockets and connection file (its key). Named by this process, so a
        # later grader removes it if this one is killed first (``sandbox.sweep``).
        self._folder = tempfile.mkdtemp(prefix=f"{JUDGE_PREFIX}{os.getpid()}-", dir=short_temp_folder())
        self.km = AsyncKernelManager(kernel_name=kernel_name or "python3", transport="ipc", context=shared_context(),
                                     ip=os.path.join(self._folder, "s"),
                                     connection_file=os.path.join(self._folder, "c.json"))
        env = {**os.environ, "NBGRADER_EXECUTION": "autograde", "MPLBACKEND": "agg"}
        # What every test imports, imported while the kernel boots (ahead of the grade, when warm).
        preload = f"--IPKernelApp.exec_lines=import numpy, mlgrind.checks; {JUDGE_SIDE}"
        run_sync(self.km.start_kernel)(cwd=cwd, env=env,
                                       extra_arguments=["--HistoryManager.hist_file=:memory:", preload])
        self.kc = self.km.client(context=shared_context())
        self.kc.start_channels()
        self._ready = False

    def enter(self, folder: str) -> None:
        """Work in ``folder`` (the notebook's), as a kernel started for this notebook would."""
        self.run(f"__import__('os').chdir({folder!r})")

    def is_alive(self) -> bool:
        return run_sync(self.km.is_alive)()

    def wait_ready(self) -> None:
        if not self._ready:
            run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
            self._ready = True

    def run(self, code: str, timeout: float = 60, expression: str = "") -> str:
        """Run ``code`` silently; the text of ``expression`` afterwards ("" if none or it failed)."""
        self.wait_ready()
        return run_silently(self.kc, code, timeout, expression)

    def open_line(self, student_kc, provisioner, solution_sources: list[str], timeout: float = 60) -> bool:
        """Have the student's kernel listen and the judge connect, told where that kernel's memory is read
        (``meter_spec``); whether the line is up."""
        path = self._socket_path(provisioner)
        run_silently(student_kc, f"{STUDENT_SIDE}.serve({path!r})", timeout)
        sources = json.dumps(solution_sources)
        meter = meter_spec(provisioner)
        answer = self.run(f"{JUDGE_SIDE}.connect({path!r}, __import__('json').loads({sources!r}), meter={meter!r})",
                          timeout, expression=f"{JUDGE_SIDE}.healthy()")
        return answer == "True"

    def sync(self, timeout: float = 60) -> bool:
        """Bring the student's names into the judge; whether the student's kernel still answers."""
        return self.run(f"{JUDGE_SIDE}.sync(globals())", timeout, expression=f"{JUDGE_SIDE}.healthy()") == "True"

    def _socket_path(self, provisioner) -> str:
        scratch = getattr(provisioner, "scratch", None)
        if scratch is not None:
            return str(Path(scratch) / "k" / "j")  # the sockets' folder, writable inside the sandbox
        return os.path.join(self._folder, "j")

    def stop(self) -> None:
        try:
            self.kc.stop_channels()
            run_sync(self.km.shutdown_kernel)(now=True)
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)

    def restart(self) -> None:
        run_sync(self.km.restart_kernel)(now=True)
        self._ready = False
        self.wait_ready()


def meter_spec(provisioner) -> dict:
    """Where the judge reads the memory the student's kernel holds (``judge.peak``), from what the grader
    made, never from the student's kernel: its sandbox's memory control group, else its process."""
    groups = getattr(provisioner, "groups", None)
    if groups is not None:
        return {"cgroup": str(groups.memory)}
    if hasattr(provisioner, "kernel_pid"):
        pid = provisioner.kernel_pid()  # inside bubblewrap: its process outside the sandbox's namespace
    else:
        pid = getattr(getattr(provisioner, "process", None), "pid", None)  # a local kernel: the process itself
    return {"pid": int(pid)} if isinstance(pid, int) else {}


def run_silently(kc, code: str, timeout: float, expression: str = "") -> str:
    """Run ``code`` in ``kc``'s kernel without history or output; the text of ``expression`` after it."""
    expressions = {"value": expression} if expression else {}
    reply = run_sync(kc.execute_interactive)(code, silent=True, store_history=False, user_expressions=expressions,
                                             output_hook=lambda msg: None, timeout=timeout)
    value = reply.get("content", {}).get("user_expressions", {}).get("value", {})
    return value.get("data", {}).get("text/plain", "") if value.get("status") == "ok" else ""
