"""The site's one matplotlib style, and deterministic, theme-aware SVG output.

Figures are inlined into pages as SVG. Text, axes and grid are drawn in sentinel colours that
``to_inline_svg`` rewrites to CSS (``currentColor`` and Material's palette variables), so one SVG
reads well in both the light and the dark palette. Output is byte-identical across runs: fixed
``svg.hashsalt`` (derived from the figure name), no date metadata, text kept as text.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib is imported lazily: the site build inlines SVGs without it
    from matplotlib.figure import Figure

#: Sentinel colours, replaced in the SVG by theme-aware CSS.
FOREGROUND = "#010203"
GRID = "#040506"
_CSS = {
    FOREGROUND: "currentColor",
    GRID: "var(--md-default-fg-color--lightest, #8884)",
}

#: Colour cycle with medium luminance: readable on white and on Material's slate background.
PALETTE = ["#3b82f6", "#f97316", "#10b981", "#ef4444", "#a855f7", "#eab308", "#06b6d4", "#ec4899"]

STYLE: dict[str, Any] = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.transparent": True,
    "font.size": 10,
    "text.color": FOREGROUND,
    "axes.edgecolor": FOREGROUND,
    "axes.labelcolor": FOREGROUND,
    "axes.titlecolor": FOREGROUND,
    "xtick.color": FOREGROUND,
    "ytick.color": FOREGROUND,
    "grid.color": GRID,
    "axes.grid": True,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.8,
    "legend.frameon": False,
    "svg.fonttype": "none",  # keep text as <text>: small, selectable, uses the page font
    "path.simplify": True,
}


def apply_style() -> None:
    """Apply the site style to matplotlib's global rcParams (each snippet runs in its own process)."""
    import matplotlib

    matplotlib.use("Agg")
    from cycler import cycler

    for key, value in STYLE.items():
        matplotlib.rcParams[key] = value  # type: ignore[index]
    matplotlib.rcParams["axes.prop_cycle"] = cycler(color=PALETTE)


def subplots(*args: Any, **kwargs: Any) -> tuple[Figure, Any]:
    """``plt.subplots`` with the site style applied; use this in snippets."""
    apply_style()
    import matplotlib.pyplot as plt

    kwargs.setdefault("layout", "constrained")
    return plt.subplots(*args, **kwargs)


def to_svg(fig: Figure, name: str) -> str:
    """Render ``fig`` to a deterministic SVG string (sentinel colours still in place)."""
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": name, "svg.fonttype": "none"}):
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, transparent=True)
    return buf.getvalue()


def to_inline_svg(svg: str, alt: str) -> str:
    """Make an SVG document inlineable and theme-aware: no XML prolog, no fixed size, a
    ``<title>`` and ``role="img"`` with ``aria-label`` for screen readers."""
    svg = svg[svg.index("<svg"):]
    for sentinel, css in _CSS.items():
        svg = svg.replace(sentinel, css)
    svg = re.sub(r'<svg([^>]*?)\swidth="[^"]*"\s+height="[^"]*"', r"<svg\1", svg, count=1)
    label = _escape(alt)
    # data-search-exclude: tick labels are not worth indexing (Material's search skips the element)
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{label}" class="genmath-svg" data-search-exclude', 1)
    head_end = svg.index(">") + 1
    return f"{svg[:head_end]}\n <title>{label}</title>{svg[head_end:]}"


def to_standalone_svg(svg: str) -> str:
    """An SVG file for viewing outside the site: sentinels become a neutral dark grey."""
    for sentinel in _CSS:
        svg = svg.replace(sentinel, "#333333")
    return svg


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
