"""``prepare()``: the pre-build step over the whole site.

It scans every chapter, runs every embedded snippet (in parallel, through the cache), and then runs
the CHECKS over the chapters: value names, figure names, format specs, units, equation labels and
references, every formula's TeX (typeset with KaTeX) and every display formula by value
(genmath.formulas). Every problem becomes a BuildError naming
the chapter file and line (and the snippet file and line where one applies).

Called through the Markdown extension's Project (``genmath.sitebuild.project``): by the MkDocs glue
before every build, and by the extension itself when the files changed or no driver prepared them;
and by ``python -m genmath.sitebuild`` on its own (``--chapter`` checks one chapter: ``make check``).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genmath.sitebuild.cache import Cache
from genmath.sitebuild.errors import BuildError, BuildErrors, Location
from genmath.sitebuild.katex import Katex
from genmath.sitebuild.render import tex_for_katex
from genmath.sitebuild.runner import Job, run_all
from genmath.sitebuild.scan import QUOTE_RE, Chapter, scan_text
from genmath.sitebuild.values import format_value


@dataclass
class Config:
    root: Path  # the project folder (holds mkdocs.yml, docs/, snippets/, genmath/)
    docs_dir: Path
    snippets_dir: Path
    cache_dir: Path
    formulas_dir: Path  # formulas/<chapter>.py: the checks of each chapter's display formulas
    timeout: float = 60.0  # default per-snippet timeout, seconds
    workers: int | None = None  # parallel snippet processes; default: the number of cores
    refresh: bool = False  # GENMATH_REFRESH=1: ignore the cache, re-execute every snippet
    pages: list[str] | None = None  # chapters to build (relative to docs/); None: every *.md

    @classmethod
    def from_options(cls, root: Path, options: dict[str, Any]) -> Config:
        root = root.resolve()
        return cls(
            root=root,
            docs_dir=root / options.get("docs_dir", "docs"),
            snippets_dir=root / options.get("snippets_dir", "snippets"),
            cache_dir=root / options.get("cache_dir", ".genmath-cache"),
            formulas_dir=root / options.get("formulas_dir", "formulas"),
            timeout=float(options.get("timeout", 60)),
            workers=options.get("workers"),
            refresh=os.environ.get("GENMATH_REFRESH", "") not in ("", "0"),
        )


@dataclass
class Site:
    config: Config
    chapters: dict[str, Chapter]
    results: dict[str, dict[str, Any]]  # snippet rel path -> cached payload
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {value, unit, snippet}
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> figure (+ snippet)
    labels: dict[str, tuple[str, int]] = field(default_factory=dict)  # label -> (chapter, number)
    katex: Katex | None = None
    #: the formula checker (genmath.formulas.run.Runner) with the fingerprints it computed, and the
    #: sizes and times of the sources they cover: a later prepare() reuses it while those are unchanged
    formulas: Any = field(default=None, repr=False)
    sources: tuple[tuple[str, int, int], ...] = field(default=(), repr=False)
    _bodies: dict[str, Chapter] | None = field(default=None, repr=False)

    def source(self, rel: str) -> str:
        return (self.config.snippets_dir / rel).read_text(encoding="utf-8")

    def quote(self, name: str, spec: str, in_math: bool, where: Location) -> str:
        """The formatted value for ``{{ name:spec }}``; unknown names fail with a suggestion."""
        if name not in self.values:
            close = difflib.get_close_matches(name, self.values, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise BuildError(f"unknown value name {name!r}{hint}", where)
        try:
            return format_value(self.values[name]["value"], spec, in_math=in_math)
        except (ValueError, TypeError) as exc:
            raise BuildError(f"format spec {spec!r} does not apply to {name!r}: {exc}", where) from None

    def chapter_for(self, markdown: str) -> Chapter | None:
        """The chapter whose Markdown body (front matter removed, as a renderer passes it) this is."""
        if self._bodies is None:
            self._bodies = {_normalise("\n".join(c.text.split("\n")[c.offset:])): c
                            for c in self.chapters.values()}
        return self._bodies.get(_normalise(markdown))

    def page_inputs(self, path: str) -> str | None:
        """A digest of everything the rendered chapter depends on (None: not a prepared chapter).

        Its text, the cache keys of the snippets and figures it shows (each covers the snippet's
        source, the genmath sources it imported and the library versions), the values it quotes and
        the numbers of the equations it refers to. Equal digests render to equal HTML.
        """
        chapter = self.chapters.get(path)
        if chapter is None:
            return None
        shown = {d.target for d in chapter.directives if d.kind == "snippet"}
        shown |= {self.figures[d.target]["snippet"] for d in chapter.directives
                  if d.kind == "figure" and d.target in self.figures}
        blob = json.dumps({
            "text": chapter.text,
            "snippets": {rel: self.results[rel].get("key") for rel in sorted(shown) if rel in self.results},
            "values": {q.name: self.values.get(q.name) for q in chapter.quotes},
            "labels": {label: self.labels.get(label) for _, label in chapter.eqrefs},
            "katex": self.katex.version if self.katex else None,
        }, sort_keys=True, default=repr)
        return hashlib.sha256(blob.encode()).hexdigest()


def _normalise(markdown: str) -> str:
    """Markdown text as Python-Markdown's preprocessors see it (line breaks, tabs, blank lines)."""
    text = markdown.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    return "\n".join("" if not line.strip(" ") else line for line in text.split("\n")).strip("\n")


def _jobs(chapters: dict[str, Chapter], config: Config) -> list[Job]:
    jobs: dict[str, Job] = {}
    for chapter in chapters.values():
        for d in chapter.directives:
            if d.kind != "snippet":
                continue
            timeout = float(d.options.get("timeout", config.timeout))
            if d.target in jobs:
                jobs[d.target].timeout = max(jobs[d.target].timeout, timeout)
            else:
                jobs[d.target] = Job(d.target, config.snippets_dir / d.target, timeout,
                                     Location(chapter.path, d.line))
    return list(jobs.values())


def _collect(site: Site, errors: list[BuildError]) -> None:
    for rel, payload in site.results.items():
        for name, item in payload["values"].items():
            if name in site.values:
                errors.append(BuildError(
                    f"value {name!r} is published by both snippets/{site.values[name]['snippet']} "
                    f"and snippets/{rel}", Location(snippet=f"snippets/{rel}")))
            site.values[name] = dict(item, snippet=rel)
        for fig in payload["figures"]:
            if fig["name"] in site.figures:
                errors.append(BuildError(f"figure {fig['name']!r} is published by two snippets",
                                         Location(snippet=f"snippets/{rel}")))
            site.figures[fig["name"]] = dict(fig, snippet=rel)


def _check_chapter(site: Site, chapter: Chapter, errors: list[BuildError]) -> None:
    for line, text in chapter.loose:
        errors.append(BuildError(f"{text} is neither a value quote ({{{{ chapter.name:spec }}}}) nor "
                                 f"a snippet/figure directive alone on its line", Location(chapter.path, line)))
    file_lines = chapter.text.split("\n")
    for q in chapter.quotes:
        try:
            site.quote(q.name, q.spec, q.in_math, Location(chapter.path, q.line))
        except BuildError as err:
            errors.append(err)
            continue
        unit = site.values[q.name].get("unit")
        if unit:
            stem = unit.split()[0].rstrip("s")  # "nats" -> "nat", "bits per dim" -> "bit"
            nearby = " ".join(file_lines[max(0, q.line - 2):q.line + 1])
            if stem not in nearby:
                errors.append(BuildError(
                    f"value {q.name!r} is in {unit}: state the unit next to the quote "
                    f"(on its line or the lines around it)", Location(chapter.path, q.line)))
    for line, label in chapter.eqrefs:
        if label not in site.labels:
            errors.append(BuildError(f"\\eqref{{{label}}}: no display formula has \\label{{{label}}}",
                                     Location(chapter.path, line)))
    for d in chapter.directives:
        if d.kind == "figure" and d.target not in site.figures:
            close = difflib.get_close_matches(d.target, site.figures, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errors.append(BuildError(f"unknown figure {d.target!r}{hint}", Location(chapter.path, d.line)))


def _check_chapters(site: Site, chapters: list[Chapter], errors: list[BuildError]) -> None:
    for chapter in chapters:
        _check_chapter(site, chapter, errors)


def _check_math(site: Site, chapters: list[Chapter], errors: list[BuildError]) -> None:
    assert site.katex is not None
    items: list[tuple[str, bool]] = []
    origins: list[tuple[Chapter, int]] = []
    for chapter in chapters:
        labels = chapter.labels
        for m in chapter.maths:
            where = Location(chapter.path, m.line)
            try:
                tex = QUOTE_RE.sub(lambda q: site.quote(q.group("name"), (q.group("spec") or "").strip(),
                                                        True, where), m.tex)
            except BuildError:
                continue  # already reported by _check_chapter
            tex, _ = tex_for_katex(tex, labels, m.display)
            items.append((tex, m.display))
            origins.append((chapter, m.line))
    for out, (chapter, line) in zip(site.katex.render_many(items), origins):
        if isinstance(out, BuildError):
            out.locate(Location(chapter.path, line))
            errors.append(out)
    site.katex.save()


def _check_formulas(site: Site, chapters: list[Chapter], errors: list[BuildError]) -> None:
    """Every display formula is checked by value or exempt with a reason (genmath.formulas)."""
    from genmath.formulas.run import FAILING, Runner

    if site.formulas is None:
        site.formulas = Runner(site.config.root, docs_dir=site.config.docs_dir,
                               formulas_dir=site.config.formulas_dir, cache_dir=site.config.cache_dir)
    runner = site.formulas
    for chapter in chapters:
        for result in runner.check_chapter(chapter):
            if result.status in FAILING:
                name = f"formula {result.id!r}" if result.id else "display formula"
                errors.append(BuildError(f"{name} is {result.status}: {result.message}",
                                         Location(chapter.path, result.line)))
    runner.save()


#: The checks of the pre-build step, by name, in order. Each gets the prepared Site and the chapters
#: to check (all of them, or the ones ``python -m genmath.sitebuild --chapter`` names) and appends
#: located BuildErrors. A new check is one function with this signature, added here.
Check = Callable[[Site, list[Chapter], list[BuildError]], None]
CHECKS: dict[str, Check] = {
    "chapters": _check_chapters,  # value names, format specs, units, equation references, figures
    "math": _check_math,  # every formula's TeX, typeset by KaTeX
    "formulas": _check_formulas,  # every display formula by value (genmath.formulas)
}


def _sources(config: Config) -> tuple[tuple[str, int, int], ...]:
    """Size and modification time of every formula check file and genmath module."""
    found = []
    for folder in (config.formulas_dir, config.root / "genmath"):
        for path in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
            try:
                st = path.stat()
            except OSError:
                continue
            found.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(found)


def install_assets(config: Config) -> None:
    """Copy KaTeX's CSS and fonts into docs/assets/katex (gitignored) so the site serves them."""
    Katex(config.root, config.cache_dir).install_assets(config.docs_dir / "assets" / "katex")


def write_notebooks(site: Site, *, site_url: str, repository: str,
                    memo: dict[str, str] | None = None) -> list[str]:
    """Write each chapter's companion notebook (see genmath.sitebuild.notebooks). Returns chapter names.

    ``notebooks/<chapter>.ipynb`` (committed; links ``site_url``, the hosted site, whatever URL this
    build is for) and, with the snippets' outputs, ``<cache>/notebooks/<chapter>.ipynb`` (rendered
    by the site; outside docs/, so writing it never triggers a rebuild of ``mkdocs serve``).
    ``memo`` (chapter -> digest of its notebook's inputs, kept by the caller across builds) skips
    the chapters whose notebooks are written and whose inputs did not change.
    """
    from genmath.sitebuild import notebooks

    written = []
    for chapter in site.chapters.values():
        if not notebooks.has_notebook(chapter):
            continue
        name = chapter.path.removesuffix(".md")
        written.append(name)
        sources = {d.target: site.source(d.target) for d in chapter.directives if d.kind == "snippet"}
        hosted = f"{site_url.rstrip('/')}/{name}/"
        targets = ((None, site.config.root / "notebooks" / f"{name}.ipynb", hosted),
                   (site.results, rendered_notebook(site.config, name), f"../../{name}/"))
        keys = {t: site.results[t].get("key") for t in sources}
        blob = json.dumps([chapter.text, sources, keys, site_url, repository])
        inputs = hashlib.sha256(blob.encode()).hexdigest()
        if memo is not None and memo.get(name) == inputs and all(t.is_file() for _, t, _ in targets):
            continue
        for results, target, url in targets:
            text = notebooks.notebook(chapter, sources, results, chapter_url=url, repository=repository)
            notebooks.write_if_changed(target, text)
        if memo is not None:
            memo[name] = inputs
    return written


def rendered_notebook(config: Config, name: str) -> Path:
    """Where the notebook with outputs for chapter ``name`` is written (served as notebooks/<name>.ipynb)."""
    return config.cache_dir / "notebooks" / f"{name}.ipynb"


def prepare(config: Config, focus: list[str] | None = None, *, previous: Site | None = None,
            skip: tuple[str, ...] = ()) -> Site:
    """Scan, run, check. Returns the Site; raises located BuildErrors.

    ``focus`` (chapter paths relative to docs/) limits the CHECKS to those chapters; every chapter is
    still scanned and every snippet run (through the cache), since a chapter may quote any value and
    refer to any equation. ``skip`` names CHECKS not to run. ``previous`` (an earlier Site of the same
    project) lends its scans of chapters whose text is unchanged, its loaded KaTeX cache and, while
    no check file or genmath module changed, its formula checker: ``mkdocs serve`` rebuilds.
    """
    errors: list[BuildError] = []
    chapters: dict[str, Chapter] = {}
    paths = sorted(config.docs_dir.rglob("*.md")) if config.pages is None else \
        sorted(config.docs_dir / p for p in config.pages)
    scanned = previous.chapters if previous is not None else {}
    for path in paths:
        try:
            rel = path.relative_to(config.docs_dir).as_posix()
            text = path.read_text(encoding="utf-8")
            before = scanned.get(rel)
            chapter = before if before is not None and before.text == text else scan_text(text, rel)
        except BuildError as err:
            errors.append(err)
            continue
        chapters[chapter.path] = chapter
    if errors:
        raise errors[0] if len(errors) == 1 else BuildErrors(errors)
    unknown = sorted(set(focus or []) - set(chapters))
    if unknown:
        raise BuildError(f"no chapter {', '.join('docs/' + u for u in unknown)} "
                         f"(chapters: {', '.join(sorted(chapters))})")

    cache = Cache(config.cache_dir, config.root)
    results = run_all(_jobs(chapters, config), cache, config.root, refresh=config.refresh,
                      workers=config.workers)
    katex = previous.katex if previous is not None and previous.katex is not None else \
        Katex(config.root, config.cache_dir)
    site = Site(config, chapters, results, katex=katex, sources=_sources(config))
    if previous is not None and previous.sources == site.sources:
        site.formulas = previous.formulas  # its check-file fingerprints still hold
    _collect(site, errors)
    for chapter in chapters.values():
        for label, number in chapter.labels.items():
            if label in site.labels:
                errors.append(BuildError(f"equation label {label!r} is also used in {site.labels[label][0]}",
                                         Location(chapter.path, next(m.line for m in chapter.maths
                                                                     if m.label == label))))
            site.labels[label] = (chapter.path, number)
    checked = [chapters[p] for p in focus] if focus else list(chapters.values())
    unknown_checks = sorted(set(skip) - set(CHECKS))
    if unknown_checks:
        raise ValueError(f"no check named {unknown_checks}; checks: {sorted(CHECKS)}")
    for name, check in CHECKS.items():
        if name not in skip:
            check(site, checked, errors)
    if errors:
        raise errors[0] if len(errors) == 1 else BuildErrors(errors)
    site.katex.install_assets(config.docs_dir / "assets" / "katex")  # type: ignore[union-attr]
    return site
