"""A grading kernel that fails to start is started again, a few times, before grading gives up."""

from __future__ import annotations

import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from mlgrind.grading.kernels import START_ATTEMPTS
from mlgrind.grading.preprocessors import Execute


def failing_starts(monkeypatch, failures: int) -> list[int]:
    """nbclient's kernel start fails ``failures`` times, as a kernel dying before kernel_info does."""
    real = NotebookClient.async_start_new_kernel_client
    calls = []

    async def start(self):
        calls.append(1)
        if len(calls) <= failures:
            await real(self)  # a real kernel is started, then lost
            await self.km.shutdown_kernel(now=True)
            raise RuntimeError("Kernel died before replying to kernel_info")
        return await real(self)

    monkeypatch.setattr(NotebookClient, "async_start_new_kernel_client", start)
    return calls


def graded(tmp_path):
    nb = new_notebook(cells=[new_code_cell("print(6 * 7)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb, _ = Execute(timeout=60).preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    return nb


def test_a_kernel_that_dies_at_start_is_replaced_and_the_notebook_graded(tmp_path, monkeypatch):
    calls = failing_starts(monkeypatch, START_ATTEMPTS - 1)
    nb = graded(tmp_path)
    assert len(calls) == START_ATTEMPTS
    assert nb.cells[0].outputs[0]["text"] == "42\n"


def test_grading_gives_up_after_the_last_attempt(tmp_path, monkeypatch):
    calls = failing_starts(monkeypatch, START_ATTEMPTS)
    with pytest.raises(RuntimeError, match="kernel_info"):
        graded(tmp_path)
    assert len(calls) == START_ATTEMPTS


def test_grading_and_judge_kernels_share_the_process_context_which_grading_never_closes(tmp_path):
    """A ZeroMQ context per kernel manager would be left to the garbage collector, which can finalize it
    before its sockets and then wait on them forever: every kernel uses the process's one context."""
    import zmq.asyncio
    from jupyter_core.utils import run_sync

    from mlgrind.grading.judge_kernel import JudgeKernel
    from mlgrind.grading.kernels import GradingKernelManager

    judge = JudgeKernel("python3", str(tmp_path))
    try:
        assert judge.km.context is zmq.asyncio.Context.instance() and judge.kc.context is judge.km.context
        assert judge.run("x = 6 * 7", expression="x") == "42"
    finally:
        judge.stop()
    km = GradingKernelManager(kernel_name="python3")
    assert km.context is zmq.asyncio.Context.instance() and km.client().context is km.context
    run_sync(km.start_kernel)(cwd=str(tmp_path))
    run_sync(km.shutdown_kernel)(now=True)
    assert not zmq.asyncio.Context.instance().closed
    assert graded(tmp_path).cells[0].outputs[0]["text"] == "42\n"


def test_a_judge_kernel_starts_under_a_temp_folder_too_deep_for_its_sockets(tmp_path, monkeypatch):
    """A Unix socket's path holds 107 bytes: under a deeper TMPDIR the judge's folder goes to /tmp."""
    import tempfile

    from mlgrind.grading.judge_kernel import JudgeKernel

    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    judge = JudgeKernel("python3", str(tmp_path))
    try:
        assert judge.run("x = 6 * 7", expression="x") == "42"
    finally:
        judge.stop()
    assert not list(deep.iterdir())
