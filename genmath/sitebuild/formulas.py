"""Check a display formula's LaTeX against genmath, numerically.

A labelled display formula (``\\label{id}``) in a chapter is tied to genmath by a ``Check`` registered
under its id in ``tests/formulas/<chapter>.py``. The check:

1. replaces exact LaTeX fragments by symbols (``subs``: e.g. ``\\mathrm{KL}(p\\,\\|\\,q)`` -> ``K``),
2. normalises notation (see ``normalise``),
3. splits the formula at its top-level relations (``=``, ``\\le``, ``\\ge``, ``<``, ``>``), flattening an
   ``aligned`` environment into one chain,
4. parses every side with sympy's LaTeX parser, and
5. evaluates every side at random valid points (``values(rng)`` returns a value for every symbol,
   typically computed by the genmath function the formula states) and requires each relation to hold.

So a sign flip or a wrong factor in the chapter's formula fails, and so does a bug in genmath.
``FormulaCheckError`` messages name the chapter file, the line and the formula id.

Normalisation (documented, small): ``\\left``/``\\right``/``\\bigl``... and spacing removed; ``\\tfrac``,
``\\dfrac`` -> ``\\frac``; site macros (``\\KL``...) expanded; ``\\mathrm{x}``, ``\\text{x}``,
``\\operatorname{x}`` -> ``x`` (``\\log``, ``\\exp`` kept as functions); ``\\hat{x}`` -> symbol ``xhat``,
``\\bar{x}`` -> ``xbar``, ``\\tilde{x}`` -> ``xtilde``, keeping a subscript (``\\bar\\alpha_t`` ->
``alphabar_t``); symbol names lose braces and spaces (``\\sigma_{1}`` -> ``sigma_1``,
``x_{t-1}`` -> ``x_t-1``); ``\\log`` and ``\\ln`` are natural logarithms; ``e`` is Euler's number unless
``values`` gives a value for ``e``, and ``\\pi`` is pi; a letter before ``(`` multiplies
(``p(1-p)``), it is not a function call; a trailing ``.`` or ``,`` is dropped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from genmath.sitebuild.katex import MACROS

RELATIONS = {r"\leq": "<=", r"\le": "<=", r"\geq": ">=", r"\ge": ">=", "=": "==", "<": "<", ">": ">"}
_DECORATED = re.compile(
    r"\\(?P<deco>hat|bar|tilde|widehat|overline)\s*(?P<base>\{\s*\\?[A-Za-z]+\s*\}|\\[A-Za-z]+|[A-Za-z])"
    r"(?:\s*_\s*(?P<sub>\{[^{}]*\}|[A-Za-z0-9]))?")
_ROMAN = re.compile(r"\\(?:mathrm|text|operatorname|mathit|textrm)\s*\{(?P<body>[^{}]*)\}")
_REMOVE = [r"\left", r"\right", r"\bigl", r"\bigr", r"\Bigl", r"\Bigr", r"\biggl", r"\biggr",
           r"\big", r"\Big", r"\displaystyle", r"\qquad", r"\quad", r"\,", r"\;", r"\!", r"\:"]
_FUNCTIONS = {"log", "ln", "exp", "sin", "cos", "tan", "sqrt"}
_GREEK = ["alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "kappa",
          "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "varphi", "chi", "psi", "omega",
          "Sigma", "Lambda", "Gamma", "Delta", "Phi", "Psi", "Omega"]


class FormulaCheckError(AssertionError):
    """A formula does not match genmath (or cannot be checked); names file, line and id."""


@dataclass
class Check:
    values: Callable[[np.random.Generator], dict[str, float]]
    subs: dict[str, str] = field(default_factory=dict)
    n_points: int = 25
    rtol: float = 1e-9
    atol: float = 1e-12
    seed: int = 0


def _placeholder(index: int) -> str:
    return f"\\Xi_{{{900 + index}}}"


def normalise(tex: str, subs: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Apply ``subs`` and the normalisation above. Returns the TeX and placeholder -> symbol name."""
    names: dict[str, str] = {}

    def named(name: str) -> str:
        key = _placeholder(len(names))
        names[f"Xi_{900 + len(names)}"] = name
        return f" {key} "

    for fragment, name in sorted(subs.items(), key=lambda kv: -len(kv[0])):
        if fragment not in tex:
            raise FormulaCheckError(f"subs fragment {fragment!r} does not occur in the formula")
        tex = tex.replace(fragment, named(name))
    for macro, expansion in sorted(MACROS.items(), key=lambda kv: -len(kv[0])):
        tex = re.sub(re.escape(macro) + r"(?![A-Za-z])", lambda _m: expansion, tex)
    tex = re.sub(r"\\(label|tag)\{[^{}]*\}", "", tex)
    tex = re.sub(r"\\begin\{(aligned|align\*?|split|gathered)\}|\\end\{(aligned|align\*?|split|gathered)\}", " ", tex)
    tex = tex.replace("&", " ").replace("\\\\", " ")
    tex = tex.replace(r"\tfrac", r"\frac").replace(r"\dfrac", r"\frac").replace(r"\ln", r"\log")
    for token in _REMOVE:
        tex = re.sub(re.escape(token) + r"(?![A-Za-z])", " ", tex)

    def roman(m: re.Match[str]) -> str:
        body = m.group("body").strip()
        return f"\\{body} " if body in _FUNCTIONS else named(body.replace(" ", ""))

    def deco(m: re.Match[str]) -> str:
        base = m.group("base").strip("{} ").lstrip("\\")
        suffix = {"widehat": "hat", "overline": "bar"}.get(m.group("deco"), m.group("deco"))
        sub = m.group("sub")
        name = base + suffix + (f"_{sub.strip('{}').replace(' ', '')}" if sub else "")
        return named(name)

    tex = _DECORATED.sub(deco, tex)
    tex = _ROMAN.sub(roman, tex)
    # a single letter or Greek letter before "(" is a product, not a function call: p(1-p)
    tex = re.sub(r"(?<![\\A-Za-z])([A-Za-z])\s*\(", r"{\1}(", tex)
    tex = re.sub(r"(\\(?:" + "|".join(_GREEK) + r"))(?![A-Za-z])(\s*_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?\s*\(",
                 lambda m: "{" + m.group(1) + (m.group(2) or "") + "}(", tex)
    tex = tex.strip().rstrip(".,;").strip()
    return tex, names


def split_relations(tex: str) -> tuple[list[str], list[str]]:
    """Split at top-level relations (outside braces/parentheses). Returns (sides, relations)."""
    sides, rels = [], []
    depth, start, i = 0, 0, 0
    while i < len(tex):
        ch = tex[i]
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif depth == 0:
            for token in (r"\leq", r"\geq", r"\le", r"\ge", "=", "<", ">"):
                if tex.startswith(token, i) and not (token.startswith("\\") and tex[i + len(token):i + len(token) + 1].isalpha()):
                    sides.append(tex[start:i])
                    rels.append(RELATIONS[token])
                    i += len(token)
                    start = i
                    break
            else:
                i += 1
                continue
            continue
        i += 1
    sides.append(tex[start:])
    return [s.strip() for s in sides], rels


def _symbol_name(raw: str, names: dict[str, str]) -> str:
    clean = raw.replace("{", "").replace("}", "").replace(" ", "")
    return names.get(clean, clean)


def _readable(side: str, names: dict[str, str]) -> str:
    """Put symbol names back in place of parser placeholders, for messages."""
    return re.sub(r"\\Xi_\{(\d+)\}", lambda m: names.get(f"Xi_{m.group(1)}", m.group(0)), side).strip()


def parse_side(side: str) -> Any:
    from sympy.parsing.latex import parse_latex

    return parse_latex(side, backend="antlr")


def verify(tex: str, check: Check, *, where: str) -> int:
    """Check one formula. Returns the number of relations verified; raises FormulaCheckError."""
    import sympy

    try:
        norm, names = normalise(tex, check.subs)
    except FormulaCheckError as err:
        raise FormulaCheckError(f"{where}: {err}") from None
    sides, rels = split_relations(norm)
    if not rels:
        raise FormulaCheckError(f"{where}: no relation (=, \\le, ...) to check in {norm!r}")
    exprs = []
    for side in sides:
        try:
            exprs.append(parse_side(side))
        except Exception as exc:  # noqa: BLE001 - sympy raises several types
            raise FormulaCheckError(f"{where}: sympy cannot parse {side!r} ({type(exc).__name__}: {exc}); "
                                    f"map it to a symbol with subs") from None
    rng = np.random.default_rng(check.seed)
    for _ in range(check.n_points):
        point = {k: float(v) for k, v in check.values(rng).items()}
        evaluated = []
        for side, expr in zip(sides, exprs):
            subs: dict[Any, Any] = {}
            for sym in expr.free_symbols:
                name = _symbol_name(sym.name, names)
                if name in point:
                    subs[sym] = point[name]
                elif name == "e":
                    subs[sym] = sympy.E
                elif name == "pi":
                    subs[sym] = sympy.pi
                else:
                    raise FormulaCheckError(f"{where}: symbol {name!r} in {side!r} has no value; "
                                            f"values() gave {sorted(point)}")
            value = complex(expr.subs(subs).evalf())
            if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
                raise FormulaCheckError(f"{where}: side {side!r} is complex ({value}) at {point}")
            evaluated.append(value.real)
        for (a, b), rel, (sa, sb) in zip(zip(evaluated, evaluated[1:]), rels, zip(sides, sides[1:])):
            tol = check.atol + check.rtol * max(abs(a), abs(b))
            ok = {"==": abs(a - b) <= tol or (math.isinf(a) and a == b), "<=": a <= b + tol,
                  ">=": a >= b - tol, "<": a < b + tol, ">": a > b - tol}[rel]
            if not ok:
                raise FormulaCheckError(
                    f"{where}: `{_readable(sa, names)}` {rel} `{_readable(sb, names)}` fails: "
                    f"{a!r} vs {b!r} at {point}")
    return len(rels) * check.n_points


def mutations(tex: str) -> list[str]:
    """Deliberately wrong variants of a formula, each of which its check must reject.

    An equation gets a flipped sign and a wrong factor of 2 on its last side; an inequality gets
    its first inequality reversed (``\\le`` -> ``\\ge``).
    """
    tex = re.sub(r"\\(label|tag)\{[^{}]*\}", "", tex).strip()
    sides, rels = split_relations(tex)
    if any(r != "==" for r in rels):
        swap = {r"\leq": r"\geq", r"\geq": r"\leq", r"\le": r"\ge", r"\ge": r"\le", "<": ">", ">": "<"}
        m = re.search(r"\\leq|\\geq|\\le(?![a-z])|\\ge(?![a-z])|(?<![\\a-z])[<>]", tex)
        assert m is not None
        return [tex[:m.start()] + swap[m.group(0)] + tex[m.end():]]
    out = []
    body = tex[len(sides[0]):] if len(sides) > 1 else tex
    offset = len(tex) - len(body)
    m = re.search(r"(?<![\\{^_])[+-]", body[1:])
    if m:
        pos = offset + 1 + m.start()
        out.append(tex[:pos] + ("-" if tex[pos] == "+" else "+") + tex[pos + 1:])
    last = sides[-1]
    head = tex[: tex.rindex(last)]
    out.append(f"{head} 2 \\cdot \\left( {last.rstrip('.,;')} \\right)")
    return out
