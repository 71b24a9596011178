"""Every labelled display formula in docs/ is checked against genmath (tests/formulas/<chapter>.py).

Also proves the mechanism bites: a flipped sign and a wrong factor in each checked formula fail,
with a message naming the chapter file, the line and the formula id.
"""

from __future__ import annotations

import importlib.util
import re

import pytest
from conftest import ROOT

from genmath.sitebuild.formulas import Check, FormulaCheckError, mutations, verify
from genmath.sitebuild.scan import scan_file

DOCS = ROOT / "docs"
CHAPTERS = [scan_file(DOCS, p) for p in sorted(DOCS.rglob("*.md"))]
# chapters whose checks have moved to formulas/<chapter>.py are checked by tests/test_formulas.py
MOVED = {p.stem for p in (ROOT / "formulas").glob("*.py")}
DISPLAY = [(c.path, m.line, m.label, m.tex) for c in CHAPTERS for m in c.maths
           if m.display and c.path.removesuffix(".md") not in MOVED and m.exempt is None]
LABELLED = [f for f in DISPLAY if f[2]]


def _load_checks() -> dict[str, Check]:
    checks: dict[str, Check] = {}
    for path in sorted((ROOT / "tests" / "formulas").glob("*.py")):
        if path.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"formula_checks_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for label, check in getattr(module, "CHECKS", {}).items():
            assert label not in checks, f"formula id {label!r} has checks in two files"
            checks[label] = check
    return checks


CHECKS = _load_checks()


def _where(chapter: str, line: int, label: str) -> str:
    return f"docs/{chapter}:{line} formula '{label}'"


@pytest.mark.parametrize("chapter,line,label,tex", LABELLED, ids=[f[2] for f in LABELLED])
def test_formula_matches_genmath(chapter: str, line: int, label: str, tex: str) -> None:
    check = CHECKS.get(label)
    if check is None:
        pytest.fail(f"{_where(chapter, line, label)} has no check: add it to tests/formulas/")
    assert verify(tex, check, where=_where(chapter, line, label)) > 0


@pytest.mark.parametrize("chapter,line,label,tex", LABELLED, ids=[f[2] for f in LABELLED])
def test_wrong_formula_fails_with_location(chapter: str, line: int, label: str, tex: str) -> None:
    check = CHECKS.get(label)
    if check is None:
        pytest.skip("no check (reported by test_formula_matches_genmath)")
    for wrong in mutations(tex):
        with pytest.raises(FormulaCheckError, match=re.escape(_where(chapter, line, label))):
            verify(wrong, check, where=_where(chapter, line, label))


def test_every_check_has_its_formula() -> None:
    labels = {f[2] for f in LABELLED}
    orphans = sorted(set(CHECKS) - labels)
    assert not orphans, f"checks without a labelled formula in docs/: {orphans}"
