"""genmath.formulas: every display formula on the site, checked by value.

- ``notation`` -- the site's notation in one place: KaTeX macros and what each operator means
- ``tex``      -- reads a formula's LaTeX into a tree (with the source span of every node)
- ``evaluate`` -- gives the tree its meaning at one point of a check's scope
- ``objects``  -- what checks supply: distributions, models of named variables, domains (references)
- ``check``    -- ``Check`` and ``verify``: all relations of a formula at random points
- ``mutate``   -- realistic wrong edits of a formula, and sympy's verdict on equivalence
- ``report``   -- the mutation test over the chapters
- ``run``      -- every display formula of the chapters: status, exemptions, cache, the command line

Checks live in ``formulas/<chapter>.py`` (``CHECKS = {label: Check(values)}``). Public names load
lazily (PEP 562), so the site build can read ``notation`` without importing numpy or scipy.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "Check": "check", "FormulaCheckError": "check", "verify": "check",
    "JOINT": "evaluate", "LAW": "evaluate", "Eye": "evaluate", "Function": "evaluate", "Indexed": "evaluate",
    "Lazy": "evaluate", "Seq": "evaluate", "DOMAINS": "evaluate",
    "MVN": "objects", "IID": "objects", "Bayes1D": "objects", "Bernoulli": "objects", "Density": "objects",
    "Discrete": "objects", "Domain": "objects", "Finite": "objects", "GaussianModel": "objects",
    "Mixture": "objects", "MonteCarlo": "objects", "Normal": "objects", "Reals": "objects", "Table": "objects",
    "Tol": "objects", "argmax": "objects",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'genmath.formulas' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"genmath.formulas.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
