"""Numbers for tables on the page: one format per column, true minus signs, right-aligned.

A snippet's ``table(headers, rows, fmt=...)`` records raw cells (numbers, strings, lists of numbers);
this module turns a column into text. With an ``f`` or ``e`` format every cell of a column uses it;
with ``g`` (the default) a column is fixed-point with enough decimals for its smallest value when
its values span 10⁻³ … 10⁵, and scientific (``1.23 × 10⁻⁵``) for every cell otherwise, so a column
never mixes ``4.036e-05`` with ``0.3636``. Strings are kept; ``$...$`` in them is typeset by KaTeX.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from typing import Any

from genmath.sitebuild.values import format_value

_SPEC_RE = re.compile(r"^(?P<flags>[-+ ]?)(?P<width>\d*)(?P<group>[,_]?)(?:\.(?P<prec>\d+))?(?P<type>[efgEFG%]?)$")
#: A string cell that reads as a number ("0.1234 ± 0.0012", "-3", "1.2e-05"): right-aligned.
NUMERIC_TEXT_RE = re.compile(r"^[−\-+]?(\d[\d,]*)?(\.\d+)?([eE][−\-+]?\d+)?( ?× ?10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?"
                             r"( ?± ?\d*\.?\d+([eE][−\-+]?\d+)?)?\s*%?$")


def is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _finite(values: Sequence[Any]) -> list[float]:
    return [abs(float(v)) for v in values
            if is_number(v) and not isinstance(v, numbers.Integral) and math.isfinite(v) and v != 0]


def column_spec(values: Sequence[Any], fmt: str) -> str:
    """The one format spec for the floats of a column (see the module docstring)."""
    m = _SPEC_RE.match(fmt)
    if not m:
        raise ValueError(f"table format {fmt!r} is not a Python number format like '.4g' or '.3f'")
    kind = (m.group("type") or "g").lower()
    prec = int(m.group("prec")) if m.group("prec") is not None else 6
    if kind in ("f", "e", "%"):
        return fmt
    mags = _finite(values)
    if not mags:
        return f".{max(prec - 1, 0)}f" if prec > 1 else ".0f"
    lo, hi = min(mags), max(mags)
    if lo >= 1e-3 and hi < 1e5:
        decimals = max(0, prec - 1 - math.floor(math.log10(lo)))
        return f".{min(decimals, prec + 3)}f"
    return f".{max(prec - 1, 0)}e"


def format_number(value: Any, spec: str) -> str:
    """One number as page text: ``−`` for minus, ``× 10⁻⁵`` for exponents, ``∞``, no ``−0.000``."""
    if isinstance(value, numbers.Integral):
        return format_value(int(value), "d", in_math=False)
    value = float(value)
    if math.isnan(value):
        return "—"
    text = format_value(value, spec, in_math=False)
    if text.startswith("−") and not re.search(r"[1-9]", text.split("×")[0]):
        text = text[1:]  # -0.0000 is 0.0000
    return text


def format_cell(value: Any, spec: str) -> str:
    if isinstance(value, str):
        return numeric_text(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if is_number(value):
        return format_number(value, spec)
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(format_cell(v, spec) for v in value) + ")"
    return str(value)


_E_RE = re.compile(r"(?<![\w.])(?P<mant>[-+]?\d+(?:\.\d+)?)e(?P<exp>[-+]?\d+)\b")


def numeric_text(text: str) -> str:
    """Numbers written by the snippet: true minus signs, ``1.2 × 10⁻⁵`` for ``1.2e-05``."""
    text = _E_RE.sub(lambda m: _sci(m.group("mant"), int(m.group("exp"))), text)
    return re.sub(r"(^|[\s(±])-(?=[\d.])", r"\1−", text)


def _sci(mantissa: str, exponent: int) -> str:
    mantissa = mantissa.replace("-", "−")
    if exponent == 0:
        return mantissa
    sup = str(exponent).replace("-", "−").translate(str.maketrans("0123456789−+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺"))
    return f"{mantissa} × 10{sup}"


def format_columns(rows: Sequence[Sequence[Any]], fmt: str | Sequence[str]) -> tuple[list[list[str]], list[bool]]:
    """(formatted rows, whether each column is numeric and right-aligned)."""
    ncols = max((len(r) for r in rows), default=0)
    fmts = [fmt] * ncols if isinstance(fmt, str) else list(fmt)
    out = [[""] * ncols for _ in rows]
    numeric = []
    for j in range(ncols):
        column = [r[j] for r in rows]
        spec = column_spec([v for c in column for v in (c if isinstance(c, (list, tuple)) else [c])], fmts[j])
        for i, value in enumerate(column):
            out[i][j] = format_cell(value, spec)
        numeric.append(all(is_number(v) or (isinstance(v, str) and NUMERIC_TEXT_RE.match(v.strip()) and
                                            re.search(r"\d", v)) for v in column if v != ""))
    return out, numeric
