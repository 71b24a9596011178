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
def test_two_clean_builds_are_byte_identical(built_site: Path, tmp_path: Path) -> None:
    """The second build also re-executes every snippet (GENMATH_REFRESH=1): snippets are deterministic."""
    again = tmp_path / "again"
    result = _build(again, GENMATH_REFRESH="1")
    assert result.returncode == 0, result.stdout + result.stderr
    first = {p.relative_to(built_site): p.read_bytes() for p in built_site.rglob("*")
             if p.is_file() and p.suffix in {".html", ".svg", ".xml", ".json"}}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*")
              if p.is_file() and p.suffix in {".html", ".svg", ".xml", ".json"}}
    assert first.keys() == second.keys()
    differing = sorted(str(k) for k in first if first[k] != second[k])
    assert not differing, f"differ between clean builds: {differing}"
    assert any(b"<svg" in v for v in first.values()), "figures are part of the comparison"
