"""`mkdocs serve` reports a broken snippet with the same located message and keeps serving."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import MiniProject


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


@pytest.mark.build
def test_serve_reports_the_error_and_keeps_the_last_good_site(project: MiniProject) -> None:
    project.write("snippets/s/v.py", "from genmath.snippet import publish\npublish('s.v.x', 0.25)\n")
    project.write("docs/index.md", "# Serve\n\n{{ snippet(\"s/v.py\") }}\n\nValue {{ s.v.x:.2f }}.\n")
    port = _free_port()
    log = project.path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a",
                                 f"127.0.0.1:{port}"], cwd=project.path, env=project.env(),
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if "Value 0.25" in _get(url):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("serve never came up:\n" + log.read_text())
        project.write("snippets/s/v.py", "from genmath.snippet import publish\n\nraise ValueError('broken on purpose')\n")
        deadline = time.time() + 90
        while "broken on purpose" not in log.read_text() and time.time() < deadline:
            time.sleep(0.5)
        text = log.read_text()
        assert "genmath: index.md:3, snippet snippets/s/v.py:3: snippet raised ValueError: broken on purpose" in text, text
        assert "Value 0.25" in _get(url), "the last good site is still served"
        assert proc.poll() is None, "serve is still running"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
