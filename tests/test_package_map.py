"""The module map in genmath/__init__.py names every module and package of genmath, and nothing else."""

from __future__ import annotations

import re

import genmath
from conftest import ROOT


def test_the_module_map_lists_every_module_and_package() -> None:
    folder = ROOT / "genmath"
    present = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    present |= {p.parent.name for p in folder.glob("*/__init__.py")}
    listed = set(re.findall(r"^- ``genmath\.(\w+)``", genmath.__doc__ or "", re.MULTILINE))
    assert listed == present, (f"missing from the map: {sorted(present - listed)}; "
                               f"listed but absent: {sorted(listed - present)}")


def test_no_build_output_names_and_no_leftover_files() -> None:
    """The machinery is not called `build` (ignored as build output by common templates); no READY file."""
    assert not list((ROOT / "genmath" / "build").glob("*.py"))  # a stale __pycache__ may remain
    assert (ROOT / "genmath" / "sitebuild" / "__init__.py").is_file()
    assert not (ROOT / "READY").exists()


def test_no_name_is_exported_twice() -> None:
    """A name listed twice in ``_EXPORTS`` silently resolves to the later module (a dict literal
    keeps its last key): two modules' ``FDivergence`` once shadowed each other that way."""
    import ast

    tree = ast.parse((ROOT / "genmath" / "__init__.py").read_text(encoding="utf-8"))
    keys = [k.value for node in ast.walk(tree) if isinstance(node, ast.AnnAssign | ast.Assign)
            and isinstance(node.value, ast.Dict)
            and any(isinstance(t, ast.Name) and t.id == "_EXPORTS"
                    for t in ([node.target] if isinstance(node, ast.AnnAssign) else node.targets))
            for k in node.value.keys if isinstance(k, ast.Constant)]
    assert len(keys) > 50
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []
