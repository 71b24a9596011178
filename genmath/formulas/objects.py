r"""What a formula check gives the evaluator: distributions, models of named variables, domains.

These are REFERENCES. They compute densities, expectations, entropies and KL divergences by generic
means (exact sums, Gauss-Hermite or adaptive quadrature with an error estimate, conditioning of a
joint Gaussian by Schur complements, torch.distributions), never by the closed forms that the pages
display, so that a formula and its check do not share a mistake.

Every numerical approximation is trusted only after its own error estimate: a quadrature whose
estimate exceeds the tolerance it was given raises :class:`NumericalError`.
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


def gauss_expect(f: Callable[[np.ndarray], float], mean: np.ndarray, cov: np.ndarray, *, tol: Tol,
                 orders: tuple[int, ...] = (3, 4, 6)) -> float:
    """E[f(X)], X ~ N(mean, cov) (any dimension), by tensor Gauss-Hermite rules of growing order.

    Exact for polynomials of degree < 2n; the answer is accepted once two successive orders agree
    within ``tol`` (the error estimate), else :class:`NumericalError`.
    """
    mean = np.atleast_1d(np.asarray(mean, dtype=float))
    cov = np.atleast_2d(np.asarray(cov, dtype=float))
    k = mean.size
    chol = np.linalg.cholesky(cov + 0.0 * np.eye(k))
    if k > 6:
        raise NumericalError(f"Gauss-Hermite expectation in {k} dimensions is too costly; use a Monte Carlo law")
    previous = None
    orders = orders if k > 1 else (8, 16, 32, 64)
    for n in orders:
        nodes, weights = _hermite(n)
        total = 0.0
        for idx in np.ndindex(*([n] * k)):
            w = float(np.prod(weights[list(idx)]))
            x = mean + chol @ nodes[list(idx)]
            total += w * f(x if k > 1 else x[:1])
        if previous is not None and tol.ok(abs(total - previous), total):
            return total
        previous = total
    raise NumericalError(f"Gauss-Hermite expectation did not settle: last two orders gave {previous!r} "
                         f"and {total!r} (tolerance {tol})")


def quad_expect(f: Callable[[float], float], pdf: Callable[[float], float], lo: float, hi: float, *,
                points: Sequence[float] = (), tol: Tol) -> float:
    """∫ f(x) pdf(x) dx over [lo, hi] by scipy's adaptive quadrature, error estimate checked."""
    return quad(lambda x: f(x) * pdf(x) if pdf(x) > 0 else 0.0, lo, hi, points=points, tol=tol)


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


# --------------------------------------------------------------------------------------------------
# domains: where a bound variable of a sum or an integral ranges

@dataclass
class Domain:
    """A finite set of values (``\\sum_x``) or an interval of the real line (``\\int dx``).

    ``points`` are break points for quadrature (modes, kinks); ``dim`` > 1 makes it R^dim, integrated
    by Gauss-Hermite around ``center`` with covariance ``scale**2 * I``.
    """
    values: Sequence[Any] | None = None
    lo: float = -math.inf
    hi: float = math.inf
    points: Sequence[float] = ()
    dim: int = 1
    center: Any = 0.0
    scale: float = 1.0

    @property
    def finite(self) -> bool:
        return self.values is not None

    def integrate(self, g: Callable[[Any], float], tol: Tol) -> float:
        if self.values is not None:
            return float(sum(g(v) for v in self.values))
        if self.dim == 1:
            return quad(g, self.lo, self.hi, points=self.points, tol=tol)
        center = np.broadcast_to(np.asarray(self.center, dtype=float), (self.dim,))
        cov = self.scale ** 2 * np.eye(self.dim)
        ref = scipy.stats.multivariate_normal(center, cov)
        return gauss_expect(lambda z: g(z) / ref.pdf(z), center, cov, tol=tol, orders=(8, 12, 16))


def Reals(*, points: Sequence[float] = (), dim: int = 1, center: Any = 0.0, scale: float = 1.0) -> Domain:
    return Domain(points=points, dim=dim, center=center, scale=scale)


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
    """Probabilities on a finite support (default 1..K). ``pdf`` is the probability mass."""
    probs: Any
    support: Sequence[Any] | None = None
    var: str = "x"

    def __post_init__(self) -> None:
        self.probs = np.asarray(self.probs, dtype=float)
        if self.support is None:
            self.support = list(range(1, self.probs.size + 1))
        self._index = {float(s): i for i, s in enumerate(self.support)}

    def pdf(self, x: Any) -> float:
        key = float(np.asarray(x).reshape(-1)[0]) if np.ndim(x) else float(x)
        if key not in self._index:
            return 0.0
        return float(self.probs[self._index[key]])

    def expect(self, f: Callable[[Any], float], tol: Tol) -> float:
        return float(sum(p * f(s) for p, s in zip(self.probs, self.support) if p > 0))  # type: ignore[arg-type]

    @property
    def domain(self) -> Domain:
        return Finite(self.support)  # type: ignore[arg-type]


def Bernoulli(p: float) -> Discrete:
    return Discrete([1.0 - p, p], support=[0, 1])


@dataclass(eq=False)
class Normal(Distribution):
    """N(mean, var) on the real line (``var`` is the variance, as in \\mathcal{N}(\\mu, \\sigma^2))."""
    mean: float
    var_: float
    var: str = "x"

    def pdf(self, x: Any) -> float:
        return float(scipy.stats.norm.pdf(float(np.squeeze(x)), self.mean, math.sqrt(self.var_)))

    def logpdf(self, x: Any) -> float:
        return float(scipy.stats.norm.logpdf(float(np.squeeze(x)), self.mean, math.sqrt(self.var_)))

    def expect(self, f: Callable[[Any], float], tol: Tol) -> float:
        return gauss_expect(lambda v: f(float(v[0])), np.array([self.mean]), np.array([[self.var_]]), tol=tol)


@dataclass(eq=False)
class MVN(Distribution):
    """N(mean, cov) in R^k (vectors are 1-D arrays)."""
    mean: Any
    cov: Any
    var: str = "x"

    def __post_init__(self) -> None:
        self.mean = np.atleast_1d(np.asarray(self.mean, dtype=float))
        self.cov = np.atleast_2d(np.asarray(self.cov, dtype=float))
        if self.cov.shape != (self.mean.size, self.mean.size):
            if self.mean.size == 1 and self.cov.shape[0] > 1:
                self.mean = np.full(self.cov.shape[0], float(self.mean[0]))
            else:
                raise ValueError(f"mean of size {self.mean.size} and covariance of shape {self.cov.shape}")

    def pdf(self, x: Any) -> float:
        return float(scipy.stats.multivariate_normal(self.mean, self.cov).pdf(np.ravel(x)))

    def logpdf(self, x: Any) -> float:
        return float(scipy.stats.multivariate_normal(self.mean, self.cov).logpdf(np.ravel(x)))

    def expect(self, f: Callable[[Any], float], tol: Tol) -> float:
        return gauss_expect(f, self.mean, self.cov, tol=tol)


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
        x = float(np.squeeze(x))
        if self.pdf_fn is not None:
            return float(self.pdf_fn(x))
        assert self.logpdf_fn is not None
        return math.exp(self.logpdf_fn(x))

    def logpdf(self, x: Any) -> float:
        x = float(np.squeeze(x))
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
        values = np.array([f(d) for d in draws], dtype=float)
        se = float(values.std(ddof=1) / math.sqrt(values.size))
        if not tol.ok(se, float(values.mean())):
            raise NumericalError(f"Monte Carlo expectation: standard error {se:.3g} > tolerance {tol}")
        return float(values.mean())


# --------------------------------------------------------------------------------------------------
# models: laws of several named variables, addressed by the names in p(x, z), p(z | x), q(x_t | x_0)

class Model:
    """Named random variables with a joint law.

    ``law(targets, given)`` returns the Distribution of the target variables given values of others;
    the evaluator calls it for ``p(x \\mid z)`` (by the NAMES of the arguments) and uses it for
    ``\\mathbb{E}[\\cdot \\mid y]``. Subclasses compute every conditional from one joint law.
    """

    def law(self, targets: Sequence[str], given: dict[str, Any]) -> Distribution:
        raise NotImplementedError


@dataclass(eq=False)
class Table(Model):
    """A model given as a table of laws: ``{"x": law, "z|x": lambda x: law, "x,z": joint_pdf}``.

    Keys are the variable names of the arguments (``"z|x"`` for p(z | x)); a value is a Distribution,
    a function of the conditioning values returning one, or (for a joint written p(x, z)) a function
    of all the variables returning the density.
    """
    laws: dict[str, Any]

    def law(self, targets: Sequence[str], given: dict[str, Any]) -> Distribution:
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

    ``blocks`` maps a variable name to its dimension, in the order of ``mean`` and ``cov``.
    """
    blocks: dict[str, int]
    mean: Any
    cov: Any

    def __post_init__(self) -> None:
        self.mean = np.asarray(self.mean, dtype=float)
        self.cov = np.asarray(self.cov, dtype=float)
        self._slices: dict[str, slice] = {}
        start = 0
        for name, dim in self.blocks.items():
            self._slices[name] = slice(start, start + dim)
            start += dim

    def _index(self, names: Sequence[str]) -> np.ndarray:
        missing = [n for n in names if n not in self._slices]
        if missing:
            raise KeyError(f"the Gaussian model has no variable {missing[0]!r} (it has {list(self.blocks)})")
        return np.concatenate([np.arange(self._slices[n].start, self._slices[n].stop) for n in names])

    def law(self, targets: Sequence[str], given: dict[str, Any]) -> Distribution:
        a = self._index(targets)
        mean, cov = self.mean[a], self.cov[np.ix_(a, a)]
        if given:
            b = self._index(list(given))
            obs = np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in given.values()])
            gain = np.linalg.solve(self.cov[np.ix_(b, b)], self.cov[np.ix_(b, a)]).T
            mean = mean + gain @ (obs - self.mean[b])
            cov = cov - gain @ self.cov[np.ix_(b, a)]
        if a.size == 1:
            return Normal(float(mean[0]), float(cov[0, 0]), var=",".join(targets))
        return MVN(mean, cov, var=",".join(targets))


@dataclass(eq=False)
class Bayes1D(Model):
    """x ~ prior (1-D), y | x ~ likelihood(y, x): E[f(x) | y] and p(y) by quadrature.

    Names: ``x`` and ``y`` (change with ``names``).
    """
    prior: Density | Normal
    likelihood: Callable[[float, float], float]
    names: tuple[str, str] = ("x", "y")
    tol: Tol = Tol(1e-13, 1e-11)

    def law(self, targets: Sequence[str], given: dict[str, Any]) -> Distribution:
        x, y = self.names
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
    return float(kl_divergence(as_torch(p, k), as_torch(q, k)))


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
    """H(p, q) = -E_p[log q] in nats."""
    if isinstance(p, Discrete):
        return float(-sum(pi * math.log(q.pdf(s)) if pi > 0 else 0.0 for pi, s in zip(p.probs, p.support or [])))
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
