"""The Python-Markdown extension ``genmath.sitebuild.markdown``: everything a page needs at render time.

mkdocs.yml::

    markdown_extensions:
      - genmath.sitebuild.markdown:
          timeout: 60          # default per-snippet timeout in seconds (override: timeout= on a directive)

It (1) expands ``{{ snippet(...) }}`` and ``{{ figure(...) }}`` directives, value quotes
``{{ name:spec }}`` and ``\\eqref{id}``; (2) loads ``pymdownx.arithmatex`` in generic mode to find the
math; (3) typesets all math with KaTeX on the server, numbering labelled display formulas.

It needs nothing but its options: the Site comes from the project's Project
(``genmath.sitebuild.project``: prepared once, again when a file changed), and which chapter a page
is comes from its text, so errors name the chapter file and line under any driver, MkDocs hooks or
none. A page whose text is no chapter's (an include expanded it) renders with lines of its own text.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from genmath.sitebuild import site as site_mod
from genmath.sitebuild.errors import BuildError, Location
from genmath.sitebuild import plainmath
from genmath.sitebuild.notebooks import chapter_title
from genmath.sitebuild.project import Project, project_for
from genmath.sitebuild.render import eqref_link, figure_html, math_html, snippet_block, tex_for_katex
from genmath.sitebuild.tables import NUMERIC_TEXT_RE
from genmath.sitebuild.scan import EQREF_RE, INLINE_MATH_RE, Chapter, display_blocks, mask_code, scan_text

#: Options that choose the project (and so its Project); the others only change how a page renders.
PROJECT_OPTIONS = ("timeout", "docs_dir", "snippets_dir", "cache_dir")


class GenmathExtension(Extension):
    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "timeout": [60, "Default per-snippet timeout in seconds"],
            "docs_dir": ["docs", "Chapters folder, relative to the project root"],
            "snippets_dir": ["snippets", "Snippets folder, relative to the project root"],
            "cache_dir": [".genmath-cache", "Cache folder, relative to the project root"],
            "root": ["", "The project folder (default: the current directory)"],
            "source_url": ["", "URL of the repository's files: snippets link <source_url>/snippets/<file>"],
        }
        super().__init__(**kwargs)
        self.chapter: Chapter | None = None  # the page being converted (set by the preprocessor)
        self.site: site_mod.Site | None = None

    def project(self) -> Project:
        configs = self.getConfigs()
        root = Path(configs["root"]) if configs["root"] else Path.cwd()
        return project_for(root, {k: configs[k] for k in PROJECT_OPTIONS})

    def begin(self, markdown: str) -> tuple[site_mod.Site, Chapter]:
        """The Site and the chapter for the page about to be converted (kept for the postprocessor)."""
        site = self.project().site()
        chapter = site.chapter_for(markdown)
        if chapter is None:  # not a chapter file as it is on disk (e.g. an include expanded it)
            chapter = scan_text(markdown, "<page>")
        self.site, self.chapter = site, chapter
        return site, chapter

    def extendMarkdown(self, md: Markdown) -> None:
        md.registerExtensions(["pymdownx.arithmatex"], {"pymdownx.arithmatex": {
            "generic": True, "inline_syntax": ["dollar"], "block_syntax": ["dollar"]}})
        # after whitespace normalisation (30), before fenced code (25): our output contains fences
        md.preprocessors.register(GenmathPreprocessor(md, self), "genmath", 29)
        # after the inline patterns (20), before the table of contents (5) reads the headings
        md.treeprocessors.register(TocLabels(md, self), "genmath_toc_labels", 6)
        md.treeprocessors.register(NumericColumns(md), "genmath_numeric_columns", 7)
        # after raw HTML is restored (30)
        md.postprocessors.register(KatexPostprocessor(md, self), "genmath_katex", 25)
        md.registerExtension(self)

    def reset(self) -> None:
        self.chapter = None
        self.site = None


class GenmathPreprocessor(Preprocessor):
    def __init__(self, md: Markdown, ext: GenmathExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, lines: list[str]) -> list[str]:
        site, chapter = self.ext.begin("\n".join(lines))
        path, offset = chapter.path, chapter.offset
        directives = {d.line: d for d in chapter.directives}
        quotes_by_line: dict[int, list[Any]] = {}
        for q in chapter.quotes:
            quotes_by_line.setdefault(q.line, []).append(q)
        masked = mask_code(lines)
        blocks = display_blocks(masked)
        in_block = {i for a, b in blocks for i in range(a, b + 1)}
        out: list[str] = []
        for i, line in enumerate(lines):
            lineno = i + 1 + offset
            directive = directives.get(lineno)
            if directive is not None:
                indent = re.match(r"[ \t]*", line).group(0)  # type: ignore[union-attr]
                out += [indent + x if x else "" for x in self._directive(site, path, directive)]
                continue
            edits: list[tuple[int, int, str]] = []  # (start, end, text) in the original line
            for q in quotes_by_line.get(lineno, []):
                edits.append((q.col, q.end, site.quote(q.name, q.spec, q.in_math, Location(path, lineno))))
            if "\\eqref" in line and i not in in_block:
                edits += self._eqrefs(site, path, line, masked[i], lineno)
            for start, end, text in sorted(edits, reverse=True):
                line = line[:start] + text + line[end:]
            out.append(line)
        return out

    def _eqrefs(self, site: site_mod.Site, path: str, line: str, masked: str,
                lineno: int) -> list[tuple[int, int, str]]:
        """Links for ``\\eqref{id}`` in prose (inside math, KaTeX's step numbers them)."""
        spans = [m.span() for m in INLINE_MATH_RE.finditer(masked)]
        edits = []
        for m in EQREF_RE.finditer(line):
            if any(a <= m.start() < b for a, b in spans) or not masked[m.start()].strip():
                continue  # inside math, or inside code
            label = m.group("id")
            if label not in site.labels:
                raise BuildError(f"\\eqref{{{label}}}: no display formula has \\label{{{label}}}",
                                 Location(path, lineno))
            titles = {p: chapter_title(c) for p, c in site.chapters.items()}
            edits.append((m.start(), m.end(), eqref_link(label, path, site.labels[label], titles)))
        return edits

    def _directive(self, site: site_mod.Site, path: str, d: Any) -> list[str]:
        stash = self.md.htmlStash.store
        if d.kind == "figure":
            if d.target not in site.figures:
                raise BuildError(f"unknown figure {d.target!r}", Location(path, d.line))
            fig = dict(site.figures[d.target])
            if d.options.get("caption"):
                fig["caption"] = site.resolve_text(d.options["caption"], Location(path, d.line))
            return ["", stash(figure_html(fig)), ""]
        payload = site.results.get(d.target)
        if payload is None:  # not prepared (e.g. a page added after the pre-build step)
            raise BuildError(f"snippet snippets/{d.target} was not run by the pre-build step",
                             Location(path, d.line))
        base = str(self.ext.getConfig("source_url")).rstrip("/")
        url = f"{base}/snippets/{d.target}" if base else None
        specs: dict[str, str] = {}
        for chapter in sorted(site.chapters.values(), key=lambda c: c.path != path):
            for q in chapter.quotes:  # a value is shown as its own chapter first quotes it
                if q.spec:
                    specs.setdefault(q.name, q.spec)
        return snippet_block(d, payload, site.source(d.target), stash, url, specs)


class TocLabels(Treeprocessor):
    """A heading with math gets a plain-text label (``data-toc-label``) for the table of contents,
    e.g. "q(xₜ ∣ x₀) in closed form", instead of KaTeX's markup flattened to text."""

    def __init__(self, md: Markdown, ext: GenmathExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, root: Any) -> None:
        for el in root.iter():
            if (el.tag in ("h1", "h2", "h3", "h4", "h5", "h6") and "data-toc-label" not in el.attrib
                    and any(_is_math(k) for k in el.iter())):
                el.set("data-toc-label", " ".join(self._text(el, top=True).split()))

    def _text(self, el: Any, top: bool = False) -> str:
        if _is_math(el):
            tex = html.unescape("".join(el.itertext())).strip()[2:-2]  # "\\(...\\)"
            site = self.ext.site
            assert site is not None and site.katex is not None
            katex = site.katex
            out = plainmath.plain(katex.render(tex, False))
        else:
            out = (el.text or "") + "".join(self._text(k) for k in el)
        return out if top else out + (el.tail or "")


class NumericColumns(Treeprocessor):
    """A Markdown table column whose cells are all numbers gets ``class="num"`` (right-aligned in
    tabular figures, like the tables snippets make)."""

    def run(self, root: Any) -> None:
        for table in root.iter("table"):
            rows = [list(tr) for tr in table.iter("tr")]
            body = [r for r in rows if r and r[0].tag == "td"]
            for j in range(max((len(r) for r in rows), default=0)):
                cells = [r[j] for r in body if j < len(r)]
                texts = ["".join(c.itertext()).strip() for c in cells]
                if not cells or any(len(c) for c in cells) or not any(texts):
                    continue  # a cell with markup (math, links) is not a bare number
                if all(not t or (NUMERIC_TEXT_RE.match(t) and re.search(r"\d", t)) for t in texts):
                    for r in rows:
                        if j < len(r):
                            r[j].set("class", (r[j].get("class", "") + " num").strip())


def _is_math(el: Any) -> bool:
    return "arithmatex" in (el.get("class") or "").split()


_INLINE = re.compile(r'<span class="arithmatex">\\\((?P<tex>.*?)\\\)</span>', re.DOTALL)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(?P<tex>.*?)\\\]</div>', re.DOTALL)


class KatexPostprocessor(Postprocessor):
    def __init__(self, md: Markdown, ext: GenmathExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, text: str) -> str:
        site, chapter = self.ext.site, self.ext.chapter
        if site is None or chapter is None:  # the preprocessor did not run (empty page)
            return text
        assert site.katex is not None
        labels = chapter.labels
        found: list[tuple[re.Match[str], bool]] = [(m, False) for m in _INLINE.finditer(text)]
        found += [(m, True) for m in _BLOCK.finditer(text)]
        found.sort(key=lambda x: x[0].start())
        prepared = [tex_for_katex(html.unescape(m.group("tex")), labels, display) for m, display in found]
        rendered = site.katex.render_many([(tex, display) for (tex, _), (_, display) in zip(prepared, found)])
        site.katex.save()
        parts: list[str] = []
        pos = 0
        for (m, display), (tex, label), out in zip(found, prepared, rendered):
            if isinstance(out, BuildError):
                out.locate(Location(chapter.path, self._line_of(tex)))
                raise out
            parts += [text[pos:m.start()], math_html(out, display=display, label=label,
                                                     number=labels.get(label) if label else None)]
            pos = m.end()
        parts.append(text[pos:])
        return "".join(parts)

    def _line_of(self, tex: str) -> int | None:
        chapter = self.ext.chapter
        if chapter is None:
            return None
        probe = tex.strip().split("\n")[0][:40]
        for m in chapter.maths:
            if probe and probe in m.tex:
                return m.line
        return None


def makeExtension(**kwargs: Any) -> GenmathExtension:
    return GenmathExtension(**kwargs)
