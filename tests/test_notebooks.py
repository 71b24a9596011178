"""Companion notebooks: generated from the snippets, deterministic, current, and runnable.

Each chapter's notebook executes cleanly in a fresh kernel (nbclient), and the values it computes
equal the values its chapter quotes.
"""

from __future__ import annotations

import json
import math
import os
import re

import nbformat
import pytest
from conftest import HOSTING, ROOT

from genmath.sitebuild import notebooks, site

REPOSITORY = HOSTING.url  # the hosting setting (extra.repository in mkdocs.yml, or GENMATH_REPOSITORY)
SITE_URL = HOSTING.site_url


@pytest.fixture(scope="module")
def prepared() -> site.Site:
    config = site.Config.from_options(ROOT, {})
    return site.prepare(config)


def _chapters(prepared: site.Site) -> list:
    return [c for c in prepared.chapters.values() if notebooks.has_notebook(c)]


def _generate(prepared: site.Site, chapter, results=None) -> str:
    sources = {d.target: prepared.source(d.target) for d in chapter.directives if d.kind == "snippet"}
    name = chapter.path.removesuffix(".md")
    return notebooks.notebook(chapter, sources, results, chapter_url=f"{SITE_URL}{name}/", repository=REPOSITORY)


@pytest.mark.build
def test_every_chapter_with_snippets_has_a_current_committed_notebook(prepared: site.Site) -> None:
    chapters = _chapters(prepared)
    assert len(chapters) >= 5
    for chapter in chapters:
        name = chapter.path.removesuffix(".md")
        text = _generate(prepared, chapter)
        assert text == _generate(prepared, chapter), "regeneration is deterministic"
        committed = ROOT / "notebooks" / f"{name}.ipynb"
        assert committed.is_file() and committed.read_text(encoding="utf-8") == text, (
            f"notebooks/{name}.ipynb is stale for the repository {HOSTING.repository}: run `make site` "
            f"and commit it")
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
        snippet_cells = [c for c in nb.cells if c.cell_type == "code"][1:]
        expected = list(dict.fromkeys(d.target for d in chapter.directives if d.kind == "snippet"))
        assert [c.source for c in snippet_cells] == [prepared.source(t).rstrip("\n") for t in expected]
        assert "import genmath" in nb.cells[1].source and "%pip install" in nb.cells[1].source
        assert f"{SITE_URL}{name}/" in nb.cells[0].source


@pytest.mark.build
def test_executed_notebook_for_the_site_carries_the_snippet_outputs(prepared: site.Site) -> None:
    chapter = prepared.chapters["kl.md"]
    nb = nbformat.reads(_generate(prepared, chapter, prepared.results), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert any(o.output_type == "stream" and "kl." in "".join(o.text) for o in outputs)
    assert any(o.output_type == "display_data" and "image/svg+xml" in o.data for o in outputs)


@pytest.mark.build
def test_site_notebook_shows_tables_as_the_chapter_does(prepared: site.Site) -> None:
    """On the site's notebook page a snippet's table is the chapter's typeset table, not its plain
    print with TeX source in it (the print stays as the output's text/plain)."""
    chapter = prepared.chapters["kl.md"]
    sources = {d.target: prepared.source(d.target) for d in chapter.directives if d.kind == "snippet"}
    nb = nbformat.reads(notebooks.notebook(chapter, sources, prepared.results, chapter_url=SITE_URL + "kl/",
                                           repository=REPOSITORY, katex=prepared.katex), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    tables = [o for o in outputs
              if o.output_type == "display_data" and "genmath-table" in o.data.get("text/html", "")]
    expected = sum(len(prepared.results[t].get("tables", [])) for t in sources)
    assert expected >= 3 and len(tables) == expected
    for o in tables:
        html = o.data["text/html"]
        shown = re.sub(r"<annotation\b.*?</annotation>", "", html, flags=re.S)
        assert "<table>" in html and "$" not in shown and "\\" not in shown, "TeX outside KaTeX's annotation"
        assert o.data["text/plain"].strip()
    streams = "".join("".join(o.text) for o in outputs if o.output_type == "stream")
    assert "kl.mvn.kl = " in streams, "full-precision values are still printed"
    assert "\\operatorname" not in streams and "$\\mu" not in streams, "no table's TeX is printed as text"


def _quoted(chapter) -> set[str]:
    return {q.name for q in chapter.quotes}


@pytest.mark.build
@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_notebook_runs_in_a_fresh_kernel_and_matches_its_chapter(prepared: site.Site, name: str) -> None:
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import json, genmath.snippet as _s\n"
        "print(json.dumps({k: v['value'] for k, v in _s.RECORD['values'].items()}))"))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"  # as in the build's snippet processes
    os.environ["PYTHONHASHSEED"] = "0"
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    values = json.loads(nb.cells[-1].outputs[0]["text"])
    chapter = prepared.chapters[f"{name}.md"]
    compared = 0
    for quoted in sorted(_quoted(chapter)):
        if quoted not in values:
            continue  # quoted from another chapter's snippet
        built = prepared.values[quoted]["value"]
        got = values[quoted]
        if isinstance(built, float):
            assert math.isclose(got, built, rel_tol=1e-9, abs_tol=1e-12) or got == built, (quoted, got, built)
        else:
            assert got == built, (quoted, got, built)
        compared += 1
    assert compared >= 1, "the chapter quotes values its notebook computes"
