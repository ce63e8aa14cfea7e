"""Grading kernels: sandboxed, retried at start-up, and one started early.

``GradingKernelManager`` is the kernel manager of every grading run (``mlgrind grade``, ``check``,
``autograde`` and plain ``nbgrader autograde``, through ``preprocessors.Execute``). It launches the
kernel through ``sandbox.SandboxProvisioner`` where bubblewrap can run, and retries a kernel that
fails to start (a loaded machine can miss the start-up deadline).

``start`` launches, ahead of time, the kernel nbgrader's Execute would launch, so it boots while the
grader is still importing nbgrader; ``Execute`` takes it with ``take``; ``stop`` ends one left unused.
The warm grader (``warm``) calls ``keep_one_ready`` between grades, so each grade finds a fresh one.
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing.util
import os
import threading
import time
import uuid
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import Type, default

from . import sandbox
from .zmq_context import shared_context

START_ATTEMPTS = 3

_ready: list = []
_ready_judges: list = []


class GradingKernelClient(AsyncKernelClient):
    """An async kernel client that is ready as soon as the kernel answers, and may have been made ready
    ahead of time (``GradingKernelManager.get_ready_ahead``)."""

    ready_ahead = False

    @default("context")
    def _shared_context(self):
        return shared_context()

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        ahead, self.ready_ahead = self.ready_ahead, False
        if ahead and await self._async_is_alive():
            return
        await self._until_answered(timeout)

    wait_for_ready = _async_wait_for_ready

    async def _until_answered(self, timeout: float | None) -> None:
        """Ask for kernel_info until the reply comes on shell and the kernel's output reaches IOPub.

        jupyter_client's own wait then listens for 0.2 s more to drop stray output; the grader and
        nbclient read only what answers their own requests, so that pause is skipped.
        """
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass  # IOPub is not connected yet: ask again
                else:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


class GradingKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernels run sandboxed (when possible)."""

    started_ahead = False  # started before its submission is known: its sandbox gets no data until then

    @default("context")
    def _shared_context(self):
        return shared_context()

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None and sandbox.enabled():
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = sandbox.SandboxProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
        return await super()._async_pre_start_kernel(**kw)

    async def _async_start_kernel(self, **kw):
        for attempt in range(START_ATTEMPTS):
            try:
                return await super()._async_start_kernel(**kw)
            except Exception:
                if attempt + 1 == START_ATTEMPTS:
                    raise
                await self._async_cleanup_failed_start()

    async def _async_cleanup_failed_start(self) -> None:
        try:
            await self._async_shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - nothing was running, or it is gone already
            pass

    start_kernel = _async_start_kernel
    pre_start_kernel = _async_pre_start_kernel

    client_factory = Type(GradingKernelClient, klass=AsyncKernelClient)

    _early_client = None
    _early_thread: threading.Thread | None = None

    def get_ready_ahead(self, timeout: float = 60) -> None:
        """Connect the client nbclient will ask for, and wait until the kernel answers, in a thread.

        The wait ends with 0.2 s of listening for stray output; in a thread it overlaps the grader's
        own start-up instead of following it.
        """
        self._early_client = super().client()

        def wait() -> None:
            self._early_client.start_channels(hb=False)  # nbclient starts the heartbeat's thread itself
            try:
                asyncio.run(self._early_client.wait_for_ready(timeout=timeout))
            except Exception:  # noqa: BLE001 - nbclient waits again and reports what went wrong
                return
            self._early_client.ready_ahead = True

        self._early_thread = threading.Thread(target=wait, name="mlgrind-kernel-ready", daemon=True)
        self._early_thread.start()

    def wait_ready_ahead(self) -> None:
        """Wait until ``get_ready_ahead``'s thread is done: the kernel answered, or the wait gave up."""
        if self._early_thread is not None:
            self._early_thread.join()

    def client(self, **kwargs):
        """The client made by ``get_ready_ahead`` the first time, if there is one; a new one after."""
        early, self._early_client = self._early_client, None
        if early is None:
            return super().client(**kwargs)
        self._early_thread.join()
        return early


def start(course, kernel_name: str = "python3"):
    """Start a kernel for the next autograde in this process; returns its manager, or None."""
    execute = course.settings.config.Execute
    extra = list(execute.get("extra_arguments", [])) + ["--HistoryManager.hist_file=:memory:"]
    env = {**os.environ, "NBGRADER_EXECUTION": "autograde"}
    km = GradingKernelManager(kernel_name=kernel_name, config=course.settings.config)
    km.started_ahead = True
    try:
        asyncio.run(km.start_kernel(extra_arguments=extra, cwd=str(course.autograder), env=env))
    except sandbox.SandboxUnavailable:
        raise
    except Exception:
        return None  # nbgrader will start its own
    km.get_ready_ahead()
    _ready.append(km)
    return km


def start_judge(folder, kernel_name: str = "python3"):
    """Start a judge's kernel (the hidden tests' kernel) in ``folder`` for the next autograde in this process."""
    from .judge_kernel import JudgeKernel

    try:
        judge = JudgeKernel(kernel_name, str(folder))
    except Exception:  # noqa: BLE001 - the grade starts its own
        return None
    _ready_judges.append(judge)
    return judge


def take_judge(kernel_name: str | None):
    """Hand over a started judge's kernel of ``kernel_name``, if there is one."""
    for judge in _ready_judges:
        if judge.km.kernel_name == (kernel_name or "python3"):
            _ready_judges.remove(judge)
            return judge
    return None


def take(kernel_name: str | None):
    """Hand over a started kernel of ``kernel_name``, if there is one."""
    for km in _ready:
        if km.kernel_name == kernel_name:
            _ready.remove(km)
            return km
    return None


def keep_one_ready(course) -> None:
    """Have one live kernel booted and answering for the next autograde (the warm grader's, between grades).

    One that died while it waited is shut down and replaced.
    """
    for km in list(_ready):
        if not asyncio.run(km.is_alive()):
            _ready.remove(km)
            _shut_down(km)
    if not _ready:
        start(course)
    for judge in list(_ready_judges):
        if not judge.is_alive():
            _ready_judges.remove(judge)
            judge.stop()
    if not _ready_judges:
        start_judge(course.autograder)
    for km in _ready:
        km.wait_ready_ahead()
    for judge in _ready_judges:
        judge.wait_ready()


def stop() -> None:
    """Shut down every kernel that was started and never taken."""
    while _ready:
        _shut_down(_ready.pop())
    stop_judges()


def stop_judges() -> None:
    """Shut down every judge's kernel that was started and never taken."""
    while _ready_judges:
        _ready_judges.pop().stop()


atexit.register(stop_judges)
# A forked worker (``mlgrind autograde --jobs N``) ends through multiprocessing, which runs no atexit.
multiprocessing.util.Finalize(None, stop_judges, exitpriority=10)


def _shut_down(km: GradingKernelManager) -> None:
    km.client().stop_channels()
    asyncio.run(km.shutdown_kernel(now=True))


__all__ = ["GradingKernelManager", "keep_one_ready", "start", "start_judge", "stop", "take", "take_judge"]
