"""The site's one matplotlib style, and deterministic, theme-aware SVG output.

Figures are inlined into pages (chapters and notebooks alike) as SVG:

- **Theme-aware.** Text, axes, grid and legend backgrounds are drawn in sentinel colours that
  ``to_inline_svg`` rewrites to CSS (``currentColor`` and Material's palette variables), so one SVG
  reads well in both the light and the dark palette. ``to_standalone_svg`` (a figure opened on its
  own, or in Jupyter) puts the same figure on a white card.
- **Readable on a phone.** A figure is drawn for the width it has on a 390 px phone
  (``PHONE_PX``): before it is saved, every text smaller than ``MIN_TEXT_PX`` on that screen is
  enlarged to it (tick labels, legends, annotations), and log axes label their ticks with plain
  numbers (``0.01``, ``100``) or Unicode powers (``10⁻⁵``) instead of small superscripts.
- **No font dependency.** Text is drawn as glyph outlines (``svg.fonttype = "path"``), so what the
  reader sees does not depend on the fonts installed on their machine, and mathtext glyphs that
  only exist in matplotlib's STIX fonts (calligraphic letters) come out right.
- **Deterministic.** Fixed ``svg.hashsalt`` (derived from the figure name), no date metadata, glyph
  ids prefixed per figure, so the same inputs give byte-identical SVG.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib is imported lazily: the site build inlines SVGs without it
    from matplotlib.figure import Figure

#: Sentinel colours, replaced in the SVG by theme-aware CSS.
FOREGROUND = "#010203"
GRID = "#040506"
BACKGROUND = "#070809"
_CSS = {
    FOREGROUND: "currentColor",
    GRID: "var(--md-default-fg-color--lightest, #8884)",
    BACKGROUND: "var(--md-default-bg-color, #fff)",
}
#: The same figure on a white card (standalone files, Jupyter).
_STANDALONE = {FOREGROUND: "#222222", GRID: "#dcdcdc", BACKGROUND: "#ffffff"}

#: Colour cycle with medium luminance: readable on white and on Material's slate background.
PALETTE = ["#3b82f6", "#f97316", "#10b981", "#ef4444", "#a855f7", "#eab308", "#06b6d4", "#ec4899"]

#: On-screen width of a figure on a 390 px phone (the column is 358 px; less inside an admonition).
PHONE_PX = 340
#: Narrowest a figure's wide version is shown: below a 600 px window its phone version is shown.
WIDE_MIN_PX = 560
#: Smallest on-screen text size, in CSS pixels, at the narrowest width a version is shown.
MIN_TEXT_PX = 8.0
#: Width of the phone version of a figure whose panels sit side by side (they are stacked).
PHONE_FIGURE_IN = 4.8
#: On wide screens a figure is shown no larger than makes its typical text this size (CSS pixels),
#: so every figure's text reads at about the size of the page's small print.
DESKTOP_TEXT_PX = 14.0

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
    # a legend sits on the page background, so reference lines behind it do not run through its text
    "legend.frameon": True,
    "legend.facecolor": BACKGROUND,
    "legend.edgecolor": "none",
    "legend.framealpha": 0.85,
    "legend.fancybox": False,
    "legend.borderpad": 0.3,
    "mathtext.fontset": "dejavusans",
    "svg.fonttype": "path",  # glyph outlines: no dependency on the reader's fonts
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


# ---- text: readable at phone width, no raw markup

#: ``x_t`` or ``x^2`` written outside ``$...$``: matplotlib would print the underscore.
_RAW_SCRIPT_RE = re.compile(r"(?<![\\\w])[^\s$(]*[A-Za-zα-ωΑ-Ω\u0300-\u036f)][_^](?:\{|\w)")


def min_text_pt(fig: Figure, width_px: float = PHONE_PX) -> float:
    """Smallest font size, in points, that is ``MIN_TEXT_PX`` when the figure is ``width_px`` wide."""
    return MIN_TEXT_PX * fig.get_figwidth() * 72 / width_px


def _texts(fig: Figure) -> list[Any]:
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def check_text(fig: Figure, name: str) -> None:
    """Refuse text with a raw sub- or superscript (``μ_t``): it must be math, ``$\\mu_t$``."""
    for t in _texts(fig):
        outside = re.sub(r"(?<!\\)\$.*?(?<!\\)\$", " ", t.get_text())
        m = _RAW_SCRIPT_RE.search(outside)
        if m:
            raise ValueError(f"figure {name!r}: text {t.get_text()!r} has a raw sub/superscript "
                             f"({m.group(0)!r}); write it as math, e.g. '$\\mu_t$'")


def _power(exponent: int) -> str:
    return "10" + str(exponent).replace("-", "−").translate(str.maketrans("0123456789−", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))


def log_tick_label(value: float, _pos: Any = None) -> str:
    """A log-axis tick as plain text: ``0.01``, ``100``, or ``10⁻⁵`` (no small superscripts)."""
    if value <= 0 or not math.isfinite(value):
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return ""  # minor ticks stay unlabelled
    exponent = round(exponent)
    if -3 <= exponent <= 4:
        return f"{value:g}" if exponent < 0 else f"{int(round(value))}"
    return _power(exponent)


def prepare_for_page(fig: Figure, width_px: float = PHONE_PX) -> None:
    """Make ``fig`` readable when shown ``width_px`` wide (see the module docstring). Idempotent."""
    from matplotlib.ticker import FuncFormatter, LogFormatter

    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log" and isinstance(axis.get_major_formatter(), LogFormatter):
                axis.set_major_formatter(FuncFormatter(log_tick_label))
    floor = min_text_pt(fig, width_px)
    fig.draw_without_rendering()  # creates the tick labels the locators ask for
    for ax in fig.get_axes():
        for which, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            labels = [t for t in axis.get_ticklabels(which="both") if t.get_text()]
            if labels and min(t.get_fontsize() for t in labels) < floor:
                ax.tick_params(axis=which, which="both", labelsize=floor)
    for t in _texts(fig):
        if t.get_fontsize() < floor:
            t.set_fontsize(floor)


# ---- SVG output

def _glyph_prefix(name: str) -> str:
    return "g" + hashlib.sha1(name.encode()).hexdigest()[:6] + "-"


def _compact_path(match: re.Match[str]) -> str:
    d = re.sub(r"\s+", " ", match.group(2)).strip()
    d = re.sub(r" ?([MLQCZHVmlqczhv]) ?", r"\1", d)
    return f'{match.group(1)}"{d}"'


def _save(fig: Figure, name: str) -> str:
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": name, "svg.fonttype": "path"}):
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, transparent=True)
    return buf.getvalue()


def glyph_sizes_on_phone(svg: str, width_px: float = PHONE_PX) -> list[float]:
    """The em size, in CSS pixels, of every glyph of the figure's text when the figure is shown
    ``width_px`` wide (by default on a phone).

    Glyphs are ``<use>`` elements inside a text group; matplotlib defines them at
    ``TextToPath.FONT_SCALE`` units per em and scales each text group (and each sub- or superscript
    within it) with ``scale(...)`` transforms.
    """
    import xml.etree.ElementTree as ET

    from matplotlib.textpath import TextToPath

    ns = "{http://www.w3.org/2000/svg}"
    root = ET.fromstring(svg[svg.index("<svg"):])
    px_per_pt = width_px / svg_width_pt(svg)
    sizes: list[float] = []

    def walk(el: ET.Element, scale: float) -> None:
        m = re.search(r"scale\(([-\d.e]+)", el.get("transform", ""))
        scale *= abs(float(m.group(1))) if m else 1.0
        if el.tag == ns + "use":
            sizes.append(TextToPath.FONT_SCALE * scale * px_per_pt)
        for child in el:
            walk(child, scale)

    for group in root.iter(ns + "g"):
        if group.get("id", "").startswith("text_") or group.get("class") == "gm-text":
            walk(group, 1.0)
    return sizes


def small_glyph_fraction(svg: str, width_px: float = PHONE_PX) -> float:
    sizes = glyph_sizes_on_phone(svg, width_px)
    return sum(s < 7.0 for s in sizes) / len(sizes) if sizes else 0.0


def _scale_text(fig: Figure, factor: float) -> None:
    """Every text of the figure ``factor`` times larger (tick labels included)."""
    for ax in fig.get_axes():
        for which, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            labels = [t for t in axis.get_ticklabels(which="both") if t.get_text()]
            if labels:
                ax.tick_params(axis=which, which="both", labelsize=labels[0].get_fontsize() * factor)
    for t in _texts(fig):
        t.set_fontsize(t.get_fontsize() * factor)


def stack_panels(fig: Figure) -> bool:
    """Re-lay out a figure whose panels sit side by side (one row of one grid) for a phone: one
    column of panels (three columns for four or more small panels), ``PHONE_FIGURE_IN`` wide.
    Returns False, leaving the figure alone, for any other layout."""
    panels = [ax for ax in fig.get_axes() if ax.get_subplotspec() is not None]
    others = [ax for ax in fig.get_axes() if ax.get_subplotspec() is None and not hasattr(ax, "_colorbar")]
    grids = {id(ax.get_subplotspec().get_gridspec()) for ax in panels}
    if not panels or others or len(grids) != 1:
        return False
    nrows, ncols = panels[0].get_subplotspec().get_gridspec().get_geometry()
    spans = [ax.get_subplotspec().colspan for ax in panels]
    if nrows != 1 or ncols < 2 or any(len(c) != 1 for c in spans) or fig.get_figwidth() <= PHONE_FIGURE_IN * 1.15:
        return False
    columns = 3 if ncols >= 4 else 1
    rows = -(-ncols // columns)
    width, height = fig.get_size_inches()
    panel_height = height * min(1.0, (PHONE_FIGURE_IN / columns) / (width / ncols)) if columns > 1 else height * 0.9
    fig.set_size_inches(PHONE_FIGURE_IN, max(panel_height * rows, 2.0))
    grid = fig.add_gridspec(rows, columns)
    for ax, span in zip(panels, spans):
        ax.set_subplotspec(grid[span.start // columns, span.start % columns])
        if columns == 1:
            ax.tick_params(labelleft=True, labelbottom=True)
    return True


def to_svg(fig: Figure, name: str, width_px: float = PHONE_PX) -> str:
    """Render ``fig`` to a deterministic SVG string (sentinel colours still in place), with text
    readable when it is shown ``width_px`` wide (by default on a phone).

    Text becomes glyph outlines; matplotlib's bookkeeping (comments, ids of groups nothing refers
    to) is dropped; glyph ids get a per-figure prefix, so several figures on one page never share
    an id; path data is written compactly. When more than 8% of the glyphs would still be under
    7 px (the sub- and superscripts of math labels), all the figure's text is enlarged by one
    factor, so its sizes stay in proportion; a figure whose text still cannot be read raises
    ValueError.
    """
    apply_style()
    check_text(fig, name)
    prepare_for_page(fig, width_px)
    svg = _save(fig, name)
    for _ in range(3):
        sizes = sorted(glyph_sizes_on_phone(svg, width_px))
        if not sizes or sum(x < 7.0 for x in sizes) <= 0.08 * len(sizes):
            break
        _scale_text(fig, 7.1 / sizes[int(0.08 * len(sizes))])
        fig.draw_without_rendering()
        svg = _save(fig, name)
    fraction = small_glyph_fraction(svg, width_px)
    if fraction > 0.1:
        raise ValueError(f"figure {name!r}: {fraction:.0%} of its text would be under 7 px at {width_px:.0f} px; "
                         f"make the figure narrower (it is {fig.get_figwidth():.1f} in wide) or its text larger")
    svg = re.sub(r"\s*<!--.*?-->", "", svg, flags=re.DOTALL)
    svg = re.sub(r'<g id="text_\d+">', '<g class="gm-text">', svg)
    svg = re.sub(r' id="[a-zA-Z][\w.]*_\d+"', "", svg)  # figure_1, axes_2, line2d_3, ...: nothing refers to them
    prefix = _glyph_prefix(name)
    glyphs = set(re.findall(r'<path id="([A-Za-z][\w.-]*-[0-9a-f]+)"', svg))
    if glyphs:
        pattern = re.compile(r'(id="|href="#)(' + "|".join(re.escape(g) for g in sorted(glyphs, key=len, reverse=True))
                             + r')"')
        svg = pattern.sub(lambda m: f'{m.group(1)}{prefix}{m.group(2)}"', svg)
    # (glyphs keep xlink:href: Material's instant navigation rewrites every [href] and fails on <use href>)
    svg = re.sub(r'(\sd=)"([^"]*)"', _compact_path, svg)
    return svg


def svg_width_pt(svg: str) -> float:
    m = re.search(r'viewBox="[\d.\-]+ [\d.\-]+ ([\d.]+) [\d.]+"', svg)
    return float(m.group(1)) if m else 460.8


def to_svgs(fig: Figure, name: str) -> tuple[str, str | None]:
    """(wide SVG, phone SVG or None). A figure whose panels sit side by side gets a second,
    stacked version for phones (``stack_panels``); its wide version then only has to be readable
    from ``WIDE_MIN_PX`` up. Any other figure is one SVG, readable on a phone."""
    import copy

    try:
        narrow_fig = copy.deepcopy(fig)
    except Exception:  # noqa: BLE001 - an artist that cannot be copied: one version, readable on a phone
        narrow_fig = None
    if narrow_fig is None or not stack_panels(narrow_fig):
        return to_svg(fig, name), None
    return to_svg(fig, name, WIDE_MIN_PX), to_svg(narrow_fig, name + ".phone")


def display_width_px(svg: str) -> int:
    """Widest a figure is shown: where its median glyph is ``DESKTOP_TEXT_PX`` on screen."""
    sizes = sorted(glyph_sizes_on_phone(svg))
    if not sizes:
        return round(svg_width_pt(svg) * 4 / 3)
    return round(PHONE_PX * DESKTOP_TEXT_PX / sizes[len(sizes) // 2])


def to_inline_svg(svg: str, alt: str) -> str:
    """Make an SVG document inlineable and theme-aware: no XML prolog, no fixed size (it scales to
    the column, up to ``display_width_px``), a ``<title>`` and ``role="img"`` with ``aria-label``
    for screen readers."""
    svg = svg[svg.index("<svg"):]
    for sentinel, css in _CSS.items():
        svg = svg.replace(sentinel, css)
    svg = re.sub(r'<svg([^>]*?)\swidth="[^"]*"\s+height="[^"]*"', r"<svg\1", svg, count=1)
    label = _escape(alt)
    width = display_width_px(svg)
    # data-search-exclude: tick labels are not worth indexing (Material's search skips the element)
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{label}" class="genmath-svg" '
                              f'style="max-width: {width}px" data-search-exclude', 1)
    head_end = svg.index(">") + 1
    return f"{svg[:head_end]}\n <title>{label}</title>{svg[head_end:]}"


def to_standalone_svg(svg: str) -> str:
    """An SVG file for viewing outside the site: dark text and a light grid on a white card."""
    for sentinel, colour in _STANDALONE.items():
        svg = svg.replace(sentinel, colour)
    head = re.search(r"<svg[^>]*>", svg)
    if head and "<rect" not in svg[head.end():head.end() + 40]:
        svg = svg[:head.end()] + '\n <rect width="100%" height="100%" fill="#ffffff"/>' + svg[head.end():]
    return svg


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
