"""Measure every page of a built site as a reader sees it, in headless Chromium.

    .venv/bin/python tools/measure_pages.py SITE_DIR [--json out.json] [--screenshots DIR]

Serves SITE_DIR on 127.0.0.1 (and again under a different base path, for the 404 page), opens
every page at 390, 820 and 1280 px in light and dark, and prints, per finding of
tests/page_metrics.py, how many items were found on how many pages. Used for the before/after
numbers of issue 15; the page tests assert the same findings are empty. With ``--screenshots DIR``,
every page is also saved as a full-page PNG per width and scheme (``kl-390-dark.png``), to look at
a change on a phone and in dark mode (`make screenshots` does this for the current site).
"""

from __future__ import annotations

import argparse
import http.server
import json
import shutil
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import page_metrics
import page_server

CONFIGS = [(1280, "light"), (820, "light"), (390, "light"), (390, "dark"), (1280, "dark")]


def serve(site: Path, prefix: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    """``site`` served as the page tests serve it (tests/page_server.py: gzip, the site's 404 page,
    under ``prefix``), on any free port; (server, base address)."""
    httpd = page_server.serve(site, 0, prefix=prefix)
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}{prefix}"


def pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).parent.as_posix().replace(".", "") + "/" for p in site.rglob("index.html")
                  if "search" not in p.parts)


def not_found_is_styled(browser, base: str) -> bool:
    page = browser.new_page()
    page.goto(base + "no/such/page/", wait_until="load")
    page.wait_for_load_state("networkidle")
    styled = page.evaluate("""() => {
        const h = document.querySelector('.md-header');
        const links = [...document.querySelectorAll('a.md-header__button.md-logo, .md-tabs a, nav.md-nav--primary a')];
        return !!h && getComputedStyle(h).position !== 'static'
            && getComputedStyle(h).backgroundColor !== 'rgba(0, 0, 0, 0)' && links.length > 0;
    }""")
    home = page.evaluate("(document.querySelector('a.md-header__button.md-logo') || {}).href || ''")
    page.close()
    return styled and home.rstrip("/") == base.rstrip("/")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("site", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--screenshots", type=Path, help="save a full-page PNG of every page and configuration here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    site = args.site.resolve()
    httpd, base = serve(site, "/")
    other, other_base = serve(site, "/elsewhere/deeper/")
    findings: dict[str, dict] = {}
    with sync_playwright() as p:
        chromium = shutil.which("chromium") or shutil.which("google-chrome")
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for path in pages(site):
            name = path.strip("/") or "home"
            findings[name] = {}
            for width, scheme in CONFIGS:
                context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
                page = context.new_page()
                page.goto(base + (path if path != "/" else ""), wait_until="load")
                page.evaluate("document.fonts.ready")
                page.wait_for_load_state("networkidle")
                if args.screenshots:  # before measure(), which opens every <details>
                    args.screenshots.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(args.screenshots / f"{name.replace('/', '_')}-{width}-{scheme}.png"),
                                    full_page=True)
                findings[name][f"{width}-{scheme}"] = page_metrics.measure(page)
                context.close()
            print(f"measured {name}", file=sys.stderr)
        styled = {"root": not_found_is_styled(browser, base), "other base": not_found_is_styled(browser, other_base)}
        browser.close()
    httpd.shutdown()
    other.shutdown()
    entries, search_bad = page_metrics.search_index_problems((site / "search" / "search_index.json").read_text())

    totals: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for name, per in findings.items():
        for config, r in per.items():
            for key in page_metrics.PROBLEMS:
                n = len(r[key])
                totals[key][config][0] += n
                totals[key][config][1] += bool(n)
    configs = [f"{w}-{s}" for w, s in CONFIGS]
    print(f"{'finding (items / pages)':24}" + "".join(f"{c:>14}" for c in configs))
    for key in page_metrics.PROBLEMS:
        print(f"{key:24}" + "".join(f"{totals[key][c][0]:>9} /{totals[key][c][1]:>3}" for c in configs))

    def total(key: str, config: str) -> int:
        return sum(per[config][key] for per in findings.values())
    print(f"display equations (1280): {total('displays', '1280-light')}; scrolling in their box at 390: "
          f"{total('display_scrolling', '390-light')}; inline formulas broken over lines at 390: "
          f"{total('inline_broken', '390-light')} of {total('inline', '390-light')}")
    print(f"figures: {total('figures', '390-light')}; glyphs < 7 px at 390: {total('figure_small_glyphs', '390-light')} of "
          f"{total('figure_glyphs', '390-light')}; SVG <text> elements (need the reader's fonts): "
          f"{total('figure_svg_text', '390-light')}")
    print(f"code tokens checked (1280 dark): {total('code_tokens', '1280-dark')}; linenos underlined: "
          f"{total('linenos_underlined', '1280-light')}; Korean elements: {total('korean', '390-light')}")
    print(f"search index: {len(search_bad)} of {entries} entries with TeX or tripled math")
    for line in search_bad[:5]:
        print("   ", line[:160])
    print(f"404 page styled: {styled}")
    print(f"{'page':22}{'height 1280':>12}{'height 390':>12}{'result lines':>13}{'sidebar':>9}  footer next")
    for name, per in findings.items():
        r, m = per["1280-light"], per["390-light"]
        print(f"{name:22}{r['height']:>12}{m['height']:>12}{r['result_pre_lines']:>13}{r['sidebar_links']:>9}  {r['footer_next']}")
    if args.json:
        args.json.write_text(json.dumps({"pages": findings, "search": search_bad, "404": styled}, indent=1,
                                        ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
