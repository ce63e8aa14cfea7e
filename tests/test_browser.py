"""In a real browser: JupyterLab opens 01_broadcasting, runs its BroadcastFlow cell, and the
diagram follows what is typed into the widget (the Python callback runs in the kernel); and Run All
on every untouched notebook goes through to the closing drill widget.

Needs Debian's Chromium at /usr/bin/chromium, driven by Playwright (no `playwright install`:
browser downloads are not needed). `make test` installs Chromium when run as root. Without it the
test skips and says why; under CI (CI=true) it fails instead, so a broken setup cannot hide.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from support import copy_course

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
NOTEBOOK = "notebooks/01_broadcasting.ipynb"

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    sync_playwright = None


def _missing() -> str | None:
    if sync_playwright is None:
        return "needs Playwright for Python: pip install -e '.[test]' (or `make test`)"
    if not CHROMIUM.exists():
        return ("needs Debian's chromium at /usr/bin/chromium: `make test` installs it when run as root "
                "(apt-get install chromium); without root, ask for the `chromium` package")
    return None


@pytest.fixture(scope="module", autouse=True)
def browser_available():
    reason = _missing()
    if reason and os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"CI=true, so the browser test must run: it {reason}")
    if reason:
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a free loopback port, no token, serving a throw-away copy of the course.

    HOME and every Jupyter/IPython folder live in the temp folder; the server is stopped by its PID.
    """
    base = tmp_path_factory.mktemp("lab")
    course = copy_course(base / "course")
    settings = base / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # No "get notified about Jupyter news?" toast over the notebook.
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    bin_dir = Path(sys.executable).parent
    environment = dict(
        os.environ,
        PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        HOME=str(base / "home"),
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_DATA_DIR=str(base / "data"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        IPYTHONDIR=str(base / "ipython"),
        JUPYTER_PLATFORM_DIRS="1",
    )
    environment.pop("MLGRIND_DB_URL", None)
    port = _free_port()
    command = [
        str(bin_dir / "jupyter"), "lab", "--no-browser", "--port", str(port), "--ip", "127.0.0.1",
        "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={course}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")  # the server refuses to start as root otherwise
    log_path = base / "jupyter.log"
    log = open(log_path, "w")
    server = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"jupyter lab exited {server.returncode}: {log_path.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield {"url": url, "log": log_path, "course": course}
    finally:
        # SIGTERM lets the server shut its kernels down; SIGKILL only if it hangs.
        try:
            os.kill(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
        except ProcessLookupError:
            pass
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    home = tmp_path_factory.mktemp("chromium-home")
    environment = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
                       XDG_CACHE_HOME=str(home / "cache"))
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
                                     env=environment)
        yield chromium
        chromium.close()


def test_broadcast_flow_follows_what_is_typed(lab, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{lab['url']}/lab/tree/{NOTEBOOK}")
        # A connected kernel, not just the toolbar's idle dot (it reads idle before a kernel attaches).
        idle = page.locator(".jp-StatusBar-TextItem").filter(has_text=re.compile(r"^Python 3.*\| Idle$"))
        expect(idle).to_have_count(1, timeout=90_000)

        cell = page.locator(".jp-CodeCell").filter(has_text="BroadcastFlow((9, 1, 3), (4, 1))")
        expect(cell).to_have_count(1)
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")

        flow = cell.locator(".mlgrind-flow-widget")
        result = flow.locator(".mlgrind-outcome")
        expect(result).to_contain_text("result (9, 4, 3)", timeout=60_000)
        expect(flow.locator(".mlgrind-dim.mlgrind-stretched").first).to_contain_text("stretched")
        # The snapshot for static viewers is in the output but hidden while the live widget shows.
        expect(cell.locator(".mlgrind-static")).to_have_count(1)
        expect(cell.locator(".mlgrind-static")).to_be_hidden()
        expect(cell.locator(".mlgrind-flow")).to_have_count(2)
        page.screenshot(path=str(tmp_path / "broadcast-flow-seed.png"))

        fields = flow.locator("input[type=text]")
        expect(fields).to_have_count(2)
        fields.nth(0).fill("(3,)")
        fields.nth(1).fill("(4,)")
        # Only the kernel-side callback can redraw the diagram.
        expect(result).to_contain_text("conflict", timeout=15_000)
        expect(result).to_contain_text("axis 0: size 3 (A) vs size 4 (B)")
        expect(flow.locator("th").filter(has_text="conflict")).to_have_count(1)

        fields.nth(1).fill("(4, one)")
        expect(flow.locator(".mlgrind-input-error")).to_contain_text("'one' is not a size", timeout=15_000)
        expect(result).to_contain_text("axis 0: size 3 (A) vs size 4 (B)")  # the last diagram stays

        fields.nth(1).fill("2, 1")
        expect(result).to_contain_text("result (2, 3)", timeout=15_000)
        expect(flow.locator(".mlgrind-input-error")).to_have_count(0)
        fields.nth(1).fill("(4,)")
        expect(result).to_contain_text("axis 0: size 3 (A) vs size 4 (B)", timeout=15_000)

        flow.scroll_into_view_if_needed()
        shot = tmp_path / "broadcast-flow-conflict.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
        assert not errors, errors
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"))
        shutil.copy(lab["log"], tmp_path / "jupyter-failure.log")
        raise
    finally:
        page.close()


def _shut_down_kernels(page) -> None:
    """Stop every kernel of the server, so a finished notebook's kernel does not compete with the next.

    Asked from the page, which holds the server's XSRF cookie.
    """
    page.evaluate("""async () => {
        const xsrf = document.cookie.match(/_xsrf=([^;]+)/);
        const headers = xsrf ? {"X-XSRFToken": decodeURIComponent(xsrf[1])} : {};
        const kernels = await (await fetch("/api/kernels")).json();
        for (const kernel of kernels) {
            const reply = await fetch(`/api/kernels/${kernel.id}`, {method: "DELETE", headers});
            if (!reply.ok) throw new Error(`shutting kernel ${kernel.id} down: ${reply.status}`);
        }
    }""")


ASSIGNMENTS = sorted(path.stem for path in (Path(__file__).resolve().parents[1] / "notebooks").glob("0*.ipynb"))
# A traceback line through the course's own files, as IPython prints it ("File .../mlgrind/checks/checker.py:12").
COURSE_FRAME = re.compile(r"mlgrind[/\\][\w/\\]*\.py")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_run_all_on_an_untouched_notebook_reaches_the_drill(lab, browser, tmp_path, assignment):
    """Run All through the menu: every check says "not attempted yet" in one line, nothing raises,
    no output shows a frame of mlgrind, and the last cell's drill widget renders."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    path = lab["course"] / "notebooks" / f"{assignment}.ipynb"
    try:
        # A workspace of its own, so the notebooks opened by earlier tests are not restored beside it.
        page.goto(f"{lab['url']}/lab/workspaces/run-all-{assignment}/tree/notebooks/{assignment}.ipynb?reset")
        idle = page.locator(".jp-StatusBar-TextItem").filter(has_text=re.compile(r"^Python 3.*\| Idle$"))
        expect(idle).to_have_count(1, timeout=90_000)

        page.locator(".lm-MenuBar-itemLabel").filter(has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel").filter(has_text=re.compile(r"^Run All Cells$")).click()

        last = page.locator(".jp-Notebook .jp-CodeCell").last
        last.scroll_into_view_if_needed()
        expect(last.get_by_role("button", name="Next question").first).to_be_visible(timeout=180_000)
        expect(idle).to_have_count(1, timeout=60_000)
        page.screenshot(path=str(tmp_path / f"{assignment}-run-all.png"))

        # The saved notebook holds every cell's outputs, on screen or not.
        before = path.stat().st_mtime_ns
        page.keyboard.press("Control+s")
        deadline = time.monotonic() + 30
        while path.stat().st_mtime_ns == before:
            assert time.monotonic() < deadline, "the notebook was not saved"
            time.sleep(0.2)
        nb = json.loads(path.read_text())
        code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
        assert all(cell["execution_count"] for cell in code), "Run All stopped before the last cell"
        outputs = [out for cell in code for out in cell["outputs"]]
        assert not [out for out in outputs if out["output_type"] == "error"]
        texts = ["".join(out.get("text", "")) + json.dumps(out.get("data", {})) for out in outputs]
        assert not [text for text in texts if COURSE_FRAME.search(text)]
        checks = [cell for cell in code if cell["metadata"].get("nbgrader", {}).get("grade_id", "").startswith("check_")]
        for cell in checks:
            printed = "".join("".join(out.get("text", "")) for out in cell["outputs"]).strip()
            assert printed.count("\n") == 0 and "not attempted yet" in printed, (cell["source"], printed)
        assert not errors, errors
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"))
        shutil.copy(lab["log"], tmp_path / "jupyter-failure.log")
        raise
    finally:
        _shut_down_kernels(page)
        page.close()
