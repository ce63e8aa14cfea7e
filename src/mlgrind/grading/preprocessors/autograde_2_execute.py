"""``Execute``: nbgrader's, student code sandboxed, hidden tests in a judge's kernel, past a cell that breaks."""

from __future__ import annotations

import ast
import contextlib
import copy
import os
import time

import nbformat
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute as _NbgraderExecute

from ...course.limits import MAX_RESTARTS, submission_seconds


class Execute(_NbgraderExecute):
    """nbgrader's Execute, in a sandboxed kernel, hidden tests apart, and carrying on where nbgrader stops.

    - For a notebook judged apart (``course.exercises.JUDGED_APART``), the autograded test cells run in
      a judge's kernel (``judge_kernel``) that never runs student code, with the course's own cells
      they need; every other cell runs in the student's kernel, and the student's names reach the
      judge as proxies and plain data (``mlgrind.judge``). Which cells are the course's is read from the
      gradebook, never from the submission.
    - A submission's grading stops at its time budget (``MLGRIND_SUBMISSION_SECONDS``) and after
      ``MAX_RESTARTS`` restarts of its kernel; the cells left are not run and say why.
    - Kernels are ``kernels.GradingKernelManager``'s: sandboxed where bubblewrap runs, and started
      again (a few times) when one fails to start. A kernel ``mlgrind grade`` started ahead of time
      (``grading.kernels``) is used if there is one.
    - A cell that called ``exit()``, killed the kernel, or ignored the interrupt at its time limit
      gets an error naming that, in its own outputs; the kernel is restarted, the cells
      above are run again without every such cell, and grading goes on. nbgrader alone would blame the
      next cell, replay the culprit, or stop and score the whole notebook zero.
    """

    def __init__(self, *args, **kwargs):
        from ..kernels import GradingKernelManager

        kwargs.setdefault("kernel_manager_class", GradingKernelManager)
        super().__init__(*args, **kwargs)
        self._culprits: set[int] = set()
        self._exit_asked = False
        self._judge = None
        self._restarts = 0
        self._names_cache = self._needs_cache = None
        self._deadline, self._stopped = float("inf"), ""

    # --- the judge: hidden tests in a kernel of their own -----------------------------------------

    def preprocess(self, nb, resources=None, km=None):
        from ...course.exercises import judged_apart
        from .. import kernels
        from ..judge_kernel import JudgeKernel

        notebook = (resources or {}).get("nbgrader", {}).get("notebook", "")
        self._judge, self._restarts, self._line_up = None, 0, False
        self._names_cache = self._needs_cache = None
        self._deadline = time.monotonic() + submission_seconds()
        self._stopped = ""
        if judged_apart(notebook):
            path = (resources or {}).get("metadata", {}).get("path") or os.getcwd()
            kernel_name = self.kernel_name or nb.metadata.get("kernelspec", {}).get("name", "python3")
            self._judge = kernels.take_judge(kernel_name)
            if self._judge is None:
                self._judge = JudgeKernel(kernel_name, os.path.abspath(path), self.startup_timeout)
            else:
                self._judge.enter(os.path.abspath(path))
        try:
            return super().preprocess(nb, resources, km)
        finally:
            if self._judge is not None:
                self._judge.stop()
                self._judge = None

    def _judge_needs(self) -> set[int]:
        """The course cells the judge runs: those binding a name a later test cell (or such a course cell)
        reads, and reading no name of the student's; a picture or a widget is left to the student's kernel."""
        if self._needs_cache is None:
            needed, chosen = set(), set()
            student = self._student_names()
            for index in reversed(range(len(self.nb.cells))):
                cell = self.nb.cells[index]
                if cell.cell_type != "code":
                    continue
                if self._role_of(cell) == "test":
                    needed |= _names_in(cell.source)
                elif (self._role_of(cell) == "course" and _names_in(cell.source, ast.Store) & needed
                      and not _names_in(cell.source) & student):
                    chosen.add(index)
                    needed |= _names_in(cell.source)
            self._needs_cache = chosen
        return self._needs_cache

    def _student_names(self) -> set[str]:
        if self._names_cache is None:
            self._names_cache = self._solution_names()
        return self._names_cache

    def _solution_names(self) -> set[str]:
        """The names the solution cells define at their top level (functions, answers, their aliases), less
        those a course cell defines (``QUESTIONS`` stays the course's whatever a solution cell rebinds)."""
        names, course = set(), set()
        for cell in self.nb.cells:
            if cell.cell_type == "code" and self._role_of(cell) == "solution" and not _is_test(cell):
                try:
                    tree = ast.parse(cell.source)
                except (SyntaxError, ValueError):
                    continue
                for node in tree.body:
                    for inner in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) else [node]:
                        if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                            names.add(inner.name)
                        elif isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
                            names.add(inner.id)
            elif cell.cell_type == "code" and self._role_of(cell) == "course":
                course |= _names_in(cell.source, ast.Store)
        return names - course

    def _open_line(self) -> None:
        sources = [c.source for c in self.nb.cells
                   if c.cell_type == "code" and self._role_of(c) == "solution" and not _is_test(c)]
        try:
            self._line_up = self._judge.open_line(self.kc, getattr(self.km, "provisioner", None), sources,
                                                  self._control_timeout())
        except Exception as exc:  # noqa: BLE001 - the judge's cells then report the student's kernel as gone
            self.log.warning("The judge could not reach the student's kernel: %s", exc)
            self._line_up = False

    @contextlib.contextmanager
    def _in_judge(self):
        """nbclient's kernel and client, for the cells run inside this block, are the judge's."""
        kept = self.km, self.kc
        self.km, self.kc = self._judge.km, self._judge.kc
        try:
            yield
        finally:
            self.km, self.kc = kept

    def _judge_cell(self, cell, resources, index):
        """Run ``cell`` in the judge, after bringing the student's names there (restarting a student kernel
        that stopped answering, within its budget)."""
        if not self._line_up:
            self._open_line()
        if not self._synced() and self._restart_student(index):
            self._synced()
        with self._in_judge():
            return super().preprocess_cell(cell, resources, index)

    def _role_of(self, cell) -> str:
        """``_role`` of ``cell`` in the notebook being graded, against the gradebook's own cells."""
        return _role(cell, restored(self.resources))

    def _control_timeout(self) -> float:
        """How long the grader waits for a kernel to answer its own requests (never shorter than a minute:
        a kernel just interrupted or restarted on a busy machine answers late, not never)."""
        return max(float(self.timeout or 60), 60.0)

    def _synced(self) -> bool:
        """Bring the student's names into the judge; whether the student's kernel still answers."""
        try:
            return self._judge.sync(self._control_timeout())
        except (TimeoutError, RuntimeError) as exc:
            self.log.warning("The judge could not bring the student's names: %s", exc)
            return False

    def _restart_student(self, index: int) -> bool:
        """Start the student's kernel again (within ``MAX_RESTARTS``), replay its cells above, and reconnect
        the judge; whether it was restarted."""
        if self._stopped:
            return False
        self.log.warning("The student's kernel stopped answering the judge; restarting it")
        self._restart_and_replay(index)
        return not self._stopped

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
        if cell.cell_type == "code" and not self._stopped and time.monotonic() > self._deadline:
            self._stopped = f"this submission's grading took its whole {submission_seconds():g} s budget"
        if cell.cell_type == "code" and self._stopped:
            cell.outputs = [nbformat.v4.new_output("error", ename="NotRun", evalue=self._stopped,
                                                   traceback=[f"NotRun: {self._stopped}; this cell was not run"])]
            return cell, resources
        if self._judge is not None and cell.cell_type == "code":
            role = self._role_of(cell)
            if role == "test":
                return self._judge_cell(cell, resources, index)
            if _is_test(cell):
                # A test cell whose code is not the gradebook's: run nowhere, scored zero.
                cell.outputs = [nbformat.v4.new_output("error", ename="UntrustedTest", evalue=UNTRUSTED_TEST_MESSAGE,
                                                       traceback=[f"UntrustedTest: {UNTRUSTED_TEST_MESSAGE}"])]
                return cell, resources
            if role == "course" and index in self._judge_needs():
                # The course's own cell (imports, given data): the judge runs it too, so a test sees
                # the course's values whatever the student's cells rebind.
                cell, resources = self._student_cell(cell, resources, index)
                self._judge_cell(copy.deepcopy(cell), resources, index)
                self.nb.cells[index] = cell  # nbclient stores the cell it ran: the notebook keeps the student's run
                return cell, resources
        return self._student_cell(cell, resources, index)

    def _student_cell(self, cell, resources, index):
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
        return cell, resources

    def _blame(self, cell, index: int, ename: str, message: str, explanation: str = ""):
        """Fail ``cell`` with ``ename: message``, then go on in a new kernel that never runs it."""
        shown = f"{ename}: {explanation or message}"
        cell.outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=message, traceback=[shown]))
        self.log.warning("%s in cell %s; restarting the kernel without it", ename, index)
        self._culprits.add(index)
        self._restart_and_replay(index)
        return cell, self.resources

    def _restart_and_replay(self, index: int) -> None:
        """Start the student's kernel again and run its cells above ``index`` (never a culprit, never a test),
        at most ``MAX_RESTARTS`` times a notebook: past that, the cells left are not run."""
        if self._restarts >= MAX_RESTARTS:
            self._stopped = f"the kernel was started again {MAX_RESTARTS} times already"
            return
        self._restarts += 1
        run_sync(self.km.restart_kernel)(now=True)
        run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
        self._enter_notebook_folder(self.kc)
        for number, earlier in enumerate(self.nb.cells[:index]):
            if self._judge is not None and (self._role_of(earlier) == "test" or (
                    self._role_of(earlier) == "course"
                    and _names_in(earlier.source) & self._student_names())):
                continue  # a test, or a course cell calling the student's code (a check, a demo): not needed again
            if earlier.cell_type == "code" and number not in self._culprits:
                try:
                    run_sync(self.kc.execute_interactive)(
                        earlier.source, store_history=False, output_hook=lambda msg: None,
                        timeout=self._control_timeout() if self._judge is not None else self.timeout,
                    )
                except TimeoutError:
                    self.log.warning("Cell %s did not finish when run again; going on without it", number)
                    run_sync(self.km.interrupt_kernel)()
                    continue
        if self._judge is not None:
            self._open_line()


def restored(resources) -> set:
    """The grade ids of the read-only cells of the gradebook's source notebook, read once per notebook.

    A cell with one of these ids holds the gradebook's own code only when its code is that code
    (``OverwriteCells`` puts it back before the run); ``_role`` checks both."""
    if "mlgrind_course_cells" not in resources:
        from nbgrader.api import Gradebook, MissingEntry

        nbgrader = resources.get("nbgrader", {})
        cells = {}
        try:
            with Gradebook(nbgrader["db_url"]) as gradebook:
                notebook = gradebook.find_notebook(nbgrader["notebook"], nbgrader["assignment"])
                cells = {c.name: c.source for c in notebook.source_cells if c.locked}
        except (KeyError, MissingEntry):
            pass
        resources["mlgrind_course_cells"] = cells
    return resources["mlgrind_course_cells"]


def _role(cell, course_cells: dict) -> str:
    """``test`` (an autograded test cell), ``course`` (a read-only cell of the course's), both only when
    their code is the gradebook's (``course_cells``: grade id -> code), or ``solution`` (every other
    cell: the student's, added cells included)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("solution") or not _is_course_code(cell.get("source", ""), course_cells.get(meta.get("grade_id"))):
        return "solution"
    return "test" if meta.get("grade") else "course"


def _is_course_code(code: str, course_code: str | None) -> bool:
    """Whether ``code`` is ``course_code``, with at most comment lines above it (nbgrader notes so a cell
    it put back)."""
    if course_code is None or not code.endswith(course_code):
        return False
    above = code[: len(code) - len(course_code)]
    return all(not line.strip() or line.lstrip().startswith("#") for line in above.splitlines())


def _is_test(cell) -> bool:
    """Whether ``cell`` says it is an autograded test cell (trusted or not)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def _names_in(code: str, ctx=ast.Load) -> set[str]:
    """The names ``code`` reads (``ctx=ast.Load``) or binds (``ast.Store``)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set()
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}
    if ctx is ast.Store:
        names |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        names |= {(a.asname or a.name).split(".")[0] for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
                  for a in n.names}
    return names


UNTRUSTED_TEST_MESSAGE = "this test cell's code is not the course's, so it was not run"

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
