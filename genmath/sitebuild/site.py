"""``prepare()``: the pre-build step over the whole site.

It scans every chapter, runs every embedded snippet (in parallel, through the cache), and checks
everything a page will need before any page is rendered: value names, figure names, format specs,
equation labels and references, and every formula's TeX (typeset with KaTeX). Every problem becomes
a BuildError naming the chapter file and line (and the snippet file and line where one applies).

Called by the MkDocs glue on every build (``mkdocs_hooks.on_pre_build``), by
``python -m genmath.sitebuild`` on its own, and lazily by the Markdown extension when neither ran.
"""

from __future__ import annotations

import bisect
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genmath.sitebuild import quotecheck
from genmath.sitebuild.cache import Cache
from genmath.sitebuild.errors import BuildError, BuildErrors, Location
from genmath.sitebuild.katex import Katex
from genmath.sitebuild.lint import hand_typed_in_text, raw_quadrature
from genmath.sitebuild.render import tex_for_katex
from genmath.sitebuild.runner import Job, run_all
from genmath.sitebuild.scan import QUOTE_RE, Chapter, mask_code, scan_file
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

    def resolve_text(self, text: str, where: Location) -> str:
        """Alt text or a caption with its value quotes formatted as in prose."""
        return QUOTE_RE.sub(lambda q: self.quote(q.group("name"), (q.group("spec") or "").strip(), False, where),
                            text)

    def quote_problems(self, lines: list[str], index: int, start: int, end: int) -> list[str]:
        """What is wrong with the (known) quote at ``lines[index][start:end]`` in its context: a unit
        that does not follow it, or more digits than its standard error allows."""
        q = QUOTE_RE.match(lines[index], start)
        assert q is not None
        name, spec = q.group("name"), (q.group("spec") or "").strip()
        item = self.values[name]
        problems = []
        unit = item.get("unit")
        units = {n: v.get("unit") for n, v in self.values.items()}
        if unit and quotecheck.unit_problem(lines, index, start, end, unit, units):
            problems.append(f"value {name!r} is in {unit}: state the unit right after the quote "
                            f"(\"{{{{ {name} }}}} {unit}\"; in a table, in the column or row header)")
        if item.get("se") is not None:
            why = quotecheck.digits_problem(item["value"], spec, item["se"],
                                            quotecheck.se_quoted_near(lines, index, name))
            if why:
                problems.append(f"value {name!r} is a simulated statistic and {why}")
        return problems


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


def _check_snippet_sources(jobs: list[Job], errors: list[BuildError]) -> None:
    """A snippet does not call scipy's integrators itself: ``quad`` returns an error estimate that a
    snippet can silently ignore (mle.md once printed an integral whose error estimate exceeded its
    value). Integrals go through genmath, which checks the estimate and raises."""
    for job in jobs:
        try:
            source = job.path.read_text(encoding="utf-8")
        except OSError:
            continue  # the run reports the missing file, with its chapter line
        for line, what in raw_quadrature(source):
            errors.append(BuildError(
                f"snippet integrates with {what} directly, so nothing checks its error estimate; "
                f"integrate through a genmath function that checks it (or use a closed form)",
                Location(job.where.chapter, job.where.line, f"snippets/{job.rel}", line)))


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


#: Inline math as the page's Markdown finds it: it may continue onto the next line of a paragraph.
_INLINE_MATH_MULTILINE = re.compile(r"(?<![\\$])\$(?=[^\s$])(?:\\.|[^\\$\n]|\n(?![ \t]*\n))+?(?<=\S)\$(?!\d)")


def _inline_math_spans(masked: list[str]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """((line, col) of the opening dollar, (line, col) of the closing dollar) of inline math."""
    text = "\n".join(masked)
    starts = [0]
    for line in masked:
        starts.append(starts[-1] + len(line) + 1)

    def at(offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(starts, offset) - 1
        return line, offset - starts[line]

    text = re.sub(r"\$\$", "  ", text)  # display delimiters are not inline math
    return [(at(m.start()), at(m.end() - 1)) for m in _INLINE_MATH_MULTILINE.finditer(text)]


def _check_chapter(site: Site, chapter: Chapter, errors: list[BuildError]) -> None:
    for line, text in chapter.loose:
        errors.append(BuildError(f"{text} is neither a value quote ({{{{ chapter.name:spec }}}}) nor "
                                 f"a snippet/figure directive alone on its line", Location(chapter.path, line)))
    file_lines = chapter.text.split("\n")
    math_spans = _inline_math_spans(mask_code(file_lines))
    for q in chapter.quotes:
        where = Location(chapter.path, q.line)
        try:
            site.quote(q.name, q.spec, q.in_math, where)
        except BuildError as err:
            errors.append(err)
            continue
        errors += [BuildError(p, where) for p in site.quote_problems(file_lines, q.line - 1, q.col, q.end)]
        here = (q.line - 1, q.col)
        if not q.in_math and not any(a < here < b for a, b in math_spans):
            dollars = {pos[1] for span in math_spans for pos in span if pos[0] == q.line - 1}
            if quotecheck.literal_problem(file_lines[q.line - 1], q.col, q.end, dollars):
                errors.append(BuildError(
                    f"the quote of {q.name!r} sits between dollar signs that make no math and would render "
                    f"as literal text: write ${{{{ {q.name} }}}}$ (no space inside the dollars) or drop them",
                    where))
    for line, label in chapter.eqrefs:
        if label not in site.labels:
            errors.append(BuildError(f"\\eqref{{{label}}}: no display formula has \\label{{{label}}}",
                                     Location(chapter.path, line)))
    for d in chapter.directives:
        if d.kind == "figure" and d.target not in site.figures:
            close = difflib.get_close_matches(d.target, site.figures, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errors.append(BuildError(f"unknown figure {d.target!r}{hint}", Location(chapter.path, d.line)))


def _check_figure_texts(site: Site, errors: list[BuildError]) -> None:
    """Alt text and captions: quotes checked like prose and then formatted in place (so every page
    and notebook shows the values); hand-typed numbers refused (the strict lint)."""
    done: set[str] = set()
    for chapter in site.chapters.values():
        allowed = {str(k) for k in (chapter.meta.get("numbers_allowed") or {})}
        for d in chapter.directives:
            # (what it is, the figure to update or None, its key there, the text)
            texts: list[tuple[str, dict[str, Any] | None, str, str]] = []
            where = Location(chapter.path, d.line)
            if d.kind == "figure" and d.options.get("caption"):
                # a caption given on the directive: checked here, formatted by the Markdown extension
                texts.append((f"caption of figure {d.target!r}", None, "caption", str(d.options["caption"])))
            elif d.kind == "snippet" and d.target not in done and d.target in site.results:
                done.add(d.target)
                where = Location(chapter.path, d.line, f"snippets/{d.target}")
                for fig in site.results[d.target].get("figures", []):
                    texts += [(f"{key} of figure {fig['name']!r}", fig, key, fig[key]) for key in ("alt", "caption")
                              if fig.get(key)]
            for what, fig, key, text in texts:
                before = len(errors)
                for number in hand_typed_in_text(text, allowed, strict=True):
                    errors.append(BuildError(f"{what}: hand-typed number {number}; quote the value "
                                             f"({{{{ name:spec }}}}) as in prose", where))
                for q in QUOTE_RE.finditer(text):
                    try:
                        site.quote(q.group("name"), (q.group("spec") or "").strip(), False, where)
                    except BuildError as err:
                        errors.append(BuildError(f"{what}: {err.cause}", where))
                        continue
                    errors += [BuildError(f"{what}: {p}", where)
                               for p in site.quote_problems([text], 0, q.start(), q.end())]
                if fig is not None and len(errors) == before:
                    fig[key] = site.resolve_text(text, where)
                    site.figures[fig["name"]][key] = fig[key]


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

    jobs = _jobs(chapters, config)
    _check_snippet_sources(jobs, errors)
    cache = Cache(config.cache_dir, config.root)
    results = run_all(jobs, cache, config.root, refresh=config.refresh,
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
    _check_figure_texts(site, errors)
    _check_math(site, errors)
    _check_formulas(site, errors)
    if errors:
        raise errors[0] if len(errors) == 1 else BuildErrors(errors)
    site.katex.install_assets(config.docs_dir / "assets" / "katex")  # type: ignore[union-attr]
    CURRENT = site
    return site
