"""The Python-Markdown extension ``genmath.sitebuild.markdown``: everything a page needs at render time.

mkdocs.yml::

    markdown_extensions:
      - genmath.sitebuild.markdown:
          timeout: 60          # default per-snippet timeout in seconds (override: timeout= on a directive)

It (1) expands ``{{ snippet(...) }}`` and ``{{ figure(...) }}`` directives, value quotes
``{{ name:spec }}`` and ``\\eqref{id}``; (2) loads ``pymdownx.arithmatex`` in generic mode to find the
math; (3) typesets all math with KaTeX on the server, numbering labelled display formulas.
It works with or without MkDocs: it uses the Site prepared by the pre-build step when there is one
and prepares it itself otherwise. The MkDocs glue only tells it which file is being rendered, so
that errors name the chapter file and line.
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
from genmath.sitebuild.tables import NUMERIC_TEXT_RE
from genmath.sitebuild.render import eqref_link, figure_html, math_html, snippet_block, tex_for_katex
from genmath.sitebuild.scan import EQREF_RE, INLINE_MATH_RE, Chapter, display_blocks, mask_code, scan_text

#: Set by the MkDocs glue before each page: (chapter path relative to docs/, front-matter lines,
#: URL of the snippet files in the repository or None).
_PAGE: dict[str, Any] = {"path": "<page>", "offset": 0, "repo_url": None, "notebook_links": None}


def set_page(path: str, offset: int, repo_url: str | None = None, notebook_links: str | None = None) -> None:
    """Called by the MkDocs glue before each page. ``notebook_links`` (HTML) goes under the title."""
    _PAGE.update(path=path, offset=offset, repo_url=repo_url, notebook_links=notebook_links)


class GenmathExtension(Extension):
    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "timeout": [60, "Default per-snippet timeout in seconds"],
            "docs_dir": ["docs", "Chapters folder, relative to the project root"],
            "snippets_dir": ["snippets", "Snippets folder, relative to the project root"],
            "cache_dir": [".genmath-cache", "Cache folder, relative to the project root"],
        }
        super().__init__(**kwargs)
        self.chapter: Chapter | None = None

    def site(self) -> site_mod.Site:
        if site_mod.CURRENT is None:
            options = {k: v for k, v in self.getConfigs().items()}
            site_mod.prepare(site_mod.Config.from_options(Path.cwd(), options))
        assert site_mod.CURRENT is not None
        return site_mod.CURRENT

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


class GenmathPreprocessor(Preprocessor):
    def __init__(self, md: Markdown, ext: GenmathExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, lines: list[str]) -> list[str]:
        site = self.ext.site()
        path, offset = _PAGE["path"], _PAGE["offset"]
        chapter = scan_text("\n".join(lines), path)
        # scan_text saw no front matter (MkDocs removed it): shift lines to file lines
        for d in chapter.directives:
            d.line += offset
        for q in chapter.quotes:
            q.line += offset
        for m in chapter.maths:
            m.line += offset
        self.ext.chapter = chapter
        directives = {d.line: d for d in chapter.directives}
        quotes_by_line: dict[int, list[Any]] = {}
        for q in chapter.quotes:
            quotes_by_line.setdefault(q.line, []).append(q)
        masked = mask_code(lines)
        blocks = display_blocks(masked)
        in_block = {i for a, b in blocks for i in range(a, b + 1)}
        out: list[str] = []
        links = _PAGE.get("notebook_links")
        for i, line in enumerate(lines):
            lineno = i + 1 + offset
            if links and line.startswith("# ") and not masked[i].isspace():
                out += [line, "", self.md.htmlStash.store(links), ""]
                links = None
                continue
            directive = directives.get(lineno)
            if directive is not None:
                indent = re.match(r"[ \t]*", line).group(0)  # type: ignore[union-attr]
                out += [indent + x if x else "" for x in self._directive(site, directive)]
                continue
            edits: list[tuple[int, int, str]] = []  # (start, end, text) in the original line
            for q in quotes_by_line.get(lineno, []):
                edits.append((q.col, q.end, site.quote(q.name, q.spec, q.in_math, Location(path, lineno))))
            if "\\eqref" in line and i not in in_block:
                edits += self._eqrefs(site, line, masked[i], lineno)
            for start, end, text in sorted(edits, reverse=True):
                line = line[:start] + text + line[end:]
            out.append(line)
        if _PAGE.get("notebook_links"):  # listed in the page's table of contents, under the chapter
            out += ["", "## Companion notebook", "", self.md.htmlStash.store(
                _PAGE["notebook_links"].replace("Companion notebook: ", "Every snippet of this chapter, in page "
                                                "order, with its full-precision output: ")), ""]
        return out

    def _eqrefs(self, site: site_mod.Site, line: str, masked: str, lineno: int) -> list[tuple[int, int, str]]:
        """Links for ``\\eqref{id}`` in prose (inside math, KaTeX's step numbers them)."""
        spans = [m.span() for m in INLINE_MATH_RE.finditer(masked)]
        edits = []
        for m in EQREF_RE.finditer(line):
            if any(a <= m.start() < b for a, b in spans) or not masked[m.start()].strip():
                continue  # inside math, or inside code
            label = m.group("id")
            if label not in site.labels:
                raise BuildError(f"\\eqref{{{label}}}: no display formula has \\label{{{label}}}",
                                 Location(_PAGE["path"], lineno))
            titles = {path: chapter_title(c) for path, c in site.chapters.items()}
            edits.append((m.start(), m.end(), eqref_link(label, _PAGE["path"], site.labels[label], titles)))
        return edits

    def _directive(self, site: site_mod.Site, d: Any) -> list[str]:
        stash = self.md.htmlStash.store
        if d.kind == "figure":
            if d.target not in site.figures:
                raise BuildError(f"unknown figure {d.target!r}", Location(_PAGE["path"], d.line))
            fig = dict(site.figures[d.target])
            if d.options.get("caption"):
                fig["caption"] = site.resolve_text(d.options["caption"], Location(_PAGE["path"], d.line))
            return ["", stash(figure_html(fig)), ""]
        payload = site.results.get(d.target)
        if payload is None:  # not prepared (e.g. a page added after the pre-build step)
            raise BuildError(f"snippet snippets/{d.target} was not run by the pre-build step",
                             Location(_PAGE["path"], d.line))
        url = f"{_PAGE['repo_url'].rstrip('/')}/snippets/{d.target}" if _PAGE["repo_url"] else None
        specs: dict[str, str] = {}
        for chapter in sorted(site.chapters.values(), key=lambda c: c.path != _PAGE["path"]):
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
            katex = self.ext.site().katex
            assert katex is not None
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
        site = self.ext.site()
        assert site.katex is not None
        labels = self.ext.chapter.labels if self.ext.chapter else {}
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
                out.locate(Location(_PAGE["path"], self._line_of(tex)))
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
