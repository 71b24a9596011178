"""Shared fixtures: the project root, and small throw-away projects for build-machinery tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Filled by tests/test_formula_checks.py, printed at the end of the run.
FORMULA_STATS: dict[str, object] = {}


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    browser = sys.modules.get("test_browser")
    if browser is not None and browser.PAGE_TABLE:
        terminalreporter.write_sep("-", "page weight and speed (headless Chromium, local server)")
        terminalreporter.write_line(f"{'page':28} {'transferred':>12} {'DOMContentLoaded':>17}")
        for name, size, dcl in sorted(browser.PAGE_TABLE):
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
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(self.path), **extra)
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
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The strictly built site. GENMATH_TEST_SITE=<folder> reuses a site already built there."""
    if os.environ.get("GENMATH_TEST_SITE"):
        return Path(os.environ["GENMATH_TEST_SITE"])
    dest = tmp_path_factory.mktemp("site") / "site"
    result = build_site(dest)
    assert result.returncode == 0, result.stdout + result.stderr
    return dest


@pytest.fixture
def project(tmp_path: Path) -> MiniProject:
    return MiniProject(tmp_path / "proj")
