"""Shared fixtures: the project root, and small throw-away projects for build-machinery tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

# One thread for numpy's BLAS and torch, as in the build's snippet processes and the notebook kernels:
# with every core busy (two workers, the background build, Chromium), a second thread mostly spins
# waiting for a core (test_gan, test_mle and test_info took 43 CPU-s with two threads, 37 with one,
# the other core busy). Set before numpy or torch is imported; a value already in the environment is kept.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import page_server
import pytest
from hypothesis import settings

from genmath.sitebuild.hosting import from_mkdocs_yml

# The property tests draw the same examples on every run (`make test` cannot fail by chance on an
# example no one has seen before); HYPOTHESIS_PROFILE=explore draws fresh ones and remembers failures
# in .hypothesis/, for a search run by hand. (Loaded here, before the test modules build their settings.)
settings.register_profile("genmath", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "genmath"))

ROOT = Path(__file__).resolve().parent.parent
#: Where the site is hosted (extra.repository in mkdocs.yml, or GENMATH_REPOSITORY): tests read it.
HOSTING = from_mkdocs_yml(ROOT / "mkdocs.yml")

# Filled by tests/test_formula_checks.py, printed at the end of the run.
FORMULA_STATS: dict[str, object] = {}


# -- the suite on several cores (`make test`: pytest -n auto --dist loadgroup, with pytest-xdist) --------

#: Tests that share an expensive fixture run on one worker (xdist's loadgroup): fixture -> group.
#: Not the built site (built once, in the background while the workers start, and shared) nor the page tests'
#: site and server (built and served once by the controller after it, tests/page_server.py): the page
#: tests are the longest part of the run, and both workers share them, one page's tests to a worker
#: (pytest_collection_modifyitems).
GROUPS = {"serve": "serve"}
#: Report tables gathered from the workers (under xdist the controller runs no test itself).
FROM_WORKERS: dict[str, list] = {"pages": [], "formulas": []}
#: The site the controller built for the workers (removed at the end).
SHARED_SITE: list[Path] = []


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # The order the workers take tests in (xdist keeps it: --no-loadscope-reorder in the Makefile).
    # First the tests that need nothing of the shared build, so that the workers run them while it
    # runs; of those, the few marked `long` (minutes each) first of all. Then those marked
    # `overlaps_build` (the notebooks' kernels: they run while the build's last snippets run, one
    # after another, so no worker waits idle for the build while a core is free). Last the tests that
    # wait for the build (the `project_built` fixture), among them the comparison of each kernel run
    # with the build.
    def stage(item) -> int:
        if "project_built" in getattr(item, "fixturenames", ()):
            return 2
        return 1 if item.get_closest_marker("overlaps_build") else 0

    items.sort(key=lambda item: (stage(item), item.get_closest_marker("long") is None))
    for item in items:
        groups = sorted({GROUPS[f] for f in getattr(item, "fixturenames", ()) if f in GROUPS})
        page = getattr(item, "callspec", None) and item.callspec.params.get("page_path")
        if page is not None and not groups:
            # the page tests of one page run on one worker, which opens the page once per width
            # and scheme for all of them (test_browser.measured)
            groups = [f"page:{page or 'home'}"]
        if groups:
            item.add_marker(pytest.mark.xdist_group(groups[0]))


@pytest.hookimpl(optionalhook=True)  # an xdist hook: pytest -p no:xdist runs without it
def pytest_xdist_node_collection_finished(node, ids):
    """On the controller: stop at once if the workers' test ids carry no group. xdist's loadgroup
    sends a group to one worker by a suffix it adds to the test id (``...[kl/]@page:kl/``); pytest 9.2
    ignores that suffix and the groups silently fall apart (pytest-dev/pytest-xdist#1386), so every
    worker would open every page (pyproject.toml pins pytest below 9.2). Also records whether page
    tests were collected (PAGE_TESTS)."""
    if any("test_browser.py::" in i for i in ids):
        PAGE_TESTS.set()  # the background build then builds the page tests' site too
    COLLECTED.set()
    if node.config.getvalue("dist") != "loadgroup":
        return
    pages = [i for i in ids if "test_browser.py::test_every_page_works[" in i]
    if pages and not any("@page:" in i for i in pages):
        pytest.exit(f"pytest-xdist's loadgroup lost its groups with pytest {pytest.__version__} "
                    "(pytest-dev/pytest-xdist#1386): install the pytest pyproject.toml asks for "
                    "(make setup)", returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """With several workers: build the site once, in the background, and let every worker's
    `built_site` reuse it (GENMATH_TEST_SITE). Every snippet runs once, the notebooks and caches are
    written once, and builds that run later find them and only read them. The workers start at once
    and run the tests that need nothing of the build (ordered first: pytest_collection_modifyitems)
    while it runs; a test that needs it (the `project_built` fixture) waits for it."""
    config = session.config
    if getattr(config, "workerinput", None) is not None or not config.getoption("numprocesses", default=None):
        return
    if os.environ.get("GENMATH_TEST_SITE"):
        return
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None:
        terminal.write_line("genmath: building the site once for all workers, in the background "
                            "(cold: every snippet runs)")
        if getattr(config.option, "loadscopereorder", False) and config.getvalue("dist") == "loadgroup":
            terminal.write_line("genmath: pass --no-loadscope-reorder (make test does): without it xdist hands "
                                "out the page tests first, and they wait for this build")
    folder = Path(tempfile.mkdtemp(prefix="genmath-test-site-"))
    SHARED_SITE.append(folder)
    status = folder / "status.json"

    # the page tests' site, built for the origin it is served from, once for every worker
    # (tests/page_server.py); the server answers from now on, the workers wait for pages.json
    pages_site, pages_status = folder / "pages-site", folder / "pages.json"
    httpd = page_server.serve(pages_site, 0)
    SERVERS.append(httpd)
    pages_url = f"http://127.0.0.1:{httpd.server_address[1]}/"

    def run(dest: Path, done: Path, **env: str) -> bool:
        try:
            result = build_site(dest, **env)
            outcome = {"returncode": result.returncode, "output": result.stdout + result.stderr}
        except Exception as exc:  # noqa: BLE001 - reported to every test that waits for the build
            outcome = {"returncode": -1, "output": f"{type(exc).__name__}: {exc}"}
        (folder / "status.tmp").write_text(json.dumps({**outcome, "site": str(dest)}), encoding="utf-8")
        (folder / "status.tmp").replace(done)
        return outcome["returncode"] == 0

    def build() -> None:
        built = run(folder / "site", status)
        COLLECTED.wait(timeout=600)  # the workers' collections, long done by now
        if built and PAGE_TESTS.is_set():
            run(pages_site, pages_status, GENMATH_SITE_URL=pages_url)
        else:  # the page tests fail at the shared build already, or none was collected
            why = "the shared build failed" if not built else "no page test was collected"
            pages_status.write_text(json.dumps({"returncode": -1, "site": str(pages_site),
                                                "output": f"the page tests' site was not built: {why}"}),
                                    encoding="utf-8")

    thread = threading.Thread(target=build, name="genmath-shared-build", daemon=True)
    thread.start()
    BUILDS.append(thread)
    os.environ["GENMATH_TEST_SITE"] = str(folder / "site")
    os.environ["GENMATH_TEST_SITE_STATUS"] = str(status)
    os.environ["GENMATH_TEST_PAGES_URL"] = pages_url
    os.environ["GENMATH_TEST_PAGES_STATUS"] = str(pages_status)
    # each notebook's kernel run, shared by the worker that runs it and the one that compares it with
    # the build (tests/test_notebooks.py)
    (folder / "kernel-runs").mkdir()
    os.environ["GENMATH_TEST_KERNEL_RUNS"] = str(folder / "kernel-runs")


#: The controller's background build (joined at the end of the run).
BUILDS: list[threading.Thread] = []
#: The controller's server of the page tests' site (shut down at the end of the run).
SERVERS: list[Any] = []
#: Set on the controller once a worker has collected its tests, and once one has collected page tests.
COLLECTED, PAGE_TESTS = threading.Event(), threading.Event()


def pytest_unconfigure(config):
    COLLECTED.set()  # (a run that ends before the workers collected: the build thread need not wait)
    for thread in BUILDS:
        thread.join()
    for httpd in SERVERS:
        httpd.shutdown()
    for folder in SHARED_SITE:
        shutil.rmtree(folder, ignore_errors=True)


def pytest_configure(config):
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_WorkerReports(), "genmath-worker-reports")


class _WorkerReports:
    """A worker hands its report tables to the controller, which prints them."""

    def pytest_sessionfinish(self, session):
        output = getattr(session.config, "workeroutput", None)
        if output is not None:
            browser = sys.modules.get("test_browser")
            output["genmath"] = json.dumps({"pages": browser.PAGE_TABLE if browser else [],
                                            "formulas": FORMULA_STATS}, default=str)

    def pytest_testnodedown(self, node, error):
        data = json.loads(getattr(node, "workeroutput", {}).get("genmath", "{}"))
        FROM_WORKERS["pages"] += [tuple(row) for row in data.get("pages", [])]
        if data.get("formulas"):
            FROM_WORKERS["formulas"].append(data["formulas"])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for stats in FROM_WORKERS["formulas"]:
        per_chapter = FORMULA_STATS.setdefault("per_chapter", {})
        per_chapter.update(stats.get("per_chapter", {}))  # type: ignore[union-attr]
        if "mutation_table" in stats:
            FORMULA_STATS["mutation_table"] = stats["mutation_table"]
    browser = sys.modules.get("test_browser")
    pages = (browser.PAGE_TABLE if browser is not None else []) + FROM_WORKERS["pages"]
    if pages:
        terminalreporter.write_sep("-", "page weight and speed (headless Chromium, local server)")
        terminalreporter.write_line(f"{'page':28} {'transferred':>12} {'DOMContentLoaded':>17}")
        for name, size, dcl in sorted(pages):
            terminalreporter.write_line(f"{name:28} {size / 1e3:9.1f} kB {dcl:14.0f} ms")
    if FORMULA_STATS:
        terminalreporter.write_sep("-", "formula checks (python -m genmath.formulas)")
        per_chapter = FORMULA_STATS.get("per_chapter", {})
        totals = [sum(v[i] for v in per_chapter.values()) for i in range(3)]  # type: ignore[union-attr]
        terminalreporter.write_line(f"checked {totals[0]}, exempt {totals[1]}, of {totals[2]} display formulas "
                                    f"in {len(per_chapter)} chapters")
        for chapter, (ok, exempt, total) in sorted(per_chapter.items()):  # type: ignore[union-attr]
            terminalreporter.write_line(f"  docs/{chapter}: {ok} checked, {exempt} exempt, of {total}")
        if "mutation_table" in FORMULA_STATS:
            for line in str(FORMULA_STATS["mutation_table"]).splitlines():
                terminalreporter.write_line(line)


class MiniProject:
    """A tiny site (its own docs/, snippets/, cache, and a copy of genmath) built in a temp folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        shutil.copytree(ROOT / "genmath", path / "genmath",
                        ignore=shutil.ignore_patterns("__pycache__"))
        (path / "node_modules").symlink_to(ROOT / "node_modules")
        (path / "docs").mkdir()
        (path / "snippets").mkdir()
        (path / "mkdocs.yml").write_text(textwrap.dedent("""\
            site_name: mini
            theme:
              name: material
              font: false
            plugins: []
            watch: [snippets, genmath]
            hooks:
              - genmath/sitebuild/mkdocs_hooks.py
            markdown_extensions:
              - genmath.sitebuild.markdown:
                  timeout: 20
              - admonition
              - attr_list
              - md_in_html
              - pymdownx.superfences
              - pymdownx.tabbed:
                  alternate_style: true
            """))

    def write(self, rel: str, text: str) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
        return target

    def env(self, **extra: str) -> dict[str, str]:
        # no bytecode for the copy of genmath, whose modules tests edit within a second: a .pyc is
        # trusted by the source's modification time (in seconds) and size
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(self.path), PYTHONDONTWRITEBYTECODE="1",
                   **extra)
        env.pop("GENMATH_REFRESH", None)
        env.update(extra)
        return env

    def build(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "mkdocs", "build", *args], cwd=self.path,
                              env=self.env(**env), capture_output=True, text=True, timeout=300)

    def prepare(self, **env: str) -> subprocess.CompletedProcess[str]:
        """Run only the pre-build step (python -m genmath.sitebuild) with this project's genmath copy."""
        return subprocess.run([sys.executable, "-m", "genmath.sitebuild", str(self.path)], cwd=self.path,
                              env=self.env(**env), capture_output=True, text=True, timeout=300)


EPOCH = "1700000000"


def build_site(dest: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A strict build of the real site into ``dest`` (SOURCE_DATE_EPOCH fixed)."""
    full_env = dict(os.environ, NO_MKDOCS_2_WARNING="1", SOURCE_DATE_EPOCH=EPOCH, **env)
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(dest)],
                          cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="session")
def project_built() -> dict[str, object]:
    """Waits for the controller's build of the site (pytest_sessionstart), which also fills the
    project's caches (snippets, trained networks, formulas, KaTeX) and writes its notebooks. A test
    that reads any of them asks for this fixture, so that it neither runs the snippets a second time
    nor reads a half-written cache. Without a shared build (one process): nothing to wait for."""
    status = os.environ.get("GENMATH_TEST_SITE_STATUS")
    if not status:
        return {"returncode": None}
    deadline = time.monotonic() + 1800
    while not Path(status).is_file():
        if time.monotonic() > deadline:
            pytest.fail("the shared build of the site did not end within 30 min")
        time.sleep(0.5)
    return json.loads(Path(status).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory, project_built: dict[str, object]) -> Path:
    """The strictly built site. GENMATH_TEST_SITE=<folder> reuses a site already built there."""
    if project_built["returncode"] not in (None, 0):
        pytest.fail(f"the strict build of the site failed:\n{project_built['output']}")
    if os.environ.get("GENMATH_TEST_SITE"):
        return Path(os.environ["GENMATH_TEST_SITE"])
    dest = tmp_path_factory.mktemp("site") / "site"
    result = build_site(dest)
    assert result.returncode == 0, result.stdout + result.stderr
    return dest


@pytest.fixture
def project(tmp_path: Path) -> MiniProject:
    return MiniProject(tmp_path / "proj")
