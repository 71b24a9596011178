"""On-disk cache of snippet results, keyed on everything that can change them.

The key of a snippet is the SHA-256 of:
- the snippet's source;
- the source of every genmath module its last run imported, transitively (recorded by
  ``genmath.sitebuild.child`` from ``sys.modules``: exact, including imports inside functions),
  except the build machinery itself (``genmath.sitebuild``);
- the versions of Python, numpy, scipy, matplotlib, torch and scikit-learn.

So editing one genmath module re-executes exactly the snippets that imported it, editing prose
re-executes nothing, and upgrading a library re-executes everything. One entry per snippet lives in
``<cache_dir>/snippets/<snippet path with / -> __>.json`` and carries a checksum of its payload; a
corrupt or truncated entry is detected, reported and recomputed, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

#: Bump when the format of entries changes.
FORMAT = 2
VERSIONED = ("numpy", "scipy", "matplotlib", "torch", "scikit-learn")


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "format": str(FORMAT)}
    for dist in VERSIONED:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "absent"
    return out


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key(snippet_source: bytes, deps: list[str], root: Path) -> str | None:
    """The cache key, or None if a recorded dependency no longer exists (then: re-execute)."""
    dep_hashes = {}
    for dep in deps:
        path = root / dep
        if not path.is_file():
            return None
        dep_hashes[dep] = _sha(path.read_bytes())
    blob = json.dumps({"snippet": _sha(snippet_source), "deps": dep_hashes, "versions": versions()},
                      sort_keys=True)
    return _sha(blob.encode())


class Cache:
    def __init__(self, directory: Path, root: Path) -> None:
        self.directory = directory / "snippets"
        self.root = root  # the folder that contains the genmath package

    def _path(self, snippet_rel: str) -> Path:
        return self.directory / (snippet_rel.replace("/", "__") + ".json")

    def load(self, snippet_rel: str, source: bytes) -> tuple[dict[str, Any] | None, str]:
        """(entry, status): status is 'hit', 'miss', 'stale' or 'corrupt: <why>'."""
        path = self._path(snippet_rel)
        if not path.exists():
            return None, "miss"
        try:
            wrapper = json.loads(path.read_text(encoding="utf-8"))
            text = wrapper["payload"]  # the payload's JSON text, checksummed as stored
            if _sha(text.encode()) != wrapper["checksum"]:
                return None, "corrupt: checksum mismatch"
            payload = json.loads(text)
            deps = payload["deps"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            return None, f"corrupt: {type(exc).__name__}"
        current = key(source, deps, self.root)
        if current is None or current != payload["key"]:
            return None, "stale"
        return payload, "hit"

    def store(self, snippet_rel: str, source: bytes, result: dict[str, Any]) -> dict[str, Any]:
        payload = dict(result, key=key(source, result["deps"], self.root))
        # In the snippet's own order (the order its values, tables and figures appear on the page),
        # and handed back as a later hit will read it: a cold and a warm build write the same bytes.
        text = json.dumps(payload)
        wrapper = {"checksum": _sha(text.encode()), "payload": text}
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self._path(snippet_rel)
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(wrapper, fh)
        os.replace(tmp, target)  # atomic: a crash never leaves a half-written entry in place
        return json.loads(text)
