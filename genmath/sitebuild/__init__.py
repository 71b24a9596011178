"""Build machinery of the genmath site, independent of MkDocs.

- ``scan``      -- read a chapter: snippet and figure directives, value quotes, math, labels (with lines)
- ``values``    -- format a published value for prose or for math
- ``child``     -- runs ONE snippet in a fresh process and records what it published
- ``zygote``    -- a warm parent (numpy, scipy, matplotlib, torch imported once) that forks each child
- ``runner``    -- runs snippets in parallel with timeouts, through the cache (one zygote per core)
- ``cache``     -- on-disk cache keyed on snippet source, imported genmath sources and versions
- ``katex``     -- LaTeX to HTML with KaTeX (node), cached
- ``render``    -- HTML/Markdown for snippet blocks, figures and tables
- ``site``      -- ``prepare()``: the pre-build step over all chapters (its CHECKS); located BuildErrors
- ``project``   -- the extension's own state: a prepared Site per project, again when a file changed
- ``markdown``  -- the Python-Markdown extension (``genmath.sitebuild.markdown``)
- ``hosting``   -- the one hosting setting (the GitHub repository) and every URL derived from it
- ``lint``      -- finds hand-typed results in chapters
- ``notebooks`` -- companion notebooks generated from each chapter's snippets
- ``formulas``  -- checks labelled display formulas against genmath (used by the tests)
- ``mkdocs_hooks`` -- the thin MkDocs glue (``hooks:`` in mkdocs.yml)
- ``mkdocs_serve`` -- ``mkdocs serve``: never hangs, keeps the last good pages, converts only what changed
- ``search_memo`` -- Material's search entries per page, on disk: only pages whose HTML changed are parsed
- ``__main__``  -- ``python -m genmath.sitebuild [--chapter NAME]``: the pre-build step alone (``make check``)

This package deliberately imports nothing at import time: ``genmath.sitebuild.child`` is imported by
every snippet run (the snippet cache keys on the genmath modules a run imports, this package excepted).
"""
