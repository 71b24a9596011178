r"""Information theory: entropy, cross-entropy, KL divergence, Jensen-Shannon, Gaussian KLs.

Conventions
-----------
* Inputs are numpy array-likes; outputs are numpy floats (0-d) or arrays.
* Discrete distributions are batched along the leading axes, the distribution on the LAST axis:
  ``p`` of shape ``(..., K)`` gives a result of shape ``(...)``.
* ``base=None`` gives nats (natural logarithm); ``base=2`` gives bits. Converting nats to bits
  divides by :math:`\log 2 \approx 0.693`; the divisor comes from :func:`genmath.validate.log_base`.
* Every discrete quantity is built on ONE elementwise primitive, :func:`scipy.special.rel_entr`

  .. math:: \mathrm{rel\_entr}(x, y) = \begin{cases} x \log(x/y) & x > 0,\ y > 0 \\
            0 & x = 0,\ y \ge 0 \\ +\infty & \text{otherwise,} \end{cases}

  which encodes the conventions :math:`0 \log 0 = 0` and :math:`x \log(x/0) = +\infty` for
  :math:`x > 0`. (scipy builds ``scipy.stats.entropy`` on the same primitive.)
* Probability vectors must have non-negative, non-NaN entries summing to 1 along the last axis,
  within ``genmath.validate.sum_tolerance`` (1e-9 for float64; K x 1.2e-7 for K float32 entries, e.g.
  from ``torch.softmax``); otherwise ``ValueError`` names the argument and the offending value.
  Nothing returns NaN silently. torch tensors are accepted (detached: the result is a number).
* Ranges hold by construction, not by luck: every KL divergence is computed as a sum of terms that are
  each >= 0 (:math:`\varphi(x) = e^x - 1 - x \ge 0` for Gaussians), so KL >= 0; every Jensen-Shannon
  term lies in :math:`[0, \tfrac12 (p_k + q_k) \log 2]`, so :math:`0 \le \mathrm{JSD} \le \log 2`.
  Where rounding of the inputs (the sum tolerance) could still push a value past its bound by a few
  ulps, the value is clipped to the bound and the docstring says so.
* A result that is finite mathematically but beyond float64 (e.g. the KL between Gaussians whose
  scales differ by a factor 1e200) raises ``ValueError`` naming the arguments; it never comes back as
  ``inf``. ``inf`` is returned only where the exact answer is infinite (disjoint supports).

References
----------
* Cover & Thomas, *Elements of Information Theory*, 2nd ed. (2006): entropy Eq. (2.1),
  relative entropy Eq. (2.26), Gibbs' inequality Thm. 2.6.3, differential entropy of a Gaussian
  Example 8.1.2 / Thm. 8.4.1, Pinsker's inequality Lemma 11.6.1.
* Lin, "Divergence measures based on the Shannon entropy", IEEE Trans. Inf. Theory 37(1), 1991
  (Jensen-Shannon divergence, Eq. (4.1) there).
* Endres & Schindelin, "A new metric for probability distributions", IEEE Trans. Inf. Theory
  49(7), 2003 (the square root of JSD is a metric; JSD itself is not).
* Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014, Appendix B (the VAE KL term).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import scipy.linalg
import scipy.special
from numpy.typing import ArrayLike, NDArray

from genmath import numerics, validate

__all__ = [
    "F_DIVERGENCES",
    "FDivergence",
    "KLEstimatorTerms",
    "KLRegularisedOptimum",
    "MonteCarloEstimate",
    "MvnKLTerms",
    "binary_cross_entropy_with_logits",
    "binary_entropy",
    "conditional_entropy",
    "conditional_mutual_information",
    "cross_entropy",
    "distillation_loss",
    "donsker_varadhan_bound",
    "entropy",
    "f_divergence",
    "f_variational_bound",
    "gaussian_entropy",
    "jensen_shannon",
    "kl_continuous",
    "kl_divergence",
    "kl_estimator_terms",
    "kl_fisher_quadratic",
    "kl_monte_carlo",
    "kl_mvn",
    "kl_mvn_terms",
    "kl_normal",
    "kl_regularised_objective",
    "kl_regularised_optimum",
    "kl_standard_normal",
    "mutual_information",
    "mvn_entropy",
    "perplexity",
    "smoothed_targets",
    "soft_cross_entropy",
    "softmax_cross_entropy",
    "total_variation",
]

# --------------------------------------------------------------------------------------------
# The one elementwise primitive and input handling
# --------------------------------------------------------------------------------------------

def _rel_entr(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""Elementwise :math:`x \log(x / y)` with :math:`0 \log(0/y) = 0` and :math:`x \log(x/0) = +\infty`.

    Delegates to :func:`scipy.special.rel_entr`; every discrete quantity in this module is a sum
    of this primitive, so no formula is written twice.
    """
    return np.asarray(scipy.special.rel_entr(x, y), dtype=np.float64)


def _js_terms(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    r"""Elementwise Jensen-Shannon term of two non-negative numbers (masses or density values):

    .. math:: j(a, b) = \tfrac12\, a \log\frac{2a}{a + b} + \tfrac12\, b \log\frac{2b}{a + b}
              = \frac{a + b}{4}\, g(\delta), \qquad \delta = \frac{a - b}{a + b},

    :math:`g(\delta) = (1 + \delta)\log(1 + \delta) + (1 - \delta)\log(1 - \delta) \in [0, 2\log 2]`,
    so :math:`0 \le j(a, b) \le \tfrac12 (a + b) \log 2`: summed over a distribution, JSD lies in
    :math:`[0, \log 2]` by construction. :math:`g` is evaluated without cancellation: as
    :math:`\log(1 - \delta^2) + 2\delta\,\mathrm{artanh}\,\delta` for :math:`|\delta| < 1/2` (two
    terms of order :math:`\delta^2`, so a JSD of 1e-30 keeps its digits), and from
    :math:`A = 2a/(a + b)`, :math:`B = 2b/(a + b)` as :math:`A \log A + B \log B` otherwise (0 log 0 = 0).
    Both numbers are first divided by the larger, so :math:`a + b` cannot overflow.
    """
    a_arr, b_arr = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    big = np.maximum(a_arr, b_arr)
    safe = np.where(big > 0, big, 1.0)
    u, w = a_arr / safe, b_arr / safe  # in [0, 1], one of them 1 (or both 0)
    total = u + w
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = np.where(total > 0, (u - w) / np.where(total > 0, total, 1.0), 0.0)
        near = np.abs(delta) < 0.5
        d = np.where(near, delta, 0.0)
        g_near = np.log1p(-d * d) + 2.0 * d * np.arctanh(d)
        big_a = 2.0 * u / np.where(total > 0, total, 1.0)
        big_b = 2.0 * w / np.where(total > 0, total, 1.0)
        g_far = scipy.special.xlogy(big_a, big_a) + scipy.special.xlogy(big_b, big_b)
    g = np.clip(np.where(near, g_near, g_far), 0.0, 2.0 * math.log(2.0))  # clip: last-ulp rounding only
    return np.asarray(big * total / 4.0 * g, dtype=np.float64)


def _expm1mx(x: ArrayLike, exp_x: ArrayLike | None = None) -> NDArray[np.float64]:
    r""":math:`\varphi(x) = e^x - 1 - x \ge 0`, accurate for every x (the Gaussian KL primitive).

    For :math:`|x| < 1/2` the Taylor series :math:`\sum_{n \ge 2} x^n / n!` (Horner, 17 terms: the
    remainder is below 1e-19 relative), so :math:`\varphi(10^{-9}) = 5 \times 10^{-19}` keeps all its
    digits where ``expm1(x) - x`` would keep none; otherwise :math:`e^x - 1 - x` with :math:`e^x` taken
    from ``exp_x`` when the caller has it more accurately than ``exp(x)`` (a variance ratio computed by
    division: the exponential would multiply the rounding error of x by x). Overflows to ``inf`` for
    x > 709.78 (the caller reports it). Never negative.
    """
    x_arr = np.asarray(x, dtype=np.float64)
    small = np.abs(x_arr) < 0.5
    xs = np.where(small, x_arr, 0.0)
    series = np.zeros_like(xs)
    for n in range(18, 1, -1):  # x^2/2! (1 + x/3 (1 + x/4 (1 + ...)))
        series = xs / n * (1.0 + series)
    series = xs * series
    xl = np.where(small, 0.0, x_arr)
    with np.errstate(over="ignore"):
        e = np.exp(xl) if exp_x is None else np.where(small, 1.0, np.asarray(exp_x, dtype=np.float64))
        direct = (e - 1.0) - xl
    return np.maximum(np.where(small, series, direct), 0.0)


def _gaussian_kl(log_variance_ratios: NDArray[np.float64], quadratic: NDArray[np.float64],
                 axis: int | tuple[int, ...] | None = None,
                 variance_ratios: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    r"""The one Gaussian-KL formula, in the form that is >= 0 term by term:

    .. math:: \mathrm{KL}(\mathcal N(\mu_p, \Sigma_p) \,\|\, \mathcal N(\mu_q, \Sigma_q))
              = \tfrac12 \Big[ \sum_{i=1}^k \varphi(\log\lambda_i) + (\mu_p - \mu_q)^\top
                \Sigma_q^{-1} (\mu_p - \mu_q) \Big],

    :math:`\lambda_i` the eigenvalues of :math:`\Sigma_q^{-1}\Sigma_p` and :math:`\varphi(x) = e^x - 1 - x`
    (:func:`_expm1mx`). It is Kullback's formula rearranged with
    :math:`\operatorname{tr}(\Sigma_q^{-1}\Sigma_p) = \sum_i \lambda_i` and
    :math:`\log(\det\Sigma_q / \det\Sigma_p) = -\sum_i \log\lambda_i`. ``log_variance_ratios``
    holds :math:`\log\lambda_i` (summed over ``axis``), ``variance_ratios`` the :math:`\lambda_i`
    themselves when known directly, ``quadratic`` the Mahalanobis term (>= 0).
    """
    with np.errstate(over="ignore"):
        half = 0.5 * _expm1mx(log_variance_ratios, variance_ratios)
        # Halved before anything is added: e^x overflows from x = 709.78 but e^x / 2 only from 710.48,
        # and a sum of terms can overflow where the sum of their halves does not (the KL is the latter).
        big = ~np.isfinite(half)
        if np.any(big):
            x = np.asarray(log_variance_ratios, dtype=np.float64)
            half = np.where(big, np.exp(x - np.log(2.0)) - 0.5 - 0.5 * x, half)
        if axis is not None:
            half = np.sum(half, axis=axis)
        return np.asarray(half + 0.5 * np.asarray(quadratic, dtype=np.float64), dtype=np.float64)


def _pair(p: ArrayLike, q: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate two probability vectors (or batches) of the same shape."""
    p_arr = validate.probabilities(p, "p")
    q_arr = validate.probabilities(q, "q")
    validate.same_shape(p_arr, q_arr, "p", "q")
    return p_arr, q_arr


def _out(x: NDArray[np.float64] | float) -> NDArray[np.float64] | np.float64:
    """0-d arrays become numpy floats; arrays stay arrays."""
    arr = np.asarray(x, dtype=np.float64)
    return arr[()] if arr.ndim == 0 else arr


# --------------------------------------------------------------------------------------------
# Discrete quantities
# --------------------------------------------------------------------------------------------

def entropy(p: ArrayLike, *, base: float | None = None) -> NDArray[np.float64] | np.float64:
    r"""Shannon entropy of a discrete distribution (Cover & Thomas 2006, Eq. 2.1).

    .. math:: H(p) = -\sum_k p_k \log p_k = -\sum_k \mathrm{rel\_entr}(p_k, 1),
              \qquad 0 \log 0 = 0.

    ``p``: probability vector(s) on the last axis (entries >= 0, rows sum to 1 within the sum
    tolerance: 1e-9 for float64, K x 1.2e-7 for float32). Returns nats (``base=None``) or units of
    ``log base`` (bits for 2). Range: :math:`0 \le H(p) \le \log K` for rows that sum to 1 (a sum
    off by the tolerance moves H by as much); every term is >= 0.
    """
    divisor = validate.log_base(base)
    p_arr = validate.probabilities(p, "p")
    h = 0.0 - _rel_entr(p_arr, np.ones_like(p_arr)).sum(axis=-1)  # 0.0 - x: no "-0.0"
    return _out(h / divisor)


def kl_divergence(p: ArrayLike, q: ArrayLike, *, base: float | None = None
                  ) -> NDArray[np.float64] | np.float64:
    r"""Kullback-Leibler divergence of discrete distributions (Cover & Thomas 2006, Eq. 2.26).

    .. math:: \mathrm{KL}(p \,\|\, q) = \sum_k p_k \log \frac{p_k}{q_k}
              = \sum_k \mathrm{rel\_entr}(p_k, q_k) \;\ge\; 0,

    with :math:`0 \log(0/q) = 0` and :math:`p \log(p/0) = +\infty` for :math:`p > 0`: the result is
    ``+inf`` where some :math:`q_k = 0 < p_k` (support of p not inside support of q).
    ``p`` and ``q`` must have the same shape; rows sum to 1 within the sum tolerance (1e-9 for
    float64). Nats for ``base=None``, bits for ``base=2``. Never negative: a sum of terms of both
    signs can round to about -1e-16 when p = q (or fall below 0 by the sum tolerance); it is clipped
    to 0.
    """
    divisor = validate.log_base(base)
    p_arr, q_arr = _pair(p, q)
    kl = _rel_entr(p_arr, q_arr).sum(axis=-1)
    # KL >= 0 exactly (Gibbs); terms of both signs can round to about -1e-16 when p == q.
    return _out(np.maximum(kl, 0.0) / divisor)


def cross_entropy(p: ArrayLike, q: ArrayLike, *, base: float | None = None
                  ) -> NDArray[np.float64] | np.float64:
    r"""Cross-entropy of ``q`` relative to ``p`` (Cover & Thomas 2006, Sec. 5.4 / Thm. 5.4.3).

    .. math:: H(p, q) = -\sum_k p_k \log q_k = H(p) + \mathrm{KL}(p \,\|\, q),

    computed elementwise as :math:`\sum_k [\mathrm{rel\_entr}(p_k, q_k) - \mathrm{rel\_entr}(p_k, 1)]`
    (the identity term by term, so :math:`0 \log 0 = 0`). ``+inf`` where some
    :math:`q_k = 0 < p_k`. Same shapes; rows sum to 1 within the sum tolerance (1e-9 for float64).
    Nats for ``base=None``, bits for ``base=2``.
    """
    divisor = validate.log_base(base)
    p_arr, q_arr = _pair(p, q)
    kl_terms = _rel_entr(p_arr, q_arr)
    neg_entropy_terms = _rel_entr(p_arr, np.ones_like(p_arr))
    return _out((kl_terms - neg_entropy_terms).sum(axis=-1) / divisor)


def jensen_shannon(p: ArrayLike, q: ArrayLike, *, base: float | None = None
                   ) -> NDArray[np.float64] | np.float64:
    r"""Jensen-Shannon divergence (Lin 1991, Eq. 4.1) -- the divergence itself, not its root.

    .. math:: \mathrm{JSD}(p, q) = \tfrac12 \mathrm{KL}(p \,\|\, m) + \tfrac12 \mathrm{KL}(q \,\|\, m)
              = \sum_k j(p_k, q_k), \qquad m = \tfrac12 (p + q),

    symmetric and bounded: :math:`0 \le \mathrm{JSD} \le \log 2` nats (= 1 bit). Computed as a sum
    of the terms :math:`j(p_k, q_k) \in [0, \tfrac12 (p_k + q_k)\log 2]` of :func:`_js_terms`, so the
    range holds by construction; the sum may exceed :math:`\log 2` only by the rounding allowed by the
    sum tolerance (at most 1e-9 relative for float64), and that excess is clipped: disjoint supports
    give exactly :math:`\log 2`. Accurate also for nearly equal p and q (no cancellation).
    JSD is NOT a metric (it can violate the triangle inequality); :math:`\sqrt{\mathrm{JSD}}` is
    (Endres & Schindelin 2003). ``scipy.spatial.distance.jensenshannon`` returns the square root.
    Same shapes; rows sum to 1 within the sum tolerance. Nats for ``base=None``, bits for 2.
    """
    divisor = validate.log_base(base)
    p_arr, q_arr = _pair(p, q)
    jsd = _js_terms(p_arr, q_arr).sum(axis=-1)
    return _out(np.minimum(jsd, math.log(2.0)) / divisor)


def total_variation(p: ArrayLike, q: ArrayLike) -> NDArray[np.float64] | np.float64:
    r"""Total variation distance of discrete distributions (Cover & Thomas 2006, Lemma 11.6.1).

    .. math:: \mathrm{TV}(p, q) = \tfrac12 \sum_k |p_k - q_k| = \max_A |p(A) - q(A)| \in [0, 1].

    A metric, and a probability (no unit). Pinsker: :math:`\mathrm{TV} \le \sqrt{\mathrm{KL}/2}`
    with KL in nats. Same shapes; rows sum to 1 within the sum tolerance (1e-9 for float64).
    """
    p_arr, q_arr = _pair(p, q)
    return _out(0.5 * np.abs(p_arr - q_arr).sum(axis=-1))


def binary_entropy(p: ArrayLike, *, base: float | None = None) -> NDArray[np.float64] | np.float64:
    r"""Entropy of a Bernoulli(p) variable (Cover & Thomas 2006, Eq. 2.5).

    .. math:: H_b(p) = -p \log p - (1 - p) \log (1 - p) = H\big((p, 1 - p)\big),

    with :math:`\log(1 - p)` computed as ``log1p(-p)`` (``scipy.special.xlog1py``), so
    :math:`H_b(10^{-20}) = 4.705 \times 10^{-19}` keeps its digits (``log(1 - p)`` would round
    :math:`1 - p` to 1 and lose the second term). ``p`` in [0, 1], any shape (elementwise); 0 log 0 = 0.
    Range :math:`[0, \log 2]`, maximum :math:`\log 2` nats = 1 bit at :math:`p = 1/2`. Nats for
    ``base=None``, bits for ``base=2``.
    """
    divisor = validate.log_base(base)
    p_arr = validate.in_interval(p, "p", 0.0, 1.0, closed=True)
    h = -scipy.special.xlogy(p_arr, p_arr) - scipy.special.xlog1py(1.0 - p_arr, -p_arr)
    return _out(np.clip(h, 0.0, math.log(2.0)) / divisor)  # clip: last-ulp rounding at p = 0, 1/2


def softmax_cross_entropy(logits: ArrayLike, labels: ArrayLike, *, base: float | None = None
                          ) -> NDArray[np.float64] | np.float64:
    r"""Mean classification cross-entropy of a categorical model with softmax outputs.

    .. math:: \frac1N \sum_{n=1}^N H(\mathbf{e}_{y_n}, \mathrm{softmax}(z_n))
              = -\frac1N \sum_{n=1}^N \log \mathrm{softmax}(z_n)_{y_n},

    i.e. the average negative log-likelihood of the labels (what ``torch.nn.functional.cross_entropy``
    computes, in nats). ``logits``: shape ``(N, K)`` (or ``(K,)`` for one example), finite;
    ``labels``: integers in ``[0, K)``, shape ``(N,)`` (or scalar). Computed from
    ``scipy.special.log_softmax`` (:math:`z_y - \log\sum_k e^{z_k}`), so it stays finite when
    :math:`\mathrm{softmax}(z)_y` underflows; the tests check it against :func:`cross_entropy` with
    one-hot targets and against torch.
    """
    z = validate.array(logits, "logits")
    if z.ndim not in (1, 2) or z.shape[-1] < 1:
        validate.fail("logits", "of shape (N, K) or (K,)", z.shape)
    if z.ndim == 2 and z.shape[0] == 0:
        validate.fail("logits", "at least one example (N >= 1; the mean of nothing is undefined)", z.shape,
                      " as its shape")
    y = validate.numeric(labels, "labels")
    if y.dtype.kind not in "iu" and not (y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0)):
        validate.fail("labels", "integer class indices", y)
    y = y.astype(np.int64)
    expected = z.shape[:-1]
    if y.shape != expected:
        validate.fail("labels", f"of shape {expected} to match `logits` {z.shape}", y.shape)
    k = z.shape[-1]
    bad = (y < 0) | (y >= k)
    if bad.any():
        validate.fail("labels", f"in [0, {k})", int(y[bad].flat[0]))
    divisor = validate.log_base(base)
    # -log softmax(z)_y from log_softmax (log-sum-exp): equal to cross_entropy(e_y, softmax(z)), but
    # finite even where softmax(z)_y underflows to 0 (e.g. logits (1000, 0) with label 1: 1000 nats).
    log_q = scipy.special.log_softmax(z, axis=-1)
    nll = -np.take_along_axis(log_q, y[..., None], axis=-1)[..., 0]
    return _out(float(np.mean(nll)) / divisor)


# --------------------------------------------------------------------------------------------
# Gaussians
# --------------------------------------------------------------------------------------------

def gaussian_entropy(sigma: ArrayLike, *, base: float | None = None
                     ) -> NDArray[np.float64] | np.float64:
    r"""Differential entropy of :math:`\mathcal N(\mu, \sigma^2)` (Cover & Thomas 2006, Example 8.1.2).

    .. math:: h(\mathcal N(\mu, \sigma^2)) = \tfrac12 \log(2 \pi e \sigma^2)
              = \tfrac12 \log(2 \pi e) + \log\sigma,

    independent of :math:`\mu`, and negative for :math:`\sigma < 1/\sqrt{2\pi e} \approx 0.242`.
    ``sigma`` is the standard deviation (> 0), any shape; the second form never squares
    :math:`\sigma`, so it is finite for every positive float (:math:`\sigma = 10^{-200}`: -459.1 nats).
    Nats for ``base=None``, bits for 2.
    """
    divisor = validate.log_base(base)
    sigma_arr = validate.positive(sigma, "sigma")
    return _out((0.5 * math.log(2.0 * math.pi * math.e) + np.log(sigma_arr)) / divisor)


def kl_normal(mu_p: ArrayLike, sigma_p: ArrayLike, mu_q: ArrayLike, sigma_q: ArrayLike
              ) -> NDArray[np.float64] | np.float64:
    r"""KL divergence between univariate Gaussians, in nats (the k = 1 case of :func:`kl_mvn`).

    .. math:: \mathrm{KL}(\mathcal N(\mu_p, \sigma_p^2) \,\|\, \mathcal N(\mu_q, \sigma_q^2))
              = \log\frac{\sigma_q}{\sigma_p} + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2\sigma_q^2}
                - \frac12
              = \tfrac12 \big[ \varphi(x) + z^2 \big],

    with :math:`x = 2(\log\sigma_p - \log\sigma_q)`, :math:`z = (\mu_p - \mu_q)/\sigma_q` and
    :math:`\varphi(x) = e^x - 1 - x \ge 0` (:func:`_gaussian_kl`). The second form never squares a
    standard deviation, so it is exact for :math:`\sigma` anywhere from 1e-300 to 1e300 (e.g.
    ``kl_normal(0, 1e160, 0, 1e150)`` = 5e19), exactly 0 for equal Gaussians and never negative
    (nearly equal Gaussians keep their digits: :math:`\varphi` is evaluated by its series near 0).

    ``sigma_*`` are standard deviations (> 0). Arguments broadcast together. A KL beyond float64
    (e.g. :math:`\sigma_p / \sigma_q = 10^{200}`) raises ``ValueError`` naming the arguments.
    Source: Kullback (1959), *Information Theory and Statistics*; derived in docs/kl.md.
    """
    mu_p_arr = validate.array(mu_p, "mu_p")
    sigma_p_arr = validate.positive(sigma_p, "sigma_p")
    mu_q_arr = validate.array(mu_q, "mu_q")
    sigma_q_arr = validate.positive(sigma_q, "sigma_q")
    mu_p_arr, sigma_p_arr, mu_q_arr, sigma_q_arr = validate.broadcast(
        (mu_p_arr, "mu_p"), (sigma_p_arr, "sigma_p"), (mu_q_arr, "mu_q"), (sigma_q_arr, "sigma_q"))
    with np.errstate(over="ignore", under="ignore"):
        ratio = sigma_p_arr / sigma_q_arr  # exact to one rounding unless it over- or underflows
        normal = np.isfinite(ratio) & (ratio >= np.finfo(np.float64).tiny)
        log_ratio = np.where(normal, np.log(np.where(normal, ratio, 1.0)), np.log(sigma_p_arr) - np.log(sigma_q_arr))
        # Near sigma_p = sigma_q the difference is exact (Sterbenz), so log1p keeps every digit of a
        # log ratio of 1e-9 that the rounding of the quotient itself (1e-16) would blur.
        close = (ratio >= 0.5) & (ratio <= 2.0)
        relative_gap = np.where(close, (sigma_p_arr - sigma_q_arr) / sigma_q_arr, 0.0)
        log_ratio = np.where(close, np.log1p(relative_gap), log_ratio)
        variance_ratio = ratio * ratio
        gap = mu_p_arr - mu_q_arr
        # (mu_p - mu_q) itself may overflow (1e308 - (-1e308)) while the scaled gap is finite.
        z = np.where(np.isfinite(gap), gap / sigma_q_arr,
                     mu_p_arr / sigma_q_arr - mu_q_arr / sigma_q_arr)
        kl = _gaussian_kl(2.0 * log_ratio, z * z, variance_ratios=variance_ratio)
    validate.no_overflow(kl, "KL(N(mu_p, sigma_p^2) || N(mu_q, sigma_q^2))", (mu_p_arr, "mu_p"),
                         (sigma_p_arr, "sigma_p"), (mu_q_arr, "mu_q"), (sigma_q_arr, "sigma_q"))
    return _out(kl)


def kl_standard_normal(mu: ArrayLike, log_var: ArrayLike) -> NDArray[np.float64] | np.float64:
    r"""KL from a diagonal Gaussian to the standard normal: the VAE prior term, in nats.

    .. math:: \mathrm{KL}(\mathcal N(\mu, \operatorname{diag}\sigma^2) \,\|\, \mathcal N(0, I))
              = -\tfrac12 \sum_{j=1}^{J} \big(1 + \log \sigma_j^2 - \mu_j^2 - \sigma_j^2\big)
              = \tfrac12 \sum_{j=1}^{J} \big(\varphi(\log\sigma_j^2) + \mu_j^2\big)

    (Kingma & Welling 2014, Appendix B; :math:`\varphi(x) = e^x - 1 - x`, the form of :func:`kl_normal`).
    ``mu`` and ``log_var`` (= :math:`\log \sigma^2`, finite) broadcast; the sum runs over the LAST
    axis. Works from ``log_var`` directly, so :math:`\sigma^2 = e^{-1500}` (which underflows) is fine
    (749.5 nats); a KL beyond float64 (``log_var`` > 709.78) raises ``ValueError`` naming ``log_var``.
    """
    mu_arr = validate.array(mu, "mu")
    log_var_arr = validate.array(log_var, "log_var")
    mu_arr, log_var_arr = validate.broadcast((mu_arr, "mu"), (log_var_arr, "log_var"))
    if mu_arr.ndim == 0:
        validate.fail("mu", "at least 1-D (latent dimensions on the last axis)", mu_arr)
    with np.errstate(over="ignore"):
        kl = _gaussian_kl(log_var_arr, np.sum(mu_arr * mu_arr, axis=-1), axis=-1)
    validate.no_overflow(kl, "KL(N(mu, exp(log_var)) || N(0, I))", (mu_arr, "mu"), (log_var_arr, "log_var"))
    return _out(kl)


class MvnKLTerms(NamedTuple):
    r"""The pieces of the multivariate Gaussian KL, each a float or array over the batch axes.

    ``trace`` = :math:`\operatorname{tr}(\Sigma_q^{-1}\Sigma_p)`,
    ``quadratic`` = :math:`(\mu_q - \mu_p)^\top \Sigma_q^{-1} (\mu_q - \mu_p)`,
    ``log_det_ratio`` = :math:`\log\det\Sigma_q - \log\det\Sigma_p`, ``dim`` = :math:`k`.
    """

    trace: NDArray[np.float64] | np.float64
    quadratic: NDArray[np.float64] | np.float64
    log_det_ratio: NDArray[np.float64] | np.float64
    dim: int


def _mvn_factors(mu_p: ArrayLike, cov_p: ArrayLike, mu_q: ArrayLike, cov_q: ArrayLike
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Validated means and lower Cholesky factors, broadcast to one batch shape: ``(..., k)`` and
    ``(..., k, k)``."""
    mu_p_arr = validate.array(mu_p, "mu_p")
    mu_q_arr = validate.array(mu_q, "mu_q")
    L_p = validate.cholesky(cov_p, "cov_p")
    L_q = validate.cholesky(cov_q, "cov_q")
    k = L_p.shape[-1]
    if L_q.shape[-1] != k:
        raise ValueError(f"`cov_p` and `cov_q` must have the same dimension; "
                         f"got {L_p.shape} and {L_q.shape}")
    for mu, name in ((mu_p_arr, "mu_p"), (mu_q_arr, "mu_q")):
        if mu.ndim < 1 or mu.shape[-1] != k:
            validate.fail(name, f"a vector of length {k} (or a batch of them) matching the covariances",
                          mu.shape)
    try:
        batch = np.broadcast_shapes(mu_p_arr.shape[:-1], mu_q_arr.shape[:-1],
                                    L_p.shape[:-2], L_q.shape[:-2])
    except ValueError:
        raise ValueError(f"batch shapes do not broadcast: `mu_p` {mu_p_arr.shape}, `cov_p` "
                         f"{L_p.shape}, `mu_q` {mu_q_arr.shape}, `cov_q` {L_q.shape}") from None
    return (np.broadcast_to(mu_p_arr, batch + (k,)), np.broadcast_to(L_p, batch + (k, k)),
            np.broadcast_to(mu_q_arr, batch + (k,)), np.broadcast_to(L_q, batch + (k, k)))


def kl_mvn_terms(mu_p: ArrayLike, cov_p: ArrayLike, mu_q: ArrayLike, cov_q: ArrayLike) -> MvnKLTerms:
    r"""Trace, quadratic and log-determinant terms of :func:`kl_mvn`, via Cholesky factors.

    With :math:`\Sigma_p = L_p L_p^\top` and :math:`\Sigma_q = L_q L_q^\top` (lower triangular),
    no inverse is formed:

    .. math:: \operatorname{tr}(\Sigma_q^{-1}\Sigma_p) = \| L_q^{-1} L_p \|_F^2, \quad
              (\mu_q - \mu_p)^\top \Sigma_q^{-1} (\mu_q - \mu_p) = \| L_q^{-1}(\mu_q - \mu_p) \|^2,
              \quad \log\det\Sigma = 2 \sum_i \log (L)_{ii},

    where :math:`L_q^{-1} B` means a triangular solve. Shapes: ``mu_*`` ``(..., k)``,
    ``cov_*`` ``(..., k, k)``, symmetric positive definite; batch axes broadcast.
    """
    mu_p_arr, L_p, mu_q_arr, L_q = _mvn_factors(mu_p, cov_p, mu_q, cov_q)
    delta = mu_q_arr - mu_p_arr
    # A = L_q^{-1} L_p and b = L_q^{-1} (mu_q - mu_p), by forward substitution.
    A = scipy.linalg.solve_triangular(L_q, L_p, lower=True)
    b = scipy.linalg.solve_triangular(L_q, delta[..., None], lower=True)[..., 0]
    trace = np.sum(A**2, axis=(-2, -1))
    quadratic = np.sum(b**2, axis=-1)
    log_det_q = 2.0 * np.sum(np.log(np.diagonal(L_q, axis1=-2, axis2=-1)), axis=-1)
    log_det_p = 2.0 * np.sum(np.log(np.diagonal(L_p, axis1=-2, axis2=-1)), axis=-1)
    return MvnKLTerms(_out(trace), _out(quadratic), _out(log_det_q - log_det_p), L_p.shape[-1])


def kl_mvn(mu_p: ArrayLike, cov_p: ArrayLike, mu_q: ArrayLike, cov_q: ArrayLike
           ) -> NDArray[np.float64] | np.float64:
    r"""KL divergence between multivariate Gaussians with full covariances, in nats.

    .. math:: \mathrm{KL}(\mathcal N(\mu_p, \Sigma_p) \,\|\, \mathcal N(\mu_q, \Sigma_q))
              = \tfrac12 \Big[ \operatorname{tr}(\Sigma_q^{-1}\Sigma_p)
                + (\mu_q - \mu_p)^\top \Sigma_q^{-1} (\mu_q - \mu_p) - k
                + \log\frac{\det\Sigma_q}{\det\Sigma_p} \Big]

    (Kullback 1959, *Information Theory and Statistics*, Ch. 9; derived in docs/kl.md), evaluated as
    :math:`\tfrac12[\sum_i \varphi(\log\lambda_i) + \text{quadratic}]` (:func:`_gaussian_kl`) with
    :math:`\lambda_i = s_i^2`, :math:`s_i` the singular values of :math:`L_q^{-1} L_p` (Cholesky
    factors, a triangular solve: no explicit inverse). Every term is >= 0, so the result is >= 0 by
    construction, and ``kl_mvn(m, S, m, S)`` is 0 up to rounding (about 1e-32); the pieces of the first form are
    :func:`kl_mvn_terms`. Batched over leading axes. A KL beyond float64 raises ``ValueError``.
    """
    mu_p_arr, L_p, mu_q_arr, L_q = _mvn_factors(mu_p, cov_p, mu_q, cov_q)
    A = scipy.linalg.solve_triangular(L_q, L_p, lower=True)  # L_q^{-1} L_p
    b = scipy.linalg.solve_triangular(L_q, (mu_q_arr - mu_p_arr)[..., None], lower=True)[..., 0]
    singular = np.linalg.svd(A, compute_uv=False)  # s_i^2 = eigenvalues of Sigma_q^{-1} Sigma_p
    quadratic = np.sum(b * b, axis=-1)
    with np.errstate(divide="ignore", over="ignore"):
        kl = _gaussian_kl(2.0 * np.log(singular), quadratic, axis=-1, variance_ratios=singular * singular)
    if np.isinf(kl).any():
        i = tuple(int(j) for j in np.argwhere(np.isinf(kl))[0]) if kl.ndim else ()
        ratios = singular[i] ** 2
        raise ValueError(f"KL(N(mu_p, cov_p) || N(mu_q, cov_q)) overflows float64 (or `cov_p` is too "
                         f"small relative to `cov_q` for float64){f' at index {i}' if i else ''}: the "
                         f"eigenvalues of cov_q^-1 cov_p span [{ratios.min():.3g}, {ratios.max():.3g}] and "
                         f"the Mahalanobis term of `mu_p` - `mu_q` is {quadratic[i]:.3g}")
    return _out(kl)


# --------------------------------------------------------------------------------------------
# Continuous KL: quadrature and Monte Carlo
# --------------------------------------------------------------------------------------------

def kl_continuous(log_p: Callable[[NDArray[np.float64]], ArrayLike],
                  log_q: Callable[[NDArray[np.float64]], ArrayLike], *,
                  lower: float = -np.inf, upper: float = np.inf, points: ArrayLike | None = None,
                  loc: ArrayLike | None = None, scale: ArrayLike | None = None,
                  rtol: float = 1e-8) -> float:
    r"""KL divergence of univariate densities by adaptive quadrature, in nats.

    .. math:: \mathrm{KL}(p \,\|\, q) = \int p(x) \big(\log p(x) - \log q(x)\big)\, dx ,

    the integrand taken as 0 where :math:`p(x) = 0` -- including where :math:`e^{\log p(x)}`
    underflows, so a node far in the tails, where :math:`\log q` overflows to :math:`-\infty`, adds
    nothing instead of turning the answer into ``inf``. ``log_p`` and ``log_q`` are VECTORISED
    log-densities (e.g. ``scipy.stats.norm(0, 1).logpdf``), integrated over ``[lower, upper]`` (infinite
    limits allowed) by :func:`genmath.numerics.integral` (``vectorized=True``), which locates the mass
    of p -- from ``log_p`` itself when it is a method of a ``scipy.stats`` distribution, else from
    ``loc`` and ``scale`` (where p's mass is and how wide), else from finite limits -- cuts the range at
    ``points`` (e.g. the modes of a mixture, the edges of a support) and raises
    :class:`genmath.numerics.QuadratureError` when its error estimate exceeds ``rtol`` relative.

    Returns ``+inf`` if some quadrature node has :math:`p(x) > 0 = q(x)` (support of p not inside
    support of q; detected at the nodes, so put the support edges in ``points``). The result is >= 0: a
    value below 0 by no more than twice the error estimate is returned as 0; one further below raises
    ``ValueError`` (the inputs are not normalised log-densities). Raises ``ValueError`` where ``log_p``
    or ``log_q`` is NaN or ``+inf``, naming the function and ``x``.
    """
    q_misses_p = False  # set when a node has p(x) > 0 = q(x)

    def integrand(x: NDArray[np.float64]) -> NDArray[np.float64]:
        nonlocal q_misses_p
        lp = np.broadcast_to(np.asarray(log_p(x), dtype=np.float64), x.shape)
        lq = np.broadcast_to(np.asarray(log_q(x), dtype=np.float64), x.shape)
        for values, name in ((lp, "log_p"), (lq, "log_q")):
            bad = np.isnan(values) | (values == np.inf)
            if bad.any():
                i = int(np.argmax(bad))
                validate.fail(name, "a log-density (not NaN, not +inf)", float(values[i]), f" at x = {x[i]!r}")
        density = np.exp(lp)
        live = density > 0  # elsewhere p(x) = 0, or so small that p (log p - log q) is 0 in float64
        outside_q = live & (lq == -np.inf)
        q_misses_p = q_misses_p or bool(outside_q.any())
        use = live & ~outside_q
        return np.where(use, density * (np.where(use, lp, 0.0) - np.where(use, lq, 0.0)), 0.0)

    result = numerics.integral(integrand, lower, upper, name="KL(p || q)", loc=loc, scale=scale,
                               points=points, mass_of={"log_p": log_p}, rtol=rtol, vectorized=True)
    if q_misses_p:
        return math.inf
    if result.value < -2.0 * result.error:
        raise ValueError(f"KL(p || q) by quadrature is {result.value:.6g} < 0 beyond its error estimate "
                         f"{result.error:.2g}: `log_p` and `log_q` must be normalised log-densities")
    return max(result.value, 0.0)


class MonteCarloEstimate(NamedTuple):
    """A Monte Carlo mean with its standard error (sample std / sqrt(n)) and sample size."""

    estimate: float
    std_error: float
    n: int


def kl_monte_carlo(log_p: Callable[[NDArray[np.float64]], ArrayLike],
                   log_q: Callable[[NDArray[np.float64]], ArrayLike],
                   samples: ArrayLike) -> MonteCarloEstimate:
    r"""Unbiased Monte Carlo estimate of :math:`\mathrm{KL}(p \,\|\, q)` from samples of ``p``, nats.

    .. math:: \widehat{\mathrm{KL}}_n = \frac1n \sum_{i=1}^n \big(\log p(x_i) - \log q(x_i)\big),
              \quad x_i \sim p, \qquad \operatorname{Var}\widehat{\mathrm{KL}}_n
              = \frac{\operatorname{Var}_p[\log p - \log q]}{n}

    so the standard error falls as :math:`n^{-1/2}` (variance as :math:`n^{-1}`). ``log_p`` and
    ``log_q`` are vectorised log-densities applied to ``samples`` (shape ``(n,)`` or ``(n, d)``,
    the sample index first); ``n`` >= 2. A single estimate can be negative; its mean is KL >= 0.
    """
    x = validate.array(samples, "samples")
    if x.ndim == 0 or x.shape[0] < 2:
        validate.fail("samples", "at least 2 samples along the first axis", x.shape)
    log_p_x = np.asarray(log_p(x), dtype=np.float64)
    log_q_x = np.asarray(log_q(x), dtype=np.float64)
    if log_p_x.shape != (x.shape[0],) or log_q_x.shape != (x.shape[0],):
        raise ValueError(f"`log_p` and `log_q` must return one value per sample, shape "
                         f"{(x.shape[0],)}; got {log_p_x.shape} and {log_q_x.shape}")
    with np.errstate(invalid="ignore"):  # inf - inf is reported below, naming the sample
        log_ratio = log_p_x - log_q_x
    if np.isnan(log_ratio).any():
        validate.fail("samples", "points where log p - log q is defined (got NaN)",
                      np.asarray(x[np.isnan(log_ratio)][0]))
    n = x.shape[0]
    return MonteCarloEstimate(float(np.mean(log_ratio)),
                              float(np.std(log_ratio, ddof=1) / math.sqrt(n)), n)


# --------------------------------------------------------------------------------------------
# Several variables: conditional entropy and mutual information
# --------------------------------------------------------------------------------------------

def _joint(p: ArrayLike, name: str, ndim: int) -> NDArray[np.float64]:
    """A joint probability table whose LAST ``ndim`` axes are the variables (leading axes: a batch);
    entries >= 0 and not NaN, each table summing to 1 within ``SUM_TOL``."""
    arr = validate.array(p, name)
    if arr.ndim < ndim or 0 in arr.shape[arr.ndim - ndim:]:
        validate.fail(name, f"a joint probability table with {ndim} non-empty variable axes (the last "
                            f"{ndim})", arr.shape)
    batch = arr.shape[:arr.ndim - ndim]
    validate.probabilities(arr.reshape(batch + (-1,)), name)
    return arr


def conditional_entropy(p_xy: ArrayLike, *, base: float | None = None) -> NDArray[np.float64] | np.float64:
    r"""Conditional entropy :math:`H(Y \mid X)` of a joint table ``p_xy[x, y]`` (Cover & Thomas 2006,
    Eq. 2.10), X on the second-to-last axis and Y on the last.

    .. math:: H(Y \mid X) = \sum_x p(x)\, H(Y \mid X = x) = -\sum_{x, y} p(x, y) \log \frac{p(x, y)}{p(x)}
              = -\sum_{x, y} \mathrm{rel\_entr}(p(x, y), p(x)),

    with :math:`p(x) = \sum_y p(x, y)`; every term is :math:`\le 0` (as :math:`p(x, y) \le p(x)`), so the
    result is :math:`\ge 0` exactly, and it is :math:`\le H(Y)` (conditioning reduces entropy). For
    :math:`H(X \mid Y)` pass ``p_xy.T``. Leading axes are a batch. Nats for ``base=None``, bits for 2.
    """
    divisor = validate.log_base(base)
    p = _joint(p_xy, "p_xy", 2)
    p_x = np.broadcast_to(p.sum(axis=-1, keepdims=True), p.shape)
    return _out((0.0 - _rel_entr(p, p_x).sum(axis=(-2, -1))) / divisor)


def mutual_information(p_xy: ArrayLike, *, base: float | None = None) -> NDArray[np.float64] | np.float64:
    r"""Mutual information :math:`I(X; Y)` of a joint table ``p_xy[x, y]`` (Cover & Thomas 2006, Eq. 2.28).

    .. math:: I(X; Y) = \sum_{x, y} p(x, y) \log \frac{p(x, y)}{p(x)\, p(y)}
              = \mathrm{KL}\big(p_{XY} \,\|\, p_X \otimes p_Y\big) \;\ge\; 0,

    zero exactly when X and Y are independent; symmetric in X and Y. A KL divergence, so computed as
    a sum of ``rel_entr`` terms and clipped at 0 (terms of both signs can round to about -1e-16 for an
    independent table). Leading axes are a batch. Nats for ``base=None``, bits for 2.
    """
    divisor = validate.log_base(base)
    p = _joint(p_xy, "p_xy", 2)
    product = p.sum(axis=-1, keepdims=True) * p.sum(axis=-2, keepdims=True)  # p(x) p(y), shape of p
    mi = _rel_entr(p, product).sum(axis=(-2, -1))
    return _out(np.maximum(mi, 0.0) / divisor)


def conditional_mutual_information(p_xyz: ArrayLike, *, base: float | None = None
                                   ) -> NDArray[np.float64] | np.float64:
    r"""Conditional mutual information :math:`I(X; Y \mid Z)` of a joint table ``p_xyz[x, y, z]``
    (Cover & Thomas 2006, Eq. 2.60).

    .. math:: I(X; Y \mid Z) = \sum_{x, y, z} p(x, y, z) \log \frac{p(x, y, z)\, p(z)}{p(x, z)\, p(y, z)}
              = \sum_z p(z)\, \mathrm{KL}\big(p(x, y \mid z) \,\|\, p(x \mid z)\, p(y \mid z)\big) \;\ge\; 0,

    zero exactly when X and Y are independent given Z (e.g. X -> Z -> Y is a Markov chain). Values
    of z with p(z) = 0 contribute nothing. Leading axes are a batch. Nats for ``base=None``, bits for 2.
    """
    divisor = validate.log_base(base)
    p = _joint(p_xyz, "p_xyz", 3)
    p_z = p.sum(axis=(-3, -2), keepdims=True)
    p_xz = p.sum(axis=-2, keepdims=True)
    p_yz = p.sum(axis=-3, keepdims=True)
    # p(x, z) p(y, z) / p(z); where p(z) = 0 every p(x, y, z) is 0 and rel_entr(0, .) = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        reference = np.where(p_z > 0, p_xz * p_yz / np.where(p_z > 0, p_z, 1.0), 0.0)
    cmi = _rel_entr(p, reference).sum(axis=(-3, -2, -1))
    return _out(np.maximum(cmi, 0.0) / divisor)


# --------------------------------------------------------------------------------------------
# Maximum entropy and perplexity
# --------------------------------------------------------------------------------------------

def mvn_entropy(cov: ArrayLike, *, base: float | None = None) -> NDArray[np.float64] | np.float64:
    r"""Differential entropy of :math:`\mathcal N(\mu, \Sigma)` in :math:`\mathbb R^k` (Cover & Thomas
    2006, Thm. 8.4.1), the largest of all densities with covariance :math:`\Sigma` (Thm. 8.6.5).

    .. math:: h(\mathcal N(\mu, \Sigma)) = \tfrac12 \log \det(2 \pi e \Sigma)
              = \tfrac{k}{2} \log(2 \pi e) + \sum_{i=1}^k \log L_{ii}, \qquad \Sigma = L L^\top,

    independent of :math:`\mu`; the log-determinant comes from the Cholesky factor, so it cannot
    overflow. ``cov``: ``(..., k, k)`` symmetric positive definite. Nats for ``base=None``, bits for 2.
    """
    divisor = validate.log_base(base)
    chol = validate.cholesky(cov, "cov")
    k = chol.shape[-1]
    half_log_det = np.sum(np.log(np.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    return _out((0.5 * k * math.log(2.0 * math.pi * math.e) + half_log_det) / divisor)


def perplexity(p: ArrayLike, q: ArrayLike | None = None) -> NDArray[np.float64] | np.float64:
    r"""Perplexity: the exponential of the entropy, or of the cross-entropy of a model ``q`` on data from
    ``p`` (Jelinek et al. 1977).

    .. math:: \mathrm{PPL}(p, q) = e^{H(p, q)} = 2^{H_{\text{bits}}(p, q)}
              = \prod_x q(x)^{-p(x)}, \qquad \mathrm{PPL}(p) = \mathrm{PPL}(p, p) = e^{H(p)},

    a number of outcomes, with no unit: a model that spreads its mass uniformly over K outcomes has
    perplexity K on any data. ``inf`` where ``q`` rules out an outcome of ``p``. Probability vectors on
    the last axis, as for :func:`cross_entropy`.
    """
    nats = entropy(p) if q is None else cross_entropy(p, q)
    with np.errstate(over="ignore"):  # a cross-entropy of more than 709 nats: perplexity inf
        return _out(np.exp(nats))


# --------------------------------------------------------------------------------------------
# Cross-entropy losses: binary, soft targets, label smoothing, distillation
# --------------------------------------------------------------------------------------------

def binary_cross_entropy_with_logits(logits: ArrayLike, targets: ArrayLike, *, base: float | None = None
                                     ) -> NDArray[np.float64] | np.float64:
    r"""Mean binary cross-entropy of targets :math:`y \in [0, 1]` under :math:`\mathrm{Bern}(\sigma(z))`.

    .. math:: \ell(z, y) = H\big(\mathrm{Bern}(y), \mathrm{Bern}(\sigma(z))\big)
              = -y \log \sigma(z) - (1 - y) \log(1 - \sigma(z)) = \log(1 + e^{z}) - y z ,

    computed in the last form as :math:`\max(z, 0) - y z + \log(1 + e^{-|z|})` (``log1p``), which stays
    exact where :math:`\sigma(z)` rounds to 0 or 1 (the naive form gives ``inf`` at z = 40, y = 0).
    Soft targets (label smoothing) are allowed. ``logits`` finite and ``targets`` in [0, 1] broadcast;
    the result is the mean over all entries, like ``torch.nn.BCEWithLogitsLoss``. Nats for
    ``base=None``, bits for 2.
    """
    divisor = validate.log_base(base)
    z = validate.array(logits, "logits")
    y = validate.in_interval(targets, "targets", 0.0, 1.0, closed=True)
    z, y = validate.broadcast((z, "logits"), (y, "targets"))
    if z.size == 0:
        validate.fail("logits", "non-empty", z.shape)
    loss = np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))
    return _out(float(np.mean(loss)) / divisor)


def smoothed_targets(labels: ArrayLike, num_classes: int, epsilon: float) -> NDArray[np.float64]:
    r"""Label-smoothed targets (Szegedy et al. 2016, Sec. 7): rows of

    .. math:: p_\epsilon = (1 - \epsilon)\, \mathbf{e}_y + \epsilon\, u, \qquad u = \tfrac{1}{K} \mathbf 1 ,

    the one-hot target mixed with the uniform distribution on K classes. ``labels``: integers in
    [0, K), any shape; ``epsilon`` in [0, 1]. Returns shape ``labels.shape + (K,)``.
    """
    k = validate.integer(num_classes, "num_classes", lo=1)
    eps = float(validate.in_interval(epsilon, "epsilon", 0.0, 1.0, closed=True))
    y = np.asarray(labels)
    if y.dtype.kind not in "iu":
        validate.fail("labels", "integer class indices", y)
    bad = (y < 0) | (y >= k)
    if bad.any():
        validate.fail("labels", f"in [0, {k})", int(y[bad].flat[0]) if y.ndim else int(y))
    return (1.0 - eps) * np.eye(k)[y] + eps / k


def soft_cross_entropy(logits: ArrayLike, targets: ArrayLike, *, base: float | None = None
                       ) -> NDArray[np.float64] | np.float64:
    r"""Mean cross-entropy of soft targets under a softmax model (label smoothing, distillation).

    .. math:: \frac1N \sum_{n=1}^N H\big(p_n, \mathrm{softmax}(z_n)\big)
              = -\frac1N \sum_{n=1}^N \sum_{k=1}^K p_{n,k} \big(z_{n,k} - \log \textstyle\sum_j e^{z_{n,j}}\big),

    from ``scipy.special.log_softmax``, so it stays finite where a probability underflows. Its gradient
    in :math:`z_n` is :math:`(\mathrm{softmax}(z_n) - p_n) / N`. ``logits``: ``(N, K)`` or ``(K,)``,
    finite; ``targets``: probability vectors of the same shape. With one-hot targets it is
    :func:`softmax_cross_entropy`. Nats for ``base=None``, bits for 2.
    """
    divisor = validate.log_base(base)
    z = validate.array(logits, "logits")
    if z.ndim not in (1, 2) or z.shape[-1] < 1 or z.size == 0:
        validate.fail("logits", "of shape (N, K) or (K,), non-empty", z.shape)
    p = validate.probabilities(targets, "targets")
    validate.same_shape(z, p, "logits", "targets")
    log_q = scipy.special.log_softmax(z, axis=-1)
    ce = -np.sum(np.where(p > 0, p * log_q, 0.0), axis=-1)
    return _out(float(np.mean(ce)) / divisor)


def distillation_loss(student_logits: ArrayLike, teacher_logits: ArrayLike, temperature: float
                      ) -> NDArray[np.float64] | np.float64:
    r"""Hinton et al.'s (2015, Sec. 2) soft-target loss, scaled by :math:`T^2`, mean over examples, nats.

    .. math:: T^2\, \mathrm{KL}\big(\mathrm{softmax}(u / T) \,\|\, \mathrm{softmax}(v / T)\big),

    teacher logits :math:`u`, student logits :math:`v`. It differs from the cross-entropy with the
    teacher's soft targets by the teacher's entropy (no gradient for the student). Its gradient in
    :math:`v` is :math:`T\,(\mathrm{softmax}(v/T) - \mathrm{softmax}(u/T))`, which tends to
    :math:`(v - u)/K` for zero-mean logits as T grows: the factor :math:`T^2` keeps the gradient's scale
    independent of T. Logits ``(N, K)`` or ``(K,)``, finite, same shape; ``temperature`` > 0.
    """
    u = validate.array(teacher_logits, "teacher_logits")
    v = validate.array(student_logits, "student_logits")
    validate.same_shape(v, u, "student_logits", "teacher_logits")
    if v.ndim not in (1, 2) or v.size == 0:
        validate.fail("student_logits", "of shape (N, K) or (K,), non-empty", v.shape)
    t = float(validate.positive(temperature, "temperature"))
    log_p = scipy.special.log_softmax(u / t, axis=-1)
    log_q = scipy.special.log_softmax(v / t, axis=-1)
    kl = np.maximum(np.sum(np.exp(log_p) * (log_p - log_q), axis=-1), 0.0)  # KL >= 0 (Gibbs)
    return _out(t**2 * float(np.mean(kl)))


# --------------------------------------------------------------------------------------------
# f-divergences and variational lower bounds
# --------------------------------------------------------------------------------------------

class FDivergence(NamedTuple):
    r"""A member of the f-divergence family :math:`D_f(p, q) = \sum_x q(x) f(p(x)/q(x))`.

    ``f`` is the generator (convex on :math:`t \ge 0`, :math:`f(1) = 0`; ``f(0)`` is its limit),
    ``conjugate`` its convex conjugate :math:`f^*(u) = \sup_{t \ge 0}(u t - f(t))` (``inf`` outside its
    domain), ``derivative`` :math:`f'`, whose value at :math:`p/q` is the optimal critic, and
    ``slope_at_infinity`` :math:`\lim_{t \to \infty} f(t)/t`, the weight of mass of p where q = 0.
    """

    f: Callable[[NDArray[np.float64]], NDArray[np.float64]]
    conjugate: Callable[[NDArray[np.float64]], NDArray[np.float64]]
    derivative: Callable[[NDArray[np.float64]], NDArray[np.float64]]
    slope_at_infinity: float


def _where_domain(ok: NDArray[np.bool_], value: Callable[[], NDArray[np.float64]]) -> NDArray[np.float64]:
    """``value()`` where ``ok``, +inf elsewhere (a conjugate outside its domain)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return np.where(ok, value(), np.inf)


def _kl_f(t: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(scipy.special.xlogy(t, t))


def _reverse_kl_f(t: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore"):
        return -np.log(t)


def _jsd_f(t: NDArray[np.float64]) -> NDArray[np.float64]:
    return 0.5 * (scipy.special.xlogy(t, t) - (t + 1.0) * np.log((t + 1.0) / 2.0))


#: The members of the family used on the site (Nowozin et al. 2016, Table 1; conjugates Table 6),
#: by name. D_f with ``"kl"`` is KL(p || q), with ``"reverse_kl"`` KL(q || p), with ``"jsd"`` the
#: Jensen-Shannon divergence, with ``"tv"`` the total variation, with ``"chi2"`` Pearson's
#: chi^2(p || q) = sum (p - q)^2 / q.
F_DIVERGENCES: dict[str, FDivergence] = {
    "kl": FDivergence(_kl_f, lambda u: np.exp(u - 1.0), lambda t: 1.0 + np.log(t), math.inf),
    "reverse_kl": FDivergence(_reverse_kl_f, lambda u: _where_domain(u < 0, lambda: -1.0 - np.log(-u)),
                              lambda t: -1.0 / t, 0.0),
    "jsd": FDivergence(_jsd_f,
                       lambda u: _where_domain(u < 0.5 * math.log(2.0),
                                               lambda: -0.5 * np.log(2.0 - np.exp(2.0 * u))),
                       lambda t: 0.5 * np.log(2.0 * t / (t + 1.0)), 0.5 * math.log(2.0)),
    "tv": FDivergence(lambda t: 0.5 * np.abs(t - 1.0),
                      lambda u: _where_domain(u <= 0.5, lambda: np.maximum(u, -0.5)),
                      lambda t: 0.5 * np.sign(t - 1.0), 0.5),
    "chi2": FDivergence(lambda t: (t - 1.0) ** 2,
                        lambda u: np.where(u >= -2.0, u + u**2 / 4.0, -1.0),
                        lambda t: 2.0 * (t - 1.0), math.inf),
}


def _f_member(kind: str) -> FDivergence:
    if kind not in F_DIVERGENCES:
        validate.fail("kind", f"one of {sorted(F_DIVERGENCES)}", kind)
    return F_DIVERGENCES[kind]


def f_divergence(p: ArrayLike, q: ArrayLike, kind: str) -> NDArray[np.float64] | np.float64:
    r"""The f-divergence of discrete distributions (Csiszár 1967; Ali & Silvey 1966), in nats.

    .. math:: D_f(p, q) = \sum_{x : q(x) > 0} q(x)\, f\!\left(\frac{p(x)}{q(x)}\right)
              + f'(\infty) \sum_{x : q(x) = 0} p(x), \qquad f'(\infty) = \lim_{t \to \infty} f(t)/t,

    for the member ``kind`` of :data:`F_DIVERGENCES` (``"kl"``, ``"reverse_kl"``, ``"jsd"``, ``"tv"``,
    ``"chi2"``). :math:`D_f \ge 0` with equality at :math:`p = q` (Jensen, f convex, f(1) = 0); a
    negative rounding error is clipped. Same shapes; rows sum to 1 within ``SUM_TOL``.
    """
    member = _f_member(kind)
    p_arr, q_arr = _pair(p, q)
    positive = q_arr > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(positive, p_arr / np.where(positive, q_arr, 1.0), 1.0)
        inside = np.where(positive, q_arr * member.f(ratio), 0.0)
    outside_mass = np.where(positive, 0.0, p_arr).sum(axis=-1)
    with np.errstate(invalid="ignore"):  # 0 * inf = 0: no mass of p where q = 0
        outside = np.where(outside_mass > 0, member.slope_at_infinity * outside_mass, 0.0)
    return _out(np.maximum(inside.sum(axis=-1) + outside, 0.0))


def _weighted_mean(values: NDArray[np.float64], weights: ArrayLike | None, name: str) -> float:
    if weights is None:
        return float(np.mean(values))
    w = validate.probabilities(weights, name)
    validate.same_shape(w, values, name, "critic values")
    with np.errstate(invalid="ignore"):  # weight 0 at an infinite value contributes nothing
        return float(np.sum(np.where(w > 0, w * values, 0.0)))


def _critic(t: ArrayLike, name: str) -> NDArray[np.float64]:
    arr = validate.array(t, name)
    if arr.ndim != 1 or arr.size == 0:
        validate.fail(name, "a non-empty 1-D array of critic values", arr.shape)
    return arr


def f_variational_bound(t_p: ArrayLike, t_q: ArrayLike, kind: str, *, weights_p: ArrayLike | None = None,
                        weights_q: ArrayLike | None = None) -> float:
    r"""The variational lower bound on an f-divergence (Nguyen, Wainwright & Jordan 2010, Lemma 1;
    Nowozin et al. 2016, Eq. 4), in nats:

    .. math:: \mathbb{E}_{x \sim p}[T(x)] - \mathbb{E}_{x \sim q}[f^*(T(x))] \;\le\; D_f(p, q),

    for any critic T, with equality at :math:`T = f'(p/q)`. ``t_p`` and ``t_q`` are the critic's values
    at samples of p and of q (sample means), or at the outcomes of discrete laws with their
    probabilities as ``weights_p`` and ``weights_q`` (exact expectations). A critic value outside the
    conjugate's domain gives ``-inf``. With ``kind="kl"`` this is the NWJ bound
    :math:`\mathbb{E}_p[T] - \mathbb{E}_q[e^{T - 1}]`.
    """
    member = _f_member(kind)
    a = _weighted_mean(_critic(t_p, "t_p"), weights_p, "weights_p")
    b = _weighted_mean(np.asarray(member.conjugate(_critic(t_q, "t_q")), dtype=np.float64), weights_q,
                       "weights_q")
    return a - b


def donsker_varadhan_bound(t_p: ArrayLike, t_q: ArrayLike, *, weights_p: ArrayLike | None = None,
                           weights_q: ArrayLike | None = None) -> float:
    r"""The Donsker-Varadhan lower bound on :math:`\mathrm{KL}(p \,\|\, q)` (Donsker & Varadhan 1983;
    Belghazi et al. 2018, Thm. 1), in nats:

    .. math:: \mathbb{E}_{x \sim p}[T(x)] - \log \mathbb{E}_{x \sim q}\big[e^{T(x)}\big]
              \;\le\; \mathrm{KL}(p \,\|\, q),

    with equality at :math:`T = \log(p/q) + c` for any constant c; it is never below the NWJ bound of
    :func:`f_variational_bound` for the same T (as :math:`\log y \le y / e`). The log-mean-exp is
    computed with ``logsumexp``. Arguments as for :func:`f_variational_bound`. With samples, the
    estimate of :math:`\log \mathbb{E}_q[e^T]` is biased (a log of a mean): the bound then holds in
    expectation only approximately.
    """
    a = _weighted_mean(_critic(t_p, "t_p"), weights_p, "weights_p")
    tq = _critic(t_q, "t_q")
    if weights_q is None:
        log_mean_exp = float(scipy.special.logsumexp(tq) - math.log(tq.size))
    else:
        w = validate.probabilities(weights_q, "weights_q")
        validate.same_shape(w, tq, "weights_q", "critic values")
        log_mean_exp = float(scipy.special.logsumexp(np.where(w > 0, tq, -np.inf), b=w))
    return a - log_mean_exp


# --------------------------------------------------------------------------------------------
# Monte Carlo estimators of KL (Schulman 2020) and the local quadratic form
# --------------------------------------------------------------------------------------------

class KLEstimatorTerms(NamedTuple):
    r"""Per-sample terms of three Monte Carlo estimators of :math:`\mathrm{KL}(p \,\|\, q)`, x ~ p,
    :math:`r = q(x)/p(x)`: ``k1`` :math:`= -\log r`, ``k2`` :math:`= \tfrac12 (\log r)^2`,
    ``k3`` :math:`= (r - 1) - \log r`. Their means estimate the KL."""

    k1: NDArray[np.float64]
    k2: NDArray[np.float64]
    k3: NDArray[np.float64]


def kl_estimator_terms(log_p_x: ArrayLike, log_q_x: ArrayLike) -> KLEstimatorTerms:
    r"""Schulman's (2020) three per-sample estimators of :math:`\mathrm{KL}(p \,\|\, q)` at samples x ~ p,
    from the log-densities there, :math:`\log r = \log q(x) - \log p(x)`:

    .. math:: k_1 = -\log r, \qquad k_2 = \tfrac12 (\log r)^2, \qquad k_3 = (r - 1) - \log r ,

    :math:`k_1` unbiased; :math:`k_2` biased (its mean is :math:`\tfrac12 \mathbb{E}_p[(\log r)^2]`);
    :math:`k_3` unbiased when q is absolutely continuous with respect to p (then
    :math:`\mathbb{E}_p[r] = 1`) and :math:`\ge 0` for every sample. :math:`k_3` is computed as
    ``expm1(log r) - log r``, exact for r near 1. ``log_p_x`` finite (x is a sample of p);
    ``log_q_x`` may be ``-inf`` (then k1 = k3 = inf); k3 is also ``inf`` where r exceeds the largest
    float64 (log r > 709). Same shapes.
    """
    log_p = validate.array(log_p_x, "log_p_x")
    log_q = validate.array(log_q_x, "log_q_x", allow_inf=True)
    validate.same_shape(log_p, log_q, "log_p_x", "log_q_x")
    if np.any(log_q == np.inf):
        validate.fail("log_q_x", "< +inf (densities are finite)", np.inf)
    log_r = log_q - log_p
    with np.errstate(invalid="ignore", over="ignore"):  # expm1(-inf) + inf = inf; r > 1e308 is inf too
        k3 = np.where(np.isneginf(log_r), np.inf, np.expm1(log_r) - log_r)
    return KLEstimatorTerms(-log_r, 0.5 * log_r**2, np.maximum(k3, 0.0))


def kl_fisher_quadratic(fisher: ArrayLike, delta: ArrayLike) -> NDArray[np.float64] | np.float64:
    r"""The local quadratic form of the KL divergence in a parametric family (Kullback 1959, Ch. 2):

    .. math:: \mathrm{KL}(p_\theta \,\|\, p_{\theta + \delta}) = \tfrac12\, \delta^\top I(\theta)\, \delta
              + O(\lVert\delta\rVert^3),

    this function returning the quadratic term, in nats. ``fisher``: the Fisher information matrix
    ``(d, d)`` (symmetric positive semi-definite; a scalar for d = 1); ``delta``: ``(..., d)``.
    """
    i = validate.array(fisher, "fisher")
    i = i.reshape(1, 1) if i.ndim == 0 else i
    if i.ndim != 2 or i.shape[0] != i.shape[1]:
        validate.fail("fisher", "a square matrix (or a scalar)", i.shape)
    if not np.allclose(i, i.T, rtol=1e-10, atol=1e-12):
        validate.fail("fisher", "symmetric", i)
    d = validate.array(delta, "delta")
    d = d.reshape(1) if d.ndim == 0 and i.shape == (1, 1) else d
    if d.ndim < 1 or d.shape[-1] != i.shape[0]:
        validate.fail("delta", f"a vector of length {i.shape[0]} (or a batch of them)", d.shape)
    return _out(0.5 * np.einsum("...i,ij,...j->...", d, i, d))


# --------------------------------------------------------------------------------------------
# KL-regularised optimisation (the RLHF objective)
# --------------------------------------------------------------------------------------------

class KLRegularisedOptimum(NamedTuple):
    r"""The maximiser of :math:`\mathbb{E}_{\pi}[r] - \beta\,\mathrm{KL}(\pi \,\|\, \pi_{\mathrm{ref}})`:
    ``policy`` :math:`\pi^*`, ``log_partition`` :math:`\log Z`, and ``value`` :math:`\beta \log Z`, the
    maximum (nats times the reward's unit)."""

    policy: NDArray[np.float64]
    log_partition: float
    value: float


def kl_regularised_objective(pi: ArrayLike, pi_ref: ArrayLike, reward: ArrayLike, beta: float) -> float:
    r"""The KL-regularised objective of RLHF (Ziegler et al. 2019; Ouyang et al. 2022, Eq. 2) on a
    finite set of responses:

    .. math:: J(\pi) = \mathbb{E}_{y \sim \pi}[r(y)] - \beta\, \mathrm{KL}(\pi \,\|\, \pi_{\mathrm{ref}}),

    ``-inf`` if :math:`\pi` puts mass where :math:`\pi_{\mathrm{ref}}` has none. ``pi``, ``pi_ref``:
    probability vectors; ``reward``: finite, same shape; ``beta`` > 0.
    """
    p, ref = _pair(pi, pi_ref)
    r = validate.array(reward, "reward")
    validate.same_shape(p, r, "pi", "reward")
    b = float(validate.positive(beta, "beta"))
    return float(np.sum(p * r) - b * kl_divergence(p, ref))


def kl_regularised_optimum(pi_ref: ArrayLike, reward: ArrayLike, beta: float) -> KLRegularisedOptimum:
    r"""The maximiser of :func:`kl_regularised_objective` (derived in docs/kl.md; Rafailov et al. 2023,
    Eq. 4):

    .. math:: \pi^*(y) = \frac{\pi_{\mathrm{ref}}(y)\, e^{r(y)/\beta}}{Z}, \qquad
              Z = \sum_y \pi_{\mathrm{ref}}(y)\, e^{r(y)/\beta}, \qquad J(\pi^*) = \beta \log Z ,

    computed in log space (``log_softmax``, ``logsumexp``), so large rewards do not overflow.
    ``pi_ref``: a probability vector; ``reward``: finite, same shape; ``beta`` > 0.
    """
    ref = validate.probabilities(pi_ref, "pi_ref")
    if ref.ndim != 1:
        validate.fail("pi_ref", "a single probability vector (1-D)", ref.shape)
    r = validate.array(reward, "reward")
    validate.same_shape(ref, r, "pi_ref", "reward")
    b = float(validate.positive(beta, "beta"))
    with np.errstate(divide="ignore"):
        logits = np.log(ref) + r / b  # -inf where pi_ref = 0: no mass there
    log_z = float(scipy.special.logsumexp(logits))
    policy = np.exp(logits - log_z)
    return KLRegularisedOptimum(policy, log_z, b * log_z)
