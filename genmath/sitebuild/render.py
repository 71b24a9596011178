"""HTML and Markdown produced for snippet blocks, figures, tables and equations."""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from genmath import figures as _figures
from genmath.sitebuild import plainmath, tables
from genmath.sitebuild.errors import BuildError
from genmath.sitebuild.scan import EQREF_RE, LABEL_RE, Directive
from genmath.sitebuild.values import format_value

if TYPE_CHECKING:
    from genmath.sitebuild.katex import Katex

Stash = Callable[[str], str]  # stores raw HTML, returns the placeholder to put in the Markdown

#: ``$...$`` in a caption, a table header or a table cell (``\$`` is a dollar sign).
TEXT_MATH_RE = re.compile(r"(?<!\\)\$(?P<tex>[^$]+?)(?<!\\)\$")
#: Inline math as the Markdown step leaves it (pymdownx.arithmatex, generic mode), ready for KaTeX.
INLINE_RE = re.compile(r'<span class="arithmatex">\\\((?P<tex>.*?)\\\)</span>', re.DOTALL)
#: Published values shown in full in the Result tab; more are listed in a collapsed block.
OPEN_VALUES = 8
#: Precision of a published value that no chapter quotes.
DEFAULT_VALUE_SPEC = ".4g"


def text_with_math(text: str, words: dict[str, str] | None = None) -> str:
    """``text`` escaped for HTML, with each ``$...$`` left as inline math for the KaTeX step.

    ``words`` (outside math) are shown as their replacements below 600 px instead: "left" reads
    "top" under a figure whose panels are stacked on a phone.
    """
    def prose(part: str) -> str:
        part = html.escape(part, quote=False)
        if words:
            part = re.sub(r"\b(" + "|".join(words) + r")\b", lambda w: (
                f'<span class="genmath-wide">{w.group(0)}</span>'
                f'<span class="genmath-phone" data-search-exclude>{words[w.group(0)]}</span>'), part)
        return part

    parts, pos = [], 0
    for m in TEXT_MATH_RE.finditer(text):
        parts += [prose(text[pos:m.start()]),
                  f'<span class="arithmatex">\\({html.escape(m.group("tex"), quote=False)}\\)</span>']
        pos = m.end()
    parts.append(prose(text[pos:]))
    return "".join(parts).replace("\\$", "$")


#: Where a panel is, side by side (wide) and stacked (phone).
STACKED_WORDS = {"left": "top", "Left": "Top", "right": "bottom", "Right": "Bottom"}


def figure_html(fig: dict[str, Any]) -> str:
    """A figure: its SVG (and its stacked phone version, shown instead below 600 px) and caption."""
    anchor = "fig-" + fig["name"].replace(".", "-").replace("_", "-")
    svg = _figures.to_inline_svg(fig["svg"], fig["alt"])
    cls = "genmath-figure"
    if fig.get("svg_phone"):
        svg = (svg.replace('class="genmath-svg"', 'class="genmath-svg genmath-wide"', 1) + "\n"
               + _figures.to_inline_svg(fig["svg_phone"], fig["alt"]).replace(
                   'class="genmath-svg"', 'class="genmath-svg genmath-phone"', 1))
        cls += " genmath-two-layouts"
    words = STACKED_WORDS if fig.get("svg_phone") else None
    caption = f"<figcaption>{text_with_math(fig['caption'], words)}</figcaption>" if fig.get("caption") else ""
    return f'<figure class="{cls}" id="{anchor}">\n{svg}\n{caption}</figure>'


def table_html(table: dict[str, Any]) -> str:
    rows, numeric = tables.format_columns(table["rows"], table.get("fmt", ".4g"))
    cls = [' class="num"' if n else "" for n in numeric]
    head = "".join(f"<th{c}>{text_with_math(str(h))}</th>" for h, c in zip(table["headers"], cls))
    body = "".join("<tr>" + "".join(f"<td{c}>{text_with_math(cell)}</td>" for cell, c in zip(row, cls)) + "</tr>"
                   for row in rows)
    caption = f"<caption>{text_with_math(table['caption'])}</caption>" if table.get("caption") else ""
    label = html.escape(plain_label(table.get("caption") or "table of computed values"))
    return _scroll_table(f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>", label)


def _scroll_table(table: str, label: str) -> str:
    # a focusable, labelled region: wide tables scroll inside it, and keyboard users must reach them
    return f'<div class="genmath-table genmath-scroll" tabindex="0" role="region" aria-label="{label}">{table}</div>'


def plain_label(text: str) -> str:
    """A caption as an accessible name: ``$...$`` markers dropped."""
    return TEXT_MATH_RE.sub(lambda m: m.group("tex"), text)


def values_html(values: dict[str, dict[str, Any]], specs: dict[str, str]) -> str:
    """The published values of one snippet: name (without the prefix they share), value, unit.

    Each value is formatted as the chapter quotes it (its first quote's format), or to four
    significant digits; full precision is in the printed output below and in the notebook.
    """
    names = list(values)
    if not names:
        return ""
    prefix = posixpath.commonprefix([n.rsplit(".", 1)[0] + "." for n in names])
    prefix = prefix[:prefix.rfind(".") + 1]
    rows = []
    for name in names:
        item = values[name]
        value = item["value"]
        spec = specs.get(name) or ("d" if isinstance(value, int) and not isinstance(value, bool) else DEFAULT_VALUE_SPEC)
        try:
            text = format_value(value, spec, in_math=False)
        except (TypeError, ValueError):
            text = format_value(value, "", in_math=False)
        cls = ' class="num"' if tables.is_number(value) else ""
        rows.append(f"<tr><td><code>{html.escape(name[len(prefix):])}</code></td><td{cls}>{html.escape(text)}</td>"
                    f"<td>{html.escape(item.get('unit') or '')}</td></tr>")
    head = '<thead><tr><th>value</th><th class="num">result</th><th>unit</th></tr></thead>'
    count = f"{len(names)} published value{'s' if len(names) != 1 else ''}"
    title = count + (f" (<code>{html.escape(prefix)}…</code>)" if prefix else "")
    if len(names) <= OPEN_VALUES:
        return _scroll_table(f'<table><caption>{title}</caption>{head}<tbody>{"".join(rows)}</tbody></table>', count)
    table = _scroll_table(f'<table>{head}<tbody>{"".join(rows)}</tbody></table>', count)
    return f'<details class="genmath-more"><summary>{title}</summary>{table}</details>'


def printed_html(stdout: str) -> str:
    """The snippet's printed output, full precision, collapsed (and kept out of the search index)."""
    if not stdout.strip():
        return ""
    return ('<details class="genmath-more genmath-printed" data-search-exclude><summary>Printed output '
            f'(full precision)</summary><pre><code>{html.escape(stdout.rstrip())}</code></pre></details>')


def other_output(stdout: str, printed: Sequence[str]) -> str:
    """What the snippet printed itself: its output minus the lines publish() and table() printed."""
    rest, pos = [], 0
    for chunk in printed:
        at = stdout.find(chunk, pos)
        if at < 0:
            continue
        rest.append(stdout[pos:at])
        pos = at + len(chunk)
    rest.append(stdout[pos:])
    return "".join(rest).strip("\n")


def _fence(body: str, lang: str, attrs: str = "") -> list[str]:
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`+", body)), default=0) + 1)
    return [f"{ticks}{lang}{(' ' + attrs) if attrs else ''}", *body.rstrip("\n").split("\n"), ticks]


def snippet_block(d: Directive, payload: dict[str, Any], source: str, stash: Stash,
                  snippet_url: str | None = None, specs: dict[str, str] | None = None) -> list[str]:
    """Markdown lines for a snippet directive: Material content tabs "Result" and "Source".

    The Result tab holds the figures, the tables, the published values (``specs`` maps a value
    name to the format its chapter quotes it with), anything else the snippet printed, and the
    full printed output, collapsed.
    """
    show = d.show
    result: list[str] = []
    if "figures" in show:
        for fig in payload.get("figures", []):
            result += [stash(figure_html(fig)), ""]
    if "output" in show:
        for table in payload.get("tables", []):
            result += [stash(table_html(table)), ""]
        if payload.get("values"):
            result += [stash(values_html(payload["values"], specs or {})), ""]
        stdout = payload.get("stdout", "")
        extra = other_output(stdout, payload.get("printed", []))
        if extra.strip() and payload.get("printed") is not None:
            result += _fence(extra, "text") + [""]
        elif stdout.strip() and payload.get("printed") is None:  # a result recorded before "printed" existed
            result += _fence(stdout, "text") + [""]
        if payload.get("printed") is not None and stdout.strip():
            result += [stash(printed_html(stdout)), ""]
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
    """Strip ``\\label{id}`` (returned; the page prints its number beside the formula, see
    ``math_html``); ``\\eqref{id}`` becomes ``(n)``."""
    label = None
    m = LABEL_RE.search(tex)
    if m and display:
        label = m.group("id")
        tex = LABEL_RE.sub("", tex)
    tex = EQREF_RE.sub(lambda r: f"\\text{{({labels.get(r.group('id'), '?')})}}", tex)
    return tex.strip(), label


# ---- typeset formulas on the page

_TAG_RE = re.compile(r"<(?P<close>/?)(?P<name>[a-zA-Z][\w-]*)(?P<attrs>[^>]*?)(?P<self>/?)>")
_VOID = {"br", "img", "hr", "input", "col", "wbr"}
_OPEN = re.compile(r"[(\[{⟨⌊⌈]")
_CLOSE = re.compile(r"[)\]}⟩⌋⌉]")


def _top_children(markup: str, start: int) -> tuple[list[tuple[int, int, str, list[str]]], int]:
    """Children of the element whose content begins at ``start``: (start, end, class, classes of
    its own children), and where that element's content ends."""
    children: list[tuple[int, int, str, list[str]]] = []
    depth = 0
    for m in _TAG_RE.finditer(markup, start):
        if m.group("self") or m.group("name") in _VOID:
            continue
        if m.group("close"):
            depth -= 1
            if depth < 0:
                return children, m.start()
            if depth == 0:
                a, _, cls, kids = children[-1]
                children[-1] = (a, m.end(), cls, kids)
            continue
        cls = re.search(r'class="([^"]*)"', m.group("attrs"))
        if depth == 0:
            children.append((m.start(), -1, cls.group(1) if cls else "", []))
        elif depth == 1:
            children[-1][3].append(cls.group(1) if cls else "")
        depth += 1
    return children, len(markup)


def nobreak_inline(katex_html: str) -> str:
    """Keep an inline formula from breaking inside brackets or between two relations (``:=``).

    KaTeX allows a line break after every top-level relation and binary operator; this groups the
    pieces that must stay on one line in a ``<span class="genmath-nobr">`` (``white-space: nowrap``).
    """
    head = '<span class="katex-html" aria-hidden="true">'
    at = katex_html.find(head)
    if at < 0:
        return katex_html
    kids, end = _top_children(katex_html, at + len(head))
    bases = [k for k in kids if k[2] == "katex-base"]
    if len(bases) < 2:
        return katex_html
    join = []
    depth = 0
    for a, b in zip(bases, bases[1:]):
        text = re.sub(r"<[^>]+>", "", katex_html[a[0]:a[1]])
        depth += len(_OPEN.findall(text)) - len(_CLOSE.findall(text))
        atoms_a = [c for c in a[3] if not re.search(r"\b(katex-strut|mspace)\b", c)]
        atoms_b = [c for c in b[3] if not re.search(r"\b(katex-strut|mspace)\b", c)]
        rel_rel = bool(atoms_a and atoms_b and "mrel" in atoms_a[-1].split() and "mrel" in atoms_b[0].split())
        join.append(depth > 0 or rel_rel)
    out, pos, i = [], 0, 0
    while i < len(bases):
        j = i
        while j < len(join) and join[j]:
            j += 1
        if j > i:
            out += [katex_html[pos:bases[i][0]], '<span class="genmath-nobr">',
                    katex_html[bases[i][0]:bases[j][1]], "</span>"]
            pos = bases[j][1]
        i = j + 1
    out.append(katex_html[pos:])
    return "".join(out)


def math_html(katex_html: str, *, display: bool, label: str | None = None, number: int | None = None) -> str:
    """The page markup of one formula typeset by KaTeX.

    The search index and the table of contents read a formula once, as plain Unicode text (a
    hidden span); KaTeX's own markup (MathML with the TeX source, and the visual HTML) is kept out
    of the index. A display formula scrolls inside its own box when it is wider than the column,
    and its number sits beside that box, so the two never overlap.
    """
    plain = html.escape(plainmath.plain(katex_html), quote=False)
    hidden = f'<span class="genmath-plain" hidden>{plain}</span>'
    if not display:
        return f"<genmath-tex data-search-exclude>{nobreak_inline(katex_html)}</genmath-tex>{hidden}"
    anchor = f' id="eq-{label}"' if label else ""
    number_html = f'<span class="genmath-eqno">({number})</span>' if number is not None else ""
    numbered = " genmath-numbered" if number_html else ""
    return (f'<div class="genmath-math{numbered}"{anchor}><div class="genmath-scroll" data-search-exclude>'
            f"{katex_html}</div>{number_html}{hidden}</div>")


def typeset_inline(text: str, katex: Katex) -> str:
    """Typeset every inline formula left by ``text_with_math`` (for HTML outside the Markdown step,
    e.g. the figures of a notebook page)."""
    found = list(INLINE_RE.finditer(text))
    if not found:
        return text
    rendered = katex.render_many([(html.unescape(m.group("tex")), False) for m in found])
    katex.save()
    parts, pos = [], 0
    for m, out in zip(found, rendered):
        if isinstance(out, BuildError):
            raise out
        parts += [text[pos:m.start()], math_html(out, display=False)]
        pos = m.end()
    parts.append(text[pos:])
    return "".join(parts)


def eqref_link(label: str, here: str, where: tuple[str, int], titles: dict[str, str] | None = None) -> str:
    """Markdown link for ``\\eqref{label}`` in prose, to this page or another chapter."""
    chapter, number = where
    if chapter == here:  # raw HTML: the anchor is added after MkDocs' own anchor validation runs
        return f'<a class="genmath-eqref" href="#eq-{label}">({number})</a>'
    rel = posixpath.relpath(chapter, posixpath.dirname(here) or ".")
    if chapter == "index.md":
        name = "on the home page"
    else:
        name = "in " + (titles or {}).get(chapter, posixpath.splitext(posixpath.basename(chapter))[0])
    return f"[({number}) {name}]({rel}#eq-{label})"
