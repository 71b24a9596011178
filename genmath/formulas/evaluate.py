r"""Give a parsed formula its meaning: evaluate every side at one point of a check's scope.

A scope maps symbol names to values: numbers, numpy arrays (vectors are 1-D, matrices 2-D), functions,
distributions and models (``genmath.formulas.objects``), ``Lazy`` values computed from the scope
(so a derivative can perturb what they depend on), ``Seq`` for symbols indexed from 0, and domains
for the variables of sums and integrals (under the variable's name, or under ``@domains`` when the
variable also has a value outside them).

How a symbol is found (``\sigma_1``, ``\bar\alpha_{t-1}``, ``x_i``): first by its full name
(``sigma_1``, ``alphabar_t-1``), then by its base name (``alphabar``) indexed by the value of its
subscript (1-based for arrays and lists, as on the page; ``Seq`` says where it starts), then by the
full name with the index evaluated (``x_4``). Decorations are part of the name: ``\hat p`` is
``phat``, ``\tilde x`` is ``xtilde``, ``\mathcal{L}`` is ``calL``, ``D^*`` is ``Dstar``, ``f'`` is
``fprime``, ``p_{\mathrm{data}}`` is ``p_data``. A primed function with no value of its own
(``f'``, ``f''``) is the derivative of ``f`` (central differences, Richardson-extrapolated).
An argument ``z_k`` of a model that has no variable ``z_k`` is a draw of its variable ``z``.

Operators (``\KL``, ``H``, ``\mathbb{E}``, ``\mathcal{N}``...) have the meanings listed in
``genmath.formulas.notation``; a check overrides one by giving a value under the same name.

Models (``genmath.formulas.objects.Model``) are addressed by variable NAMES: at t = 3,
``q(x_t \mid x_{t-1})`` is the law of ``x_3`` given ``x_2`` at their values; ``q(\cdot \mid x)`` is the law
of the model's other variables; ``x_{1:T}`` is the run x_1, ..., x_T (a vector, also assembled from
x_1, ..., x_T bound separately). An expectation whose law is a model (``\mathbb{E}_q``, or a model
under ``@law``) is over the model's variables that have no value in the scope, given those that have
one; ``\mathbb{E}[f \mid y]`` is over the other variables of the model under ``@joint``, given y.

Derivatives (Richardson differences) with respect to a block or a component of a vector
(``\partial u_{1:d}``, ``\nabla_{x_t}`` with x a ``Seq``) change that part of the vector, so ``Lazy``
values computed from it follow; a vector-valued result is a Jacobian with one column per component.
``\frac{d f}{dx}`` without an argument is taken at the value of x. ``s_j(u)`` is component j of a
vector-valued function s, and a vector inside a ``pmatrix`` is a column.

Inside an integral ``\int \dots dx``, a density or function written without its argument means its
value at the integration variable, as in ``\int p \log \frac{p}{q} \, dx`` (logs of densities are
then taken in log space).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.special

from genmath.formulas import objects as ob
from genmath.formulas import tex as t


class EvalError(ValueError):
    """A part of the formula cannot be evaluated; the message quotes the part."""


class NoValue(EvalError):
    """A symbol has no value in the scope."""


# --------------------------------------------------------------------------------------------------
# scope values

@dataclass
class Lazy:
    """A value computed from the scope when it is looked up: ``Lazy(lambda s: s["x"] ** 2)``."""
    fn: Callable[[Scope], Any]


@dataclass
class Seq:
    """An indexed symbol whose first index is ``start`` (``x_0 .. x_T``: ``Seq(xs, start=0)``)."""
    values: Any
    start: int = 0

    def __getitem__(self, index: int) -> Any:
        pos = index - self.start
        if not 0 <= pos < len(self.values):
            raise IndexError(f"index {index} outside {self.start}..{self.start + len(self.values) - 1}")
        return self.values[pos]

    def slice(self, lo: int, hi: int) -> Any:
        return np.asarray(self.values[lo - self.start:hi - self.start + 1])


@dataclass
class Indexed:
    """A symbol whose subscript is an argument: ``\\mu_t`` -> ``fn(t)``."""
    fn: Callable[[Any], Any]


@dataclass
class Function:
    """A function with its inverse, for ``f`` and ``f^{-1}``."""
    fn: Callable[..., Any]
    inverse: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)


@dataclass
class ByParts:
    """A function that receives a call's arguments by part, for information measures of random
    variables: ``I(X; Y \\mid Z)`` calls ``fn([X], [Y], [Z])`` (the arguments, those after ``;``, those
    after ``\\mid``), so that H(X, Y), H(X \\mid Y) and I(X; Y, Z) stay apart. A variable with no value
    arrives as an :class:`Unbound` (its name), an event ``X = x`` as the pair ``(name, value)``."""
    fn: Callable[[list[Any], list[Any], list[Any]], Any]


class Eye:
    """The identity matrix of whatever size its neighbours have (``I`` with no subscript)."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def resolve(self, k: int) -> np.ndarray:
        return self.scale * np.eye(k)


class Scope:
    def __init__(self, values: dict[str, Any], parent: Scope | None = None) -> None:
        self.values = values
        self.parent = parent

    def has(self, name: str) -> bool:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.values:
                return True
            scope = scope.parent
        return False

    def raw(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.values:
                return scope.values[name]
            scope = scope.parent
        raise KeyError(name)

    def __getitem__(self, name: str) -> Any:
        value = self.raw(name)
        if isinstance(value, Lazy):
            return value.fn(self)
        return value

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if self.has(name) else default

    def child(self, values: dict[str, Any]) -> Scope:
        return Scope(values, self)

    def names(self) -> list[str]:
        out: set[str] = set()
        scope: Scope | None = self
        while scope is not None:
            out |= set(scope.values)
            scope = scope.parent
        return sorted(n for n in out if not n.startswith("@"))


#: Reserved scope names: the implicit law of E[.] / Var[.] without subscript (a Distribution, or a Model:
#: its variables without a value, given those with one), and the joint model used for conditional
#: expectations E[. | y] (a Model).
LAW = "@law"
JOINT = "@joint"
#: Domains of the variables of sums and integrals that also have a value outside them ({"x": Finite(...)}):
#: x is the data point in E[x | x~], and the variable of \int ... dx.
DOMAINS = "@domains"


class Unbound:
    """Stands for a random variable with no value (``z`` in ``\\KL(q(z) \\| p(z))``)."""

    def __init__(self, name: str) -> None:
        self.name = name


# --------------------------------------------------------------------------------------------------

#: Most evaluations of formula nodes one side of a relation may make at one point (every node an
#: integral, an expectation or a derivative evaluates again counts). The site's formulas need at most
#: about 70,000; a side that needs more is reported as not computable instead of running for minutes:
#: nested expectations multiply their rules' nodes (2,125 over the orders tried in 2-D, so 4.5 million
#: for one expectation inside another). ``Check(evaluations=...)`` gives one formula more.
EVALUATIONS = 250_000


class Budget:
    """The node evaluations left to one side of a relation (shared by every context made from its)."""

    def __init__(self, limit: int = EVALUATIONS) -> None:
        self.limit = self.left = limit

    def exhausted(self, ctx: Ctx) -> ob.NumericalError:
        return ob.NumericalError(f"{ctx.part_of_side or ctx.tex.strip()!r} needs more than {self.limit:,} evaluations of its parts "
                                 f"(integrands, derivatives) at one point; give the check laws whose expectations "
                                 f"settle sooner, or a larger Check(evaluations=...)")


@dataclass
class Ctx:
    scope: Scope
    tex: str
    tol: ob.Tol  # the error allowed to a numerical integral inside this evaluation
    at: Any = None  # the value of the innermost integral's variable (``p`` alone means p(x) there)
    budget: Budget = dataclasses.field(default_factory=Budget)  # one per side (``side_value``)
    part_of_side: str = ""
    #: values of closed parts already evaluated at this point (``Memo``), or None
    memo: Memo | None = None

    def part(self, node: t.Node) -> str:
        return self.tex[node.start:node.end].strip() or type(node).__name__

    def with_scope(self, scope: Scope) -> Ctx:
        return Ctx(scope, self.tex, self.tol, self.at, self.budget, self.part_of_side, self.memo)


class Memo:
    """The values of a formula's closed parts at one point, kept for other formulas checked at the same
    point with the same check: the mutation test's wrong edits of one formula leave most of its parts
    unchanged (an edit of ``\frac{1}{2}`` in front of an expectation need not integrate again).

    A part is closed when it is evaluated in the point's own scope, outside every integral, sum and
    derivative (its value then depends only on its tree and the point); parts inside those depend on
    their variables and are evaluated as always. The key is the part's tree without its position in the
    text. A hit charges the side's budget what the first evaluation used, so a side that would run out
    of budget still does; only successful values are kept."""

    def __init__(self) -> None:
        self.values: dict[Any, tuple[Any, int]] = {}
        self.hits = 0

    def get(self, key: Any) -> tuple[Any, int] | None:
        found = self.values.get(key)
        if found is not None:
            self.hits += 1
        return found


#: Node types whose value is never worth keeping (a constant or a lookup).
_NOT_MEMOISED = (t.Num, t.Unit, t.Text, t.Sym)


def shape(node: Any) -> Any:
    """A node's tree without positions: equal for the same part written at another place."""
    if dataclasses.is_dataclass(node):  # a node, or a statement/relation inside one
        return (type(node).__name__, *(shape(v) for k, v in node.__dict__.items() if not _position(k)))
    if isinstance(node, (list, tuple)):
        return tuple(shape(v) for v in node)
    if isinstance(node, dict):
        return tuple(sorted((k, shape(v)) for k, v in node.items()))
    return node


def _position(field_name: str) -> bool:
    """Fields that hold places in the text (for messages and the mutation test's edits), not meaning."""
    return field_name in ("start", "end", "span") or field_name.endswith(("_span", "_spans"))


def evaluate(node: t.Node, ctx: Ctx) -> Any:
    budget = ctx.budget
    budget.left -= 1
    if budget.left < 0:
        raise budget.exhausted(ctx)
    handler = _HANDLERS.get(type(node))
    if handler is None:
        raise EvalError(f"cannot evaluate {ctx.part(node)!r} ({type(node).__name__})")
    memo = ctx.memo
    if memo is not None and ctx.at is None and ctx.scope.parent is None and not isinstance(node, _NOT_MEMOISED):
        key = shape(node)
        found = memo.get(key)
        if found is not None:
            value, used = found
            budget.left -= used
            if budget.left < 0:
                raise budget.exhausted(ctx)
            return value.copy() if isinstance(value, np.ndarray) else value
        before = budget.left
        value = _run(handler, node, ctx)
        memo.values[key] = (value.copy() if isinstance(value, np.ndarray) else value, before - budget.left)
        return value
    return _run(handler, node, ctx)


def _run(handler: Callable[[Any, Ctx], Any], node: t.Node, ctx: Ctx) -> Any:
    try:
        return handler(node, ctx)
    except (EvalError, ob.NumericalError):
        raise
    except (ValueError, TypeError, ArithmeticError, IndexError, KeyError, np.linalg.LinAlgError) as exc:
        raise EvalError(f"cannot evaluate {ctx.part(node)!r}: {type(exc).__name__}: {exc}") from None


def side_value(node: t.Node, ctx: Ctx, evaluations: int = EVALUATIONS) -> Any:
    """The value of one side of a relation: a number or an array, never NaN. The side has its own
    :class:`Budget` of ``evaluations``."""
    ctx = Ctx(ctx.scope, ctx.tex, ctx.tol, ctx.at, Budget(evaluations), ctx.part(node), ctx.memo)
    value = scalar(evaluate(node, ctx))
    if isinstance(value, (float, np.ndarray)) and np.any(np.isnan(value)):
        raise EvalError(f"{ctx.part(node)!r} is undefined here (0/0, inf - inf or similar)")
    return value


def scalar(value: Any) -> Any:
    """1x1 and size-1 arrays become floats; other arrays stay arrays."""
    if isinstance(value, np.ndarray) and value.size == 1:
        return float(value.reshape(-1)[0])
    if isinstance(value, (np.floating, np.integer)):
        return float(value)
    return value


# -- symbols

def _index_value(sub: t.Node, ctx: Ctx) -> Any:
    if isinstance(sub, t.Slice):
        lo = 1 if sub.lo is None else _as_int(evaluate(sub.lo, ctx), ctx, sub.lo)
        hi = _as_int(evaluate(sub.hi, ctx), ctx, sub.hi) if sub.hi is not None else None
        if hi is not None and sub.hi_exclusive:
            hi -= 1
        return slice(lo, hi)
    return _as_int(evaluate(sub, ctx), ctx, sub)


def _as_int(value: Any, ctx: Ctx, node: t.Node) -> int:
    value = scalar(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    raise EvalError(f"subscript {ctx.part(node)!r} is not an integer ({value!r})")


@dataclass
class Component:
    """``s_j(u)``: component j (1-based; or a block ``s_{1:d}``) of a vector-valued function s."""
    fn: Callable[..., Any]
    idx: Any

    def __call__(self, *args: Any) -> Any:
        value = np.asarray(self.fn(*args), dtype=float)
        if isinstance(self.idx, slice):
            return value[self.idx.start - 1:self.idx.stop]
        if not 1 <= self.idx <= value.shape[0]:
            raise IndexError(f"component {self.idx} outside 1..{value.shape[0]}")
        return float(value[self.idx - 1]) if value.ndim == 1 else value[self.idx - 1]


def index(base: Any, idx: Any) -> Any:
    """``base_idx``: 1-based for arrays and lists, ``Seq`` from its start, ``Indexed`` called, a component
    of a vector-valued function (``s_j(u)``)."""
    if isinstance(base, Indexed):
        return base.fn(idx)
    if isinstance(base, Seq):
        return base.slice(idx.start, idx.stop) if isinstance(idx, slice) else base[idx]
    if isinstance(base, dict):
        return base[idx]
    if callable(base) and not isinstance(base, (ob.Distribution, ob.Model)):
        return Component(base, idx)
    if isinstance(idx, slice):
        arr = np.asarray(base)
        return arr[idx.start - 1: idx.stop]
    if isinstance(base, (list, tuple, np.ndarray)):
        if not 1 <= idx <= len(base):
            raise IndexError(f"index {idx} outside 1..{len(base)}")
        return base[idx - 1]
    raise EvalError(f"cannot index {type(base).__name__} by {idx!r}")


def lookup(node: t.Sym, ctx: Ctx, *, default: Any = None) -> Any:
    scope = ctx.scope
    if scope.has(node.full):
        return scope[node.full]
    if node.sub is not None:
        try:
            idx = _index_value(node.sub, ctx)
        except NoValue:
            idx = None
        except EvalError:
            idx = None
        if idx is not None and not isinstance(idx, slice) and scope.has(f"{node.name}_{idx}"):
            return scope[f"{node.name}_{idx}"]
        if isinstance(idx, slice) and idx.stop is not None and not scope.has(node.name) and \
                all(scope.has(f"{node.name}_{k}") for k in range(idx.start, idx.stop + 1)):
            # x_{1:T} with x_1, ..., x_T given separately (bound by an expectation): the vector of them
            return np.concatenate([np.ravel(np.asarray(scope[f"{node.name}_{k}"], dtype=float))
                                   for k in range(idx.start, idx.stop + 1)])
        if idx is not None and scope.has(node.name):
            return index(scope[node.name], idx)
        if idx is None and scope.has(node.name) and isinstance(scope.raw(node.name), Indexed):
            return scope[node.name].fn(node.sub_text)
    elif scope.has(node.name):
        return scope[node.name]
    if default is not None:
        return default
    if node.sub is None and node.name in _CONSTANTS:
        return _CONSTANTS[node.name]
    if node.name == "I":
        if node.sub is not None:
            return np.eye(_as_int(evaluate(node.sub, ctx), ctx, node.sub))
        return Eye()
    if node.name.endswith("prime"):  # f' and f'' with no value of their own: derivatives of f
        base = node.name.removesuffix("primeprime") if node.name.endswith("primeprime") else node.name[:-5]
        order = 2 if node.name.endswith("primeprime") else 1
        if base and not base.endswith("prime"):
            fn = lookup(t.Sym(base, node.sub, node.sub_text, start=node.start, end=node.end), ctx)
            if callable(fn) and not isinstance(fn, (ob.Distribution, ob.Model)):
                return Deriv_(fn, order)
    raise NoValue(f"symbol {node.full!r} (from {ctx.part(node)!r}) has no value")


def identity(node: t.Node, ctx: Ctx) -> str:
    """The variable name an argument stands for: ``x``, ``xtilde``, ``x_3`` for ``x_t`` at t = 3."""
    if isinstance(node, t.Sym):
        if node.sub is None:
            return node.name
        try:
            idx = _index_value(node.sub, ctx)
        except EvalError:
            return node.full
        if isinstance(idx, slice):
            return f"{node.name}_{idx.start}:{idx.stop}"
        return f"{node.name}_{idx}"
    raise EvalError(f"{ctx.part(node)!r} is not a variable")


_CONSTANTS = {"pi": math.pi, "e": math.e}


def _sym(node: t.Sym, ctx: Ctx) -> Any:
    value = lookup(node, ctx)
    if isinstance(value, ob.Domain):
        raise NoValue(f"symbol {node.full!r} is a bound variable (it has a domain, not a value) in "
                      f"{ctx.part(node)!r}")
    return value


# -- arithmetic

def _num(node: t.Num, ctx: Ctx) -> Any:
    return node.value


def _unit(node: t.Unit, ctx: Ctx) -> Any:
    return 1.0 if node.name == "nats" else math.log(2.0)


def _text(node: t.Text, ctx: Ctx) -> Any:
    raise EvalError(f"\\text{{{node.text}}} has no value")


def _resolve_eye(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, Eye) and isinstance(b, np.ndarray) and b.ndim == 2:
        a = a.resolve(b.shape[0])
    if isinstance(b, Eye) and isinstance(a, np.ndarray) and a.ndim == 2:
        b = b.resolve(a.shape[0])
    return a, b


def _add(node: t.Add, ctx: Ctx) -> Any:
    total: Any = None
    for term, sign in zip(node.terms, node.signs):
        value = _numeric(evaluate(term, ctx), ctx, term)
        if total is None:
            total = value if sign > 0 else _neg_value(value)
            continue
        total, value = _resolve_eye(total, value)
        total = total + value if sign > 0 else total - value
    return total


def _neg_value(v: Any) -> Any:
    return Eye(-v.scale) if isinstance(v, Eye) else -v


def _neg(node: t.Neg, ctx: Ctx) -> Any:
    return _neg_value(_numeric(evaluate(node.arg, ctx), ctx, node.arg))


def _numeric(value: Any, ctx: Ctx, node: t.Node) -> Any:
    if isinstance(value, (int, float, np.ndarray, np.floating, np.integer, Eye)):
        return value
    while isinstance(node, t.Group):
        node = node.arg
    if ctx.at is not None and isinstance(node, t.Sym) and callable(value) and not isinstance(value, ob.Model):
        at = value(ctx.at)  # \int p \log p \, dx: a density or function alone is its value at x
        if isinstance(at, (int, float, np.ndarray, np.floating, np.integer)):
            return at
    if isinstance(value, ob.Distribution):
        raise EvalError(f"{ctx.part(node)!r} is a distribution where a number is needed")
    if callable(value):
        raise EvalError(f"{ctx.part(node)!r} is a function where a number is needed (missing arguments?)")
    raise EvalError(f"{ctx.part(node)!r} is not a number ({type(value).__name__})")


def multiply(a: Any, b: Any, op: str = "") -> Any:
    a, b = _resolve_eye(a, b)
    if isinstance(a, Eye) and isinstance(b, Eye):
        return Eye(a.scale * b.scale)
    if isinstance(a, Eye):
        return b * a.scale if not isinstance(b, np.ndarray) or b.ndim < 2 else a.scale * b
    if isinstance(b, Eye):
        return Eye(b.scale * a) if not isinstance(a, np.ndarray) else a * b.scale
    if op == "odot":
        return _times(a, b)
    if op == "/":
        return a / b
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.ndim >= 1 and b.ndim >= 1 and \
            (a.ndim == 2 or b.ndim == 2 or op in ("", "cdot")):
        if a.ndim == 1 and b.ndim == 1 and op == "":
            raise EvalError("two vectors side by side: write u^\\top v for a dot product")
        return a @ b
    return _times(a, b)


def _times(a: Any, b: Any) -> Any:
    """Elementwise product with the convention 0 * (+-inf) = 0 (0 log 0 = 0, 0 log(0/q) = 0)."""
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.where((a_arr == 0) | (b_arr == 0), 0.0, a_arr * b_arr)
    return out if out.ndim else float(out)


def _mul(node: t.Mul, ctx: Ctx) -> Any:
    value = _numeric(evaluate(node.factors[0], ctx), ctx, node.factors[0])
    for op, factor in zip(node.ops, node.factors[1:]):
        value = multiply(value, _numeric(evaluate(factor, ctx), ctx, factor), op)
    return value


def _frac(node: t.Frac, ctx: Ctx) -> Any:
    num = _numeric(evaluate(node.num, ctx), ctx, node.num)
    den = _numeric(evaluate(node.den, ctx), ctx, node.den)
    if isinstance(den, np.ndarray) and den.ndim == 2:
        raise EvalError(f"division by a matrix in {ctx.part(node)!r}")
    return divide(num, den, ctx, node)


def divide(num: Any, den: Any, ctx: Ctx, node: t.Node) -> Any:
    """num / den; x / 0 is +-inf for x != 0 (p log(p/0) = +inf); 0 / 0 is undefined (NaN), which only a
    factor 0 can absorb (0 log(0/0) = 0); a NaN that reaches a side is reported."""
    num_arr, den_arr = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num_arr / den_arr
    return out if out.ndim else float(out)


def _pow(node: t.Pow, ctx: Ctx) -> Any:
    if isinstance(node.base, t.Call) and _product_call(node.base, ctx):
        # n(\bar x - \mu)^2 is n (\bar x - \mu)^2: after a product, the power binds to the parenthesis
        call = node.base
        head = _numeric(evaluate(call.func, ctx), ctx, call.func)
        return multiply(head, _power(_numeric(evaluate(call.args[0], ctx), ctx, call.args[0]), node, ctx))
    return _power(_numeric(evaluate(node.base, ctx), ctx, node.base), node, ctx)


def _product_call(node: t.Call, ctx: Ctx) -> bool:
    """Whether ``f(a)`` is the product of f and (a): f's value is a number (not a function, and not a
    matrix, whose power would be ambiguous)."""
    if node.given or node.semi or len(node.args) != 1 or \
            (isinstance(node.func, t.Sym) and node.func.name in _OPERATORS and not ctx.scope.has(node.func.name)):
        return False
    try:
        value = evaluate(node.func, ctx)
    except EvalError:
        return False
    return isinstance(value, (int, float, np.floating, np.integer))


def _power(base: Any, node: t.Pow, ctx: Ctx) -> Any:
    exp = _numeric(evaluate(node.exp, ctx), ctx, node.exp)
    if isinstance(base, np.ndarray) and base.ndim == 2:
        return np.linalg.matrix_power(base, _as_int(exp, ctx, node.exp))
    with np.errstate(invalid="raise", divide="raise", over="raise"):
        try:
            return np.power(base, exp) if isinstance(base, np.ndarray) else float(base) ** float(exp)
        except (FloatingPointError, ZeroDivisionError, OverflowError) as exc:
            raise EvalError(f"{ctx.part(node)!r}: {exc}") from None


def _inverse(node: t.Inverse, ctx: Ctx) -> Any:
    if isinstance(node.arg, t.Sym):
        inv_name = t.Sym(node.arg.name + "inv", node.arg.sub, node.arg.sub_text, start=node.start, end=node.end)
        if ctx.scope.has(inv_name.full) or ctx.scope.has(inv_name.name):
            return lookup(inv_name, ctx)
    value = evaluate(node.arg, ctx)
    if isinstance(value, Function):
        if value.inverse is None:
            raise EvalError(f"{ctx.part(node.arg)!r} has no inverse")
        return Function(value.inverse, value.fn)
    value = _numeric(value, ctx, node.arg)
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return np.linalg.inv(value)
    if isinstance(value, Eye):
        return Eye(1.0 / value.scale)
    return 1.0 / value


def _transpose(node: t.Transpose, ctx: Ctx) -> Any:
    value = _numeric(evaluate(node.arg, ctx), ctx, node.arg)
    if isinstance(value, np.ndarray):
        return value.reshape(1, -1) if value.ndim == 1 else value.T
    return value


def _factorial(node: t.Factorial, ctx: Ctx) -> Any:
    return scipy.special.gamma(np.asarray(_numeric(evaluate(node.arg, ctx), ctx, node.arg)) + 1.0)


def _sqrt(node: t.Sqrt, ctx: Ctx) -> Any:
    value = _numeric(evaluate(node.arg, ctx), ctx, node.arg)
    if np.any(np.asarray(value) < 0):
        raise EvalError(f"square root of a negative number in {ctx.part(node)!r}")
    return np.sqrt(value)


def _log(x: Any) -> Any:
    """Natural log; log 0 = -inf (so that 0 log 0 = 0 below), a negative argument is an error."""
    arr = np.asarray(x, dtype=float)
    if np.any(arr < 0):
        raise EvalError(f"log of a negative number ({x!r})")
    with np.errstate(divide="ignore"):
        out = np.log(arr)
    return out if out.ndim else float(out)


def _softmax(z: Any) -> Any:
    return scipy.special.softmax(np.asarray(z, dtype=float))


FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "log": _log, "exp": np.exp, "sin": np.sin, "cos": np.cos, "tan": np.tan, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "arcsinh": np.arcsinh, "arccosh": np.arccosh, "arctanh": np.arctanh, "arcsin": np.arcsin,
    "arccos": np.arccos, "arctan": np.arctan,
    "det": lambda m: np.linalg.det(np.atleast_2d(m)), "tr": lambda m: np.trace(np.atleast_2d(m)),
    "diag": lambda v: np.diag(np.ravel(v)), "softmax": _softmax,
}


def log_value(node: t.Node, ctx: Ctx) -> Any:
    """log of a node's value, computed in log space where the node is a product, quotient or power of
    densities, so that log(p(x)/q(x)) stays finite where both densities underflow."""
    if isinstance(node, t.Group):
        return log_value(node.arg, ctx)
    if ctx.at is not None and isinstance(node, t.Sym):
        law = evaluate(node, ctx)
        if isinstance(law, ob.Distribution):
            return law.logpdf(ctx.at)  # \log p inside \int ... dx: log p(x), in log space
    if isinstance(node, t.Frac):
        return log_value(node.num, ctx) - log_value(node.den, ctx)
    if isinstance(node, t.Mul) and all(op in ("", "cdot", "times") for op in node.ops):
        values = [evaluate(f, ctx) for f in node.factors]
        if all(isinstance(v, (int, float)) for v in values):
            return sum(log_value(f, ctx) for f in node.factors)
    if isinstance(node, t.Pow):
        base = evaluate(node.base, ctx)
        if isinstance(base, (int, float)) and base > 0:
            return float(scalar(_numeric(evaluate(node.exp, ctx), ctx, node.exp))) * log_value(node.base, ctx)
    if isinstance(node, t.Call):
        law = _density_law(node, ctx)
        if law is not None:
            return law[0].logpdf(law[1])
    return _log(_numeric(evaluate(node, ctx), ctx, node))


def _density_law(node: t.Call, ctx: Ctx) -> tuple[ob.Distribution, Any] | None:
    """(law, point) when ``node`` is a density evaluated at a point, else None."""
    func = node.func
    if not isinstance(func, t.Sym) or node.semi or (isinstance(func, t.Sym) and func.name in _OPERATORS
                                                    and not ctx.scope.has(func.name)):
        return None
    try:
        target = evaluate(func, ctx)
    except EvalError:
        return None
    if isinstance(target, ob.Distribution) and len(node.args) == 1 and not node.given:
        arg = _arg_value(node.args[0], ctx)
        return None if isinstance(arg, Unbound) else (target, arg)
    if isinstance(target, ob.Model):
        out = _model_call(target, node, ctx, as_law=True)
        return out if isinstance(out, tuple) else None
    return None


def _func(node: t.Func, ctx: Ctx) -> Any:
    if node.name == "log" and node.power is None and not ctx.scope.has("log"):
        return log_value(node.arg, ctx)
    fn = ctx.scope.get(node.name) if ctx.scope.has(node.name) else FUNCTIONS.get(node.name)
    if fn is None:
        raise EvalError(f"unknown function {node.name!r} in {ctx.part(node)!r}")
    arg = evaluate(node.arg, ctx)
    if node.name == "Var":
        raise EvalError("\\mathrm{Var} needs brackets: \\mathrm{Var}[x]")
    value = fn(_numeric(arg, ctx, node.arg)) if not callable(arg) else fn(arg)
    if node.power is not None:
        value = value ** _numeric(evaluate(node.power, ctx), ctx, node.power)
    return value


def _abs(node: t.Abs, ctx: Ctx) -> Any:
    value = _numeric(evaluate(node.arg, ctx), ctx, node.arg)
    if isinstance(value, np.ndarray) and value.ndim == 2:
        raise EvalError(f"|.| of a matrix in {ctx.part(node)!r} (write |\\det A|)")
    return np.abs(value)


def _norm(node: t.Norm, ctx: Ctx) -> Any:
    return float(np.linalg.norm(np.ravel(_numeric(evaluate(node.arg, ctx), ctx, node.arg))))


def _group(node: t.Group, ctx: Ctx) -> Any:
    return evaluate(node.arg, ctx)


def _index_node(node: t.Index, ctx: Ctx) -> Any:
    return index(evaluate(node.arg, ctx), _index_value(node.index, ctx))


def _block(value: Any) -> np.ndarray:
    """A block of a matrix: a vector is a column (as everywhere: v^\\top is the row)."""
    arr = np.asarray(value, dtype=float)
    return arr.reshape(-1, 1) if arr.ndim == 1 else np.atleast_2d(arr)


def _matrix(node: t.Matrix, ctx: Ctx) -> Any:
    rows = [[_block(_numeric(evaluate(c, ctx), ctx, c)) for c in row] for row in node.rows]
    # a scalar 0 block takes the shape its row and column need
    heights = [max(b.shape[0] for b in row) for row in rows]
    widths = [max(row[j].shape[1] for row in rows if j < len(row)) for j in range(max(len(r) for r in rows))]
    fixed = [[np.zeros((h, w)) if b.size == 1 and b.item() == 0 and (h, w) != (1, 1) else b
              for b, w in zip(row, widths)] for row, h in zip(rows, heights)]
    return np.block(fixed)


# -- sums, products, integrals, expectations

def _domain_of(var: str, ctx: Ctx, node: t.Node) -> ob.Domain:
    domains = ctx.scope.get(DOMAINS)
    if isinstance(domains, dict) and var in domains:
        return domains[var]  # type: ignore[no-any-return]
    if ctx.scope.has(var):
        value = ctx.scope[var]
        if isinstance(value, ob.Domain):
            return value
        if isinstance(value, ob.Distribution) and hasattr(value, "domain"):
            return value.domain  # type: ignore[no-any-return]
    raise EvalError(f"{ctx.part(node)!r}: the variable {var!r} has no domain; give "
                    f"{var!r}: Finite([...]) or Reals(...) in the check")


def _bigop(node: t.BigOp, ctx: Ctx) -> Any:
    if node.var is None:
        raise EvalError(f"{ctx.part(node)!r} has no index variable")
    if node.lo is not None:
        lo = _as_int(evaluate(node.lo, ctx), ctx, node.lo)
        if node.hi is None:
            raise EvalError(f"{ctx.part(node)!r} has a lower limit and no upper limit")
        hi = _as_int(evaluate(node.hi, ctx), ctx, node.hi)
        values: list[Any] = list(range(lo, hi + 1))
    else:
        domain = _domain_of(node.var, ctx, node)
        if not domain.finite:
            raise EvalError(f"{ctx.part(node)!r}: the domain of {node.var!r} is not finite")
        values = list(domain.values or [])
    total: Any = 0.0 if node.op == "sum" else 1.0
    for v in values:
        inner = ctx.with_scope(ctx.scope.child({node.var: v}))
        if node.cond is not None and not _condition(node.cond, inner):
            continue
        term = _numeric(evaluate(node.body, inner), inner, node.body)
        total = total + term if node.op == "sum" else total * term
    return total


def _condition(node: t.Node, ctx: Ctx) -> bool:
    statement = node.statement  # type: ignore[attr-defined]
    values = [scalar(evaluate(s, ctx)) for s in statement.sides]
    return all(compare(a, b, r.op, 0.0, 0.0) for a, b, r in zip(values, values[1:], statement.relations))


def _integral(node: t.Integral, ctx: Ctx) -> Any:
    if node.lo is not None or node.hi is not None:
        lo = -math.inf if node.lo is None else float(scalar(evaluate(node.lo, ctx)))
        hi = math.inf if node.hi is None else float(scalar(evaluate(node.hi, ctx)))
        domain = ob.Domain(lo=lo, hi=hi)
    else:
        domain = _domain_of(node.var, ctx, node)

    def g(v: Any) -> float:
        inner = Ctx(ctx.scope.child({node.var: v}), ctx.tex, ctx.tol, v, ctx.budget, ctx.part_of_side, ctx.memo)
        return float(scalar(_numeric(evaluate(node.body, inner), inner, node.body)))

    return domain.integrate(g, ctx.tol)


def _law_of(node: t.Node, ctx: Ctx) -> tuple[list[str], ob.Distribution]:
    """The variables and law of an expectation subscript: ``x \\sim p``, ``p``, ``q(z)``, ``u``."""
    if isinstance(node, t.Sim):
        law = as_distribution(evaluate(node.dist, ctx), ctx, node.dist)
        names = node.vars
        if "..." in names:  # z_1, \dots, z_K: K independent copies
            first, last = names[0], names[-1]
            base, _, hi = last.partition("_")
            count = int(scalar(ctx.scope[hi])) if ctx.scope.has(hi) else int(hi)
            names = [f"{base}_{k}" for k in range(1, count + 1)]
            del first
        return names, law
    value = evaluate(node, ctx)
    if isinstance(value, ob.Model):
        law = model_law(value, ctx)
        return law.var.split(","), law
    if isinstance(node, t.Sym) and isinstance(value, ob.Distribution):
        return [value.var], value
    return [as_distribution(value, ctx, node).var], as_distribution(value, ctx, node)


def model_law(model: ob.Model, ctx: Ctx) -> ob.Distribution:
    """The law of a model's variables that have no value in the scope, given those that have one:
    ``\\mathbb{E}_q[f]`` with q a model of x_0..x_T and x_0 known is over q(x_1, ..., x_T | x_0)."""
    given = {}
    for name in model.variables:
        value = named_value(name, ctx)
        if value is not None:
            given[name] = value
    if len(given) == len(model.variables):
        raise EvalError("every variable of the model has a value: nothing to take the expectation over")
    return model.law(None, given)


def named_value(name: str, ctx: Ctx) -> Any:
    """The value the scope gives a variable name (``x_2``: as ``x_2`` or as ``x`` indexed by 2), or None."""
    scope = ctx.scope
    if scope.has(name):
        value = scope[name]
    else:
        base, _, idx = name.rpartition("_")
        if not (base and idx.lstrip("-").isdigit() and scope.has(base)):
            return None
        try:
            value = index(scope[base], int(idx))
        except (IndexError, KeyError, TypeError, EvalError):
            return None
    if isinstance(value, (ob.Domain, ob.Distribution, ob.Model)) or callable(value):
        return None
    return value


def as_distribution(value: Any, ctx: Ctx, node: t.Node) -> ob.Distribution:
    """A distribution, or a probability vector read as the categorical law on 1..K."""
    if isinstance(value, ob.Distribution):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 1 and np.all(value >= 0) and abs(value.sum() - 1) <= 1e-9:
        return ob.Discrete(value)
    raise EvalError(f"{ctx.part(node)!r} is not a distribution ({type(value).__name__})")


def _expect(node: t.Expect, ctx: Ctx) -> Any:
    def run(c: Ctx) -> Any:
        return _numeric(evaluate(node.body, c), c, node.body)

    if node.op == "Var":
        mean = _expectation(node, ctx, run)
        return _expectation(node, ctx, lambda c: (scalar(run(c)) - mean) ** 2)
    return _expectation(node, ctx, run)


_LawEntry = tuple[list[str], ob.Distribution] | Callable[[Ctx], tuple[list[str], ob.Distribution]]


def _expectation(node: t.Expect, ctx: Ctx, body: Callable[[Ctx], Any]) -> Any:
    laws: list[_LawEntry] = []
    if node.given:
        joint = ctx.scope.get(JOINT)
        if not isinstance(joint, ob.Model):
            raise EvalError(f"{ctx.part(node)!r} is a conditional expectation: give the joint model as "
                            f"'{JOINT}' in the check")
        given = {identity(g, ctx): _numeric(evaluate(g, ctx), ctx, g) for g in node.given}
        law = joint.law(None, given)  # type: ignore[arg-type]
        laws.append((law.var.split(","), law))
    elif node.sub:
        # a law may depend on the variables bound before it (x \\sim p, \\tilde x \\sim q(\\cdot \\mid x)):
        # each is read in the scope where those have their values
        for sub in node.sub:
            laws.append(functools.partial(_law_of, sub))
    else:
        law = ctx.scope.get(LAW)
        if isinstance(law, ob.Model):
            law = model_law(law, ctx)
        if not isinstance(law, ob.Distribution):
            raise EvalError(f"{ctx.part(node)!r} has no subscript: give its law as '{LAW}' in the check")
        laws.append((law.var.split(","), law))
    return _nested(laws, ctx, body)


def _nested(laws: list[_LawEntry], ctx: Ctx, body: Callable[[Ctx], Any]) -> Any:
    if not laws:
        return scalar(body(ctx))
    first, rest = laws[0], laws[1:]
    names, law = first(ctx) if callable(first) else first
    if len(names) > 1 and not _splits(law, names):  # z_1, ..., z_K ~ q: independent copies of one law
        return _iid(names, law, rest, ctx, body)

    def f(v: Any) -> Any:
        bindings = _bind(names, law, v)
        return scalar(_nested(rest, ctx.with_scope(ctx.scope.child(bindings)), body))  # a number or an array

    return law.expect(f, ctx.tol)


def _iid(names: list[str], law: ob.Distribution, rest: list[Any], ctx: Ctx, body: Callable[[Ctx], Any]) -> Any:
    def f(v: Any) -> Any:
        inner = ctx.with_scope(ctx.scope.child({names[0]: v}))
        if len(names) == 1:
            return scalar(_nested(rest, inner, body))
        return scalar(_iid(names[1:], law, rest, inner, body))

    return law.expect(f, ctx.tol)


def _splits(law: ob.Distribution, names: list[str]) -> bool:
    return law.var.split(",") == names and getattr(law, "blocks", None) is not None


def _bind(names: list[str], law: ob.Distribution, value: Any) -> dict[str, Any]:
    if len(names) == 1:
        return {names[0]: scalar(value) if np.size(value) == 1 else np.asarray(value)}
    out, start = {}, 0
    for name, size in zip(names, law.blocks):  # type: ignore[attr-defined]
        chunk = np.asarray(value)[start:start + size]
        out[name] = float(chunk[0]) if size == 1 else chunk
        start += size
    return out


def _dist(node: t.Dist, ctx: Ctx) -> Any:
    if len(node.args) != 2:
        raise EvalError(f"{ctx.part(node)!r} needs two distributions")
    override = ctx.scope.get(node.op)
    p, q = (evaluate(a, ctx) for a in node.args)
    if override is not None:
        return override(p, q)
    p, q = as_distribution(p, ctx, node.args[0]), as_distribution(q, ctx, node.args[1])
    p, q = _common_dim(p, q)
    return ob.kl(p, q, ctx.tol) if node.op == "KL" else ob.jsd(p, q, ctx.tol)


def _common_dim(p: ob.Distribution, q: ob.Distribution) -> tuple[ob.Distribution, ob.Distribution]:
    """\\mathcal{N}(0, I) next to a k-dimensional law becomes k-dimensional."""
    def dim(d: ob.Distribution) -> int | None:
        if isinstance(d, ob.MVN):
            return None if getattr(d, "_eye", False) else d.mean.size
        return 1 if isinstance(d, ob.Normal) else None

    for a, b in ((p, q), (q, p)):
        if isinstance(a, ob.MVN) and getattr(a, "_eye", False) and dim(b):
            k = dim(b)
            a.mean = np.full(k, float(a.mean[0]))  # type: ignore[arg-type]
            a.cov = float(a.cov[0, 0]) * np.eye(k)  # type: ignore[arg-type]
            a._eye = False  # type: ignore[attr-defined]
    return p, q


# -- calls: functions, densities, models, operators

def _gaussian(args: list[Any], semi: list[Any], ctx: Ctx, node: t.Node) -> Any:
    """\\mathcal{N}(mu, Sigma) -> a law; \\mathcal{N}(x; mu, Sigma) -> its density at x."""
    if semi:
        point, (mean, cov) = args[0], semi
        law = _gaussian([mean, cov], [], ctx, node)
        return law.pdf(point)
    if len(args) != 2:
        raise EvalError(f"{ctx.part(node)!r}: \\mathcal{{N}} takes a mean and a (co)variance")
    mean, cov = args
    if isinstance(cov, Eye):
        law = ob.MVN(np.atleast_1d(mean), cov.scale * np.eye(np.atleast_1d(mean).size))
        law._eye = np.atleast_1d(mean).size == 1  # type: ignore[attr-defined]
        return law
    if isinstance(cov, np.ndarray) and cov.ndim == 2:
        return ob.MVN(mean, cov)
    cov_value = float(scalar(cov))
    if cov_value <= 0:
        raise EvalError(f"{ctx.part(node)!r}: variance {cov_value!r} is not positive")
    return ob.Normal(float(scalar(mean)), cov_value)


def _entropy_op(name: str, sub: str, args: list[Any], ctx: Ctx, node: t.Node) -> Any:
    base = {"bits": math.log(2.0), "nats": 1.0, "": 1.0, "b": 1.0}.get(sub)
    if base is None:
        raise EvalError(f"unknown entropy subscript {sub!r} in {ctx.part(node)!r}")
    if len(args) == 1 and not isinstance(args[0], (ob.Distribution, np.ndarray)):
        p = float(scalar(args[0]))  # H(p) of a number: the binary entropy
        if not 0.0 <= p <= 1.0:
            raise EvalError(f"{ctx.part(node)!r}: binary entropy of {p!r}, which is not a probability")
        return float(-scipy.special.xlogy(p, p) - scipy.special.xlogy(1 - p, 1 - p)) / base
    if len(args) == 1:
        return ob.entropy(as_distribution(args[0], ctx, node), ctx.tol) / base
    if len(args) == 2:
        return ob.cross_entropy(as_distribution(args[0], ctx, node), as_distribution(args[1], ctx, node),
                                ctx.tol) / base
    raise EvalError(f"{ctx.part(node)!r}: H takes one or two distributions")


_OPERATORS = {"calN", "Bern", "H", "h"}


def _call(node: t.Call, ctx: Ctx) -> Any:
    func = node.func
    if isinstance(func, t.Sym) and func.name in _OPERATORS and not ctx.scope.has(func.full) \
            and not ctx.scope.has(func.name):
        fname = func.name
        args = [evaluate(a, ctx) for a in node.args]
        semi = [evaluate(a, ctx) for a in node.semi]
        if node.given:
            raise EvalError(f"{ctx.part(node)!r}: {fname} takes no condition")
        if fname == "calN":
            return _gaussian(args, semi, ctx, node)
        if fname == "Bern":
            return ob.Bernoulli(float(scalar(args[0])))
        return _entropy_op(fname, func.sub_text if func.sub is not None else "", args, ctx, node)
    target = evaluate(func, ctx)
    if isinstance(target, ByParts):
        return target.fn(*([_part_value(a, ctx) for a in part] for part in (node.args, node.semi, node.given)))
    if isinstance(target, ob.Model):
        return _model_call(target, node, ctx)
    if isinstance(target, ob.Distribution):
        if node.given or node.semi or len(node.args) != 1:
            raise EvalError(f"{ctx.part(node)!r}: a distribution takes one argument")
        arg = _arg_value(node.args[0], ctx)
        if isinstance(arg, Unbound):
            return target.named(arg.name) if target.var == "x" else target
        return target.pdf(arg)
    if isinstance(target, Deriv_):
        return target(*[evaluate(a, ctx) for a in node.args])
    if callable(target):
        values = [_arg_value(a, ctx) for a in [*node.args, *node.semi, *node.given]]
        unbound = [v.name for v in values if isinstance(v, Unbound)]
        if unbound:
            raise NoValue(f"{ctx.part(node)!r}: {unbound[0]!r} has no value")
        return target(*values)
    # not a function: a product, e.g. k(n - k)
    if node.given or node.semi or len(node.args) != 1:
        raise EvalError(f"{ctx.part(func)!r} is not a function, so {ctx.part(node)!r} cannot be a call")
    return multiply(_numeric(target, ctx, func), _numeric(evaluate(node.args[0], ctx), ctx, node.args[0]))


def _part_value(node: t.Node, ctx: Ctx) -> Any:
    """An argument for :class:`ByParts`: an event ``X = x`` becomes ``(name, value)``."""
    if isinstance(node, t.Event):
        return identity(node.var, ctx), _numeric(evaluate(node.value, ctx), ctx, node.value)
    return _arg_value(node, ctx)


def _arg_value(node: t.Node, ctx: Ctx) -> Any:
    if isinstance(node, t.Sym) and node.name == "·":
        return Unbound("·")
    try:
        value = evaluate(node, ctx)
    except NoValue:
        if isinstance(node, t.Sym):
            return Unbound(identity(node, ctx))
        raise
    if isinstance(value, ob.Domain):
        return Unbound(identity(node, ctx))
    return value


def _model_call(model: ob.Model, node: t.Call, ctx: Ctx, as_law: bool = False) -> Any:
    targets: list[str] = []
    target_values: list[Any] = []
    for a in node.args:
        if isinstance(a, t.Event):
            targets.append(identity(a.var, ctx))
            target_values.append(_numeric(evaluate(a.value, ctx), ctx, a.value))
        else:
            targets.append(identity(a, ctx))
            target_values.append(_arg_value(a, ctx))
    given: dict[str, Any] = {}
    for g in node.given:
        if isinstance(g, t.Event):  # p(x \mid y = 1)
            given[identity(g.var, ctx)] = _numeric(evaluate(g.value, ctx), ctx, g.value)
            continue
        value = _arg_value(g, ctx)
        if isinstance(value, Unbound):
            raise NoValue(f"{ctx.part(node)!r}: the condition {ctx.part(g)!r} has no value")
        given[identity(g, ctx)] = value
    try:
        law = model.law(None if targets == ["·"] else targets, given)  # q(\\cdot | x): the other variables
    except KeyError as exc:
        # z_k that the model does not name: the k-th draw of its variable z (p(x, z_k) in an IWAE bound)
        base_targets = [name.partition("_")[0] for name in targets]
        base_given = {name.partition("_")[0]: v for name, v in given.items()}
        renamed = (base_targets != targets or list(base_given) != list(given)) and len(base_given) == len(given)
        fallback: ob.Distribution | None = None
        if renamed:
            try:
                fallback = model.law(base_targets, base_given)
            except KeyError:
                fallback = None
        if fallback is None:
            raise EvalError(f"{ctx.part(node)!r}: {exc.args[0]}") from None
        law = fallback
    if any(isinstance(v, Unbound) for v in target_values):
        if not all(isinstance(v, Unbound) for v in target_values):
            raise EvalError(f"{ctx.part(node)!r}: some arguments have values and some do not")
        return law
    point = target_values[0] if len(target_values) == 1 else np.concatenate(
        [np.ravel(np.asarray(v, dtype=float)) for v in target_values])
    return (law, point) if as_law else law.pdf(point)


# -- derivatives

class Deriv_:
    """The derivative of a function, ``\\frac{d f^{-1}}{dx}``: called at its arguments."""

    def __init__(self, fn: Callable[[Any], Any], order: int) -> None:
        self.fn = fn
        self.order = order

    def __call__(self, x: Any) -> Any:
        return derivative(lambda v: self.fn(v), x, self.order)


def derivative(f: Callable[[Any], Any], x0: Any, order: int = 1) -> Any:
    """d^order f / dx^order at x0 by central differences with Richardson extrapolation.

    For a vector x0 (even of one component) it returns the gradient (or the Jacobian, one column per
    component of x0).
    """
    if isinstance(x0, np.ndarray) and x0.ndim >= 1:
        flat = np.ravel(x0).astype(float)
        cols = []
        for j in range(flat.size):
            def fj(s: float, j: int = j) -> Any:
                v = flat.copy()
                v[j] = s
                return f(v.reshape(np.shape(x0)))
            cols.append(_difference(fj, float(flat[j]), order))  # keeps the shape of f's value
        return np.stack(cols, axis=-1)
    return scalar(_difference(f, float(scalar(x0)), order))


def _difference(f: Callable[[Any], Any], x: float, order: int) -> np.ndarray:
    """The derivative of f at a number x, with the shape of f's value."""
    if order not in (1, 2):
        raise EvalError(f"derivatives of order {order} are not supported")
    h = 1e-2 * max(abs(x), 1e-2)
    centre = np.asarray(f(x), dtype=float) if order == 2 else None
    levels = []
    for k in range(4):
        hk = h / 2 ** k
        plus, minus = np.asarray(f(x + hk), dtype=float), np.asarray(f(x - hk), dtype=float)
        # inf - inf (the log-density of a point mass) is NaN, reported as an undefined side
        with np.errstate(invalid="ignore"):
            d = (plus - minus) / (2 * hk) if order == 1 else (plus - 2 * centre + minus) / hk ** 2
        levels.append(d)
        if k == 1 and _settled(levels, plus, minus, centre, hk, order):
            break
    # Richardson: the error is a series in h^2
    with np.errstate(invalid="ignore"):
        for m in range(1, len(levels)):
            levels = [(4 ** m * levels[i + 1] - levels[i]) / (4 ** m - 1) for i in range(len(levels) - 1)]
    return levels[0]


#: How many rounding errors of the function values two step sizes' differences may differ by and still
#: count as equal (see ``_settled``).
_ROUNDING_ULPS = 16


def _settled(levels: list[np.ndarray], plus: np.ndarray, minus: np.ndarray, centre: np.ndarray | None,
             hk: float, order: int) -> bool:
    """Whether the differences at steps h and h/2 agree within the rounding of the function values.

    Their difference is the truncation error's series in h^2 (times 3/4) plus rounding; when it is
    no larger than rounding, f is a polynomial of degree <= order + 1 to working precision near x
    (a Gaussian log-density, whose gradient every score formula takes), and the two further halvings
    would only add rounding. Any curvature of higher order shows in the difference at h = 1e-2 |x|
    far above this threshold, and all four steps are taken as before."""
    first, second = levels
    if not (np.all(np.isfinite(first)) and np.all(np.isfinite(second))):
        return False
    values = [plus, minus] + ([] if centre is None else [centre])
    scale = max(float(np.max(np.abs(v))) if np.size(v) else 0.0 for v in values)
    rounding = _ROUNDING_ULPS * np.finfo(float).eps * scale / hk ** order
    return bool(np.max(np.abs(second - first), initial=0.0) <= rounding)


def _free_names(node: t.Node) -> set[str]:
    return {n.full for n in node.walk() if isinstance(n, t.Sym)} | {n.name for n in node.walk() if isinstance(n, t.Sym)}


def _deriv(node: t.Deriv, ctx: Ctx) -> Any:
    wrt = node.wrt
    if isinstance(wrt, t.Sym):
        var, transform = wrt, None
    else:
        syms = [n for n in wrt.walk() if isinstance(n, t.Sym)]
        if len({s.full for s in syms}) != 1:
            raise EvalError(f"cannot differentiate with respect to {ctx.part(wrt)!r}")
        var, transform = syms[0], wrt
    name = var.full
    if node.body is None and node.applied is None:
        raise EvalError(f"{ctx.part(node)!r}: derivative of nothing")

    if node.applied is not None or (node.body is not None and isinstance(node.body, (t.Inverse, t.Sym))
                                    and _is_function(node.body, ctx)):
        fn = evaluate(node.body, ctx) if node.body is not None else None
        if not callable(fn):
            raise EvalError(f"{ctx.part(node)!r}: {ctx.part(node.body) if node.body else ''} is not a function")
        d = Deriv_(fn, node.order)
        if node.applied is None:  # \\frac{d f^{-1}}{dx}: at the value of x if it has one, else the function
            known = ctx.scope.has(name) or ctx.scope.has(var.name)
            point = lookup(var, ctx, default=_NONE) if known else _NONE
            return d if point is _NONE or isinstance(point, ob.Domain) else d(point)
        return d(*[evaluate(a, ctx) for a in node.applied])

    body = node.body
    assert body is not None
    if name not in _free_names(body) and var.name not in _free_names(body) and isinstance(body, t.Call) \
            and len(body.args) == 1:
        # \nabla_z f(m + L eps): the gradient of f, taken at its argument
        fn = evaluate(body.func, ctx)
        return derivative(lambda v: fn(v), evaluate(body.args[0], ctx), node.order)

    current = evaluate(var, ctx) if ctx.scope.has(name) or ctx.scope.has(var.name) else None
    if current is None:
        raise EvalError(f"{ctx.part(node)!r}: the variable {name!r} has no value to differentiate at")

    bind = _binder(var, ctx)

    def at(v: Any) -> Any:
        inner = ctx.with_scope(ctx.scope.child(bind(v)))
        return _numeric(evaluate(body, inner), inner, body)

    if transform is None:
        return derivative(at, current, node.order)
    if node.order != 1:
        raise EvalError("second derivatives with respect to an expression are not supported")

    def g(v: Any) -> Any:
        inner = ctx.with_scope(ctx.scope.child(bind(v)))
        return _numeric(evaluate(transform, inner), inner, transform)

    return derivative(at, current) / derivative(g, current)


_NONE = object()


def _binder(var: t.Sym, ctx: Ctx) -> Callable[[Any], dict[str, Any]]:
    """How the variable of a derivative takes a new value: under its own name, or, for a block or a
    component of a vector (``\\partial u_{1:d}``, ``\\partial x_i``, ``\\nabla_{x_t}`` with x a ``Seq``), inside
    that vector, so that everything computed from the vector (``Lazy`` values) follows."""
    scope = ctx.scope
    if scope.has(var.full) or var.sub is None or not scope.has(var.name):
        return lambda v: {var.full: v}
    base = scope[var.name]
    idx = _index_value(var.sub, ctx)
    if isinstance(base, Seq) and not isinstance(idx, slice):
        def bind_seq(v: Any) -> dict[str, Any]:
            values = list(base.values)
            values[idx - base.start] = v
            return {var.name: Seq(values, base.start)}
        return bind_seq
    if isinstance(base, np.ndarray) and base.ndim >= 1:
        where = slice(idx.start - 1, idx.stop) if isinstance(idx, slice) else idx - 1

        def bind_array(v: Any) -> dict[str, Any]:
            new = np.array(base, dtype=float)
            new[where] = v
            return {var.name: new}
        return bind_array
    return lambda v: {var.full: v}


def _is_function(node: t.Node, ctx: Ctx) -> bool:
    try:
        value = evaluate(node, ctx)
    except EvalError:
        return False
    return callable(value) and not isinstance(value, (ob.Distribution, ob.Model))


def _event(node: t.Event, ctx: Ctx) -> Any:
    raise EvalError(f"{ctx.part(node)!r} is an event; it only means something inside P(...)")


def _interval(node: t.Interval, ctx: Ctx) -> Any:
    return (float(scalar(evaluate(node.lo, ctx))), float(scalar(evaluate(node.hi, ctx))))


_HANDLERS: dict[type, Callable[[Any, Ctx], Any]] = {
    t.Num: _num, t.Sym: _sym, t.Unit: _unit, t.Text: _text, t.Add: _add, t.Neg: _neg, t.Mul: _mul,
    t.Frac: _frac, t.Pow: _pow, t.Inverse: _inverse, t.Transpose: _transpose, t.Factorial: _factorial,
    t.Sqrt: _sqrt, t.Func: _func, t.Abs: _abs, t.Norm: _norm, t.Group: _group, t.Index: _index_node,
    t.Matrix: _matrix, t.BigOp: _bigop, t.Integral: _integral, t.Expect: _expect, t.Dist: _dist,
    t.Call: _call, t.Deriv: _deriv, t.Event: _event, t.Interval: _interval,
}


# --------------------------------------------------------------------------------------------------

def law_value(node: t.Node, ctx: Ctx) -> ob.Distribution:
    """The law a density expression stands for, where the other side of ``=`` is a law:
    ``p(x_T) = \\mathcal{N}(0, 1)`` states the law of x_T, ``p(x_{t-1} \\mid x_t) = \\mathcal{N}(m, v)`` the
    law of x_{t-1} given the value of x_t (the arguments name variables; their values do not matter)."""
    if isinstance(node, t.Group):
        return law_value(node.arg, ctx)
    if isinstance(node, t.Call) and not node.semi:
        target = evaluate(node.func, ctx)
        if isinstance(target, ob.Model):
            given = {identity(g, ctx): _numeric(evaluate(g, ctx), ctx, g) for g in node.given}
            try:
                return target.law([identity(a, ctx) for a in node.args], given)
            except KeyError as exc:
                raise EvalError(f"{ctx.part(node)!r}: {exc.args[0]}") from None
        if isinstance(target, ob.Distribution) and not node.given:
            return target
    value = evaluate(node, ctx)
    if isinstance(value, ob.Distribution):
        return value
    raise EvalError(f"{ctx.part(node)!r} is not a law, so it cannot equal one")


def _moments(law: ob.Distribution) -> tuple[np.ndarray, np.ndarray] | None:
    if isinstance(law, ob.Normal):
        return np.array([law.mean]), np.array([[law.var_]])
    if isinstance(law, ob.MVN):
        return law.mean, law.cov
    return None


def same_law(a: ob.Distribution, b: ob.Distribution, rtol: float, atol: float) -> bool:
    """Whether two laws are equal: Gaussians by mean and covariance, discrete laws by their probabilities."""
    ma, mb = _moments(a), _moments(b)
    if ma is not None and mb is not None:
        if ma[0].size != mb[0].size:
            return False
        return compare(ma[0], mb[0], "=", rtol, atol) and compare(ma[1], mb[1], "=", rtol, atol)
    if isinstance(a, ob.Discrete) and isinstance(b, ob.Discrete):
        support = sorted({float(v) for v in [*(a.support or []), *(b.support or [])]})
        return compare(np.array([a.pdf(v) for v in support]), np.array([b.pdf(v) for v in support]), "=", rtol,
                       atol)
    raise EvalError(f"cannot compare the laws {type(a).__name__} and {type(b).__name__}")


def compare(a: Any, b: Any, op: str, rtol: float, atol: float) -> bool:
    """Whether ``a op b`` holds within the tolerance; a strict inequality fails at equality."""
    a, b = scalar(a), scalar(b)
    if isinstance(a, Eye) or isinstance(b, Eye):
        k = (b if isinstance(a, Eye) else a).shape[0]
        a = a.resolve(k) if isinstance(a, Eye) else a
        b = b.resolve(k) if isinstance(b, Eye) else b
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_arr.shape != b_arr.shape and a_arr.size > 1 and b_arr.size > 1:
        a_arr, b_arr = np.squeeze(a_arr), np.squeeze(b_arr)
        if a_arr.shape != b_arr.shape:
            raise EvalError(f"the sides have different shapes {a_arr.shape} and {b_arr.shape}")
    finite = np.isfinite(a_arr) & np.isfinite(b_arr)
    with np.errstate(invalid="ignore"):
        scale = np.where(finite, np.maximum(np.abs(a_arr), np.abs(b_arr)), 0.0)
    tol = atol + rtol * scale  # an infinite side is compared exactly
    if op == "=":
        with np.errstate(invalid="ignore"):
            return bool(np.all(np.where(finite, np.abs(a_arr - b_arr) <= tol, a_arr == b_arr)))
    if op == "!=":
        return bool(np.all(np.abs(a_arr - b_arr) > tol))
    if op == "<=":
        return bool(np.all(a_arr <= b_arr + tol))
    if op == ">=":
        return bool(np.all(a_arr >= b_arr - tol))
    if op == "<":
        return bool(np.all(a_arr < b_arr - tol))
    if op == ">":
        return bool(np.all(a_arr > b_arr + tol))
    raise EvalError(f"relation {op!r} cannot be checked by value")
