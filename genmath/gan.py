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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike, NDArray

from genmath import numerics, validate
from genmath.info import _js_terms

if TYPE_CHECKING:  # torch is imported lazily: the quadrature half of this module does not need it
    import torch

__all__ = [
    "GANRun",
    "GaussianMixture1D",
    "discriminator_probability",
    "fit_discriminator",
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
    "optimal_value",
    "saturating_generator_loss",
    "saturating_grad_d",
    "saturating_grad_logit",
    "train_gan",
    "value_estimate",
    "value_function",
    "wasserstein_1_quad",
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
              n_value: int = 20000, seed: int = 0) -> GANRun:
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
    Snapshots at steps 0, ``snapshot_every``, ..., ``steps``.
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

        def snapshot(step: int) -> None:
            with torch.no_grad():
                snaps.append(G(z_fixed)[:, 0].double().numpy())
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
                  config={"steps": steps, "batch_size": batch_size, "latent_dim": latent_dim,
                          "hidden": hidden, "lr_d": lr_d, "lr_g": lr_g, "d_steps": d_steps,
                          "loss": loss, "seed": seed})


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
