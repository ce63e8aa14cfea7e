"""The warm grader: a background process per course that answers ``mlgrind grade`` and ``mlgrind check``.

A self-grade in a fresh process spends most of its time importing nbgrader and booting a sandboxed
kernel. So after grading in its own process, the command starts this grader, detached (``start``).
It imports nbgrader once, keeps one grading kernel booted ahead (sandboxed as always,
and a fresh one for every grade: ``kernels.keep_one_ready``), and grades each request with
``selfgrade`` exactly as the command would have. The command (``ask``) talks to it over a Unix socket
that only its owner can open, with ``multiprocessing.connection``'s key handshake (the key is in a
0600 file) and JSON messages (nothing is unpickled): the assignment, the student, the notebook for
``check``, and a stamp of mlgrind's files, the course config and the settings in the environment.

The grader serves one request at a time (the next client waits) and exits when a request's stamp
differs from its own (that command then grades in its own process and starts a new grader), when
the course config or mlgrind's files change or its socket is gone, and after ``MLGRIND_WARM_IDLE``
seconds without a request (15 minutes by default). A grader that is dead, hung or fails loses no
grade: the command says so in one line and grades in its own process. ``MLGRIND_WARM=0`` turns it off.
Class grading (``mlgrind autograde``, ``nbgrader autograde``) never uses it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import AuthenticationError, Connection, Listener, answer_challenge, deliver_challenge
from pathlib import Path

from ..course import Course
from .report import EDITOR, STUDENT, NotGraded, Report

SETTING = "MLGRIND_WARM"  # "0" (or off, no, false) turns the warm grader off
IDLE_SETTING = "MLGRIND_WARM_IDLE"  # seconds without a request before the grader exits
IDLE_SECONDS = 15 * 60
PROTOCOL = 1
# Settings read from the environment that change how a grade is made (limits, sandbox, kernels).
STAMPED_PREFIXES = ("MLGRIND_", "JUPYTER", "IPYTHON", "PYTHON")
STAMPED_NAMES = ("CI",)
# A Unix socket's path may be 108 bytes at most; a course deeper than that keeps it in a private folder.
LONGEST_SOCKET_PATH = 100
CONNECT_SECONDS = 5
# Beyond its cells' time limits, what a grade may take: imports, the gradebook, kernel restarts, feedback.
GRADE_OVERHEAD_SECONDS = 120


class Unanswered(Exception):
    """The warm grader gave no usable answer; the message says what happened, for a one-line note."""


def enabled() -> bool:
    return os.environ.get(SETTING, "1").strip().lower() not in ("0", "off", "no", "false")


def idle_seconds() -> float:
    try:
        return max(float(os.environ.get(IDLE_SETTING, IDLE_SECONDS)), 0.1)
    except ValueError:
        return IDLE_SECONDS


# --- where it lives -------------------------------------------------------------------------------

def folder(root: Path) -> Path:
    return root / "autograder" / "selfgrade"


def socket_path(root: Path) -> Path:
    """``autograder/selfgrade/warm.sock``, or a socket in a private folder of this user's when that path is too long."""
    path = folder(root) / "warm.sock"
    if len(str(path)) <= LONGEST_SOCKET_PATH:
        return path
    private = Path(tempfile.gettempdir()) / f"mlgrind-{os.getuid()}"
    return private / (hashlib.sha256(str(root).encode()).hexdigest()[:16] + ".sock")


def key_path(root: Path) -> Path:
    return folder(root) / "warm.key"


def log_path(root: Path) -> Path:
    return folder(root) / "warm.log"


def _lock_path(root: Path) -> Path:
    return folder(root) / "warm.lock"


def stamp(root: Path) -> str:
    """A digest of what a grade depends on besides the notebook: mlgrind's files, the course config, the settings."""
    digest = hashlib.sha256(f"{PROTOCOL} {sys.executable}".encode())
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            info = path.stat()
            digest.update(f"{path.relative_to(package)} {info.st_mtime_ns} {info.st_size}\n".encode())
    for config in [root / "nbgrader_config.py", *sorted((root / "autograder").glob("*.py"))]:
        digest.update(str(config).encode())
        digest.update(config.read_bytes() if config.is_file() else b"missing")
    for name, value in sorted(os.environ.items()):
        if (name.startswith(STAMPED_PREFIXES) and name != SETTING) or name in STAMPED_NAMES:
            digest.update(f"{name}={value}\n".encode())
    return digest.hexdigest()


def _peer(sock: socket.socket) -> tuple[int, int]:
    """The process id and user id at the other end of a Unix socket."""
    pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return pid, uid


# --- the command's side ---------------------------------------------------------------------------

def ask(course: Course, assignment: str, notebook=None, student: str = STUDENT) -> Report | NotGraded | None:
    """The warm grader's grade of the learner's notebook (or ``notebook``); None: grade in this process.

    None without a note when there is no grader or it was started with other settings; with a
    one-line note on stderr when one was there but gave no usable answer.
    """
    if not enabled():
        return None
    path = socket_path(course.root)
    if not path.is_socket():
        return None
    request = {"protocol": PROTOCOL, "stamp": stamp(course.root), "assignment": assignment, "student": student,
               "notebook": None}
    if notebook is not None:
        import nbformat

        request["notebook"] = nbformat.writes(notebook)
    try:
        reply = exchange(course.root, request, grade_seconds(course, assignment, notebook))
    except Unanswered as exc:
        print(f"mlgrind: the warm grader {exc}; grading in this process instead", file=sys.stderr)
        return None
    if reply.get("warning"):
        print(f"mlgrind: {reply['warning']}", file=sys.stderr)
    if "report" in reply:
        return Report.from_dict(reply["report"])
    if "not_graded" in reply:
        return NotGraded(reply["not_graded"])
    if "error" in reply:
        print(f"mlgrind: the warm grader failed ({reply['error']}); grading in this process instead", file=sys.stderr)
    return None  # "stale": it was started with other settings or code, and is exiting


def grade_seconds(course: Course, assignment: str, notebook=None) -> float:
    """How long a grade may take before its grader counts as hung: every code cell at its time limit, and more."""
    if notebook is None:
        try:
            notebook = json.loads(course.learner_notebook(assignment).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            notebook = {}
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    code_cells = sum(isinstance(c, dict) and c.get("cell_type") == "code" for c in cells) if isinstance(cells, list) else 0
    return GRADE_OVERHEAD_SECONDS + (course.settings.limits.cell_timeout or 60) * (code_cells + 2)


def exchange(root: Path, request: dict, timeout: float) -> dict:
    """Send ``request`` to the course's warm grader and return its reply; ``Unanswered`` if none came.

    ``timeout`` bounds each wait (for the grader to take the request, then for its reply); a grader
    that does not answer within it is stopped, so the next command does not wait for it again.
    """
    try:
        key = key_path(root).read_bytes()
    except OSError as exc:
        raise Unanswered(f"left no key ({exc.strerror})") from None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(CONNECT_SECONDS)
        sock.connect(str(socket_path(root)))
        sock.settimeout(None)
        pid, uid = _peer(sock)
    except OSError as exc:
        sock.close()
        raise Unanswered(f"is not running ({exc.strerror or exc})") from None
    if uid != os.getuid():
        sock.close()
        raise Unanswered(f"socket belongs to another user (uid {uid})")
    conn = Connection(sock.detach())
    try:
        _wait(conn, timeout)  # the handshake starts when the grader takes this request
        answer_challenge(conn, key)
        deliver_challenge(conn, key)
        conn.send_bytes(json.dumps(request).encode())
        _wait(conn, timeout)
        return json.loads(conn.recv_bytes())
    except TimeoutError:
        _stop_hung(pid)
        raise Unanswered(f"did not answer in {timeout:g} s and was stopped") from None
    except (EOFError, OSError, AuthenticationError, ValueError) as exc:
        raise Unanswered(f"stopped answering ({type(exc).__name__}{': ' + str(exc) if str(exc) else ''})") from None
    finally:
        conn.close()


def _wait(conn: Connection, timeout: float) -> None:
    """Until ``conn`` has something to read (a message, or the end of a grader that died)."""
    if not conn.poll(timeout):
        raise TimeoutError


def _stop_hung(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)  # its sandboxed kernel dies with it (bwrap --die-with-parent)
    except OSError:
        pass


def ping(root: Path, timeout: float = 600) -> int | None:
    """The warm grader's process id once it is ready for a grade (a kernel booted ahead), or None if there is none."""
    if not socket_path(root).is_socket():
        return None
    try:
        return exchange(root, {"protocol": PROTOCOL, "ping": True}, timeout).get("pid")
    except Unanswered:
        return None


def running(root: Path) -> bool:
    """Whether a warm grader holds this course (ready, or still starting)."""
    try:
        handle = open(_lock_path(root), "a")
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        return False


def start(course: Course) -> None:
    """Start the course's warm grader in the background for the next grade, unless one runs or it is off.

    The grader inherits the course's lock, taken here: from now on ``running`` is true, and a second
    command finds it so instead of starting another.
    """
    if not enabled():
        return
    folder(course.root).mkdir(parents=True, exist_ok=True)
    lock = open(_lock_path(course.root), "a")
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # one runs
        with open(log_path(course.root), "ab") as log:
            subprocess.Popen([sys.executable, "-m", __name__, str(course.root), str(lock.fileno())],
                             cwd=course.root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True, pass_fds=(lock.fileno(),))


# --- the grader's side ----------------------------------------------------------------------------

class Grader:
    """One course's warm grader: a socket, a kernel booted ahead, one grade at a time."""

    def __init__(self, root: Path):
        self.root = root
        self.course = Course(root)
        self.stamp = stamp(root)
        self.idle = idle_seconds()
        self.busy = threading.Lock()
        self.last_request = time.monotonic()
        self.path = socket_path(root)
        self.listener: Listener | None = None
        self.socket_inode: int | None = None
        self.lock = None  # the open lock file that makes this the course's one grader

    def log(self, message: str) -> None:
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} [{os.getpid()}] {message}", file=sys.stderr, flush=True)

    def prepare(self) -> None:
        """Import and warm the grading code, boot a kernel, then open the socket: a grader that answers is ready."""
        from . import kernels, selfgrade

        started = time.monotonic()
        try:
            with tempfile.TemporaryDirectory(dir=folder(self.root)) as scratch:
                rehearsed = selfgrade.rehearse(self.course, Path(scratch))
            self.log(f"warmed up on {rehearsed or 'nothing'} in {time.monotonic() - started:.2f} s")
        except Exception as exc:  # noqa: BLE001 - a cold first grade is still a grade
            self.log(f"warm-up failed: {type(exc).__name__}: {exc}".splitlines()[0])
        kernels.keep_one_ready(self.course)
        key = secrets.token_bytes(32)
        written = key_path(self.root).with_suffix(".key.new")
        written.unlink(missing_ok=True)
        with os.fdopen(os.open(written, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            handle.write(key)
        written.replace(key_path(self.root))
        if self.path.parent != folder(self.root):
            self.path.parent.mkdir(mode=0o700, exist_ok=True)
            if self.path.parent.stat().st_uid != os.getuid() or self.path.parent.stat().st_mode & 0o077:
                raise PermissionError(f"{self.path.parent} is not a private folder of this user's")
        umask = os.umask(0o177)  # the socket is created 0600: only its owner may connect
        try:
            self.listener = Listener(str(self.path), "AF_UNIX", backlog=16, authkey=key)
        finally:
            os.umask(umask)
        self.socket_inode = self.path.stat().st_ino
        self.log(f"ready for {self.root}")

    def serve(self) -> None:
        threading.Thread(target=self._watch, name="mlgrind-warm-watch", daemon=True).start()
        while True:
            try:
                conn = self.listener.accept()
            except (AuthenticationError, OSError, EOFError) as exc:
                self.log(f"refused a connection: {exc}")
                continue
            with conn, self.busy:
                self.last_request = time.monotonic()
                try:
                    reason = self._answer(conn)
                except Exception as exc:  # noqa: BLE001 - the waiting command notices the closed socket and grades itself
                    reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
                if reason:
                    self.exit(reason)
                self.last_request = time.monotonic()

    def _answer(self, conn: Connection) -> str:
        """Answer one request on ``conn``; a reason to exit when it was made with other code or settings."""
        from . import kernels, sandbox

        with socket.fromfd(conn.fileno(), socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            _pid, uid = _peer(sock)
        if uid != os.getuid():
            self.log(f"refused a request from uid {uid}")
            return ""
        try:
            request = json.loads(conn.recv_bytes())
        except (EOFError, OSError, ValueError) as exc:
            self.log(f"unreadable request: {exc}")
            return ""
        if request.get("protocol") != PROTOCOL:
            conn.send_bytes(json.dumps({"stale": True}).encode())
            return "a request of another protocol"
        if request.get("ping"):
            conn.send_bytes(json.dumps({"pid": os.getpid()}).encode())
            return ""
        if request.get("stamp") != self.stamp:
            conn.send_bytes(json.dumps({"stale": True}).encode())
            return "a request made with other code, course config or settings"
        started = time.monotonic()
        reply = self._grade(request)
        warning = sandbox.warning()
        if warning:
            reply["warning"] = warning  # said by every command it answers, as a grade in its own process says it
        conn.send_bytes(json.dumps(reply).encode())
        self.log(f"graded {request.get('assignment')} ({request.get('student')}) in {time.monotonic() - started:.2f} s: "
                 f"{next(iter(reply))}")
        kernels.keep_one_ready(self.course)
        return ""

    def _grade(self, request: dict) -> dict:
        from . import kernels
        from .selfgrade import outcome

        if request.get("assignment") not in self.course.assignments() or request.get("student") not in (STUDENT, EDITOR):
            return {"error": "a request for an assignment or student this course does not have"}
        try:
            notebook = None
            if request.get("notebook") is not None:
                import nbformat

                notebook = nbformat.reads(request["notebook"], as_version=4)
            kernels.keep_one_ready(self.course)  # a kernel that died while waiting is replaced first
            result = outcome(self.course, str(request["assignment"]), notebook, str(request["student"]))
        except Exception as exc:  # noqa: BLE001 - the command grades in its own process and shows the error there
            return {"error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
        if isinstance(result, NotGraded):
            return {"not_graded": result.message}
        return {"report": result.to_dict()}

    def _watch(self) -> None:
        """Exit when idle too long, when the course config or mlgrind's files change, or the socket is gone."""
        period = min(1.0, self.idle / 4)
        while True:
            time.sleep(period)
            with self.busy:
                reason = self._reason_to_exit()
                if reason:
                    self.exit(reason)

    def _reason_to_exit(self) -> str:
        if time.monotonic() - self.last_request > self.idle:
            return f"no request for {self.idle:g} s"
        try:
            if self.path.stat().st_ino != self.socket_inode:
                return "its socket was replaced"
        except OSError:
            return "its socket is gone"
        if stamp(self.root) != self.stamp:
            return "the course config or mlgrind's files changed"
        return ""

    def exit(self, reason: str) -> None:
        """Remove the socket and key, stop the kernel booted ahead, and end the process."""
        from . import kernels

        self.log(f"exiting: {reason}")
        try:
            if self.path.stat().st_ino == self.socket_inode:
                self.path.unlink()
                key_path(self.root).unlink(missing_ok=True)
        except OSError:
            pass
        if self.lock is not None:
            self.lock.close()  # a new grader may start while this one's kernel is stopped
        try:
            kernels.stop()
        finally:
            os._exit(0)


def serve(root: Path, lock_fd: int | None = None) -> int:
    """Run the warm grader of the course at ``root`` until it has a reason to exit (one per course).

    ``lock_fd`` is the course's lock, already taken by ``start``; without it the lock is taken here.
    """
    if lock_fd is not None:
        lock = os.fdopen(lock_fd, "a")
    else:
        folder(root).mkdir(parents=True, exist_ok=True)
        lock = open(_lock_path(root), "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return 0  # another grader has this course
    grader = Grader(root)
    grader.lock = lock
    grader.path.unlink(missing_ok=True)  # left by a grader that was killed: with the lock held, it is no one's
    signal.signal(signal.SIGTERM, lambda *_: grader.exit("stopped (SIGTERM)"))
    try:
        grader.prepare()
    except Exception as exc:  # noqa: BLE001 - the learner grades in their own process meanwhile
        grader.log(f"could not start: {type(exc).__name__}: {exc}")
        grader.exit("not started")
    grader.serve()
    return 0


if __name__ == "__main__":
    sys.exit(serve(Path(sys.argv[1]).resolve(), int(sys.argv[2]) if len(sys.argv) > 2 else None))
