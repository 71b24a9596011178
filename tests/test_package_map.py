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
