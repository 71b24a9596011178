"""The built site in a real browser (Debian's Chromium driven by Playwright), on every page.

Per page: no console errors, no failed requests, no request to another host, no KaTeX error nodes,
every image/figure has alt text, a valid heading outline, zero serious/critical axe-core
violations, page weight within budget (screenshots of every page at every width, light and dark:
`make screenshots`, tools/measure_pages.py). Features: search, palette toggle (figures readable in both), instant navigation,
copy button, tabs.

Reading on a phone, in dark mode, in notebooks and in search (tests/page_metrics.py measures each
page at 390, 820 and 1280 px): display formulas never wrap and their numbers never overlap them,
wide ones scroll in a box with a visible affordance; inline formulas never break inside brackets;
figure text is at least 7 px on a phone, drawn without private-use glyphs or the reader's fonts, and
readable in both palettes; captions and tables typeset their math and numbers; no float noise;
nothing is wider than a phone; code keeps its contrast and indentation; the table of contents and
the search index read math as text; Korean words do not break; navigation and the 404 page.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import page_metrics
import page_server
from conftest import ROOT, build_site

pytestmark = [pytest.mark.browser, pytest.mark.build]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BUDGET_BYTES = 1_500_000
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGE_TABLE: list[tuple[str, int, float]] = []  # printed by conftest at the end of the run


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("headless Chromium is needed for the page tests: `apt-get install chromium` "
                "(Debian's package; `make test` installs it when run as root)")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, project_built: dict[str, object]) -> Iterator[str]:
    """The site built for this origin (instant navigation needs site_url = where it is served). Under
    xdist the controller builds and serves it once for every worker, after the shared build
    (conftest.pytest_sessionstart); otherwise it is built and served here."""
    shared = page_server.shared()
    if shared is not None:
        url, site, outcome = shared
        assert outcome["returncode"] == 0, outcome["output"]
        SERVED["site"] = site
        yield url
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    site = tmp_path_factory.mktemp("browser-site") / "site"
    result = build_site(site, GENMATH_SITE_URL=f"http://127.0.0.1:{port}/")
    assert result.returncode == 0, result.stdout + result.stderr
    httpd = page_server.serve(site, port)
    SERVED["site"] = site
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


SERVED: dict[str, Path] = {}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _page_urls(site: Path) -> list[str]:
    return sorted(p.relative_to(site).parent.as_posix().replace(".", "") for p in site.rglob("index.html"))


PAGES = None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "page_path" in metafunc.fixturenames:
        docs = sorted((ROOT / "docs").rglob("*.md"))
        paths = ["" if d.name == "index.md" else d.relative_to(ROOT / "docs").with_suffix("").as_posix() + "/"
                 for d in docs if "notebooks" not in d.parts]
        paths += [f"notebooks/{nb.stem}/" for nb in sorted((ROOT / "notebooks").glob("*.ipynb"))]
        metafunc.parametrize("page_path", paths, ids=[p or "home" for p in paths])


def _open(browser: Any, url: str, scheme: str = "light", width: int = 1280) -> tuple[Any, Any, dict[str, list[str]]]:
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900})
    page = context.new_page()
    seen: dict[str, list[str]] = {"console": [], "failed": [], "foreign": []}
    base = url.split("/", 3)[:3]
    origin = "/".join(base)
    page.on("console", lambda m: seen["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["console"].append(str(e)))
    page.on("requestfailed", lambda r: seen["failed"].append(f"{r.url} ({r.failure})"))
    page.on("request", lambda r: seen["foreign"].append(r.url)
            if not (r.url.startswith(origin) or r.url.startswith(("data:", "blob:"))) else None)
    page.goto(url, wait_until="load")
    page.evaluate("document.fonts.ready")
    page.wait_for_load_state("networkidle")
    return context, page, seen


class _Visit:
    """One page, loaded once, and measured at several widths and in both colour schemes.

    On the diffusion chapter (81,000 elements) a fresh load costs about 6 CPU-seconds, a switch of
    scheme 2-3 and a resize about 1 (measured 3 Dec 2026). A page changed so is laid out and styled
    as a page freshly loaded that way: test_a_page_resized_and_switched_measures_as_a_fresh_load
    checks this on a page with wide formulas, figures, tables and exercises in <details>, against
    pages loaded at 390 px in a light and a dark system, and page_metrics.measure leaves the page as
    it found it.

    A switch is the palette toggle, as a reader clicks it. The system's scheme is left as the page
    was loaded: nothing the site styles depends on it once the palette is chosen (that comparison
    fails otherwise), and emulating it as well restyled the whole page a second time, about 2.5
    CPU-seconds on the diffusion chapter."""

    def __init__(self, browser: Any, url: str, scheme: str, width: int) -> None:
        self.context, self.page, self.seen = _open(browser, url, scheme=scheme, width=width)
        self.width, self.scheme = width, scheme
        self.palette = self.page.evaluate("document.body.getAttribute('data-md-color-scheme')")

    def at(self, width: int, scheme: str) -> Any:
        changed = False
        if scheme != self.scheme:
            # as a reader switches: the palette toggle
            self.page.locator("form[data-md-component=palette] label:visible").first.click()
            self.palette = self.page.evaluate("document.body.getAttribute('data-md-color-scheme')")
            self.scheme, changed = scheme, True
        if width != self.width:
            self.page.set_viewport_size({"width": width, "height": 900})
            self.width, changed = width, True
        if changed:
            # let the theme's handlers run and the page render before anything is measured
            self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        return self.page


#: The open page (one at a time: a page's tests run together on one worker, tests/conftest.py).
_OPEN: list[tuple[str, _Visit]] = []


@pytest.fixture(scope="session")
def visit(browser: Any, server: str) -> Iterator[Any]:
    """``visit(page_path, scheme, width)``: that page, open in that scheme, at that width."""
    def get(page_path: str, scheme: str = "light", width: int = 1280) -> _Visit:
        if not _OPEN or _OPEN[0][0] != page_path:
            while _OPEN:
                _OPEN.pop()[1].context.close()
            _OPEN.append((page_path, _Visit(browser, server + page_path, scheme, width)))
        page = _OPEN[0][1]
        page.at(width, scheme)
        return page
    yield get
    while _OPEN:
        _OPEN.pop()[1].context.close()


def test_every_page_works(visit: Any, page_path: str) -> None:
    v = visit(page_path, "light", 1280)
    page, seen = v.page, v.seen
    assert not seen["console"], f"console errors: {seen['console']}"
    assert not seen["failed"], f"failed requests: {seen['failed']}"
    assert not seen["foreign"], f"requests to other hosts: {seen['foreign']}"
    assert page.locator(".katex-error").count() == 0
    assert page.locator(".arithmatex").count() == 0
    missing_alt = page.evaluate("""() => [
        ...[...document.querySelectorAll('article img')].filter(i => !i.getAttribute('alt')).map(i => i.src),
        ...[...document.querySelectorAll('.genmath-figure > svg')].filter(s => !s.getAttribute('aria-label')).map(s => s.id)]""")
    assert not missing_alt, f"images without alt text: {missing_alt}"
    broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    assert not broken, f"images that did not load: {broken}"
    levels = page.evaluate("[...document.querySelectorAll('article h1, article h2, article h3, article h4, article h5, article h6')].map(h => +h.tagName[1])")
    assert levels and levels[0] == 1 and levels.count(1) == 1, f"one h1 first: {levels}"
    jumps = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
    assert not jumps, f"heading levels skip: {jumps}"
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
        .violations.filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))""")
    assert not violations, f"axe-core serious/critical violations: {violations}"
    weight = page.evaluate("""() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const res = performance.getEntriesByType('resource');
        return [nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0), nav.domContentLoadedEventEnd];
    }""")
    PAGE_TABLE.append((page_path or "(home)", int(weight[0]), float(weight[1])))
    assert weight[0] <= BUDGET_BYTES, f"{page_path}: {weight[0]} bytes > budget {BUDGET_BYTES}"


def test_math_and_figures_need_no_script(browser: Any, server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server)
    assert page.locator(".katex").count() > 0
    assert page.locator(".genmath-figure svg").count() > 0
    context.close()


def _contrast(fg: list[float], bg: list[float]) -> float:
    def lum(c: list[float]) -> float:
        ch = [x / 255 for x in c[:3]]
        ch = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]
    a, b = sorted((lum(fg), lum(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_palette_toggle_and_figures_readable_in_both(browser: Any, server: str) -> None:
    context, page, _ = _open(browser, server)
    try:
        def colours() -> tuple[list[float], list[float]]:
            return page.evaluate("""() => {
                const parse = s => s.match(/[\\d.]+/g).map(Number);
                // figure text is drawn as glyph outlines, filled with the text colour
                const text = document.querySelector('.genmath-figure svg.genmath-svg g.gm-text use');
                return [parse(getComputedStyle(text).fill), parse(getComputedStyle(document.body).backgroundColor)];
            }""")
        before = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        fg, bg = colours()
        assert _contrast(fg, bg) >= 4.5, (before, fg, bg)
        page.locator("form[data-md-component=palette] label:visible").first.click()
        after = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        assert {before, after} == {"default", "slate"}
        fg, bg = colours()
        assert _contrast(fg, bg) >= 4.5, (after, fg, bg)
    finally:
        context.close()


def test_search_finds_the_kl_chapter(browser: Any, server: str) -> None:
    context, page, _ = _open(browser, server)
    try:
        page.locator("input.md-search__input").click()
        page.locator("input.md-search__input").press_sequentially("Kullback", delay=30)
        results = page.locator(".md-search-result__item a")
        results.first.wait_for(timeout=15000)
        hrefs = results.evaluate_all("els => els.map(e => e.href)")
        assert any("/kl/" in h for h in hrefs), hrefs
    finally:
        context.close()


def test_instant_navigation_keeps_math_and_figures(browser: Any, server: str) -> None:
    context, page, seen = _open(browser, server)
    try:
        page.evaluate("window.__genmathMarker = 42")
        page.locator("article a[href$='/kl/']").first.click()
        page.wait_for_url(re.compile(r".*/kl/(#.*)?$"))  # instant navigation may keep a heading anchor
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__genmathMarker") == 42, "instant navigation (no full reload)"
        assert page.locator(".katex").count() > 0 and page.locator(".genmath-figure svg").count() > 0
        assert page.locator(".katex-error").count() == 0 and not seen["console"]
    finally:
        context.close()


def test_tabs_switch_and_copy_button_copies_the_snippet_source(browser: Any, server: str) -> None:
    context, page, _ = _open(browser, server)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.rstrip("/"))
    try:
        tabs = page.locator(".tabbed-set").first
        source_label = tabs.locator(".tabbed-labels label", has_text="Source")
        result_block = tabs.locator(".tabbed-block").nth(0)
        source_block = tabs.locator(".tabbed-block").nth(1)
        assert result_block.is_visible() and not source_block.is_visible()
        source_label.click()
        assert source_block.is_visible() and not result_block.is_visible()
        source_block.hover()
        source_block.locator("button.md-code__button[data-md-type=copy]").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        expected = (ROOT / "snippets" / "home" / "coin.py").read_text(encoding="utf-8")
        assert copied.strip() == expected.strip()
    finally:
        context.close()


# ---- reading on a phone, in dark mode, in notebooks and in search (tests/page_metrics.py)

_MEASURED: dict[tuple[str, int, str], dict[str, Any]] = {}


@pytest.fixture(scope="session")
def measured(visit: Any) -> Any:
    """``measured(page_path, width, scheme)``: the page's findings, measured once per session (the
    tests of one page run on one worker: tests/conftest.py), with the palette the page chose."""
    def get(page_path: str, width: int, scheme: str = "light") -> dict[str, Any]:
        key = (page_path, width, scheme)
        if key not in _MEASURED:
            v = visit(page_path, scheme, width)
            _MEASURED[key] = {**page_metrics.measure(v.page), "palette": v.palette}
        return _MEASURED[key]
    return get


def _problems(findings: dict[str, Any], *keys: str) -> dict[str, list[str]]:
    return {k: findings[k][:6] for k in keys if findings[k]}


@pytest.mark.parametrize("width", [390, 820, 1280])
def test_display_math_never_wraps_and_its_number_never_overlaps_it(measured: Any, page_path: str, width: int) -> None:
    r = measured(page_path, width)
    problems = _problems(r, "number_overlap", "display_wrapped", "display_unboxed", "display_no_affordance")
    assert not problems, f"{page_path or 'home'} at {width} px ({r['displays']} display formulas): {problems}"


@pytest.mark.parametrize("width", [390, 820])
def test_inline_math_breaks_only_between_terms(measured: Any, page_path: str, width: int) -> None:
    r = measured(page_path, width)
    assert not r["inline_bad_break"], f"inline formulas broken inside brackets or a relation: {r['inline_bad_break'][:6]}"


def test_figure_text_is_readable_on_a_phone(measured: Any, page_path: str) -> None:
    r = measured(page_path, 390)
    assert not r["figure_small"], f"more than 10% of a figure's glyphs under 7 px at 390 px: {r['figure_small']}"
    if r["figures"]:
        assert r["figure_glyphs"] > 0, "figure text is measured"
        assert r["figure_small_glyphs"] <= 0.1 * r["figure_glyphs"]


def test_figures_draw_their_own_glyphs(measured: Any, page_path: str) -> None:
    """No private-use characters (STIX's calligraphic letters) and no SVG text that needs the
    reader's fonts: figure text is drawn as outlines."""
    r = measured(page_path, 390)
    assert not r["pua"], f"private-use glyphs: {r['pua']}"
    assert r["figure_svg_text"] == 0, f"{r['figure_svg_text']} SVG <text> elements depend on the reader's fonts"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_code_and_figures_keep_their_contrast(measured: Any, page_path: str, scheme: str) -> None:
    r = measured(page_path, 390, scheme)
    assert r["palette"] == {"light": "default", "dark": "slate"}[scheme], "the page is in that scheme's palette"
    problems = _problems(r, "code_low_contrast", "figure_low_contrast")
    assert not problems, f"below 4.5:1 in the {scheme} palette ({r['code_tokens']} code tokens checked): {problems}"


def test_captions_and_tables_typeset_math_and_numbers(measured: Any, page_path: str) -> None:
    r = measured(page_path, 1280)
    problems = _problems(r, "raw_caption", "raw_table", "num_left", "hyphen_minus", "e_notation", "array_cells")
    assert not problems, problems


def test_page_text_has_no_float_noise(measured: Any, page_path: str) -> None:
    r = measured(page_path, 1280)
    assert not r["float_noise"], f"float noise in the page text: {r['float_noise'][:8]}"


def test_result_tabs_are_compact(measured: Any, page_path: str) -> None:
    """A Result tab shows figures, tables and a table of values; printed output is collapsed."""
    r = measured(page_path, 1280)
    assert r["result_pre_lines"] <= 4, f"{r['result_pre_lines']} lines of printed output shown in Result tabs"


def test_nothing_is_wider_than_a_phone(measured: Any, page_path: str) -> None:
    r = measured(page_path, 390)
    problems = _problems(r, "page_overflow", "table_overflow", "glossary_scrolls")
    assert not problems, problems


def test_code_keeps_its_indentation_and_the_copy_button_covers_nothing(measured: Any, page_path: str) -> None:
    phone, desktop = measured(page_path, 390), measured(page_path, 1280)
    problems = {**_problems(phone, "code_wrapped", "copy_covers_code"),
                **{f"{k} (1280)": v for k, v in _problems(desktop, "copy_covers_code").items()}}
    assert not problems, problems
    assert desktop["linenos_underlined"] == 0, "line numbers are underlined like links in prose"


def test_table_of_contents_reads_math_as_text(measured: Any, page_path: str) -> None:
    r = measured(page_path, 1280)
    problems = _problems(r, "toc_tex", "eqref_in_file")
    assert not problems, problems


@pytest.mark.xdist_group("page:glossary/")
def test_korean_words_do_not_break(measured: Any) -> None:
    r = measured("glossary/", 390)
    assert r["korean"] >= 10, "the glossary has Korean terms"
    assert not r["korean_breaks_words"], r["korean_breaks_words"][:5]
    assert not r["glossary_scrolls"], f"the glossary does not fit a phone: {r['glossary_scrolls']}"


def test_search_index_reads_math_once_as_text(server: str) -> None:
    index = (SERVED["site"] / "search" / "search_index.json").read_text(encoding="utf-8")
    entries, problems = page_metrics.search_index_problems(index)
    assert entries > 50 and not problems, problems[:5]
    titles = {entry["location"]: entry["title"] for entry in json.loads(index)["docs"]}
    assert titles["diffusion/#q-marginal"].startswith("q(xₜ ∣ x₀)"), titles["diffusion/#q-marginal"]


def _nav_pages() -> list[str]:
    """The page paths of mkdocs.yml's nav, in order ("" for the home page)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass
    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    nav = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)["nav"]
    files = [next(iter(item.values())) for item in nav]
    return ["" if f == "index.md" else f.removesuffix(".md") + "/" for f in files]


def test_the_sidebar_lists_each_page_once_and_next_follows_the_nav(measured: Any, page_path: str) -> None:
    """On every page (chapters, notebook pages, home) the sidebar lists the nav's pages once each
    (no notebook listed again), and on a page of the nav the footer's "Next" is the following page
    (chapter to chapter; the notebooks are not in the sequence)."""
    nav = _nav_pages()
    assert len(nav) >= 10 and "kl/" in nav
    r = measured(page_path, 1280)
    assert r["sidebar_links"] == len(nav), f"{r['sidebar_links']} sidebar links for {len(nav)} pages in the nav"
    if page_path in nav:
        i = nav.index(page_path)
        following = nav[i + 1] if i + 1 < len(nav) else None
        if following is None:
            assert r["footer_next"] is None, r["footer_next"]
        else:
            assert r["footer_next"] is not None and r["footer_next"].rstrip("/").endswith("/" + following.rstrip("/")), \
                (page_path, r["footer_next"], following)


@pytest.mark.xdist_group("page:kl/")  # after the KL page's own tests, on its open page
def test_a_page_resized_and_switched_measures_as_a_fresh_load(browser: Any, server: str, measured: Any) -> None:
    """The page tests load a page once (light, 1280 px) and measure it at 820 and 390 px by resizing
    it and in the dark scheme by switching it (_Visit). On the KL page (formulas that scroll at
    390 px, figures, tables, code, exercises in <details>), pages loaded at 390 px in either scheme
    measure exactly as that page did, and a reader whose system is dark gets the dark palette. The
    colour of a code token, computed once per kind of token (page_metrics), is every token's own."""
    fresh = {}
    for scheme in ("light", "dark"):
        context, page, _ = _open(browser, server + "kl/", scheme=scheme, width=390)
        try:
            fresh[scheme] = page_metrics.measure(page)
            every = page_metrics.measure(page, every_token=True)
            differ = {k: (fresh[scheme][k], every[k]) for k in every if fresh[scheme][k] != every[k]}
            assert not differ, f"code colours by kind of token vs every token's own, {scheme}: {differ}"
            assert page_metrics.measure(page) == fresh[scheme], "measuring leaves the page as it was"
            palette = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
            assert palette == {"light": "default", "dark": "slate"}[scheme], "the palette follows the reader's scheme"
        finally:
            context.close()
    for key in ("code_contrast_min", "figure_contrast_min"):
        assert fresh["light"][key] >= 4.5 and fresh["dark"][key] >= 4.5 and fresh["light"][key] != fresh["dark"][key], \
            f"{key}: the schemes differ in what is measured ({fresh['light'][key]} light, {fresh['dark'][key]} dark)"
    measured("kl/", 1280)  # (measured first when this test runs alone)
    for scheme in ("light", "dark"):
        changed = {k: v for k, v in measured("kl/", 390, scheme).items() if k != "palette"}
        differ = {k: (fresh[scheme][k], changed[k]) for k in fresh[scheme] if fresh[scheme][k] != changed[k]}
        assert not differ, f"fresh load vs the resized and switched page at 390 px, {scheme}: {differ}"
    assert fresh["light"]["display_scrolling"] > 0 and fresh["light"]["figures"] > 0
    assert fresh["light"]["code_tokens"] > 0


@pytest.mark.xdist_group("page:kl/")
def test_each_chapter_links_its_notebook_in_its_table_of_contents(visit: Any) -> None:
    page = visit("kl/", "light", 1280).page
    toc = page.locator("nav.md-nav--secondary a.md-nav__link", has_text="Companion notebook")
    assert toc.count() >= 1
    links = page.locator("#companion-notebook ~ p a[href*='notebooks/kl/']")
    assert links.count() >= 2, "the section links the notebook page and its download"
    sidebar = page.locator("nav.md-nav--primary a[href*='notebooks/']")
    assert sidebar.count() == 0, "notebooks are not doubled in the sidebar"


@pytest.mark.xdist_group("page:kl/")
def test_wide_formulas_show_which_way_they_scroll(visit: Any) -> None:
    """The edge of a scrolling formula box is shaded where more formula is hidden, and only there:
    each edge is compared with the same box drawn without its shading."""
    from PIL import Image, ImageChops

    page = visit("kl/", "light", 390).page
    box = None
    try:
        index = page.locator(".genmath-math > .genmath-scroll").evaluate_all(
            "els => els.findIndex(e => e.scrollWidth > e.clientWidth + 20)")
        assert index >= 0, "a formula on the KL page scrolls at 390 px"
        box = page.locator(".genmath-math > .genmath-scroll").nth(index)
        box.scroll_into_view_if_needed()

        def shading() -> tuple[float, float]:
            """How much darker the left and right edges are with the shading than without."""
            shaded = Image.open(io.BytesIO(box.screenshot())).convert("L")
            box.evaluate("e => { e.dataset.bg = e.style.background; e.style.background = 'none'; }")
            plain = Image.open(io.BytesIO(box.screenshot())).convert("L")
            box.evaluate("e => { e.style.background = e.dataset.bg; }")
            diff = ImageChops.subtract(plain, shaded)
            w, h = diff.size
            edge = lambda x0: sum(diff.getpixel((x, y)) for x in range(x0, x0 + 4) for y in range(h)) / (4 * h)  # noqa: E731
            return edge(0), edge(w - 4)
        left, right = shading()
        assert right > 12 and left < 3, f"at the start only the right edge is shaded: left {left:.1f}, right {right:.1f}"
        box.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
        left, right = shading()
        assert left > 12 and right < 3, f"at the end only the left edge is shaded: left {left:.1f}, right {right:.1f}"
    finally:
        if box is not None:
            box.evaluate("e => { e.scrollLeft = 0; }")  # the page as it was


@pytest.mark.parametrize("width, shown, says, not_says", [(390, "phone", "top", "left"), (1280, "wide", "left", "top")])
def test_panels_side_by_side_are_stacked_on_a_phone(browser: Any, server: str, width: int, shown: str,
                                                    says: str, not_says: str) -> None:
    context, page, _ = _open(browser, server, width=width)
    try:
        figure = page.locator("figure.genmath-two-layouts").first
        assert figure.locator(f"svg.genmath-{shown}").is_visible()
        assert figure.locator("svg.genmath-svg").evaluate_all("els => els.filter(e => e.checkVisibility()).length") == 1
        caption = figure.locator("figcaption").inner_text()
        assert f"({says})" in caption and f"({not_says})" not in caption, caption
    finally:
        context.close()


def test_404_page_works_at_any_base_path(browser: Any, server: str) -> None:
    site = SERVED["site"]
    for prefix in ("/", "/preview/pr-15/"):
        httpd = page_server.serve(site, 0, prefix=prefix)
        base = f"http://127.0.0.1:{httpd.server_address[1]}{prefix}"
        page = browser.new_page()
        try:
            response = page.goto(base + "no/such/page/", wait_until="load")
            assert response is not None and response.status == 404
            page.wait_for_load_state("networkidle")
            header = page.evaluate("getComputedStyle(document.querySelector('.md-header')).position")
            assert header == "sticky", f"{prefix}: the 404 page is unstyled (header position {header})"
            home = page.locator("a.md-header__button.md-logo").get_attribute("href")
            assert page.evaluate("(h) => new URL(h, document.baseURI).href", home) == base
            assert page.locator("article a", has_text="home page").evaluate("a => a.href") == base
        finally:
            page.close()
            httpd.shutdown()
