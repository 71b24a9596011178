r"""Generative adversarial networks: the optimal discriminator, the value function by quadrature,
the Jensen-Shannon divergence it hides, generator losses, and a small torch GAN.

Notation follows Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014 (arXiv:1406.2661):
:math:`p_{\mathrm{data}}` is the data density, :math:`p_g` the density of :math:`G(z)`,
:math:`z \sim p_z`, and :math:`D(x) \in [0, 1]` the discriminator's probability that ``x`` is real.

* Value function (their Eq. 1):
  :math:`V(D, G) = \mathbb E_{p_{\mathrm{data}}}[\log D(x)] + \mathbb E_{p_g}[\log(1 - D(x))]`.
* Optimal discriminator (their Prop. 1): :math:`D^*_G = p_{\mathrm{data}} / (p_{\mathrm{data}} + p_g)`.
* Value at the optimum (their Thm. 1):
  :math:`C(G) = V(D^*_G, G) = -\log 4 + 2\,\mathrm{JSD}(p_{\mathrm{data}} \,\|\, p_g)`.
* Wasserstein-1 (Arjovsky, Chintala & Bottou 2017): the coupling problem as a linear program and
  its Kantorovich-Rubinstein dual, the optimal critic on the line, and a WGAN trained with weight
  clipping or a gradient penalty (Gulrajani et al. 2017; Petzka et al. 2018).
* f-GAN (Nowozin, Cseke & Tomioka 2016): f-divergences and their variational lower bounds; the GAN
  value is the bound of the member with :math:`D_f = 2\,\mathrm{JSD} - \log 4`.

Every information quantity is in nats unless ``base=2`` (bits) is passed. Densities on the real
line are scalar callables ``x -> p(x)``; integrals go through :func:`genmath.numerics.integral`
(``scipy.integrate.quad`` on pieces cut where the mass is: at the location and scale of each
density when it is a method of a ``scipy.stats`` distribution or of :class:`GaussianMixture1D`, at
``loc``/``scale`` given by the caller, at ``points``; infinite limits need one of these). A result whose
error estimate is too large raises :class:`genmath.numerics.QuadratureError`. Inputs are checked with
:mod:`genmath.validate`; nothing returns NaN silently.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike, NDArray

from genmath import memo, numerics, validate
from genmath.info import _js_terms

if TYPE_CHECKING:  # torch is imported lazily: the quadrature half of this module does not need it
    import torch

__all__ = [
    "Critic1D",
    "CriticSolution",
    "FganMember",
    "FGAN_MEMBERS",
    "GANRun",
    "GaussianMixture1D",
    "TransportPlan",
    "WGANRun",
    "WGAN_CONSTRAINTS",
    "cached_train_gan",
    "cached_train_wgan",
    "critic_lipschitz",
    "critic_values",
    "discriminator_probability",
    "f_divergence_quad",
    "fgan_bound_quad",
    "fit_discriminator",
    "fit_generator",
    "gaussian_mixture_1d",
    "generate",
    "jensen_shannon_from_value",
    "jensen_shannon_quad",
    "mode_coverage",
    "non_saturating_generator_loss",
    "non_saturating_grad_d",
    "non_saturating_grad_logit",
    "optimal_discriminator",
    "optimal_discriminator_logit",
    "optimal_transport",
    "optimal_value",
    "saturating_generator_loss",
    "saturating_grad_d",
    "saturating_grad_logit",
    "train_gan",
    "train_wgan",
    "value_estimate",
    "value_function",
    "wasserstein_1_dual",
    "wasserstein_1_quad",
    "wasserstein_critic_1d",
]

#: log 4 = 2 log 2: minus the value of the game at its global optimum p_g = p_data (nats).
LOG4 = math.log(4.0)

Density = Callable[[float], float]


# --------------------------------------------------------------------------------------------
# The optimal discriminator
# --------------------------------------------------------------------------------------------

def optimal_discriminator(p_data: ArrayLike, p_model: ArrayLike) -> NDArray[np.float64] | np.float64:
    r"""The optimal discriminator for a fixed generator (Goodfellow et al. 2014, Prop. 1), elementwise:

    .. math:: D^*_G(x) = \frac{p_{\mathrm{data}}(x)}{p_{\mathrm{data}}(x) + p_g(x)} .

    It maximises :math:`a \log y + b \log(1 - y)` over :math:`y \in [0, 1]` with
    :math:`a = p_{\mathrm{data}}(x)`, :math:`b = p_g(x)`, pointwise in ``x``.

    ``p_data`` and ``p_model`` are density values (finite, >= 0) that broadcast together.
    Where BOTH are 0 the pointwise objective is identically 0, every :math:`y` maximises it and
    :math:`D^*` is undefined (outside :math:`\mathrm{supp}\,p_{\mathrm{data}} \cup \mathrm{supp}\,p_g`):
    this raises ``ValueError`` rather than inventing a value. Where :math:`a + b` overflows, both
    values are first divided by the larger (``optimal_discriminator(1e308, 1e308)`` = 1/2).
    Range [0, 1].
    """
    a = validate.non_negative(p_data, "p_data")
    b = validate.non_negative(p_model, "p_model")
    a, b = validate.broadcast((a, "p_data"), (b, "p_model"))
    validate.not_both_zero(a, b, "p_data", "p_model")  # D* is undefined where both vanish
    with np.errstate(over="ignore"):
        total = a + b
    big = np.maximum(a, b)  # > 0 everywhere now
    d_star = np.where(np.isfinite(total), a / np.where(np.isfinite(total), total, 1.0),
                      (a / big) / (a / big + b / big))
    return d_star[()] if d_star.ndim == 0 else d_star


def optimal_discriminator_logit(p_data: ArrayLike, p_model: ArrayLike
                                ) -> NDArray[np.float64] | np.float64:
    r"""The logit of :func:`optimal_discriminator`: the log density ratio,

    .. math:: \ell^*(x) = \log\frac{D^*_G(x)}{1 - D^*_G(x)} = \log p_{\mathrm{data}}(x) - \log p_g(x),

    :math:`+\infty` where only :math:`p_g` vanishes, :math:`-\infty` where only
    :math:`p_{\mathrm{data}}` does; ``ValueError`` where both do (as :func:`optimal_discriminator`).
    Stays accurate in the tails, where :math:`D^*` itself rounds to 0 or 1.
    """
    a = validate.array(p_data, "p_data")
    b = validate.array(p_model, "p_model")
    optimal_discriminator(a, b)  # the same validation: >= 0, not both zero
    a, b = np.broadcast_arrays(a, b)
    ell = np.vectorize(_log_ratio, otypes=[np.float64])(a, b)
    return ell[()] if ell.ndim == 0 else ell


def _log_ratio(a: float, b: float) -> float:
    r""":math:`\log a - \log b` for scalars a, b >= 0, not both 0 (+-inf if one of them is 0)."""
    log_a = math.log(a) if a > 0 else -math.inf
    log_b = math.log(b) if b > 0 else -math.inf
    return log_a - log_b


# --------------------------------------------------------------------------------------------
# Quadrature on the real line
# --------------------------------------------------------------------------------------------

def _integrate(integrand: Callable[[float], float], lower: float, upper: float,
               points: Sequence[float] | ArrayLike | None, loc: ArrayLike | None, scale: ArrayLike | None,
               what: str, mass_of: dict[str, Callable[..., Any]]) -> numerics.Integral:
    r""":math:`\int_{\mathrm{lower}}^{\mathrm{upper}} f(x)\,dx` by :func:`genmath.numerics.integral`,
    with the mass located from ``mass_of`` (the caller's densities or CDFs) and ``loc``/``scale``.

    Raises ``ValueError`` for invalid limits or points, an infinite range whose mass nothing locates,
    or a non-finite integrand; :class:`genmath.numerics.QuadratureError` (a ``RuntimeError``) when the
    error estimate exceeds 1e-8 relative: no silently inaccurate numbers.
    """
    return numerics.integral(integrand, lower, upper, name=what, loc=loc, scale=scale, points=points,
                             mass_of=mass_of)


def _in_range(result: numerics.Integral, lo: float, hi: float, what: str, inputs: str) -> float:
    """``result.value`` clipped into [lo, hi] when it is outside by no more than twice its error
    estimate (quadrature rounding); ``ValueError`` when it is outside by more (the inputs are not what
    they claim to be, e.g. densities that do not integrate to 1)."""
    value, slack = result.value, 2.0 * result.error
    if value < lo - slack or value > hi + slack:
        raise ValueError(f"{what} by quadrature is {value:.10g}, outside [{lo:.10g}, {hi:.10g}] beyond its "
                         f"error estimate {result.error:.2g}: {inputs} must be probability densities that "
                         f"integrate to 1")
    return min(max(value, lo), hi)


def _density_at(density: Density, x: float, name: str) -> float:
    """``density(x)`` as a float, checked to be finite and >= 0."""
    value = float(density(x))
    if not math.isfinite(value) or value < 0:
        validate.fail(name, "a density: finite and >= 0 everywhere", value, f" at x = {x!r}")
    return value


def _weighted(weight: float, log_value: float) -> float:
    r""":math:`w \cdot \log y` given :math:`\log y`, with :math:`0 \cdot \log 0 = 0` (a term of zero
    weight contributes nothing, even where :math:`\log y = -\infty`)."""
    return 0.0 if weight == 0.0 else weight * log_value


def _log_probabilities(d: float, *, logit: bool, x: float) -> tuple[float, float]:
    r""":math:`(\log D, \log(1 - D))` from a probability :math:`D` or from a logit :math:`\ell`
    (then :math:`\log D = -\mathrm{softplus}(-\ell)`, :math:`\log(1 - D) = -\mathrm{softplus}(\ell)`,
    accurate even where :math:`D` rounds to 0 or 1)."""
    if logit:
        if math.isnan(d):
            validate.fail("discriminator", "a logit (not NaN)", d, f" at x = {x!r}")
        return -float(np.logaddexp(0.0, -d)), -float(np.logaddexp(0.0, d))
    if not 0.0 <= d <= 1.0:  # also catches NaN
        validate.fail("discriminator", "a probability in [0, 1]", d, f" at x = {x!r}")
    log_d = math.log(d) if d > 0 else -math.inf
    return log_d, (math.log1p(-d) if d < 1 else -math.inf)


def _value_integrand(a: float, b: float, d: float, *, logit: bool, x: float) -> float:
    r"""The integrand of :math:`V(D, G)` at one point: :math:`a \log D + b \log(1 - D)` with
    :math:`a = p_{\mathrm{data}}(x)`, :math:`b = p_g(x)`; ``d`` is :math:`D(x)` or its logit.

    A probability of exactly 0 where :math:`a > 0` (or 1 where :math:`b > 0`) makes the term
    :math:`-\infty`; it is refused, because it is either a discriminator that really is 0 or 1 there
    (then :math:`V = -\infty`) or a probability that ROUNDED to 0 or 1 in the tails (then V is finite),
    and the two cannot be told apart from the number."""
    log_d, log_one_minus_d = _log_probabilities(d, logit=logit, x=x)
    for weight, log_value, density, rounded in ((a, log_d, "p_data", 0.0), (b, log_one_minus_d, "p_model", 1.0)):
        if weight > 0 and log_value == -math.inf:
            if logit:
                validate.fail("discriminator", "a finite logit where the densities are positive (V would be -inf)",
                              d, f" at x = {x!r}, where `{density}` = {weight:.3g}")
            validate.fail("discriminator", f"a probability strictly inside (0, 1) where `{density}` > 0 (D = "
                          f"{rounded:g} makes V = -inf, or is a probability that rounded to {rounded:g}: pass "
                          f"the logit with logit=True, e.g. optimal_discriminator_logit)", d,
                          f" at x = {x!r}, where `{density}` = {weight:.3g}")
    return _weighted(a, log_d) + _weighted(b, log_one_minus_d)


def value_function(discriminator: Callable[[float], float], p_data: Density, p_model: Density, *,
                   logit: bool = False, lower: float = -np.inf, upper: float = np.inf,
                   points: Sequence[float] | ArrayLike | None = None, loc: ArrayLike | None = None,
                   scale: ArrayLike | None = None) -> float:
    r"""The GAN value function (Goodfellow et al. 2014, Eq. 1) by quadrature, in nats:

    .. math:: V(D, G) = \int \Big[ p_{\mathrm{data}}(x) \log D(x) + p_g(x) \log\big(1 - D(x)\big)
              \Big]\, dx ,

    the second term being :math:`\mathbb E_{z \sim p_z}[\log(1 - D(G(z)))]` rewritten as an
    expectation under :math:`p_g` (law of the unconscious statistician).

    ``discriminator``: ``x -> D(x)`` with values in [0, 1], or, with ``logit=True``,
    ``x -> \ell(x)`` with :math:`D = \sigma(\ell)` (stable in the tails, where a probability rounds to
    0 or 1). ``p_data``, ``p_model``: densities on ``[lower, upper]`` (infinite limits allowed when both
    are methods of ``scipy.stats`` distributions or of :class:`GaussianMixture1D`, or ``loc``/``scale``
    locate their mass); ``points``: break points (e.g. mixture modes). Where both densities vanish the
    integrand is 0 and ``discriminator`` is not called there; a term of zero density contributes 0.

    Returns :math:`V \le 0` (every term is <= 0). Raises ``ValueError`` where :math:`D` is 0 (or its
    logit :math:`-\infty`) while :math:`p_{\mathrm{data}} > 0`, or 1 (:math:`+\infty`) while
    :math:`p_g > 0`: the value would be :math:`-\infty`, or the probability has rounded -- pass logits.
    """
    def integrand(x: float) -> float:
        a = _density_at(p_data, x, "p_data")
        b = _density_at(p_model, x, "p_model")
        if a == 0.0 and b == 0.0:
            return 0.0
        return _value_integrand(a, b, float(discriminator(x)), logit=logit, x=x)

    result = _integrate(integrand, lower, upper, points, loc, scale, "V(D, G)",
                        {"p_data": p_data, "p_model": p_model})
    return min(result.value, 0.0)  # every term is <= 0; quad's positive Kronrod weights keep the sum <= 0


def optimal_value(p_data: Density, p_model: Density, *, lower: float = -np.inf,
                  upper: float = np.inf, points: Sequence[float] | ArrayLike | None = None,
                  loc: ArrayLike | None = None, scale: ArrayLike | None = None) -> float:
    r""":math:`C(G) = \max_D V(D, G) = V(D^*_G, G)` by quadrature, in nats (Goodfellow et al. 2014,
    Thm. 1 proof): :func:`value_function` evaluated at :func:`optimal_discriminator`, through its logit
    :math:`\log p_{\mathrm{data}} - \log p_g` (exact in the tails).

    Equals :math:`-\log 4 + 2\,\mathrm{JSD}(p_{\mathrm{data}} \,\|\, p_g)`, so it lies in
    :math:`[-\log 4, 0]`: a result outside by no more than twice the error estimate is clipped to the
    range; one further outside raises ``ValueError`` (the densities do not integrate to 1).
    Arguments as in :func:`value_function`.
    """
    def integrand(x: float) -> float:
        a = _density_at(p_data, x, "p_data")
        b = _density_at(p_model, x, "p_model")
        if a == 0.0 and b == 0.0:
            return 0.0
        return _value_integrand(a, b, _log_ratio(a, b), logit=True, x=x)

    result = _integrate(integrand, lower, upper, points, loc, scale, "C(G) = V(D*, G)",
                        {"p_data": p_data, "p_model": p_model})
    return _in_range(result, -LOG4, 0.0, "C(G) = V(D*, G)", "`p_data` and `p_model`")


def jensen_shannon_quad(p: Density, q: Density, *, lower: float = -np.inf, upper: float = np.inf,
                        points: Sequence[float] | ArrayLike | None = None,
                        base: float | None = None, loc: ArrayLike | None = None,
                        scale: ArrayLike | None = None) -> float:
    r"""Jensen-Shannon divergence of two densities on the real line by quadrature (Lin 1991, Eq. 4.1):

    .. math:: \mathrm{JSD}(p \,\|\, q) = \tfrac12 \int p \log\frac{p}{m}\, dx
              + \tfrac12 \int q \log\frac{q}{m}\, dx, \qquad m = \tfrac12 (p + q),

    the continuous counterpart of :func:`genmath.info.jensen_shannon`, with the same integrand
    :math:`j(p(x), q(x)) \in [0, \tfrac12 (p(x) + q(x)) \log 2]` (no cancellation, no overflow), so the
    integral lies in :math:`[0, \log 2]` nats = [0, 1] bit: a result outside by no more than twice the
    error estimate is clipped, one further outside raises ``ValueError`` (the densities do not integrate
    to 1). The divergence itself, not its square root. Nats for ``base=None``, bits for ``base=2``.
    Infinite limits need the mass located: ``p`` and ``q`` methods of ``scipy.stats`` distributions or
    of :class:`GaussianMixture1D`, or ``loc``/``scale``.
    """
    divisor = validate.log_base(base)

    def integrand(x: float) -> float:
        a = _density_at(p, x, "p")
        b = _density_at(q, x, "q")
        return float(_js_terms(a, b))

    result = _integrate(integrand, lower, upper, points, loc, scale, "JSD(p || q)", {"p": p, "q": q})
    return _in_range(result, 0.0, math.log(2.0), "JSD(p || q)", "`p` and `q`") / divisor


def wasserstein_1_quad(cdf_p: Callable[[float], float], cdf_q: Callable[[float], float], *,
                       lower: float = -np.inf, upper: float = np.inf,
                       points: Sequence[float] | ArrayLike | None = None, loc: ArrayLike | None = None,
                       scale: ArrayLike | None = None) -> float:
    r"""Wasserstein-1 (earth mover's) distance on the real line from the two CDFs, by quadrature:

    .. math:: W_1(P, Q) = \int_{-\infty}^{\infty} \big| F_P(x) - F_Q(x) \big|\, dx

    (Vallender 1974; the identity ``scipy.stats.wasserstein_distance`` uses for samples). In the
    units of ``x`` (a distance, not an information quantity), >= 0. ``cdf_p``, ``cdf_q``: scalar
    callables with values in [0, 1]; infinite limits need their mass located (methods of ``scipy.stats``
    distributions or of :class:`GaussianMixture1D`, or ``loc``/``scale``). An infinite :math:`W_1`
    (e.g. a Cauchy distribution) raises :class:`genmath.numerics.QuadratureError`.
    """
    def integrand(x: float) -> float:
        f_p, f_q = float(cdf_p(x)), float(cdf_q(x))
        for value, name in ((f_p, "cdf_p"), (f_q, "cdf_q")):
            if not 0.0 <= value <= 1.0:
                validate.fail(name, "a CDF with values in [0, 1]", value, f" at x = {x!r}")
        return abs(f_p - f_q)

    return _integrate(integrand, lower, upper, points, loc, scale, "W1",
                      {"cdf_p": cdf_p, "cdf_q": cdf_q}).value


#: |F_Q - F_P| at or below this is taken as 0 (CDF values near 1 are only resolved to ~1e-16).
CDF_TIE = 64 * np.finfo(float).eps


def _sign_changes(diff: Callable[[float], float], grid: NDArray[np.float64]
                  ) -> tuple[list[float], NDArray[np.float64], NDArray[np.float64]]:
    """The crossings of ``diff`` on ``grid``: between consecutive grid points where |diff| exceeds
    :data:`CDF_TIE` with opposite signs, a root by ``scipy.optimize.brentq`` (to 1e-14). Every
    crossing is found if no two lie between the same such points. Also returns those grid points
    and the signs of ``diff`` there."""
    import scipy.optimize

    values = np.array([diff(float(t)) for t in grid])
    keep = np.abs(values) > CDF_TIE
    points, signs = grid[keep], np.sign(values[keep])
    roots = []
    for i in np.flatnonzero(signs[:-1] != signs[1:]):
        roots.append(float(scipy.optimize.brentq(diff, points[i], points[i + 1], xtol=1e-14, rtol=1e-15)))
    return roots, points, signs


@dataclass(frozen=True)
class Critic1D:
    r"""A piecewise-linear critic on [``lower``, ``upper``] (:func:`wasserstein_critic_1d`): slope
    ``slopes[k]`` between ``edges[k]`` and ``edges[k + 1]``, value ``values[k]`` at ``edges[k]``.
    Call it on any array of points inside the interval."""

    edges: NDArray[np.float64]
    slopes: NDArray[np.float64]
    values: NDArray[np.float64]

    @property
    def kinks(self) -> NDArray[np.float64]:
        """The inner edges where the slope changes sign (the crossings of the two CDFs)."""
        change = np.flatnonzero(self.slopes[1:] != self.slopes[:-1])
        return self.edges[change + 1]

    def __call__(self, x: ArrayLike) -> NDArray[np.float64] | np.float64:
        x_arr = validate.array(x, "x")
        lo, hi = float(self.edges[0]), float(self.edges[-1])
        outside = (x_arr < lo) | (x_arr > hi)
        if outside.any():
            validate.fail("x", f"inside the critic's interval [{lo:g}, {hi:g}]",
                          x_arr[outside].flat[0] if x_arr.ndim else x_arr)
        k = np.clip(np.searchsorted(self.edges, x_arr, side="right") - 1, 0, self.slopes.size - 1)
        return _out(self.values[k] + self.slopes[k] * (x_arr - self.edges[k]))


def wasserstein_critic_1d(cdf_p: Callable[[float], float], cdf_q: Callable[[float], float], *,
                          lower: float, upper: float, origin: float | None = None,
                          n_grid: int = 4001) -> Critic1D:
    r"""The optimal critic (Kantorovich potential) of :math:`W_1(P, Q)` on the real line,

    .. math:: f^*(x) = \int_{x_0}^{x} \operatorname{sign}\big(F_Q(t) - F_P(t)\big)\, dt ,

    on [``lower``, ``upper``], with :math:`f^*(x_0) = 0` at ``origin`` (default ``lower``). It is
    1-Lipschitz with slope +1 where :math:`F_Q > F_P` and -1 where :math:`F_P > F_Q`, and
    :math:`\mathbb E_P[f^*] - \mathbb E_Q[f^*] = \int |F_P - F_Q|\, dx = W_1(P, Q)`: integrating by
    parts, :math:`\mathbb E_P[f] - \mathbb E_Q[f] = \int f'(F_Q - F_P)\, dx` for every Lipschitz f
    (Kantorovich-Rubinstein duality on the line; Villani 2009, Thm. 5.10).

    The crossings of the two CDFs are located on a grid of ``n_grid`` points on [``lower``,
    ``upper``] and refined with brentq, so two crossings closer than the grid spacing can be missed;
    between crossings the integrand is constant and the integral is exact. ``cdf_p``, ``cdf_q``:
    scalar CDFs (steps allowed: a jump is located like a crossing). Returns a :class:`Critic1D`.
    """
    lo, hi = float(lower), float(upper)
    if not lo < hi:
        validate.fail("upper", f"> lower = {lo!r}", hi)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        validate.fail("lower" if not math.isfinite(lo) else "upper", "finite", lo if not math.isfinite(lo) else hi)
    n_grid = validate.integer(n_grid, "n_grid", lo=2)
    x0 = lo if origin is None else float(validate.in_interval(origin, "origin", lo, hi, closed=True))

    def diff(t: float) -> float:
        f_p, f_q = float(cdf_p(t)), float(cdf_q(t))
        for value, name in ((f_p, "cdf_p"), (f_q, "cdf_q")):
            if not 0.0 <= value <= 1.0:
                validate.fail(name, "a CDF with values in [0, 1]", value, f" at x = {t!r}")
        return f_q - f_p

    roots, points, signs = _sign_changes(diff, np.linspace(lo, hi, n_grid))
    edges = np.unique(np.array([lo, *roots, hi]))
    # the slope on each piece between consecutive crossings is the sign of F_Q - F_P on the grid
    # points inside it (one sign by construction); where the two CDFs agree to CDF_TIE any slope in
    # [-1, 1] is optimal, and a piece with no such grid point takes its left neighbour's slope
    piece = np.clip(np.searchsorted(edges, points, side="right") - 1, 0, edges.size - 2)
    slopes = np.zeros(edges.size - 1)
    slopes[piece] = signs
    signed = np.flatnonzero(slopes)
    if signed.size == 0:  # F_P = F_Q everywhere: P = Q and every constant slope is optimal
        slopes[:] = 1.0
    else:
        left = np.maximum.accumulate(np.where(slopes != 0.0, np.arange(slopes.size), -1))
        slopes = slopes[np.where(left >= 0, left, signed[0])]
    values = np.concatenate([[0.0], np.cumsum(slopes * np.diff(edges))[:-1]])  # f* - f*(lower) at the edges
    critic = Critic1D(edges=edges, slopes=slopes, values=values)
    return Critic1D(edges=edges, slopes=slopes, values=values - float(critic(x0)))


@dataclass(frozen=True)
class TransportPlan:
    """An optimal transport plan between two discrete laws (:func:`optimal_transport`)."""

    cost: float  #: :math:`\\sum_{ij} \\gamma_{ij} c_{ij}`, the minimum
    plan: NDArray[np.float64]  #: :math:`\\gamma`, shape (len(a), len(b)); rows sum to a, columns to b


def optimal_transport(a: ArrayLike, b: ArrayLike, cost: ArrayLike) -> TransportPlan:
    r"""The Kantorovich problem between discrete laws, as a linear program (HiGHS via
    ``scipy.optimize.linprog``):

    .. math:: \min_{\gamma \ge 0} \sum_{i,j} \gamma_{ij} c_{ij} \quad\text{subject to}\quad
              \sum_j \gamma_{ij} = a_i, \quad \sum_i \gamma_{ij} = b_j .

    With :math:`c_{ij} = \lVert x_i - y_j \rVert` its minimum is :math:`W_1` of
    :math:`\sum_i a_i \delta_{x_i}` and :math:`\sum_j b_j \delta_{y_j}` (the coupling definition;
    Villani 2009, Def. 6.1). ``a`` (n,), ``b`` (m,): probability vectors; ``cost`` (n, m): finite.
    """
    import scipy.optimize

    p = validate.probabilities(a, "a")
    q = validate.probabilities(b, "b")
    c = validate.array(cost, "cost")
    if p.ndim != 1 or q.ndim != 1:
        validate.fail("a" if p.ndim != 1 else "b", "a 1-D probability vector", (p if p.ndim != 1 else q).shape)
    if c.shape != (p.size, q.size):
        validate.fail("cost", f"of shape (len(a), len(b)) = {(p.size, q.size)}", c.shape)
    n, m = c.shape
    rows = np.kron(np.eye(n), np.ones((1, m)))  # (n, n m): sum_j gamma_ij
    cols = np.kron(np.ones((1, n)), np.eye(m))  # (m, n m): sum_i gamma_ij
    res = scipy.optimize.linprog(c.ravel(), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([p, q]),
                                 bounds=(0, None), method="highs")
    if res.status != 0:
        raise RuntimeError(f"the transport linear program failed: {res.message}")
    plan = np.clip(res.x.reshape(n, m), 0.0, None)  # HiGHS may return -1e-17 for a zero entry
    return TransportPlan(cost=float(res.fun), plan=plan)


@dataclass(frozen=True)
class CriticSolution:
    """The dual of :math:`W_1` between discrete laws (:func:`wasserstein_1_dual`)."""

    value: float  #: :math:`\\sum_i a_i f(x_i) - \\sum_j b_j f(y_j)`, the maximum
    f_p: NDArray[np.float64]  #: the critic at the atoms of P
    f_q: NDArray[np.float64]  #: the critic at the atoms of Q


def wasserstein_1_dual(x_p: ArrayLike, a: ArrayLike, x_q: ArrayLike, b: ArrayLike) -> CriticSolution:
    r"""The Kantorovich-Rubinstein dual of :math:`W_1` between discrete laws, as a linear program:

    .. math:: \max_f \sum_i a_i f(x_i) - \sum_j b_j f(y_j) \quad\text{subject to}\quad
              f(s) - f(t) \le \lVert s - t \rVert \text{ for all atoms } s, t ,

    a critic that is 1-Lipschitz on the atoms (and extends to a 1-Lipschitz function on the whole
    space, McShane 1934). Its maximum equals :func:`optimal_transport` with Euclidean costs
    (linear programming duality; Villani 2009, Thm. 5.10, Remark 6.5). ``x_p`` (n, d) or (n,),
    ``x_q`` (m, d) or (m,): atoms; ``a``, ``b``: their probabilities. The critic is fixed up to a
    constant; the solution has :math:`f(x_1) = 0`.
    """
    import scipy.optimize

    p = validate.probabilities(a, "a")
    q = validate.probabilities(b, "b")
    xp = np.atleast_1d(validate.array(x_p, "x_p"))
    xq = np.atleast_1d(validate.array(x_q, "x_q"))
    xp = xp.reshape(xp.shape[0], -1)  # (n, d)
    xq = xq.reshape(xq.shape[0], -1)  # (m, d)
    if xp.shape[0] != p.size or xq.shape[0] != q.size or xp.shape[1] != xq.shape[1]:
        raise ValueError(f"`x_p` {xp.shape} and `x_q` {xq.shape} must have one row per entry of `a` "
                         f"({p.size}) and `b` ({q.size}), in the same dimension")
    atoms = np.vstack([xp, xq])  # (n + m, d): one critic value per atom
    k = atoms.shape[0]
    dist = np.linalg.norm(atoms[:, None, :] - atoms[None, :, :], axis=-1)  # (k, k)
    s, t = np.nonzero(~np.eye(k, dtype=bool))  # every ordered pair of distinct atoms
    lipschitz = np.zeros((s.size, k))
    lipschitz[np.arange(s.size), s] = 1.0
    lipschitz[np.arange(s.size), t] = -1.0  # f(s) - f(t) <= |s - t|
    weights = np.concatenate([p, -q])
    bounds = [(0.0, 0.0)] + [(None, None)] * (k - 1)  # f(x_1) = 0 fixes the constant
    res = scipy.optimize.linprog(-weights, A_ub=lipschitz, b_ub=dist[s, t], bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"the dual linear program failed: {res.message}")
    f = res.x
    return CriticSolution(value=float(weights @ f), f_p=f[:p.size], f_q=f[p.size:])


# --------------------------------------------------------------------------------------------
# f-divergences and the f-GAN bound (Nowozin, Cseke & Tomioka 2016)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FganMember:
    r"""A member of the f-divergence family :math:`D_f(P \,\|\, Q) = \int q\, f(p/q)\, dx`: the convex
    generator ``f`` (with :math:`f(1) = 0` for a divergence; the GAN member has :math:`f(1) = -\log 4`,
    so that :math:`D_f = 2\,\mathrm{JSD} - \log 4 \ge -\log 4`), its derivative, its convex conjugate
    :math:`f^*(t) = \sup_u \{ut - f(u)\}` on the open interval ``conjugate_domain``, and
    ``slope_at_infinity`` :math:`= \lim_{u\to\infty} f(u)/u`, the value of :math:`q f(p/q)` per unit
    of p where q = 0 (Nowozin et al. 2016, Table 2; conjugates derived in their Sec. 2.2).

    Scalar functions for quadrature, with the conjugate's domain that the f-GAN bound needs; the
    vectorised family of the KL chapter (KL, reverse KL, JSD, TV, chi^2) is :class:`genmath.info.FDivergence`."""

    name: str
    f: Callable[[float], float]
    f_prime: Callable[[float], float]
    conjugate: Callable[[float], float]
    conjugate_domain: tuple[float, float]
    slope_at_infinity: float


def _gan_f(u: float) -> float:
    return float(scipy.special.xlogy(u, u) - scipy.special.xlogy(u + 1.0, u + 1.0))


#: Four members (Nowozin et al. 2016, Tables 1 and 2): KL, reverse KL, Pearson chi^2 and the GAN
#: divergence :math:`\int p \log\frac{2p}{p+q} + q \log\frac{2q}{p+q} - \log 4 = 2\,\mathrm{JSD} - \log 4`.
FGAN_MEMBERS: dict[str, FganMember] = {
    "kl": FganMember("KL", lambda u: float(scipy.special.xlogy(u, u)), lambda u: math.log(u) + 1.0,
                      lambda t: math.exp(t - 1.0), (-math.inf, math.inf), math.inf),
    "reverse_kl": FganMember("reverse KL", lambda u: -math.log(u), lambda u: -1.0 / u,
                              lambda t: -1.0 - math.log(-t), (-math.inf, 0.0), 0.0),
    "pearson": FganMember("Pearson chi^2", lambda u: (u - 1.0) ** 2, lambda u: 2.0 * (u - 1.0),
                           lambda t: t * t / 4.0 + t, (-math.inf, math.inf), math.inf),
    "gan": FganMember("GAN", _gan_f, lambda u: math.log(u) - math.log1p(u),
                       lambda t: -math.log(-math.expm1(t)), (-math.inf, 0.0), 0.0),
}


def _f_divergence(divergence: str | FganMember) -> FganMember:
    if isinstance(divergence, FganMember):
        return divergence
    if divergence not in FGAN_MEMBERS:
        validate.fail("divergence", f"one of {sorted(FGAN_MEMBERS)} or an FganMember", divergence)
    return FGAN_MEMBERS[divergence]


def f_divergence_quad(p: Density, q: Density, divergence: str | FganMember, *, lower: float = -np.inf,
                      upper: float = np.inf, points: Sequence[float] | ArrayLike | None = None) -> float:
    r"""The f-divergence of two densities on the real line by quadrature (Csiszar 1967; Ali & Silvey
    1966), in nats:

    .. math:: D_f(P \,\|\, Q) = \int q(x)\, f\!\left(\frac{p(x)}{q(x)}\right) dx ,

    with the conventions :math:`0 f(0/0) = 0` and :math:`q f(p/q) = p \lim_{u\to\infty} f(u)/u` where
    q = 0 < p (``+inf`` for KL and Pearson :math:`\chi^2`). ``divergence``: a key of
    :data:`FGAN_MEMBERS` or an :class:`FganMember`. Arguments as in :func:`jensen_shannon_quad`.
    """
    member = _f_divergence(divergence)

    def integrand(x: float) -> float:
        a = _density_at(p, x, "p")
        b = _density_at(q, x, "q")
        if b == 0.0:
            return _weighted(a, member.slope_at_infinity)
        return b * member.f(a / b)

    return _integrate(integrand, lower, upper, points, None, None, f"D_f ({member.name})", {"p": p, "q": q}).value


def fgan_bound_quad(p: Density, q: Density, critic: Callable[[float], float],
                    divergence: str | FganMember, *, lower: float = -np.inf, upper: float = np.inf,
                    points: Sequence[float] | ArrayLike | None = None) -> float:
    r"""The variational lower bound of an f-divergence (Nguyen, Wainwright & Jordan 2010; Nowozin et al.
    2016, Eq. 4) for one critic T, by quadrature, in nats:

    .. math:: \mathbb E_{x \sim p}[T(x)] - \mathbb E_{x \sim q}[f^*(T(x))] \;\le\; D_f(P \,\|\, Q) ,

    with equality at :math:`T = f'(p/q)`. ``critic`` must take values inside the conjugate's domain
    (``FganMember.conjugate_domain``; e.g. T < 0 for the GAN member, where :math:`T = \log D` turns
    the bound into the GAN value :math:`V(D, G)`). Arguments as in :func:`f_divergence_quad`.
    """
    member = _f_divergence(divergence)
    lo_t, hi_t = member.conjugate_domain

    def integrand(x: float) -> float:
        a = _density_at(p, x, "p")
        b = _density_at(q, x, "q")
        if a == 0.0 and b == 0.0:
            return 0.0
        t = float(critic(x))
        if not lo_t < t < hi_t:
            validate.fail("critic", f"inside the domain ({lo_t:g}, {hi_t:g}) of the conjugate of "
                          f"{member.name}", t, f" at x = {x!r}")
        return _weighted(a, t) - _weighted(b, member.conjugate(t))

    return _integrate(integrand, lower, upper, points, None, None, f"f-GAN bound ({member.name})",
                      {"p": p, "q": q}).value


def jensen_shannon_from_value(value: ArrayLike, *, base: float | None = None
                              ) -> NDArray[np.float64] | np.float64:
    r"""The Jensen-Shannon estimate implied by a value of the game (nats, or bits for ``base=2``):

    .. math:: \widehat{\mathrm{JSD}}_D = \frac{V(D, G) + \log 4}{2}
              \;\le\; \frac{C(G) + \log 4}{2} = \mathrm{JSD}(p_{\mathrm{data}} \,\|\, p_g),

    inverting Goodfellow et al. (2014), Thm. 1. A lower bound for every discriminator (equality at
    :math:`D^*_G`), so it may be negative (then vacuous) when :math:`V < -\log 4`.
    ``value``: :math:`V(D, G)` in nats, finite and <= 0 (``-inf`` is refused: no bound). If the
    discriminator's loss is the summed binary cross-entropy :math:`L_D = -V`, pass ``-L_D``.
    """
    divisor = validate.log_base(base)
    v = validate.in_interval(value, "value", -np.inf, 0.0, closed=True)  # V is a sum of log-probabilities
    jsd = (v + LOG4) / 2.0 / divisor
    return jsd[()] if jsd.ndim == 0 else jsd


# --------------------------------------------------------------------------------------------
# Generator losses and their gradients
# --------------------------------------------------------------------------------------------
# The generator sees the discriminator through d = D(G(z)) = sigmoid(l), l the logit. Both losses
# are minimised by the generator; d(sigmoid)/dl = d (1 - d) links the two gradients.

def _d(d: ArrayLike) -> NDArray[np.float64]:
    return validate.in_interval(d, "d", 0.0, 1.0)


def _out(x: NDArray[np.float64]) -> NDArray[np.float64] | np.float64:
    return x[()] if x.ndim == 0 else x


def saturating_generator_loss(d: ArrayLike) -> NDArray[np.float64] | np.float64:
    r"""The minimax ("saturating") generator loss, the generator's term of Eq. 1 of Goodfellow et
    al. (2014): :math:`\mathcal L_{\mathrm{sat}} = \log(1 - D(G(z)))`, minimised by G. Nats.

    ``d`` = :math:`D(G(z))` in the open interval (0, 1), any shape (elementwise).
    """
    return _out(np.log1p(-_d(d)))


def non_saturating_generator_loss(d: ArrayLike) -> NDArray[np.float64] | np.float64:
    r"""The non-saturating generator loss (Goodfellow et al. 2014, Sec. 3, end):
    :math:`\mathcal L_{\mathrm{ns}} = -\log D(G(z))`, minimised by G. Nats.

    Same fixed point as :func:`saturating_generator_loss` but strong gradients when D rejects the
    samples (:math:`D(G(z)) \to 0`). ``d`` in (0, 1), elementwise.
    """
    return _out(-np.log(_d(d)))


def saturating_grad_d(d: ArrayLike) -> NDArray[np.float64] | np.float64:
    r""":math:`\partial \mathcal L_{\mathrm{sat}} / \partial D = -1 / (1 - D)`, elementwise, ``d`` in (0, 1)."""
    return _out(-1.0 / (1.0 - _d(d)))


def saturating_grad_logit(d: ArrayLike) -> NDArray[np.float64] | np.float64:
    r""":math:`\partial \mathcal L_{\mathrm{sat}} / \partial \ell
    = \partial \mathcal L_{\mathrm{sat}} / \partial D \cdot D(1 - D) = -D`, with
    :math:`D = \sigma(\ell)`: vanishes as :math:`D \to 0` (the saturation). ``d`` in (0, 1)."""
    d_arr = _d(d)
    return _out(np.asarray(saturating_grad_d(d_arr)) * d_arr * (1.0 - d_arr))


def non_saturating_grad_d(d: ArrayLike) -> NDArray[np.float64] | np.float64:
    r""":math:`\partial \mathcal L_{\mathrm{ns}} / \partial D = -1 / D`, elementwise, ``d`` in (0, 1)."""
    return _out(-1.0 / _d(d))


def non_saturating_grad_logit(d: ArrayLike) -> NDArray[np.float64] | np.float64:
    r""":math:`\partial \mathcal L_{\mathrm{ns}} / \partial \ell
    = \partial \mathcal L_{\mathrm{ns}} / \partial D \cdot D(1 - D) = -(1 - D)`: tends to -1 as
    :math:`D \to 0`, so the generator keeps learning when D rejects its samples. ``d`` in (0, 1)."""
    d_arr = _d(d)
    return _out(np.asarray(non_saturating_grad_d(d_arr)) * d_arr * (1.0 - d_arr))


# --------------------------------------------------------------------------------------------
# A 1-D Gaussian mixture (the data of the toy GAN)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GaussianMixture1D:
    r""":math:`p(x) = \sum_k \pi_k \,\mathcal N(x; \mu_k, \sigma_k^2)` on the real line.

    Build it with :func:`gaussian_mixture_1d` (validated). ``pdf`` and ``cdf`` use
    ``scipy.stats.norm``; ``sample`` uses torch with an explicit ``torch.Generator``.
    """

    weights: tuple[float, ...]
    means: tuple[float, ...]
    stds: tuple[float, ...]

    def pdf(self, x: ArrayLike) -> NDArray[np.float64] | np.float64:
        """Density at ``x`` (any shape)."""
        x_arr = validate.array(x, "x", allow_inf=True)
        comps = scipy.stats.norm.pdf(x_arr[..., None], np.array(self.means), np.array(self.stds))
        return _out(comps @ np.array(self.weights))

    def cdf(self, x: ArrayLike) -> NDArray[np.float64] | np.float64:
        """Cumulative distribution function at ``x`` (any shape)."""
        x_arr = validate.array(x, "x", allow_inf=True)
        comps = scipy.stats.norm.cdf(x_arr[..., None], np.array(self.means), np.array(self.stds))
        return _out(np.clip(comps @ np.array(self.weights), 0.0, 1.0))

    def ppf(self, u: ArrayLike) -> NDArray[np.float64] | np.float64:
        r"""The quantile function :math:`F^{-1}(u)` at ``u`` in (0, 1) (any shape).

        The CDF is continuous and strictly increasing, so :math:`F^{-1}(u)` is the one root of
        :math:`F(x) = u`: safeguarded Newton steps (:math:`x \leftarrow x - (F(x) - u)/p(x)`, replaced by
        bisection whenever a step leaves the current bracket
        :math:`[\min_k \mu_k - 40\sigma_k, \max_k \mu_k + 40\sigma_k]`), started at the quantile of
        the normal law with the mixture's mean and variance, until the bracket or the step
        is within 4 machine epsilons of x (relative; absolute below 1).
        """
        u_arr = validate.in_interval(u, "u", 0.0, 1.0)
        w, mu, sigma = np.array(self.weights), np.array(self.means), np.array(self.stds)

        def cdf_pdf(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
            z = (x[..., None] - mu) / sigma  # (..., components)
            return scipy.special.ndtr(z) @ w, (np.exp(-0.5 * z * z) / (sigma * math.sqrt(2 * math.pi))) @ w

        lo = np.full(u_arr.size, float(np.min(mu - 40 * sigma)))
        hi = np.full(u_arr.size, float(np.max(mu + 40 * sigma)))
        # start at the quantile of the normal with the mixture's mean and variance
        mean = float(w @ mu)
        sd = math.sqrt(float(w @ (sigma ** 2 + mu ** 2)) - mean ** 2)
        target = u_arr.ravel()
        x = np.clip(mean + sd * scipy.special.ndtri(target), lo, hi)
        tol = 4 * np.finfo(float).eps
        active = np.arange(target.size)  # the points still iterating
        for _ in range(200):
            f, density = cdf_pdf(x[active])
            below = f < target[active]
            lo[active] = np.where(below, x[active], lo[active])
            hi[active] = np.where(below, hi[active], x[active])
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                newton = x[active] - (f - target[active]) / density
            inside = (newton > lo[active]) & (newton < hi[active]) & np.isfinite(newton)
            x_new = np.where(inside, newton, 0.5 * (lo[active] + hi[active]))
            scale = np.maximum(1.0, np.abs(x_new))
            done = (np.abs(x_new - x[active]) <= tol * scale) | (hi[active] - lo[active] <= tol * scale)
            x[active] = x_new
            active = active[~done]
            if active.size == 0:
                break
        x = x.reshape(u_arr.shape)
        return _out(x)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        r""":math:`\log p(x)` of a torch tensor ``x`` (any shape), differentiable in x:
        ``torch.logsumexp`` over the components of :math:`\log \pi_k + \log \mathcal N(x; \mu_k, \sigma_k^2)`."""
        import torch

        x = torch.as_tensor(x)
        w = torch.tensor(self.weights, dtype=x.dtype)
        mu = torch.tensor(self.means, dtype=x.dtype)
        sigma = torch.tensor(self.stds, dtype=x.dtype)
        z = (x[..., None] - mu) / sigma  # (..., components)
        log_components = -0.5 * z * z - torch.log(sigma) - 0.5 * math.log(2 * math.pi)
        return torch.logsumexp(torch.log(w) + log_components, dim=-1)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` samples as a float32 tensor of shape (n, 1): pick a component, then add noise."""
        import torch

        n = validate.integer(n, "n", lo=1)
        k = torch.multinomial(torch.tensor(self.weights, dtype=torch.float64), n,
                              replacement=True, generator=generator)
        eps = torch.randn(n, generator=generator, dtype=torch.float64)
        x = torch.tensor(self.means, dtype=torch.float64)[k] + torch.tensor(self.stds, dtype=torch.float64)[k] * eps
        return x.to(torch.float32)[:, None]


def gaussian_mixture_1d(weights: ArrayLike, means: ArrayLike, stds: ArrayLike) -> GaussianMixture1D:
    """A validated :class:`GaussianMixture1D`: ``weights`` a probability vector, ``means`` finite,
    ``stds`` > 0, all of the same length."""
    w = validate.probabilities(weights, "weights")
    mu = validate.array(means, "means")
    sigma = validate.positive(stds, "stds")
    if w.ndim != 1:
        validate.fail("weights", "a 1-D probability vector", w.shape)
    validate.same_shape(w, mu, "weights", "means")
    validate.same_shape(w, sigma, "weights", "stds")
    return GaussianMixture1D(tuple(map(float, w)), tuple(map(float, mu)), tuple(map(float, sigma)))


def mode_coverage(samples: ArrayLike, means: ArrayLike, radius: float) -> NDArray[np.float64]:
    """Fraction of ``samples`` within ``radius`` of each mode in ``means`` (1-D).

    Returns an array of length ``len(means) + 1``: one fraction per mode, then the fraction near
    no mode ("off-mode" samples). A sample close to two modes counts for the nearest one.
    """
    x = validate.array(samples, "samples").ravel()
    mu = validate.array(means, "means").ravel()
    r = float(validate.positive(radius, "radius"))
    if x.size == 0:
        validate.fail("samples", "non-empty", x)
    if mu.size == 0:
        validate.fail("means", "non-empty", mu)
    distance = np.abs(x[:, None] - mu[None, :])
    nearest = np.argmin(distance, axis=1)
    near = distance[np.arange(x.size), nearest] <= r
    counts = np.bincount(nearest[near], minlength=mu.size).astype(float)
    return np.append(counts, x.size - near.sum()) / x.size


# --------------------------------------------------------------------------------------------
# A small torch GAN on a 1-D Gaussian mixture
# --------------------------------------------------------------------------------------------

@dataclass
class GANRun:
    """Everything :func:`train_gan` returns.

    ``snapshot_steps[i]`` generator updates had been made when ``snapshots[i]`` (generator
    samples, from the same fixed latent codes each time) and ``snapshot_values[i]`` (a Monte
    Carlo estimate of V(D, G) in nats on fresh samples, with the discriminator of that moment)
    were taken. ``d_loss[t]`` is the discriminator's training loss at step ``t``, the summed
    binary cross-entropy :math:`-\\hat V(D, G)` on that minibatch (nats); ``g_loss[t]`` the
    generator's loss (nats).
    """

    generator: Any
    discriminator: Any
    target: GaussianMixture1D
    snapshot_steps: NDArray[np.int64]
    snapshots: NDArray[np.float64]
    snapshot_values: NDArray[np.float64]
    d_loss: NDArray[np.float64]
    g_loss: NDArray[np.float64]
    config: dict[str, Any] = field(default_factory=dict)
    #: D(x) at the points ``d_grid`` at every snapshot, shape (snapshots, grid points); None if no grid.
    snapshot_d: NDArray[np.float64] | None = None


def _mlp(n_in: int, hidden: int, n_out: int) -> torch.nn.Module:
    from torch import nn

    return nn.Sequential(nn.Linear(n_in, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, n_out))


def _generator_loss_torch(logit_fake: torch.Tensor, loss: str) -> torch.Tensor:
    r"""Minibatch mean of the generator loss, as a function of the logits :math:`\ell` of
    :math:`D(G(z)) = \sigma(\ell)`: :math:`\log(1 - \sigma(\ell)) = -\mathrm{softplus}(\ell)`
    (saturating) or :math:`-\log \sigma(\ell) = \mathrm{softplus}(-\ell)` (non-saturating)."""
    import torch.nn.functional as F

    if loss == "saturating":
        return -F.softplus(logit_fake).mean()
    return F.softplus(-logit_fake).mean()


def _value_torch(logit_real: torch.Tensor, logit_fake: torch.Tensor) -> torch.Tensor:
    r"""Minibatch estimate of V(D, G): mean :math:`\log \sigma(\ell_{\mathrm{real}})` + mean
    :math:`\log(1 - \sigma(\ell_{\mathrm{fake}}))`, via softplus for stability."""
    import torch.nn.functional as F

    return -F.softplus(-logit_real).mean() - F.softplus(logit_fake).mean()


def train_gan(target: GaussianMixture1D, *, steps: int = 1000, batch_size: int = 256,
              latent_dim: int = 2, hidden: int = 32, lr_d: float = 2e-3, lr_g: float = 5e-4,
              d_steps: int = 1,
              loss: str = "non_saturating", snapshot_every: int = 125, n_snapshot: int = 4000,
              n_value: int = 20000, d_grid: ArrayLike | None = None, seed: int = 0) -> GANRun:
    r"""Train a small GAN (Goodfellow et al. 2014, Algorithm 1) on a 1-D ``target`` mixture.

    G: :math:`\mathbb R^{\mathrm{latent\_dim}} \to \mathbb R`, D: :math:`\mathbb R \to` logit, both
    MLPs with two LeakyReLU(0.2) hidden layers of width ``hidden``; :math:`z \sim \mathcal N(0, I)`.
    Each step: ``d_steps`` Adam ascents of :math:`\hat V(D, G)` on a fresh minibatch (D minimises
    :math:`L_D = -\hat V`, the summed binary cross-entropy), then one Adam step on the generator
    ``loss`` (``"non_saturating"``: :math:`-\log D(G(z))`, or ``"saturating"``:
    :math:`\log(1 - D(G(z)))`). Adam with :math:`\beta = (0.5, 0.999)` (Radford et al. 2016), a
    larger learning rate for D than for G (``lr_d`` > ``lr_g``, as in the two time-scale rule of
    Heusel et al. 2017): D tracks its optimum more closely and G moves more smoothly.

    Deterministic: ``torch.manual_seed(seed)`` for the initial weights, one seeded
    ``torch.Generator`` for all sampling, and ``torch.set_num_threads(1)`` during training (the
    previous thread count is restored). Two calls with the same arguments return identical runs.
    Snapshots at steps 0, ``snapshot_every``, ..., ``steps``; with ``d_grid`` (1-D points), each
    snapshot also records :math:`D(x)` on it (``GANRun.snapshot_d``).
    """
    import torch

    steps = validate.integer(steps, "steps", lo=1)
    batch_size = validate.integer(batch_size, "batch_size", lo=2)
    latent_dim = validate.integer(latent_dim, "latent_dim", lo=1)
    hidden = validate.integer(hidden, "hidden", lo=1)
    d_steps = validate.integer(d_steps, "d_steps", lo=1)
    snapshot_every = validate.integer(snapshot_every, "snapshot_every", lo=1)
    n_snapshot = validate.integer(n_snapshot, "n_snapshot", lo=1)
    n_value = validate.integer(n_value, "n_value", lo=2)
    seed = validate.integer(seed, "seed", lo=0)
    lr_d = float(validate.positive(lr_d, "lr_d"))
    lr_g = float(validate.positive(lr_g, "lr_g"))
    if loss not in ("non_saturating", "saturating"):
        validate.fail("loss", "'non_saturating' or 'saturating'", loss)
    if not isinstance(target, GaussianMixture1D):
        validate.fail("target", "a GaussianMixture1D (see gaussian_mixture_1d)", type(target).__name__)
    grid = None if d_grid is None else torch.as_tensor(
        validate.array(d_grid, "d_grid").reshape(-1, 1), dtype=torch.float32)

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        G = _mlp(latent_dim, hidden, 1)
        D = _mlp(1, hidden, 1)
        rng = torch.Generator().manual_seed(seed)
        opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=(0.5, 0.999))
        # Snapshot latents and evaluation samples come from their own streams, so the training
        # trajectory does not depend on n_snapshot or n_value.
        z_fixed = torch.randn(n_snapshot, latent_dim, generator=torch.Generator().manual_seed(seed + 2))
        eval_rng = torch.Generator().manual_seed(seed + 1)

        snap_steps: list[int] = []
        snaps: list[NDArray[np.float64]] = []
        snap_values: list[float] = []
        snap_d: list[NDArray[np.float64]] = []

        def snapshot(step: int) -> None:
            with torch.no_grad():
                snaps.append(G(z_fixed)[:, 0].double().numpy())
                if grid is not None:
                    snap_d.append(torch.sigmoid(D(grid).double())[:, 0].numpy())
                x_real = target.sample(n_value, eval_rng)
                x_fake = G(torch.randn(n_value, latent_dim, generator=eval_rng))
                snap_values.append(float(_value_torch(D(x_real), D(x_fake))))
            snap_steps.append(step)

        d_losses = np.empty(steps)
        g_losses = np.empty(steps)
        snapshot(0)
        for t in range(steps):
            for _ in range(d_steps):
                x_real = target.sample(batch_size, rng)
                with torch.no_grad():
                    x_fake = G(torch.randn(batch_size, latent_dim, generator=rng))
                logits = D(torch.cat([x_real, x_fake]))  # one forward pass for both halves
                d_loss = -_value_torch(logits[:batch_size], logits[batch_size:])
                opt_d.zero_grad()
                d_loss.backward()
                opt_d.step()
            g_loss = _generator_loss_torch(D(G(torch.randn(batch_size, latent_dim, generator=rng))), loss)
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            d_losses[t] = d_loss.item()
            g_losses[t] = g_loss.item()
            if (t + 1) % snapshot_every == 0 or t + 1 == steps:
                snapshot(t + 1)
    finally:
        torch.set_num_threads(previous_threads)

    for arr, name in ((d_losses, "d_loss"), (g_losses, "g_loss")):
        if not np.all(np.isfinite(arr)):
            raise RuntimeError(f"training diverged: `{name}` is not finite at step "
                               f"{int(np.argmin(np.isfinite(arr)))}")
    return GANRun(generator=G, discriminator=D, target=target,
                  snapshot_steps=np.array(snap_steps, dtype=np.int64),
                  snapshots=np.stack(snaps), snapshot_values=np.array(snap_values),
                  d_loss=d_losses, g_loss=g_losses,
                  snapshot_d=np.stack(snap_d) if snap_d else None,
                  config={"steps": steps, "batch_size": batch_size, "latent_dim": latent_dim,
                          "hidden": hidden, "lr_d": lr_d, "lr_g": lr_g, "d_steps": d_steps,
                          "loss": loss, "seed": seed})


def cached_train_gan(target: GaussianMixture1D, *, cache_dir: str | os.PathLike[str] | None = None,
                     **kwargs: Any) -> GANRun:
    """:func:`train_gan` through the on-disk memo of :mod:`genmath.memo` (keyed on the target, the
    keyword arguments and this module's source), so that snippets in separate processes share one
    training run. Training is deterministic, so a hit returns the very networks, snapshots and losses
    of a fresh run."""
    kw = memo.keywords(train_gan, kwargs)
    grid = None if kw["d_grid"] is None else validate.array(kw["d_grid"], "d_grid")
    options = {**{k: a for k, a in kw.items() if k != "d_grid"}, "target": repr(target)}

    def to_state(run: GANRun) -> dict[str, Any]:
        return {"generator": run.generator.state_dict(), "discriminator": run.discriminator.state_dict(),
                **{name: memo.tensor(getattr(run, name)) for name in _GAN_ARRAYS}, "config": run.config}

    def from_state(state: dict[str, Any]) -> GANRun:
        G, D = _mlp(kw["latent_dim"], kw["hidden"], 1), _mlp(1, kw["hidden"], 1)
        G.load_state_dict(state["generator"])
        D.load_state_dict(state["discriminator"])
        return GANRun(generator=G, discriminator=D, target=target, config=state["config"],
                      **{name: memo.array(state[name]) for name in _GAN_ARRAYS})

    return memo.memo("gan", __file__, [grid], options, lambda: train_gan(target, **kw), to_state, from_state,
                     cache_dir=cache_dir)


#: The array fields of a :class:`GANRun` (the memo stores them as tensors).
_GAN_ARRAYS = ("snapshot_steps", "snapshots", "snapshot_values", "d_loss", "g_loss", "snapshot_d")


def discriminator_probability(discriminator: torch.nn.Module, x: ArrayLike) -> NDArray[np.float64]:
    """:math:`D(x) = \\sigma(\\ell(x))` of a trained logit network at the points ``x`` (1-D array)."""
    import torch

    x_arr = validate.array(x, "x")
    with torch.no_grad():
        logit = discriminator(torch.as_tensor(x_arr.reshape(-1, 1), dtype=torch.float32))
        return torch.sigmoid(logit.double())[:, 0].numpy().reshape(x_arr.shape)


def generate(generator: torch.nn.Module, n: int, *, seed: int = 0) -> NDArray[np.float64]:
    """``n`` samples :math:`G(z)`, :math:`z \\sim \\mathcal N(0, I)` drawn with a seeded generator."""
    import torch

    n = validate.integer(n, "n", lo=1)
    latent_dim = next(generator.parameters()).shape[1]
    rng = torch.Generator().manual_seed(validate.integer(seed, "seed", lo=0))
    with torch.no_grad():
        return generator(torch.randn(n, latent_dim, generator=rng))[:, 0].double().numpy()


def value_estimate(discriminator: torch.nn.Module, generator: torch.nn.Module,
                   target: GaussianMixture1D, n: int, *, seed: int = 0) -> float:
    r"""Monte Carlo estimate of :math:`V(D, G)` in nats from ``n`` fresh data and ``n`` generator
    samples: :math:`\frac1n\sum_i \log D(x_i) + \frac1n\sum_j \log(1 - D(G(z_j)))`."""
    import torch

    n = validate.integer(n, "n", lo=2)
    rng = torch.Generator().manual_seed(validate.integer(seed, "seed", lo=0))
    latent_dim = next(generator.parameters()).shape[1]
    with torch.no_grad():
        x_real = target.sample(n, rng)
        x_fake = generator(torch.randn(n, latent_dim, generator=rng))
        return float(_value_torch(discriminator(x_real), discriminator(x_fake)))


def fit_discriminator(discriminator: torch.nn.Module, generator: torch.nn.Module,
                      target: GaussianMixture1D, *, steps: int = 500, batch_size: int = 1024,
                      lr: float = 2e-3, seed: int = 0) -> tuple[torch.nn.Module, NDArray[np.float64]]:
    r"""Train a COPY of ``discriminator`` against the frozen ``generator`` (G is not updated).

    Maximises :math:`\hat V(D, G)` with Adam, :math:`\beta = (0.5, 0.999)`, ``steps`` steps on fresh
    minibatches of ``batch_size`` data and generator samples each. As D approaches
    :math:`D^*_G`, :func:`jensen_shannon_from_value` of its value rises towards
    :math:`\mathrm{JSD}(p_{\mathrm{data}} \,\|\, p_g)` (Goodfellow et al. 2014, Thm. 1).
    Returns the trained copy and the per-step minibatch values :math:`\hat V` (nats).
    Deterministic (seeded, one thread during training; the thread count is restored).
    """
    import copy

    import torch

    steps = validate.integer(steps, "steps", lo=1)
    batch_size = validate.integer(batch_size, "batch_size", lo=2)
    seed = validate.integer(seed, "seed", lo=0)
    lr = float(validate.positive(lr, "lr"))
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        D = copy.deepcopy(discriminator)
        latent_dim = next(generator.parameters()).shape[1]
        rng = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
        values = np.empty(steps)
        for t in range(steps):
            x_real = target.sample(batch_size, rng)
            with torch.no_grad():
                x_fake = generator(torch.randn(batch_size, latent_dim, generator=rng))
            logits = D(torch.cat([x_real, x_fake]))
            value = _value_torch(logits[:batch_size], logits[batch_size:])
            opt.zero_grad()
            (-value).backward()
            opt.step()
            values[t] = value.item()
    finally:
        torch.set_num_threads(previous_threads)
    if not np.all(np.isfinite(values)):
        raise RuntimeError("discriminator training diverged: a minibatch value is not finite")
    return D, values


# --------------------------------------------------------------------------------------------
# The Wasserstein GAN: a critic instead of a discriminator
# --------------------------------------------------------------------------------------------

@dataclass
class WGANRun:
    r"""Everything :func:`train_wgan` returns.

    ``snapshot_steps[i]`` generator updates had been made when ``snapshots[i]`` (generator samples
    from the same fixed latent codes each time), ``estimates[i]`` and ``estimate_se[i]`` (the
    critic's estimate :math:`\hat W = \frac1n\sum_i f(x_i) - \frac1n\sum_j f(G(z_j))` on ``n_value``
    fresh data and generator samples, and its standard error) and ``lipschitz[i]`` (the largest
    :math:`|f'(x)|` of the critic on the grid ``lipschitz_grid``, by autograd) were recorded.
    ``critic_loss[t]`` is the critic's last minibatch loss at generator step ``t`` (penalty included).
    """

    generator: Any
    critic: Any
    target: GaussianMixture1D
    snapshot_steps: NDArray[np.int64]
    snapshots: NDArray[np.float64]
    estimates: NDArray[np.float64]
    estimate_se: NDArray[np.float64]
    lipschitz: NDArray[np.float64]
    critic_loss: NDArray[np.float64]
    config: dict[str, Any] = field(default_factory=dict)


#: The Lipschitz constraints :func:`train_wgan` knows: weight clipping (Arjovsky et al. 2017, Alg. 1),
#: the two-sided gradient penalty (Gulrajani et al. 2017, Eq. 3) and the one-sided one (Petzka et al.
#: 2018, Eq. 8).
WGAN_CONSTRAINTS = ("clip", "two-sided", "one-sided")


def critic_lipschitz(critic: torch.nn.Module, grid: ArrayLike) -> float:
    r"""The largest :math:`|f'(x)|` of a 1-D critic over the points ``grid``, by autograd.

    For a piecewise-linear critic (LeakyReLU layers) this is its Lipschitz constant on the
    interval the grid spans, up to linear pieces narrower than the grid spacing (a lower bound).
    """
    import torch

    x = validate.array(grid, "grid").ravel()
    if x.size == 0:
        validate.fail("grid", "non-empty", x)
    xs = torch.as_tensor(x.reshape(-1, 1), dtype=torch.float32).requires_grad_(True)
    with torch.enable_grad():
        (slope,) = torch.autograd.grad(critic(xs).sum(), xs)
    return float(slope.abs().max())


def _critic_loss(critic: torch.nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor,
                 rng: torch.Generator, constraint: str, penalty_weight: float) -> torch.Tensor:
    r"""The critic's minibatch loss :math:`\frac1b\sum f(\tilde x_j) - \frac1b\sum f(x_i)` (minus its
    estimate of :math:`W_1`), plus for ``"two-sided"`` ``penalty_weight`` times
    :math:`\frac1b\sum (|f'(\hat x_i)| - 1)^2` (Gulrajani et al. 2017, Eq. 3) and for ``"one-sided"``
    times :math:`\frac1b\sum \max(0, |f'(\hat x_i)| - 1)^2` (Petzka et al. 2018), at
    :math:`\hat x_i = \epsilon_i x_i + (1 - \epsilon_i)\tilde x_i`, :math:`\epsilon_i \sim U[0, 1]`.
    One forward pass for all three batches."""
    import torch

    b = x_real.shape[0]
    if constraint == "clip":
        out = critic(torch.cat([x_real, x_fake]))  # (2b, 1)
        return out[b:].mean() - out[:b].mean()
    eps = torch.rand(b, 1, generator=rng)
    x_hat = (eps * x_real + (1 - eps) * x_fake).requires_grad_(True)  # (b, 1)
    out = critic(torch.cat([x_real, x_fake, x_hat]))  # (3b, 1)
    (slope,) = torch.autograd.grad(out[2 * b:].sum(), x_hat, create_graph=True)  # (b, 1)
    excess = slope.norm(dim=1) - 1.0
    penalty = (excess.clamp(min=0.0) if constraint == "one-sided" else excess).pow(2).mean()
    return out[b:2 * b].mean() - out[:b].mean() + penalty_weight * penalty


def train_wgan(target: GaussianMixture1D, *, constraint: str = "one-sided", steps: int = 1000,
               n_critic: int = 5, batch_size: int = 128, latent_dim: int = 2, hidden: int = 32,
               lr_critic: float = 1e-3, lr_g: float = 2e-4, clip: float = 0.01,
               penalty_weight: float = 10.0, snapshot_every: int = 100, n_snapshot: int = 4000,
               n_value: int = 20000, lipschitz_grid: ArrayLike | None = None, seed: int = 0
               ) -> WGANRun:
    r"""Train a Wasserstein GAN (Arjovsky et al. 2017, Alg. 1) on a 1-D ``target`` mixture.

    The critic :math:`f: \mathbb R \to \mathbb R` (no sigmoid) maximises
    :math:`\mathbb E_{p_{\mathrm{data}}}[f] - \mathbb E_{z}[f(G(z))]` (their Eq. 3), ``n_critic`` steps on
    fresh minibatches per generator step; the generator minimises :math:`-\mathbb E_z[f(G(z))]`.
    For a 1-Lipschitz critic the maximum is :math:`W_1(p_{\mathrm{data}}, p_g)` (Kantorovich-Rubinstein);
    ``constraint`` says how the critic is kept (near) 1-Lipschitz:

    * ``"clip"``: every critic weight is clipped to ``[-clip, clip]`` after each step (Arjovsky et al.
      2017, Alg. 1, with RMSProp). The critic is then K-Lipschitz for an unknown K.
    * ``"two-sided"``: the loss adds ``penalty_weight`` times :math:`\mathbb E[(|f'(\hat x)| - 1)^2]` at
      random interpolates of real and generated points (Gulrajani et al. 2017, Eq. 3, Alg. 1: Adam
      with :math:`\beta = (0, 0.9)`).
    * ``"one-sided"``: the same with :math:`\max(0, |f'(\hat x)| - 1)^2` (Petzka et al. 2018), which
      penalises only slopes steeper than 1.

    Both networks are MLPs with two LeakyReLU(0.2) hidden layers of width ``hidden``;
    :math:`z \sim \mathcal N(0, I_{\mathrm{latent\_dim}})`. Deterministic (seeded weights and sampling, one
    torch thread during training; the previous thread count is restored). Snapshots at steps 0,
    ``snapshot_every``, ..., ``steps``; ``lipschitz_grid`` defaults to 4001 points on [-8, 8].
    """
    import torch

    if constraint not in WGAN_CONSTRAINTS:
        validate.fail("constraint", " or ".join(repr(c) for c in WGAN_CONSTRAINTS), constraint)
    if not isinstance(target, GaussianMixture1D):
        validate.fail("target", "a GaussianMixture1D (see gaussian_mixture_1d)", type(target).__name__)
    steps = validate.integer(steps, "steps", lo=1)
    n_critic = validate.integer(n_critic, "n_critic", lo=1)
    batch_size = validate.integer(batch_size, "batch_size", lo=2)
    latent_dim = validate.integer(latent_dim, "latent_dim", lo=1)
    hidden = validate.integer(hidden, "hidden", lo=1)
    snapshot_every = validate.integer(snapshot_every, "snapshot_every", lo=1)
    n_snapshot = validate.integer(n_snapshot, "n_snapshot", lo=1)
    n_value = validate.integer(n_value, "n_value", lo=2)
    seed = validate.integer(seed, "seed", lo=0)
    lr_critic = float(validate.positive(lr_critic, "lr_critic"))
    lr_g = float(validate.positive(lr_g, "lr_g"))
    clip = float(validate.positive(clip, "clip"))
    penalty_weight = float(validate.positive(penalty_weight, "penalty_weight"))
    grid = np.linspace(-8.0, 8.0, 4001) if lipschitz_grid is None else validate.array(lipschitz_grid,
                                                                                       "lipschitz_grid")

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        G = _mlp(latent_dim, hidden, 1)
        f = _mlp(1, hidden, 1)
        rng = torch.Generator().manual_seed(seed)
        if constraint == "clip":
            opt_f = torch.optim.RMSprop(f.parameters(), lr=lr_critic)
            opt_g = torch.optim.RMSprop(G.parameters(), lr=lr_g)
            with torch.no_grad():  # start inside the clipping box
                for w in f.parameters():
                    w.clamp_(-clip, clip)
        else:
            opt_f = torch.optim.Adam(f.parameters(), lr=lr_critic, betas=(0.0, 0.9))
            opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=(0.0, 0.9))
        z_fixed = torch.randn(n_snapshot, latent_dim, generator=torch.Generator().manual_seed(seed + 2))
        eval_rng = torch.Generator().manual_seed(seed + 1)

        snap_steps: list[int] = []
        snaps: list[NDArray[np.float64]] = []
        estimates: list[float] = []
        standard_errors: list[float] = []
        lipschitz: list[float] = []

        def snapshot(step: int) -> None:
            with torch.no_grad():
                snaps.append(G(z_fixed)[:, 0].double().numpy())
                f_real = f(target.sample(n_value, eval_rng))[:, 0].double()
                f_fake = f(G(torch.randn(n_value, latent_dim, generator=eval_rng)))[:, 0].double()
            estimates.append(float(f_real.mean() - f_fake.mean()))
            standard_errors.append(float(math.sqrt((f_real.var() + f_fake.var()) / n_value)))
            lipschitz.append(critic_lipschitz(f, grid))
            snap_steps.append(step)

        critic_losses = np.empty(steps)
        snapshot(0)
        for t in range(steps):
            for _ in range(n_critic):
                x_real = target.sample(batch_size, rng)  # (batch, 1)
                with torch.no_grad():
                    x_fake = G(torch.randn(batch_size, latent_dim, generator=rng))  # (batch, 1)
                loss = _critic_loss(f, x_real, x_fake, rng, constraint, penalty_weight)
                opt_f.zero_grad()
                loss.backward()
                opt_f.step()
                if constraint == "clip":
                    with torch.no_grad():
                        for w in f.parameters():
                            w.clamp_(-clip, clip)
            g_loss = -f(G(torch.randn(batch_size, latent_dim, generator=rng))).mean()
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            critic_losses[t] = loss.item()
            if (t + 1) % snapshot_every == 0 or t + 1 == steps:
                snapshot(t + 1)
    finally:
        torch.set_num_threads(previous_threads)

    if not np.all(np.isfinite(critic_losses)):
        raise RuntimeError(f"training diverged: `critic_loss` is not finite at step "
                           f"{int(np.argmin(np.isfinite(critic_losses)))}")
    return WGANRun(generator=G, critic=f, target=target,
                   snapshot_steps=np.array(snap_steps, dtype=np.int64), snapshots=np.stack(snaps),
                   estimates=np.array(estimates), estimate_se=np.array(standard_errors),
                   lipschitz=np.array(lipschitz), critic_loss=critic_losses,
                   config={"constraint": constraint, "steps": steps, "n_critic": n_critic,
                           "batch_size": batch_size, "latent_dim": latent_dim, "hidden": hidden,
                           "lr_critic": lr_critic, "lr_g": lr_g, "clip": clip,
                           "penalty_weight": penalty_weight, "seed": seed})


def cached_train_wgan(target: GaussianMixture1D, *, cache_dir: str | os.PathLike[str] | None = None,
                      **kwargs: Any) -> WGANRun:
    """:func:`train_wgan` through the on-disk memo, as :func:`cached_train_gan`."""
    kw = memo.keywords(train_wgan, kwargs)
    grid = None if kw["lipschitz_grid"] is None else validate.array(kw["lipschitz_grid"], "lipschitz_grid")
    options = {**{k: a for k, a in kw.items() if k != "lipschitz_grid"}, "target": repr(target)}

    def to_state(run: WGANRun) -> dict[str, Any]:
        return {"generator": run.generator.state_dict(), "critic": run.critic.state_dict(),
                **{name: memo.tensor(getattr(run, name)) for name in _WGAN_ARRAYS}, "config": run.config}

    def from_state(state: dict[str, Any]) -> WGANRun:
        G, f = _mlp(kw["latent_dim"], kw["hidden"], 1), _mlp(1, kw["hidden"], 1)
        G.load_state_dict(state["generator"])
        f.load_state_dict(state["critic"])
        return WGANRun(generator=G, critic=f, target=target, config=state["config"],
                       **{name: memo.array(state[name]) for name in _WGAN_ARRAYS})

    return memo.memo("wgan", __file__, [grid], options, lambda: train_wgan(target, **kw), to_state, from_state,
                     cache_dir=cache_dir)


#: The array fields of a :class:`WGANRun` (the memo stores them as tensors).
_WGAN_ARRAYS = ("snapshot_steps", "snapshots", "estimates", "estimate_se", "lipschitz", "critic_loss")


def critic_values(critic: torch.nn.Module, x: ArrayLike) -> NDArray[np.float64]:
    """:math:`f(x)` of a trained 1-D critic (no sigmoid) at the points ``x`` (any shape)."""
    import torch

    x_arr = validate.array(x, "x")
    with torch.no_grad():
        out = critic(torch.as_tensor(x_arr.reshape(-1, 1), dtype=torch.float32))
        return out.double()[:, 0].numpy().reshape(x_arr.shape)


def fit_generator(generator: torch.nn.Module, discriminator: torch.nn.Module, *, steps: int = 300,
                  batch_size: int = 256, lr: float = 5e-4, loss: str = "non_saturating",
                  seed: int = 0) -> tuple[torch.nn.Module, NDArray[np.float64]]:
    r"""Train a COPY of ``generator`` against the frozen ``discriminator`` (D is not updated): the
    generator's best response to a fixed D, approximated by ``steps`` Adam steps
    (:math:`\beta = (0.5, 0.999)`) on the generator ``loss`` (as in :func:`train_gan`).

    For a fixed D, :math:`\mathbb E_z[-\log D(G(z))] \ge -\log \max_x D(x)`, with equality only if
    G puts all its mass where D is largest: the best response is a point mass (Goodfellow 2016,
    Sec. 5.1.1, on mode collapse). Gradient steps move every sample uphill on D, so the copy's
    samples pile up at the local maxima of D. ``discriminator`` maps a (batch, 1) tensor to logits: a
    trained network (its parameters are frozen during the call) or any differentiable function,
    such as the log density ratio of :func:`optimal_discriminator_logit`. Returns the trained copy
    and the per-step minibatch losses (nats). Deterministic (seeded, one thread during training; the thread count is restored).
    """
    import copy

    import torch

    steps = validate.integer(steps, "steps", lo=1)
    batch_size = validate.integer(batch_size, "batch_size", lo=1)
    seed = validate.integer(seed, "seed", lo=0)
    lr = float(validate.positive(lr, "lr"))
    if loss not in ("non_saturating", "saturating"):
        validate.fail("loss", "'non_saturating' or 'saturating'", loss)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        G = copy.deepcopy(generator)
        latent_dim = next(G.parameters()).shape[1]
        rng = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
        frozen = list(discriminator.parameters()) if hasattr(discriminator, "parameters") else []
        for w in frozen:  # frozen: no gradient is kept for D
            w.requires_grad_(False)
        losses = np.empty(steps)
        try:
            for t in range(steps):
                g_loss = _generator_loss_torch(discriminator(G(torch.randn(batch_size, latent_dim, generator=rng))),
                                               loss)
                opt.zero_grad()
                g_loss.backward()
                opt.step()
                losses[t] = g_loss.item()
        finally:
            for w in frozen:
                w.requires_grad_(True)
    finally:
        torch.set_num_threads(previous_threads)
    if not np.all(np.isfinite(losses)):
        raise RuntimeError("generator training diverged: a minibatch loss is not finite")
    return G, losses
