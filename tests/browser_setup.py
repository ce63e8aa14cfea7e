"""JupyterLab and headless Chromium for the browser tests: a private Jupyter server, Debian's Chromium.

Playwright drives Debian's Chromium at /usr/bin/chromium (no `playwright install`: browser downloads
are not needed). `make test` installs Chromium when run as root; without it the browser tests skip
and say why, and under CI (CI=true) they fail instead, so a broken setup cannot hide. The ``chromium``
fixture (conftest.py) launches it once per run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from support import BIN, env

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    expect = sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # allowed to run as root
    "--disable-gpu",
    "--disable-background-networking",  # no outbound calls on a closed network
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when Playwright and Chromium are both in place."""
    if sync_playwright is None:
        return "needs Playwright for Python: pip install -e '.[test]' (or `make test`)"
    if not CHROMIUM.exists():
        return ("needs Debian's chromium at /usr/bin/chromium: `make test` installs it when run as root "
                "(apt-get install chromium); without root, ask for the `chromium` package")
    return None


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


@contextlib.contextmanager
def launched_chromium(home: Path):
    """Headless Chromium whose HOME and XDG folders are in ``home``; closed afterwards."""
    environment = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
                       XDG_CACHE_HOME=str(home / "cache"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
                                    env=environment)
        try:
            yield browser
        finally:
            browser.close()


def get(url: str) -> tuple[int, str]:
    """HTTP status and body of ``url`` (an error status with an empty body)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def private_environment(base: Path, news_off: bool = True) -> dict:
    """The course's environment with HOME and every Jupyter folder in ``base``.

    ``news_off``: a user setting keeps JupyterLab's news toast off the page (the learner's lab needs
    none: it turns the toast off itself).
    """
    environment = env(JUPYTER_PLATFORM_DIRS="1")
    for name in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                 "JUPYTERLAB_WORKSPACES_DIR"):
        environment[name] = str(base / name.lower())
    environment.pop("JUPYTER_CONFIG_PATH", None)
    settings = base / "settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True, exist_ok=True)
    if news_off:
        (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    environment["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    return environment


@contextlib.contextmanager
def serving(command: list[str], cwd: Path, environment: dict, port: int, token: str):
    """Run a Jupyter server command until its REST API answers; stop its process group afterwards.

    Yields the server's URL and its log file (beside ``environment``'s HOME).
    """
    log_path = Path(environment["HOME"]).parent / f"server-{port}.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=cwd, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, f"the server exited {server.returncode}: {log_path.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"no answer in 90 s: {log_path.read_text()[-2000:]}"
            with contextlib.suppress(OSError):
                if get(f"http://127.0.0.1:{port}/api/contents?token={token}")[0] == 200:
                    break
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", log_path
    finally:
        with contextlib.suppress(ProcessLookupError):  # SIGTERM lets the server shut its kernels down
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def jupyter_lab(port: int, token: str, *args: str) -> list[str]:
    """The command of a JupyterLab server on loopback ``port`` that opens no browser of its own."""
    command = [str(BIN / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
               f"--IdentityProvider.token={token}", *args]
    if os.geteuid() == 0:
        command.append("--allow-root")  # the server refuses to start as root otherwise
    return command


def idle_kernel(page):
    """The status bar's kernel item, once it reads idle.

    That is a connected kernel, not just the toolbar's idle dot (it reads idle before a kernel attaches).
    """
    return page.locator(".jp-StatusBar-TextItem").filter(has_text=re.compile(r"^Python 3.*\| Idle$"))
