"""The limits a grading kernel runs under, and the one table of messages that name them.

The course config (``autograder/nbgrader_config.py``) imports this module to turn the kernel memory
setting into the kernel argument that applies it, so it imports nothing heavier than the standard library.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

# How often grading starts a student's kernel again in one notebook (a dead kernel, exit(), an ignored
# interrupt, a kernel that stopped answering the judge); past it, the cells left are not run.
MAX_RESTARTS = 5
# The grading time of one submission, every cell and restart included: setting, default seconds.
SUBMISSION_SECONDS_SETTING = ("MLGRIND_SUBMISSION_SECONDS", "900")


def submission_seconds() -> float:
    """The wall-clock budget of one submission's grading (``MLGRIND_SUBMISSION_SECONDS``)."""
    name, default = SUBMISSION_SECONDS_SETTING
    try:
        return max(float(os.environ.get(name, "") or default), 1.0)
    except ValueError:
        return float(default)
UNITS = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
_MEMORY_ARGUMENT = (
    "--IPKernelApp.exec_lines=__import__('resource').setrlimit("
    "__import__('resource').RLIMIT_AS, ({n}, {n}))"
)
_MEMORY_ARGUMENT_RE = re.compile(r"RLIMIT_AS, \((\d+), \1\)\)$")


def parse_memory(text: str) -> int:
    """Bytes in a size written ``4G``, ``512M``, ``1.5G`` or as plain bytes (``K``…``T`` are powers of 1024)."""
    size = text.strip().upper().removesuffix("IB").removesuffix("B")
    try:
        if size[-1:] in UNITS:
            return int(float(size[:-1]) * UNITS[size[-1]])
        return int(size)
    except ValueError:
        raise ValueError(f"kernel memory {text!r} is not a size like 4G, 512M or a number of bytes") from None


def memory_argument(n_bytes: int) -> str:
    """The kernel argument that caps the kernel's address space at ``n_bytes``."""
    return _MEMORY_ARGUMENT.format(n=int(n_bytes))


def memory_from_arguments(arguments) -> int | None:
    """The cap ``memory_argument`` set among a kernel's ``arguments``; None if none did."""
    for argument in arguments or ():
        found = _MEMORY_ARGUMENT_RE.search(str(argument))
        if found:
            return int(found.group(1))
    return None


def size_text(n_bytes: int) -> str:
    """``4294967296`` -> ``4 GiB``; ``314572800`` -> ``300 MiB``."""
    for unit in "TGMK":
        if n_bytes >= UNITS[unit]:
            return f"{n_bytes / UNITS[unit]:.3g} {unit}iB"
    return f"{n_bytes} bytes"


# ename -> (kind, what happened); {cell} names the cell, {timeout} and {memory} the limits.
LIMIT_ERRORS = {
    "CellTimeoutError": ("cell timed out", "{cell} ran past the {timeout} limit (an infinite loop?)"),
    "MemoryError": ("out of memory", "{cell} went past the {memory} memory limit"),
    "DeadKernelError": ("kernel died", "{cell} killed the kernel; it was restarted and the rest was graded"),
    "KernelExited": ("exit() called", "{cell} called exit(); the kernel was restarted without it and the rest was graded"),
    "InterruptIgnored": ("cell timed out", "{cell} ran past the {timeout} limit and ignored the interrupt; "
                                           "it was killed and the rest was graded"),
    "NotRun": ("not run", "{cell} was not run: {detail}"),
    # The sandbox's control group reached its memory limit and its OOM killer ended the kernel.
    "SandboxMemory": ("out of memory", "{cell} went past the sandbox's {sandbox_memory} memory limit (its processes "
                                       "and /dev/shm together); the kernel was restarted and the rest was graded"),
}


@dataclass(frozen=True)
class Limits:
    """What a grading kernel may use: seconds per cell and bytes of address space (None: not capped here)."""

    cell_timeout: float | None = None
    kernel_memory: int | None = None

    def explain(self, ename: str, cell: str, detail: str = "") -> tuple[str, str] | None:
        """``(kind, sentence)`` for an error a grading limit caused in ``cell``, else None."""
        if ename not in LIMIT_ERRORS:
            return None
        kind, template = LIMIT_ERRORS[ename]
        timeout = f"{self.cell_timeout:g} s" if self.cell_timeout else "time"
        memory = size_text(self.kernel_memory) if self.kernel_memory else "kernel's"
        sandbox_memory = size_text(SandboxLimits.from_environment().memory) if "{sandbox_memory}" in template else ""
        return kind, template.format(cell=cell, timeout=timeout, memory=memory, detail=detail,
                                     sandbox_memory=sandbox_memory)


# The sandbox's limits for a whole grading kernel (every process it starts, together): setting, default.
# The grader's environment sets them; a submission cannot, as its code runs after they are applied.
# The kernel's own cap (one process's address space, a MemoryError) is the sandbox's unless set apart.
KERNEL_MEMORY_SETTING = ("MLGRIND_KERNEL_MEMORY", "4G")
MEMORY_SETTING = ("MLGRIND_SANDBOX_MEMORY", "")
PROCESSES_SETTING = ("MLGRIND_KERNEL_PROCESSES", "128")
WRITE_SETTING = ("MLGRIND_KERNEL_WRITE", "512M")


@dataclass(frozen=True)
class SandboxLimits:
    """What one sandboxed kernel may hold, all its processes together.

    ``memory``: bytes of resident memory, files in ``/dev/shm`` and the sandbox's tmpfs folders included
    (``MLGRIND_SANDBOX_MEMORY``, by default the kernel's own cap ``MLGRIND_KERNEL_MEMORY``);
    ``processes``: processes and threads; ``write``: bytes each writable folder (the working folder,
    ``/tmp``, ``/dev/shm``, the home folder) may hold.
    """

    memory: int
    processes: int
    write: int

    @classmethod
    def from_environment(cls, environ=os.environ) -> "SandboxLimits":
        def setting(name_default):
            name, default = name_default
            return environ.get(name, default).strip() or default

        processes = setting(PROCESSES_SETTING)
        if not processes.isdigit() or int(processes) < 1:
            raise ValueError(f"{PROCESSES_SETTING[0]}={processes!r} is not a positive whole number")
        memory = environ.get(MEMORY_SETTING[0], "").strip() or setting(KERNEL_MEMORY_SETTING)
        return cls(parse_memory(memory), int(processes), parse_memory(setting(WRITE_SETTING)))
