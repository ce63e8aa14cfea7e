"""The README's first command, headless: JupyterLab serves the course's notebooks/, without the class tools.

`make lab` is for self-study: nbgrader's panels and server extensions (assignment list, courses,
formgrader, create-assignment, the Validate button) need a class and only show errors there, so its
JupyterLab turns them off through learner-lab/. An instructor's plain `jupyter lab` in the course
root keeps every one of them. Both are checked in a real browser (headless Chromium via Playwright,
as in test_browser.py), each beside the other so neither check passes vacuously.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import BIN, REPO, copy_course, env
from test_browser import CHROMIUM, CHROMIUM_ARGS, _missing

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    sync_playwright = None

NOTEBOOK = "01_broadcasting.ipynb"
CLASS_ONLY = re.compile(r"Error fetching|exchange|nbgrader", re.IGNORECASE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def private_environment(base: Path) -> dict:
    """HOME and every Jupyter folder in ``base``; no news toast over the page."""
    environment = env(JUPYTER_PLATFORM_DIRS="1")
    for name in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                 "JUPYTERLAB_WORKSPACES_DIR"):
        environment[name] = str(base / name.lower())
    environment.pop("JUPYTER_CONFIG_PATH", None)
    settings = base / "settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True, exist_ok=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    environment["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    return environment


@contextlib.contextmanager
def serving(command: list[str], cwd: Path, environment: dict, port: int, token: str):
    """Run a Jupyter server command until its REST API answers; stop its process group afterwards."""
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


def make_lab(course: Path, environment: dict, port: int, token: str):
    """`make lab-headless` of the repository, serving ``course``'s notebooks (a copy: nothing is saved here)."""
    args = f"--port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    return serving(["make", "-s", "lab-headless", f"LAB_ARGS={args}", f"LAB_ROOT={course / 'notebooks'}"], REPO,
                   environment, port, token)


def instructors_lab(course: Path, environment: dict, port: int, token: str):
    """Plain `jupyter lab` started in the course root, as the README's instructor guide says."""
    command = [str(BIN / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
               f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    return serving(command, course, environment, port, token)


def test_make_lab_headless_serves_the_notebooks(tmp_path):
    port, token = free_port(), "mlgrind-test"
    environment = private_environment(tmp_path)
    args = f"--port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    with serving(["make", "-s", "lab-headless", f"LAB_ARGS={args}"], REPO, environment, port, token) as (url, _):
        status, body = get(f"{url}/api/contents?token={token}")
        names = [item["name"] for item in json.loads(body)["content"]]
        assert "01_broadcasting.ipynb" in names
        status, page = get(f"{url}/lab?token={token}")
        assert status == 200 and "JupyterLab" in page


# ---------------------------------------------------------------------------------------- in a browser
@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    reason = _missing()
    if reason and os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"CI=true, so the browser test must run: it {reason}")
    if reason:
        pytest.skip(reason)
    home = tmp_path_factory.mktemp("chromium-home")
    environment = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
                       XDG_CACHE_HOME=str(home / "cache"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
                                    env=environment)
        yield browser
        browser.close()


def open_notebook(browser, url: str, token: str, path: str):
    """A page showing the notebook at ``path`` with its kernel connected, and everything the console said."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    said = []
    page.on("console", lambda message: said.append(message.text))
    page.on("pageerror", lambda error: said.append(str(error)))
    page.goto(f"{url}/lab/tree/{path}?token={token}")
    # A connected kernel: by then every toolbar button and menu of the notebook is in place.
    idle = page.locator(".jp-StatusBar-TextItem").filter(has_text=re.compile(r"^Python 3.*\| Idle$"))
    expect(idle).to_have_count(1, timeout=90_000)
    expect(page.locator(".jp-NotebookPanel-toolbar")).to_be_visible()
    return page, said


def test_make_lab_shows_nothing_meant_for_a_class(chromium, tmp_path):
    course = copy_course(tmp_path / "course")
    port, token = free_port(), "learner"
    with make_lab(course, private_environment(tmp_path / "learner"), port, token) as (url, log):
        for route in ("formgrader", "assignments", "courses"):  # nbgrader's server extensions are off
            assert get(f"{url}/{route}?token={token}")[0] == 404, route
        page, said = open_notebook(chromium, url, token, NOTEBOOK)
        try:
            menubar = page.locator(".lm-MenuBar-content")
            expect(menubar).to_contain_text("Kernel")
            expect(menubar).not_to_contain_text("Nbgrader")
            expect(page.locator(".jp-NotebookPanel-toolbar")).to_contain_text("Markdown")  # the cell-type box
            expect(page.locator(".validate-button")).to_have_count(0)
            expect(page.get_by_role("button", name="Validate")).to_have_count(0)
            page.wait_for_timeout(1000)  # room for a late panel or toast to draw; each check waits anyway
            assert not CLASS_ONLY.search(page.locator("body").inner_text())
            assert not [line for line in said if CLASS_ONLY.search(line)], said
            assert not CLASS_ONLY.search(log.read_text().replace(str(REPO), "")), log.read_text()[-2000:]
        except Exception:
            page.screenshot(path=str(tmp_path / "learner-failure.png"))
            raise
        finally:
            page.close()


def test_the_instructors_lab_keeps_nbgraders_tools(chromium, tmp_path):
    course = copy_course(tmp_path / "course")
    port, token = free_port(), "instructor"
    with instructors_lab(course, private_environment(tmp_path / "instructor"), port, token) as (url, _):
        assert get(f"{url}/formgrader?token={token}")[0] == 200
        page, _ = open_notebook(chromium, url, token, f"notebooks/{NOTEBOOK}")
        try:
            expect(page.locator(".validate-button")).to_have_count(1)
            page.locator(".lm-MenuBar-content").get_by_text("Nbgrader", exact=True).click()
            menu = page.locator(".lm-Menu-content")
            for item in ("Assignment List", "Course List", "Formgrader"):
                expect(menu).to_contain_text(item)
        except Exception:
            page.screenshot(path=str(tmp_path / "instructor-failure.png"))
            raise
        finally:
            page.close()
