"""The README's first command, headless: JupyterLab serves the course's notebooks/."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from conftest import REPO, env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def test_make_lab_headless_serves_the_notebooks(tmp_path):
    port, token = free_port(), "mlgrind-test"
    environment = env()
    for name in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        environment[name] = str(tmp_path / name.lower())
    args = f"--port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    server = subprocess.Popen(
        ["make", "-s", "lab-headless", f"LAB_ARGS={args}"],
        cwd=REPO, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        listing = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, body = get(f"http://127.0.0.1:{port}/api/contents?token={token}")
                listing = json.loads(body)
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, f"JupyterLab did not start: {server.stderr.read().decode()[-2000:] if server.poll() is not None else 'timeout'}"
        names = [item["name"] for item in listing["content"]]
        assert "01_broadcasting.ipynb" in names
        status, page = get(f"http://127.0.0.1:{port}/lab?token={token}")
        assert status == 200 and "JupyterLab" in page
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
