"""Thin MkDocs glue (``hooks:`` in mkdocs.yml). All machinery lives in genmath.build.

- on_startup: remember whether this is ``mkdocs build`` or ``mkdocs serve``.
- on_pre_build: copy KaTeX's CSS and fonts into docs/assets/katex (before files are collected).
- on_files: run the pre-build step (snippets, checks) before any page renders, on every build and
  every ``mkdocs serve`` rebuild, over the pages MkDocs will build (``exclude_docs`` honoured).
  A failure aborts ``mkdocs build`` with the located message. Under ``mkdocs serve`` it prints the
  same message and keeps the last good results, so the last good site stays served.
- on_page_markdown: tell the Markdown extension which chapter file it renders (for error lines and
  links to snippet files).
A successor that ignores hooks still builds: the extension then prepares the site itself.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from genmath.build import markdown as gm_markdown
from genmath.build import site
from genmath.build.errors import BuildError
from genmath.build.scan import split_front_matter

EXTENSION = "genmath.build.markdown"
log = logging.getLogger("mkdocs.plugins.genmath")
_COMMAND = {"name": "build"}


def on_startup(command: str, **_: Any) -> None:
    _COMMAND["name"] = command


def _config(config: Any) -> site.Config:
    options = dict(config["mdx_configs"].get(EXTENSION, {}))
    return site.Config.from_options(Path(config.config_file_path).parent, options)


def on_pre_build(config: Any, **_: Any) -> None:
    site.install_assets(_config(config))  # before MkDocs collects the files it will copy


def on_files(files: Any, config: Any, **_: Any) -> Any:
    prepared = _config(config)
    prepared.pages = sorted(f.src_uri for f in files.documentation_pages())  # honours exclude_docs
    previous, site.CURRENT = site.CURRENT, None
    try:
        site.prepare(prepared)
    except BuildError as err:
        if _COMMAND["name"] != "serve" or previous is None:
            raise
        log.error(f"{err}\ngenmath: still serving the last good results; fix the error above to update")
        site.CURRENT = previous
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, **_: Any) -> str:
    text = Path(page.file.abs_src_path).read_text(encoding="utf-8")
    offset = split_front_matter(text)[2]
    repo = (config.get("extra") or {}).get("repository")
    gm_markdown.set_page(page.file.src_uri, offset, f"{repo.rstrip('/')}/blob/main" if repo else None)
    return markdown
