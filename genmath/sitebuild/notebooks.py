"""Companion notebooks: one per chapter, generated from the chapter's snippets in page order.

Each notebook has a title cell linking back to the chapter, an install cell (genmath from the
repository when it is not importable, e.g. on Colab), and for every snippet a markdown cell with the
chapter section it belongs to and a code cell with the snippet's source, read from the file.

Two versions are written, both deterministic (fixed cell ids, sorted keys, no timestamps):
- ``notebooks/<chapter>.ipynb`` (committed, no outputs): what "Open in Colab" opens;
- ``docs/notebooks/<chapter>.ipynb`` (gitignored): the same cells with the outputs of the build's
  own run of each snippet (printed text, tables typeset as on the chapter page, SVG figures),
  taken from the snippet cache, so a notebook is executed and cached under exactly the snippets'
  keys. mkdocs-jupyter renders it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markdown.extensions.toc import slugify

from genmath import figures as _figures
from genmath.sitebuild.scan import Chapter, mask_code

if TYPE_CHECKING:
    from genmath.sitebuild.katex import Katex

HEADING_RE = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*(?:\{\s*#(?P<id>[\w-]+)[^}]*\})?\s*$")

INSTALL = """\
# Install genmath when it is not importable (on Colab, for example).
try:
    import genmath  # noqa: F401
except ImportError:
    %pip install --quiet "genmath @ git+{repository}"
"""


def chapter_title(chapter: Chapter) -> str:
    for line in chapter.text.split("\n")[chapter.offset:]:
        m = HEADING_RE.match(line)
        if m and len(m.group("hashes")) == 1:
            return m.group("title")
    return chapter.path.removesuffix(".md")


def _sections(chapter: Chapter) -> dict[int, tuple[str, str]]:
    """File line -> (title, anchor) of the heading in force at that line."""
    lines = chapter.text.split("\n")
    masked = mask_code(lines)
    current = ("", "")
    out = {}
    for i, line in enumerate(masked, start=1):
        m = HEADING_RE.match(lines[i - 1]) if line.strip() else None
        if m and i > chapter.offset:
            title = m.group("title")
            current = (title, m.group("id") or slugify(re.sub(r"[`$*_]", "", title), "-"))
        out[i] = current
    return out


def _cell_source(text: str) -> list[str]:
    lines = text.rstrip("\n").split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def notebook(chapter: Chapter, sources: dict[str, str], results: dict[str, dict[str, Any]] | None,
             *, chapter_url: str, repository: str, katex: Katex | None = None) -> str:
    """The notebook JSON for one chapter. ``results`` (snippet payloads) adds outputs; None: no outputs.

    With ``katex``, each figure output also carries the chapter's own figure markup (``text/html``:
    the theme-aware SVG, alt text and typeset caption), which the site's notebook page shows, so a
    figure looks the same in a chapter and in its notebook; ``image/svg+xml`` (on a white card)
    stays for other notebook viewers.
    """
    name = chapter.path.removesuffix(".md")
    title = chapter_title(chapter)
    cells: list[dict[str, Any]] = [
        {"cell_type": "markdown", "metadata": {}, "source": _cell_source(
            f"# {title}: companion notebook\n\n"
            f"The code of the chapter [{title}]({chapter_url}), one cell per snippet, in page order. "
            f"Each cell is a file of `snippets/{name}/` in the repository; run the cells from the top. "
            f"Information quantities are in nats unless a value says bits.")},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": _cell_source(INSTALL.format(repository=repository))},
    ]
    sections = _sections(chapter)
    seen = set()
    for d in chapter.directives:
        if d.kind != "snippet" or d.target in seen:
            continue
        seen.add(d.target)
        section, anchor = sections.get(d.line, ("", ""))
        if katex is not None:  # the site's notebook page typesets no math: headings read as plain text
            section = _plain(section, katex)
        link = f"{chapter_url}#{anchor}" if anchor else chapter_url
        heading = f"## {section}\n\n" if section else ""
        cells.append({"cell_type": "markdown", "metadata": {}, "source": _cell_source(
            f"{heading}`snippets/{d.target}`, shown in [{section or title}]({link}).")})
        outputs: list[dict[str, Any]] = []
        if results is not None:
            payload = results[d.target]
            outputs += _printed_outputs(payload, katex)
            for fig in payload.get("figures", []):
                data = {"image/svg+xml": _cell_source(_figures.to_standalone_svg(fig["svg"])),
                        "text/plain": [f"<figure {fig['name']}: {fig['alt']}>"]}
                if katex is not None:
                    from genmath.sitebuild.render import figure_html, typeset_inline

                    data["text/html"] = _cell_source(typeset_inline(figure_html(fig), katex))
                outputs.append({"output_type": "display_data", "metadata": {}, "data": data})
        cells.append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": outputs,
                      "source": _cell_source(sources[d.target])})
    for index, cell in enumerate(cells):
        cell["id"] = f"{name}-{index:03d}"
    nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _table_chunks(payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Each table of a snippet run with the text ``table()`` printed for it, in order."""
    chunks, printed = [], iter(payload.get("printed") or [])
    for table in payload.get("tables", []):
        for chunk in printed:
            lines = chunk.rstrip("\n").split("\n")
            if len(lines) == len(table["rows"]) + 1 and lines[0].startswith(str(table["headers"][0])):
                chunks.append((chunk, table))
                break
    return chunks


def _printed_outputs(payload: dict[str, Any], katex: Katex | None) -> list[dict[str, Any]]:
    """The snippet's printed output as notebook outputs. With ``katex`` (the site's notebook page),
    each table is shown as the chapter shows it (math typeset, numbers aligned, one format per
    column) instead of its plain-text print, which stays as the output's ``text/plain``."""
    stdout = payload.get("stdout", "")

    def stream(text: str) -> dict[str, Any]:
        return {"output_type": "stream", "name": "stdout", "text": _cell_source(text)}

    if katex is None:
        return [stream(stdout)] if stdout else []
    from genmath.sitebuild.render import table_html, typeset_inline

    outputs, pos = [], 0
    for chunk, table in _table_chunks(payload):
        at = stdout.find(chunk, pos)
        if at < 0:
            continue
        if stdout[pos:at]:
            outputs.append(stream(stdout[pos:at]))
        outputs.append({"output_type": "display_data", "metadata": {}, "data": {
            "text/html": _cell_source(typeset_inline(table_html(table), katex)),
            "text/plain": _cell_source(chunk.rstrip("\n"))}})
        pos = at + len(chunk)
    if stdout[pos:]:
        outputs.append(stream(stdout[pos:]))
    return outputs


def _plain(text: str, katex: Katex) -> str:
    """``$...$`` in a heading as plain Unicode text, e.g. "The posterior q(xₜ₋₁ ∣ xₜ, x₀)"."""
    from genmath.sitebuild.plainmath import plain

    return re.sub(r"(?<!\\)\$([^$]+)\$", lambda m: plain(katex.render(m.group(1), False)), text)


def has_notebook(chapter: Chapter) -> bool:
    """Chapters with snippets have a notebook; the home page's worked example does not."""
    return chapter.path != "index.md" and any(d.kind == "snippet" for d in chapter.directives)


def write_if_changed(path: Path, text: str) -> bool:
    """Write only when the content differs (so `mkdocs serve` does not rebuild in a loop)."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # atomic: a build reading it at the same
    tmp.write_text(text, encoding="utf-8")                   # time never sees half a notebook
    tmp.replace(path)
    return True
