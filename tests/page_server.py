"""The page tests' web server: the built site as static hosting serves it, and, under xdist, one
site and server for every worker. tools/measure_pages.py (``make screenshots``) serves with it too.

The page tests need the site built for the origin it is served from (instant navigation needs
``site_url`` to be that origin). With several workers the controller builds it once, after the
shared build of the site, and serves it from a thread (tests/conftest.py, ``pytest_sessionstart``):
``GENMATH_TEST_PAGES_URL`` is its address, ``GENMATH_TEST_PAGES_STATUS`` the file the build's outcome
is written to, and ``shared()`` waits for that file. One warm build instead of one per worker (about
25 CPU-seconds each).
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import json
import os
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any, ClassVar


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site as static hosting does: text compressed with gzip, the site's 404.html for
    an address that does not exist (GitHub Pages), under ``PREFIX`` (the site's base path)."""

    COMPRESS: ClassVar[frozenset[str]] = frozenset({".html", ".css", ".js", ".json", ".svg", ".xml"})
    PREFIX = "/"

    def log_message(self, *args: Any) -> None:
        pass

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.PREFIX):
            return "/nonexistent"
        return super().translate_path("/" + path[len(self.PREFIX):])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not urllib.parse.urlsplit(self.path).path.endswith("/"):
                return super().send_head()  # a redirect to the folder's address with its slash, as hosting does
            path = path / "index.html"
        if (path.suffix not in self.COMPRESS or not path.is_file()
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def serve(site: Path, port: int, *, prefix: str = "/") -> http.server.ThreadingHTTPServer:
    """``site`` served at http://127.0.0.1:<port><prefix> (port 0: any free port) from a daemon thread."""
    handler = functools.partial(type("Prefixed", (QuietHandler,), {"PREFIX": prefix}) if prefix != "/" else QuietHandler,
                                directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, name="genmath-page-server", daemon=True).start()
    return httpd


def shared(timeout: float = 1800) -> tuple[str, Path, dict[str, Any]] | None:
    """(address, site folder, build outcome) of the controller's page-test site, once its build has
    ended; None when there is none (no xdist, or GENMATH_TEST_SITE set by hand)."""
    status = os.environ.get("GENMATH_TEST_PAGES_STATUS")
    if not status:
        return None
    deadline = time.monotonic() + timeout
    while not Path(status).is_file():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page tests' build of the site did not end within {timeout:.0f} s")
        time.sleep(0.5)
    outcome = json.loads(Path(status).read_text(encoding="utf-8"))
    return os.environ["GENMATH_TEST_PAGES_URL"], Path(outcome["site"]), outcome
