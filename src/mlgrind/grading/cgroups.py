"""Control groups that cap a whole sandbox: its memory (``/dev/shm`` and tmpfs included) and process count.

Where the grader may make them (root, with cgroup v1's ``memory`` and ``pids`` controllers mounted
under ``/sys/fs/cgroup``), each kernel gets one group per controller, made below the grader's own
group so the grader's limits still hold. The sandbox enters both groups before it starts anything
(``enter_command``: a ``sh`` that writes its own pid, then execs the sandbox), so every process it
forks is counted. ``Groups.remove`` kills what is left and removes the groups; groups left by a grader
that was killed are removed by the next one (``sweep``), as their names carry the grader's pid.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PREFIX = "mlgrind-"
_serial = itertools.count()


def _own_group(controller: str) -> Path | None:
    """This process's group folder of ``controller`` (v1), or None if that controller is not mounted."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _id, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            folder = ROOT / controller / path.lstrip("/")
            return folder if folder.is_dir() else None
    return None


def available() -> str:
    """Why whole-sandbox groups cannot be made here ("" when they can)."""
    if os.geteuid() != 0:
        return "control groups need root here (the grader runs as a user)"
    for controller, limit_file in (("memory", "memory.limit_in_bytes"), ("pids", "pids.max")):
        group = _own_group(controller)
        if group is None:
            return f"cgroup v1's {controller} controller is not mounted"
        if not os.access(group, os.W_OK):
            return f"{group} is not writable"
        if controller == "pids" and not (group / "cgroup.procs").exists():
            return f"{group} has no cgroup.procs"
    return ""


@dataclass
class Groups:
    """One sandbox's memory and pids groups."""

    memory: Path
    pids: Path

    def procs_files(self) -> list[str]:
        return [str(self.memory / "cgroup.procs"), str(self.pids / "cgroup.procs")]

    def memory_hits(self) -> int:
        """How often the sandbox reached its memory limit (the kernel's OOM killer acted at the first)."""
        try:
            return int((self.memory / "memory.failcnt").read_text())
        except (OSError, ValueError):
            return 0

    def remove(self) -> None:
        """Kill every process still in the groups, then remove them."""
        for group in (self.memory, self.pids):
            _remove(group)


def create(memory: int, processes: int) -> Groups:
    """New groups holding ``memory`` bytes (swap included) and ``processes`` tasks; OSError if refused."""
    name = f"{PREFIX}{os.getpid()}-{next(_serial)}-{os.urandom(3).hex()}"
    memory_group = _own_group("memory") / name
    pids_group = _own_group("pids") / name
    memory_group.mkdir()
    try:
        (memory_group / "memory.limit_in_bytes").write_text(str(memory))
        swap = memory_group / "memory.memsw.limit_in_bytes"
        if swap.exists():
            swap.write_text(str(memory))
        pids_group.mkdir()
        (pids_group / "pids.max").write_text(str(processes))
    except OSError:
        _remove(memory_group)
        _remove(pids_group)
        raise
    return Groups(memory_group, pids_group)


def enter_command(groups: Groups, cmd: list[str]) -> list[str]:
    """``cmd`` run by a shell that first moves itself into ``groups``, so all it starts is counted."""
    # The first two arguments are the procs files; the rest is the command.
    script = 'echo $$ > "$1" && echo $$ > "$2" || exit 125; shift 2; exec "$@"'
    return ["/bin/sh", "-c", script, "mlgrind-sandbox", *groups.procs_files(), *cmd]


def _remove(group: Path) -> None:
    if not group.is_dir():
        return
    for _attempt in range(50):
        try:
            pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            pids = []
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)  # a killed process leaves its group a moment later


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def sweep() -> None:
    """Remove the groups of graders that are gone (killed before they could remove their own)."""
    for controller in ("memory", "pids"):
        parent = _own_group(controller)
        if parent is None:
            continue
        try:
            groups = [g for g in parent.iterdir() if g.name.startswith(PREFIX) and g.is_dir()]
        except OSError:
            continue
        for group in groups:
            owner = group.name[len(PREFIX):].split("-")[0]
            if owner.isdigit() and not alive(int(owner)):
                _remove(group)
