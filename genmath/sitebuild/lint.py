"""Find hand-typed results in a chapter: numbers with 3+ significant digits that are not quotes.

Alt text and captions of figures are held to a stricter rule (``hand_typed_in_text`` with
``strict=True``, applied by the build to every figure): any decimal or scientific number there is a
reading of a result and must be a quote too. ``timing_claims`` finds statements about how long
something takes ("a few seconds"), which no deterministic build can support.

Inputs and definitions may be typed when the chapter's front matter lists them with a reason::

    numbers_allowed:
      "0.999": "input: max_beta of the cosine schedule (Nichol & Dhariwal 2021, Sec. 3.2)"

Ignored: code (fenced and inline), HTML comments and tags, value quotes and directives, link
targets, ``\\label``/``\\eqref``/``\\tag`` arguments, years (1900–2099) in citations, and
references into cited sources ("Bishop (2006), Eqs. 2.116–2.117", "Table 2", "Thm. 5.39").
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass

from genmath.sitebuild.scan import LOOSE_RE, Chapter, mask_code

NUMBER_RE = re.compile(r"(?<![\w.])(?P<num>\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w]|\.\d)")
_STRIP = [
    re.compile(r"\{\{.*?\}\}"),  # quotes and directives
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"<[^>]+>"),  # HTML tags and their attributes
    re.compile(r"\\(?:label|eqref|tag|ref)\{[^{}]*\}"),
    re.compile(r"https?://\S+"),
]
_YEAR = re.compile(r"^(19|20)\d\d$")
#: A number that follows "Eq.", "Sec.", "Table", "Thm." ... (possibly in a list or range) is a
#: reference into a cited source, not a result.
_REFERENCE = re.compile(
    r"(?:\b(?:[Ee]qs?\.|[Ee]quations?|[Tt]hm\.|[Tt]heorem|[Ss]ec\.|[Ss]ections?|[Tt]ables?|[Ff]igs?\.|"
    r"[Ff]igures?|[Pp]rop\.|[Pp]roposition|[Ll]emma|[Ee]xample|[Cc]hapter|[Cc]h\.|[Aa]ppendix|[Aa]lgorithm|"
    r"[Dd]efinition|[Cc]orollary|[Ss]ection)|§)\s*\(?(?:[A-Z]?\d+(?:\.\d+)*\)?\s*(?:[–,-]|and|to)\s*\(?)*$")


@dataclass
class Finding:
    chapter: str
    line: int
    number: str
    what: str = "hand-typed number"

    def __str__(self) -> str:
        return f"docs/{self.chapter}:{self.line}: {self.what} {self.number}"


def significant_digits(number: str) -> int:
    digits = number.replace(".", "").lstrip("0")
    if "." not in number:
        digits = digits.rstrip("0")
    return len(digits)


def hand_typed_numbers(chapter: Chapter) -> list[Finding]:
    allowed = {str(k) for k in (chapter.meta.get("numbers_allowed") or {})}
    body = chapter.text.split("\n")[chapter.offset:]
    findings = []
    for i, line in enumerate(mask_code(body)):
        for pattern in _STRIP:
            line = pattern.sub(lambda m: " " * len(m.group(0)), line)
        line = LOOSE_RE.sub(lambda m: " " * len(m.group(0)), line)
        for m in NUMBER_RE.finditer(line):
            num = m.group("num")
            if significant_digits(num) < 3 or _YEAR.match(num) or num in allowed:
                continue
            if _REFERENCE.search(line[max(0, m.start() - 40):m.start()]):
                continue
            findings.append(Finding(chapter.path, i + 1 + chapter.offset, num))
    return findings


def bad_allow_entries(chapter: Chapter) -> list[str]:
    """Allow-list entries without a reason."""
    entries = chapter.meta.get("numbers_allowed") or {}
    return [f"docs/{chapter.path}: numbers_allowed[{k!r}] needs a reason" for k, v in entries.items()
            if not isinstance(v, str) or not v.strip()]


#: A statement of elapsed time: "a few seconds", "within minutes", "47 s", "200 ms".
TIMING_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s*(?:s|ms|min|h|(?:milli)?seconds?|minutes?|hours?)\b(?!\.\d)|"
                       r"\b(?:(?:milli)?seconds|minutes|hours)\b")


def _is_reference(line: str, start: int) -> bool:
    return bool(_REFERENCE.search(line[max(0, start - 40):start]))


def hand_typed_in_text(text: str, allowed: set[str] | frozenset[str] = frozenset(),
                       *, strict: bool = False) -> list[str]:
    """Hand-typed numbers in one piece of text (quotes excluded): 3+ significant digits, and with
    ``strict`` (alt text, captions) also any number with a decimal point or an exponent."""
    for pattern in _STRIP:
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    found = []
    for m in NUMBER_RE.finditer(text):
        num = m.group("num")
        if _YEAR.match(num) or num in allowed or _is_reference(text, m.start()):
            continue
        decimal = "." in m.group(0) or m.group(0) != num  # a decimal point or an exponent
        if significant_digits(num) >= 3 or (strict and decimal):
            found.append(m.group(0))
    return found


def timing_claims(chapter: Chapter) -> list[Finding]:
    """Statements about elapsed time in a chapter's prose (code and comments excluded)."""
    body = chapter.text.split("\n")[chapter.offset:]
    findings = []
    for i, line in enumerate(mask_code(body)):
        line = _STRIP[0].sub(lambda m: "}" * len(m.group(0)), line)  # a quote may carry a measured time
        # inline math is not prose ("$c^3 h^2$" is no "3 h"); a quote inside it still counts as a quote
        line = re.sub(r"\$[^$]+\$", lambda m: ("}" if "}" in m.group(0) else " ") * len(m.group(0)), line)
        for m in TIMING_RE.finditer(line):
            if line[:m.start()].rstrip().endswith("}"):
                continue
            findings.append(Finding(chapter.path, i + 1 + chapter.offset, repr(m.group(0)),
                                    "timing claim (a build cannot support it; measure it in a snippet or remove it):"))
    return findings


#: scipy's numerical integrators. A snippet does not call them itself (the build refuses it, see
#: ``site._check_snippet_sources``): it integrates through genmath, which checks the error estimate.
RAW_INTEGRATORS = frozenset({"quad", "quad_vec", "dblquad", "tplquad", "nquad", "fixed_quad", "quadrature",
                             "romberg", "cubature", "qmc_quad"})


@functools.lru_cache(maxsize=1024)  # a rebuild in `mkdocs serve` parses only the snippets that changed
def raw_quadrature(source: str) -> tuple[tuple[int, str], ...]:
    """(line, what) for every direct use of a scipy.integrate integrator in a snippet's source:
    ``from scipy.integrate import quad``, ``scipy.integrate.quad(...)``, ``integrate.quad(...)`` after
    ``from scipy import integrate`` (aliases followed)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()  # the run reports the syntax error, with its line
    modules = {"scipy.integrate"}  # dotted names that refer to the scipy.integrate module
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "scipy.integrate" and alias.asname:
                    modules.add(alias.asname)
        elif isinstance(node, ast.ImportFrom) and node.module in ("scipy", "scipy.integrate"):
            for alias in node.names:
                if node.module == "scipy" and alias.name == "integrate":
                    modules.add(alias.asname or "integrate")
                elif node.module == "scipy.integrate" and alias.name in RAW_INTEGRATORS:
                    found.append((node.lineno, f"from scipy.integrate import {alias.name}"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in RAW_INTEGRATORS:
            owner = ast.unparse(node.value)
            if owner in modules:
                found.append((node.lineno, f"{owner}.{node.attr}"))
    return tuple(sorted(found))
