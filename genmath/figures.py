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
import itertools
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


#: matplotlib's ids of a marker (``m<hash>``, for draw_markers) and of a collection member's path (``C<i>_<j>_<hash>``)
_MARKER_ID = r"(?:m[0-9a-f]+|C\d+_\d+_[0-9a-f]+)"
_MARKER_DEF = re.compile(r'\s*<path id="(' + _MARKER_ID + r')" d="([^"]*)"(?: style="([^"]*)")?\s*/>')
_MARKER_USE = re.compile(r'<use xlink:href="#(' + _MARKER_ID + r')" x="([-\d.e]+)" y="([-\d.e]+)"(?: style="([^"]*)")?\s*/>')
_PATH_TOKEN = re.compile(r"[MLCQZmlcqz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _num(v: float) -> str:
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _relative_marker(d: str) -> tuple[float, float, str]:
    """A marker's path (absolute M/L/C/Q/Z commands, as matplotlib writes it) as its first point
    and the rest in relative commands, so that it can be drawn anywhere by changing the first M."""
    tokens = _PATH_TOKEN.findall(d)
    arity = {"M": 2, "L": 2, "C": 6, "Q": 4, "Z": 0}
    out: list[str] = []
    start = current = (0.0, 0.0)
    first: tuple[float, float] | None = None
    i = 0
    while i < len(tokens):
        cmd = tokens[i].upper()
        if cmd not in arity or (tokens[i].islower() and cmd != "Z"):
            raise ValueError(f"marker path command {tokens[i]!r} is not one matplotlib writes: {d[:60]!r}")
        n = arity[cmd]
        vals = [float(t) for t in tokens[i + 1:i + 1 + n]]
        i += 1 + n
        if cmd == "Z":
            out.append("z")
            current = start
            continue
        points = list(zip(vals[0::2], vals[1::2]))
        if first is None:
            first = points[0]
            current = start = first
            continue
        out.append(cmd.lower() + " ".join(f"{_num(x - current[0])} {_num(y - current[1])}" for x, y in points))
        current = points[-1]
        if cmd == "M":
            start = current
    if first is None:
        raise ValueError(f"empty marker path: {d!r}")
    return first[0], first[1], "".join(out)


def _circle_radius(d: str) -> float | None:
    """The radius of a marker that is matplotlib's circle (8 cubic Beziers around the origin)."""
    tokens = _PATH_TOKEN.findall(d)
    if [t for t in tokens if t.isalpha()] != ["M"] + ["C"] * 8 + ["z"]:
        return None
    values = [float(t) for t in tokens if not t.isalpha()]
    anchors = [(values[0], values[1])] + [(values[i + 4], values[i + 5]) for i in range(2, len(values), 6)]
    r = math.hypot(*anchors[0])
    if r == 0 or any(abs(math.hypot(x, y) - r) > 1e-3 * r for x, y in anchors):
        return None
    return r


#: Style properties that children inherit, so a run of markers may share them through one ``<g>``.
_INHERITED = {"fill", "fill-opacity", "fill-rule", "stroke", "stroke-opacity", "stroke-width", "stroke-linecap",
              "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset"}


def _merge_style(*styles: str | None) -> str:
    props: dict[str, str] = {}
    for style in styles:
        for decl in (style or "").split(";"):
            if ":" in decl:
                key, value = decl.split(":", 1)
                props[key.strip()] = value.strip()  # a later style wins
    return "; ".join(f"{k}: {v}" for k, v in props.items())


_MARKER_RUN = re.compile(r'(?:\s*<use xlink:href="#' + _MARKER_ID + r'" x="[-\d.e]+" y="[-\d.e]+"(?: style="[^"]*")?\s*/>)+')


def _markers_as_paths(svg: str) -> str:
    """Draw every marker (scatter points, tick marks) as an element of its own (a ``<circle>`` for
    round markers, else a ``<path>``) instead of a ``<use>`` of a shared definition. Browsers build a
    shadow tree for each ``<use>`` and restyle all of them on every style change: a scatter of 4,000
    points kept a page busy for about 10 s while it loaded (headless Chromium, 2-core machine); drawn
    as elements of their own, about 1 s. A run of markers with one style shares it through a ``<g>``.
    Each marker stays its own element, so overlapping translucent points still darken where they
    are dense. Glyphs stay ``<use>`` elements: they are far fewer, and their outlines are long."""
    defs = {m.group(1): (_circle_radius(m.group(2)), _relative_marker(m.group(2)), m.group(3))
            for m in _MARKER_DEF.finditer(svg)}
    if not defs:
        return svg

    def element(m: re.Match[str]) -> tuple[str, str]:
        radius, (x0, y0, rest), own_style = defs[m.group(1)]
        x, y = float(m.group(2)), float(m.group(3))
        # the definition's own style wins over what the <use> passes down, as it did for the clone
        style = _merge_style(m.group(4), own_style)
        if radius is not None:
            return style, f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(radius)}"/>'
        return style, f'<path d="M{_num(x + x0)} {_num(y + y0)}{rest}"/>'

    def run(m: re.Match[str]) -> str:
        indent = re.match(r"\s*", m.group(0)).group(0)  # type: ignore[union-attr]
        out = []
        for style, items in itertools.groupby((element(u) for u in _MARKER_USE.finditer(m.group(0))),
                                              key=lambda item: item[0]):
            shapes = [shape for _, shape in items]
            shared = len(shapes) > 1 and style and {d.split(":")[0].strip() for d in style.split(";")} <= _INHERITED
            if shared:
                out.append(f'<g style="{style}">' + "".join(shapes) + "</g>")
            else:
                out += [shape.replace("/>", f' style="{style}"/>' if style else "/>") for shape in shapes]
        return indent + indent.join(out)

    svg = _MARKER_RUN.sub(run, svg)
    used = set(re.findall(r'href="#(' + _MARKER_ID + r')"', svg))
    svg = _MARKER_DEF.sub(lambda m: m.group(0) if m.group(1) in used else "", svg)
    return re.sub(r"\s*<defs>\s*</defs>", "", svg)


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
    svg = _markers_as_paths(svg)
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
