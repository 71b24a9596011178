r"""Every display formula of the chapters: its check, its status, and the command line.

``python -m genmath.formulas [--json] [--mutations] [docs/<chapter>.md ...]``

A display formula is ``ok`` (its check passes), ``wrong`` (the sides disagree numerically),
``unreadable`` (it cannot be read or evaluated; the message says which part), ``unchecked`` (no check
and no exemption) or ``exempt`` (``<!-- exempt: reason -->`` on the line above it). Checks live in
``formulas/<chapter>.py`` as ``CHECKS = {label: Check(...)}``.

Results are cached in ``.genmath-cache/formulas.json`` on the formula's text, the source of its
chapter's check file, and the sources of the genmath modules that file uses; a warm run checks
nothing again.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from genmath.formulas.check import Check, FormulaCheckError, verify

STATUSES = ("ok", "wrong", "unreadable", "unchecked", "exempt")
FAILING = {"wrong", "unreadable", "unchecked"}


@dataclass
class Result:
    id: str | None
    file: str  # docs/<chapter>.md
    line: int
    status: str
    message: str = ""
    seconds: float = 0.0

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line} formula '{self.id}'" if self.id else f"{self.file}:{self.line} formula"


@dataclass
class CheckFile:
    """A chapter's check file: fingerprinted without running it, imported only when a result is missing."""
    path: Path
    fingerprint: str  # the file's source and the sources of the genmath modules it imports
    _checks: dict[str, Check] | None = None
    error: str | None = None

    @property
    def checks(self) -> dict[str, Check]:
        if self._checks is None:
            self._checks, self.error = _load(self.path)
        return self._checks

    def labels(self) -> set[str]:
        """The ids the file checks, read from its text (``"id": Check(``) without importing it."""
        if self._checks is not None:
            return set(self._checks)
        if not self.path.is_file():
            return set()
        return set(_LABEL_KEY.findall(self.path.read_text(encoding="utf-8")))


class Runner:
    """Checks chapters' display formulas with their project's check files and cache."""

    def __init__(self, root: Path, *, docs_dir: Path | None = None, formulas_dir: Path | None = None,
                 cache_dir: Path | None = None) -> None:
        self.root = root.resolve()
        self.docs_dir = docs_dir or self.root / "docs"
        self.formulas_dir = formulas_dir or self.root / "formulas"
        self.cache_file = (cache_dir or self.root / ".genmath-cache") / "formulas.json"
        self._files: dict[str, CheckFile] = {}
        self._cache: dict[str, dict[str, Any]] | None = None

    # -- check files
    def check_file(self, chapter: str) -> CheckFile:
        """The checks of ``docs/<chapter>.md`` (``formulas/<chapter>.py``), loaded once."""
        stem = chapter.removesuffix(".md").replace("/", "_")
        if stem not in self._files:
            path = self.formulas_dir / f"{stem}.py"
            self._files[stem] = CheckFile(path, fingerprint(path, self.root))
        return self._files[stem]

    # -- cache
    def _load_cache(self) -> dict[str, dict[str, Any]]:
        if self._cache is None:
            try:
                data = json.loads(self.cache_file.read_text(encoding="utf-8"))
                self._cache = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._cache = {}
        return self._cache

    def save(self) -> None:
        if self._cache is None:
            return
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_file.with_suffix(f".{os.getpid()}.tmp")  # one per process: builds run in parallel
        tmp.write_text(json.dumps(self._cache, sort_keys=True), encoding="utf-8")
        tmp.replace(self.cache_file)

    # -- checking
    def check_chapter(self, chapter: Any) -> list[Result]:
        """Results for every display formula of a scanned chapter (``genmath.sitebuild.scan.Chapter``)."""
        results = []
        cf = self.check_file(chapter.path)
        for m in chapter.maths:
            if not m.display:
                continue
            results.append(self.check_math(chapter.path, m, cf))
        orphans = sorted(cf.labels() - {m.label for m in chapter.maths if m.display and m.label})
        for label in orphans:
            results.append(Result(label, f"docs/{chapter.path}", 1, "unreadable",
                                  f"formulas/{cf.path.name} has a check for {label!r}, but no display formula "
                                  f"of docs/{chapter.path} has \\label{{{label}}}"))
        return results

    def check_math(self, chapter: str, m: Any, cf: CheckFile) -> Result:
        file = f"docs/{chapter}"
        if m.exempt is not None:
            if len(m.exempt.split()) < 2:
                return Result(m.label, file, m.line, "unreadable",
                              f"the exemption needs a reason in words, got {m.exempt!r}")
            if m.label and m.label in cf.labels():
                return Result(m.label, file, m.line, "unreadable", "both exempt and checked: choose one")
            return Result(m.label, file, m.line, "exempt", m.exempt)
        if not m.label or m.label not in cf.labels():
            hint = (f"add a check for {m.label!r} to formulas/{cf.path.name}" if m.label else
                    f"give it a \\label{{...}} and a check in formulas/{cf.path.name}")
            return Result(m.label, file, m.line, "unchecked",
                          f"no check: {hint}, or write <!-- exempt: <reason> --> on the line above it")
        key = hashlib.sha256(json.dumps([m.tex, m.label, cf.fingerprint]).encode()).hexdigest()
        cache = self._load_cache()
        if key in cache:
            return Result(**{**cache[key], "line": m.line})
        result = Result(m.label, file, m.line, "ok")
        if cf.checks.get(m.label) is None:
            result.status, result.message = "unreadable", cf.error or f"no Check for {m.label!r} in CHECKS"
            return result
        start = time.perf_counter()
        try:
            verify(m.tex, cf.checks[m.label], where=result.where)
        except FormulaCheckError as err:
            result.status, result.message = err.kind, str(err).removeprefix(result.where + ": ")
        except Exception as exc:  # noqa: BLE001 - a check that crashes is reported, located
            result.status, result.message = "unreadable", f"the check raised {type(exc).__name__}: {exc}"
        result.seconds = round(time.perf_counter() - start, 3)
        if result.status == "ok":
            cache[key] = asdict(result)
        return result


_LABEL_KEY = re.compile(r"""^\s*["']([a-z0-9-]+)["']\s*:\s*Check\(""", re.MULTILINE)


def _load(path: Path) -> tuple[dict[str, Check], str | None]:
    if not path.is_file():
        return {}, None
    spec = importlib.util.spec_from_file_location(f"genmath_formula_checks_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - reported on every formula of the chapter
        return {}, f"formulas/{path.name} failed to import: {type(exc).__name__}: {exc}"
    checks = getattr(module, "CHECKS", None)
    if not isinstance(checks, dict):
        return {}, f"formulas/{path.name} defines no CHECKS dict"
    return checks, None


def fingerprint(path: Path, root: Path) -> str:
    """Hash of a check file and of every genmath source it imports, transitively (read, not run)."""
    digest = hashlib.sha256(path.read_bytes() if path.is_file() else b"")
    for source in sorted(_imported_sources(path, root / "genmath")):
        digest.update(source.relative_to(root).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _imported_sources(path: Path, package: Path) -> set[Path]:
    """genmath source files imported by ``path``, found by reading import statements (ast)."""
    exports = _exports(package)
    seen: set[Path] = set()
    todo = [path] + sorted((package / "formulas").glob("*.py"))
    while todo:
        current = todo.pop()
        if not current.is_file():
            continue
        names = [n for n in _imports_of(current) if n == "genmath" or n.startswith("genmath.")]
        # from genmath import <public name>: the submodule that defines it
        names += [f"genmath.{exports[n[8:]]}" for n in names if n.count(".") == 1 and n[8:] in exports]
        for name in names:
            parts = name.split(".")[1:]
            for candidate in (package.joinpath(*parts).with_suffix(".py"), package.joinpath(*parts, "__init__.py")):
                if candidate.is_file() and candidate not in seen:
                    seen.add(candidate)
                    todo.append(candidate)
    return seen


#: A file's imported module names, memoized on (path, size, modification time): a build reads each
#: genmath source once for all chapters, and `mkdocs serve` again only after it changed.
_IMPORTS: dict[tuple[str, int, int], tuple[str, ...]] = {}


def _imports_of(path: Path) -> tuple[str, ...]:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _IMPORTS:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            tree = ast.Module(body=[], type_ignores=[])
        names: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        _IMPORTS[key] = tuple(names)
    return _IMPORTS[key]


def _exports(package: Path) -> dict[str, str]:
    """genmath's lazy public names (``_EXPORTS`` in genmath/__init__.py): name -> submodule."""
    init = package / "__init__.py"
    stat = init.stat()
    key = (str(init.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _EXPORT_MAPS:
        _EXPORT_MAPS[key] = {}
        for node in ast.walk(ast.parse(init.read_text(encoding="utf-8"))):
            if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "_EXPORTS" and node.value:
                _EXPORT_MAPS[key] = dict(ast.literal_eval(node.value))
                break
    return _EXPORT_MAPS[key]


_EXPORT_MAPS: dict[tuple[str, int, int], dict[str, str]] = {}


# --------------------------------------------------------------------------------------------------
# command line

def _chapters(root: Path, args: list[str]) -> list[Any]:
    from genmath.sitebuild.scan import scan_file

    docs = root.resolve() / "docs"
    paths = [Path(a) for a in args] or sorted(docs.rglob("*.md"))
    out = []
    for p in paths:
        p = p if p.is_absolute() else (Path.cwd() / p)
        if not p.is_file():
            raise SystemExit(f"genmath.formulas: no such chapter {p}")
        out.append(scan_file(docs, p.resolve()))
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m genmath.formulas",
                                     description="Check every display formula of the chapters by value.")
    parser.add_argument("chapters", nargs="*", help="docs/<chapter>.md files (default: all)")
    parser.add_argument("--json", action="store_true", help="print a JSON list, one object per display formula")
    parser.add_argument("--mutations", action="store_true",
                        help="also run the mutation test and print its table (slow)")
    parser.add_argument("--no-cache", action="store_true", help="check everything again")
    parser.add_argument("--root", default=".", help="the project folder (default: the current folder)")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    runner = Runner(root)
    if args.no_cache:
        runner._cache = {}
    start = time.perf_counter()
    chapters = _chapters(root, args.chapters)
    results = [r for c in chapters for r in runner.check_chapter(c)]
    runner.save()
    elapsed = time.perf_counter() - start
    if args.json:
        print(json.dumps([{"id": r.id, "file": r.file, "line": r.line, "status": r.status,
                           **({"message": r.message} if r.message else {})} for r in results], indent=1))
    else:
        for r in results:
            if r.status in FAILING:
                print(f"{r.where}: {r.message}")
        counts = {s: sum(r.status == s for r in results) for s in STATUSES}
        print(f"genmath.formulas: {len(results)} display formulas in {len(chapters)} chapters: "
              + ", ".join(f"{n} {s}" for s, n in counts.items()) + f" ({elapsed:.1f} s)")
    if args.mutations:
        from genmath.formulas.report import mutation_report

        table, ok = mutation_report(runner, chapters)
        print(table)
        if not ok:
            return 1
    return 1 if any(r.status in FAILING for r in results) else 0
