"""The README's first command, headless: JupyterLab serves the course's notebooks/, without the class tools.

`make lab` is for self-study: nbgrader's panels and server extensions (assignment list, courses,
formgrader, create-assignment, the Validate button) need a class and only show errors there, so its
JupyterLab turns them off through learner-lab/. An instructor's plain `jupyter lab` in the course
root keeps every one of them. Both are checked in a real browser (headless Chromium via Playwright,
as in test_browser.py), each beside the other so neither check passes vacuously.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from browser_setup import expect, get, idle_kernel, jupyter_lab, private_environment, serving
from gradesheet import gradesheet
from support import BIN, REPO, copy_course, free_port

NOTEBOOK = "01_broadcasting.ipynb"
CLASS_ONLY = re.compile(r"Error fetching|exchange|nbgrader", re.IGNORECASE)


def make_lab(course: Path, environment: dict, port: int, token: str):
    """`make lab-headless` of the repository, serving ``course``'s notebooks (a copy: nothing is saved here)."""
    args = f"--port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    return serving(["make", "-s", "lab-headless", f"LAB_ARGS={args}", f"LAB_ROOT={course / 'notebooks'}"], REPO,
                   environment, port, token)


def instructors_lab(course: Path, environment: dict, port: int, token: str):
    """Plain `jupyter lab` started in the course root, as the README's instructor guide says."""
    return serving(jupyter_lab(port, token), course, environment, port, token)


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


def terminal_says(url: str, token: str, cwd: Path, command: str, timeout: float = 300) -> str:
    """What a new terminal of the lab at ``url``, opened in ``cwd``, prints for ``command`` (through its
    websocket), until done."""
    import asyncio

    from tornado.websocket import websocket_connect

    request = urllib.request.Request(f"{url}/api/terminals?token={token}", method="POST",
                                     data=json.dumps({"cwd": str(cwd)}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        name = json.loads(reply.read())["name"]
    marker = "END-OF-" + "COMMAND"

    async def talk() -> str:
        socket = await websocket_connect(f"{url.replace('http', 'ws')}/terminals/websocket/{name}?token={token}")
        await socket.write_message(json.dumps(["stdin", f"{command}; echo; echo {marker}\r"]))
        said = ""
        while said.count(marker) < 2:  # the echoed command line, then the echo's own output
            message = await asyncio.wait_for(socket.read_message(), timeout)
            assert message is not None, f"the terminal closed: {said[-2000:]}"
            kind, *rest = json.loads(message)
            if kind == "stdout":
                said += rest[0]
        socket.close()
        return said

    return asyncio.run(talk())


def test_mlgrind_grade_works_in_the_learner_labs_terminal(tmp_path):
    """JupyterLab's terminal starts the user's login files, and a login profile may reset PATH (Debian's
    /etc/profile does): the course's commands are still found, and `mlgrind grade 01` grades."""
    course = copy_course(tmp_path / "course")
    environment = private_environment(tmp_path / "learner")
    home = Path(environment["HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / ".profile").write_text("PATH=/usr/bin:/bin\nexport PATH\n")
    port, token = free_port(), "learner"
    with make_lab(course, environment, port, token) as (url, _):
        said = terminal_says(url, token, course / "notebooks", "command -v mlgrind && mlgrind grade 01")
    said = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", said)
    assert f"{BIN / 'mlgrind'}" in said, said[-3000:]
    assert "command not found" not in said
    total = gradesheet("01_broadcasting").total
    assert f"score: 0 / {total:g} autograded points" in said, said[-3000:]
    assert f"{course / 'notebooks' / 'feedback' / '01_broadcasting.html'}" in said


# ---------------------------------------------------------------------------------------- in a browser
def open_notebook(browser, url: str, token: str, path: str):
    """A page showing the notebook at ``path`` with its kernel connected, and everything the console said."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    said = []
    page.on("console", lambda message: said.append(message.text))
    page.on("pageerror", lambda error: said.append(str(error)))
    page.goto(f"{url}/lab/tree/{path}?token={token}")
    # A connected kernel: by then every toolbar button and menu of the notebook is in place.
    expect(idle_kernel(page)).to_have_count(1, timeout=90_000)
    expect(page.locator(".jp-NotebookPanel-toolbar")).to_be_visible()
    return page, said


@pytest.mark.browser
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


@pytest.mark.browser
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
