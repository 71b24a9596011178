r"""Read a display formula's LaTeX into a tree whose meaning ``genmath.formulas.evaluate`` computes.

The reader covers the notation the chapters use (see ``genmath.formulas.notation`` for the table of
operators), not LaTeX in general. Every node keeps the span of source text it came from, so that a
mutation (``genmath.formulas.mutate``) is a plain text edit of the formula, the kind a writer makes.

Grammar, loosely::

    formula   := statement ((\qquad | \quad | ,\qquad | \text{i.e.}) statement)*
    statement := expr (relation expr)*          relation: = \le < \ge > \ne \approx \propto \sim \in \to
    expr      := [+|-] term ((+|-) term)*
    term      := factor ((\cdot | \times | \odot | / | juxtaposition) factor)*
    factor    := prefix-operator argument | atom postfix*
    postfix   := _sub | ^sup | ' | ! | (arguments) | [index]

Conventions (the same on every page):

* ``\log``, ``\exp``, ``\det``, ``\operatorname{tr}``, ``\operatorname{diag}``, ``\sqrt`` and the other
  prefix operators take ONE factor: ``\log p(x)`` is log(p(x)), ``k \log p + \dots`` stops at ``+``.
* ``\sum``, ``\prod`` and ``\nabla`` take the rest of the product (a term): ``\sum_x p(x) \log p(x)``.
* ``\int ... dx`` takes everything up to its differential.
* ``f(a, b)`` is a call when ``f`` means a function, a product otherwise (decided when evaluating);
  a power after a product binds to the parenthesis: ``n(a)^2`` is n (a)^2, ``f(a)^2`` is (f(a))^2.
* ``\frac{d}{dx}``, ``\frac{\partial f}{\partial x}`` and ``\frac{\partial^2}{\partial p^2}`` are
  derivatives; ``\frac{d}{2}`` is a fraction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from genmath.formulas.notation import (
    BIG_OPERATORS,
    DELIMITER_MACROS,
    FUNCTION_OPERATORS,
    IGNORED_MACROS,
    NAMED_FONTS,
    RELATIONS,
    expand_macros,
)


class TexError(ValueError):
    """The formula cannot be read; the message quotes the part that could not."""


# --------------------------------------------------------------------------------------------------
# tokens

@dataclass(frozen=True)
class Tok:
    kind: str  # "cmd" (\name), "sym" (single char), "num", "letter", "text" (\text{...} body), "end"
    value: str
    start: int
    end: int


_TOKEN = re.compile(r"\\(?:[A-Za-z]+|.)|\d+(?:\.\d+)?|[A-Za-z]|\s+|.", re.DOTALL)
_TEXTUAL = ("text", "mathrm", "operatorname", "textrm", "mathit", "textbf", "mathbf", "mathcal",
            "mathbb", "boldsymbol", "mathsf")


def tokenize(tex: str) -> list[Tok]:
    toks: list[Tok] = []
    pos = 0
    while pos < len(tex):
        m = _TOKEN.match(tex, pos)
        assert m is not None
        s = m.group(0)
        if s.isspace():
            pos = m.end()
            continue
        if s.startswith("\\") and s[1:] in _TEXTUAL:
            # \mathrm{KL} -> one token carrying its (brace-free) body
            j = m.end()
            while j < len(tex) and tex[j].isspace():
                j += 1
            if j < len(tex) and tex[j] == "{":
                depth, k = 0, j
                while k < len(tex):
                    depth += {"{": 1, "}": -1}.get(tex[k], 0)
                    if depth == 0:
                        break
                    k += 1
                if depth:
                    raise TexError(f"unbalanced braces after {s}")
                body = tex[j + 1:k]
                toks.append(Tok("font", f"{s[1:]}:{body}", m.start(), k + 1))
                pos = k + 1
                continue
            if j < len(tex):  # \mathcal L: one letter
                toks.append(Tok("font", f"{s[1:]}:{tex[j]}", m.start(), j + 1))
                pos = j + 1
                continue
        if s.startswith("\\"):
            kind = "cmd"
        elif s[0].isdigit():
            kind = "num"
        elif s.isalpha():
            kind = "letter"
        else:
            kind = "sym"
        toks.append(Tok(kind, s, m.start(), m.end()))
        pos = m.end()
    toks.append(Tok("end", "", len(tex), len(tex)))
    return toks


# --------------------------------------------------------------------------------------------------
# tree

@dataclass
class Node:
    start: int = field(default=0, kw_only=True)
    end: int = field(default=0, kw_only=True)

    def children(self) -> list[Node]:
        out: list[Node] = []
        for value in self.__dict__.values():
            if isinstance(value, Node):
                out.append(value)
            elif isinstance(value, (list, tuple)):
                out.extend(v for v in value if isinstance(v, Node))
        return out

    def walk(self) -> Any:
        yield self
        for child in self.children():
            yield from child.walk()


@dataclass
class Num(Node):
    value: float
    text: str = ""


@dataclass
class Sym(Node):
    """A symbol: base name (``alpha``, ``alphabar``, ``calL``, ``p_data``...), with an optional subscript.

    ``name`` already includes decorations (``bar``, ``hat``, ``tilde``, ``star``, ``prime``);
    ``sub`` is the subscript as a tree (None if absent) and ``sub_text`` its canonical text, so that
    the evaluator can try the full name (``sigma_1``) before indexing (``sigma`` at 1).
    """
    name: str
    sub: Node | None = None
    sub_text: str = ""
    deco_span: tuple[int, int] | None = None  # the \hat/\bar/\tilde that can be dropped

    @property
    def full(self) -> str:
        return f"{self.name}_{self.sub_text}" if self.sub is not None else self.name


@dataclass
class Unit(Node):
    name: str  # "nats" or "bits"


@dataclass
class Text(Node):
    text: str  # \text{const} and similar: cannot be evaluated


@dataclass
class Neg(Node):
    arg: Node


@dataclass
class Add(Node):
    terms: list[Node]
    signs: list[int]  # +1 / -1 per term
    op_spans: list[tuple[int, int] | None]  # span of the sign before each term (None: implicit +)


@dataclass
class Mul(Node):
    factors: list[Node]
    ops: list[str]  # operator before each factor after the first: "" (juxtaposition), cdot, times, odot, /


@dataclass
class Frac(Node):
    num: Node
    den: Node


@dataclass
class Pow(Node):
    base: Node
    exp: Node
    sup_span: tuple[int, int] = (0, 0)  # the ^... text


@dataclass
class Transpose(Node):
    arg: Node
    sup_span: tuple[int, int] = (0, 0)


@dataclass
class Inverse(Node):
    arg: Node  # ^{-1} of a matrix or function name
    sup_span: tuple[int, int] = (0, 0)


@dataclass
class Factorial(Node):
    arg: Node


@dataclass
class Sqrt(Node):
    arg: Node
    head_span: tuple[int, int] = (0, 0)


@dataclass
class Func(Node):
    """A prefix function: log, exp, det, tr, diag, sin, cosh, arcsinh (``\\sinh^{-1}``), ...

    ``power`` is a superscript written on the function name (``\\cos^2 x`` = (cos x)^2).
    """
    name: str
    arg: Node
    power: Node | None = None
    head_span: tuple[int, int] = (0, 0)


@dataclass
class Call(Node):
    """``f(a, b)``, ``p(x \\mid z)``, ``\\mathcal{N}(x; \\mu, \\Sigma)``: applied or multiplied."""
    func: Node
    args: list[Node]
    given: list[Node]
    semi: list[Node]  # arguments after ';' (N(x; mu, Sigma): args=[x], semi=[mu, Sigma])
    bracket: str = "("
    bar_span: tuple[int, int] | None = None


@dataclass
class Index(Node):
    """``softmax(z)_y``: a subscript on something that is not a symbol."""
    arg: Node
    index: Node


@dataclass
class Event(Node):
    """``y = 1`` inside ``P(y = 1 \\mid x)``."""
    var: Node
    value: Node


@dataclass
class Interval(Node):
    lo: Node
    hi: Node


@dataclass
class Abs(Node):
    arg: Node


@dataclass
class Norm(Node):
    arg: Node


@dataclass
class Group(Node):
    """Parentheses or brackets used for grouping (kept so edits can see them)."""
    arg: Node
    bracket: str = "("


@dataclass
class BigOp(Node):
    """``\\sum``/``\\prod`` over a variable: ``var`` from ``lo`` to ``hi``, or over the variable's domain.

    ``cond`` is a filter (``\\sum_{x : p(x) > 0}``)."""
    op: str  # "sum" or "prod"
    var: str | None
    lo: Node | None
    hi: Node | None
    cond: Node | None
    body: Node
    lo_span: tuple[int, int] | None = None
    hi_span: tuple[int, int] | None = None


@dataclass
class Integral(Node):
    var: str
    body: Node
    lo: Node | None = None
    hi: Node | None = None


@dataclass
class Expect(Node):
    """``\\mathbb{E}_{sub}[body]`` or ``\\mathbb{E}[body \\mid given]``; ``op`` is ``E`` or ``Var``."""
    op: str
    sub: list[Node]  # distributions or "x \sim p" declarations; empty: the check's default
    body: Node
    given: list[Node]


@dataclass
class Dist(Node):
    """``KL(a || b)``, ``JSD(a || b)``: an operator on two distributions (``||`` separated)."""
    op: str
    args: list[Node]
    sep_span: tuple[int, int] | None = None


@dataclass
class Sim(Node):
    """``x \\sim p`` inside an expectation's subscript."""
    vars: list[str]
    dist: Node


@dataclass
class Deriv(Node):
    """d/dx (order n) of ``body`` with respect to ``wrt`` (a symbol or an expression like log sigma).

    ``partial`` records the notation. ``applied`` are arguments after ``\\frac{df}{dx}(x)``.
    ``gradient``: ``\\nabla_x``.
    """
    body: Node | None
    wrt: Node
    order: int = 1
    applied: list[Node] | None = None
    gradient: bool = False


@dataclass
class Matrix(Node):
    rows: list[list[Node]]


@dataclass
class Relation:
    op: str  # "=", "<=", "<", ">=", ">", "!=", "approx", "propto", "sim", "in", "to"
    span: tuple[int, int]


@dataclass
class Statement:
    sides: list[Node]
    relations: list[Relation]
    start: int
    end: int


@dataclass
class Formula:
    tex: str  # the text the spans refer to (after macro expansion and \label removal)
    statements: list[Statement]


# --------------------------------------------------------------------------------------------------
# parser

_STOP_SYMS = {")", "]", "}", ",", ";", "|", "&", "=", "<", ">", "+", "-", "!"}
_STOP_CMDS = {"mid", "|", "rVert", "rvert", "qquad", "quad", "middle", "cr", "right", "dots", "ldots",
              "cdots", "colon", "end"}
_MUL_CMDS = {"cdot": "cdot", "times": "times", "odot": "odot"}
_DECORATIONS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
                "widetilde": "tilde"}
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
          "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "varphi", "chi", "psi", "omega",
          "Sigma", "Lambda", "Gamma", "Delta", "Phi", "Psi", "Omega", "Theta", "Pi", "ell", "pi"}


class Parser:
    def __init__(self, tex: str, toks: list[Tok] | None = None) -> None:
        """A parser of ``tex``, or of ``toks``, a part of its tokens (a group read on its own)."""
        self.tex = tex
        self.toks = tokenize(tex) if toks is None else toks
        self.i = 0
        self.integral_vars: list[str] = []

    # -- token helpers
    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> Tok:
        t = self.toks[self.i]
        self.i = min(self.i + 1, len(self.toks) - 1)
        return t

    def is_(self, kind: str, value: str | None = None, tok: Tok | None = None) -> bool:
        t = tok or self.tok
        return t.kind == kind and (value is None or t.value == value)

    def expect(self, kind: str, value: str) -> Tok:
        if not self.is_(kind, value):
            raise self.error(f"expected {value!r}")
        return self.take()

    def error(self, message: str) -> TexError:
        t = self.tok
        context = self.tex[max(0, t.start - 25):t.start] + "⟨here⟩" + self.tex[t.start:t.start + 25]
        return TexError(f"{message} at {context!r}")

    # -- formula
    def formula(self) -> Formula:
        statements = []
        while not self.is_("end"):
            statements.append(self.statement())
            # separators between statements
            while self.is_("sym", ",") or self.is_("cmd", "\\qquad") or self.is_("cmd", "\\quad") \
                    or self.is_("sym", ".") or self.is_("sym", ";") or self.is_("text") \
                    or (self.tok.kind == "font" and self.tok.value.startswith("text:")):
                self.take()
        return Formula(self.tex, statements)

    def statement(self) -> Statement:
        start = self.tok.start
        sides = [self.expr()]
        rels: list[Relation] = []
        while True:
            rel = self.relation()
            if rel is None:
                break
            rels.append(rel)
            sides.append(self.expr())
        return Statement(sides, rels, start, self.toks[self.i - 1].end if self.i else start)

    def relation(self) -> Relation | None:
        t = self.tok
        if t.kind == "sym" and t.value in "=<>":
            self.take()
            op = {"=": "=", "<": "<", ">": ">"}[t.value]
            if op in "<>" and self.is_("sym", "="):
                e = self.take()
                return Relation(op + "=", (t.start, e.end))
            return Relation(op, (t.start, t.end))
        if t.kind == "cmd" and t.value[1:] in RELATIONS:
            self.take()
            if t.value == "\\xrightarrow":
                self.group_tokens()
            return Relation(RELATIONS[t.value[1:]], (t.start, self.toks[self.i - 1].end))
        if t.kind == "sym" and t.value == ":" and self.is_("sym", "=", self.peek()):
            self.take()
            e = self.take()
            return Relation("=", (t.start, e.end))
        return None

    # -- expressions
    def expr(self) -> Node:
        start = self.tok.start
        terms: list[Node] = []
        signs: list[int] = []
        spans: list[tuple[int, int] | None] = []
        sign, span = 1, None
        if self.is_("sym", "-") or self.is_("sym", "+"):
            t = self.take()
            sign, span = (-1 if t.value == "-" else 1), (t.start, t.end)
        while True:
            if self.at_expr_stop() and not self.is_("sym", "|"):  # |x| may open a term
                raise self.error("expected a term")
            terms.append(self.term())
            signs.append(sign)
            spans.append(span)
            if (self.is_("sym", "+") or self.is_("sym", "-") or self.is_("cmd", "\\pm")) and not self.at_differential():
                t = self.take()
                sign, span = (-1 if t.value == "-" else 1), (t.start, t.end)
                continue
            break
        end = self.toks[self.i - 1].end
        if len(terms) == 1 and signs[0] == 1:
            return terms[0]
        if len(terms) == 1:
            return Neg(terms[0], start=start, end=end)
        return Add(terms, signs, spans, start=start, end=end)

    def at_expr_stop(self) -> bool:
        t = self.tok
        if t.kind == "end":
            return True
        if t.kind == "sym" and t.value in {")", "]", "}", ",", ";", "|", "&", "=", "<", ">"}:
            return True
        return bool(t.kind == "cmd" and (t.value[1:] in _STOP_CMDS or t.value[1:] in RELATIONS))

    def at_term_stop(self) -> bool:
        if self.at_expr_stop():
            return True
        t = self.tok
        if t.kind == "sym" and t.value in {"+", "-", "!", "."}:
            return True
        if t.kind == "sym" and t.value == ":" :
            return True
        if t.kind == "cmd" and t.value == "\\pm":
            return True
        if t.kind == "font" and t.value.startswith("text:") and t.value[5:].strip() in {"i.e.", "for", "where"}:
            return True
        return self.at_differential()

    def at_differential(self) -> bool:
        """``d x`` (or ``d\\tilde x``) closing the innermost integral."""
        if not self.integral_vars:
            return False
        t = self.tok
        if not (t.kind == "letter" and t.value == "d"):
            return False
        var = self.integral_vars[-1]
        j = self.i + 1
        text = ""
        while j < len(self.toks) and len(text) < len(var):
            nt = self.toks[j]
            if nt.kind in ("letter", "cmd") and nt.value.lstrip("\\") not in ("left", "right"):
                text += nt.value.lstrip("\\")
            else:
                break
            j += 1
        return text == var

    def term(self) -> Node:
        start = self.tok.start
        factors = [self.factor()]
        ops: list[str] = []
        while not self.at_term_stop():
            t = self.tok
            if t.kind == "cmd" and t.value[1:] in _MUL_CMDS:
                self.take()
                ops.append(_MUL_CMDS[t.value[1:]])
            elif t.kind == "sym" and t.value in ("/", "*"):
                self.take()
                ops.append("/" if t.value == "/" else "cdot")
            else:
                ops.append("")
            factors.append(self.factor())
        end = self.toks[self.i - 1].end
        return factors[0] if len(factors) == 1 else Mul(factors, ops, start=start, end=end)

    # -- factors
    def factor(self) -> Node:
        t = self.tok
        if t.kind == "sym" and t.value == "-":  # a sign inside a product, e.g. \cdot -x
            self.take()
            arg = self.factor()
            return Neg(arg, start=t.start, end=arg.end)
        node = self.prefix() if self.is_prefix() else self.atom()
        return self.postfix(node)

    def is_prefix(self) -> bool:
        t = self.tok
        if t.kind == "cmd":
            name = t.value[1:]
            return name in FUNCTION_OPERATORS or name in BIG_OPERATORS or name in ("frac", "sqrt", "nabla",
                                                                                      "int", "E", "partial")
        if t.kind == "font":
            font, body = t.value.split(":", 1)
            return (font == "mathbb" and body == "E") or (font in ("mathrm", "operatorname")
                                                           and body in FUNCTION_OPERATORS)
        return False

    def prefix(self) -> Node:
        t = self.take()
        name = t.value[1:] if t.kind == "cmd" else t.value.split(":", 1)[1]
        if name == "E":
            return self.expectation("E", t)
        if name in ("Var", "Cov") and self.is_("sym", "[") or (name == "Var" and self.is_("cmd", "\\left")):
            return self.expectation(name, t)
        if name == "frac":
            return self.fraction(t)
        if name == "sqrt":
            arg = self.argument()
            return Sqrt(arg, head_span=(t.start, t.end), start=t.start, end=arg.end)
        if name in BIG_OPERATORS:
            return self.bigop(BIG_OPERATORS[name], t)
        if name == "int":
            return self.integral(t)
        if name == "nabla":
            wrt = None
            if self.is_("sym", "_"):
                self.take()  # the subscript is the variable: \nabla_x
                wrt = self.subscript_node()
            if wrt is None:
                raise self.error("\\nabla needs a subscript (\\nabla_x)")
            body = self.term()
            return Deriv(body, wrt, gradient=True, start=t.start, end=body.end)
        # prefix function: \log, \exp, \det, \operatorname{tr}, ...
        power = None
        if self.is_("sym", "^"):
            self.take()
            power = self.script_argument()
        fname = FUNCTION_OPERATORS[name]
        if power is not None and (isinstance(power, Num) and power.value == -1 or isinstance(power, Neg)
                                  and isinstance(power.arg, Num) and power.arg.value == 1):  # \sinh^{-1}
            fname, power = {"sinh": "arcsinh", "cosh": "arccosh", "tanh": "arctanh", "sin": "arcsin",
                            "cos": "arccos", "tan": "arctan"}.get(fname, fname), None
        head_end = self.toks[self.i - 1].end
        # \log(1-p), \mathrm{softmax}(z)_y: a parenthesised argument is the whole argument
        arg = self.atom() if self.is_("sym", "(") else self.factor()
        return Func(fname, arg, power, head_span=(t.start, head_end), start=t.start, end=arg.end)

    def expectation(self, op: str, head: Tok) -> Node:
        subs: list[Node] = []
        if self.is_("sym", "_"):
            self.take()
            subs = self.expectation_subscript()
        # E_x E_{q}[...]: a second expectation is the body
        if self.is_prefix() and not (self.is_("sym", "[") or self.is_("cmd", "\\left")):
            body = self.factor()
            return Expect(op, subs, body, [], start=head.start, end=body.end)
        opener = self.open_bracket()
        if opener is None:
            body = self.factor()
            return Expect(op, subs, body, [], start=head.start, end=body.end)
        body = self.expr()
        given: list[Node] = []
        if self.is_("cmd", "\\mid") or self.is_("sym", "|") or self.is_("cmd", "\\middle"):
            self.take_bar()
            given = self.arglist()
        end = self.close_bracket(opener)
        return Expect(op, subs, body, given, start=head.start, end=end)

    def expectation_subscript(self) -> list[Node]:
        """``_{x \\sim p}``, ``_p``, ``_{q(z)}``, ``_{x\\sim p,\\ \\tilde x \\sim q(\\cdot|x)}``, ``_{z_1,\\dots,z_K\\sim q}``."""
        if not self.is_("sym", "{"):
            atom = self.script_atom()
            return [atom]
        self.take()
        out: list[Node] = []
        names: list[str] = []
        while not self.is_("sym", "}"):
            if self.is_("sym", ",") or self.is_("cmd", "\\ ") or self.is_("cmd", "\\,"):
                self.take()
                continue
            if self.is_("cmd", "\\dots") or self.is_("cmd", "\\ldots"):
                self.take()
                names.append("...")
                continue
            start = self.tok.start
            node = self.expr()
            if self.is_("cmd", "\\sim"):
                self.take()
                dist = self.expr()
                names.append(_node_name(node))
                out.append(Sim(names, dist, start=start, end=dist.end))
                names = []
            elif self.is_("sym", ","):
                names.append(_node_name(node))
            else:
                out.append(node)
        self.take()
        if names:
            raise self.error(f"expectation subscript names {names} without a distribution (\\sim)")
        return out

    def fraction(self, head: Tok) -> Node:
        num_start = self.tok.start
        num_toks = self.group_tokens()
        den_start = self.tok.start
        den_toks = self.group_tokens()
        end = self.toks[self.i - 1].end
        num_deriv = _derivative_head(num_toks)
        den_deriv = _derivative_head(den_toks)
        if den_deriv is not None and num_deriv is not None:
            order, num_rest = num_deriv
            _, den_rest = den_deriv
            body = self.sub_parse(num_rest) if num_rest else None
            wrt = self.sub_parse(_strip_power(den_rest, order))
            node: Node = Deriv(body, wrt, order=order, start=head.start, end=end)
            if self.is_("sym", "("):  # \frac{d f^{-1}}{dx}(x)
                self.take()
                args = self.arglist()
                self.expect("sym", ")")
                node = Deriv(body, wrt, order=order, applied=args, start=head.start, end=self.toks[self.i - 1].end)
                return node
            if body is None:  # \frac{d}{dx} F(x): applies to the next factor
                target = self.factor()
                return Deriv(target, wrt, order=order, start=head.start, end=target.end)
            return node
        num = self.sub_parse(num_toks, num_start)
        den = self.sub_parse(den_toks, den_start)
        return Frac(num, den, start=head.start, end=end)

    def bigop(self, op: str, head: Tok) -> Node:
        var = lo = hi = cond = None
        lo_span = hi_span = None
        if self.is_("sym", "_"):
            self.take()
            toks = self.group_tokens()
            lo_span = (toks[0].start, toks[-2].end) if len(toks) > 1 else None
            var, lo, cond = self.bigop_lower(toks)
        if self.is_("sym", "^"):
            self.take()
            toks = self.group_tokens()
            hi_span = (toks[0].start, toks[-2].end) if len(toks) > 1 else None
            hi = self.sub_parse(toks)
        body = self.term()
        return BigOp(op, var, lo, hi, cond, body, lo_span=lo_span, hi_span=hi_span, start=head.start, end=body.end)

    def bigop_lower(self, toks: list[Tok]) -> tuple[str | None, Node | None, Node | None]:
        text = "".join(t.value for t in toks[:-1])
        sub = Parser(self.tex, toks)
        # var = lo | var : cond | var
        var_node = sub.atom()
        var = _node_name(var_node)
        if sub.is_("sym", "="):
            sub.take()
            lo = sub.expr()
            return var, lo, None
        if sub.is_("sym", ":") or sub.is_("cmd", "\\colon"):
            sub.take()
            cond = sub.statement()
            return var, None, _StatementNode(cond, start=cond.start, end=cond.end)
        if sub.is_("end"):
            return var, None, None
        raise TexError(f"cannot read the range {text!r} of a sum or product")

    def integral(self, head: Tok) -> Node:
        lo = hi = None
        if self.is_("sym", "_"):
            self.take()
            lo = self.script_argument()
        if self.is_("sym", "^"):
            self.take()
            hi = self.script_argument()
        var = self.find_differential()
        self.integral_vars.append(var)
        try:
            body = self.expr()
        finally:
            self.integral_vars.pop()
        if not self.is_("letter", "d"):
            raise self.error(f"integral without its differential d{var}")
        self.take()
        self._consume_var(var)
        return Integral(var, body, lo, hi, start=head.start, end=self.toks[self.i - 1].end)

    def _consume_var(self, var: str) -> None:
        """Read the variable of a differential (``x``, or ``\\tilde x`` for ``tildex``)."""
        text = ""
        while text != var:
            t = self.take()
            text += t.value.lstrip("\\")
            if len(text) > len(var):
                raise self.error("bad differential")

    def find_differential(self) -> str:
        """The integration variable: the letter(s) after the last top-level ``d`` of this integral."""
        depth = 0
        for j in range(self.i, len(self.toks) - 1):
            t = self.toks[j]
            if t.kind == "sym" and t.value in "([{":
                depth += 1
            elif t.kind == "sym" and t.value in ")]}":
                depth -= 1
                if depth < 0:
                    break
            elif t.kind == "cmd" and t.value in ("\\left",):
                depth += 1
            elif t.kind == "cmd" and t.value in ("\\right",):
                depth -= 1
            elif depth == 0 and t.kind == "letter" and t.value == "d":
                nt = self.toks[j + 1]
                if nt.kind == "letter":
                    after = self.toks[j + 2]
                    if after.kind in ("end", "sym", "cmd") and not (after.kind == "sym" and after.value in "(_^"):
                        return nt.value
                if nt.kind == "cmd" and nt.value[1:] in _DECORATIONS:
                    return nt.value[1:] + self.toks[j + 2].value  # "tildex"
        raise self.error("integral without a differential (dx)")

    # -- atoms
    def atom(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.take()
            return Num(float(t.value), t.value, start=t.start, end=t.end)
        if t.kind == "sym" and t.value in "([":
            opener = self.take()
            inner = self.expr()
            close = {"(": ")", "[": "]"}[opener.value]
            if opener.value == "[" and self.is_("sym", ","):  # an interval [a, b]
                self.take()
                upper = self.expr()
                self.expect("sym", "]")
                return Interval(inner, upper, start=opener.start, end=self.toks[self.i - 1].end)
            self.expect("sym", close)
            return Group(inner, opener.value, start=opener.start, end=self.toks[self.i - 1].end)
        if t.kind == "sym" and t.value == "{":
            self.take()
            if self.is_("sym", "}"):
                raise self.error("empty group")
            inner = self.expr()
            self.expect("sym", "}")
            if isinstance(inner, (Sym, Num, Group, Call, Func, Frac, Pow)):
                inner.start, inner.end = min(inner.start, t.start), max(inner.end, self.toks[self.i - 1].end)
                return inner
            return Group(inner, "{", start=t.start, end=self.toks[self.i - 1].end)
        if t.kind == "sym" and t.value == "|":
            self.take()
            inner = self.expr()
            if not (self.is_("sym", "|")):
                raise self.error("unclosed |...|")
            self.take()
            return Abs(inner, start=t.start, end=self.toks[self.i - 1].end)
        if t.kind == "cmd" and t.value == "\\left":
            self.take()
            d = self.take()
            if d.value == "|":
                inner = self.expr()
                self.expect("cmd", "\\right")
                self.expect("sym", "|")
                return Abs(inner, start=t.start, end=self.toks[self.i - 1].end)
            if d.value in ("\\lVert", "\\|"):
                inner = self.expr()
                self.expect("cmd", "\\right")
                self.take()
                return Norm(inner, start=t.start, end=self.toks[self.i - 1].end)
            if d.value in "([":
                inner = self.expr()
                self.expect("cmd", "\\right")
                self.take()
                return Group(inner, d.value, start=t.start, end=self.toks[self.i - 1].end)
            raise self.error(f"unsupported \\left{d.value}")
        if t.kind == "cmd" and t.value in ("\\lVert", "\\|"):
            self.take()
            inner = self.expr()
            if not (self.is_("cmd", "\\rVert") or self.is_("cmd", "\\|")):
                raise self.error("unclosed norm")
            self.take()
            return Norm(inner, start=t.start, end=self.toks[self.i - 1].end)
        if t.kind == "cmd" and t.value == "\\begin":
            return self.environment()
        if t.kind == "cmd" and t.value[1:] in _DECORATIONS:
            self.take()
            inner = self.script_atom()
            if not isinstance(inner, Sym):
                raise self.error(f"\\{t.value[1:]} of something that is not a symbol")
            inner.deco_span = (t.start, t.start + len(t.value))
            inner.name = inner.name + _DECORATIONS[t.value[1:]]
            inner.start = t.start
            return inner
        if t.kind == "cmd" and t.value == "\\underbrace":
            self.take()
            inner = self.argument()
            if self.is_("sym", "_"):
                self.take()
                self.group_tokens()  # the label under the brace is a name, not part of the value
            return inner
        if t.kind == "font":
            font, body = t.value.split(":", 1)
            self.take()
            if font == "text" or font == "textrm":
                word = body.strip()
                if word in ("nats", "nat", "bits", "bit"):
                    return Unit("bits" if word.startswith("bit") else "nats", start=t.start, end=t.end)
                return Text(word, start=t.start, end=t.end)
            prefix = NAMED_FONTS.get(font, "")
            return Sym(prefix + body.replace(" ", ""), start=t.start, end=t.end)
        if t.kind == "letter":
            self.take()
            return Sym(t.value, start=t.start, end=t.end)
        if t.kind == "cmd" and t.value[1:] in _GREEK:
            self.take()
            return Sym(t.value[1:], start=t.start, end=t.end)
        if t.kind == "cmd" and t.value[1:] in ("KL", "JSD"):
            self.take()
            return Sym(t.value[1:], start=t.start, end=t.end)
        if t.kind == "cmd" and t.value == "\\infty":
            self.take()
            return Num(float("inf"), "\\infty", start=t.start, end=t.end)
        if t.kind == "cmd" and t.value == "\\cdot":
            self.take()
            return Sym("·", start=t.start, end=t.end)  # q(\cdot | x): the argument slot
        if t.kind == "cmd" and t.value == "\\partial":
            raise self.error("\\partial outside a \\frac")
        raise self.error(f"unexpected {t.value!r}")

    def environment(self) -> Node:
        begin = self.take()
        name = "".join(t.value for t in self.group_tokens()[:-1])
        if name != "pmatrix" and name != "bmatrix":
            raise self.error(f"unsupported environment {name}")
        rows: list[list[Node]] = [[]]
        while not self.is_("cmd", "\\end"):
            if self.is_("sym", "&"):
                self.take()
                continue
            if self.is_("cmd", "\\cr"):
                self.take()
                rows.append([])
                continue
            rows[-1].append(self.expr())
        self.take()
        self.group_tokens()
        return Matrix([r for r in rows if r], start=begin.start, end=self.toks[self.i - 1].end)

    # -- postfix
    def postfix(self, node: Node) -> Node:
        while True:
            t = self.tok
            if t.kind == "sym" and t.value == "_":
                self.take()
                sub_start = self.tok.start
                sub = self.subscript_node()
                if isinstance(node, Sym) and node.sub is None:
                    node.sub = sub
                    node.sub_text = _canonical(self.tex[sub_start:self.toks[self.i - 1].end])
                    node.end = self.toks[self.i - 1].end
                else:
                    node = Index(node, sub, start=node.start, end=self.toks[self.i - 1].end)
                continue
            if t.kind == "sym" and t.value == "^":
                self.take()
                sup_start = t.start
                if self.is_("cmd", "\\top"):
                    self.take()
                    node = Transpose(node, sup_span=(sup_start, self.toks[self.i - 1].end), start=node.start,
                                     end=self.toks[self.i - 1].end)
                    continue
                if self.is_("sym", "{") and self.is_("cmd", "\\top", self.peek()) and self.is_("sym", "}", self.peek(2)):
                    self.take(); self.take(); self.take()
                    node = Transpose(node, sup_span=(sup_start, self.toks[self.i - 1].end), start=node.start,
                                     end=self.toks[self.i - 1].end)
                    continue
                if self.is_("sym", "*") or (self.is_("sym", "{") and self.is_("sym", "*", self.peek())):
                    braced = self.is_("sym", "{")
                    self.take()
                    if braced:
                        self.take()
                        self.expect("sym", "}")
                    if isinstance(node, Sym):
                        node.name += "star"
                        node.end = self.toks[self.i - 1].end
                        continue
                    raise self.error("^* on something that is not a symbol")
                if self.is_("sym", "{") and self.is_("sym", "(", self.peek()):  # z^{(1)}: a name
                    toks = self.group_tokens()
                    if isinstance(node, Sym):
                        node.name += "^" + "".join(x.value for x in toks[:-1])
                        node.end = self.toks[self.i - 1].end
                        continue
                exp = self.script_argument()
                span = (sup_start, self.toks[self.i - 1].end)
                if isinstance(exp, Neg) and isinstance(exp.arg, Num) and exp.arg.value == 1:
                    node = Inverse(node, sup_span=span, start=node.start, end=span[1])
                else:
                    node = Pow(node, exp, sup_span=span, start=node.start, end=span[1])
                continue
            if t.kind == "sym" and t.value == "'":
                self.take()
                if isinstance(node, Sym):
                    node.name += "prime"
                    node.end = t.end
                    continue
                raise self.error("' on something that is not a symbol")
            if t.kind == "sym" and t.value == "!" and not self.is_("sym", "=", self.peek()):
                self.take()
                node = Factorial(node, start=node.start, end=t.end)
                continue
            if t.kind == "sym" and t.value == "(" and _callable_shape(node):
                node = self.call(node, "(")
                continue
            if t.kind == "cmd" and t.value in ("\\big", "\\Big", "\\bigl", "\\left") and _callable_shape(node) \
                    and self.is_("sym", "(", self.peek()):
                self.take()
                node = self.call(node, "(", sized=True)
                continue
            return node

    def call(self, func: Node, bracket: str, sized: bool = False) -> Node:
        self.expect("sym", "(")
        args = self.arglist()
        semi: list[Node] = []
        given: list[Node] = []
        bar = None
        if self.is_("sym", ";"):
            self.take()
            semi = self.arglist()
        if self.is_("cmd", "\\mid") or self.is_("sym", "|"):
            b = self.take()
            bar = (b.start, b.end)
            given = self.arglist()
        if isinstance(func, Sym) and func.name in ("KL", "JSD") and (self.is_("cmd", "\\|") or self.is_("cmd", "\\Vert")):
            sep = self.take()
            second = self.expr()
            if sized and self.tok.kind == "cmd" and self.tok.value in ("\\big", "\\Big", "\\bigr", "\\right"):
                self.take()
            self.expect("sym", ")")
            return Dist(func.name, args + [second], sep_span=(sep.start, sep.end), start=func.start,
                        end=self.toks[self.i - 1].end)
        if sized and self.tok.kind == "cmd" and self.tok.value in ("\\big", "\\Big", "\\bigr", "\\right"):
            self.take()
        self.expect("sym", ")")
        end = self.toks[self.i - 1].end
        if isinstance(func, Sym) and func.name in ("KL", "JSD"):
            return Dist(func.name, args, start=func.start, end=end)
        return Call(func, args, given, semi, bracket, bar_span=bar, start=func.start, end=end)

    def arglist(self) -> list[Node]:
        """Comma-separated arguments; ``y = 1`` is an event (``P(y = 1 \\mid x)``)."""
        out = [self.argument_or_event()]
        while self.is_("sym", ","):
            self.take()
            out.append(self.argument_or_event())
        return out

    def argument_or_event(self) -> Node:
        node = self.expr()
        if self.is_("sym", "="):
            self.take()
            value = self.expr()
            return Event(node, value, start=node.start, end=value.end)
        return node

    def take_bar(self) -> None:
        if self.is_("cmd", "\\middle"):
            self.take()
        self.take()

    def open_bracket(self) -> str | None:
        if self.is_("sym", "["):
            self.take()
            return "]"
        if self.is_("cmd", "\\left") and self.is_("sym", "[", self.peek()):
            self.take(); self.take()
            return "\\right]"
        if self.tok.kind == "cmd" and self.tok.value in ("\\big", "\\Big", "\\bigl", "\\Bigl") and self.is_("sym", "[", self.peek()):
            self.take(); self.take()
            return "]"
        return None

    def close_bracket(self, closer: str) -> int:
        if closer == "\\right]":
            self.expect("cmd", "\\right")
        elif self.tok.kind == "cmd" and self.tok.value in ("\\big", "\\Big", "\\bigr", "\\Bigr"):
            self.take()
        self.expect("sym", "]")
        return self.toks[self.i - 1].end

    # -- scripts and groups
    def group_tokens(self) -> list[Tok]:
        """The tokens of one TeX argument (a braced group or one token), plus an end token."""
        if self.is_("sym", "{"):
            start = self.i
            depth = 0
            while True:
                t = self.take()
                if t.kind == "end":
                    raise self.error("unbalanced braces")
                if t.kind == "sym" and t.value == "{":
                    depth += 1
                elif t.kind == "sym" and t.value == "}":
                    depth -= 1
                    if depth == 0:
                        break
            inner = self.toks[start + 1:self.i - 1]
            last = self.toks[self.i - 1]
        else:
            t = self.take()
            if t.kind == "num" and len(t.value) > 1 and "." not in t.value:  # \frac12
                first = Tok("num", t.value[0], t.start, t.start + 1)
                rest = Tok("num", t.value[1:], t.start + 1, t.end)
                self.i -= 1
                self.toks[self.i] = rest
                inner, last = [first], first
            else:
                inner, last = [t], t
        return inner + [Tok("end", "", last.end, last.end)]

    def sub_parse(self, toks: list[Tok], start: int | None = None) -> Node:
        sub = Parser(self.tex, toks)
        sub.integral_vars = list(self.integral_vars)
        node = sub.expr()
        if not sub.is_("end"):
            raise sub.error("unexpected text")
        return node

    def argument(self) -> Node:
        return self.sub_parse(self.group_tokens())

    def script_argument(self) -> Node:
        return self.sub_parse(self.group_tokens())

    def script_atom(self) -> Node:
        """One TeX argument read as a single symbol-like atom (``\\hat{\\mu}``, ``\\mathbb{E}_p``)."""
        toks = self.group_tokens()
        sub = Parser(self.tex, toks)
        node = sub.postfix(sub.atom()) if len(toks) > 2 else sub.atom()
        if not sub.is_("end"):
            raise sub.error("unexpected text in a script")
        return node

    def subscript_node(self) -> Node:
        toks = self.group_tokens()
        text = "".join(t.value for t in toks[:-1])
        sub = Parser(self.tex, toks)
        try:
            node = _subscript(sub)
        except TexError:
            node = Text(text)
        if toks:
            node.start, node.end = toks[0].start, toks[-1].end
        return node


class _StatementNode(Node):
    def __init__(self, statement: Statement, *, start: int = 0, end: int = 0) -> None:
        super().__init__(start=start, end=end)
        self.statement = statement

    def children(self) -> list[Node]:
        return list(self.statement.sides)


@dataclass
class Slice(Node):
    lo: Node | None
    hi: Node | None
    hi_exclusive: bool = False


def _subscript(p: Parser) -> Node:
    """``t-1``, ``1:d``, ``<d``, ``d+1:D``, ``\\theta``, ``\\mathrm{data}``, ``z|x``, ``x_i``."""
    if p.is_("sym", "<"):
        p.take()
        hi = p.expr()
        return Slice(None, hi, hi_exclusive=True)
    lo = p.expr()
    if p.is_("sym", ":"):
        p.take()
        hi = p.expr()
        return Slice(lo, hi)
    if not p.is_("end"):
        raise p.error("subscript")
    return lo


def _derivative_head(toks: list[Tok]) -> tuple[int, list[Tok]] | None:
    """For ``d``/``\\partial``/``\\partial^2`` at the start of a fraction part: (order, remaining tokens)."""
    if not toks or toks[0].kind == "end":
        return None
    first = toks[0]
    if first.kind == "cmd" and first.value == "\\partial" or first.kind == "letter" and first.value == "d" and len(toks) > 1 and (
            toks[1].kind == "end" or toks[1].kind in ("letter", "cmd", "font") and not
            (toks[1].kind == "cmd" and toks[1].value in ("\\cdot", "\\times")) or
            toks[1].value == "{"):  # d{x}, as a substitution leaves it
        rest = toks[1:]
    else:
        return None
    order = 1
    if rest and rest[0].kind == "sym" and rest[0].value == "^":
        order = int(rest[1].value)
        rest = rest[2:]
    if rest and rest[0].kind == "end":
        return order, []
    return order, rest


def _strip_power(toks: list[Tok], order: int) -> list[Tok]:
    """``\\partial p^2`` in a denominator: the variable is p (the power repeats the order)."""
    if order > 1 and len(toks) >= 3 and toks[-3].kind == "sym" and toks[-3].value == "^":
        return toks[:-3] + toks[-1:]
    return toks


def _node_name(node: Node) -> str:
    if isinstance(node, Sym):
        return node.full
    raise TexError("expected a variable name")


def _callable_shape(node: Node) -> bool:
    """Whether ``node(`` may be a call: a symbol, a decorated/subscripted symbol, an inverse f^{-1}."""
    return isinstance(node, (Sym, Inverse, Index, Deriv))


def _canonical(text: str) -> str:
    """Canonical subscript text: ``{t-1}`` -> ``t-1``, ``\\mathrm{data}`` -> ``data``, ``z|x`` kept."""
    text = re.sub(r"\\(?:mathrm|text|operatorname|mathit)\s*\{([^{}]*)\}", r"\1", text)
    text = text.replace("\\mid", "|")
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    return text.replace("{", "").replace("}", "").replace(" ", "")


# --------------------------------------------------------------------------------------------------

def _macro_pattern(macro: str) -> str:
    """``\\big`` must not match ``\\bigl``; ``\\,`` may be followed by anything."""
    return re.escape(macro) + (r"(?![A-Za-z])" if macro[-1].isalpha() else "")


def clean(tex: str) -> str:
    """Macro expansion, label removal and the removal of pure layout (spacing, sizes, alignment)."""
    tex = expand_macros(tex)
    tex = re.sub(r"\\(label|tag)\{[^{}]*\}", " ", tex)
    tex = re.sub(r"\\begin\{(aligned|align\*?|split|gathered)\}|\\end\{(aligned|align\*?|split|gathered)\}",
                 " ", tex)
    if "pmatrix" not in tex and "bmatrix" not in tex:  # aligned: drop alignment and line breaks
        tex = tex.replace("&", " ").replace("\\\\", " ")
    tex = tex.replace("\\\\", "\\cr ")  # a matrix row break, before "\\ " (a space) is removed
    for macro, replacement in DELIMITER_MACROS.items():
        tex = re.sub(_macro_pattern(macro), replacement.replace("\\", "\\\\"), tex)
    for macro in IGNORED_MACROS:
        tex = re.sub(_macro_pattern(macro), " ", tex)
    tex = tex.replace(r"\tfrac", r"\frac").replace(r"\dfrac", r"\frac").replace(r"\ln", r"\log")
    return tex.strip().rstrip(".,;").rstrip()


def parse(tex: str) -> Formula:
    """Parse a display formula (``\\label`` and ``aligned`` allowed). Raises TexError."""
    text = clean(tex)
    parser = Parser(text)
    try:
        return parser.formula()
    except RecursionError:
        raise TexError("formula nested too deeply") from None
