"""The presentation machinery on its own (no site build): plain-text math, inline line breaks,
equation numbers, table formats, figures drawn for phones, the search index's view of a formula."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from genmath import figures
from genmath.sitebuild import plainmath, render, tables
from genmath.sitebuild.katex import Katex


@pytest.fixture(scope="module")
def katex(tmp_path_factory: pytest.TempPathFactory) -> Katex:
    return Katex(ROOT, tmp_path_factory.mktemp("katex-cache"))


@pytest.mark.parametrize("tex, text", [
    (r"q(x_t \mid x_0)", "q(xₜ ∣ x₀)"),
    (r"q(x_{t-1} \mid x_t, x_0)", "q(xₜ₋₁ ∣ xₜ, x₀)"),
    (r"\hat p_\theta", "p̂_θ"),
    (r"\mathcal{N}(0, I)", "𝒩(0, I)"),
    (r"\mathbb{E}_q[\log p]", "𝔼_q[log p]"),
    (r"\frac{a}{b+1}", "a/(b + 1)"),
    (r"\sqrt{1-\bar\alpha_t}", "√(1 − ᾱₜ)"),
    (r"p^k (1-p)^{n-k}", "pᵏ(1 − p)ⁿ⁻ᵏ"),
    (r"\KL(p\,\|\,q)", "KL(p ∥ q)"),
    (r"\lambda_t \text{ and } L_\text{simple}", "λₜ and Lₛᵢₘₚₗₑ"),
])
def test_formulas_read_as_plain_unicode(katex: Katex, tex: str, text: str) -> None:
    assert plainmath.plain(katex.render(tex, False)) == text


def _bases_joined(markup: str) -> list[str]:
    """Text of each unbreakable run of an inline formula (our no-break groups, or single bases)."""
    inner = markup[markup.index('<span class="katex-html"'):]
    runs, _ = render._top_children(inner, inner.index(">") + 1)
    return [re.sub(r"<[^>]+>", "", inner[a:b]) for a, b, _, _ in runs]


def test_inline_math_does_not_break_inside_brackets_or_between_relations(katex: Katex) -> None:
    out = render.nobreak_inline(katex.render(r"q(x_t \mid x_0) = a + b \coloneqq c := d", False))
    runs = _bases_joined(out)
    assert any("q(" in r and "x0)" in r.replace("\u200b", "") for r in runs), runs  # the bracket stays whole
    assert all(not r.rstrip().endswith(":") for r in runs), runs  # ":" never ends a line before "="
    # outside brackets the formula may still break after "=" and "+"
    assert len(runs) >= 3, runs
    untouched = katex.render("a + b", False)
    assert render.nobreak_inline(untouched) == untouched


def test_display_numbers_sit_beside_the_scroll_box_and_search_reads_plain_text(katex: Katex) -> None:
    from material.plugins.search.plugin import Parser

    tex, label = render.tex_for_katex(r"\KL(p\,\|\,q) \ge 0 \label{kl-pos}", {"kl-pos": 3}, True)
    assert label == "kl-pos" and r"\tag" not in tex
    display = render.math_html(katex.render(tex, True), display=True, label=label, number=3)
    assert display.startswith('<div class="genmath-math genmath-numbered" id="eq-kl-pos">')
    scroll_end = display.index("</div>")
    assert display.index('<span class="genmath-eqno">(3)</span>') > scroll_end, "the number is outside the scroll box"
    inline = render.math_html(katex.render(r"q(x_t \mid x_0)", False), display=False)
    parser = Parser()
    parser.feed(f'<h2 id="h">The posterior {inline} in closed form</h2><p>Then {display} holds.</p>')
    parser.close()
    sections = ["".join(s.title) + " | " + "".join(s.text) for s in parser.data]
    assert any("The posterior q(xₜ ∣ x₀) in closed form" in s for s in sections), sections
    assert any("KL(p ∥ q) ≥ 0" in s for s in sections), sections
    assert not any("\\" in s or "x_t" in s for s in sections), sections


def test_captions_and_cells_typeset_dollar_math_and_escape_the_rest() -> None:
    assert render.text_with_math("a < b, $x_t$") == 'a &lt; b, <span class="arithmatex">\\(x_t\\)</span>'
    assert render.text_with_math(r"costs \$5") == "costs $5"


@pytest.mark.parametrize("values, fmt, expected", [
    ([0.3636, 4.036e-05], ".4g", ["3.636 × 10⁻¹", "4.036 × 10⁻⁵"]),  # one format per column
    ([1.0, 0.5, 0.25], ".4g", ["1.0000", "0.5000", "0.2500"]),
    ([-0.00001, 2.5], ".3f", ["0.000", "2.500"]),  # no "−0.000"
    ([-1.25, float("inf")], ".3f", ["−1.250", "∞"]),
    ([3, 10], ".4g", ["3", "10"]),
])
def test_a_table_column_has_one_format_and_true_minus_signs(values: list, fmt: str, expected: list[str]) -> None:
    rows, numeric = tables.format_columns([[v] for v in values], fmt)
    assert [r[0] for r in rows] == expected and numeric == [True]


def test_table_cells_numbers_in_text_lists_and_alignment() -> None:
    rows, numeric = tables.format_columns([["-3", [0.1234, -0.5], "linear 1e-4..0.02", "0.1 ± 0.02"]], ".2f")
    assert rows[0] == ["−3", "(0.12, −0.50)", "linear 1 × 10⁻⁴..0.02", "0.1 ± 0.02"]
    assert numeric == [True, False, False, True]
    html = render.table_html({"headers": ["$t$", "x"], "rows": [[1, "a"]], "fmt": [".4g", ".4g"], "caption": None})
    assert '<th class="num"><span class="arithmatex">\\(t\\)</span></th>' in html and '<td class="num">1</td>' in html


def test_result_tab_values_use_the_chapters_format_and_hide_float_noise() -> None:
    values = {"mle.cf.cat.pi_hat_1": {"value": 0.13333333333333333, "unit": None},
              "mle.cf.err": {"value": 0.0009765625000000009, "unit": "nats"},
              "mle.cf.n": {"value": 60, "unit": None}}
    html = render.values_html(values, {"mle.cf.err": ".2e"})
    assert "<code>cat.pi_hat_1</code>" in html and "<code>mle.cf.…</code>" in html
    assert ">0.1333<" in html and "9.77 × 10⁻⁴" in html and ">60<" in html
    assert "0.13333333" not in html and "0000000009" not in html


def test_printed_output_keeps_only_what_the_snippet_printed_itself() -> None:
    stdout = "counts = [1, 2]\nmle.a = 0.5\nx  y\n1  2\ntail\n"
    assert render.other_output(stdout, ["mle.a = 0.5\n", "x  y\n1  2\n"]) == "counts = [1, 2]\ntail"


# ---- figures

def _two_panel_figure(fontsize: float = 8):
    fig, (a, b) = figures.subplots(1, 2, figsize=(7.6, 3.0))
    a.plot([1, 10, 100], [1, 2, 3], label=r"$\sigma_t^2 = \beta_t$")
    a.set_xscale("log")
    a.legend(fontsize=fontsize)
    b.plot([0, 1], [0, 1])
    b.set_title(r"$\mathcal{L}_K$ bound")
    return fig


def test_figure_text_is_outlines_and_readable_on_a_phone() -> None:
    svg, phone = figures.to_svgs(_two_panel_figure(), "test.two_panels")
    assert phone is not None, "panels side by side get a stacked phone version"
    for version, width in ((svg, figures.WIDE_MIN_PX), (phone, figures.PHONE_PX)):
        assert "<text" not in version, "text is drawn as glyph outlines"
        assert not re.search(r"[\ue000-\uf8ff]", version)
        sizes = figures.glyph_sizes_on_phone(version, width)
        assert sizes and sum(s < 7 for s in sizes) <= 0.1 * len(sizes)
    assert figures.svg_width_pt(phone) < figures.svg_width_pt(svg)
    assert svg == figures.to_svgs(_two_panel_figure(), "test.two_panels")[0], "deterministic"


def test_glyph_ids_are_unique_per_figure() -> None:
    one = figures.to_svg(_two_panel_figure(), "test.one")
    two = figures.to_svg(_two_panel_figure(), "test.two")
    ids = lambda svg: set(re.findall(r' id="([^"]+)"', svg))  # noqa: E731
    assert ids(one) and not ids(one) & ids(two)


def test_raw_subscripts_in_figure_text_are_refused() -> None:
    fig, ax = figures.subplots()
    ax.plot([0, 1], [0, 1], label="μ_t")
    ax.legend()
    with pytest.raises(ValueError, match="raw sub/superscript"):
        figures.to_svg(fig, "test.raw")


def test_log_axes_label_ticks_without_small_superscripts() -> None:
    fig = _two_panel_figure()
    figures.to_svg(fig, "test.log")
    assert fig.axes[0].xaxis.get_major_formatter().func is figures.log_tick_label
    assert [figures.log_tick_label(v) for v in (1e-5, 0.01, 1, 1000, 1e6, 3)] == ["10⁻⁵", "0.01", "1", "1000", "10⁶", ""]


def test_standalone_figures_sit_on_a_white_card() -> None:
    svg = figures.to_standalone_svg(figures.to_svg(_two_panel_figure(), "test.card"))
    assert '<rect width="100%" height="100%" fill="#ffffff"/>' in svg
    assert figures.FOREGROUND not in svg and "var(" not in svg


def test_a_stacked_figure_caption_says_top_and_bottom_on_a_phone() -> None:
    svg, phone = figures.to_svgs(_two_panel_figure(), "test.caption")
    fig = {"name": "test.caption", "alt": "two panels", "svg": svg, "svg_phone": phone,
           "caption": "Left: the likelihood of $p$; right: its logarithm."}
    html = render.figure_html(fig)
    assert 'class="genmath-svg genmath-wide"' in html and 'class="genmath-svg genmath-phone"' in html
    assert '<span class="genmath-wide">Left</span><span class="genmath-phone" data-search-exclude>Top</span>' in html
    assert '<span class="genmath-phone" data-search-exclude>bottom</span>' in html
    single = render.figure_html({**fig, "svg_phone": None})
    assert "genmath-phone" not in single and "Left: the likelihood" in single


def test_markers_are_elements_of_their_own_where_matplotlib_put_them() -> None:
    """Scatter points and line markers are drawn as ``<circle>``/``<path>`` elements (a ``<use>`` per
    point made a 4,000-point scatter cost a browser about 10 s to load), one per point so translucent
    points still darken where they overlap, each at the point's place on the axes."""
    import numpy as np

    rng = np.random.default_rng(1)
    points = rng.normal(size=(300, 2))
    fig, ax = figures.subplots()
    ax.scatter(points[:, 0], points[:, 1], s=3, alpha=0.5, color="C0")
    ax.scatter(points[:5, 0], points[:5, 1] + 3, s=20, c=[0.1, 0.3, 0.5, 0.7, 0.9])
    ax.plot([-2, 0, 2], [-3, -3, -3], "s", ms=4)
    svg = figures.to_svg(fig, "test.markers")
    assert not re.search(r'<use xlink:href="#(m|C\d)', svg) and not re.search(r'<path id="(m|C\d)', svg)

    height_pt = fig.get_figheight() * 72
    def on_page(xy: np.ndarray) -> np.ndarray:  # data -> SVG user units (pt, y down)
        display = ax.transData.transform(xy) * 72 / fig.dpi
        return np.column_stack([display[:, 0], height_pt - display[:, 1]])

    group = re.search(r'<g style="fill: #[0-9a-f]{6}; fill-opacity: 0.5;[^"]*">((?:<circle [^>]*/>)+)</g>', svg)
    assert group, "the translucent run shares its style through one group"
    centres = np.array([[float(v) for v in c] for c in re.findall(r'<circle cx="([-\d.]+)" cy="([-\d.]+)"',
                                                                    group.group(1))])
    assert len(centres) == len(points), "one element per point"
    assert np.abs(centres - on_page(points)).max() < 2e-3
    coloured = re.findall(r'<circle cx="([-\d.]+)" cy="([-\d.]+)" r="[\d.]+" style="([^"]*)"/>', svg)
    assert len(coloured) == 5 and len({c[2] for c in coloured}) == 5, "per-point colours stay per point"
    assert np.abs(np.array([[float(x), float(y)] for x, y, _ in coloured])
                  - on_page(points[:5] + [0, 3])).max() < 2e-3
    squares = [np.array([float(v) for v in re.findall(r"[-\d.]+", d)]) for d in
               re.findall(r'<path d="(M[-\d.]+ [-\d.]+l[^"]*z)"', svg)]
    corners = [np.cumsum(s.reshape(-1, 2), axis=0) for s in squares]
    centres = np.array([(c.min(axis=0) + c.max(axis=0)) / 2 for c in corners if len(c) == 4])
    assert len(centres) == 3 and np.abs(centres - on_page(np.array([[-2, -3], [0, -3], [2, -3]]))).max() < 2e-3
