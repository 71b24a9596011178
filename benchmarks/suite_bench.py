"""Where the time of a fresh-clone ``make test`` goes. Not a test: it measures and prints.

    python3 benchmarks/suite_bench.py [--keep]

Clones the committed HEAD into a temporary folder and runs ``make test`` there, exactly as CI does
(``.ci/run``), with the pytest plugin benchmarks/suite_timing.py loaded. Prints:

- set-up (venv, torch, the project, npm) and pytest wall-clock seconds, and the total;
- how busy the cores were (mean over the pytest run; 2.00 on 2 cores means no core was ever idle,
  so only less work, not more parallelism, makes the run shorter);
- per test file: wall seconds summed over its tests, CPU seconds of the worker and of its children;
- each worker's timeline (which file ran when) and the slowest tests;
- a host-speed probe before and after (the best of 5 runs of a fixed pure-Python loop): the same
  commit takes twice as long on this machine when the host is slow, and the probe shows it.

The log of ``make test`` and the timing records stay in a temporary folder (printed); ``--keep``
also keeps the clone (and its venv).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = "sum(i * i for i in range(5_000_000))"


def host_probe() -> float:
    """Seconds for a fixed pure-Python loop, best of 5 (lower is a faster host)."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", PROBE], check=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", help="keep the clone and print its path")
    args = parser.parse_args()

    probe_before = host_probe()
    folder = Path(tempfile.mkdtemp(prefix="genmath-suite-bench-"))
    clone, timing = folder / "clone", folder / "timing"
    timing.mkdir()
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    env = dict(os.environ, SUITE_TIMING_DIR=str(timing),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "benchmarks"), os.environ.get("PYTHONPATH")])),
               PYTEST_ADDOPTS=" ".join(filter(None, [os.environ.get("PYTEST_ADDOPTS"), "-p suite_timing"])))
    start = time.time()
    with open(timing / "make-test.log", "w", encoding="utf-8") as log:
        result = subprocess.run(["make", "test"], check=False, cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT)
    end = time.time()
    probe_after = host_probe()

    rows = [json.loads(line) for line in (timing / "tests.jsonl").read_text(encoding="utf-8").splitlines()] \
        if (timing / "tests.jsonl").is_file() else []
    print(f"make test: exit {result.returncode}, {end - start:.0f} s in all (log and records: {timing})")
    print(f"host probe: {probe_before:.2f} s before, {probe_after:.2f} s after ({PROBE}, best of 5)")
    if not rows:
        print("no test ran")
        return 1
    first = min(r["start"] for r in rows)
    last = max(r["end"] for r in rows)
    print(f"set-up {first - start:.0f} s, tests {last - first:.0f} s, after the last test {end - last:.0f} s")
    busy_file = timing / "busy.txt"
    if busy_file.is_file():
        busy = [float(line.split()[1]) for line in busy_file.read_text(encoding="utf-8").splitlines()]
        if busy:
            print(f"busy cores during the tests: mean {statistics.fmean(busy):.2f} of {os.cpu_count()}")

    per_file: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    for r in rows:
        entry = per_file[r["id"].split("::")[0]]
        entry[0] += r["end"] - r["start"]
        entry[1] += r["self"]
        entry[2] += r["children"]
        entry[3] += 1
    print(f"\n{'test file':34} {'wall s':>8} {'worker CPU s':>13} {'children CPU s':>15} {'tests':>6}")
    for name, (wall, own, children, n) in sorted(per_file.items(), key=lambda kv: -kv[1][0]):
        print(f"{name:34} {wall:8.1f} {own:13.1f} {children:15.1f} {n:6d}")

    print("\nworker timelines (seconds from the first test; spans over 3 s):")
    for worker in sorted({r["worker"] for r in rows}):
        spans: list[list] = []
        for r in sorted((r for r in rows if r["worker"] == worker), key=lambda r: r["start"]):
            name = Path(r["id"].split("::")[0]).stem
            if spans and spans[-1][0] == name:
                spans[-1][2] = r["end"] - first
            else:
                spans.append([name, r["start"] - first, r["end"] - first])
        print(f"  {worker}: " + ", ".join(f"{n} {a:.0f}-{b:.0f}" for n, a, b in spans if b - a > 3))

    print("\nslowest tests (wall s, setup included):")
    for r in sorted(rows, key=lambda r: r["start"] - r["end"])[:15]:
        print(f"  {r['end'] - r['start']:7.1f}  {r['id']}")
    if args.keep:
        print(f"\nclone kept: {clone}")
    else:
        shutil.rmtree(clone, ignore_errors=True)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
