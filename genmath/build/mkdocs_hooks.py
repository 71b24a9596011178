"""Thin MkDocs glue (``hooks:`` in mkdocs.yml). All machinery lives in genmath.build.

- on_files: run the pre-build step (snippets, checks) before any page renders, on every build
  and every ``mkdocs serve`` rebuild; a failure aborts this build with the located message, and
  ``mkdocs serve`` keeps serving the last good site.
- on_page_markdown: tell the Markdown extension which chapter file it renders (for error lines and
  links to snippet files).
A successor that ignores hooks still builds: the extension then prepares the site itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genmath.build import markdown as gm_markdown
from genmath.build import site
from genmath.build.scan import split_front_matter

EXTENSION = "genmath.build.markdown"


def on_files(files: Any, config: Any, **_: Any) -> Any:
    options = dict(config["mdx_configs"].get(EXTENSION, {}))
    site.CURRENT = None
    prepared = site.Config.from_options(Path(config.config_file_path).parent, options)
    prepared.pages = sorted(f.src_uri for f in files.documentation_pages())  # honours exclude_docs
    site.prepare(prepared)
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, **_: Any) -> str:
    text = Path(page.file.abs_src_path).read_text(encoding="utf-8")
    _, _, offset = split_front_matter(text)
    repo = (config.get("extra") or {}).get("repository")
    gm_markdown.set_page(page.file.src_uri, offset, f"{repo.rstrip('/')}/blob/main" if repo else None)
    return markdown
