"""Thin MkDocs glue (``hooks:`` in mkdocs.yml). The machinery is genmath.sitebuild, and the Markdown
extension renders every chapter without any of this (it keeps its own state: genmath.sitebuild.project).

- on_config: every repository URL and the site URL from the one hosting setting (genmath.sitebuild.hosting);
  the extension's project folder and snippet-file URL as its options; the search index parses only
  the pages whose HTML changed (genmath.sitebuild.search_memo).
- on_pre_build: KaTeX's assets; the pre-build step over the pages MkDocs will build (``exclude_docs``
  honoured), before MkDocs cleans or writes anything, so a failure stops the build with its located
  message and writes nothing; the companion notebooks (the rendered copies into the cache, outside
  the watched folders).
- on_files: the rendered notebooks become the pages ``notebooks/<chapter>.ipynb`` (for mkdocs-jupyter).
- on_page_content: notebook links under each chapter's title; equation anchors made known to
  MkDocs' link check; notebook pages out of the search index.
- on_page_context: no edit button on generated notebook pages.
- on_startup, on_serve and the build events: ``mkdocs serve`` keeps serving the last good pages and
  converts only the pages whose inputs changed (genmath.sitebuild.mkdocs_serve).
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.toc import AnchorLink

from genmath.sitebuild import search_memo, site
from genmath.sitebuild.hosting import Hosting
from genmath.sitebuild.markdown import PROJECT_OPTIONS
from genmath.sitebuild.mkdocs_serve import LiveSession
from genmath.sitebuild.project import Project, project_for

EXTENSION = "genmath.sitebuild.markdown"
NOTEBOOKS = "notebooks"  # pages notebooks/<chapter>.ipynb, rendered by mkdocs-jupyter
_ANCHOR_RE = re.compile(r'<div class="genmath-math[^"]*" id="(eq-[^"]+)"')

# A rebuild prints a few lines, not one per notebook: mkdocs-jupyter's "Cache hit", "Copied jupyter
# file" and "Converting notebook" lines go below INFO.
for _name in ("mkdocs.plugins.mkdocs_jupyter", "mkdocs.mkdocs-jupyter"):
    logging.getLogger(_name).setLevel(logging.WARNING)

#: The `mkdocs serve` session (None under `mkdocs build`), from on_startup to on_shutdown.
_live: LiveSession | None = None


def on_startup(command: str, dirty: bool = False, **_: Any) -> None:
    global _live
    _live = LiveSession(dirty=dirty) if command == "serve" else None
    if _live is not None:
        # imports during a rebuild (formula check files, genmath modules) must not write __pycache__
        # into the watched folders: that would start a second rebuild
        sys.dont_write_bytecode = True


def _project(config: Any) -> Project:
    options = config["mdx_configs"].get(EXTENSION, {})
    return project_for(Path(config.config_file_path).parent, {k: options[k] for k in PROJECT_OPTIONS
                                                              if k in options})


def _hosting(config: Any) -> Hosting | None:
    """The hosting setting (None: not set, and the site has no repository links)."""
    from mkdocs.exceptions import PluginError

    value = (config.get("extra") or {}).get("repository")
    try:
        return Hosting.parse(value) if value else None
    except ValueError as exc:
        raise PluginError(f"genmath: {exc}") from None


def _notebooks(config: Any) -> Hosting | None:
    """The hosting when the site has companion notebooks: they need mkdocs-jupyter (to render them)
    and a repository (Colab, install cell)."""
    hosting = _hosting(config)
    return hosting if hosting is not None and "mkdocs-jupyter" in config.plugins else None


def on_config(config: Any, **_: Any) -> Any:
    hosting = _hosting(config)
    options = config["mdx_configs"].setdefault(EXTENSION, {})
    options["root"] = str(Path(config.config_file_path).parent)
    if hosting is not None:
        config.edit_uri = hosting.edit_uri
        if not config.site_url:  # GENMATH_SITE_URL (mkdocs.yml) and `mkdocs serve` set their own
            config.site_url = hosting.site_url
        options["source_url"] = hosting.files_url
    # a page's search entries are parsed from its HTML only when it changed (genmath.sitebuild.search_memo)
    search_memo.install(config, _project(config).config.cache_dir / "search")
    if _live is not None:
        _live.begin(config)
    return config


def on_env(env: Any, **_: Any) -> Any:
    """``mkdocs serve``: the theme's templates are compiled once, not on every rebuild."""
    if _live is not None:
        env.bytecode_cache = _live.templates
    return env


def on_pre_build(config: Any, **_: Any) -> None:
    from mkdocs.structure.files import get_files

    project = _project(config)
    site.install_assets(project.config)
    current = project.prepare(sorted(f.src_uri for f in get_files(config).documentation_pages()))
    hosting = _notebooks(config)
    if hosting is not None:
        site.write_notebooks(current, site_url=hosting.site_url, repository=hosting.url,
                             memo=_live.notebooks if _live is not None else None)


@event_priority(100)  # before mkdocs-jupyter turns notebook files into pages
def on_files(files: Files, config: Any, **_: Any) -> Files:
    if not _notebooks(config):
        return files
    project = _project(config)
    for name in _notebook_chapters(project):
        uri = f"{NOTEBOOKS}/{name}.ipynb"
        stale = files.get_file_from_path(uri)  # e.g. docs/notebooks/, where older builds wrote them
        if stale is not None:
            files.remove(stale)
        # a plain File whose source folder is the cache, <cache>/notebooks/<chapter>.ipynb
        # (mkdocs-jupyter's wrapper cannot read a File.generated one)
        assert site.rendered_notebook(project.config, name) == project.config.cache_dir / uri
        files.append(File(uri, src_dir=str(project.config.cache_dir), dest_dir=config.site_dir,
                          use_directory_urls=config.use_directory_urls))
    return files


def _notebook_chapters(project: Project) -> list[str]:
    from genmath.sitebuild.notebooks import has_notebook

    current = project.last_good
    if current is None:
        return []
    return [c.path.removesuffix(".md") for c in current.chapters.values() if has_notebook(c)]


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files, **_: Any) -> str:
    current = _project(config).last_good
    if _live is not None and current is not None:
        _live.memoize_render(page, markdown, config, files, current.page_inputs(page.file.src_uri))
    return markdown


def on_page_content(html: str, page: Any, config: Any, **_: Any) -> str:
    uri = page.file.src_uri
    if uri.startswith(f"{NOTEBOOKS}/"):
        # the notebook repeats its chapter's code: keep it out of the search index (and save
        # Material's search plugin from parsing every output)
        page.meta.setdefault("search", {"exclude": True})
        return html
    # equation anchors are written after MkDocs collected the page's anchors: add them for its link check
    page.present_anchor_ids = set(page.present_anchor_ids or ()) | set(_ANCHOR_RE.findall(html))
    name = uri.removesuffix(".md")
    hosting = _notebooks(config)
    if hosting is not None and name in _notebook_chapters(_project(config)):
        links = _notebook_links(name, uri, hosting)
        html = html.replace("</h1>", "</h1>\n" + links, 1)
        # a last section, listed in the page's table of contents under the chapter's own headings
        html += ('\n<h2 id="companion-notebook">Companion notebook</h2>\n'
                 + links.replace("Companion notebook: ", "Every snippet of this chapter, in page order, "
                                 "with its full-precision output: "))
        _add_to_toc(page.toc, AnchorLink("Companion notebook", "companion-notebook", 2))
    return html


def _add_to_toc(toc: Any, link: AnchorLink) -> None:
    """Append ``link`` under the page's title (or at the top level without one), once: a page whose
    conversion the live session reuses keeps its table of contents object."""
    items = toc.items[0].children if toc.items and toc.items[0].level == 1 else toc.items
    if all(item.id != link.id for item in items):
        items.append(link)


def _notebook_links(name: str, uri: str, hosting: Hosting) -> str:
    up = "../" * uri.count("/") + ("" if name == "index" else "../")
    return (f'<p class="genmath-notebook-links">Companion notebook: '
            f'<a href="{up}{NOTEBOOKS}/{name}/">read it here</a> · '
            f'<a href="{up}{NOTEBOOKS}/{name}/{name}.ipynb" download>download (.ipynb)</a> · '
            f'<a href="{hosting.colab(f"notebooks/{name}.ipynb")}">open in Colab</a></p>')


def on_page_context(context: Any, page: Any, **_: Any) -> Any:
    if page.file.src_uri.startswith(f"{NOTEBOOKS}/"):
        page.edit_url = None  # generated from snippets: edit the snippets, not the notebook
    return context


def on_serve(server: Any, builder: Any, **_: Any) -> Any:
    if _live is not None:
        _live.attach(server, builder)
    return server


def on_post_build(**_: Any) -> None:
    if _live is not None:
        _live.publish()


def on_build_error(**_: Any) -> None:
    if _live is not None:
        _live.discard()


def on_shutdown(**_: Any) -> None:
    if _live is not None:
        _live.close()
