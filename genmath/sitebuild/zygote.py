"""A warm parent for snippet processes: imports the heavy libraries once, then forks one child per snippet.

A snippet run in a fresh interpreter spends most of a small snippet's time importing numpy, scipy,
matplotlib and torch (about 2 s of CPU each time, 90 times in a cold build of the site). The runner
(``genmath.sitebuild.runner``) starts one zygote per parallel slot; the zygote imports those
libraries, and nothing of genmath's mathematics, then forks a child for every snippet it is asked to
run. A forked child is a fresh process as far as a snippet can tell: nothing has been computed, no
random generator has been drawn from, no figure exists, and every genmath module is imported by the
child itself (so the cache still records exactly the genmath sources a snippet used). The child runs
``genmath.sitebuild.child.main`` with its stdout and stderr in files, exactly as a subprocess would.

Protocol (one request at a time, lines of JSON on stdin/stdout): after the imports the zygote prints
``{"ready": true}``; for each request ``{"argv": [SNIPPET, OUT], "stdout": PATH, "stderr": PATH}`` it
prints ``{"pid": PID}`` when the child started and ``{"exit": CODE}`` when it ended (negative: the
signal that stopped it). End of input ends the zygote. POSIX only (``os.fork``); elsewhere the runner
starts each snippet as its own interpreter.
"""

from __future__ import annotations

import importlib
import json
import os
import sys

#: What every snippet process would import anyway; imported once here, before any fork.
PRELOAD = ("numpy", "scipy.special", "scipy.stats", "scipy.integrate", "scipy.optimize", "scipy.linalg",
           "matplotlib", "matplotlib.pyplot", "torch")


def _reply(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _run_child(request: dict[str, object]) -> None:
    """In the forked child: the snippet's own stdin/stdout/stderr, then genmath.sitebuild.child.main."""
    code = 1
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        for fd, key in ((1, "stdout"), (2, "stderr")):
            target = os.open(str(request[key]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        from genmath.sitebuild import child

        code = child.main([str(a) for a in request["argv"]])  # type: ignore[union-attr]
    except BaseException:  # noqa: BLE001 - reported on the child's stderr, then the exit code says so
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)  # no atexit handlers, no flushing of the zygote's own buffers


def main() -> int:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # a snippet that needs it will say so
    _reply({"ready": True})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _run_child(request)
        _reply({"pid": pid})
        _, status = os.waitpid(pid, 0)
        _reply({"exit": os.waitstatus_to_exitcode(status)})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
