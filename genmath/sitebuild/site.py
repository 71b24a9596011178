"""``prepare()``: the pre-build step over the whole site.

It scans every chapter, runs every embedded snippet (in parallel, through the cache), and checks
everything a page will need before any page is rendered: value names, figure names, format specs,
equation labels and references, and every formula's TeX (typeset with KaTeX). Every problem becomes
a BuildError naming the chapter file and line (and the snippet file and line where one applies).

Called by the MkDocs glue on every build (``mkdocs_hooks.on_pre_build``), by
``python -m genmath.sitebuild`` on its own, and lazily by the Markdown extension when neither ran.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genmath.sitebuild.cache import Cache
from genmath.sitebuild.errors import BuildError, BuildErrors, Location
from genmath.sitebuild.katex import Katex
from genmath.sitebuild.render import tex_for_katex
from genmath.sitebuild.runner import Job, run_all
from genmath.sitebuild.scan import QUOTE_RE, Chapter, scan_file
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


CURRENT: Site | None = None


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


def _check_math(site: Site, errors: list[BuildError]) -> None:
    assert site.katex is not None
    items: list[tuple[str, bool]] = []
    origins: list[tuple[Chapter, int]] = []
    for chapter in site.chapters.values():
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


def _check_formulas(site: Site, errors: list[BuildError]) -> None:
    """Every display formula is checked by value or exempt with a reason (genmath.formulas)."""
    from genmath.formulas.run import FAILING, Runner

    runner = Runner(site.config.root, docs_dir=site.config.docs_dir, formulas_dir=site.config.formulas_dir,
                    cache_dir=site.config.cache_dir)
    for chapter in site.chapters.values():
        for result in runner.check_chapter(chapter):
            if result.status in FAILING:
                name = f"formula {result.id!r}" if result.id else "display formula"
                errors.append(BuildError(f"{name} is {result.status}: {result.message}",
                                         Location(chapter.path, result.line)))
    runner.save()


def install_assets(config: Config) -> None:
    """Copy KaTeX's CSS and fonts into docs/assets/katex (gitignored) so the site serves them."""
    Katex(config.root, config.cache_dir).install_assets(config.docs_dir / "assets" / "katex")


def write_notebooks(site: Site, *, site_url: str, repository: str) -> list[str]:
    """Write each chapter's companion notebook (see genmath.sitebuild.notebooks). Returns chapter names.

    ``site_url`` is the hosted site (the committed notebooks link there, whatever URL this build
    is for); the rendered copies link to their chapter relatively.
    """
    from genmath.sitebuild import notebooks

    written = []
    for chapter in site.chapters.values():
        if not notebooks.has_notebook(chapter):
            continue
        name = chapter.path.removesuffix(".md")
        sources = {d.target: site.source(d.target) for d in chapter.directives if d.kind == "snippet"}
        hosted = f"{site_url.rstrip('/')}/{name}/"
        for results, target, url in (
                (None, site.config.root / "notebooks" / f"{name}.ipynb", hosted),
                (site.results, site.config.docs_dir / "notebooks" / f"{name}.ipynb", f"../../{name}/")):
            text = notebooks.notebook(chapter, sources, results, chapter_url=url, repository=repository)
            notebooks.write_if_changed(target, text)
        written.append(name)
    return written


def prepare(config: Config) -> Site:
    """Scan, run, check. Returns the Site (also kept in ``CURRENT``); raises located BuildErrors."""
    global CURRENT
    errors: list[BuildError] = []
    chapters: dict[str, Chapter] = {}
    paths = sorted(config.docs_dir.rglob("*.md")) if config.pages is None else \
        sorted(config.docs_dir / p for p in config.pages)
    for path in paths:
        try:
            chapter = scan_file(config.docs_dir, path)
        except BuildError as err:
            errors.append(err)
            continue
        chapters[chapter.path] = chapter
    if errors:
        raise errors[0] if len(errors) == 1 else BuildErrors(errors)

    cache = Cache(config.cache_dir, config.root)
    results = run_all(_jobs(chapters, config), cache, config.root, refresh=config.refresh,
                      workers=config.workers)
    site = Site(config, chapters, results, katex=Katex(config.root, config.cache_dir))
    _collect(site, errors)
    for chapter in chapters.values():
        for label, number in chapter.labels.items():
            if label in site.labels:
                errors.append(BuildError(f"equation label {label!r} is also used in {site.labels[label][0]}",
                                         Location(chapter.path, next(m.line for m in chapter.maths
                                                                     if m.label == label))))
            site.labels[label] = (chapter.path, number)
    for chapter in chapters.values():
        _check_chapter(site, chapter, errors)
    _check_math(site, errors)
    _check_formulas(site, errors)
    if errors:
        raise errors[0] if len(errors) == 1 else BuildErrors(errors)
    site.katex.install_assets(config.docs_dir / "assets" / "katex")  # type: ignore[union-attr]
    CURRENT = site
    return site
