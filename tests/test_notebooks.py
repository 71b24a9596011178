"""Companion notebooks: generated from the snippets, deterministic, current, and runnable.

Each chapter's notebook executes cleanly in a fresh kernel (nbclient), and the values it computes
equal the values its chapter quotes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from conftest import HOSTING, ROOT

from genmath import memo
from genmath.sitebuild import notebooks, site

REPOSITORY = HOSTING.url  # the hosting setting (extra.repository in mkdocs.yml, or GENMATH_REPOSITORY)
SITE_URL = HOSTING.site_url


@pytest.fixture(scope="module")
def prepared(project_built: dict[str, object]) -> site.Site:
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


def _digest(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="session")
def kernel_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where each notebook's kernel run is kept for the session: the folder the controller shares with
    every worker (GENMATH_TEST_KERNEL_RUNS, tests/conftest.py), or one of this process's own."""
    shared = os.environ.get("GENMATH_TEST_KERNEL_RUNS")
    return Path(shared) if shared else tmp_path_factory.mktemp("kernel-runs")


def _kernel_run(name: str, runs: Path) -> dict:
    """The values and figure digests notebooks/<name>.ipynb computes, run top to bottom in a fresh
    kernel once per session (a test that asks while the run is under way waits for it; a run that
    failed is tried again by whichever test asks next, and fails there too)."""
    from nbclient import NotebookClient

    result = runs / f"{name}.json"
    with memo.locked(runs / f"{name}.lock"):
        if not result.is_file():
            nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
            nb.cells.append(nbformat.v4.new_code_cell(
                "import hashlib, json, genmath.snippet as _s\n"
                "_h = lambda t: None if t is None else hashlib.sha256(t.encode()).hexdigest()\n"
                "print(json.dumps({'values': {k: v['value'] for k, v in _s.RECORD['values'].items()},\n"
                "                  'figures': {f['name']: [_h(f['svg']), _h(f.get('svg_phone'))]\n"
                "                              for f in _s.RECORD['figures']}}))"))
            for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
                os.environ[var] = "1"  # as in the build's snippet processes
            os.environ["PYTHONHASHSEED"] = "0"
            NotebookClient(nb, timeout=600, kernel_name="python3",
                           resources={"metadata": {"path": str(ROOT)}}).execute()
            result.write_text(nb.cells[-1].outputs[0]["text"], encoding="utf-8")
        return json.loads(result.read_text(encoding="utf-8"))


@pytest.mark.long
@pytest.mark.overlaps_build
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_a_fresh_kernel(kernel_runs: Path, name: str) -> None:
    """The notebook runs top to bottom in a fresh kernel (nbclient raises on a cell's error) and
    computes values and figures. Their comparison with the chapter is
    test_notebook_reproduces_its_chapter, after the shared build: this test needs nothing of the build,
    so it runs while the build's last snippets run, and no worker waits for the build, idle, while a
    core is free (tests/conftest.py orders the run). A network both need is trained once, by whichever
    asks first (genmath.memo's lock), and loaded by the other."""
    ran = _kernel_run(name, kernel_runs)
    assert ran["values"], f"notebooks/{name}.ipynb publishes no value"


@pytest.mark.build
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_reproduces_its_chapter(prepared: site.Site, kernel_runs: Path, name: str) -> None:
    """The notebook's fresh-kernel run reproduces its chapter exactly: every value its snippets publish
    equals the build's, and every figure is byte for byte the build's SVG. The build ran each snippet in
    its own process; the kernel ran them one after another in one process, so this is also the
    run-to-run determinism test of every snippet (a second clean build would run them all a third
    time)."""
    ran = _kernel_run(name, kernel_runs)
    chapter = prepared.chapters[f"{name}.md"]
    targets = list(dict.fromkeys(d.target for d in chapter.directives if d.kind == "snippet"))
    built_values = {k: v["value"] for t in targets for k, v in prepared.results[t].get("values", {}).items()}
    built_figures = {f["name"]: [_digest(f["svg"]), _digest(f.get("svg_phone"))]
                     for t in targets for f in prepared.results[t].get("figures", [])}
    assert ran["values"].keys() == built_values.keys()
    differing = {k: (ran["values"][k], v) for k, v in built_values.items() if ran["values"][k] != v}
    assert not differing, f"values that differ from the build's: {differing}"
    assert ran["figures"] == built_figures, "figures differ from the build's SVG"
    quoted = _quoted(chapter) & built_values.keys()
    assert quoted, "the chapter quotes values its notebook computes"


@pytest.mark.build
def test_snippets_outside_every_notebook_rerun_identically(prepared: site.Site, tmp_path) -> None:
    """The snippets no notebook runs (the home page's) are run again here, each in a fresh process as
    the build runs them, and reproduce the build's values, tables and figures exactly."""
    import subprocess
    import sys

    in_notebooks = {d.target for c in _chapters(prepared) for d in c.directives if d.kind == "snippet"}
    outside = sorted(set(prepared.results) - in_notebooks)
    assert outside, "the home page's snippet runs outside every notebook"
    env = dict(os.environ, GENMATH_BUILD="1", PYTHONHASHSEED="0", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    for target in outside:
        out = tmp_path / "out.json"
        subprocess.run([sys.executable, "-m", "genmath.sitebuild.child", str(ROOT / "snippets" / target), str(out)],
                       cwd=ROOT, env=env, check=True, timeout=600)
        ran, built = json.loads(out.read_text(encoding="utf-8")), prepared.results[target]
        assert ran["error"] is None, ran["error"]
        assert ran["values"] == built["values"] and ran["printed"] == built["printed"], target
        assert [t["rows"] for t in ran["tables"]] == [t["rows"] for t in built["tables"]], target
        assert [(f["name"], f["svg"], f.get("svg_phone")) for f in ran["figures"]] == \
            [(f["name"], f["svg"], f.get("svg_phone")) for f in built["figures"]], f"snippets/{target}: figures"
