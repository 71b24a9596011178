r"""The site's notation, in one place: KaTeX macros for the pages and their meaning for the checker.

Pages typeset ``\KL``, ``\JSD`` and ``\E`` with KaTeX using :data:`MACROS`; the formula checker
(``genmath.formulas``) reads the same macros and gives every operator below a meaning. Change the
notation here and both follow.

Operators the checker knows (a check may override any of them by giving a value of the same name):

=====================================  =====================================================================
notation                               meaning (``genmath.formulas.evaluate``)
=====================================  =====================================================================
``\KL(p \| q)``                        KL divergence of two distributions, in nats
``\JSD(p \| q)``, ``\JSD(p, q)``       Jensen-Shannon divergence, in nats
``H(p)``, ``h(p)``, ``H(p, q)``        entropy, differential entropy, cross-entropy, in nats
``H_{\text{bits}}``                    the same in bits
``\mathbb{E}_{x\sim p}[f]``            expectation (exact sum, quadrature or Gauss-Hermite; error-checked); of
                                       a vector too (sum, Gauss-Hermite or Monte Carlo)
``\mathbb{E}[f \mid y]``               conditional expectation under the check's joint distribution
``\mathrm{Var}[f]``                    variance, the same way
``\mathcal{N}(\mu, \Sigma)``           a Gaussian distribution (variance or covariance second)
``\mathcal{N}(x; \mu, \Sigma)``        its density at x
``p(x) = \mathcal{N}(\mu, v)``          equal laws (a law on one side of = makes the density a law)
``\mathrm{Bern}(\pi)``                 a Bernoulli distribution on {0, 1}
``p(x \mid z)``, ``P(y=1 \mid x)``     conditionals of the check's model, by variable names (events allowed
                                       on either side: ``p(x \mid y = 1)``)
``\sum_{i=1}^n``, ``\sum_x``           sums over a range or over the variable's domain (from the check)
``\int \dots dx``                      integral over the variable's domain (from the check)
``\frac{d}{dx}``, ``\nabla_x``         derivatives, by Richardson-extrapolated central differences
``\det``, ``\operatorname{tr}``        determinant, trace; ``^\top`` transpose, ``^{-1}`` inverse
``\operatorname{diag}``                diagonal matrix from a vector
``\lVert v \rVert``, ``|x|``           Euclidean norm, absolute value (or |det|)
``\text{nats}``, ``\text{bit}``        units: 1 nat = 1, 1 bit = log 2 nats
a probability vector                   where a distribution is needed, the categorical law on 1..K
                                       (``H(\mathbf{e}_y, \mathrm{softmax}(z))``)
=====================================  =====================================================================
"""

from __future__ import annotations

import re

#: KaTeX macros used by every page (genmath.sitebuild.katex passes them to KaTeX).
MACROS: dict[str, str] = {
    r"\KL": r"\mathrm{KL}",
    r"\JSD": r"\mathrm{JSD}",
    r"\E": r"\mathbb{E}",
}

#: Prefix functions: LaTeX name (command or \operatorname/\mathrm body) -> evaluator function name.
FUNCTION_OPERATORS: dict[str, str] = {
    "log": "log", "exp": "exp", "det": "det", "tr": "tr", "diag": "diag", "sin": "sin", "cos": "cos",
    "tan": "tan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "Var": "Var", "softmax": "softmax",
}

#: Big operators: command -> "sum" or "prod".
BIG_OPERATORS: dict[str, str] = {"sum": "sum", "prod": "prod"}

#: Relations between the sides of a statement.
RELATIONS: dict[str, str] = {
    "le": "<=", "leq": "<=", "ge": ">=", "geq": ">=", "ne": "!=", "neq": "!=", "approx": "approx",
    "propto": "propto", "sim": "sim", "in": "in", "to": "to", "xrightarrow": "to", "equiv": "=",
    "coloneqq": "=",
}

#: Font commands that make a new symbol name: \mathcal{L} -> "calL", \mathbf{e} -> "bfe".
NAMED_FONTS: dict[str, str] = {"mathcal": "cal", "mathbf": "bf", "boldsymbol": "bf", "mathbb": "bb",
                               "mathrm": "", "operatorname": "", "mathit": "", "mathsf": "sf"}

#: Sized delimiters and their plain forms (sizes carry no meaning).
DELIMITER_MACROS: dict[str, str] = {
    r"\bigl(": "(", r"\bigr)": ")", r"\Bigl(": "(", r"\Bigr)": ")", r"\biggl(": "(", r"\biggr)": ")",
    r"\big(": "(", r"\big)": ")", r"\Big(": "(", r"\Big)": ")", r"\bigg(": "(", r"\bigg)": ")",
    r"\bigl[": "[", r"\bigr]": "]", r"\Bigl[": "[", r"\Bigr]": "]", r"\big[": "[", r"\big]": "]",
    r"\Big[": "[", r"\Big]": "]", r"\left(": "(", r"\right)": ")", r"\left[": "[", r"\right]": "]",
    r"\left.": " ", r"\right.": " ", r"\middle|": r"\mid", r"\left\|": r"\lVert", r"\right\|": r"\rVert",
    r"\left\lVert": r"\lVert", r"\right\rVert": r"\rVert", r"\left|": "|", r"\right|": "|",
    r"\lvert": "|", r"\rvert": "|", r"\vert": "|",
}

#: Layout-only commands removed before reading.
IGNORED_MACROS: list[str] = [r"\displaystyle", r"\,", r"\;", r"\!", r"\:", r"\ ", r"\limits",
                             r"\nolimits"]

def expand_macros(tex: str) -> str:
    """Expand :data:`MACROS` (longest first), as KaTeX does."""
    for macro, expansion in sorted(MACROS.items(), key=lambda kv: -len(kv[0])):
        tex = re.sub(re.escape(macro) + r"(?![A-Za-z])", expansion.replace("\\", "\\\\"), tex)
    return tex
