"""Run snippets: each in its own process, in parallel across the cores, through the cache.

On POSIX each process is forked from a warm zygote (``genmath.sitebuild.zygote``: numpy, scipy,
matplotlib and torch imported once per parallel slot, not once per snippet); elsewhere each snippet
is a fresh interpreter. Either way a snippet starts with nothing computed and imports genmath itself.

Prints one line per snippet that ran (executed or failed, and its seconds) and a one-line summary;
cached snippets only count in the summary. Failures (exception, syntax error, timeout, missing file)
become located BuildErrors; a timeout names the snippet line it was running when it was stopped.
"""

from __future__ import annotations

import json
import os
import queue
import re
import select
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
#: Snippets per parallel slot from which the runner forks them from zygotes (genmath.sitebuild.zygote).
FORK_AT_LEAST = 3
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


def _child_env(root: Path) -> dict[str, str]:
    env = dict(os.environ, **CHILD_ENV)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return env


def _timed_out(job: Job, seconds: float, line: int | None) -> BuildError:
    return BuildError(
        f"snippet timed out after {seconds:.1f} s (limit {job.timeout:g} s; raise it with "
        f"timeout=... on the directive, or `timeout` under genmath.sitebuild.markdown in mkdocs.yml)",
        Location(job.where.chapter, job.where.line, f"snippets/{job.rel}", line))


def execute(job: Job, root: Path, zygote: Zygote | None = None) -> dict[str, Any]:
    """Run one snippet in a fresh process (forked by ``zygote``, or a new interpreter). Returns the
    child's result plus its stdout and seconds; raises a located BuildError."""
    where = Location(job.where.chapter, job.where.line, f"snippets/{job.rel}")
    with tempfile.TemporaryDirectory(prefix="genmath-") as tmp:
        out = Path(tmp) / "result.json"
        if zygote is not None:
            code, stdout, stderr, timed_out, seconds = zygote.run(job, out, Path(tmp))
        else:
            code, stdout, stderr, timed_out, seconds = _interpreter(job, out, root)
        if timed_out:
            raise _timed_out(job, seconds, _snippet_line(stderr, job.path)) from None
        if not out.exists():
            raise BuildError(f"snippet process died (exit code {code})", where, stderr[-4000:])
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


def _interpreter(job: Job, out: Path, root: Path) -> tuple[int | None, str, str, bool, float]:
    """Run the snippet in a new interpreter: (exit code, stdout, stderr, timed out, seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "genmath.sitebuild.child", str(job.path), str(out)],
        cwd=root, env=_child_env(root), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = proc.communicate(timeout=job.timeout)
        return proc.returncode, stdout, stderr, False, time.perf_counter() - start
    except subprocess.TimeoutExpired:
        if hasattr(signal, "SIGUSR1"):
            proc.send_signal(signal.SIGUSR1)  # the child dumps its stack to stderr (genmath.sitebuild.child)
            try:
                proc.communicate(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
        seconds = time.perf_counter() - start
        proc.kill()
        stdout, stderr = proc.communicate()
        return proc.returncode, stdout or "", stderr or "", True, seconds


def _snippet_line(stderr: str, snippet: Path) -> int | None:
    """The snippet line a stopped child was running, from the stack it dumped on SIGUSR1."""
    target = snippet.resolve()
    for m in _FRAME_RE.finditer(stderr or ""):
        if Path(m.group("file")).resolve() == target:
            return int(m.group("line"))  # the innermost frame in the snippet's own file
    return None


class Zygote:
    """One warm parent process (``python -m genmath.sitebuild.zygote``) that forks snippet children."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "genmath.sitebuild.zygote"], cwd=root,
                                     env=_child_env(root), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, bufsize=0)
        self.ready = False

    def _read(self, timeout: float | None) -> dict[str, Any] | None:
        """The zygote's next message, or None when ``timeout`` seconds pass first."""
        assert self.proc.stdout is not None
        if timeout is not None:
            readable, _, _ = select.select([self.proc.stdout], [], [], max(0.0, timeout))
            if not readable:
                return None
        line = self.proc.stdout.readline()  # unbuffered: select() sees every byte not yet read
        if not line:
            raise OSError(f"the snippet zygote ended (exit code {self.proc.poll()})")
        return json.loads(line)

    def run(self, job: Job, out: Path, tmp: Path) -> tuple[int | None, str, str, bool, float]:
        """Run the snippet in a forked child: (exit code, stdout, stderr, timed out, seconds from the
        fork; the time limit counts from there too, not from the zygote's imports)."""
        try:
            return self._run(job, out, tmp)
        except (OSError, ValueError, KeyError) as exc:  # the zygote died or spoke nonsense
            self.proc.kill()
            return None, "", f"the snippet's parent process (genmath.sitebuild.zygote) failed: {exc}", False, 0.0

    def _run(self, job: Job, out: Path, tmp: Path) -> tuple[int | None, str, str, bool, float]:
        assert self.proc.stdin is not None
        if not self.ready:
            self._read(None)  # {"ready": true}: the libraries are imported
            self.ready = True
        paths = {"stdout": tmp / "stdout.txt", "stderr": tmp / "stderr.txt"}
        request = {"argv": [str(job.path), str(out)], **{k: str(v) for k, v in paths.items()}}
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()
        pid = self._read(None)["pid"]  # type: ignore[index]
        start = time.perf_counter()
        done = self._read(job.timeout)
        seconds = time.perf_counter() - start
        timed_out = done is None
        if timed_out:
            try:
                if hasattr(signal, "SIGUSR1"):
                    os.kill(pid, signal.SIGUSR1)  # the child dumps its stack to stderr
                    done = self._read(0.5)
                if done is None:
                    os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if done is None:
                done = self._read(None)
        text = {k: v.read_text(encoding="utf-8", errors="replace") if v.exists() else "" for k, v in paths.items()}
        return done["exit"], text["stdout"], text["stderr"], timed_out, seconds  # type: ignore[index]

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


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
        zygotes: queue.Queue[Zygote] = queue.Queue()
        started: list[Zygote] = []

        # A zygote pays for its imports (about 2 s of CPU) once per slot, so it pays off only when
        # each slot runs several snippets (a cold build); an edited snippet under `mkdocs serve`, or
        # a handful of small ones, start as lean interpreters that import only what they use.
        fork = hasattr(os, "fork") and len(todo) >= FORK_AT_LEAST * max_workers

        def run(job: Job, root: Path) -> dict[str, Any]:
            if not fork:
                return execute(job, root)
            try:
                zygote = zygotes.get_nowait()
            except queue.Empty:
                zygote = Zygote(root)
                started.append(zygote)
            try:
                return execute(job, root, zygote)
            finally:
                if zygote.proc.poll() is None:
                    zygotes.put(zygote)  # a zygote that died is not reused; the next job starts one

        try:
            with ThreadPoolExecutor(max_workers=max_workers) as pool:
                futures = [(job, source, pool.submit(_timed, run, job, root)) for job, source in todo]
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
        finally:
            for zygote in started:
                zygote.close()
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
