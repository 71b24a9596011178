"""A pytest plugin that records where the time of a test run goes (used by benchmarks/suite_bench.py).

Not part of the test suite: suite_bench.py loads it with ``-p suite_timing``. Every process (the
controller and each xdist worker) appends one JSON line per test to ``$SUITE_TIMING_DIR/tests.jsonl``:
its worker, start and end (epoch seconds), the CPU seconds of the worker itself (``self``) and of its
children that ended during the test (``children``: snippets, builds, notebook kernels; not the
browser, whose processes end with the session). The controller also writes how busy the machine's
cores were, once a second, to ``$SUITE_TIMING_DIR/busy.txt`` (from /proc/stat, where it exists).
"""

from __future__ import annotations

import json
import os
import resource
import threading
import time
from pathlib import Path

import pytest

FOLDER = Path(os.environ.get("SUITE_TIMING_DIR", "."))


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):  # type: ignore[no-untyped-def]
    start, (own0, children0) = time.time(), _cpu()
    yield
    (own1, children1), end = _cpu(), time.time()
    row = {"id": item.nodeid, "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"), "start": start,
           "end": end, "self": own1 - own0, "children": children1 - children0}
    with open(FOLDER / "tests.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")


def _sample_busy_cores(path: Path) -> None:
    previous = None
    with open(path, "a", encoding="utf-8") as out:
        while True:
            with open("/proc/stat", encoding="ascii") as stat:
                fields = [int(x) for x in stat.readline().split()[1:]]
            total, idle = sum(fields), fields[3] + fields[4]  # idle + iowait
            if previous is not None and total > previous[0]:
                busy = ((total - previous[0]) - (idle - previous[1])) / (total - previous[0])
                out.write(f"{time.time():.1f} {busy * (os.cpu_count() or 1):.2f}\n")
                out.flush()
            previous = (total, idle)
            time.sleep(1.0)


def pytest_sessionstart(session):  # type: ignore[no-untyped-def]
    if os.environ.get("PYTEST_XDIST_WORKER") or not Path("/proc/stat").is_file():
        return
    threading.Thread(target=_sample_busy_cores, args=(FOLDER / "busy.txt",), daemon=True,
                     name="suite-timing-busy").start()
