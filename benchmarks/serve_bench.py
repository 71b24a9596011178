"""Measure `mkdocs serve`: seconds from saving a file to the served page showing the change.

Runs on a throw-away copy of the project (see build_bench.py), starting from a copy of the snippet
cache. Two edits, each repeated --repeat times, alternating:
- prose: a sentence appended to a chapter (no snippet re-executes);
- snippet: a print() appended to one snippet (only that snippet re-executes).
Prints the median and every run, the snippet's own run time (the target for a snippet edit is
2 s plus that), the number of rebuilds each save caused (one is right), and the lines serve printed
per rebuild.
"""

from __future__ import annotations

import argparse
import os
import re
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


def _load() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chapter", default="index.md")
    parser.add_argument("--snippet", default="home/coin.py")
    args = parser.parse_args()
    loads = [_load()]
    with tempfile.TemporaryDirectory(prefix="genmath-serve-") as tmp:
        project = Path(tmp)
        copy_project(project, warm_cache=True)
        build(project)  # the cache is warm: we measure rebuilds, not the cold start
        port = _port()
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(project))
        env.pop("GENMATH_SITE_URL", None)
        log = project / "serve.log"
        with open(log, "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
                                    cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            page_url = f"http://127.0.0.1:{port}/" + ("" if args.chapter == "index.md"
                                                       else args.chapter.removesuffix(".md") + "/")
            _wait_for(page_url, "</html>")
            time.sleep(2)  # let the start settle
            prose, snippet, rebuilds, lines, built = [], [], [], [], {"prose": [], "snippet": []}
            chapter = project / "docs" / args.chapter
            source = project / "snippets" / args.snippet
            for i in range(args.repeat):
                for kind, path, text, times in (
                        ("prose", chapter, f"\n\nEdited sentence benchprose{i}x.\n", prose),
                        ("snippet", source, f"\nprint('benchsnippet{i}x')\n", snippet)):
                    before = log.read_text()
                    t0 = time.perf_counter()
                    path.write_text(path.read_text() + text)
                    _wait_for(page_url, f"bench{kind}{i}x")
                    times.append(time.perf_counter() - t0)
                    time.sleep(2)  # would a second rebuild start? (it must not)
                    new = log.read_text()[len(before):]
                    rebuilds.append(new.count("Building documentation"))
                    built[kind] += [float(x) for x in re.findall(r"built in ([\d.]+) seconds", new)]
                    lines.append(len(new.strip().splitlines()))
            loads.append(_load())
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        runs = [float(x) for x in re.findall(rf"executed\s+([\d.]+) s\s+snippets/{re.escape(args.snippet)}",
                                             log.read_text())]
    print(f"save -> page updated, median of {args.repeat} (seconds); load average before/after: "
          f"{loads[0]} / {loads[-1]} on {os.cpu_count()} cores")
    print(f"  prose edit of docs/{args.chapter:24} {statistics.median(prose):6.2f}   runs: "
          + ", ".join(f"{x:.2f}" for x in prose))
    print(f"  snippet edit of snippets/{args.snippet:20} {statistics.median(snippet):6.2f}   runs: "
          + ", ".join(f"{x:.2f}" for x in snippet)
          + (f"   (the snippet itself ran {statistics.median(runs):.2f} s)" if runs else ""))
    print(f"  of which MkDocs' rebuild (its 'Documentation built in'), median: prose "
          f"{statistics.median(built['prose']):.2f}, snippet {statistics.median(built['snippet']):.2f}; "
          f"the rest is noticing the save (polling every 0.5 s) and serving the page")
    print(f"  rebuilds per save: {sorted(set(rebuilds))} (1 is right); lines printed per save: "
          f"{min(lines)}-{max(lines)}")


if __name__ == "__main__":
    main()
