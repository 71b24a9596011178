"""Measure `mkdocs serve`: seconds from saving a file to the served page showing the change.

Runs on a throw-away copy of the project (see build_bench.py). Two edits:
- prose: a sentence appended to a chapter (no snippet re-executes);
- snippet: a print() appended to one snippet (only that snippet re-executes).
Each is repeated --repeat times; the median is printed.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_bench import build, copy_project


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, text: str, timeout: float = 300) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                if text in r.read().decode():
                    return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{text!r} never appeared at {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chapter", default="index.md")
    parser.add_argument("--snippet", default="home/coin.py")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="genmath-serve-") as tmp:
        project = Path(tmp)
        copy_project(project)
        build(project)  # warm the cache first: we measure rebuilds, not the cold start
        port = _port()
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(project),
                   GENMATH_SITE_URL=f"http://127.0.0.1:{port}/")  # serve at the root path
        proc = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
                                cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            page_url = f"http://127.0.0.1:{port}/" + ("" if args.chapter == "index.md"
                                                       else args.chapter.removesuffix(".md") + "/")
            _wait_for(page_url, "</html>")
            prose, snippet = [], []
            chapter = project / "docs" / args.chapter
            source = project / "snippets" / args.snippet
            for i in range(args.repeat):
                marker = f"benchprose{i}x"
                t0 = time.perf_counter()
                chapter.write_text(chapter.read_text() + f"\n\nEdited sentence {marker}.\n")
                _wait_for(page_url, marker)
                prose.append(time.perf_counter() - t0)
                marker = f"benchsnippet{i}x"
                t0 = time.perf_counter()
                source.write_text(source.read_text() + f"\nprint('{marker}')\n")
                _wait_for(page_url, marker)
                snippet.append(time.perf_counter() - t0)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"save -> page updated, median of {args.repeat} (seconds)")
    print(f"  prose edit of docs/{args.chapter:24} {statistics.median(prose):6.2f}   runs: "
          + ", ".join(f"{x:.2f}" for x in prose))
    print(f"  snippet edit of snippets/{args.snippet:20} {statistics.median(snippet):6.2f}   runs: "
          + ", ".join(f"{x:.2f}" for x in snippet))


if __name__ == "__main__":
    main()
