r"""Realistic wrong edits of a formula, to prove its check fails when the formula is wrong.

Each mutation is one text edit of the kind a writer makes, located by the reader's source spans:

=====================  ==============================================================================
kind                   edit
=====================  ==============================================================================
coefficient            a number n becomes n + 1
sign                   a + becomes - or a - becomes +
factor                 the last side is multiplied by 2
drop-term              one term of a sum disappears
swap-fraction          numerator and denominator change places
shift-index            a subscript or a limit of a sum/product moves by one (t -> t-1, t-1 -> t); not a
                       subscript that names a non-number of the check (the D of L_D)
swap-symbol            a symbol is replaced by another symbol of the same formula and kind (a number
                       for a number, a function for a function of as many arguments)
drop-power             ``^2`` (or any power) disappears
change-exponent        an exponent n becomes n + 1
drop-function          ``\log``, ``\exp`` or ``\sqrt`` disappears
drop-inverse           ``^{-1}`` disappears
swap-arguments         the arguments of KL/JSD, or the two sides of a conditional ``p(a | b)``, swap
drop-decoration        a bar, tilde or hat disappears
strict                 ``\le`` becomes ``<`` (``\ge`` becomes ``>``)
reverse                an inequality is reversed
move-transpose         ``A^\top B`` becomes ``A B^\top``
=====================  ==============================================================================

``equivalent(original, mutant)`` asks sympy whether a surviving mutant means the same thing (symbols
whose values are matrices do not commute; two names the check gives the same object, such as p and
p_\theta for one model, are one symbol), so that a survivor is either proven harmless or reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from genmath.formulas import tex as t


@dataclass(frozen=True)
class Mutant:
    kind: str
    tex: str  # the whole formula after the edit (cleaned text)
    note: str  # what changed, for reports


def _edit(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _swap(text: str, a: tuple[int, int], b: tuple[int, int]) -> str:
    (a0, a1), (b0, b1) = sorted([a, b])
    return text[:a0] + text[b0:b1] + text[a1:b0] + text[a0:a1] + text[b1:]


def _symbols(formula: t.Formula) -> list[tuple[t.Sym, t.Sym | None]]:
    """Every symbol with the symbol whose subscript it is in (or None)."""
    out: list[tuple[t.Sym, t.Sym | None]] = []

    def visit(node: t.Node, parent: t.Sym | None) -> None:
        if isinstance(node, t.Sym):
            if node.name not in ("·", "KL", "JSD"):
                out.append((node, parent))
            if node.sub is not None:
                for child in node.sub.walk():
                    if isinstance(child, t.Sym):
                        visit(child, node)
            return
        for child in node.children():
            visit(child, parent)

    for s in formula.statements:
        for side in s.sides:
            visit(side, None)
    return out


def _kind(value: Any) -> str:
    import numpy as np

    from genmath.formulas import objects as ob

    if isinstance(value, ob.Domain):
        return "bound"
    if isinstance(value, ob.Distribution):
        return "distribution"
    if isinstance(value, ob.Model):
        return "model"
    if isinstance(value, np.ndarray):
        return f"array{value.shape}"
    if isinstance(value, (int, float, np.floating, np.integer)):
        return "number"
    if callable(value):
        return f"function of {_arity(value)} arguments"  # V(D, G) and D(x) are not confused
    return type(value).__name__


def _arity(fn: Any) -> str:
    """How many positional arguments a function takes (``?`` if Python cannot tell)."""
    import inspect

    try:
        params = inspect.signature(getattr(fn, "fn", fn)).parameters.values()
    except (TypeError, ValueError):
        return "?"
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return "any"
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return str(sum(p.kind in positional and p.default is p.empty for p in params))


def _symbol_kind(sym: t.Sym, scope: dict[str, Any], bound: set[str]) -> str | None:
    if sym.full in scope:
        return _kind(scope[sym.full])
    if sym.name in scope:
        return "indexed " + _kind(scope[sym.name])
    if sym.full in bound or sym.name in bound:
        return "bound"
    return None


def _bound_names(formula: t.Formula) -> set[str]:
    names: set[str] = set()
    for s in formula.statements:
        for side in s.sides:
            for n in side.walk():
                if isinstance(n, (t.BigOp, t.Integral)) and n.var:
                    names.add(n.var)
                elif isinstance(n, t.Sim):
                    names.update(n.vars)
    return names


def _symbol_swaps(formula: t.Formula, scope: dict[str, Any]) -> list[tuple[t.Sym, str, str]]:
    text = formula.tex
    bound = _bound_names(formula)
    syms = _symbols(formula)
    kinds = {id(s): _symbol_kind(s, scope, bound) for s, _ in syms}
    out = []
    for sym, parent in syms:
        here = text[sym.start:sym.end]
        if parent is None:
            kind = kinds[id(sym)]
            others = []
            for other, other_parent in syms:
                o_text = text[other.start:other.end]
                if other_parent is None and o_text != here and o_text not in others and kind is not None \
                        and kinds[id(other)] == kind:
                    others.append(o_text)
        else:  # a subscript: another subscript that makes a name the scope knows (mu_p -> mu_q)
            others = []
            for other, other_parent in syms:
                o_text = text[other.start:other.end]
                if other_parent is not None and o_text != here and o_text not in others and \
                        f"{parent.name}_{parent.sub_text.replace(sym.full, other.full, 1)}" in scope:
                    others.append(o_text)
        if others:
            out.append((sym, others[0], f"{here!r} -> {others[0]!r}"))
    return out


def _nodes(formula: t.Formula) -> list[t.Node]:
    out: list[t.Node] = []
    for s in formula.statements:
        for side in s.sides:
            out += list(side.walk())
    return out


def mutants(formula: t.Formula, scope: dict[str, Any] | None = None) -> list[Mutant]:
    """The mutants of a formula. ``scope`` (one point of its check) tells which symbols are of the
    same kind, so that a swapped symbol is one a writer could confuse (mu_1 for mu_2, p for q)."""
    text = formula.tex
    out: list[Mutant] = []

    def add(kind: str, new: str, note: str) -> None:
        if new != text:
            out.append(Mutant(kind, new, note))

    nodes = _nodes(formula)
    for n in nodes:
        if isinstance(n, t.Num) and n.text and n.text != "\\infty":
            value = n.value + 1
            add("coefficient", _edit(text, n.start, n.end, f"{{{value:g}}}"), f"{n.text} -> {value:g}")
        elif isinstance(n, t.Add):
            for i, (term, span) in enumerate(zip(n.terms, n.op_spans)):
                if span is not None and text[span[0]:span[1]] in "+-":
                    flipped = "-" if text[span[0]:span[1]] == "+" else "+"
                    add("sign", _edit(text, span[0], span[1], flipped), f"sign of term {i + 1}")
                start = span[0] if span is not None else term.start
                end = term.end
                if i == 0 and span is None and len(n.terms) > 1:
                    nxt = n.op_spans[1]
                    if nxt is not None and text[nxt[0]:nxt[1]] == "+":
                        end = nxt[1]
                add("drop-term", _edit(text, start, end, " "), f"drop {text[term.start:term.end].strip()!r}")
        elif isinstance(n, t.Frac):
            add("swap-fraction", _swap(text, (n.num.start, n.num.end), (n.den.start, n.den.end)),
                f"swap {text[n.start:n.end]!r}")
        elif isinstance(n, t.Sym):
            if n.deco_span is not None:
                add("drop-decoration", _edit(text, n.deco_span[0], n.deco_span[1], " "),
                    f"drop the decoration of {text[n.start:n.end]!r}")
            if n.sub is not None and _shiftable(n.sub) and _counts(n.sub, scope or {}):
                sub = n.sub
                add("shift-index", _edit(text, sub.start, sub.end, f"{{{_shifted(text[sub.start:sub.end])}}}"),
                    f"shift the index of {text[n.start:n.end]!r}")
        elif isinstance(n, t.BigOp):
            for span in (n.hi_span, n.lo_span if n.lo is not None else None):  # not a condition x : p(x) > 0
                if span is not None:
                    part = text[span[0]:span[1]]
                    if "=" in part:
                        var, _, lo = part.partition("=")
                        new = f"{var}={_shifted(lo)}"
                    else:  # braced: ^K becomes ^{K-1}, not ^K-1 (a "- 1" after the sum)
                        new = f"{{{_shifted(part)}}}"
                    add("shift-index", _edit(text, span[0], span[1], new), f"shift the limit {part!r}")
        elif isinstance(n, t.Pow):
            add("drop-power", _edit(text, n.sup_span[0], n.sup_span[1], " "),
                f"drop {text[n.sup_span[0]:n.sup_span[1]]!r}")
            if isinstance(n.exp, t.Num):
                add("change-exponent", _edit(text, n.exp.start, n.exp.end, f"{{{n.exp.value + 1:g}}}"),
                    f"exponent {n.exp.value:g} -> {n.exp.value + 1:g}")
        elif isinstance(n, t.Inverse):
            add("drop-inverse", _edit(text, n.sup_span[0], n.sup_span[1], " "),
                f"drop the inverse of {text[n.arg.start:n.arg.end]!r}")
        elif isinstance(n, t.Func) and n.name in ("log", "exp"):
            add("drop-function", _edit(text, n.head_span[0], n.head_span[1], " "), f"drop \\{n.name}")
        elif isinstance(n, t.Sqrt):
            add("drop-function", _edit(text, n.head_span[0], n.head_span[1], " "), "drop \\sqrt")
        elif isinstance(n, t.Dist) and len(n.args) == 2:
            a, b = n.args
            add("swap-arguments", _swap(text, (a.start, a.end), (b.start, b.end)), f"swap the arguments of {n.op}")
        elif isinstance(n, t.Call) and n.given and n.args:
            a0, a1 = n.args[0].start, n.args[-1].end
            g0, g1 = n.given[0].start, n.given[-1].end
            add("swap-arguments", _swap(text, (a0, a1), (g0, g1)), f"swap the sides of {text[n.start:n.end]!r}")
        elif isinstance(n, t.Mul):
            for left, right in zip(n.factors, n.factors[1:]):
                if isinstance(left, t.Transpose) and not isinstance(right, t.Transpose):
                    moved = _edit(text, right.end, right.end, "^\\top ")
                    moved = _edit(moved, left.sup_span[0], left.sup_span[1], " ")
                    add("move-transpose", moved, f"move the transpose of {text[left.start:left.end]!r}")
    # swap a symbol for another one of the same formula and of the same kind (a number for a number,
    # a distribution for a distribution, a subscript for a subscript that names something)
    for here, other, note in _symbol_swaps(formula, scope or {}):
        add("swap-symbol", _edit(text, here.start, here.end, f"{{{other}}}"), note)
    # relations
    for s in formula.statements:
        for r in s.relations:
            raw = text[r.span[0]:r.span[1]]
            if r.op in ("<=", ">="):
                add("strict", _edit(text, r.span[0], r.span[1], " < " if r.op == "<=" else " > "), f"{raw} -> strict")
                add("reverse", _edit(text, r.span[0], r.span[1], " \\ge " if r.op == "<=" else " \\le "),
                    f"{raw} reversed")
            elif r.op in ("<", ">"):
                add("reverse", _edit(text, r.span[0], r.span[1], " > " if r.op == "<" else " < "), f"{raw} reversed")
        if s.relations and all(r.op in ("=",) for r in s.relations):
            last = s.sides[-1]
            add("factor", _edit(text, last.start, last.end, f"2 \\cdot \\left( {text[last.start:last.end]} \\right)"),
                "last side times 2")
    # one mutant per distinct text
    seen: set[str] = set()
    unique = []
    for m in out:
        if m.tex not in seen:
            seen.add(m.tex)
            unique.append(m)
    return unique


def _shiftable(sub: t.Node) -> bool:
    if isinstance(sub, t.Slice):
        return False
    names = {n.name for n in sub.walk() if isinstance(n, t.Sym)}
    nums = [n for n in sub.walk() if isinstance(n, t.Num)]
    return bool(names & {"t", "s", "i", "j", "k", "d", "n", "T", "K", "D"}) or (bool(nums) and not names)


def _counts(sub: t.Node, scope: dict[str, Any]) -> bool:
    r"""Whether a subscript counts (``x_t``, ``\mathcal{L}_K``), rather than names something that is not a
    number in the check (``\mathcal{L}_D``, the loss of the function D, has no neighbour D - 1)."""
    import numpy as np

    return all(not (n.full in scope and not isinstance(scope[n.full], (int, float, np.integer, np.floating)))
               for n in sub.walk() if isinstance(n, t.Sym))


def _shifted(text: str) -> str:
    text = text.strip()
    if text.endswith("-1"):
        return text[:-2].strip("{} ") or "0"
    if text.isdigit():
        return str(int(text) + 1)
    return f"{text}-1"


# --------------------------------------------------------------------------------------------------
# equivalence with sympy

def to_sympy(node: t.Node, tex: str, matrices: set[str], aliases: dict[str, str] | None = None) -> Any:
    """A sympy expression with the same algebra; operators sympy does not know are opaque functions."""
    import sympy

    def sym(name: str) -> Any:
        return sympy.Symbol(name, commutative=name not in matrices)

    def opaque(kind: str, *args: Any, commutative: bool = True) -> Any:
        return sympy.Function(kind, commutative=commutative)(*args)

    def go(n: t.Node) -> Any:
        if isinstance(n, t.Num):
            return sympy.nsimplify(n.text) if n.text and n.text != "\\infty" else sympy.oo
        if isinstance(n, t.Sym):
            return sym((aliases or {}).get(n.full, n.full))
        if isinstance(n, t.Unit):
            return sympy.Integer(1) if n.name == "nats" else sympy.log(2)
        if isinstance(n, t.Add):
            return sympy.Add(*[s * go(term) for s, term in zip(n.signs, n.terms)])
        if isinstance(n, t.Neg):
            return -go(n.arg)
        if isinstance(n, t.Mul):
            out = go(n.factors[0])
            for op, f in zip(n.ops, n.factors[1:]):
                out = out / go(f) if op == "/" else (opaque("odot", out, go(f)) if op == "odot" else out * go(f))
            return out
        if isinstance(n, t.Frac):
            return go(n.num) * go(n.den) ** -1
        if isinstance(n, t.Pow):
            return go(n.base) ** go(n.exp)
        if isinstance(n, t.Sqrt):
            return sympy.sqrt(go(n.arg))
        if isinstance(n, t.Inverse):
            return go(n.arg) ** -1
        if isinstance(n, t.Transpose):
            inner = go(n.arg)
            return opaque("T", inner, commutative=inner.is_commutative is not False)
        if isinstance(n, t.Group):
            return go(n.arg)
        if isinstance(n, t.Func):
            inner = go(n.arg)
            known = {"log": sympy.log, "exp": sympy.exp, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan,
                     "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh, "arcsinh": sympy.asinh}
            value = known[n.name](inner) if n.name in known else opaque(n.name, inner)
            return value ** go(n.power) if n.power is not None else value
        if isinstance(n, t.Dist):
            args = [go(a) for a in n.args]
            if n.op == "JSD":
                args = sorted(args, key=str)
            return opaque(n.op, *args)
        if isinstance(n, t.Call):
            head = ((aliases or {}).get(n.func.full, n.func.full) if isinstance(n.func, t.Sym)
                    else tex[n.func.start:n.func.end].strip())
            args = [go(a) for a in n.args] + [sympy.Symbol(";")] + [go(a) for a in n.semi] + \
                [sympy.Symbol("|")] + [go(a) for a in n.given]
            return opaque("call" + _safe(head), *args)
        children = [go(c) for c in n.children()]
        extra = [sympy.Symbol(str(v)) for k, v in vars(n).items()
                 if k in ("var", "op", "order", "gradient", "vars") and v is not None]
        return opaque(type(n).__name__, *extra, *children)

    return go(node)


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)


def equivalent(original: t.Formula, mutant: t.Formula, matrices: set[str],
               aliases: dict[str, str] | None = None) -> bool:
    """Whether every side of every statement means the same (sympy.simplify of the difference is 0)."""
    import sympy

    if len(original.statements) != len(mutant.statements):
        return False
    for a, b in zip(original.statements, mutant.statements):
        if [r.op for r in a.relations] != [r.op for r in b.relations] or len(a.sides) != len(b.sides):
            return False
        for sa, sb in zip(a.sides, b.sides):
            try:
                ea = to_sympy(sa, original.tex, matrices, aliases)
                eb = to_sympy(sb, mutant.tex, matrices, aliases)
                if ea == eb:
                    continue
                if sympy.simplify(sympy.expand(ea - eb)) != 0:
                    return False
            except Exception:  # noqa: BLE001 - sympy raises many types; undecidable is not equivalent
                return False
    return True
