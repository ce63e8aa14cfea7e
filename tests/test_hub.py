"""A class on JupyterHub: the instructor releases, two students fetch and submit, the instructor grades.

Everything goes through HTTP as the users' browsers would: the Hub's REST API (users, servers,
tokens), each user's own single-user server (nbgrader's Assignments and Formgrader APIs, the
contents API). The Hub, its proxy and the servers are started here on 127.0.0.1 and all stopped.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import nbformat
import pytest

from gradesheet import gradesheet
from support import BIN, REPO, copy_course, env, free_port, solved

pytestmark = pytest.mark.class_scale

A = "01_broadcasting"
PROXY = BIN.parent / "node" / "node_modules" / ".bin" / "configurable-http-proxy"


def call(method: str, url: str, token: str, body=None, form=None):
    """(status, decoded JSON or text) of one HTTP request with token authentication."""
    data, headers = None, {"Authorization": f"token {token}"}
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    except urllib.error.URLError as error:  # nothing listening yet
        return 0, str(error)
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def wait_until(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def hub(tmp_path):
    if not PROXY.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PROXY} is missing; `make test` installs configurable-http-proxy from npm")
        pytest.skip("configurable-http-proxy is not installed (`make test` installs it with npm)")
    course = copy_course(tmp_path / "course")
    shutil.copytree(REPO / "deploy", course / "deploy", ignore=shutil.ignore_patterns("state"))
    port, token = free_port(), secrets.token_hex(16)
    environment = env(
        MLGRIND_HUB_PORT=str(port), MLGRIND_HUB_AUTHENTICATOR="dummy", MLGRIND_HUB_SPAWNER="simple",
        MLGRIND_HUB_HOMES=str(tmp_path / "home" / "{username}"), MLGRIND_HUB_STATE=str(tmp_path / "state"),
        MLGRIND_EXCHANGE=str(tmp_path / "exchange"), MLGRIND_HUB_SERVICE_TOKEN=token,
        MLGRIND_INSTRUCTORS="instructor",
    )
    log = (tmp_path / "hub.log").open("w")
    process = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(course / "deploy" / "jupyterhub_config.py")],
                               cwd=tmp_path, env=environment, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: call("GET", f"{base}/hub/api/", token)[0] == 200 or process.poll() is not None,
                   60, "the Hub to start")
        assert process.poll() is None, (tmp_path / "hub.log").read_text()[-3000:]
        yield base, token, course, tmp_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        leftover = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
        for pid in leftover:
            os.kill(int(pid), signal.SIGKILL)
        assert not leftover, f"processes left running: {leftover}"


def start_user(base: str, admin: str, name: str) -> str:
    """Create ``name``, give them a token (their login, for scripts) and start their server."""
    assert call("POST", f"{base}/hub/api/users/{name}", admin)[0] in (201, 409)
    status, reply = call("POST", f"{base}/hub/api/users/{name}/tokens", admin, body={"note": "test login"})
    assert status == 201, reply
    assert call("POST", f"{base}/hub/api/users/{name}/server", admin)[0] in (201, 202)
    return reply["token"]


def test_a_class_on_jupyterhub(hub):
    base, admin, course, tmp_path = hub
    users = ["instructor", "student-a", "student-b"]
    tokens = {name: start_user(base, admin, name) for name in users}
    for name in users:
        wait_until(lambda n=name: call("GET", f"{base}/hub/api/users/{n}", admin)[1]["servers"].get("", {}).get("ready"),
                   90, f"{name}'s server")

    formgrader = f"{base}/user/instructor/formgrader/api"
    status, reply = call("POST", f"{formgrader}/assignment/{A}/assign", tokens["instructor"], form={})
    assert status == 200 and reply["success"], reply
    status, reply = call("POST", f"{formgrader}/assignment/{A}/release", tokens["instructor"], form={})
    assert status == 200 and reply["success"], reply

    course_form = {"course_id": "ml-grind", "assignment_id": A}
    for student in ("student-a", "student-b"):
        server = f"{base}/user/{student}"
        status, listing = call("POST", f"{server}/assignments/fetch", tokens[student], form=course_form)
        assert status == 200 and listing["success"], listing
        if student == "student-a":
            content = json.loads(nbformat.writes(solved(course, A)))
            status, _ = call("PUT", f"{server}/api/contents/{A}/{A}.ipynb", tokens[student],
                             body={"type": "notebook", "format": "json", "content": content})
            assert status == 200
        status, reply = call("POST", f"{server}/assignments/submit", tokens[student], form=course_form)
        assert status == 200 and reply["success"], reply

    # A student's login cannot reach the instructor's server.
    assert call("GET", f"{formgrader}/assignments", tokens["student-a"])[0] == 403

    status, reply = call("POST", f"{formgrader}/assignment/{A}/collect", tokens["instructor"], form={})
    assert status == 200 and reply["success"], reply
    for student in ("student-a", "student-b"):
        status, reply = call("POST", f"{formgrader}/submission/{A}/{student}/autograde", tokens["instructor"], form={})
        assert status == 200 and reply["success"], reply
    status, submissions = call("GET", f"{formgrader}/submissions/{A}", tokens["instructor"])
    assert status == 200
    scores = {s["student"]: s["score"] for s in submissions}
    assert scores == {"student-a": gradesheet(A, course).total, "student-b": 0}
