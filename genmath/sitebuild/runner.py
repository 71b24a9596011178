"""Run snippets: each in its own subprocess, in parallel across the cores, through the cache.

Prints one progress line per snippet (cached or executed, and the seconds it took) and a summary.
Failures (exception, syntax error, timeout, missing file) become located BuildErrors.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genmath.sitebuild.cache import Cache
from genmath.sitebuild.errors import BuildError, BuildErrors, Location

#: Environment of every snippet run: deterministic hashing, one BLAS/OpenMP thread per process
#: (snippets run in parallel across cores), a non-interactive matplotlib backend.
CHILD_ENV = {
    "GENMATH_BUILD": "1",
    "MPLBACKEND": "Agg",
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYTHONWARNINGS": "ignore",
}


@dataclass
class Job:
    rel: str  # path relative to the snippets folder, e.g. "mle/coin.py"
    path: Path
    timeout: float
    where: Location  # the first chapter line that embeds it


def log(message: str) -> None:
    print(f"genmath: {message}", file=sys.stderr, flush=True)


def execute(job: Job, root: Path) -> dict[str, Any]:
    """Run one snippet in a fresh interpreter. Returns the child's result plus stdout and seconds."""
    env = dict(os.environ, **CHILD_ENV)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="genmath-") as tmp:
        out = Path(tmp) / "result.json"
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "genmath.sitebuild.child", str(job.path), str(out)],
                cwd=root, env=env, capture_output=True, text=True, timeout=job.timeout,
            )
        except subprocess.TimeoutExpired:
            raise BuildError(
                f"snippet timed out after {job.timeout:g} s (raise it with timeout=... on the "
                f"directive, or `timeout` under genmath.sitebuild.markdown in mkdocs.yml)",
                Location(job.where.chapter, job.where.line, f"snippets/{job.rel}")) from None
        seconds = time.perf_counter() - start
        if not out.exists():
            raise BuildError(f"snippet process died (exit code {proc.returncode})",
                             Location(job.where.chapter, job.where.line, f"snippets/{job.rel}"),
                             proc.stderr[-4000:])
        import json

        result = json.loads(out.read_text(encoding="utf-8"))
    error = result.pop("error")
    if error:
        raise BuildError(
            f"snippet raised {error['type']}: {error['message']}",
            Location(job.where.chapter, job.where.line, f"snippets/{job.rel}", error["line"]),
            error["traceback"])
    result["stdout"] = proc.stdout
    result["seconds"] = round(seconds, 3)
    return result


def run_all(jobs: list[Job], cache: Cache, root: Path, *, refresh: bool = False,
            workers: int | None = None) -> dict[str, dict[str, Any]]:
    """Results for every job, keyed by ``job.rel``; raises BuildErrors listing every failure."""
    results: dict[str, dict[str, Any]] = {}
    errors: list[BuildError] = []
    todo: list[tuple[Job, bytes]] = []
    n = len(jobs)
    done = 0
    for job in jobs:
        if not job.path.is_file():
            errors.append(BuildError(f"snippet file not found: snippets/{job.rel}", job.where))
            continue
        source = job.path.read_bytes()
        entry, status = (None, "refresh") if refresh else cache.load(job.rel, source)
        if entry is not None:
            done += 1
            results[job.rel] = entry
            log(f"[{done}/{n}] cached    0.00 s  snippets/{job.rel}")
        else:
            if status.startswith("corrupt"):
                log(f"cache entry for snippets/{job.rel} is {status}; recomputing")
            todo.append((job, source))

    executed_seconds = 0.0
    if todo:
        max_workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        with ThreadPoolExecutor(max_workers=max_workers) as pool:
            futures = [(job, source, pool.submit(execute, job, root)) for job, source in todo]
            for job, source, future in futures:
                done += 1
                try:
                    result = future.result()
                except BuildError as err:
                    errors.append(err)
                    log(f"[{done}/{n}] FAILED          snippets/{job.rel}")
                    continue
                executed_seconds += result["seconds"]
                results[job.rel] = cache.store(job.rel, source, result)
                log(f"[{done}/{n}] executed {result['seconds']:5.2f} s  snippets/{job.rel}")
    log(f"{n} snippets: {len(todo)} executed ({executed_seconds:.1f} s of snippet time), "
        f"{n - len(todo)} cached" + (f", {len(errors)} failed" if errors else ""))
    if errors:
        raise errors[0] if len(errors) == 1 else BuildErrors(errors)
    return results
