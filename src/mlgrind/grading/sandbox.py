"""Grading kernels in a bubblewrap sandbox built by allowlist: student code sees what Python needs, and its data.

Inside, the file system holds only what the interpreter, the virtual environment and ``mlgrind`` need,
read-only (``/usr`` and the lib folders, the interpreter's prefixes, the package's folder of an
editable install, a few files of ``/etc``), and a working folder with a copy of the submission's data
(``copyin``: plain files only, never a notebook, a link or a dot-file). ``/tmp``, ``/dev/shm`` and the
home folder (which holds ``IPYTHONDIR``) are new, empty, size-limited tmpfs: nothing of the course
folder, other checkouts, home folders or the system's temp folder is there, and nothing of a
submission runs at start-up. The environment is cleared to a short allowlist (no grader setting, no
database password), capabilities are dropped, and the kernel has its own network, process and IPC
namespaces. The grader talks to it over Unix sockets (jupyter_client's IPC transport), the one channel
that crosses the boundary.

Limits hold for the whole sandbox (``limits.SandboxLimits``): where the grader may make control groups
(``cgroups``) its memory (``/dev/shm`` and tmpfs included) and process count; bytes written by the
tmpfs sizes (as root the working folder is a tmpfs too), else by a per-file size limit.
``limits_table`` says which hold here. Scratch folders are private and removed after the kernel, and
those of a grader that was killed are removed by the next one.

Where ``bwrap`` is missing (macOS, a laptop without the package) kernels run unsandboxed, with a
warning printed once; with ``MLGRIND_SANDBOX=require`` (and under CI) that is an error instead.
"""

from __future__ import annotations

import atexit
import functools
import multiprocessing.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

from . import cgroups, copyin
from ..course.limits import MAX_RESTARTS, SandboxLimits, size_text, submission_seconds

SETTING = "MLGRIND_SANDBOX"  # "auto" (default), "require", or "off"


class SandboxUnavailable(RuntimeError):
    """The sandbox is required but bubblewrap cannot run here."""


def mode() -> str:
    """``require`` under CI unless set otherwise, else the setting (``auto`` by default)."""
    default = "require" if os.environ.get("CI") else "auto"
    value = os.environ.get(SETTING, default).strip().lower() or default
    if value not in ("auto", "require", "off"):
        raise SandboxUnavailable(f"{SETTING}={value!r}: use auto, require or off")
    return value


@functools.lru_cache(maxsize=None)
def _probe() -> str:
    """Why bubblewrap cannot make a sandbox here, or "" when it can."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    try:
        done = subprocess.run([bwrap, *_namespaces(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not start: {exc}"
    if done.returncode != 0:
        return "bwrap cannot create namespaces here: " + (done.stderr.strip().splitlines() or ["no message"])[-1]
    return ""


_warned = False


def enabled() -> bool:
    """Whether grading kernels run sandboxed; warns once when they cannot, fails when they must."""
    global _warned
    wanted = mode()
    if wanted == "off":
        return False
    reason = _probe()
    if not reason:
        return True
    if wanted == "require":
        raise SandboxUnavailable(f"grading needs its sandbox, but {reason} (Debian: apt-get install bubblewrap)")
    if not _warned:
        _warned = True
        print(f"mlgrind: {warning()}", file=sys.stderr)
    return False


def warning() -> str:
    """Why kernels run unsandboxed although the sandbox is wanted where it can run ("" when they do not)."""
    reason = _probe() if mode() == "auto" else ""
    return f"{reason}; grading kernels run without a sandbox, with your own rights" if reason else ""


def _namespaces() -> list[str]:
    return ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]


HOME = "/home/learner"
ENVIRONMENT = ("LANG", "LANGUAGE", "TZ", "NBGRADER_EXECUTION", "MPLBACKEND", "PYDEVD_DISABLE_FILE_VALIDATION",
               "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# What of /etc the kernel needs: the dynamic loader's cache, fonts for matplotlib, the time zone.
ETC = ("/etc/ld.so.cache", "/etc/fonts", "/etc/localtime")
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def _python_folders() -> list[str]:
    """The folders Python, the virtual environment and ``mlgrind`` are read from (no one inside another)."""
    package = Path(__file__).resolve().parents[1]
    folders = {sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parents[1]), str(package)}
    folders = {str(Path(f).resolve()) for f in folders} | {os.path.abspath(f) for f in folders}
    ordered = sorted(folders, key=len)
    kept = [f for i, f in enumerate(ordered)
            if not any(f == k or f.startswith(k.rstrip("/") + "/") for k in ordered[:i]) and not f.startswith("/usr/")]
    return [f for f in kept if f != "/usr" and Path(f).exists()]


def _read_only(path: str) -> list[str]:
    """bwrap arguments showing ``path`` read-only at the same place (a link as the same link)."""
    if os.path.islink(path):
        return ["--symlink", os.readlink(path), path]
    if os.path.exists(path):
        return ["--ro-bind", path, path]
    return []


def environment(launch_env: dict) -> dict:
    """The kernel's whole environment: the allowlisted names of ``launch_env`` and the sandbox's own."""
    kept = {k: v for k, v in launch_env.items() if k in ENVIRONMENT or k.startswith("LC_")}
    return {
        **kept,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": HOME,
        "TMPDIR": "/tmp",
        "IPYTHONDIR": f"{HOME}/.ipython",
        "MPLCONFIGDIR": f"{HOME}/.matplotlib",
        # ipykernel exits when its parent looks like init, as bwrap's does, unless told its parent is
        # init; --die-with-parent ends the sandbox with the grader instead.
        "JPY_PARENT_PID": "1",
        # debugpy's warning about frozen modules would land on stderr, in the first cell's outputs.
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def _font_caches() -> list[str]:
    """bwrap arguments giving the kernel the grader's matplotlib font list, read-only, so no kernel rebuilds it."""
    try:
        import matplotlib

        cache = Path(matplotlib.get_cachedir())
    except Exception:  # noqa: BLE001 - no matplotlib, or no cache: the kernel builds its own
        return []
    return [arg for font_list in sorted(cache.glob("fontlist-*.json"))
            for arg in ("--ro-bind", str(font_list), f"{HOME}/.matplotlib/{font_list.name}")]


def command(cmd: list[str], scratch: Path, limits: SandboxLimits, env: dict | None = None) -> list[str]:
    """``cmd`` wrapped to run in a sandbox whose writable folders are ``scratch``'s ``work`` (its working
    folder) and ``k`` (the kernel's sockets), and new tmpfs for ``/tmp``, ``/dev/shm`` and the home folder."""
    size = str(limits.write)
    args = [shutil.which("bwrap") or "bwrap", *_namespaces()]
    for folder in SYSTEM:
        args += _read_only(folder)
    for path in ETC:
        args += _read_only(path)
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", size, "--tmpfs", "/dev/shm",
             "--size", size, "--tmpfs", "/tmp",
             "--size", size, "--tmpfs", HOME]
    for folder in _python_folders():  # after /tmp's tmpfs: a virtual environment may live under /tmp
        args += ["--ro-bind", folder, folder]
    args += [*_font_caches(),
             "--bind", str(sockets(scratch)), str(sockets(scratch)),
             "--bind", str(scratch / "work"), str(scratch / "work"),
             "--remount-ro", "/",
             "--chdir", str(scratch / "work"),
             "--clearenv"]
    for name, value in environment(env if env is not None else dict(os.environ)).items():
        args += ["--setenv", name, value]
    return [*args, "--", *cmd]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


# --- scratch folders ------------------------------------------------------------------------------

SCRATCH_PREFIX = "mlgrind-kernel-"
JUDGE_PREFIX = "mlgrind-judge-"  # a judge kernel's private folder (``judge_kernel``), swept like a scratch folder
_MS_NOSUID, _MS_NODEV, _MNT_DETACH = 2, 4, 2


def _libc():
    import ctypes
    import ctypes.util

    return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _tmpfs_mounts_allowed() -> bool:
    return os.geteuid() == 0 and sys.platform.startswith("linux")


def _mount_tmpfs(folder: Path, size: int) -> bool:
    """Mount a private tmpfs of ``size`` bytes on ``folder`` (root only); whether it was mounted."""
    if not _tmpfs_mounts_allowed():
        return False
    options = f"size={size},mode=0700".encode()
    return _libc().mount(b"tmpfs", str(folder).encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, options) == 0


def _unmount(folder: Path) -> None:
    if os.path.ismount(folder):
        _libc().umount2(str(folder).encode(), _MNT_DETACH)


# A Unix socket's path may be 107 bytes at most: the kernel's are ``<scratch>/k/s-<n>``.
LONGEST_SCRATCH_PATH = 95
_live: dict[Path, int] = {}  # scratch folder -> the process that made it
_live_groups: dict[int, tuple[int, cgroups.Groups]] = {}  # id -> (the process that made them, the groups)


def short_temp_folder() -> str:
    """The system's temp folder, or ``/tmp`` where that is too deep for a kernel's socket paths."""
    folder = tempfile.gettempdir()
    return folder if len(folder) + len(SCRATCH_PREFIX) + 20 <= LONGEST_SCRATCH_PATH else "/tmp"


def sockets(scratch: Path) -> Path:
    """The folder of the kernel's connection file and sockets."""
    return scratch / "k"


def new_scratch(limits: SandboxLimits) -> tuple[Path, bool]:
    """A private scratch folder (0700) with the sockets' folder and ``work`` in it; whether it is a size-limited tmpfs.

    Its name carries this process's id, so a later grader removes it if this one dies first.
    """
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=short_temp_folder()))
    _live[scratch] = os.getpid()
    limited = _mount_tmpfs(scratch, limits.write)
    for folder in (sockets(scratch), scratch / "work"):
        folder.mkdir(mode=0o700)
    return scratch, limited


def remove_scratch(scratch: Path) -> None:
    _unmount(scratch)
    shutil.rmtree(scratch, ignore_errors=True)
    _live.pop(scratch, None)


def _remove_left_scratch() -> None:
    """At exit, remove this process's scratch folders whose kernel was never cleaned up (a start that failed)."""
    for key, (owner, groups) in list(_live_groups.items()):
        if owner == os.getpid():
            groups.remove()
            _live_groups.pop(key, None)
    for scratch, owner in list(_live.items()):
        if owner == os.getpid():
            remove_scratch(scratch)


def sweep() -> None:
    """Remove the scratch folders and control groups of graders that are gone (killed before cleaning up)."""
    for prefix in (SCRATCH_PREFIX, JUDGE_PREFIX):
        for scratch in {*Path(short_temp_folder()).glob(f"{prefix}*"), *Path(tempfile.gettempdir()).glob(f"{prefix}*"),
                        *Path("/tmp").glob(f"{prefix}*")}:
            _remove_if_orphaned(scratch, prefix)
    if not cgroups.available():
        cgroups.sweep()


def _remove_if_orphaned(scratch: Path, prefix: str) -> None:
    """Remove ``scratch`` when it is this user's and the grader named in it is gone."""
    owner = scratch.name[len(prefix):].split("-")[0]
    try:
        mine = scratch.lstat().st_uid == os.getuid() and scratch.is_dir() and not scratch.is_symlink()
    except OSError:
        return
    if mine and owner.isdigit() and not cgroups.alive(int(owner)):
        remove_scratch(scratch)


# --- which limits hold ----------------------------------------------------------------------------

def limits_table(limits: SandboxLimits | None = None) -> list[tuple[str, str, str]]:
    """``(limit, value, how it holds here)`` for each limit of a whole sandbox; "not held: why" when it does not."""
    limits = limits or SandboxLimits.from_environment()
    sandboxed = _probe() if mode() != "off" else "the sandbox is off (MLGRIND_SANDBOX=off)"
    groups = cgroups.available()
    write = size_text(limits.write)
    grading = [("time per submission", f"{submission_seconds():g} s", "every cell and restart of one notebook"),
               ("kernel restarts", str(MAX_RESTARTS), "per notebook; past it the cells left are not run")]
    if sandboxed:
        held = f"not held: {sandboxed}"
        return [("memory", size_text(limits.memory), "per process only (RLIMIT_AS); " + held),
                ("processes", str(limits.processes), held),
                ("bytes written", write, held), *grading]
    root = _tmpfs_mounts_allowed()
    return [
        ("memory", size_text(limits.memory),
         "whole sandbox, /dev/shm and tmpfs included (cgroup v1 memory)" if not groups
         else f"per process only (RLIMIT_AS): {groups}"),
        ("processes", str(limits.processes), "whole sandbox (cgroup v1 pids)" if not groups else f"not held: {groups}"),
        ("bytes written", write,
         "each writable folder is a tmpfs of this size" if root
         else "/tmp, /dev/shm and home are tmpfs of this size; the working folder per file only (RLIMIT_FSIZE)"),
        *grading,
    ]


def limits_text(limits: SandboxLimits | None = None) -> str:
    """``limits_table`` as aligned lines, for ``mlgrind limits``."""
    rows = limits_table(limits)
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    return "\n".join(f"{name:<{width}}  {value:>{value_width}}  {how}" for name, value, how in rows)


class SandboxProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching the kernel inside bubblewrap, within the sandbox's limits.

    Each kernel gets a scratch folder: ``k`` holds its connection file and sockets, ``work`` (its
    working folder) the data of ``submission`` (the folder nbclient would have started the kernel in),
    emptied and filled again on a restart. A kernel started ahead of its submission (``ahead``) gets
    its data later, from ``fill_scratch``. The scratch folder and control groups go with the kernel.
    """

    scratch: Path | None = None
    submission: Path | None = None
    groups: cgroups.Groups | None = None
    skipped: list = []  # one line per submission file that was not copied in

    @property
    def work(self) -> Path:
        return self.scratch / "work"

    async def pre_launch(self, **kwargs):
        km = self.parent
        self.limits = SandboxLimits.from_environment()
        if self.scratch is None:
            sweep()
            self.scratch, self.write_limited = new_scratch(self.limits)
        else:
            # A restart: the same folder (the client reconnects to the same socket paths), emptied.
            copyin.empty(self.work)
        cwd = kwargs.pop("cwd", None)
        if self.submission is None and cwd and not getattr(km, "started_ahead", False):
            self.submission = Path(cwd)
        self.fill_scratch()
        km.transport = "ipc"
        km.ip = str(sockets(self.scratch) / "s")
        km.connection_file = str(sockets(self.scratch) / "c.json")
        kwargs["cwd"] = str(self.work)
        return await super().pre_launch(**kwargs)

    def fill_scratch(self, submission: Path | None = None) -> None:
        """Copy the data of the submission's folder into the working folder (again, if it changed)."""
        if submission is not None:
            self.submission = Path(submission)
        if self.submission is None or self.scratch is None or not self.submission.is_dir():
            return
        self.skipped = copyin.copy_data(self.submission, self.work)

    async def launch_kernel(self, cmd, **kwargs):
        launch_env = kwargs.get("env") or dict(os.environ)
        sandboxed = command(cmd, self.scratch, self.limits, launch_env)
        if self.groups is None and not cgroups.available():
            self.groups = cgroups.create(self.limits.memory, self.limits.processes)
            _live_groups[id(self.groups)] = (os.getpid(), self.groups)
        if self.groups is not None:
            sandboxed = cgroups.enter_command(self.groups, sandboxed)
        elif not self.write_limited:
            sandboxed = _with_file_size_limit(sandboxed, self.limits.write)
        # bwrap itself sees only the kernel's environment: nothing of the grader's crosses, even in memory.
        kwargs["env"] = environment(launch_env)
        return await super().launch_kernel(sandboxed, **kwargs)

    def memory_limit_hits(self) -> int:
        """How often this sandbox reached its memory limit (0 where no control group holds it).

        A kernel that died with this above its count before the cell died of the sandbox's limit:
        ``limits.LIMIT_ERRORS["SandboxMemory"]`` names it.
        """
        return self.groups.memory_hits() if self.groups is not None else 0

    def kernel_pid(self) -> int | None:
        """The kernel's process id outside the sandbox: bwrap -> bwrap's init -> kernel."""
        if not self.process:
            return None
        for init in _children(self.process.pid):
            for kernel in _children(init):
                return kernel
        return None

    async def send_signal(self, signum: int) -> None:
        # An interrupt goes to the kernel alone: bwrap itself would die of it.
        if signum == signal.SIGINT:
            pid = self.kernel_pid()
            if pid is not None:
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    pass
            return
        await super().send_signal(signum)

    def _remove_scratch(self) -> None:
        if self.groups is not None:
            self.groups.remove()
            _live_groups.pop(id(self.groups), None)
            self.groups = None
        if self.scratch is not None:
            remove_scratch(self.scratch)
            self.scratch = None

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if not restart:
            self._remove_scratch()


def _with_file_size_limit(cmd: list[str], n_bytes: int) -> list[str]:
    """``cmd`` under a per-file size limit (RLIMIT_FSIZE; ``ulimit -f`` counts 512-byte blocks)."""
    return ["/bin/sh", "-c", f'ulimit -f {max(n_bytes // 512, 1)} && exec "$@"', "mlgrind-sandbox", *cmd]


atexit.register(_remove_left_scratch)
# A forked worker (``mlgrind autograde --jobs N``) ends through multiprocessing, which runs no atexit.
multiprocessing.util.Finalize(None, _remove_left_scratch, exitpriority=10)
