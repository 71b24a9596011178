"""Thin MkDocs glue (``hooks:`` in mkdocs.yml). All machinery lives in genmath.sitebuild.

- on_startup: remember whether this is ``mkdocs build`` or ``mkdocs serve``.
- on_pre_build: copy KaTeX's assets; run the pre-build step (snippets, checks) over the pages MkDocs
  will build (``exclude_docs`` honoured); write the companion notebooks. All before MkDocs collects
  its files, so the generated files are part of this build. A failure aborts ``mkdocs build`` with
  the located message; under ``mkdocs serve`` it prints the same message and keeps the last good
  results, so the last good site stays served.
- on_page_markdown: tell the Markdown extension which chapter file it renders (for error lines,
  links to snippet files and the notebook links).
A successor that ignores hooks still builds: the extension then prepares the site itself.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from genmath.sitebuild import markdown as gm_markdown
from genmath.sitebuild import site
from genmath.sitebuild.errors import BuildError
from genmath.sitebuild.scan import split_front_matter

EXTENSION = "genmath.sitebuild.markdown"
log = logging.getLogger("mkdocs.plugins.genmath")
_STATE: dict[str, Any] = {"command": "build", "notebooks": set()}


def _config(config: Any) -> site.Config:
    options = dict(config["mdx_configs"].get(EXTENSION, {}))
    return site.Config.from_options(Path(config.config_file_path).parent, options)


def _repository(config: Any) -> str | None:
    repo = (config.get("extra") or {}).get("repository")
    return repo.rstrip("/") if repo else None


def on_startup(command: str, **_: Any) -> None:
    _STATE["command"] = command


def on_pre_build(config: Any, **_: Any) -> None:
    from mkdocs.structure.files import get_files

    prepared = _config(config)
    site.install_assets(prepared)
    prepared.pages = sorted(f.src_uri for f in get_files(config).documentation_pages())
    previous, site.CURRENT = site.CURRENT, None
    try:
        current = site.prepare(prepared)
    except BuildError as err:
        if _STATE["command"] != "serve" or previous is None:
            raise
        log.error(f"{err}\ngenmath: still serving the last good results; fix the error above to update")
        site.CURRENT = previous
        return
    repo = _repository(config)
    if repo:
        hosted = (config.get("extra") or {}).get("hosted_url") or config.site_url or "/"
        _STATE["notebooks"] = set(site.write_notebooks(current, site_url=hosted, repository=repo))


def on_page_markdown(markdown: str, page: Any, config: Any, **_: Any) -> str:
    text = Path(page.file.abs_src_path).read_text(encoding="utf-8")
    offset = split_front_matter(text)[2]
    repo = _repository(config)
    name = page.file.src_uri.removesuffix(".md")
    links = None
    if repo and name in _STATE["notebooks"]:
        up = "" if name == "index" else "../"
        links = (f'<p class="genmath-notebook-links">Companion notebook: '
                 f'<a href="{up}notebooks/{name}/">read it here</a> · '
                 f'<a href="{up}notebooks/{name}/{name}.ipynb" download>download (.ipynb)</a> · '
                 f'<a href="https://colab.research.google.com/github/{repo.split("github.com/")[-1]}'
                 f'/blob/main/notebooks/{name}.ipynb">open in Colab</a></p>')
    gm_markdown.set_page(page.file.src_uri, offset, f"{repo}/blob/main" if repo else None, links)
    return markdown


def on_page_content(html: str, page: Any, **_: Any) -> str:
    if page.file.src_uri.startswith("notebooks/"):
        # the notebook repeats its chapter's code: keep it out of the search index (and save
        # Material's search plugin from parsing every output)
        page.meta.setdefault("search", {"exclude": True})
    return html


def on_page_context(context: Any, page: Any, **_: Any) -> Any:
    if page.file.src_uri.startswith("notebooks/"):
        page.edit_url = None  # generated from snippets: edit the snippets, not the notebook
    return context
