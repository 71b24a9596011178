"""``mkdocs serve`` that never hangs, never serves a page it knows is wrong, and redoes only what changed.

MkDocs' live-reload server makes every request wait until the rebuild in progress has succeeded, so
after a failed rebuild every request waits until a later one succeeds; and a rebuild that fails
after MkDocs cleaned the site folder leaves half a site behind. A LiveSession (started by the glue's
``on_startup`` for ``mkdocs serve``, given the server by ``on_serve``) changes three things:

- every rebuild writes a fresh folder, and only a rebuild that succeeded becomes the served one, so
  a failed rebuild leaves all the last good pages served;
- the server's rebuild function is wrapped: a failure is reported (MkDocs has already printed the
  located message, once) and the server goes on answering;
- a page whose inputs did not change (its Markdown after every plugin, the digest of its snippets,
  values and equation numbers from ``Site.page_inputs``, the Markdown options and the list of pages)
  is not converted again, and a notebook whose inputs did not change is not generated again: a
  prose edit converts one page. (A page whose HTML did not change is not parsed for the search
  index again, in every build: genmath.sitebuild.search_memo.)
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.plugins.genmath")


def _digest(*parts: Any) -> str:
    digest = hashlib.sha256()
    for part in parts:  # a page's HTML is hashed as it is (json.dumps would first escape megabytes)
        data = part.encode() if isinstance(part, str) else json.dumps(part, sort_keys=True, default=repr).encode()
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def _template_cache() -> Any:
    """A Jinja bytecode cache in memory: MkDocs makes a new template environment for every rebuild,
    and compiling the theme's templates again each time costs a few tenths of a second. Jinja keys an
    entry on the template's name and checks its source checksum, so an edited override is recompiled."""
    from jinja2 import BytecodeCache

    class MemoryBytecodeCache(BytecodeCache):
        def __init__(self) -> None:
            self.store: dict[str, bytes] = {}

        def load_bytecode(self, bucket: Any) -> None:
            if bucket.key in self.store:
                bucket.bytecode_from_string(self.store[bucket.key])

        def dump_bytecode(self, bucket: Any) -> None:
            self.store[bucket.key] = bucket.bytecode_to_string()

    return MemoryBytecodeCache()


class LiveSession:
    def __init__(self, *, dirty: bool = False) -> None:
        self.dirty = dirty  # `mkdocs serve --dirty` writes only changed pages: into the served folder
        self.server: Any = None  # the live-reload server, once serving (after the first build)
        self.builder: Any = None  # MkDocs' rebuild function
        self.building: Path | None = None  # the folder the rebuild in progress writes
        self.previous: Path | None = None  # the folder served before the last switch (see publish)
        self.pages: dict[str, tuple[str, dict[str, Any]]] = {}  # src_uri -> (inputs, render results)
        self.notebooks: dict[str, str] = {}  # chapter -> digest of its notebook's inputs (write_notebooks)
        self.templates = _template_cache()  # the theme's compiled templates (the hooks' on_env)

    def attach(self, server: Any, builder: Any) -> None:
        """``on_serve``: rebuilds go through ``rebuild``; error pages come from the served folder."""
        self.server, self.builder = server, builder
        server.builder = self.rebuild
        server.error_handler = self.error_page

    # -- the rebuild ------------------------------------------------------------------------------

    def rebuild(self) -> None:
        """MkDocs' rebuild, which never raises: the served folder is switched only on success."""
        try:
            self.builder()
        except BaseException as exc:  # whatever failed, the server must go on answering
            from mkdocs.exceptions import Abort, BuildError

            if isinstance(exc, KeyboardInterrupt):
                raise
            if not isinstance(exc, (Abort, BuildError)):  # not a located error: say what it was
                log.error(f"genmath: the rebuild failed: {type(exc).__name__}: {exc} "
                          f"(`mkdocs serve -v` shows the traceback)")
                log.debug("the rebuild's traceback", exc_info=exc)
            log.error("genmath: NOT UPDATED - still serving the last good pages; "
                      "fix the error above and save")

    def begin(self, config: Any) -> None:
        """``on_config``: a rebuild writes a fresh folder."""
        if self.server is not None and not self.dirty:  # the first build writes MkDocs' own folder
            self.building = Path(tempfile.mkdtemp(prefix="genmath-serve-"))
            config.site_dir = str(self.building)

    def publish(self) -> None:
        """``on_post_build``: serve what this rebuild wrote.

        The folder served before is removed one switch later: a request that arrived during this
        rebuild has already joined its path and still finds the (consistent) previous site.
        """
        if self.building is None or self.server is None:
            return
        if self.previous is not None:
            shutil.rmtree(self.previous, ignore_errors=True)
        self.previous, self.server.root = Path(self.server.root), str(self.building)
        self.building = None

    def discard(self) -> None:
        """``on_build_error``: forget what the failed rebuild wrote."""
        if self.building is not None:
            shutil.rmtree(self.building, ignore_errors=True)
            self.building = None

    def close(self) -> None:
        """``on_shutdown``: remove the folders this session made (MkDocs removes its own)."""
        served = Path(self.server.root) if self.server is not None else None
        for folder in (self.building, self.previous, served):
            if folder is not None and folder.name.startswith("genmath-serve-"):
                shutil.rmtree(folder, ignore_errors=True)

    def error_page(self, code: int) -> bytes | None:
        page = Path(self.server.root) / f"{code}.html"
        return page.read_bytes() if code in (404, 500) and page.is_file() else None

    # -- converting only what changed -------------------------------------------------------------

    def memoize_render(self, page: Any, markdown: str, config: Any, files: Any, inputs: str | None) -> None:
        """``on_page_markdown``: reuse the last conversion of ``page`` when none of its inputs changed."""
        if inputs is None:  # not a chapter the Site knows (a notebook page, an include): convert
            return
        uri = page.file.src_uri
        key = _digest(markdown, uri, inputs, config["mdx_configs"], config["markdown_extensions"],
                      sorted(f.src_uri for f in files.documentation_pages()), config["use_directory_urls"])
        convert = page.render
        saved = self.pages.get(uri)

        def render(config: Any, files: Any) -> None:
            if saved is not None and saved[0] == key:
                _restore(page, saved[1], files)
                return
            convert(config, files)
            self.pages[uri] = (key, _save(page))

        page.render = render


def _save(page: Any) -> dict[str, Any]:
    links = page.links_to_anchors or {}
    return {"content": page.content, "toc": page.toc, "title": page._title_from_render,
            "anchors": set(page.present_anchor_ids or ()),
            "links": {f.src_uri: dict(v) for f, v in links.items()}}


def _restore(page: Any, saved: dict[str, Any], files: Any) -> None:
    page.content = saved["content"]
    page.toc = saved["toc"]
    page._title_from_render = saved["title"]
    page.present_anchor_ids = set(saved["anchors"])
    targets = {uri: files.get_file_from_path(uri) for uri in saved["links"]}
    page.links_to_anchors = {f: dict(saved["links"][uri]) for uri, f in targets.items() if f is not None}
