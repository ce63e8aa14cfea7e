"""nbgrader preprocessors the course configures in place of nbgrader's own."""

from __future__ import annotations

import os
import re

import nbformat
from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbgrader.preprocessors import Execute as _NbgraderExecute
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.preprocessors import OverwriteCells as _NbgraderOverwriteCells


def _grade_ids(nb) -> dict[str, int]:
    """grade_id -> index of every nbgrader cell in ``nb``."""
    return {
        cell.metadata["nbgrader"]["grade_id"]: index
        for index, cell in enumerate(nb.cells)
        if "grade_id" in cell.metadata.get("nbgrader", {})
    }


class OverwriteCells(_NbgraderOverwriteCells):
    """nbgrader's OverwriteCells, re-adding a deleted test cell after its nearest surviving neighbour.

    nbgrader 0.9.6 looks for that neighbour among graded and solution cells only, and fails the
    whole notebook when the cell just above the deleted one is a read-only cell.
    """

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        source_cells = {cell.name: cell for cell in source_nb.source_cells}
        source_order = list(source_cells)
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        for grade_cell in source_nb.grade_cells:
            present = _grade_ids(nb)
            if grade_cell.name in present:
                continue
            self.log.warning("Missing grade cell %s encountered, adding to notebook", grade_cell.name)
            cell = self.missing_cell_transform(
                source_cells[grade_cell.name], grade_cell.max_score, is_solution=grade_cell.name in solution_ids
            )
            cell["id"] = grade_cell.name
            earlier = source_order[: source_order.index(grade_cell.name)]
            position = next((present[name] + 1 for name in reversed(earlier) if name in present), 0)
            nb.cells.insert(position, cell)
        return nb, resources


class Execute(_NbgraderExecute):
    """nbgrader's Execute, with two additions.

    - It can run the notebook in a kernel started ahead of time: a kernel takes about a second to
      boot, and ``mlgrind grade`` starts one (``grading.kernels``) before it imports nbgrader, so the two
      overlap. Without such a kernel it starts its own, as nbgrader does.
    - A kernel that dies (``os._exit``, a crash) fails only the cell that killed it: the kernel is
      restarted, the cells above are run again, and grading goes on. nbgrader alone stops there and
      scores the whole notebook zero.
    """

    _uses_warm_kernel = False

    def create_kernel_manager(self):
        from . import kernels

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
        if self._uses_warm_kernel and path:
            # Run where nbgrader would have started the kernel: the notebook's own folder.
            kc.execute(f"__import__('os').chdir({os.path.abspath(path)!r})", silent=True, store_history=False)

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        self._enter_notebook_folder(kc)
        return kc

    # nbclient binds its sync wrapper to the base class's coroutine; bind it to ours.
    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def preprocess_cell(self, cell, resources, index):
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename="DeadKernelError", evalue=DEAD_KERNEL_MESSAGE, traceback=[f"DeadKernelError: {DEAD_KERNEL_MESSAGE}"],
            ))
            self.log.warning("The kernel died in cell %s; restarting it and running the cells above again", index)
            self._restart_and_replay(index)
            return cell, self.resources

    def _restart_and_replay(self, index: int) -> None:
        run_sync(self.km.restart_kernel)(now=True)
        run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
        self._enter_notebook_folder(self.kc)
        for earlier in self.nb.cells[:index]:
            died = any(o.get("ename") == "DeadKernelError" for o in earlier.get("outputs", []))
            if earlier.cell_type == "code" and not died:
                run_sync(self.kc.execute_interactive)(
                    earlier.source, store_history=False, output_hook=lambda msg: None, timeout=self.timeout
                )


DEAD_KERNEL_MESSAGE = (
    "the kernel died while running this cell (os._exit, a crash, or running out of memory); "
    "it was restarted, the cells above were run again, and grading went on"
)


HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*", re.S | re.M)
HIDDEN_NOTE = "# Hidden tests ran here; their code is not shown. What they found is below."


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback without hidden test code: each region is replaced by a note, and a failed test
    cell's traceback (which quotes the failing line) by its exception's name and message."""

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or "### BEGIN HIDDEN TESTS" not in cell.source:
            return cell, resources
        cell.source = HIDDEN_TESTS.sub(HIDDEN_NOTE, cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources
