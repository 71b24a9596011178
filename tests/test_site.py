"""The real site: a strict build of every chapter, byte-identical across clean builds, offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import build_site as _build


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html"))


@pytest.mark.build
def test_strict_build_of_the_whole_site(built_site: Path) -> None:
    pages = _pages(built_site)
    assert (built_site / "index.html").exists() and len(pages) >= 2
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "katex-error" not in html, page
        assert 'class="arithmatex"' not in html, f"{page}: math left for client-side typesetting"


@pytest.mark.build
def test_nothing_is_loaded_from_other_hosts(built_site: Path) -> None:
    remote = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*?(?:src|href)=["'](?:https?:)?//""", re.IGNORECASE)
    for page in _pages(built_site):
        html = page.read_text(encoding="utf-8")
        for tag in remote.findall(html):
            assert 'rel="canonical"' in tag or "<a " in tag, f"{page}: {tag}"
    for css in built_site.rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", css.read_text(encoding="utf-8")), css
    assert list((built_site / "assets" / "katex" / "fonts").glob("*.woff2")), "KaTeX fonts are served locally"


@pytest.mark.build
@pytest.mark.long  # a full build (about 25 s): first among the tests that wait for the shared build, not last
def test_a_second_build_is_byte_identical(built_site: Path, tmp_path: Path) -> None:
    """A second build of the same sources writes the same bytes. Under `make test` the first build
    ran every snippet (a fresh clone has no cache) and this one reads them from the cache, so it also
    checks that a cached result renders as the fresh one did. That every snippet reproduces its
    results when run again is tests/test_notebooks.py's test: each notebook re-runs its chapter's
    snippets in a fresh kernel and must match the build's values and SVG bytes exactly."""
    again = tmp_path / "again"
    result = _build(again)
    assert result.returncode == 0, result.stdout + result.stderr
    first = {p.relative_to(built_site): p.read_bytes() for p in built_site.rglob("*")
             if p.is_file() and p.suffix in {".html", ".svg", ".xml", ".json"}}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*")
              if p.is_file() and p.suffix in {".html", ".svg", ".xml", ".json"}}
    assert first.keys() == second.keys()
    differing = sorted(str(k) for k in first if first[k] != second[k])
    assert not differing, f"differ between builds: {differing}"
    assert any(b"<svg" in v for v in first.values()), "figures are part of the comparison"
