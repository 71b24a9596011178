"""Material's search index, kept on disk per page: a build parses only the pages whose HTML changed.

Material for MkDocs' search plugin parses every page's HTML (``SearchIndex.add_entry_from_context``)
on every build and every ``mkdocs serve`` rebuild. KaTeX's markup makes the chapters 1-2 MB of HTML,
and the parse is about 11 of the 24 s of a warm ``mkdocs build`` (12 s without it). ``install`` wraps
that method: a page's entries are stored in ``<cache_dir>/search/<page>.json`` together with the
digest of everything they are computed from (the page's HTML, URL, title, table of contents and
search and tags metadata, Material's version, whether jieba is installed), and read back instead of
parsing while that digest is unchanged. One file per page, overwritten when the page changes, so the
folder does not grow; a file that cannot be read, or whose digest differs, is parsed again.

The entries are plain dicts of strings (and numbers), which Material writes with ``json.dumps``: an
entry read back writes the very bytes of a fresh one (tests/test_cache.py checks this).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

#: Bumped when what an entry depends on changes in a way the digest does not see.
FORMAT = 1


def _toc(items: Any) -> list[Any]:
    return [[item.id, item.url, str(item.title), _toc(item.children)] for item in items or ()]


def page_key(page: Any) -> str:
    """The digest of everything the search plugin reads from ``page``, and of the plugin itself."""
    try:
        import jieba  # noqa: F401 - Material segments Chinese text when it is installed
        segmenting = True
    except ImportError:
        segmenting = False
    from material import __version__ as material_version

    digest = hashlib.sha256()
    digest.update(hashlib.sha256(page.content.encode()).digest())  # hashed as it is: megabytes
    other = [FORMAT, material_version, segmenting, page.url, str(page.title), page.meta.get("title"),
             page.meta.get("search"), page.meta.get("tags"), _toc(page.toc)]
    digest.update(json.dumps(other, sort_keys=True, default=repr).encode())
    return digest.hexdigest()


def _file(folder: Path, page: Any) -> Path:
    return folder / f"{page.url.strip('/').replace('/', '__') or 'index'}.json"


def _read(path: Path, key: str) -> list[dict[str, Any]] | None:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key or not isinstance(stored.get("entries"), list):
        return None
    return stored["entries"]


def _write(path: Path, key: str, entries: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"key": key, "entries": entries}, out, separators=(",", ":"), default=str)  # as Material
    os.replace(tmp, path)  # atomic: a concurrent build reads the old file or the new one


def install(config: Any, folder: Path) -> None:
    """Wrap the search plugin's indexing of a page (``on_config``, after the plugin's own)."""
    for plugin in config.plugins.values():
        index = getattr(plugin, "search_index", None)
        if index is None or not hasattr(index, "add_entry_from_context") or not hasattr(index, "entries"):
            continue
        parse = index.add_entry_from_context

        def add(page: Any, parse: Any = parse, index: Any = index) -> None:
            if (page.meta.get("search") or {}).get("exclude"):
                return parse(page)  # (nothing to index, nothing to store)
            key, path = page_key(page), _file(folder, page)
            stored = _read(path, key)
            if stored is not None:
                index.entries.extend(stored)
                return None
            start = len(index.entries)
            parse(page)
            _write(path, key, index.entries[start:])
            return None

        index.add_entry_from_context = add
