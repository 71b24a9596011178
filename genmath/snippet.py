"""What a snippet calls to publish results: named values, tables and figures.

A snippet is a plain script under ``snippets/<chapter>/``. Run on its own
(``python snippets/mle/coin.py``) it prints its results and writes figures to a temporary folder.
Run by the site build (``genmath.sitebuild.child`` sets ``GENMATH_BUILD=1``), the same calls are
recorded so chapters can quote values as ``{{ mle.coin.p_hat:.3f }}`` and show the figures.

    from genmath.snippet import claim, figure, publish, table
    p_hat = publish("mle.coin.p_hat", 7 / 10)
    rate = publish("mle.sim.rate", hits / n, se=math.sqrt(hits / n * (1 - hits / n) / n))
    claim(p_hat > 0.5, "the coin favours heads")  # a sentence of the chapter that depends on the run
    figure(fig, "mle.coin.likelihood", alt="Likelihood of p for {{ mle.coin.heads }} heads")
"""

from __future__ import annotations

import math
import numbers
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from genmath import figures as _figures

#: Value names: dotted lowercase identifiers with at least two parts, e.g. ``mle.coin.p_hat``.
NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)+$")

# Everything the snippet published, in order. genmath.sitebuild.child serialises this after the run.
# "printed" holds the text publish() and table() printed, so the page can tell the snippet's own prints apart.
RECORD: dict[str, Any] = {"values": {}, "figures": [], "tables": [], "printed": []}

T = TypeVar("T")


def _in_build() -> bool:
    return os.environ.get("GENMATH_BUILD") == "1"


def _check_name(name: str, kind: str) -> None:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ValueError(f"{kind} name must be dotted lowercase like 'mle.coin.p_hat'; got {name!r}")


def publish(name: str, value: T, *, unit: str | None = None, se: float | None = None) -> T:
    """Publish a scalar under ``name`` (a number, bool or short string) and print it.

    ``unit`` (for example ``"nats"`` or ``"bits"``) is printed after the value. NaN is refused;
    ``inf`` is allowed (for example an infinite KL divergence) and quoted as ``\\infty``.

    ``se`` is the standard error of a simulated statistic (a Monte Carlo estimate, a fraction of
    random draws). It is published as ``<name>_se`` (same unit), and the build then refuses a quote
    of ``name`` that prints digits the simulation does not determine: quoted next to its standard
    error, no digit below the standard error's leading digit; quoted alone, the last printed digit
    must be worth at least two standard errors (see ``genmath.sitebuild.quotecheck``).
    Returns ``value`` so it can be used inline.
    """
    _check_name(name, "value")
    if name in RECORD["values"] and _in_build():  # in a notebook, re-running a cell is fine
        raise ValueError(f"value {name!r} is published twice")
    if se is not None:
        se = float(se.item() if hasattr(se, "item") else se)  # type: ignore[assignment]
        if not (math.isfinite(se) and se >= 0):  # type: ignore[arg-type]
            raise ValueError(f"standard error of {name!r} must be finite and >= 0; got {se!r}")
    item: Any = value.item() if hasattr(value, "item") and not isinstance(value, str) else value
    if isinstance(item, bool) or isinstance(item, str):
        pass
    elif isinstance(item, numbers.Integral):
        item = int(item)
    elif isinstance(item, numbers.Real):
        item = float(item)
        if math.isnan(item):
            raise ValueError(f"value {name!r} is NaN; publish only computed, defined numbers")
    else:
        raise ValueError(f"value {name!r} must be a scalar number, bool or str; got {type(value).__name__}")
    RECORD["values"][name] = {"value": item, "unit": unit}
    if se is not None:
        RECORD["values"][name]["se"] = se
        RECORD["values"][f"{name}_se"] = {"value": se, "unit": unit}
    _print(f"{name} = {_full(item)}" + (f" ± {se:.2g}" if se is not None else "")
           + (f" {unit}" if unit else ""))
    return value


def _print(text: str) -> None:
    RECORD["printed"].append(text + "\n")
    print(text)


def _full(value: Any) -> str:
    """A value at full working precision: 12 significant digits, so 0.1 + 0.2 prints as 0.3."""
    if isinstance(value, float) and math.isfinite(value):
        return format(value, ".12g")
    return repr(value)


class ClaimError(AssertionError):
    """A sentence of a chapter that depends on a snippet's run is not true for this run."""


def claim(condition: Any, text: str) -> None:
    """Assert a run-dependent statement the chapter makes ("no mode is dropped", "β = 4 collapses").

    ``text`` is the statement, in the chapter's words. If ``condition`` is false the snippet raises
    ClaimError, so the build fails naming the chapter, the snippet line of this call and the
    statement; if true, the statement is printed as checked (in the full printed output, which the
    page keeps collapsed).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("claim(...) needs the statement it checks, in the chapter's words")
    if not bool(condition):
        raise ClaimError(f"claim does not hold for this run: {text}")
    _print(f"checked: {text}")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, fmt: str | Sequence[str] = ".4g",
          caption: str | None = None) -> None:
    """Show a table: printed as aligned text, rendered as an HTML table on the page.

    Cells are numbers, strings, or short lists of numbers. ``fmt`` (one Python format, or one per
    column) gives the precision; on the page each column gets one consistent format (see
    ``genmath.sitebuild.tables``). Put units in the headers (e.g. ``"KL (nats)"``); ``$...$`` in
    headers, string cells and the caption is typeset as math.
    """
    raw = [[_raw(v) for v in row] for row in rows]
    for i, row in enumerate(raw):
        if len(row) != len(headers):
            raise ValueError(f"table row {i} has {len(row)} cells; headers have {len(headers)}")
    fmts = [fmt] * len(headers) if isinstance(fmt, str) else list(fmt)
    if len(fmts) != len(headers):
        raise ValueError(f"table has {len(headers)} columns but {len(fmts)} formats")
    RECORD["tables"].append({"headers": list(headers), "rows": raw, "fmt": fmts, "caption": caption})
    cells = [[_cell(v, f) for v, f in zip(row, fmts)] for row in raw]
    widths = [max(len(str(h)), *(len(r[j]) for r in cells)) for j, h in enumerate(headers)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    _print("\n".join(lines))


def _raw(value: Any) -> Any:
    """A cell as recorded for the page: a Python number, string, bool, or list of numbers."""
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()  # numpy scalars and arrays
    if isinstance(value, (list, tuple)):
        return [_raw(v) for v in value]
    if isinstance(value, (str, bool)) or value is None:
        return "" if value is None else value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return str(value)


def pm(value: float, se: float) -> str:
    """``value ± se`` for a table cell, rounded to the standard error's leading digit ("−25.3 ± 0.2").

    Quotes of values published with ``se=`` are checked by the build; table cells are text, so format
    simulated statistics with this to keep them to the digits the simulation determines.
    """
    value, se = float(value), float(se)
    if not math.isfinite(se) or se < 0:
        return f"{value:.6g} ± {se:.1g}"
    if se <= 1e-12 * max(1.0, abs(value)):  # every draw gave the same number, up to rounding
        return f"{value:.6g} ± 0"
    decimals = max(0, -math.floor(math.log10(se)))
    return f"{value:.{decimals}f} ± {se:.{decimals}f}"


def _cell(value: Any, fmt: str) -> str:
    if isinstance(value, list):
        return "(" + ", ".join(_cell(v, fmt) for v in value) + ")"
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or isinstance(value, numbers.Integral):
        return str(value)
    return "inf" if math.isinf(value) else format(float(value), fmt)


def figure(fig: Any, name: str, *, alt: str, caption: str | None = None) -> None:
    """Publish a matplotlib figure as a deterministic SVG. ``alt`` is required and non-empty.

    A figure whose panels sit side by side also gets a stacked version for phones
    (``genmath.figures.to_svgs``); the page shows the one that fits the screen.

    In the build the SVG is inlined into the page; run standalone, it is written to a temporary
    folder (``$GENMATH_FIGURE_DIR`` if set) and its path printed.
    """
    _check_name(name, "figure")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"figure {name!r} has no alt text: pass alt='what the figure shows'")
    if _in_build() and any(f["name"] == name for f in RECORD["figures"]):
        raise ValueError(f"figure {name!r} is published twice")
    svg, phone = _figures.to_svgs(fig, name)
    RECORD["figures"].append({"name": name, "alt": alt.strip(), "caption": caption, "svg": svg, "svg_phone": phone})
    import matplotlib.pyplot as plt

    plt.close(fig)
    if not _in_build():
        folder = Path(os.environ.get("GENMATH_FIGURE_DIR") or Path(tempfile.gettempdir()) / "genmath-figures")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.svg"
        path.write_text(_figures.to_standalone_svg(svg), encoding="utf-8")
        if not _show_in_notebook(_figures.to_standalone_svg(svg)):
            print(f"[figure {name} written to {path}]")


def _show_in_notebook(svg: str) -> bool:
    """Display the SVG inline when running in a Jupyter kernel; False elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import SVG, display
    except ImportError:
        return False
    if get_ipython() is None:
        return False
    display(SVG(svg))
    return True
