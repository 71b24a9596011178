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

import bisect
import difflib
import hashlib
import json
import os
import re
from collections.abc import Callable
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
from genmath.sitebuild.scan import QUOTE_RE, Chapter, mask_code, scan_text
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
    _unit_map: dict[str, str | None] | None = field(default=None, repr=False)

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

    def resolve_text(self, text: str, where: Location) -> str:
        """Alt text or a caption with its value quotes formatted as in prose."""
        return QUOTE_RE.sub(lambda q: self.quote(q.group("name"), (q.group("spec") or "").strip(), False, where),
                            text)

    def _units(self) -> dict[str, str | None]:
        """Every value's unit (built once per Site: the values do not change after the runs)."""
        if self._unit_map is None:
            self._unit_map = {n: v.get("unit") for n, v in self.values.items()}
        return self._unit_map

    def quote_problems(self, lines: list[str], index: int, start: int, end: int) -> list[str]:
        """What is wrong with the (known) quote at ``lines[index][start:end]`` in its context: a unit
        that does not follow it, or more digits than its standard error allows."""
        q = QUOTE_RE.match(lines[index], start)
        assert q is not None
        name, spec = q.group("name"), (q.group("spec") or "").strip()
        item = self.values[name]
        problems = []
        unit = item.get("unit")
        if unit and quotecheck.unit_problem(lines, index, start, end, unit, self._units()):
            problems.append(f"value {name!r} is in {unit}: state the unit right after the quote "
                            f"(\"{{{{ {name} }}}} {unit}\"; in a table, in the column or row header)")
        if item.get("se") is not None:
            why = quotecheck.digits_problem(item["value"], spec, item["se"],
                                            quotecheck.se_quoted_near(lines, index, name))
            if why:
                problems.append(f"value {name!r} is a simulated statistic and {why}")
        return problems

    def page_inputs(self, path: str) -> str | None:
        """A digest of everything the rendered chapter depends on (None: not a prepared chapter).

        Its text, the cache keys of the snippets and figures it shows (each covers the snippet's
        source, the genmath sources it imported and the library versions), their figures' alt texts
        and captions as formatted, the values it quotes and the numbers of the equations it refers to. Equal digests render to equal HTML.
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
            # every quote: prose, math, and captions on figure directives
            "values": {m.group("name"): self.values.get(m.group("name")) for m in QUOTE_RE.finditer(chapter.text)},
            # alt text and captions, their quotes formatted (they may quote other snippets' values)
            "figure texts": {rel: [(f.get("alt"), f.get("caption")) for f in self.results[rel].get("figures", [])]
                             for rel in sorted(shown) if rel in self.results},
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


def _check_chapters(site: Site, chapters: list[Chapter], errors: list[BuildError]) -> None:
    for chapter in chapters:
        _check_chapter(site, chapter, errors)


def _check_figure_texts(site: Site, chapters: list[Chapter], errors: list[BuildError]) -> None:
    """Alt text and captions: quotes checked like prose and then formatted in place (so every page
    and notebook shows the values); hand-typed numbers refused (the strict lint)."""
    done: set[str] = set()
    for chapter in chapters:
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
    if site.formulas is None and not any(m.display for c in chapters for m in c.maths) and not any(
            site.config.formulas_dir.glob("*.py")):
        return  # nothing to check, and no check file that could name a missing formula: the checker
        # (scipy.stats and scipy.integrate) is not imported, a second of every small build's time
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
    "figure texts": _check_figure_texts,  # quotes and hand-typed numbers in alt text and captions
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
            text = notebooks.notebook(chapter, sources, results, chapter_url=url, repository=repository,
                                      katex=site.katex if results is not None else None)
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

    jobs = _jobs(chapters, config)
    _check_snippet_sources(jobs, errors)
    cache = Cache(config.cache_dir, config.root)
    results = run_all(jobs, cache, config.root, refresh=config.refresh,
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
