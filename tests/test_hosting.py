"""Hosting and the contributor loop: the deploy workflow (linted; it cannot run here), page metadata,
edit/view/source links from the one hosting setting, last-updated dates, 404 page and sitemap, and the
page tests' server serving a site as static hosting does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import HOSTING, ROOT, MiniProject

from genmath.sitebuild.hosting import Hosting

WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"
EDIT_URI = HOSTING.edit_uri


def _workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def _steps(job: dict) -> list[dict]:
    return job["steps"]


def _uses(job: dict, action: str) -> dict:
    found = [s for s in _steps(job) if s.get("uses", "").startswith(action + "@")]
    assert found, f"job has no step using {action}"
    return found[0]


def test_workflow_builds_tests_and_deploys_on_push_to_main() -> None:
    wf = _workflow()
    assert wf["on"]["push"]["branches"] == ["main"]
    assert wf["permissions"]["pages"] == "write" and wf["permissions"]["id-token"] == "write"
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    assert _uses(build, "actions/checkout")["with"]["fetch-depth"] == 0
    assert _uses(build, "actions/setup-python")["with"]["python-version"] == "3.11"
    runs = [s.get("run", "") for s in _steps(build)]
    test_step, site_step = runs.index("make test"), runs.index("make site")
    upload = _steps(build).index(_uses(build, "actions/upload-pages-artifact"))
    assert test_step < site_step < upload, "tests gate the build, which gates the upload"
    assert _uses(build, "actions/upload-pages-artifact")["with"]["path"] == "site"
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    _uses(deploy, "actions/deploy-pages")


def test_workflow_restores_and_saves_the_snippet_cache() -> None:
    build = _workflow()["jobs"]["build"]
    cache = _uses(build, "actions/cache")
    cache_index = _steps(build).index(cache)
    assert cache["with"]["path"] == ".genmath-cache"
    key = cache["with"]["key"]
    for part in ("snippets/**", "genmath/**", "pyproject.toml"):
        assert part in key, f"cache key misses {part}"
    assert "docs/" not in key, "a prose-only change must hit the same cache (and execute nothing)"
    assert cache["with"]["restore-keys"].strip()
    assert cache_index < [s.get("run") for s in _steps(build)].index("make test")


def test_workflow_links_come_from_the_repository_it_runs_in() -> None:
    build = _workflow()["jobs"]["build"]
    assert build["env"]["GENMATH_REPOSITORY"] == "${{ github.repository }}"
    pages = _uses(build, "actions/configure-pages")
    site_step = next(s for s in _steps(build) if s.get("run") == "make site")
    assert site_step["env"]["GENMATH_SITE_URL"] == "${{ steps." + pages["id"] + ".outputs.base_url }}/"
    assert _steps(build).index(pages) < _steps(build).index(site_step)


def test_workflow_installs_cpu_torch_and_caches_pip() -> None:
    build = _workflow()["jobs"]["build"]
    assert build["env"]["TORCH_INDEX"] == "https://download.pytorch.org/whl/cpu"
    python = _uses(build, "actions/setup-python")["with"]
    assert python["cache"] == "pip" and python["cache-dependency-path"] == "pyproject.toml"


def test_every_url_derives_from_the_repository() -> None:
    fork = Hosting.parse("https://github.com/Some-One/gen.math.git")
    assert fork.repository == "Some-One/gen.math"
    assert fork.edit_uri == "https://github.com/Some-One/gen.math/edit/main/docs/"
    assert fork.files_url == "https://github.com/Some-One/gen.math/blob/main"
    assert fork.colab("notebooks/kl.ipynb") == \
        "https://colab.research.google.com/github/Some-One/gen.math/blob/main/notebooks/kl.ipynb"
    assert fork.site_url == "https://some-one.github.io/gen.math/"
    assert Hosting.parse("some-one/Some-One.github.io").site_url == "https://some-one.github.io/"
    for bad in ("", "genmath", "https://gitlab.com/a/b", "a/b/c", "a b/c"):
        with pytest.raises(ValueError, match="owner/name"):
            Hosting.parse(bad)


@pytest.mark.build
def test_a_fork_builds_with_its_own_links(project: MiniProject) -> None:
    config = project.path / "mkdocs.yml"
    text = config.read_text().replace("  font: false\n", "  font: false\n  features: [content.action.edit]\n")
    config.write_text(text + 'extra:\n  repository: !ENV [GENMATH_REPOSITORY, "up/stream"]\n')
    project.write("snippets/f/v.py", "from genmath.snippet import publish\npublish('f.v.x', 0.5)\n")
    project.write("docs/index.md", '# Fork\n\n{{ snippet("f/v.py") }}\n\nValue {{ f.v.x:.1f }}.\n')
    result = project.build("--strict", GENMATH_REPOSITORY="some-one/fork")
    assert result.returncode == 0, result.stdout + result.stderr
    html = (project.path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://github.com/some-one/fork/edit/main/docs/index.md"' in html
    assert 'href="https://github.com/some-one/fork/blob/main/snippets/f/v.py"' in html
    assert '<link rel="canonical" href="https://some-one.github.io/fork/"' in html
    assert "up/stream" not in html


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("index.html"))


def _source_of(site: Path, page: Path) -> str:
    rel = page.parent.relative_to(site).as_posix()
    return "index.md" if rel == "." else f"{rel}.md"


@pytest.mark.build
def test_every_page_has_edit_and_view_links_to_its_markdown(built_site: Path) -> None:
    for page in _pages(built_site):
        html = page.read_text(encoding="utf-8")
        if page.parent.parent.name == "notebooks":  # generated from snippets: no edit link
            assert "md-content__button" not in html, page
            continue
        src = _source_of(built_site, page)
        assert (ROOT / "docs" / src).is_file(), src
        assert f'href="{EDIT_URI}{src}" title="Edit this page"' in html, page
        assert f'href="{EDIT_URI.replace("/edit/", "/raw/")}{src}" title="View source of this page"' in html, page


@pytest.mark.build
def test_every_snippet_block_links_to_its_file(built_site: Path) -> None:
    checked = 0
    for page in _pages(built_site):
        html = page.read_text(encoding="utf-8")
        for rel in re.findall(r'<span class="filename">snippets/([^<]+)</span>', html):
            assert f'href="{HOSTING.files_url}/snippets/{rel}"' in html, (page, rel)
            assert (ROOT / "snippets" / rel).is_file()
            checked += 1
    assert checked >= 1


@pytest.mark.build
def test_page_metadata(built_site: Path) -> None:
    descriptions = {}
    for page in _pages(built_site):
        html = page.read_text(encoding="utf-8")
        assert re.search(r'<link rel="canonical" href="https://[^"]+/"', html), page
        if page.parent.parent.name == "notebooks":
            continue  # notebook pages carry the site description
        desc = re.search(r'<meta name="description" content="([^"]+)"', html)
        assert desc, f"{page}: add description: to the front matter of docs/{_source_of(built_site, page)}"
        descriptions[page] = desc.group(1)
        for prop in ("og:title", "og:description", "og:url", "og:image", "og:type"):
            assert f'<meta property="{prop}"' in html, (page, prop)
        assert "md-source-file" in html, f"{page}: last-updated date"
    assert len(set(descriptions.values())) == len(descriptions), "descriptions are per page"
    assert (built_site / "assets" / "og-image.png").is_file()


@pytest.mark.build
def test_404_sitemap(built_site: Path) -> None:
    not_found = (built_site / "404.html").read_text(encoding="utf-8")
    assert "md-header" in not_found and "404" in not_found
    sitemap = (built_site / "sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.count("<loc>") == len(_pages(built_site))


@pytest.mark.build
def test_chapters_link_their_notebook_download_and_colab(built_site: Path) -> None:
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        html = (built_site / nb.stem / "index.html").read_text(encoding="utf-8")
        assert f'href="../notebooks/{nb.stem}/{nb.stem}.ipynb" download' in html
        assert (built_site / "notebooks" / nb.stem / f"{nb.stem}.ipynb").is_file()
        assert f'href="{HOSTING.colab(f"notebooks/{nb.stem}.ipynb")}"' in html
        assert (built_site / "notebooks" / nb.stem / "index.html").is_file()


@pytest.mark.parametrize("prefix", ["/", "/genmath/"])
def test_the_page_server_redirects_a_folder_address_to_its_slash(tmp_path: Path, prefix: str) -> None:
    """As GitHub Pages does: .../kl is redirected to .../kl/ (served as it is, the page's relative links
    to its stylesheets would miss), and .../kl/ is the page, compressed as hosting sends it."""
    import gzip
    import http.client

    import page_server

    (tmp_path / "kl").mkdir()
    (tmp_path / "kl" / "index.html").write_text("<p>the KL page</p>", encoding="utf-8")
    httpd = page_server.serve(tmp_path, 0, prefix=prefix)
    try:
        def get(path: str) -> http.client.HTTPResponse:
            conn = http.client.HTTPConnection("127.0.0.1", httpd.server_address[1], timeout=10)
            conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
            return conn.getresponse()

        moved = get(f"{prefix}kl?q=1")
        assert moved.status == 301 and moved.getheader("Location") == f"{prefix}kl/?q=1"
        page = get(f"{prefix}kl/")
        assert page.status == 200 and page.getheader("Content-Encoding") == "gzip"
        assert gzip.decompress(page.read()) == b"<p>the KL page</p>"
    finally:
        httpd.shutdown()
