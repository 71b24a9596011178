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

from genmath.sitebuild import site as site_mod
from genmath.sitebuild.errors import BuildError, Location
from genmath.sitebuild.render import eqref_link, figure_html, snippet_block, tex_for_katex
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
            edits.append((m.start(), m.end(), eqref_link(label, _PAGE["path"], site.labels[label])))
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
        return snippet_block(d, payload, site.source(d.target), stash, url)


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
            # the visual half of KaTeX's output duplicates its MathML: keep it out of the search index
            out = out.replace('<span class="katex-html" aria-hidden="true">',
                              '<span class="katex-html" aria-hidden="true" data-search-exclude>')
            if display:
                anchor = f' id="eq-{label}"' if label else ""
                out = f'<div class="genmath-math"{anchor}>{out}</div>'
            parts += [text[pos:m.start()], out]
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
