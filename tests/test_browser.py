"""The built site in a real browser (Debian's Chromium driven by Playwright), on every page.

Per page: no console errors, no failed requests, no request to another host, no KaTeX error nodes,
every image/figure has alt text, a valid heading outline, zero serious/critical axe-core
violations, page weight within budget; screenshots in light and dark under .screenshots/.
Features: search, palette toggle (figures readable in both), instant navigation, copy button, tabs.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, build_site

pytestmark = [pytest.mark.browser, pytest.mark.build]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BUDGET_BYTES = 1_500_000
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / ".screenshots"
PAGE_TABLE: list[tuple[str, int, float]] = []  # printed by conftest at the end of the run


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("headless Chromium is needed for the page tests: `apt-get install chromium` "
                "(Debian's package; `make test` installs it when run as root)")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site built for this origin (instant navigation needs site_url = where it is served)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    site = tmp_path_factory.mktemp("browser-site") / "site"
    result = build_site(site, GENMATH_SITE_URL=f"http://127.0.0.1:{port}/")
    assert result.returncode == 0, result.stdout + result.stderr
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site as static hosting does (GitHub Pages compresses text with gzip)."""

    COMPRESS = {".html", ".css", ".js", ".json", ".svg", ".xml"}

    def log_message(self, *args: Any) -> None:
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (path.suffix not in self.COMPRESS or not path.is_file()
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


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


def _open(browser: Any, url: str, scheme: str = "light") -> tuple[Any, Any, dict[str, list[str]]]:
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
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


def test_every_page_works(browser: Any, server: str, page_path: str) -> None:
    context, page, seen = _open(browser, server + page_path)
    try:
        assert not seen["console"], f"console errors: {seen['console']}"
        assert not seen["failed"], f"failed requests: {seen['failed']}"
        assert not seen["foreign"], f"requests to other hosts: {seen['foreign']}"
        assert page.locator(".katex-error").count() == 0
        assert page.locator(".arithmatex").count() == 0
        missing_alt = page.evaluate("""() => [
            ...[...document.querySelectorAll('article img')].filter(i => !i.getAttribute('alt')).map(i => i.src),
            ...[...document.querySelectorAll('.genmath-figure svg')].filter(s => !s.getAttribute('aria-label')).map(s => s.id)]""")
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
        SHOTS.mkdir(exist_ok=True)
        name = (page_path.strip("/") or "home").replace("/", "_")
        page.screenshot(path=str(SHOTS / f"{name}-light.png"), full_page=True)
    finally:
        context.close()
    context, page, _ = _open(browser, server + page_path, scheme="dark")
    try:
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
        page.screenshot(path=str(SHOTS / f"{name}-dark.png"), full_page=True)
    finally:
        context.close()


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
                const text = document.querySelector('.genmath-figure svg text');
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
        page.wait_for_url("**/kl/")
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
