"""Run ONE snippet in this (fresh) process and write what it published as JSON.

Usage: ``python -m genmath.sitebuild.child SNIPPET.py OUT.json``. Started by ``genmath.sitebuild.runner``
with ``GENMATH_BUILD=1``. The JSON holds the published values, tables and figures, the genmath
modules the run imported (the cache keys on their sources), and, on failure, the exception with the
snippet line it was raised from.
"""

from __future__ import annotations

import faulthandler
import importlib.abc
import importlib.util
import json
import os
import random
import runpy
import signal
import sys
import traceback
from pathlib import Path
from typing import Any


def _genmath_deps(root: Path) -> list[str]:
    """Source files (relative to the genmath package's parent) of every genmath module loaded.

    Not the build machinery (genmath.sitebuild, which runs this child): what a snippet publishes
    does not depend on it, and editing it must not re-execute every snippet.
    """
    deps = set()
    for name, module in list(sys.modules.items()):
        if name == "genmath.sitebuild" or name.startswith("genmath.sitebuild."):
            continue
        if name == "genmath" or name.startswith("genmath."):
            file = getattr(module, "__file__", None)
            if file:
                deps.add(Path(file).resolve().relative_to(root).as_posix())
    return sorted(deps)


def _error(exc: BaseException, snippet: Path) -> dict[str, Any]:
    line = None
    if isinstance(exc, SyntaxError) and exc.filename and Path(exc.filename).resolve() == snippet:
        line = exc.lineno
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == snippet:
            line = frame.lineno
    return {
        "type": type(exc).__name__,
        "message": str(exc),
        "line": line,
        "traceback": "".join(traceback.format_exception(exc)),
    }


class _SeedTorchOnImport(importlib.abc.MetaPathFinder):
    """Finds torch as Python would, and seeds its generator as soon as its import has run."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "torch":
            return None
        sys.meta_path.remove(self)  # once, and so that find_spec below finds the real torch
        spec = importlib.util.find_spec("torch")
        if spec is not None and spec.loader is not None:
            exec_module = spec.loader.exec_module

            def exec_and_seed(module: Any) -> None:
                exec_module(module)
                module.manual_seed(0)
            spec.loader.exec_module = exec_and_seed  # type: ignore[method-assign]
        return spec


def _seed_torch_when_imported() -> None:
    """torch seeds its generator from the OS at start-up; a snippet that forgets to seed gets 0.

    Already imported (a zygote preloads it): seeded now. Otherwise seeded right after the snippet
    first imports it, so a snippet that never uses torch does not pay about a second for its import.
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(0)
    else:
        sys.meta_path.insert(0, _SeedTorchOnImport())


def main(argv: list[str]) -> int:
    snippet, out = Path(argv[0]).resolve(), Path(argv[1])
    if hasattr(signal, "SIGUSR1"):  # the runner asks for the stack when a snippet runs out of time
        faulthandler.register(signal.SIGUSR1, all_threads=False)
    random.seed(0)
    import numpy as np

    np.random.seed(0)
    _seed_torch_when_imported()
    import genmath
    from genmath import snippet as api

    root = Path(genmath.__file__).resolve().parent.parent
    sys.argv = [str(snippet)]
    sys.path.insert(0, str(snippet.parent))
    error = None
    try:
        runpy.run_path(str(snippet), run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            error = _error(exc, snippet)
    except BaseException as exc:  # noqa: BLE001 - everything a snippet raises is reported
        error = _error(exc, snippet)
    sys.stdout.flush()
    result = {
        "values": api.RECORD["values"],
        "tables": api.RECORD["tables"],
        "figures": api.RECORD["figures"],
        "printed": api.RECORD["printed"],  # what publish() and table() printed, in order
        "deps": _genmath_deps(root),
        "error": error,
    }
    out.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("GENMATH_BUILD", "1")
    raise SystemExit(main(sys.argv[1:]))
