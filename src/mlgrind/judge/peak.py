"""The most memory the student's kernel held during one call, read from outside its interpreter.

The grader tells the judge where to read (``meter(spec)``, the spec from ``grading.judge_kernel``),
never the student: the sandbox's memory control group, or else the kernel's process.

- ``CgroupMeter`` (cgroup v1, where the grader made one per sandbox): ``memory.max_usage_in_bytes``,
  reset by writing 0, counts every process of the sandbox (``/dev/shm`` and tmpfs included). Nothing
  inside the sandbox can write it: ``/sys`` is not mounted there and its capabilities are dropped.
- ``ProcessMeter`` (no control group: a learner's laptop): the kernel's ``VmHWM`` from
  ``/proc/<pid>/status``, reset by writing 5 to its ``clear_refs``. It counts that one process only, and
  the student's code can reset its own ``clear_refs`` in the middle of a call or compute in a child
  process: it tells an honest learner what their code held, it proves nothing (``trusted`` is False).
"""

from __future__ import annotations

from pathlib import Path


class CgroupMeter:
    """The peak of a memory control group (cgroup v1) folder: every process of the sandbox."""

    trusted = True

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def start(self) -> int:
        """Forget the peak so far; the bytes held now."""
        (self.folder / "memory.max_usage_in_bytes").write_text("0")
        return int((self.folder / "memory.usage_in_bytes").read_text())

    def peak(self) -> int:
        """The most bytes held since ``start``."""
        return int((self.folder / "memory.max_usage_in_bytes").read_text())


class ProcessMeter:
    """The peak resident size of one process (``VmHWM``); see the module's note on what it cannot prove."""

    trusted = False

    def __init__(self, pid: int):
        self.proc = Path(f"/proc/{int(pid)}")

    def _status(self, field: str) -> int:
        for line in (self.proc / "status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # kB
        raise OSError(f"no {field} in {self.proc}/status")

    def start(self) -> int:
        (self.proc / "clear_refs").write_text("5")  # VmHWM := VmRSS
        return self._status("VmRSS")

    def peak(self) -> int:
        return self._status("VmHWM")


def meter(spec: dict | None):
    """The meter ``spec`` names (``{"cgroup": folder}`` or ``{"pid": pid}``), or None (nothing to read)."""
    if not isinstance(spec, dict):
        return None
    if isinstance(spec.get("cgroup"), str):
        return CgroupMeter(spec["cgroup"])
    if type(spec.get("pid")) is int:
        return ProcessMeter(spec["pid"])
    return None
