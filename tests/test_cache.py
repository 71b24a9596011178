"""The snippet cache: warm builds execute nothing; edits re-execute exactly what depends on them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import MiniProject

from genmath.sitebuild.cache import Cache, key, versions


def _setup(project: MiniProject) -> None:
    project.write("genmath/dep_a.py", "def value():\n    return 1.5\n")
    project.write("genmath/dep_b.py", "def value():\n    return 2.5\n")
    project.write("snippets/c/a.py", """\
        from genmath.dep_a import value
        from genmath.snippet import publish
        publish("c.a.v", value())
        """)
    project.write("snippets/c/b.py", """\
        from genmath.snippet import publish
        def later():
            from genmath import dep_b  # imported inside a function: still a dependency
            return dep_b.value()
        publish("c.b.v", later())
        """)
    project.write("snippets/c/plain.py", "from genmath.snippet import publish\npublish('c.plain.v', 3)\n")
    project.write("docs/index.md", """\
        # Cache

        {{ snippet("c/a.py") }}

        {{ snippet("c/b.py") }}

        {{ snippet("c/plain.py") }}

        Values {{ c.a.v }}, {{ c.b.v }} and {{ c.plain.v }}.
        """)


def _executed(output: str) -> set[str]:
    return set(re.findall(r"executed\s+[\d.]+ s\s+snippets/(\S+)", output))


def _cached(output: str) -> int:
    """Cached snippets print no line of their own: the summary counts them."""
    return int(re.search(r"\d+ snippets: \d+ executed .*?, (\d+) cached", output).group(1))  # type: ignore[union-attr]


@pytest.mark.build
def test_cache_hits_and_precise_invalidation(project: MiniProject) -> None:
    _setup(project)
    everything = {"c/a.py", "c/b.py", "c/plain.py"}

    cold = project.prepare()
    assert cold.returncode == 0, cold.stderr
    assert _executed(cold.stderr) == everything

    warm = project.prepare()
    assert _executed(warm.stderr) == set() and _cached(warm.stderr) == len(everything)
    assert "cached" not in warm.stderr.replace("3 cached", ""), "one summary line, no line per cached snippet"
    assert "3 snippets: 0 executed" in warm.stderr

    # editing one genmath module re-executes exactly the snippets that import it
    project.write("genmath/dep_a.py", "def value():\n    return 1.75\n")
    assert _executed(project.prepare().stderr) == {"c/a.py"}
    project.write("genmath/dep_b.py", "def value():\n    return 2.75\n")
    assert _executed(project.prepare().stderr) == {"c/b.py"}

    # editing prose re-executes nothing
    page = project.path / "docs" / "index.md"
    page.write_text(page.read_text() + "\nMore prose, with a new sentence.\n")
    assert _executed(project.prepare().stderr) == set()

    # editing the snippet itself re-executes it
    snippet = project.path / "snippets" / "c" / "plain.py"
    snippet.write_text(snippet.read_text() + "# a comment\n")
    assert _executed(project.prepare().stderr) == {"c/plain.py"}

    # the switch forces re-execution
    refreshed = project.prepare(GENMATH_REFRESH="1")
    assert _executed(refreshed.stderr) == everything


@pytest.mark.build
@pytest.mark.parametrize("damage", ["truncate", "garbage", "checksum"])
def test_corrupt_entry_is_detected_and_recomputed(project: MiniProject, damage: str) -> None:
    _setup(project)
    assert project.prepare().returncode == 0
    entry = project.path / ".genmath-cache" / "snippets" / "c__a.py.json"
    text = entry.read_text()
    if damage == "truncate":
        entry.write_text(text[: len(text) // 2])
    elif damage == "garbage":
        entry.write_bytes(b"\x00\xff not json")
    else:
        data = json.loads(text)
        data["payload"] = data["payload"].replace("1.5", "99.0")  # tampered: checksum no longer matches
        entry.write_text(json.dumps(data))
    again = project.prepare()
    assert again.returncode == 0, again.stderr
    assert "cache entry for snippets/c/a.py is corrupt" in again.stderr
    assert _executed(again.stderr) == {"c/a.py"}
    assert json.loads(json.loads(entry.read_text())["payload"])["values"]["c.a.v"]["value"] == 1.5


def test_key_covers_source_dependencies_and_versions(tmp_path: Path) -> None:
    (tmp_path / "genmath").mkdir()
    dep = tmp_path / "genmath" / "m.py"
    dep.write_text("x = 1\n")
    k1 = key(b"print(1)", ["genmath/m.py"], tmp_path)
    assert k1 == key(b"print(1)", ["genmath/m.py"], tmp_path)
    assert k1 != key(b"print(2)", ["genmath/m.py"], tmp_path)
    dep.write_text("x = 2\n")
    assert k1 != key(b"print(1)", ["genmath/m.py"], tmp_path)
    assert key(b"print(1)", ["genmath/gone.py"], tmp_path) is None
    assert {"python", "numpy", "scipy", "matplotlib", "torch"} <= set(versions())


def test_failed_runs_are_not_cached(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache", tmp_path)
    assert cache.load("x/y.py", b"source") == (None, "miss")


@pytest.mark.build
def test_a_warm_build_writes_the_bytes_of_a_cold_one(project: MiniProject) -> None:
    """A snippet's results read back from the cache are the results of its run, in its own order:
    the page lists values in the order the snippet published them, cold or warm."""
    project.write("snippets/c/order.py", """\
        from genmath.snippet import publish, table
        publish("c.order.zeta", 0.25)
        publish("c.order.alpha", 0.5)
        publish("c.order.mid", 3)
        table(["k", "v"], [[2, 0.125], [1, 0.375]])
        """)
    project.write("docs/index.md", """\
        # Order

        {{ snippet("c/order.py") }}

        Values {{ c.order.zeta }}, {{ c.order.alpha }} and {{ c.order.mid }}.
        """)
    cold = project.build("--strict", "-d", "cold")
    assert cold.returncode == 0, cold.stderr
    assert "1 executed" in cold.stderr
    warm = project.build("--strict", "-d", "warm")
    assert warm.returncode == 0, warm.stderr
    assert "0 executed" in warm.stderr
    cold_html = (project.path / "cold" / "index.html").read_text(encoding="utf-8")
    warm_html = (project.path / "warm" / "index.html").read_text(encoding="utf-8")
    assert cold_html == warm_html
    names = [cold_html.index(f"c.order.{n}") for n in ("zeta", "alpha", "mid")]
    assert names == sorted(names), "values are listed in the order the snippet published them"


@pytest.mark.build
def test_search_entries_are_parsed_once_per_page_version_and_read_back_as_the_same_bytes(project: MiniProject) -> None:
    """Material's search plugin parses a page's HTML only when it changed (genmath.sitebuild.search_memo):
    an unchanged page's entries are read back from the cache and write the bytes a parse writes; an
    edited page is parsed again; a damaged entry is parsed again and replaced."""
    yml = project.path / "mkdocs.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("plugins: []", "plugins:\n  - search"), encoding="utf-8")
    project.write("docs/index.md", "# Home\n\nThe word aardvark.\n\n## Second\n\nMore $x^2$ text.\n")
    project.write("docs/other.md", "# Other\n\nThe word zebra.\n")
    memo = project.path / ".genmath-cache" / "search"

    def build(dest: str) -> tuple[bytes, dict[str, int]]:
        result = project.build("--strict", "-d", dest)
        assert result.returncode == 0, result.stderr
        stamps = {p.name: p.stat().st_mtime_ns for p in memo.glob("*.json")}
        return (project.path / dest / "search" / "search_index.json").read_bytes(), stamps

    parsed, first = build("one")
    assert set(first) == {"index.json", "other.json"}
    assert b"aardvark" in parsed and b"zebra" in parsed
    read_back, second = build("two")
    assert read_back == parsed, "entries read back write the bytes of a parse"
    assert second == first, "an unchanged page is not parsed (its entry is not rewritten)"

    (memo / "other.json").write_text('{"key": "0", "entr', encoding="utf-8")  # damaged
    project.write("docs/index.md", "# Home\n\nThe word armadillo.\n\n## Second\n\nMore $x^2$ text.\n")
    edited, third = build("three")
    assert b"armadillo" in edited and b"aardvark" not in edited and b"zebra" in edited
    assert third["index.json"] != first["index.json"], "the edited page is parsed again"
    assert json.loads((memo / "other.json").read_text(encoding="utf-8"))["entries"], "the damaged entry is replaced"
    assert edited.replace(b"armadillo", b"aardvark") == parsed
