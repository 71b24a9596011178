"""Checks on one value quote in its context, in prose or in alt text and captions.

- ``unit_problem``: a value published with a unit must be followed by that unit word. Only the unit
  word that belongs to the quote counts: the words after it, skipping math delimiters, brackets,
  punctuation, ``±``/``\\pm``, ``and``/``to``/``against`` and further quotes in the same unit
  (``$a \\pm b$ nats``, ``from a to b nats``). In a Markdown table the unit may instead be in the
  column's header or the row's first cell. Another quote's unit on the same line does not count.
- ``digits_problem``: a value published with a standard error (``publish(..., se=...)``) is printed
  with no more digits than the simulation determines.
- ``literal_problem``: a quote between dollar signs that do not make math (``$ {{ x }} $``)
  would render with literal dollars.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

from genmath.sitebuild.values import format_value

#: Quote of the form the scanner recognises (kept in sync with scan.QUOTE_RE; imported lazily there).
_QUOTE = re.compile(r"\{\{\s*(?P<name>[a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)+)\s*(?::(?P<spec>[^{}]*?))?\s*\}\}")

#: What may stand between a quote and its unit word.
_GLUE = re.compile(
    r"(?:\s+|\$|[()\[\],;=+\-−×²]|\\pm|±|\\times|\\[,;:! ]|\\(?:quad|qquad)\b|\}|"
    r"\b(?:and|to|or|against|vs\.?|versus|from)\b)")
#: A unit word may be written inside math as ``\text{ nats}`` or ``\mathrm{nats}``.
_UNIT_WRAP = re.compile(r"^\\(?:text|mathrm|textrm)\{\s*")


def unit_words(unit: str) -> tuple[str, ...]:
    """The words that state ``unit``: "nats" -> ("nats", "nat"); "nats²" -> ("nats²", "nats^2")."""
    unit = unit.strip()
    words = {unit}
    if unit.endswith("²"):
        words |= {unit[:-1] + "^2", unit[:-1] + "^{2}"}
    elif unit.endswith("s"):
        words.add(unit[:-1])  # "1 bit", "nat"
    return tuple(sorted(words, key=len, reverse=True))


def _unit_follows(text: str, unit: str, same_unit: set[str]) -> bool:
    """Does ``text`` (what follows a quote) begin, after glue and same-unit quotes, with ``unit``?"""
    words = unit_words(unit)
    pos = 0
    while pos < len(text):
        rest = _UNIT_WRAP.sub("", text[pos:])
        for w in words:
            if rest.startswith(w) and not (rest[len(w):len(w) + 1].isalnum()):
                return True
        m = _QUOTE.match(text, pos)
        if m:
            if m.group("name") not in same_unit:
                return False
            pos = m.end()
            continue
        m = _GLUE.match(text, pos)
        if not m or m.end() == pos:
            return False
        pos = m.end()
    return False


def _table_cells(line: str) -> list[tuple[int, int]]:
    """(start, end) columns of the cells of a Markdown table row."""
    bars = [i for i, c in enumerate(line) if c == "|" and (i == 0 or line[i - 1] != "\\")]
    return [(a + 1, b) for a, b in itertools.pairwise(bars)]


def _unit_in_table(lines: list[str], index: int, col: int, unit: str) -> bool:
    """For a quote in a table row: the unit in the column header or the row's first cell."""
    line = lines[index]
    if not line.lstrip().startswith("|"):
        return False
    cells = _table_cells(line)
    which = next((k for k, (a, b) in enumerate(cells) if a <= col < b), None)
    if which is None:
        return False
    words = unit_words(unit)
    first = line[cells[0][0]:cells[0][1]]
    if any(re.search(rf"\b{re.escape(w)}(?!\w)", first) for w in words):
        return True
    top = index
    while top > 0 and lines[top - 1].lstrip().startswith("|"):
        top -= 1
    header_cells = _table_cells(lines[top])
    if which < len(header_cells):
        a, b = header_cells[which]
        return any(re.search(rf"\b{re.escape(w)}(?!\w)", lines[top][a:b]) for w in words)
    return False


def unit_problem(lines: list[str], index: int, start: int, end: int, unit: str,
                 units: dict[str, str | None]) -> bool:
    """True if the quote at ``lines[index][start:end]`` is not followed by its unit.

    ``lines`` are the text lines (a chapter's, or one alt text); the text after the quote continues
    onto the next line, as prose wraps. ``units`` maps value names to their units.
    """
    same_unit = {n for n, u in units.items() if u == unit}
    after = lines[index][end:] + (" " + lines[index + 1] if index + 1 < len(lines) else "")
    return not (_unit_follows(after, unit, same_unit) or _unit_in_table(lines, index, start, unit))


def rounding_unit(text: str) -> float | None:
    """Place value of the last printed digit of a formatted quote ("0.0075" -> 1e-4)."""
    text = text.replace("−", "-").replace(",", "").replace("\\%", "%").strip()
    m = re.fullmatch(r"[-+]?(\d+)(?:\.(\d*))?(?:(?: × 10| \\times 10\^\{)(?P<exp>[-+⁻⁺]?[-+\d⁰¹²³⁴⁵⁶⁷⁸⁹]+)\}?|"
                     r"e(?P<e>[-+]?\d+))?(?P<pct>%)?", text)
    if not m:
        return None
    decimals = len(m.group(2) or "")
    exp = 0
    raw = m.group("exp") or m.group("e")
    if raw:
        exp = int(raw.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")))
    unit = 10.0 ** (exp - decimals)
    return unit / 100 if m.group("pct") else unit


def digits_problem(value: Any, spec: str, se: float, with_se: bool) -> str | None:
    """Why ``value`` formatted with ``spec`` shows more digits than its standard error allows.

    Quoted next to its standard error (``x ± se``), the last printed digit may be the standard
    error's leading digit but no finer. Quoted alone, every printed digit must be determined by
    the simulation: the last printed digit is worth at least two standard errors (the 95% half-width).
    """
    if se <= 0 or not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    text = format_value(value, spec, in_math=False)
    place = rounding_unit(text)
    if place is None:
        return None
    if with_se:
        need = 10.0 ** math.floor(math.log10(se))
        if place < need * (1 - 1e-9):
            return (f"prints {text}, a digit finer than its standard error {se:.2g} allows; "
                    f"round to the standard error's leading digit ({need:g})")
    elif place < 2 * se * (1 - 1e-9):
        return (f"prints {text} without its standard error {se:.2g}, so its last digit ({place:g}) "
                f"is not determined by the simulation (needs a last digit worth >= 2 standard errors "
                f"= {2 * se:.2g}); quote it with its standard error (`{{{{ name_se }}}}` next to it), "
                f"round it, or draw more samples")
    return None


def se_quoted_near(lines: list[str], index: int, name: str) -> bool:
    """Is the standard error ``<name>_se`` quoted on the same line as ``name`` or the next one?"""
    window = lines[index:index + 2]
    return any(m.group("name") == f"{name}_se" for line in window for m in _QUOTE.finditer(line))


def literal_problem(line: str, start: int, end: int, math_dollars: set[int]) -> bool:
    """A quote outside math with a dollar sign next to it that delimits no math (``$ {{ x }} $``).

    ``math_dollars`` are the columns of the dollar signs that open or close inline math on the line.
    """
    before = line[:start].rstrip()
    after_start = len(line) - len(line[end:].lstrip())
    lone_before = before.endswith("$") and not before.endswith("\\$") and len(before) - 1 not in math_dollars
    lone_after = line[after_start:after_start + 1] == "$" and after_start not in math_dollars
    return lone_before or lone_after
