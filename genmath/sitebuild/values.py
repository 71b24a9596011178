"""Format a published value for a quote ``{{ name:spec }}``, in prose or inside math."""

from __future__ import annotations

import math
import re
from typing import Any

_SCI_RE = re.compile(r"^(?P<mant>[-+]?\d+(?:\.\d*)?)e(?P<exp>[-+]\d+)$")
_SUPERSCRIPT = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")

#: Used when a quote gives no spec: six significant digits.
DEFAULT_SPEC = ".6g"


def format_value(value: Any, spec: str, *, in_math: bool) -> str:
    """Format ``value`` with the Python format ``spec``.

    Scientific notation becomes ``1.2 \\times 10^{-5}`` in math and ``1.2 × 10⁻⁵`` in prose; infinity
    becomes ``\\infty`` / ``∞``; a prose minus sign is U+2212; ``%`` is escaped inside math.
    Raises ValueError for a spec that does not apply to the value.
    """
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, float) and math.isinf(value):
        sign = "-" if value < 0 else ""
        return f"{sign}\\infty" if in_math else f"{'−' if sign else ''}∞"
    if not spec:
        spec = "d" if isinstance(value, int) else DEFAULT_SPEC
    text = format(value, spec)
    sci = _SCI_RE.match(text)
    if sci:
        mant, exp = sci.group("mant"), int(sci.group("exp"))
        if exp == 0:
            text = mant
        elif in_math:
            text = f"{mant} \\times 10^{{{exp}}}"
        else:
            text = f"{mant} × 10{str(exp).translate(_SUPERSCRIPT)}"
    if in_math:
        return text.replace("%", r"\%")
    return text.replace("-", "−")
