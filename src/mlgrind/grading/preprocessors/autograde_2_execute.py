"""``Execute``: nbgrader's, in a sandboxed and guarded kernel, going on past a cell that breaks it."""

from __future__ import annotations

import asyncio
import os
from queue import Empty

import nbformat
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute as _NbgraderExecute


class Execute(_NbgraderExecute):
    """nbgrader's Execute, in a sandboxed and guarded kernel, and carrying on where nbgrader stops.

    - Kernels are ``kernels.GradingKernelManager``'s: sandboxed where bubblewrap runs, with the
      ``guard`` installed before the first cell, and started again (a few times) when one fails to
      start. A kernel ``mlgrind grade`` started ahead of time (``grading.kernels``) is used if there is one.
    - After every cell the guard is asked what changed. A cell that replaced what the hidden tests
      rely on, hid a failed check, called ``exit()``, killed the kernel, or ignored the interrupt at
      its time limit gets an error naming that, in its own outputs; the kernel is restarted, the cells
      above are run again without every such cell, and grading goes on. nbgrader alone would blame the
      next cell, replay the culprit, or stop and score the whole notebook zero.
    """

    def __init__(self, *args, **kwargs):
        from ..kernels import GradingKernelManager

        kwargs.setdefault("kernel_manager_class", GradingKernelManager)
        super().__init__(*args, **kwargs)
        self._culprits: set[int] = set()
        self._failed_checks = 0
        self._exit_asked = False

    _uses_warm_kernel = False

    def create_kernel_manager(self):
        from .. import kernels

        kernel_name = self.kernel_name or self.nb.metadata.get("kernelspec", {}).get("name")
        km = kernels.take(kernel_name)
        if km is None:
            self._uses_warm_kernel = False
            return super().create_kernel_manager()
        self._uses_warm_kernel = True
        self.km = km
        return km

    def _enter_notebook_folder(self, kc) -> None:
        path = self.resources.get("metadata", {}).get("path")
        if not (self._uses_warm_kernel and path):
            return
        provisioner = getattr(self.km, "provisioner", None)
        if hasattr(provisioner, "fill_scratch"):
            provisioner.fill_scratch(os.path.abspath(path))  # the sandbox's working folder is its scratch
        else:
            # Run where nbgrader would have started the kernel: the notebook's own folder.
            kc.execute(f"__import__('os').chdir({os.path.abspath(path)!r})", silent=True, store_history=False)

    async def async_start_new_kernel_client(self):
        from ..kernels import START_ATTEMPTS

        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                kc = await super().async_start_new_kernel_client()
                break
            except Exception:
                if attempt == START_ATTEMPTS:
                    raise
                self.log.warning("The kernel did not start (attempt %d of %d); starting another", attempt, START_ATTEMPTS)
                self._uses_warm_kernel = False
                self.km = super().create_kernel_manager()
                await self.async_start_new_kernel()
        self._enter_notebook_folder(kc)
        return kc

    # nbclient binds its sync wrapper to the base class's coroutine; bind it to ours.
    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        payload = kwargs["execute_reply"].get("content", {}).get("payload", [])
        self._exit_asked = any(p.get("source") == "ask_exit" and not p.get("keepkernel") for p in payload)

    def preprocess_cell(self, cell, resources, index):
        self._exit_asked = False
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            return self._blame(cell, index, "DeadKernelError", DEAD_KERNEL_MESSAGE)
        except CellTimeoutError:
            # The interrupt sent at the time limit was ignored: the kernel is still busy with this cell.
            return self._blame(cell, index, "InterruptIgnored", INTERRUPT_IGNORED_MESSAGE)
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if self._exit_asked:
            return self._blame(cell, index, "KernelExited", EXIT_MESSAGE)
        problem = self._ask_guard(cell)
        if problem:
            return self._blame(cell, index, "Tampering", problem, f"{problem} {TAMPERING_MESSAGE}")
        return cell, resources

    def _blame(self, cell, index: int, ename: str, message: str, explanation: str = ""):
        """Fail ``cell`` with ``ename: message``, then go on in a new kernel that never runs it."""
        shown = f"{ename}: {explanation or message}"
        cell.outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=message, traceback=[shown]))
        self.log.warning("%s in cell %s; restarting the kernel without it", ename, index)
        self._culprits.add(index)
        self._restart_and_replay(index)
        return cell, self.resources

    def _ask_guard(self, cell) -> str:
        """What the guard found since the last cell, in one sentence ("" if nothing)."""
        from .. import guard
        from ..kernels import new_nonce

        key = getattr(self.km, "guard_key", b"")
        if not key:
            return ""  # a kernel not started by GradingKernelManager has no guard
        nonce = new_nonce()
        try:
            value = run_sync(self._async_user_expression)(guard.request(nonce))
        except TimeoutError:
            return "the kernel did not answer the grader after this cell."
        found = guard.read(value, nonce, key)
        if found is None:
            return "the grading guard's answer was missing or forged after this cell."
        failed, changes = found
        hidden = failed > self._failed_checks and not any(o.get("output_type") == "error" for o in cell.outputs)
        self._failed_checks = failed
        if changes:
            shown = "; ".join(changes[:3]) + (f" (+{len(changes) - 3} more)" if len(changes) > 3 else "")
            return f"{shown}."
        if hidden:
            return "a failed check raised no error (the failure was hidden)."
        return ""

    async def _async_user_expression(self, expression: str) -> str:
        """The text of ``expression`` evaluated in the kernel after nothing else, without a trace in its history."""
        timeout = max(float(self.timeout or 60), 30.0)
        msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions={"value": expression})
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=remaining)
            except Empty:
                raise TimeoutError from None
            if msg["parent_header"].get("msg_id") == msg_id:
                value = msg["content"].get("user_expressions", {}).get("value", {})
                return value.get("data", {}).get("text/plain", "") if value.get("status") == "ok" else ""

    def _restart_and_replay(self, index: int) -> None:
        run_sync(self.km.restart_kernel)(now=True)
        run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
        self._failed_checks = 0
        self._enter_notebook_folder(self.kc)
        for number, earlier in enumerate(self.nb.cells[:index]):
            if earlier.cell_type == "code" and number not in self._culprits:
                run_sync(self.kc.execute_interactive)(
                    earlier.source, store_history=False, output_hook=lambda msg: None, timeout=self.timeout
                )
                self._ask_guard(earlier)


DEAD_KERNEL_MESSAGE = (
    "the kernel died while running this cell (os._exit, a crash, or running out of memory); "
    "it was restarted, the cells above were run again, and grading went on"
)
EXIT_MESSAGE = (
    "this cell called exit(), which ends the kernel; the kernel was restarted without this cell, "
    "and grading went on"
)
INTERRUPT_IGNORED_MESSAGE = (
    "this cell ran past its time limit and ignored the interrupt (an except clause catching "
    "KeyboardInterrupt?); its kernel was replaced, the cells above were run again without it, "
    "and grading went on"
)
TAMPERING_MESSAGE = (
    "What the hidden tests rely on must not be changed: the kernel was restarted without this cell, "
    "and grading went on."
)
