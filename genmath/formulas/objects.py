r"""What a formula check gives the evaluator: distributions, models of named variables, domains.

These are REFERENCES. They compute densities, expectations, entropies and KL divergences by generic
means (exact sums, Gauss-Hermite or adaptive quadrature with an error estimate, conditioning of a
joint Gaussian by Schur complements, torch.distributions), never by the closed forms that the pages
display, so that a formula and its check do not share a mistake.

Every numerical approximation is trusted only after its own error estimate: a quadrature whose
estimate exceeds the tolerance it was given raises :class:`NumericalError`. :func:`argmax` is the
reference for estimates: a numerical maximiser, never the closed form of an estimator.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.integrate
import scipy.linalg
import scipy.linalg.lapack
import scipy.special
import scipy.stats


class NumericalError(ArithmeticError):
    """A numerical integral or expectation could not be computed to the tolerance asked."""


@dataclass(frozen=True)
class Tol:
    """How accurate a numerical integral must be: its error estimate <= atol + rtol * |value|."""
    atol: float = 1e-12
    rtol: float = 1e-10

    def ok(self, error: float, value: float) -> bool:
        return error <= self.atol + self.rtol * abs(value)

    def __str__(self) -> str:
        return f"{self.atol:g} + {self.rtol:g}·|value|"


# --------------------------------------------------------------------------------------------------
# quadrature rules

def _hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilists' Gauss-Hermite nodes and weights normalised to a N(0, 1) expectation."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(n)
    return nodes, weights / math.sqrt(2 * math.pi)


#: Largest tensor Gauss-Hermite rule (nodes in all dimensions) tried after the first three orders.
GAUSS_NODES = 5_000


def gauss_expect(f: Callable[[np.ndarray], float], mean: np.ndarray, cov: np.ndarray, *, tol: Tol,
                 orders: tuple[int, ...] = (3, 4, 6, 8, 12, 16, 24, 32)) -> float:
    """E[f(X)], X ~ N(mean, cov) (any dimension), by tensor Gauss-Hermite rules of growing order.

    Exact for polynomials of degree < 2n; the answer is accepted once two successive orders agree
    within ``tol`` (the error estimate), or both give the same infinity (log of a point mass's density),
    else :class:`NumericalError`, at once when two successive orders are both undefined (NaN). Orders after the third are tried while the rule has at most
    :data:`GAUSS_NODES` nodes (in low dimension, a smooth function that is not a polynomial still settles).
    """
    mean = np.atleast_1d(np.asarray(mean, dtype=float))
    cov = np.atleast_2d(np.asarray(cov, dtype=float))
    k = mean.size
    chol = np.linalg.cholesky(cov + 0.0 * np.eye(k))
    if k > 6:
        raise NumericalError(f"Gauss-Hermite expectation in {k} dimensions is too costly; use a Monte Carlo law")
    previous: Any = None
    before: Any = None
    orders = orders[:3] + tuple(n for n in orders[3:] if n ** k <= GAUSS_NODES) if k > 1 else (8, 16, 32, 64)
    for n in orders:
        nodes, weights = _hermite(n)
        total = 0.0
        for idx in np.ndindex(*([n] * k)):
            w = float(np.prod(weights[list(idx)]))
            x = mean + chol @ nodes[list(idx)]
            total += w * f(x if k > 1 else x[:1])
        if previous is not None:
            if np.all(np.isinf(total)) and np.array_equal(total, previous):  # the same infinity at two rules
                return total
            with np.errstate(invalid="ignore"):
                change = float(np.max(np.abs(np.asarray(total) - previous)))  # total: a number, or an array
            if tol.ok(change, float(np.max(np.abs(total)))):
                return total
            if np.any(np.isnan(total)) and np.any(np.isnan(previous)):  # larger rules will not mend it
                raise NumericalError(f"Gauss-Hermite expectation is undefined: orders {n} and the one before "
                                     f"both gave {total!r} (the function is undefined where the law has mass)")
        before, previous = previous, total
    raise NumericalError(f"Gauss-Hermite expectation did not settle: last two orders gave {before!r} "
                         f"and {previous!r} (tolerance {tol})")


def quad_expect(f: Callable[[float], float], pdf: Callable[[float], float], lo: float, hi: float, *,
                points: Sequence[float] = (), tol: Tol) -> float:
    """∫ f(x) pdf(x) dx over [lo, hi] by scipy's adaptive quadrature, error estimate checked (f real-valued;
    vector-valued expectations need a Gauss-Hermite, discrete or Monte Carlo law)."""
    def integrand(x: float) -> float:
        density = pdf(x)
        return f(x) * density if density > 0 else 0.0
    return quad(integrand, lo, hi, points=points, tol=tol)


def quad(g: Callable[[float], float], lo: float, hi: float, *, points: Sequence[float] = (), tol: Tol) -> float:
    """∫ g over [lo, hi] with scipy.integrate.quad; raises NumericalError if its error estimate > tol."""
    inner = [p for p in sorted(points) if lo < p < hi]
    edges = [lo, *inner, hi]
    total, error = 0.0, 0.0
    for a, b in itertools.pairwise(edges):
        with warnings.catch_warnings():  # scipy's warnings repeat what its error estimate says, checked below
            warnings.simplefilter("ignore", scipy.integrate.IntegrationWarning)
            value, err = scipy.integrate.quad(g, a, b, limit=200, epsabs=tol.atol / 10, epsrel=tol.rtol / 10)
        total += value
        error += err
    if not math.isfinite(total) or not tol.ok(error, total):
        raise NumericalError(f"quadrature over [{lo:g}, {hi:g}] is not trustworthy: value {total!r}, "
                             f"error estimate {error:.3g} > tolerance {tol}")
    return total


def argmax(f: Callable[[float], float], lo: float, hi: float) -> float:
    """The maximiser of a smooth unimodal f on [lo, hi], a reference for estimates (MLE, MAP).

    scipy's bounded Brent search, then one Newton step on f' with Richardson differences (Brent stops
    at about sqrt(machine epsilon) relative, where f is flat); or the end point itself when the search
    ends next to one and f is no smaller there (a maximum on the boundary).
    """
    import scipy.optimize

    from genmath.formulas.evaluate import derivative  # evaluate imports this module

    x = float(scipy.optimize.minimize_scalar(lambda v: -f(v), bounds=(lo, hi), method="bounded",
                                             options={"xatol": 1e-12}).x)
    margin = 1e-6 * (hi - lo)
    for end in (lo, hi):
        if abs(x - end) <= margin and f(end) >= f(x):
            return end
    return float(x - derivative(f, x) / derivative(f, x, 2))


# --------------------------------------------------------------------------------------------------
# domains: where a bound variable of a sum or an integral ranges

@dataclass
class Domain:
    """A finite set of values (``\\sum_x``) or an interval of the real line (``\\int dx``).

    ``points`` are break points for quadrature (modes, kinks); ``dim`` > 1 makes it R^dim, integrated
    by Gauss-Hermite around ``center`` with covariance ``cov`` (default ``scale**2 * I``): the closer
    that Gaussian is to the integrand's shape, the sooner the rule settles.
    """
    values: Sequence[Any] | None = None
    lo: float = -math.inf
    hi: float = math.inf
    points: Sequence[float] = ()
    dim: int = 1
    center: Any = 0.0
    scale: float = 1.0
    cov: Any = None

    @property
    def finite(self) -> bool:
        return self.values is not None

    def integrate(self, g: Callable[[Any], float], tol: Tol) -> float:
        if self.values is not None:
            return float(sum(g(v) for v in self.values))
        if self.dim == 1:
            return quad(g, self.lo, self.hi, points=self.points, tol=tol)
        center = np.broadcast_to(np.asarray(self.center, dtype=float), (self.dim,))
        cov = self.scale ** 2 * np.eye(self.dim) if self.cov is None else np.asarray(self.cov, dtype=float)
        ref = scipy.stats.multivariate_normal(center, cov)
        return gauss_expect(lambda z: g(z) / ref.pdf(z), center, cov, tol=tol, orders=(8, 12, 16, 24, 32))


def Reals(*, points: Sequence[float] = (), dim: int = 1, center: Any = 0.0, scale: float = 1.0,
          cov: Any = None) -> Domain:
    return Domain(points=points, dim=dim, center=center, scale=scale, cov=cov)


def Finite(values: Sequence[Any]) -> Domain:
    return Domain(values=list(values))


# --------------------------------------------------------------------------------------------------
# distributions

class Distribution:
    """A law of one (possibly vector) variable: density, expectation, entropy, sampling support."""

    var: str = "x"  # the variable it generates, for E_p[...] without "x \sim"

    def pdf(self, x: Any) -> float:
        raise NotImplementedError

    def logpdf(self, x: Any) -> float:
        density = self.pdf(x)
        return math.log(density) if density > 0 else -math.inf

    def __call__(self, x: Any) -> float:
        return self.pdf(x)

    def expect(self, f: Callable[[Any], float], tol: Tol) -> float:
        raise NotImplementedError

    def named(self, var: str) -> Distribution:
        self.var = var
        return self


@dataclass(eq=False)
class Discrete(Distribution):
    """Probabilities on a finite support (default 1..K; points may be vectors: a data set in R^d).
    ``pdf`` is the probability mass."""
    probs: Any
    support: Sequence[Any] | None = None
    var: str = "x"

    def __post_init__(self) -> None:
        self.probs = np.asarray(self.probs, dtype=float)
        if self.support is None:
            self.support = list(range(1, self.probs.size + 1))
        self._index = {_point_key(s): i for i, s in enumerate(self.support)}

    def pdf(self, x: Any) -> float:
        key = _point_key(x)
        if key not in self._index:
            return 0.0
        return float(self.probs[self._index[key]])

    def expect(self, f: Callable[[Any], float], tol: Tol) -> float:
        total = sum(p * f(s) for p, s in zip(self.probs, self.support) if p > 0)  # type: ignore[arg-type]
        return float(total) if np.ndim(total) == 0 else total

    @property
    def domain(self) -> Domain:
        return Finite(self.support)  # type: ignore[arg-type]


def _point_key(x: Any) -> Any:
    """A number for a number or a 1-element array, a tuple for a vector."""
    flat = np.ravel(np.asarray(x, dtype=float))
    return float(flat[0]) if flat.size == 1 else tuple(flat.tolist())


def Bernoulli(p: float) -> Discrete:
    return Discrete([1.0 - p, p], support=[0, 1])


@dataclass(eq=False)
class Normal(Distribution):
    """N(mean, var) on the real line (``var`` is the variance, as in \\mathcal{N}(\\mu, \\sigma^2)).

    ``var_ = 0`` is the point mass at the mean (a variable conditioned on itself, q(x_t | x_t)): its
    density is +inf there and 0 elsewhere (equality within rounding of the mean)."""
    mean: float
    var_: float
    var: str = "x"

    def _at_mean(self, x: float) -> bool:
        return abs(x - self.mean) <= 1e-9 * max(1.0, abs(self.mean))

    def pdf(self, x: Any) -> float:
        x = x if type(x) is float else float(np.squeeze(x))
        if self.var_ == 0:
            return math.inf if self._at_mean(x) else 0.0
        return math.exp(self.logpdf(x))

    def logpdf(self, x: Any) -> float:
        """-((x - mean)^2 / var + log(2 pi var)) / 2, written out: scipy.stats.norm costs 20 times more a
        call, and expectations make thousands."""
        x = x if type(x) is float else float(np.squeeze(x))
        if self.var_ == 0:
            return math.inf if self._at_mean(x) else -math.inf
        return -0.5 * ((x - self.mean) ** 2 / self.var_ + math.log(2 * math.pi * self.var_))

    def expect(self, f: Callable[[Any], float], tol: Tol) -> float:
        if self.var_ == 0:
            return float(f(self.mean))
        return gauss_expect(lambda v: f(float(v[0])), np.array([self.mean]), np.array([[self.var_]]), tol=tol)


@dataclass(eq=False)
class MVN(Distribution):
    """N(mean, cov) in R^k (vectors are 1-D arrays). ``blocks``: the sizes of the named variables in
    ``var`` (``"x_1,x_2"``) when the law is that of several variables. A zero covariance is the point
    mass at the mean (as for ``Normal``)."""
    mean: Any
    cov: Any
    var: str = "x"
    blocks: Sequence[int] | None = None

    def __post_init__(self) -> None:
        self.mean = np.atleast_1d(np.asarray(self.mean, dtype=float))
        self.cov = np.atleast_2d(np.asarray(self.cov, dtype=float))
        if self.cov.shape != (self.mean.size, self.mean.size):
            if self.mean.size == 1 and self.cov.shape[0] > 1:
                self.mean = np.full(self.cov.shape[0], float(self.mean[0]))
            else:
                raise ValueError(f"mean of size {self.mean.size} and covariance of shape {self.cov.shape}")

    def _point_mass(self) -> bool:
        return not np.any(self.cov)

    def _at_mean(self, x: Any) -> bool:
        return bool(np.all(np.abs(np.ravel(x) - self.mean) <= 1e-9 * np.maximum(1.0, np.abs(self.mean))))

    def _factored(self) -> bool:
        """Whether ``cov`` (this very array) has its Cholesky factor, so is not a point mass's."""
        factor = getattr(self, "_factor", None)
        return factor is not None and factor[0] is self.cov

    def pdf(self, x: Any) -> float:
        if not self._factored() and self._point_mass():
            return math.inf if self._at_mean(x) else 0.0
        return math.exp(self.logpdf(x))

    def logpdf(self, x: Any) -> float:
        """By the Cholesky factor of ``cov`` (kept while ``cov`` is the same array): a model's
        conditionals call this thousands of times, and a scipy.stats.multivariate_normal costs 20
        times more to build."""
        factor = getattr(self, "_factor", None)
        if factor is None or factor[0] is not self.cov:
            if self._point_mass():
                return math.inf if self._at_mean(x) else -math.inf
            chol = np.linalg.cholesky(self.cov)  # LinAlgError if cov is not positive definite
            factor = self._factor = (self.cov, chol, 2.0 * float(np.sum(np.log(np.diag(chol)))))
        _, chol, logdet = factor
        point = np.ravel(np.asarray(x, dtype=float))
        if point.size != self.mean.size:
            raise ValueError(f"the density of a law in {self.mean.size} dimensions at a point in {point.size}")
        rhs = point - self.mean
        if not np.isfinite(rhs).all():
            raise ValueError(f"the density of N(mean, cov) at a point with infinite or undefined coordinates: {x!r}")
        # LAPACK's triangular solve exactly as scipy.linalg.solve_triangular(chol, rhs, lower=True) calls
        # it for a C-ordered factor, without the wrapper (half the time of a call; models call this often)
        y, info = scipy.linalg.lapack.dtrtrs(chol.T, rhs, lower=0, trans=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"the Cholesky factor of the covariance is singular (LAPACK info {info})")
        return float(-0.5 * (y @ y + logdet + self.mean.size * math.log(2 * math.pi)))

    def expect(self, f: Callable[[Any], float], tol: Tol) -> float:
        if self._point_mass():
            return float(f(self.mean))
        return gauss_expect(f, self.mean, self.cov, tol=tol)


@dataclass(eq=False)
class Degenerate(Distribution):
    """A Gaussian law in several dimensions with a singular covariance (a variable named twice).

    It has no density. As the limit of densities, ``pdf`` is +inf on its support (the affine subspace
    mean + range(cov)) and 0 off it. The law of no variable at all (``mean`` of size 0) has density 1.
    """
    mean: Any
    cov: Any
    var: str = "x"

    def pdf(self, x: Any) -> float:
        if np.size(self.mean) == 0:
            return 1.0
        values, vectors = np.linalg.eigh(self.cov)
        null = vectors[:, values <= 1e-10 * max(float(values.max()), 1e-300)]
        offset = null.T @ (np.ravel(np.asarray(x, dtype=float)) - self.mean)
        return math.inf if np.all(np.abs(offset) <= 1e-9 * (1.0 + float(np.abs(self.mean).max()))) else 0.0

    def expect(self, f: Callable[[Any], float], tol: Tol) -> float:
        raise NumericalError("expectations under a degenerate Gaussian are not supported")


@dataclass(eq=False)
class Density(Distribution):
    """A density on an interval of the real line, given by ``pdf`` or ``logpdf``; quadrature for the rest.

    ``points``: where the density has its mass (modes, kinks), so quadrature cannot miss it.
    """
    pdf_fn: Callable[[float], float] | None = None
    logpdf_fn: Callable[[float], float] | None = None
    lo: float = -math.inf
    hi: float = math.inf
    points: Sequence[float] = ()
    var: str = "x"

    def pdf(self, x: Any) -> float:
        x = x if type(x) is float else float(np.squeeze(x))  # quadrature calls this with floats, often
        if self.pdf_fn is not None:
            return float(self.pdf_fn(x))
        assert self.logpdf_fn is not None
        return math.exp(self.logpdf_fn(x))

    def logpdf(self, x: Any) -> float:
        x = x if type(x) is float else float(np.squeeze(x))
        if self.logpdf_fn is not None:
            return float(self.logpdf_fn(x))
        density = self.pdf(x)
        return math.log(density) if density > 0 else -math.inf

    def expect(self, f: Callable[[Any], float], tol: Tol) -> float:
        return quad_expect(f, self.pdf, self.lo, self.hi, points=self.points, tol=tol)

    @property
    def domain(self) -> Domain:
        return Domain(lo=self.lo, hi=self.hi, points=self.points)


def Mixture(weights: Sequence[float], means: Sequence[float], variances: Sequence[float], var: str = "x") -> Density:
    """A 1-D Gaussian mixture as a Density (its pdf from scipy.stats.norm)."""
    w = np.asarray(weights, dtype=float)
    m = np.asarray(means, dtype=float)
    s = np.sqrt(np.asarray(variances, dtype=float))

    def pdf(x: float) -> float:
        return float(np.sum(w * scipy.stats.norm.pdf(x, m, s)))

    spread = float(np.max(s))
    return Density(pdf_fn=pdf, lo=float(m.min() - 40 * spread), hi=float(m.max() + 40 * spread),
                   points=sorted(m.tolist()), var=var)


@dataclass(eq=False)
class IID(Distribution):
    """n independent draws of ``base``: a vector variable (a data set)."""
    base: Distribution
    n: int
    var: str = "x"

    def pdf(self, x: Any) -> float:
        return float(np.prod([self.base.pdf(v) for v in np.ravel(x)]))

    def expect(self, f: Callable[[Any], float], tol: Tol) -> float:
        if isinstance(self.base, Discrete):
            total = 0.0
            support, probs = self.base.support, self.base.probs
            for idx in np.ndindex(*([len(support)] * self.n)):  # type: ignore[arg-type]
                p = float(np.prod(probs[list(idx)]))
                if p > 0:
                    total += p * f(np.array([support[i] for i in idx], dtype=float))  # type: ignore[index]
            return total
        if isinstance(self.base, Normal):
            return gauss_expect(f, np.full(self.n, self.base.mean), self.base.var_ * np.eye(self.n), tol=tol)
        raise NumericalError("IID expectations need a Discrete or Normal base law")


@dataclass(eq=False)
class MonteCarlo(Distribution):
    """A law known by samples: E[f] is a sample mean, accepted if its standard error is <= tol."""
    sample: Callable[[np.random.Generator, int], Any]
    n: int = 20000
    seed: int = 0
    var: str = "x"

    def expect(self, f: Callable[[Any], float], tol: Tol) -> float:
        draws = self.sample(np.random.default_rng(self.seed), self.n)
        values = np.array([f(d) for d in draws], dtype=float)  # (n,) or (n, ...) for a vector-valued f
        se = float(np.max(values.std(axis=0, ddof=1)) / math.sqrt(len(values)))
        mean = values.mean(axis=0)
        if not tol.ok(se, float(np.max(np.abs(mean)))):
            raise NumericalError(f"Monte Carlo expectation: standard error {se:.3g} > tolerance {tol}")
        return float(mean) if mean.ndim == 0 else mean


# --------------------------------------------------------------------------------------------------
# models: laws of several named variables, addressed by the names in p(x, z), p(z | x), q(x_t | x_0)

class Model:
    """Named random variables with a joint law.

    ``law(targets, given)`` returns the Distribution of the target variables given values of others;
    the evaluator calls it for ``p(x \\mid z)`` (by the NAMES of the arguments) and uses it for
    ``\\mathbb{E}[\\cdot \\mid y]``. Subclasses compute every conditional from one joint law.
    ``targets=None`` asks for every variable of the model that is not given (``q(\\cdot \\mid x)``), and
    a name ``x_a:b`` (written ``x_{a:b}``) stands for the variables ``x_a, ..., x_b``.
    """

    @property
    def variables(self) -> list[str]:
        """The names of the model's variables."""
        raise NotImplementedError

    def law(self, targets: Sequence[str] | None, given: dict[str, Any]) -> Distribution:
        raise NotImplementedError

    def _targets(self, targets: Sequence[str] | None, given: dict[str, Any]) -> list[str]:
        """The target names with ranges expanded; None: every variable that is not given."""
        if targets is None:
            return [v for v in self.variables if v not in given]
        return expand_names(targets)


def expand_names(names: Sequence[str]) -> list[str]:
    """``["x_0:2", "z"]`` -> ``["x_0", "x_1", "x_2", "z"]`` (the notation x_{0:2} for a run of variables)."""
    out = []
    for name in names:
        base, _, index = name.rpartition("_")
        lo, colon, hi = index.partition(":")
        if base and colon and lo.lstrip("-").isdigit() and hi.lstrip("-").isdigit():
            out += [f"{base}_{k}" for k in range(int(lo), int(hi) + 1)]
        else:
            out.append(name)
    return out


def expand_given(given: dict[str, Any], dims: Callable[[str], int]) -> dict[str, Any]:
    """Conditioning values with ranges split: ``{"x_1:2": [a, b]}`` -> ``{"x_1": a, "x_2": b}``."""
    out: dict[str, Any] = {}
    for name, value in given.items():
        names = expand_names([name])
        if len(names) == 1:
            out[name] = value
            continue
        flat, start = np.ravel(np.asarray(value, dtype=float)), 0
        for n in names:
            out[n] = flat[start:start + dims(n)]
            start += dims(n)
    return out


@dataclass(eq=False)
class Table(Model):
    """A model given as a table of laws: ``{"x": law, "z|x": lambda x: law, "x,z": joint_pdf}``.

    Keys are the variable names of the arguments (``"z|x"`` for p(z | x)); a value is a Distribution,
    a function of the conditioning values returning one, or (for a joint written p(x, z)) a function
    of all the variables returning the density. A variable given itself (p(x | x)) is the point mass
    at its value.
    """
    laws: dict[str, Any]

    @property
    def variables(self) -> list[str]:
        names: list[str] = []
        for key in self.laws:
            for name in key.replace("|", ",").split(","):
                if name not in names:
                    names.append(name)
        return names

    def law(self, targets: Sequence[str] | None, given: dict[str, Any]) -> Distribution:
        if targets is None:  # the one law in the table with exactly these conditions
            cond = ",".join(given)
            keys = [k for k in self.laws if (k.partition("|")[2] if "|" in k else "") == cond]
            if len(keys) != 1:
                raise KeyError(f"the model has no single law given {cond!r} (it has {sorted(self.laws)})")
            targets = keys[0].partition("|")[0].split(",")
        if targets and all(v in given for v in targets):  # a variable given itself: a point mass there
            value = np.concatenate([np.ravel(np.asarray(given[v], dtype=float)) for v in targets])
            if value.size == 1:
                return Normal(float(value[0]), 0.0, var=",".join(targets))
            return MVN(value, np.zeros((value.size, value.size)), var=",".join(targets))
        key = ",".join(targets) + ("|" + ",".join(given) if given else "")
        if key not in self.laws:
            raise KeyError(f"the model has no law for {key!r} (it has {sorted(self.laws)})")
        entry = self.laws[key]
        if isinstance(entry, Distribution):
            return entry
        if given:
            out = entry(*given.values())
            if isinstance(out, Distribution):
                return out.named(",".join(targets))
        return _FunctionLaw(entry, len(targets), given)


@dataclass(eq=False)
class _FunctionLaw(Distribution):
    fn: Callable[..., float]
    n_targets: int
    given: dict[str, Any] = field(default_factory=dict)

    def pdf(self, x: Any) -> float:
        values = list(x) if self.n_targets > 1 else [x]
        return float(self.fn(*values, *self.given.values()))


@dataclass(eq=False)
class GaussianModel(Model):
    """A joint Gaussian over named blocks: every marginal and conditional by Schur complements.

    ``blocks`` maps a variable name to its dimension, in the order of ``mean`` and ``cov``. The
    coordinates of a block are variables too, 1-based as on the page: ``x_d`` is coordinate d of block
    ``x`` and ``x_a:b`` its coordinates a..b (the evaluator names ``x_{<d}`` ``x_1:d-1``, empty at d = 1,
    and an empty condition conditions on nothing), so p(x_d | x_{<d}) is a conditional of p(x). A variable
    given its own value has a point-mass law (a :class:`Normal` of variance 0), variables named twice a
    :class:`Degenerate` one; no
    variable at all has density 1.
    """
    blocks: dict[str, int]
    mean: Any
    cov: Any

    def __post_init__(self) -> None:
        self.mean = np.asarray(self.mean, dtype=float)
        self.cov = np.asarray(self.cov, dtype=float)
        self._slices: dict[str, slice] = {}
        self._conditionals: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[Any, ...]] = {}  # cache
        start = 0
        for name, dim in self.blocks.items():
            self._slices[name] = slice(start, start + dim)
            start += dim

    def _coordinates(self, name: str) -> np.ndarray:
        """Positions in ``mean`` of a block (``x``), a coordinate (``x_3``) or a range (``x_1:2``)."""
        if name in self._slices:
            return np.arange(self._slices[name].start, self._slices[name].stop)
        base, _, sub = name.rpartition("_")
        lo, colon, hi = sub.partition(":")
        if base in self._slices and lo.isdigit() and (not colon or hi.isdigit()):
            block = np.arange(self._slices[base].start, self._slices[base].stop)
            first, last = int(lo), int(hi) if colon else int(lo)
            if 1 <= first <= last + 1 and last <= block.size and (colon or first <= last):
                return block[first - 1:last]
        raise KeyError(f"the Gaussian model has no variable {name!r} (it has {list(self.blocks)} and their "
                       f"coordinates)")

    def _index(self, names: Sequence[str]) -> np.ndarray:
        return np.concatenate([np.zeros(0, dtype=int), *(self._coordinates(n) for n in names)]).astype(int)

    @property
    def variables(self) -> list[str]:
        return list(self.blocks)

    def law(self, targets: Sequence[str] | None, given: dict[str, Any]) -> Distribution:
        given = expand_given(given, lambda n: self.blocks.get(n, 1))
        targets = self._targets(targets, given)
        a = self._index(targets)
        if a.size == 0:  # p(x_{<1}): the law of no variable
            return Degenerate(np.zeros(0), np.zeros((0, 0)), var=",".join(targets))
        given = {name: value for name, value in given.items() if self._coordinates(name).size}
        key = (tuple(targets), tuple(given))
        if key not in self._conditionals:  # the gain and the covariance do not depend on the observed values
            b = self._index(list(given)) if given else np.zeros(0, dtype=int)
            gain = (np.linalg.solve(self.cov[np.ix_(b, b)], self.cov[np.ix_(b, a)]).T if given
                    else np.zeros((a.size, 0)))
            cov = self.cov[np.ix_(a, a)] - gain @ self.cov[np.ix_(b, a)]
            # a variable given itself (or a function of the conditions) is a point mass: variance 0, not rounding
            if np.all(np.abs(cov) <= 1e-12 * np.max(np.abs(self.cov[np.ix_(a, a)]))):
                cov = np.zeros_like(cov)
            scale = float(np.max(np.diag(self.cov[np.ix_(a, a)])))
            # p(x_1, x_1): no density
            degenerate = a.size > 1 and bool(np.any(cov)) and np.linalg.eigvalsh(cov).min() <= 1e-12 * scale
            self._conditionals[key] = (a, b, gain, cov, degenerate, None)
        a, b, gain, cov, degenerate, factor = self._conditionals[key]
        mean = self.mean[a]
        if given:
            obs = np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in given.values()])
            mean = mean + gain @ (obs - self.mean[b])
        if a.size == 1:
            return Normal(float(mean[0]), float(cov[0, 0]), var=",".join(targets))
        if degenerate:
            return Degenerate(mean, cov, var=",".join(targets))
        law = MVN(mean, cov, var=",".join(targets), blocks=[self._coordinates(n).size for n in targets])
        if not np.any(cov):
            return law  # a point mass
        if factor is not None:
            law._factor = factor  # type: ignore[attr-defined]  # the Cholesky factor of the same covariance
        else:
            law.logpdf(mean)  # factorises cov once for every later law with this key
            self._conditionals[key] = (a, b, gain, cov, degenerate, law._factor)  # type: ignore[attr-defined]
        return law


@dataclass(eq=False)
class Bayes1D(Model):
    """x ~ prior (1-D), y | x ~ likelihood(y, x): E[f(x) | y] and p(y) by quadrature.

    Names: ``x`` and ``y`` (change with ``names``).
    """
    prior: Density | Normal
    likelihood: Callable[[float, float], float]
    names: tuple[str, str] = ("x", "y")
    tol: Tol = Tol(1e-13, 1e-11)

    @property
    def variables(self) -> list[str]:
        return list(self.names)

    def law(self, targets: Sequence[str] | None, given: dict[str, Any]) -> Distribution:
        x, y = self.names
        targets = self._targets(targets, given)
        lo, hi, points = _support(self.prior)
        if list(targets) == [x] and list(given) == [y]:
            obs = float(np.squeeze(given[y]))
            evidence = quad(lambda v: self.prior.pdf(v) * self.likelihood(obs, v), lo, hi, points=points, tol=self.tol)
            return Density(pdf_fn=lambda v: self.prior.pdf(v) * self.likelihood(obs, v) / evidence, lo=lo, hi=hi,
                           points=points, var=x)
        if list(targets) == [y] and not given:
            return Density(pdf_fn=lambda w: quad(lambda v: self.prior.pdf(v) * self.likelihood(w, v), lo, hi,
                                                 points=points, tol=self.tol),
                           lo=-math.inf, hi=math.inf, points=points, var=y)
        if list(targets) == [x] and not given:
            return self.prior
        if list(targets) == [y] and list(given) == [x]:
            xv = float(np.squeeze(given[x]))
            return Density(pdf_fn=lambda w: self.likelihood(w, xv), points=[xv], var=y)
        raise KeyError(f"Bayes1D has no law for {targets} given {list(given)}")


def _support(d: Distribution) -> tuple[float, float, Sequence[float]]:
    if isinstance(d, Density):
        return d.lo, d.hi, d.points
    if isinstance(d, Normal):
        s = math.sqrt(d.var_)
        return d.mean - 40 * s, d.mean + 40 * s, [d.mean]
    return -math.inf, math.inf, ()


# --------------------------------------------------------------------------------------------------
# generic information quantities (references, not the pages' closed forms)

def kl(p: Distribution, q: Distribution, tol: Tol) -> float:
    """KL(p || q) in nats: torch.distributions for Gaussians, exact sums, else quadrature of p log p/q."""
    if isinstance(p, (Normal, MVN)) and isinstance(q, (Normal, MVN)):
        return _torch_kl(p, q)
    if isinstance(p, Discrete) and isinstance(q, Discrete):
        support = list(p.support or [])
        pq = np.array([q.pdf(s) for s in support])
        return float(np.sum(scipy.special.rel_entr(p.probs, pq)))
    return p.expect(lambda x: p.logpdf(x) - q.logpdf(x), tol)


def _torch_kl(p: Distribution, q: Distribution) -> float:
    import torch
    from torch.distributions import MultivariateNormal, kl_divergence

    def as_torch(d: Distribution, k: int) -> MultivariateNormal:
        if isinstance(d, Normal):
            mean, cov = np.full(k, d.mean), d.var_ * np.eye(k)
        else:
            assert isinstance(d, MVN)
            mean, cov = d.mean, d.cov
        return MultivariateNormal(torch.tensor(mean, dtype=torch.float64),
                                  covariance_matrix=torch.tensor(cov, dtype=torch.float64),
                                  validate_args=False)

    k = max(getattr(p, "mean", np.zeros(1)).size if isinstance(p, MVN) else 1,
            getattr(q, "mean", np.zeros(1)).size if isinstance(q, MVN) else 1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: on a busy machine, worker threads spin (40 ms a KL, not 0.7 ms)
    try:
        return float(kl_divergence(as_torch(p, k), as_torch(q, k)))
    finally:
        torch.set_num_threads(threads)


def entropy(p: Distribution, tol: Tol) -> float:
    """H(p) in nats (differential for densities): scipy for discrete and Gaussian laws, else quadrature."""
    if isinstance(p, Discrete):
        return float(scipy.stats.entropy(p.probs))
    if isinstance(p, Normal):
        return float(scipy.stats.norm(p.mean, math.sqrt(p.var_)).entropy())
    if isinstance(p, MVN):
        return float(scipy.stats.multivariate_normal(p.mean, p.cov).entropy())
    return p.expect(lambda x: -p.logpdf(x), tol)


def cross_entropy(p: Distribution, q: Distribution, tol: Tol) -> float:
    """H(p, q) = -E_p[log q] in nats; +inf where q rules out an outcome of p.

    Discrete laws: -sum xlogy(p, q) with scipy's elementwise ``xlogy`` (0 log 0 = 0), a different
    primitive from the ``entr`` of :func:`entropy` and the ``rel_entr`` of :func:`kl`, so that a check
    of H(p, q) = H(p) + KL(p || q) compares two computations.
    """
    if isinstance(p, Discrete):
        qs = np.array([q.pdf(s) for s in p.support or []])
        return float(-np.sum(scipy.special.xlogy(p.probs, qs)))
    return p.expect(lambda x: -q.logpdf(x), tol)


def jsd(p: Distribution, q: Distribution, tol: Tol) -> float:
    """Jensen-Shannon divergence in nats: scipy.spatial.distance for discrete laws, else quadrature."""
    if isinstance(p, Discrete) and isinstance(q, Discrete):
        from scipy.spatial.distance import jensenshannon

        support = list(p.support or [])
        return float(jensenshannon(p.probs, [q.pdf(s) for s in support]) ** 2)
    lo, hi, points = _support(p)
    lo2, hi2, points2 = _support(q)

    def integrand(x: float) -> float:
        a, b = p.pdf(x), q.pdf(x)
        m = 0.5 * (a + b)
        return 0.5 * (scipy.special.rel_entr(a, m) + scipy.special.rel_entr(b, m))

    return quad(integrand, min(lo, lo2), max(hi, hi2), points=[*points, *points2], tol=tol)
