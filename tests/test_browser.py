"""In a real browser: JupyterLab opens 01_broadcasting, runs its BroadcastFlow cell, and the
diagram follows what is typed into the widget (the Python callback runs in the kernel); and Run All
on every untouched notebook goes through to the closing drill widget.

Needs Debian's Chromium at /usr/bin/chromium, driven by Playwright (no `playwright install`:
browser downloads are not needed). `make test` installs Chromium when run as root. Without it the
test skips and says why; under CI (CI=true) it fails instead, so a broken setup cannot hide.
"""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest

from browser_setup import expect, idle_kernel, jupyter_lab, private_environment, serving
from support import REPO, copy_course, free_port

pytestmark = pytest.mark.browser

NOTEBOOK = "notebooks/01_broadcasting.ipynb"


@pytest.fixture(scope="module")
def lab(chromium, tmp_path_factory):
    """JupyterLab on a free loopback port, no token, serving a throw-away copy of the course.

    HOME and every Jupyter/IPython folder live in the temp folder; the server is stopped afterwards.
    Asks for ``chromium`` first, so that without a browser no server starts.
    """
    base = tmp_path_factory.mktemp("lab")
    course = copy_course(base / "course")
    port = free_port()
    command = jupyter_lab(port, "", "--ServerApp.password=", f"--ServerApp.root_dir={course}")
    with serving(command, course, private_environment(base / "jupyter"), port, token="") as (url, log):
        yield {"url": url, "log": log, "course": course}


def test_broadcast_flow_follows_what_is_typed(lab, chromium, tmp_path):
    page = chromium.new_page(viewport={"width": 1280, "height": 1000})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{lab['url']}/lab/tree/{NOTEBOOK}")
        expect(idle_kernel(page)).to_have_count(1, timeout=90_000)

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


ASSIGNMENTS = sorted(path.stem for path in (REPO / "notebooks").glob("0*.ipynb"))
# A traceback line through the course's own files, as IPython prints it ("File .../mlgrind/checks/checker.py:12").
COURSE_FRAME = re.compile(r"mlgrind[/\\][\w/\\]*\.py")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_run_all_on_an_untouched_notebook_reaches_the_drill(lab, chromium, tmp_path, assignment):
    """Run All through the menu: every check says "not attempted yet" in one line, nothing raises,
    no output shows a frame of mlgrind, and the last cell's drill widget renders."""
    page = chromium.new_page(viewport={"width": 1280, "height": 1000})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    path = lab["course"] / "notebooks" / f"{assignment}.ipynb"
    try:
        # A workspace of its own, so the notebooks opened by earlier tests are not restored beside it.
        page.goto(f"{lab['url']}/lab/workspaces/run-all-{assignment}/tree/notebooks/{assignment}.ipynb?reset")
        idle = idle_kernel(page)
        expect(idle).to_have_count(1, timeout=90_000)

        page.locator(".lm-MenuBar-itemLabel").filter(has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel").filter(has_text=re.compile(r"^Run All Cells$")).click()

        last = page.locator(".jp-Notebook .jp-CodeCell").last
        last.scroll_into_view_if_needed()
        expect(last.get_by_role("button", name="Next question").first).to_be_visible(timeout=180_000)
        expect(idle).to_have_count(1, timeout=60_000)
        page.screenshot(path=str(tmp_path / f"{assignment}-run-all.png"))
        # The drill's answer box shows its whole example answer ("6.9e10, 2*4096**3  or  memory").
        box = last.locator("input[type=text]").first
        shown, room = box.evaluate("""box => {
            const style = getComputedStyle(box), pen = document.createElement("canvas").getContext("2d");
            pen.font = style.font;
            return [pen.measureText(box.placeholder).width,
                    box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)];
        }""")
        assert shown <= room, (box.get_attribute("placeholder"), shown, room)

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
