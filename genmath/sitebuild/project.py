"""What the Markdown extension keeps for one project, across the pages of a build and across builds.

Python-Markdown drivers (MkDocs, its successor) make a new extension instance for every page, so the
state pages share lives here instead: one Project per project folder and extension options, for the
life of the process.

- ``site()``: the Site for the files on disk now. It runs the pre-build step when none ran yet or
  when a chapter, snippet, formula check or genmath source changed since (one ``stat`` per file),
  so the extension needs no driver to tell it anything, and the pages of one build share one Site.
- ``prepare(pages)``: the pre-build step now, over these pages (the MkDocs glue calls it before
  MkDocs collects its files, so a failure stops a build before any page is written).
- ``site`` keeps the last Site that prepared without errors.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from genmath.sitebuild.site import Config, Site, prepare

_OPEN: dict[tuple[object, ...], Project] = {}


class Project:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.last_good: Site | None = None
        self._stamp: tuple[object, ...] | None = None

    @classmethod
    def open(cls, config: Config) -> Project:
        """The Project for this configuration (the same object for every page of every build)."""
        key = (config.root, config.docs_dir, config.snippets_dir, config.formulas_dir, config.cache_dir,
               config.timeout, config.workers, config.refresh)
        if key not in _OPEN:
            _OPEN[key] = cls(config)
        return _OPEN[key]

    def prepare(self, pages: list[str] | None = None) -> Site:
        """Run the pre-build step over ``pages`` (relative to docs/; None: every chapter)."""
        self.config = replace(self.config, pages=pages)
        stamp = self._inputs()
        site = prepare(self.config, previous=self.last_good)
        self.last_good, self._stamp = site, stamp
        return site

    def site(self) -> Site:
        """The prepared Site, prepared again first if any input changed since."""
        if self.last_good is None or self._stamp != self._inputs():
            return self.prepare(self.config.pages)
        return self.last_good

    def _inputs(self) -> tuple[object, ...]:
        """Size and modification time of every chapter, snippet, formula check and genmath source, and
        the page list."""
        files: list[tuple[str, int, int]] = []
        for folder, pattern in ((self.config.docs_dir, "*.md"), (self.config.snippets_dir, "*"),
                                (self.config.formulas_dir, "*.py"), (self.config.root / "genmath", "*.py")):
            for path in sorted(folder.rglob(pattern)) if folder.is_dir() else []:
                try:
                    st = path.stat()
                except OSError:  # removed while we looked: the next look sees the change
                    continue
                files.append((str(path), st.st_size, st.st_mtime_ns))
        return (tuple(self.config.pages or ()), tuple(files))


def project_for(root: Path, options: dict[str, object]) -> Project:
    """The Project of the extension configured with ``options`` in the folder ``root``."""
    return Project.open(Config.from_options(root, options))
