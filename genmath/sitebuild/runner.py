"""Run snippets: each in its own subprocess, in parallel across the cores, through the cache.

Prints one line per snippet that ran (executed or failed, and its seconds) and a one-line summary;
cached snippets only count in the summary. Failures (exception, syntax error, timeout, missing file)
become located BuildErrors; a timeout names the snippet line it was running when it was stopped.
"""

from __future__ import annotations

import json
import os
import re
import signal
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
    # no __pycache__ written into genmath/ or snippets/: `mkdocs serve` watches them, and a write
    # there would start a second rebuild
    "PYTHONDONTWRITEBYTECODE": "1",
}
#: A frame of the stack dump the child writes on SIGUSR1 (faulthandler), most recent call first.
_FRAME_RE = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')


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
    where = Location(job.where.chapter, job.where.line, f"snippets/{job.rel}")
    with tempfile.TemporaryDirectory(prefix="genmath-") as tmp:
        out = Path(tmp) / "result.json"
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "genmath.sitebuild.child", str(job.path), str(out)],
            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            stdout, stderr = proc.communicate(timeout=job.timeout)
        except subprocess.TimeoutExpired:
            seconds = time.perf_counter() - start
            line = _stop(proc, job.path)
            raise BuildError(
                f"snippet timed out after {seconds:.1f} s (limit {job.timeout:g} s; raise it with "
                f"timeout=... on the directive, or `timeout` under genmath.sitebuild.markdown in mkdocs.yml)",
                Location(where.chapter, where.line, where.snippet, line)) from None
        seconds = time.perf_counter() - start
        if not out.exists():
            raise BuildError(f"snippet process died (exit code {proc.returncode})", where, stderr[-4000:])
        result = json.loads(out.read_text(encoding="utf-8"))
    error = result.pop("error")
    if error:
        raise BuildError(
            f"snippet raised {error['type']}: {error['message']}",
            Location(where.chapter, where.line, where.snippet, error["line"]),
            error["traceback"])
    result["stdout"] = stdout
    result["seconds"] = round(seconds, 3)
    return result


def _stop(proc: subprocess.Popen[str], snippet: Path) -> int | None:
    """Stop a snippet that ran out of time; the snippet line it was running, from its stack dump."""
    if hasattr(signal, "SIGUSR1"):
        proc.send_signal(signal.SIGUSR1)  # the child dumps its stack to stderr (genmath.sitebuild.child)
        try:
            proc.communicate(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
    proc.kill()
    _, stderr = proc.communicate()
    target = snippet.resolve()
    for m in _FRAME_RE.finditer(stderr or ""):
        if Path(m.group("file")).resolve() == target:
            return int(m.group("line"))  # the innermost frame in the snippet's own file
    return None


def run_all(jobs: list[Job], cache: Cache, root: Path, *, refresh: bool = False,
            workers: int | None = None) -> dict[str, dict[str, Any]]:
    """Results for every job, keyed by ``job.rel``; raises BuildErrors listing every failure."""
    results: dict[str, dict[str, Any]] = {}
    errors: list[BuildError] = []
    todo: list[tuple[Job, bytes]] = []
    n = len(jobs)
    for job in jobs:
        if not job.path.is_file():
            errors.append(BuildError(f"snippet file not found: snippets/{job.rel}", job.where))
            continue
        source = job.path.read_bytes()
        entry, status = (None, "refresh") if refresh else cache.load(job.rel, source)
        if entry is not None:
            results[job.rel] = entry
        else:
            if status.startswith("corrupt"):
                log(f"cache entry for snippets/{job.rel} is {status}; recomputing")
            todo.append((job, source))
    cached = len(results)

    executed = failed = 0
    seconds = 0.0
    if todo:
        max_workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        with ThreadPoolExecutor(max_workers=max_workers) as pool:
            futures = [(job, source, pool.submit(_timed, execute, job, root)) for job, source in todo]
            for i, (job, source, future) in enumerate(futures, start=1):
                outcome, took = future.result()
                seconds += took
                if isinstance(outcome, BuildError):
                    failed += 1
                    errors.append(outcome)
                    log(f"[{i}/{len(todo)}] FAILED   {took:5.2f} s  snippets/{job.rel}")
                    continue
                executed += 1
                results[job.rel] = cache.store(job.rel, source, outcome)
                log(f"[{i}/{len(todo)}] executed {took:5.2f} s  snippets/{job.rel}")
    missing = len(errors) - failed
    log(f"{n} snippets: {executed} executed ({seconds:.1f} s of snippet time), {cached} cached"
        + (f", {failed} failed" if failed else "") + (f", {missing} missing" if missing else ""))
    if errors:
        raise errors[0] if len(errors) == 1 else BuildErrors(errors)
    return results


def _timed(run: Any, job: Job, root: Path) -> tuple[dict[str, Any] | BuildError, float]:
    """(result or the BuildError it raised, wall seconds)."""
    start = time.perf_counter()
    try:
        return run(job, root), time.perf_counter() - start
    except BuildError as err:
        return err, time.perf_counter() - start
