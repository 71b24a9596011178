"""HTML and Markdown produced for snippet blocks, figures, tables and equations."""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from typing import Any

from genmath import figures as _figures
from genmath.sitebuild.scan import EQREF_RE, LABEL_RE, Directive

Stash = Callable[[str], str]  # stores raw HTML, returns the placeholder to put in the Markdown


def figure_html(fig: dict[str, Any]) -> str:
    anchor = "fig-" + fig["name"].replace(".", "-").replace("_", "-")
    svg = _figures.to_inline_svg(fig["svg"], fig["alt"])
    caption = f"<figcaption>{html.escape(fig['caption'])}</figcaption>" if fig.get("caption") else ""
    return f'<figure class="genmath-figure" id="{anchor}">\n{svg}\n{caption}</figure>'


def table_html(table: dict[str, Any]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in table["headers"])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in table["rows"])
    caption = f"<caption>{html.escape(table['caption'])}</caption>" if table.get("caption") else ""
    # a focusable, labelled region: wide tables scroll, and keyboard users must reach them
    label = html.escape(table.get("caption") or "table of computed values")
    return (f'<div class="genmath-table" tabindex="0" role="region" aria-label="{label}"><table>{caption}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _fence(body: str, lang: str, attrs: str = "") -> list[str]:
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`+", body)), default=0) + 1)
    return [f"{ticks}{lang}{(' ' + attrs) if attrs else ''}", *body.rstrip("\n").split("\n"), ticks]


def snippet_block(d: Directive, payload: dict[str, Any], source: str, stash: Stash,
                  snippet_url: str | None = None) -> list[str]:
    """Markdown lines for a snippet directive: Material content tabs "Result" and "Source"."""
    show = d.show
    result: list[str] = []
    if "output" in show:
        stdout = payload.get("stdout", "")
        if stdout.strip():
            result += _fence(stdout, "text") + [""]
        for table in payload.get("tables", []):
            result += [stash(table_html(table)), ""]
    if "figures" in show:
        for fig in payload.get("figures", []):
            result += [stash(figure_html(fig)), ""]
    title = d.options.get("title")
    rel = d.target
    source_lines = _fence(source, "python", f'title="snippets/{rel}" linenums="1"')
    if snippet_url:
        source_lines = [f"[`snippets/{rel}`]({snippet_url}){{ .genmath-source-link }}", ""] + source_lines
    lines: list[str] = [""]
    if title:
        lines += [f"**{title}**", ""]
    if "source" in show and result:
        lines += ['=== "Result"', ""] + [("    " + x) if x else "" for x in result]
        lines += ["", '=== "Source"', ""] + [("    " + x) if x else "" for x in source_lines]
    elif "source" in show:
        lines += source_lines
    else:
        lines += result
    lines += [""]
    return lines


def tex_for_katex(tex: str, labels: dict[str, int], display: bool) -> tuple[str, str | None]:
    """Strip ``\\label{id}`` (returned) and add ``\\tag{n}``; ``\\eqref{id}`` becomes ``(n)``."""
    label = None
    m = LABEL_RE.search(tex)
    if m and display:
        label = m.group("id")
        tex = LABEL_RE.sub("", tex) + f" \\tag{{{labels[label]}}}"
    tex = EQREF_RE.sub(lambda r: f"\\text{{({labels.get(r.group('id'), '?')})}}", tex)
    return tex.strip(), label


def eqref_link(label: str, here: str, where: tuple[str, int]) -> str:
    """Markdown link for ``\\eqref{label}`` in prose, to this page or another chapter."""
    chapter, number = where
    if chapter == here:  # raw HTML: the anchor is added after MkDocs' own anchor validation runs
        return f'<a class="genmath-eqref" href="#eq-{label}">({number})</a>'
    rel = posixpath.relpath(chapter, posixpath.dirname(here) or ".")
    return f"[({number}) in {posixpath.splitext(posixpath.basename(chapter))[0]}]({rel}#eq-{label})"
