"""Build-time benchmark (``make bench``). Not a test: it measures and prints.

Works on a throw-away copy of the project (docs, snippets, genmath, mkdocs.yml) so the real cache
is untouched, and measures wall-clock seconds of ``mkdocs build`` for:

1. cold: empty cache, every snippet executes;
2. warm: nothing changed, nothing executes;
3. prose: after editing one chapter's prose;
4. module: after editing one genmath module (re-executes the snippets that import it);
5. floor: the same site with every snippet block replaced by a plain include of its cached output,
   quotes replaced by their values and math by its KaTeX HTML, built WITHOUT genmath's extension
   and hooks: MkDocs' own cost for the same pages.

Prints the ratios warm/floor (target <= 1.25) and cold/warm. Each warm-type measurement is the
median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def copy_project(dest: Path, *, warm_cache: bool = False) -> None:
    """Copy every input of the build to ``dest``; ``warm_cache`` also copies the snippet cache (its
    keys are content hashes, so the copy starts warm)."""
    for name in ("docs", "snippets", "genmath", "overrides", "notebooks", "formulas"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "katex"))
    for name in ("mkdocs.yml", "README.md"):
        shutil.copy(ROOT / name, dest / name)
    (dest / "node_modules").symlink_to(ROOT / "node_modules")
    if warm_cache and (ROOT / ".genmath-cache").is_dir():
        shutil.copytree(ROOT / ".genmath-cache", dest / ".genmath-cache",
                        ignore=shutil.ignore_patterns("mkdocs-jupyter", "notebooks"))


def build(project: Path, config: str = "mkdocs.yml") -> tuple[float, str]:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(project))
    env.pop("GENMATH_REFRESH", None)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", config], cwd=project,
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"build failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stderr


def median_build(project: Path, repeat: int, config: str = "mkdocs.yml") -> float:
    return statistics.median(build(project, config)[0] for _ in range(repeat))


def _prerender_math(site, chapter, lines: list[str]) -> list[str]:
    """Replace math by the KaTeX HTML the real build produces (from the KaTeX cache)."""
    from genmath.sitebuild.render import tex_for_katex
    from genmath.sitebuild.scan import INLINE_MATH_RE, display_blocks, mask_code

    labels = chapter.labels
    body_start = chapter.offset
    body = lines[body_start:]
    masked = mask_code(body)
    blocks = display_blocks(masked)
    for a, b in reversed(blocks):
        tex = "\n".join(body[a:b + 1]).strip()[2:-2]
        html = site.katex.render(tex_for_katex(tex, labels, True)[0], True)
        body[a:b + 1] = ["", f'<div class="genmath-math">{html}</div>', ""]
    masked = mask_code(body)
    for i, line in enumerate(body):
        spans = list(INLINE_MATH_RE.finditer(masked[i])) if i < len(masked) else []
        for m in reversed(spans):
            html = site.katex.render(tex_for_katex(line[m.start("tex"):m.end("tex")], labels, False)[0], False)
            line = line[:m.start()] + html + line[m.end():]
        body[i] = re.sub(r"\\eqref\{[^{}]*\}", "", line)
    return lines[:body_start] + body


def make_floor(project: Path) -> str:
    """Write floor/ pages (snippet blocks pre-rendered) and a config without genmath. Returns its name."""
    from genmath.sitebuild import site as site_mod
    from genmath.sitebuild.render import figure_html, snippet_block
    from genmath.sitebuild.scan import scan_file

    site = site_mod.prepare(site_mod.Config.from_options(project, {}))
    floor_docs = project / "floor_docs"
    shutil.copytree(project / "docs", floor_docs)
    for page in sorted((project / "docs").rglob("*.md")):
        chapter = scan_file(project / "docs", page)
        lines = page.read_text(encoding="utf-8").split("\n")
        directives = {d.line: d for d in chapter.directives}
        for q in sorted(chapter.quotes, key=lambda q: (q.line, -q.col)):
            line = lines[q.line - 1]
            # quotes were scanned on the body; columns are the same in the file line
            lines[q.line - 1] = line[:q.col] + site.quote(q.name, q.spec, q.in_math, None) + line[q.end:]
        lines = _prerender_math(site, chapter, lines)
        out: list[str] = []
        for i, line in enumerate(lines, start=1):
            d = directives.get(i)
            if d is None:
                out.append(line)
            elif d.kind == "figure":
                out += ["", figure_html(site.figures[d.target]), ""]
            else:
                include = floor_docs / "_includes" / (d.target.replace("/", "__") + ".md")
                include.parent.mkdir(parents=True, exist_ok=True)
                block = snippet_block(d, site.results[d.target], site.source(d.target), lambda h: h)
                include.write_text("\n".join(block), encoding="utf-8")
                out.append(f'--8<-- "{include.relative_to(project).as_posix()}"')
        (floor_docs / page.relative_to(project / "docs")).write_text("\n".join(out), encoding="utf-8")
    config = (project / "mkdocs.yml").read_text(encoding="utf-8")
    config = re.sub(r"\nhooks:\n(  - .*\n)+", "\n", config)
    config = re.sub(r"  - genmath\.sitebuild\.markdown:\n(      .*\n)+", "", config)
    config = "docs_dir: floor_docs\nsite_dir: floor_site\n" + config.replace(
        "nav:", "exclude_docs: |\n  _includes/\nnav:", 1)
    (project / "mkdocs.floor.yml").write_text(config, encoding="utf-8")
    return "mkdocs.floor.yml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--module", default="genmath/info.py", help="genmath module to edit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="genmath-bench-") as tmp:
        project = Path(tmp)
        copy_project(project)
        cold, log = build(project)
        cold_log = log
        executed = len(re.findall(r"\] executed\s", log))
        warm = median_build(project, args.repeat)

        page = max((project / "docs").glob("*.md"), key=lambda p: p.stat().st_size)
        page.write_text(page.read_text(encoding="utf-8") + "\nAn edited sentence of prose.\n", encoding="utf-8")
        prose, log = build(project)
        prose_exec = len(re.findall(r"\] executed\s", log))

        module = project / args.module
        module.write_text(module.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        edited, log = build(project)
        module_exec = len(re.findall(r"\] executed\s", log))

        floor_config = make_floor(project)
        try:
            floor: float | None = median_build(project, args.repeat, floor_config)
        except SystemExit as failed:  # the floor is an approximation (pre-rendered HTML fed to plain
            # MkDocs); Material's search plugin can trip on it. Report that and keep the other numbers.
            print(f"floor build failed (the floor is not the site; the site built above):\n{str(failed)[-600:]}")
            floor = None

    rows = [
        ("cold build (empty cache)", cold, f"{executed} snippets executed"),
        ("warm build (nothing changed)", warm, "0 executed"),
        (f"after editing prose of {page.name}", prose, f"{prose_exec} executed"),
        (f"after editing {args.module}", edited, f"{module_exec} executed"),
        ("floor (plain MkDocs, outputs included)", floor, "" if floor is not None else "failed, see above"),
    ]
    print(f"{'measurement':44} {'seconds':>8}  notes")
    for name, seconds, note in rows:
        print(f"{name:44} {seconds:8.2f}  {note}" if seconds is not None else f"{name:44} {'-':>8}  {note}")
    per_chapter: dict[str, list[float]] = {}
    for seconds, chapter in re.findall(r"executed\s+([\d.]+) s\s+snippets/([^/]+)/", cold_log):
        per_chapter.setdefault(chapter, []).append(float(seconds))
    print("cold snippet time per chapter (sum of per-snippet wall seconds, 2 in parallel; warm: 0):")
    for chapter, times in sorted(per_chapter.items()):
        print(f"  {chapter:12} {len(times):3d} snippets {sum(times):7.1f} s   slowest {max(times):5.1f} s")
    if floor is not None:
        print(f"warm/floor = {warm / floor:.2f}   (target <= 1.25)")
    print(f"cold/warm  = {cold / warm:.1f}")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
