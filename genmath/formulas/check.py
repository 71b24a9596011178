r"""A formula check: the objects a formula talks about, at random points, and the verdict.

A check is registered under a formula's ``\label`` id in ``formulas/<chapter>.py``::

    CHECKS = {
        "kl-normal": Check(values=_normal_pair),   # {"mu_1": .., "sigma_1": .., "mu_2": .., "sigma_2": ..}
    }

``values(rng)`` returns one point: a value for every symbol the formula uses (numbers, arrays,
functions, distributions, models, domains; see ``genmath.formulas.evaluate``). The formula's text
is read, every side is evaluated at ``n_points`` points, and every relation must hold: ``=`` within
``rtol``/``atol``, ``\le`` with tolerance, ``<`` strictly (so it fails at an equality case, which
the check should include, e.g. p = q). A law on one side of ``=`` makes the other side a law
(``p(x_T) = \mathcal{N}(0, 1)``), and the two laws must be equal. ``\propto`` holds if the ratio of its
sides is the same at every point (so the check's points vary only the variable it is stated in; the
other symbols keep their values). Statements that only declare
(``x \sim p``, ``y \in [0, 1]``) are skipped; a formula with nothing left to check is reported, not passed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from genmath.formulas import evaluate as ev
from genmath.formulas import objects as ob
from genmath.formulas import tex as t

#: Relations that state something checkable by value.
CHECKED_RELATIONS = {"=", "<=", "<", ">=", ">", "!=", "propto"}
#: Relations that declare (a law, a domain, a limit) and are not checked.
DECLARATIONS = {"sim", "in", "to"}


class FormulaCheckError(AssertionError):
    """A formula is wrong (``kind == "wrong"``) or cannot be checked (``kind == "unreadable"``)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Check:
    values: Callable[[np.random.Generator], dict[str, Any]]
    n_points: int = 25
    rtol: float = 1e-9
    atol: float = 1e-12
    seed: int = 0
    #: accuracy asked of each numerical integral or expectation inside the formula (a tenth of the
    #: check's own tolerance by default)
    quad_tol: ob.Tol | None = None
    #: most evaluations of formula nodes one side may make at one point (``evaluate.EVALUATIONS``)
    evaluations: int = ev.EVALUATIONS


@dataclass
class Prepared:
    """A formula read once, with the points of its check computed once (reused by mutations)."""
    formula: t.Formula
    points: list[dict[str, Any]]


def points(check: Check) -> list[dict[str, Any]]:
    rng = np.random.default_rng(check.seed)
    return [check.values(rng) for _ in range(check.n_points)]


def read(tex: str, where: str) -> t.Formula:
    try:
        return t.parse(tex)
    except t.TexError as err:
        raise FormulaCheckError(f"{where}: cannot read the formula: {err}", "unreadable") from None


def checked_statements(formula: t.Formula) -> list[t.Statement]:
    out = []
    for s in formula.statements:
        ops = {r.op for r in s.relations}
        if not ops or ops <= DECLARATIONS:
            continue
        out.append(s)
    return out


def verify(tex: str, check: Check, *, where: str, pts: list[dict[str, Any]] | None = None) -> int:
    """Check one formula; returns the number of relations verified. Raises FormulaCheckError."""
    formula = read(tex, where)
    return verify_formula(formula, check, where=where, pts=pts)


def verify_formula(formula: t.Formula, check: Check, *, where: str, pts: list[dict[str, Any]] | None = None,
                   memo: dict[Any, Any] | None = None) -> int:
    statements = checked_statements(formula)
    if not statements:
        raise FormulaCheckError(f"{where}: no relation to check (only declarations or none)", "unreadable")
    for s in statements:
        bad = [r.op for r in s.relations if r.op not in CHECKED_RELATIONS | DECLARATIONS]
        if bad:
            raise FormulaCheckError(f"{where}: relation {bad[0]!r} cannot be checked by value; exempt the "
                                    f"formula with a reason", "unreadable")
    pts = points(check) if pts is None else pts
    count = 0
    ratios: dict[tuple[int, int], list[tuple[int, float]]] = {}  # \propto: the ratio of the sides, per point
    for k, point in enumerate(pts):
        scope = ev.Scope(point)
        parts = None if memo is None else memo.setdefault(("parts", k), ev.Memo())  # closed parts at this point
        ctx = ev.Ctx(scope, formula.tex, check.quad_tol or ob.Tol(check.atol / 10, check.rtol / 10), memo=parts)
        for si, s in enumerate(statements):
            values = []
            for side in s.sides:
                key = (k, formula.tex[side.start:side.end])
                if memo is not None and key in memo:
                    value = memo[key]
                else:
                    try:
                        value = ev.side_value(side, ctx, check.evaluations)
                    except (ev.EvalError, ob.NumericalError) as err:
                        value = err
                    if memo is not None:
                        memo[key] = value
                if isinstance(value, Exception):
                    raise FormulaCheckError(f"{where}: {value}", "unreadable")
                values.append(value)
            for ri, ((a, b), rel, (sa, sb)) in enumerate(zip(itertools.pairwise(values), s.relations,
                                                             zip(s.sides, s.sides[1:]))):
                if rel.op in DECLARATIONS:
                    continue
                if rel.op == "propto":
                    ratios.setdefault((si, ri), []).append((k, _ratio(a, b, where)))
                    continue
                try:
                    if isinstance(a, ob.Distribution) or isinstance(b, ob.Distribution):
                        ok, a, b = _same_law(a, b, sa, sb, rel.op, ctx, check)
                    else:
                        ok = ev.compare(a, b, rel.op, check.rtol, check.atol)
                except (ev.EvalError, ob.NumericalError) as err:
                    raise FormulaCheckError(f"{where}: {err}", "unreadable") from None
                if not ok:
                    left = formula.tex[sa.start:sa.end].strip()
                    right = formula.tex[sb.start:sb.end].strip()
                    raise FormulaCheckError(
                        f"{where}: `{left}` {rel.op} `{right}` fails: {_show(a)} vs {_show(b)} at point {k} "
                        f"({_point_summary(point)})", "wrong")
                count += 1
    for (si, ri), found in ratios.items():
        sa, sb = statements[si].sides[ri], statements[si].sides[ri + 1]
        left, right = formula.tex[sa.start:sa.end].strip(), formula.tex[sb.start:sb.end].strip()
        if len(found) < 2:
            raise FormulaCheckError(f"{where}: `{left}` \\propto `{right}` needs at least two points",
                                    "unreadable")
        k0, first = found[0]
        for k, ratio in found[1:]:
            if not ev.compare(ratio, first, "=", check.rtol, check.atol):
                raise FormulaCheckError(
                    f"{where}: `{left}` \\propto `{right}` fails: the ratio of the sides is {ratio:.10g} at "
                    f"point {k} but {first:.10g} at point {k0}", "wrong")
            count += 1
    return count


def _ratio(a: Any, b: Any, where: str) -> float:
    a, b = ev.scalar(a), ev.scalar(b)
    if not isinstance(a, float) or not isinstance(b, float) or b == 0 or not np.isfinite(a / b):
        raise FormulaCheckError(f"{where}: \\propto needs two finite numbers, the second non-zero (got {a!r}, "
                                f"{b!r})", "unreadable")
    return a / b


def _same_law(a: Any, b: Any, sa: t.Node, sb: t.Node, op: str, ctx: ev.Ctx,
              check: Check) -> tuple[bool, ob.Distribution, ob.Distribution]:
    """``p(x_T) = \\mathcal{N}(0, 1)``: a law on one side makes the other side a law (see ``ev.law_value``)."""
    if op != "=":
        raise ev.EvalError(f"laws can only be equal, not {op!r}")
    law_a = a if isinstance(a, ob.Distribution) else ev.law_value(sa, ctx)
    law_b = b if isinstance(b, ob.Distribution) else ev.law_value(sb, ctx)
    return ev.same_law(law_a, law_b, check.rtol, check.atol), law_a, law_b


def _show(value: Any) -> str:
    if isinstance(value, ob.Normal):
        return f"the law N({value.mean:.10g}, {value.var_:.10g})"
    if isinstance(value, ob.MVN):
        return f"the law N({_show(value.mean)}, {_show(value.cov)})"
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=6, threshold=6)
    if isinstance(value, float):
        return f"{value:.10g}"
    return repr(value)


def _point_summary(point: dict[str, Any]) -> str:
    parts = []
    for name, value in point.items():
        if name.startswith("@"):
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            parts.append(f"{name}={value:.4g}")
        if len(parts) >= 6:
            parts.append("...")
            break
    return ", ".join(parts)
