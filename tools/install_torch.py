"""Install torch into the virtual environment, preferring a CPU-only build (``make setup`` runs this).

genmath needs torch only on the CPU; the default package index serves Linux x86_64 a CUDA build of
about 2.7 GB. The requirement (a range, no pin) is read from pyproject.toml. In order:

1. torch already installed and inside the range: nothing to do;
2. PyTorch's CPU-only index answers a short probe: install from it (as PyTorch's install selector says);
3. a CPU build (``+cpu``) that pip can already see without an index (its ``find-links``): install that;
4. otherwise the default index, with a one-line note saying what that downloads.

``TORCH_INDEX=<index URL> make setup`` chooses another build (for example PyTorch's ``.../whl/cu128``;
it fails if that index is not reachable); ``TORCH_INDEX=default`` uses pip's default index. Standard
library only: it runs before anything else is installed.

``--no-compile``: pip would byte-compile all of torch's 2,000-odd modules (30 s of the set-up); Python
compiles the few hundred a run imports, once, on first import (``make setup`` imports them at its end).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import urllib.request
from importlib import metadata
from pathlib import Path

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PROBE_SECONDS = 5.0
ROOT = Path(__file__).resolve().parent.parent


def say(message: str) -> None:
    print(f"install_torch: {message}", flush=True)


def requirement() -> str:
    """The torch requirement of pyproject.toml, e.g. ``torch>=2.3,<3``."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    found = [d for d in deps if re.match(r"torch\s*[<>=~!]", d)]
    if len(found) != 1:
        raise SystemExit(f"install_torch: expected one torch requirement in pyproject.toml, found {found}")
    return found[0].replace(" ", "")


def pip(*args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", *args], text=True,
                          capture_output=capture, check=False)


def installed_in_range(req: str) -> str | None:
    """The installed torch version when it satisfies ``req`` (pip plans to install nothing)."""
    try:
        version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None
    plan = _plan("--no-deps", req)
    return version if plan is not None and not plan else None


def reachable(index: str) -> bool:
    try:
        with urllib.request.urlopen(f"{index.rstrip('/')}/torch/", timeout=PROBE_SECONDS) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def _plan(*args: str) -> list[dict] | None:
    """What ``pip install --dry-run --no-index`` would install (its JSON report), or None if it cannot."""
    proc = pip("install", "--dry-run", "--no-index", "--quiet", "--report", "-", *args, capture=True)
    if proc.returncode != 0:
        return None
    return json.loads(proc.stdout).get("install", [])


def local_cpu_build(req: str) -> str | None:
    """A ``+cpu`` torch in the range that pip sees without an index (its find-links), or None."""
    for item in _plan("--ignore-installed", "--no-deps", req) or []:
        version = item["metadata"]["version"]
        if item["metadata"]["name"].lower() == "torch" and version.endswith("+cpu"):
            return version
    return None


def main() -> int:
    req = requirement()
    index = os.environ.get("TORCH_INDEX", "").strip() or CPU_INDEX
    version = installed_in_range(req)
    if version:
        say(f"torch {version} is already installed ({req})")
        return 0
    if index != "default":
        if reachable(index):
            say(f"{req} from {index}")
            return pip("install", "--quiet", "--no-compile", "--index-url", index, req).returncode
        if index != CPU_INDEX:
            say(f"TORCH_INDEX={index} is not reachable (no {index.rstrip('/')}/torch/)")
            return 1
        local = local_cpu_build(req)
        if local:
            say(f"{CPU_INDEX} is not reachable; torch {local}, a CPU build pip already sees locally")
            return pip("install", "--quiet", "--no-compile", f"torch=={local}").returncode
        say(f"{CPU_INDEX} is not reachable and pip sees no CPU build locally: {req} from the default "
            f"index (on Linux x86_64 that is a CUDA build, about 2.7 GB)")
    return pip("install", "--quiet", "--no-compile", req).returncode


if __name__ == "__main__":
    raise SystemExit(main())
