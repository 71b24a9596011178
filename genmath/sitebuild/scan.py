"""Read a chapter's Markdown: directives, value quotes, math and labels, each with its line.

Line numbers are 1-based lines of the chapter FILE (front matter included), so every error can
point at the exact line a contributor has to edit. Code (fenced blocks, inline code spans) and HTML
comments are masked first, so syntax examples inside code are never expanded or linted.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from genmath.sitebuild.errors import BuildError, Location

#: ``{{ snippet("mle/coin.py", timeout=60) }}`` or ``{{ figure("mle.coin.likelihood") }}``, alone on a line.
DIRECTIVE_RE = re.compile(r"^(?P<indent>[ \t]*)\{\{\s*(?P<kind>snippet|figure)\s*\((?P<args>.*)\)\s*\}\}\s*$")
#: ``{{ mle.coin.p_hat }}`` or ``{{ mle.coin.p_hat:.3f }}``: a dotted name and an optional format spec.
QUOTE_RE = re.compile(r"\{\{\s*(?P<name>[a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)+)\s*(?::(?P<spec>[^{}]*?))?\s*\}\}")
#: Anything else that looks like a directive or quote: a typo must fail loudly, not render as text.
LOOSE_RE = re.compile(r"\{\{[^{}]*\}\}")
LABEL_RE = re.compile(r"\\label\{(?P<id>[^{}]+)\}")
EQREF_RE = re.compile(r"\\eqref\{(?P<id>[^{}]+)\}")
LABEL_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
#: ``<!-- exempt: a definition, not a result -->`` on the line above a display formula.
EXEMPT_RE = re.compile(r"<!--\s*exempt:\s*(?P<reason>.*?)\s*-->")
INLINE_MATH_RE = re.compile(r"(?<![\\$])\$(?=[^\s$])(?P<tex>(?:\\.|[^\\$\n])+?)(?<=\S)\$(?!\d)")
FENCE_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})")
FRONT_MATTER_RE = re.compile(r"^-{3}[ \t]*\n(.*?\n)(?:\.{3}|-{3})[ \t]*\n", re.DOTALL)

SNIPPET_OPTIONS = {"timeout", "show", "title"}
SHOW_PARTS = {"output", "figures", "source"}


@dataclass
class Directive:
    kind: str  # "snippet" or "figure"
    target: str  # snippet path (relative to snippets/) or figure name
    line: int
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def show(self) -> set[str]:
        raw = str(self.options.get("show", "output figures source")).split()
        return set() if raw == ["none"] else set(raw)


@dataclass
class Quote:
    name: str
    spec: str
    line: int
    in_math: bool
    col: int = 0  # start/end columns in the line
    end: int = 0


@dataclass
class Math:
    tex: str
    display: bool
    line: int
    label: str | None = None
    exempt: str | None = None  # a display formula's reason not to be checked (``<!-- exempt: ... -->`` above it)


@dataclass
class Chapter:
    path: str  # relative to docs/
    text: str
    offset: int  # number of file lines before the Markdown body (front matter)
    meta: dict[str, Any]
    directives: list[Directive]
    quotes: list[Quote]
    maths: list[Math]
    loose: list[tuple[int, str]]  # {{ ... }} that are neither a directive nor a valid quote
    eqrefs: list[tuple[int, str]] = field(default_factory=list)  # (line, label) of \eqref{label}

    @property
    def labels(self) -> dict[str, int]:
        """Equation label -> its number on the page (order of appearance)."""
        out: dict[str, int] = {}
        for m in self.maths:
            if m.label:
                out[m.label] = len(out) + 1
        return out


def split_front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    """(meta, body, offset) exactly as MkDocs splits a page (``mkdocs.utils.meta.get_data``)."""
    match = FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text, 0
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise BuildError(f"invalid YAML front matter: {exc}") from None
    if not isinstance(meta, dict):
        return {}, text, 0
    rest = text[match.end():]
    body = rest.lstrip("\n")
    consumed = text[: len(text) - len(body)]
    return meta, body, consumed.count("\n")


def mask_code(lines: list[str]) -> list[str]:
    """Replace fenced code blocks, inline code spans and HTML comments with spaces (columns kept)."""
    out: list[str] = []
    fence: str | None = None
    in_comment = False
    for line in lines:
        if fence is not None:
            if line.strip().startswith(fence) and set(line.strip()) <= set(fence[0]):
                fence = None
            out.append(" " * len(line))
            continue
        m = FENCE_RE.match(line)
        if m and not in_comment:
            fence = m.group("fence")
            out.append(" " * len(line))
            continue
        if not in_comment and "`" not in line and "<!--" not in line:
            out.append(line)  # nothing to mask (most lines of prose)
            continue
        masked = list(line)
        i = 0
        while i < len(line):
            if in_comment:
                end = line.find("-->", i)
                stop = len(line) if end < 0 else end + 3
                masked[i:stop] = " " * (stop - i)
                in_comment = end < 0
                i = stop
            elif line.startswith("<!--", i):
                in_comment = True
            elif line[i] == "`":
                run = len(line[i:]) - len(line[i:].lstrip("`"))
                close = line.find("`" * run, i + run)
                if close < 0:
                    i += run
                    continue
                masked[i:close + run] = " " * (close + run - i)
                i = close + run
            else:  # on to the next backtick or comment, whichever comes first
                found = [p for p in (line.find("`", i), line.find("<!--", i)) if p >= 0]
                i = min(found) if found else len(line)
        out.append("".join(masked))
    return out


def display_blocks(masked: list[str]) -> list[tuple[int, int]]:
    """(first, last) 0-based line indices of ``$$ ... $$`` display blocks, both ``$$`` included."""
    blocks: list[tuple[int, int]] = []
    start: int | None = None
    for i, line in enumerate(masked):
        s = line.strip()
        if start is None:
            if s.startswith("$$"):
                if len(s) > 4 and s.endswith("$$"):
                    blocks.append((i, i))
                else:
                    start = i
        elif s.endswith("$$"):
            blocks.append((start, i))
            start = None
    if start is not None:
        raise BuildError("a `$$` display block is never closed", Location(line=start + 1))
    return blocks


def parse_directive_args(kind: str, args: str) -> tuple[str, dict[str, Any]]:
    """Parse ``"mle/coin.py", timeout=60`` as a Python call's literal arguments."""
    try:
        call = ast.parse(f"f({args})", mode="eval").body
        assert isinstance(call, ast.Call)
        positional = [ast.literal_eval(a) for a in call.args]
        options = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
    except (SyntaxError, ValueError, AssertionError):
        raise BuildError(f"cannot parse {kind}(...) arguments: {args!r}") from None
    if len(positional) != 1 or not isinstance(positional[0], str):
        raise BuildError(f"{kind}(...) takes exactly one string argument first; got {args!r}")
    allowed = SNIPPET_OPTIONS if kind == "snippet" else {"caption"}
    unknown = set(options) - allowed
    if unknown:
        raise BuildError(f"unknown {kind} option(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    if kind == "snippet":
        if "timeout" in options and not (isinstance(options["timeout"], (int, float))
                                         and options["timeout"] > 0):
            raise BuildError(f"snippet timeout must be a positive number; got {options['timeout']!r}")
        show = str(options.get("show", "output figures source")).split()
        if show != ["none"] and not set(show) <= SHOW_PARTS:
            raise BuildError(f"snippet show= must be words from {sorted(SHOW_PARTS)} or 'none'; "
                             f"got {options['show']!r}")
    return positional[0], options


def scan_text(text: str, path: str) -> Chapter:
    """Scan a chapter's full file text. Raises BuildError (located) on malformed syntax."""
    try:
        meta, body, offset = split_front_matter(text)
    except BuildError as err:
        err.locate(Location(chapter=path, line=1))
        raise
    lines = body.split("\n")
    masked = mask_code(lines)
    try:
        blocks = display_blocks(masked)
    except BuildError as err:
        err.locate(Location(chapter=path, line=(err.where.line or 0) + offset))
        raise
    in_block = {i for a, b in blocks for i in range(a, b + 1)}

    directives: list[Directive] = []
    quotes: list[Quote] = []
    loose: list[tuple[int, str]] = []
    eqrefs: list[tuple[int, str]] = []
    for i, line in enumerate(masked):
        lineno = i + 1 + offset
        m = DIRECTIVE_RE.match(line)
        if m:
            try:
                target, options = parse_directive_args(m.group("kind"), m.group("args"))
            except BuildError as err:
                err.locate(Location(chapter=path, line=lineno))
                raise
            directives.append(Directive(m.group("kind"), target, lineno, options))
            continue
        inline_spans = [mm.span() for mm in INLINE_MATH_RE.finditer(line)] if i not in in_block else []
        for q in QUOTE_RE.finditer(line):
            in_math = i in in_block or any(a <= q.start() < b for a, b in inline_spans)
            quotes.append(Quote(q.group("name"), (q.group("spec") or "").strip(), lineno, in_math,
                                q.start(), q.end()))
        for loose_match in LOOSE_RE.finditer(QUOTE_RE.sub("", line)):
            loose.append((lineno, loose_match.group(0)))
        eqrefs += [(lineno, e.group("id")) for e in EQREF_RE.finditer(line)]

    maths: list[Math] = []
    for a, b in blocks:
        tex = "\n".join(lines[a:b + 1]).strip()[2:-2]
        labels = LABEL_RE.findall(tex)
        if len(labels) > 1:
            raise BuildError(f"a display formula has {len(labels)} \\label{{}}s; use one",
                             Location(chapter=path, line=a + 1 + offset))
        if labels and not LABEL_ID_RE.match(labels[0]):
            raise BuildError(f"label {labels[0]!r} must be lowercase words joined by dashes",
                             Location(chapter=path, line=a + 1 + offset))
        if labels and any(m.label == labels[0] for m in maths):
            raise BuildError(f"equation label {labels[0]!r} is used twice in this chapter",
                             Location(chapter=path, line=a + 1 + offset))
        exempt = EXEMPT_RE.search(lines[a - 1]) if a > 0 else None
        maths.append(Math(tex, True, a + 1 + offset, labels[0] if labels else None,
                          exempt.group("reason").strip() if exempt else None))
    for i, line in enumerate(masked):
        if i in in_block:
            continue
        for mm in INLINE_MATH_RE.finditer(line):
            maths.append(Math(lines[i][mm.start("tex"):mm.end("tex")], False, i + 1 + offset))
    maths.sort(key=lambda m: m.line)
    return Chapter(path, text, offset, meta, directives, quotes, maths, loose, eqrefs)


def scan_file(docs_dir: Path, path: Path) -> Chapter:
    return scan_text(path.read_text(encoding="utf-8"), path.relative_to(docs_dir).as_posix())
