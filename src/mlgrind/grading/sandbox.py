"""Grading kernels in a bubblewrap sandbox: student code sees a read-only system and one scratch folder.

Inside, the whole file system is read-only, the course folder is hidden (only the installed
``mlgrind`` package and the virtual environment show through, read-only), ``/tmp``, ``/run`` and the
home folder are empty, and the only writable place is a fresh scratch folder holding a copy of that
one submission. The kernel has its own network, process and IPC namespaces, so it reaches no server
(the gradebook's PostgreSQL included) and sees no process of the grader; every process it forks ends
with it. The grader talks to it over Unix sockets in the scratch folder (jupyter_client's IPC
transport), the one channel that crosses the boundary.

Where ``bwrap`` is missing (macOS, a laptop without the package) kernels run unsandboxed, with a
warning printed once; with ``MLGRIND_SANDBOX=require`` (and under CI) that is an error instead.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

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
    return ["--unshare-all", "--die-with-parent"]


def _course_root() -> Path | None:
    """The course folder this package is installed from (editable install), if it is one."""
    package = Path(__file__).resolve().parents[1]
    root = package.parents[1]
    return root if (root / "autograder" / "nbgrader_config.py").exists() else None


def _hidden_folders(scratch: Path, courses: list[Path]) -> list[str]:
    """bwrap arguments that empty the folders a kernel must not see, then show back what it needs."""
    args = []
    hidden = ["/tmp", "/var/tmp", "/run", str(Path.home()), *map(str, courses)]
    if _course_root() is not None:
        hidden.append(str(_course_root()))
    for folder in sorted(set(hidden), key=len):
        if Path(folder).is_dir() and folder != "/":
            args += ["--tmpfs", folder]
    package = Path(__file__).resolve().parents[1]
    args += ["--ro-bind", str(package), str(package)]
    for prefix in {sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parents[1])}:
        args += ["--ro-bind", prefix, prefix]
    args += ["--bind", str(scratch), str(scratch)]
    return args


def command(cmd: list[str], scratch: Path, courses: list[Path] = ()) -> list[str]:
    """``cmd`` wrapped to run in a sandbox whose one writable folder (and working folder) is ``scratch``.

    The ``courses`` folders (and the one this package is installed from) are hidden.
    """
    return [
        shutil.which("bwrap") or "bwrap", *_namespaces(),
        "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
        *_hidden_folders(scratch, list(courses)),
        "--chdir", str(scratch),
        "--setenv", "HOME", str(scratch),
        "--setenv", "TMPDIR", str(scratch),
        "--setenv", "MPLCONFIGDIR", str(scratch / ".matplotlib"),
        "--setenv", "IPYTHONDIR", str(scratch / ".ipython"),
        "--setenv", "XDG_CACHE_HOME", str(scratch / ".cache"),
        "--unsetenv", "MLGRIND_DB_URL",
        # ipykernel exits when its parent looks like init, as bwrap's does, unless told its parent is
        # init; --die-with-parent ends the sandbox with the grader instead.
        "--setenv", "JPY_PARENT_PID", "1",
        "--", *cmd,
    ]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _copy_matplotlib_cache(scratch: Path) -> None:
    """Give the kernel the grader's matplotlib font list, so a plot does not rebuild it in every kernel."""
    cache = Path(os.environ.get("MPLCONFIGDIR") or Path.home() / ".cache" / "matplotlib")
    target = scratch / ".matplotlib"
    target.mkdir(exist_ok=True)
    for font_list in cache.glob("fontlist-*.json"):
        shutil.copyfile(font_list, target / font_list.name)


class SandboxProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching the kernel inside bubblewrap.

    Each kernel gets a scratch folder with a copy of ``submission`` (the folder nbclient would have
    started the kernel in), emptied and filled again on a restart; the connection file and its
    sockets live there.
    """

    scratch: Path | None = None
    submission: Path | None = None
    secret_files: dict = {}

    async def pre_launch(self, **kwargs):
        km = self.parent
        if self.scratch is None:
            self.scratch = Path(tempfile.mkdtemp(prefix="mlgrind-kernel-"))
        else:
            # A restart: the same folder (the client reconnects to the same socket paths), emptied.
            for entry in self.scratch.iterdir():
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        cwd = kwargs.pop("cwd", None)
        if self.submission is None and cwd:
            self.submission = Path(cwd)
        self.fill_scratch()
        for name, content in self.secret_files.items():
            secret = self.scratch / name
            secret.write_bytes(content)
            secret.chmod(0o600)
        _copy_matplotlib_cache(self.scratch)
        km.transport = "ipc"
        km.ip = str(self.scratch / "kernel")
        km.connection_file = str(self.scratch / "kernel.json")
        kwargs["cwd"] = str(self.scratch)
        return await super().pre_launch(**kwargs)

    def fill_scratch(self, submission: Path | None = None) -> None:
        """Copy the submission's folder into the scratch folder (again, if it changed)."""
        if submission is not None:
            self.submission = Path(submission)
        if self.submission is None or self.scratch is None or not self.submission.is_dir():
            return
        if self.submission.resolve() == (_course_root() or Path("/nonexistent")) / "autograder":
            return  # a kernel started ahead of time, before its submission is known
        shutil.copytree(self.submission, self.scratch, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))

    def courses(self) -> list[Path]:
        """The course folder of the nbgrader run that started this kernel, if its settings name one."""
        config = getattr(self.parent, "config", None)
        root = config.CourseDirectory.get("root") if config is not None and "CourseDirectory" in config else None
        return [Path(root).resolve()] if root else []

    async def launch_kernel(self, cmd, **kwargs):
        return await super().launch_kernel(command(cmd, self.scratch, self.courses()), **kwargs)

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
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if not restart:
            self._remove_scratch()

