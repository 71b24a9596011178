"""``python -m genmath.sitebuild``: run the pre-build step alone (all snippets, all checks).

Useful without MkDocs (or with a successor that ignores MkDocs hooks) and to warm the cache.

``--chapter kl`` (repeatable; ``make check CHAPTER=kl``) is the contributor's inner loop: every
snippet still runs through the cache (a chapter may quote any value), but the checks (value names,
format specs, units, labels, TeX) and the number lint look at that chapter only. Its formulas are
left to ``python -m genmath.formulas docs/kl.md``, which ``make check`` runs next (one report each).

Exit code 1 and the located messages on failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from genmath.sitebuild.errors import BuildError
from genmath.sitebuild.site import Config, Site, prepare


def _chapter_path(name: str) -> str:
    """``kl``, ``kl.md`` or ``docs/kl.md`` -> ``kl.md`` (relative to docs/)."""
    name = name.removeprefix("docs/")
    return name if name.endswith(".md") else f"{name}.md"


def _lint(site: Site, paths: list[str]) -> list[str]:
    from genmath.sitebuild.lint import bad_allow_entries, hand_typed_numbers

    found: list[str] = []
    for path in paths:
        chapter = site.chapters[path]
        found += [f"genmath: docs/{f.chapter}:{f.line}: hand-typed number {f.number} (quote it from a "
                  f"snippet, or list it under numbers_allowed in the front matter with its reason)"
                  for f in hand_typed_numbers(chapter)]
        found += [f"genmath: {entry}" for entry in bad_allow_entries(chapter)]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m genmath.sitebuild", description=__doc__.split("\n")[0])
    parser.add_argument("root", nargs="?", type=Path, default=Path.cwd(), help="the project folder")
    parser.add_argument("--chapter", action="append", default=[], metavar="NAME",
                        help="check only this chapter (kl, kl.md or docs/kl.md), with the number lint")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    focus = [_chapter_path(c) for c in args.chapter] or None
    try:
        skip = ("formulas",) if focus else ()  # make check: python -m genmath.formulas reports them
        site = prepare(Config.from_options(args.root, {}), focus=focus, skip=skip)
    except BuildError as err:
        print(str(err), file=sys.stderr)
        return 1
    if focus is None:
        return 0
    problems = _lint(site, focus)
    for problem in problems:
        print(problem, file=sys.stderr)
    chapters = [site.chapters[p] for p in focus]
    quotes = sum(len(c.quotes) for c in chapters)
    maths = sum(len(c.maths) for c in chapters)
    snippets = len({d.target for c in chapters for d in c.directives if d.kind == "snippet"})
    verdict = f"{len(problems)} problem(s)" if problems else "OK"
    print(f"genmath: {', '.join('docs/' + p for p in focus)}: {snippets} snippets, {quotes} quotes, "
          f"{maths} TeX spans, number lint: {verdict} ({time.perf_counter() - start:.1f} s)",
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
