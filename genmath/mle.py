r"""Maximum-likelihood estimates (MLEs) and log-likelihoods, in closed form and by gradient descent.

Every log-likelihood is in **nats** (natural logarithms). Data sets are laid out with observations
along the **last axis**; leading axes are a batch of independent data sets, and parameters broadcast
against those leading axes (so a grid of parameter values can be evaluated in one call).

Conventions: :math:`n` observations, :math:`k` successes (Bernoulli), :math:`n_k` counts of category
:math:`k` (categorical). :math:`\ell(\theta) = \log L(\theta) = \sum_i \log p_\theta(x_i)`.

Derivations are in the chapter ``docs/mle.md``; textbook sources:

- Bishop, *Pattern Recognition and Machine Learning* (2006) [PRML]: Bernoulli/binomial Sec. 2.1,
  eqs. (2.5)-(2.9); Beta prior eqs. (2.13), (2.18); multinomial Sec. 2.2, eqs. (2.29)-(2.34);
  Gaussian Sec. 1.2.4, eqs. (1.53)-(1.58); Gaussian NLL as a sum of squares eq. (1.62).
- Murphy, *Machine Learning: A Probabilistic Perspective* (2012), Sec. 3.3: Beta-Bernoulli posterior
  and its mode (the MAP estimate).
- van der Vaart, *Asymptotic Statistics* (1998), Theorem 5.39: asymptotic normality of the MLE,
  :math:`\sqrt{n}(\hat\theta - \theta) \to \mathcal{N}(0, \mathcal{I}(\theta)^{-1})`.
- Theis, van den Oord & Bethge, "A note on the evaluation of generative models" (ICLR 2016):
  log-likelihoods reported in bits per dimension.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln, xlog1py, xlogy

from genmath import validate

if TYPE_CHECKING:  # torch is imported lazily: only the gradient-descent functions need it
    import torch

Array = NDArray[np.float64]


# ---------------------------------------------------------------------------------------------
# validation helpers specific to data sets
# ---------------------------------------------------------------------------------------------

def _data(x: ArrayLike, name: str) -> Array:
    """A finite data array with at least one observation along its last axis."""
    arr = validate.array(x, name)
    if arr.ndim == 0:
        validate.fail(name, "a data array (at least 1-D, observations on the last axis)", arr)
    if arr.shape[-1] == 0:
        validate.fail(name, "non-empty (at least one observation on the last axis)", arr)
    return arr


def _binary(x: ArrayLike, name: str) -> Array:
    """Bernoulli observations: a non-empty array of 0s and 1s."""
    arr = _data(x, name)
    bad = (arr != 0) & (arr != 1)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        validate.fail(name, "0 or 1 (Bernoulli observations)", arr[bad].flat[0], f" (at index {idx})")
    return arr


def _counts_k_n(k: ArrayLike, n: ArrayLike, *, n_min: int = 0) -> tuple[Array, Array]:
    """Success counts ``k`` and trial counts ``n``: integers with 0 <= k <= n and n >= n_min."""
    k_arr = validate.nonnegative_integers(k, "k")
    n_arr = validate.nonnegative_integers(n, "n")
    k_arr, n_arr = validate.broadcast((k_arr, "k"), (n_arr, "n"))
    small = n_arr < n_min
    if small.any():
        validate.fail("n", f">= {n_min}", n_arr[small].flat[0] if n_arr.ndim else n_arr)
    over = k_arr > n_arr
    if over.any():
        k_bad = k_arr[over].flat[0] if k_arr.ndim else k_arr
        n_bad = n_arr[over].flat[0] if n_arr.ndim else n_arr
        validate.fail("k", f"<= n (= {n_bad:g})", k_bad)
    return k_arr, n_arr


def _unit_interval(p: ArrayLike, name: str = "p") -> Array:
    return validate.in_interval(p, name, 0.0, 1.0, closed=True)


def _nonnegative(x: ArrayLike, name: str) -> Array:
    arr = validate.array(x, name)
    bad = arr < 0
    if bad.any():
        validate.fail(name, ">= 0", arr[bad].flat[0] if arr.ndim else arr)
    return arr


def _scalar_or_array(x: Array) -> Any:
    """Return a Python float for 0-d results, the array otherwise."""
    return float(x) if np.ndim(x) == 0 else x


# ---------------------------------------------------------------------------------------------
# Bernoulli and binomial
# ---------------------------------------------------------------------------------------------

def log_binomial_coefficient(n: ArrayLike, k: ArrayLike) -> Any:
    r"""Natural log of the binomial coefficient, via log-gamma (exact for large ``n``).

    .. math:: \log\binom{n}{k} = \log\Gamma(n+1) - \log\Gamma(k+1) - \log\Gamma(n-k+1)

    ``n``, ``k``: integer counts with :math:`0 \le k \le n` (broadcast together).
    """
    k_arr, n_arr = _counts_k_n(k, n)
    return _scalar_or_array(gammaln(n_arr + 1) - gammaln(k_arr + 1) - gammaln(n_arr - k_arr + 1))


def binomial_mle(k: ArrayLike, n: ArrayLike) -> Any:
    r"""MLE of the success probability from ``k`` successes in ``n`` trials (PRML eq. 2.8).

    .. math:: \hat p = \frac{k}{n}

    Derived by setting :math:`\frac{d\ell}{dp} = \frac{k}{p} - \frac{n-k}{1-p} = 0`.
    ``k``, ``n``: integer counts, :math:`0 \le k \le n`, :math:`n \ge 1`; broadcast together.
    """
    k_arr, n_arr = _counts_k_n(k, n, n_min=1)
    return _scalar_or_array(k_arr / n_arr)


def bernoulli_mle(x: ArrayLike) -> Any:
    r"""MLE of the success probability from 0/1 observations ``x`` (last axis) (PRML eq. 2.7).

    .. math:: \hat p = \frac{1}{n}\sum_{i=1}^n x_i = \frac{k}{n}

    Computed as :func:`binomial_mle` of the counts :math:`k = \sum_i x_i` and :math:`n`.
    """
    arr = _binary(x, "x")
    return binomial_mle(arr.sum(axis=-1), arr.shape[-1])


def bernoulli_sequence_log_likelihood(p: ArrayLike, k: ArrayLike, n: ArrayLike) -> Any:
    r"""Log-likelihood (nats) of one particular sequence of ``n`` tosses with ``k`` successes.

    .. math:: \ell(p) = \sum_{i=1}^n \bigl[x_i\log p + (1-x_i)\log(1-p)\bigr] = k\log p + (n-k)\log(1-p)

    (PRML eq. 2.6). Uses ``xlogy``/``xlog1py`` so that :math:`0\log 0 = 0`: ``p = 0`` with ``k = 0``
    gives 0, and ``p = 0`` with ``k > 0`` gives :math:`-\infty` (the data are impossible).
    ``p`` in [0, 1]; ``k``, ``n`` integer counts with :math:`0 \le k \le n`; all broadcast together.
    """
    p_arr = _unit_interval(p)
    k_arr, n_arr = _counts_k_n(k, n)
    p_arr, k_arr, n_arr = validate.broadcast((p_arr, "p"), (k_arr, "k"), (n_arr, "n"))
    successes = xlogy(k_arr, p_arr)
    failures = xlog1py(n_arr - k_arr, -p_arr)
    return _scalar_or_array(successes + failures)


def bernoulli_log_likelihood(p: ArrayLike, x: ArrayLike) -> Any:
    r"""Log-likelihood (nats) of 0/1 observations ``x`` (last axis) under Bernoulli(``p``).

    .. math:: \ell(p) = \sum_{i=1}^n \bigl[x_i\log p + (1-x_i)\log(1-p)\bigr]

    Reduces to :func:`bernoulli_sequence_log_likelihood` of :math:`k = \sum_i x_i` successes.
    ``p`` broadcasts against the leading (batch) axes of ``x``.
    """
    arr = _binary(x, "x")
    return bernoulli_sequence_log_likelihood(p, arr.sum(axis=-1), arr.shape[-1])


def binomial_log_likelihood(p: ArrayLike, k: ArrayLike, n: ArrayLike) -> Any:
    r"""Log-likelihood (nats) of observing ``k`` successes in ``n`` trials: the binomial log-pmf.

    .. math:: \ell(p) = \log\binom{n}{k} + k\log p + (n-k)\log(1-p)

    (PRML eq. 2.9). The log binomial coefficient does not depend on ``p``, so the maximiser is the
    same as for the sequence log-likelihood.
    """
    sequence = np.asarray(bernoulli_sequence_log_likelihood(p, k, n))
    return _scalar_or_array(np.asarray(log_binomial_coefficient(n, k)) + sequence)


# ---------------------------------------------------------------------------------------------
# Gaussian
# ---------------------------------------------------------------------------------------------

def gaussian_mle(x: ArrayLike) -> tuple[Any, Any]:
    r"""MLE :math:`(\hat\mu, \hat\sigma^2)` of a Gaussian from observations ``x`` (last axis).

    .. math::
        \hat\mu = \frac{1}{n}\sum_{i=1}^n x_i, \qquad
        \hat\sigma^2 = \frac{1}{n}\sum_{i=1}^n (x_i - \hat\mu)^2

    (PRML eqs. 1.55-1.56). The variance divides by :math:`n`, **not** :math:`n-1`: it is the
    biased MLE, :math:`\mathbb{E}[\hat\sigma^2] = \frac{n-1}{n}\sigma^2` (see
    :func:`gaussian_variance_mle_bias`). For a single observation, or identical observations,
    :math:`\hat\sigma^2 = 0`: the likelihood is unbounded and no Gaussian MLE exists.
    """
    arr = _data(x, "x")
    mu_hat = arr.mean(axis=-1)
    sigma2_hat = ((arr - mu_hat[..., None]) ** 2).mean(axis=-1)
    return _scalar_or_array(mu_hat), _scalar_or_array(sigma2_hat)


def gaussian_variance_mle_bias(sigma2: ArrayLike, n: ArrayLike) -> Any:
    r"""Bias of the MLE variance from ``n`` i.i.d. Gaussian observations with variance ``sigma2``.

    .. math::
        \mathbb{E}[\hat\sigma^2] - \sigma^2 = \frac{n-1}{n}\sigma^2 - \sigma^2 = -\frac{\sigma^2}{n}

    (PRML eq. 1.58; derived in the chapter). ``sigma2`` > 0, ``n`` an integer >= 1.
    """
    sigma2_arr = validate.positive(sigma2, "sigma2")
    n_arr = validate.nonnegative_integers(n, "n")
    small = n_arr < 1
    if small.any():
        validate.fail("n", ">= 1", n_arr[small].flat[0] if n_arr.ndim else n_arr)
    sigma2_arr, n_arr = validate.broadcast((sigma2_arr, "sigma2"), (n_arr, "n"))
    return _scalar_or_array(-sigma2_arr / n_arr)


def gaussian_log_likelihood(x: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> Any:
    r"""Log-likelihood (nats) of observations ``x`` (last axis) under :math:`\mathcal{N}(\mu,\sigma^2)`.

    .. math::
        \ell(\mu,\sigma) = -\frac{n}{2}\log(2\pi\sigma^2) - \frac{1}{2\sigma^2}\sum_{i=1}^n (x_i-\mu)^2
                         = -\frac{n}{2\sigma^2}\,\mathrm{MSE} - \frac{n}{2}\log(2\pi\sigma^2)

    with :math:`\mathrm{MSE} = \frac1n\sum_i (x_i-\mu)^2` (PRML eqs. 1.54, 1.62). ``mu`` and
    ``sigma`` (> 0) broadcast against the leading axes of ``x``, e.g. ``mu`` of shape ``(m,)``
    with 1-D ``x`` evaluates the log-likelihood on a grid of ``m`` means.

    Computed as :math:`-\tfrac12 \sum_i z_i^2 - n \log\sigma - \tfrac n2 \log 2\pi` with
    :math:`z_i = (x_i - \mu)/\sigma`, never forming :math:`\sigma^2`, so it is exact for
    :math:`\sigma` anywhere from 1e-300 to 1e300 (``x = [0], mu = 0, sigma = 1e-300``: 689.9 nats). A
    log-likelihood beyond float64 (e.g. :math:`|x - \mu| / \sigma > 10^{154}`) raises ``ValueError``
    naming ``x``, ``mu`` and ``sigma``.
    """
    arr = _data(x, "x")
    mu_arr = validate.array(mu, "mu")
    sigma_arr = validate.positive(sigma, "sigma")
    batch = arr.shape[:-1]
    try:
        shape = np.broadcast_shapes(batch, mu_arr.shape, sigma_arr.shape)
    except ValueError:
        raise ValueError(f"shapes do not broadcast: leading axes of `x` {batch}, "
                         f"`mu` {mu_arr.shape}, `sigma` {sigma_arr.shape}") from None
    n = arr.shape[-1]
    mu_b, sigma_b = mu_arr[..., None], sigma_arr[..., None]
    with np.errstate(over="ignore"):
        gap = arr - mu_b  # may overflow (1e308 - (-1e308)) where the standardised gap does not
        z = np.where(np.isfinite(gap), gap / sigma_b, arr / sigma_b - mu_b / sigma_b)
        ell = -0.5 * np.sum(z * z, axis=-1) - n * np.log(sigma_arr) - 0.5 * n * math.log(2.0 * math.pi)
    ell = np.broadcast_to(ell, shape)
    validate.no_overflow(ell, "the Gaussian log-likelihood", (np.max(np.abs(arr), axis=-1), "x (largest |x|)"),
                         (mu_arr, "mu"), (sigma_arr, "sigma"))
    return _scalar_or_array(ell)


# ---------------------------------------------------------------------------------------------
# Poisson
# ---------------------------------------------------------------------------------------------

def poisson_mle(x: ArrayLike) -> Any:
    r"""MLE of the Poisson rate from count observations ``x`` (last axis): the sample mean.

    .. math:: \hat\lambda = \frac{1}{n}\sum_{i=1}^n x_i

    Derived by setting :math:`\frac{d\ell}{d\lambda} = \frac{1}{\lambda}\sum_i x_i - n = 0`.
    If every observation is 0, :math:`\hat\lambda = 0` (the likelihood :math:`e^{-n\lambda}`
    is maximised on the boundary).
    """
    arr = _data(x, "x")
    arr = validate.nonnegative_integers(arr, "x")
    return _scalar_or_array(arr.mean(axis=-1))


def poisson_log_likelihood(lam: ArrayLike, x: ArrayLike) -> Any:
    r"""Log-likelihood (nats) of counts ``x`` (last axis) under Poisson(``lam``).

    .. math::
        \ell(\lambda) = \sum_{i=1}^n \bigl[x_i\log\lambda - \lambda - \log x_i!\bigr]
                      = \Bigl(\sum_i x_i\Bigr)\log\lambda - n\lambda - \sum_i \log\Gamma(x_i+1)

    ``lam`` >= 0 broadcasts against the leading axes of ``x``; :math:`\lambda = 0` gives 0 for
    all-zero data and :math:`-\infty` otherwise.
    """
    arr = _data(x, "x")
    arr = validate.nonnegative_integers(arr, "x")
    lam_arr = _nonnegative(lam, "lam")
    total = arr.sum(axis=-1)
    log_factorials = gammaln(arr + 1).sum(axis=-1)
    n = arr.shape[-1]
    total, lam_arr, log_factorials = validate.broadcast(
        (total, "x (summed)"), (lam_arr, "lam"), (log_factorials, "x (log factorials)"))
    return _scalar_or_array(xlogy(total, lam_arr) - n * lam_arr - log_factorials)


# ---------------------------------------------------------------------------------------------
# Categorical and multinomial
# ---------------------------------------------------------------------------------------------

def _category_counts(counts: ArrayLike) -> Array:
    arr = validate.nonnegative_integers(counts, "counts")
    if arr.ndim == 0:
        validate.fail("counts", "a vector of category counts (at least 1-D)", arr)
    if arr.shape[-1] == 0:
        validate.fail("counts", "non-empty along its last axis (at least one category)", arr)
    return arr


def categorical_mle(counts: ArrayLike) -> Array:
    r"""MLE of categorical probabilities from category counts :math:`n_k` (last axis) (PRML eq. 2.33).

    .. math:: \hat\pi_k = \frac{n_k}{n}, \qquad n = \sum_k n_k

    Derived with a Lagrange multiplier for :math:`\sum_k \pi_k = 1`. This is also the empirical
    distribution :math:`\hat p_{\mathrm{data}}`. Every row needs :math:`n \ge 1`.
    """
    arr = _category_counts(counts)
    n = arr.sum(axis=-1, keepdims=True)
    empty = n == 0
    if empty.any():
        validate.fail("counts", "a count vector with total >= 1 (no data)", n[empty].flat[0])
    return arr / n


def categorical_log_likelihood(p: ArrayLike, counts: ArrayLike) -> Any:
    r"""Log-likelihood (nats) of one sequence with category counts :math:`n_k` under probabilities ``p``.

    .. math:: \ell(\pi) = \sum_{i=1}^n \log \pi_{x_i} = \sum_{k=1}^K n_k \log \pi_k

    ``p``: probability vectors on the last axis; broadcasts with ``counts``. A category with
    :math:`\pi_k = 0` and :math:`n_k > 0` gives :math:`-\infty`; :math:`0\log 0 = 0`.
    Dividing by :math:`-n` gives the cross-entropy :math:`H(\hat p_{\mathrm{data}}, \pi)` in nats.
    """
    p_arr = validate.probabilities(p, "p")
    arr = _category_counts(counts)
    if p_arr.shape[-1] != arr.shape[-1]:
        raise ValueError(f"`p` and `counts` must have the same number of categories (last axis); "
                         f"got {p_arr.shape[-1]} and {arr.shape[-1]}")
    p_arr, arr = validate.broadcast((p_arr, "p"), (arr, "counts"))
    return _scalar_or_array(xlogy(arr, p_arr).sum(axis=-1))


def log_multinomial_coefficient(counts: ArrayLike) -> Any:
    r"""Natural log of the multinomial coefficient of counts :math:`n_k` (last axis).

    .. math:: \log\frac{n!}{\prod_k n_k!} = \log\Gamma(n+1) - \sum_k \log\Gamma(n_k+1)
    """
    arr = _category_counts(counts)
    return _scalar_or_array(gammaln(arr.sum(axis=-1) + 1) - gammaln(arr + 1).sum(axis=-1))


def multinomial_log_likelihood(p: ArrayLike, counts: ArrayLike) -> Any:
    r"""Log-likelihood (nats) of the counts :math:`n_k` themselves: the multinomial log-pmf (PRML eq. 2.34).

    .. math:: \ell(\pi) = \log\frac{n!}{\prod_k n_k!} + \sum_{k=1}^K n_k\log\pi_k

    The coefficient does not depend on :math:`\pi`: same maximiser as :func:`categorical_log_likelihood`.
    """
    sequence = np.asarray(categorical_log_likelihood(p, counts))
    return _scalar_or_array(np.asarray(log_multinomial_coefficient(counts)) + sequence)


# ---------------------------------------------------------------------------------------------
# Fisher information
# ---------------------------------------------------------------------------------------------

def fisher_information_bernoulli(p: ArrayLike) -> Any:
    r"""Fisher information of one Bernoulli(``p``) observation, ``p`` in (0, 1).

    .. math::
        \mathcal{I}(p) = -\mathbb{E}\Bigl[\frac{\partial^2}{\partial p^2}\log f(x;p)\Bigr]
                       = \frac{p}{p^2} + \frac{1-p}{(1-p)^2} = \frac{1}{p(1-p)}

    By van der Vaart (1998, Thm. 5.39), :math:`\sqrt{n}(\hat p - p) \to \mathcal{N}(0, p(1-p))`.
    """
    p_arr = validate.in_interval(p, "p", 0.0, 1.0)
    return _scalar_or_array(1.0 / (p_arr * (1.0 - p_arr)))


def fisher_information_gaussian_mean(sigma: ArrayLike) -> Any:
    r"""Fisher information about the mean :math:`\mu` of one :math:`\mathcal{N}(\mu, \sigma^2)` observation.

    .. math::
        \mathcal{I}(\mu) = -\mathbb{E}\Bigl[\frac{\partial^2}{\partial\mu^2}
            \Bigl(-\frac{(x-\mu)^2}{2\sigma^2}\Bigr)\Bigr] = \frac{1}{\sigma^2}

    so :math:`\sqrt{n}(\hat\mu - \mu) \sim \mathcal{N}(0, \sigma^2)` (exactly, for every :math:`n`).
    """
    sigma_arr = validate.positive(sigma, "sigma")
    return _scalar_or_array(1.0 / sigma_arr**2)


def fisher_information_poisson(lam: ArrayLike) -> Any:
    r"""Fisher information of one Poisson(``lam``) observation, ``lam`` > 0.

    .. math::
        \mathcal{I}(\lambda) = -\mathbb{E}\Bigl[\frac{\partial^2}{\partial\lambda^2}
            (x\log\lambda - \lambda)\Bigr] = \frac{\mathbb{E}[x]}{\lambda^2} = \frac{1}{\lambda}
    """
    lam_arr = validate.positive(lam, "lam")
    return _scalar_or_array(1.0 / lam_arr)


# ---------------------------------------------------------------------------------------------
# Numerical MLE by gradient descent (torch)
# ---------------------------------------------------------------------------------------------

def _gaussian_mean_nll_torch(x: torch.Tensor, mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    r"""Mean negative log-likelihood :math:`\bar\ell = -\frac1n\sum_i \log\mathcal{N}(x_i;\mu,e^{2s})`."""
    import torch
    return -torch.distributions.Normal(mu, torch.exp(log_sigma)).log_prob(x).mean()


def _fit_data(x: ArrayLike) -> Array:
    arr = _data(x, "x")
    if arr.ndim != 1:
        validate.fail("x", "1-D (one data set)", arr.shape)
    if arr.shape[0] < 2 or np.ptp(arr) == 0:
        validate.fail("x", "at least two distinct values (else the Gaussian MLE has sigma = 0)", arr)
    return arr


def gaussian_nll_gradient(x: ArrayLike, mu: float, sigma: float) -> tuple[float, float]:
    r"""Gradient of the mean Gaussian NLL w.r.t. :math:`\mu` and :math:`s = \log\sigma`, by torch autograd.

    .. math::
        \frac{\partial\bar\ell}{\partial\mu} = \frac{\mu - \bar x}{\sigma^2}, \qquad
        \frac{\partial\bar\ell}{\partial\log\sigma} = 1 - \frac{v}{\sigma^2},
        \quad v = \frac1n\sum_{i=1}^n (x_i-\mu)^2

    where :math:`\bar\ell(\mu, \sigma) = -\frac{1}{n}\ell(\mu,\sigma)`. Returns floats.
    """
    arr = _data(x, "x")
    if arr.ndim != 1:
        validate.fail("x", "1-D (one data set)", arr.shape)
    mu_f = float(validate.array(mu, "mu"))
    sigma_f = float(validate.positive(sigma, "sigma"))
    import torch

    x_t = torch.as_tensor(arr, dtype=torch.float64)
    mu_t = torch.tensor(mu_f, dtype=torch.float64, requires_grad=True)
    s_t = torch.tensor(math.log(sigma_f), dtype=torch.float64, requires_grad=True)
    grad_mu, grad_s = torch.autograd.grad(_gaussian_mean_nll_torch(x_t, mu_t, s_t), (mu_t, s_t))
    return float(grad_mu), float(grad_s)


@dataclass(frozen=True)
class GaussianFit:
    """Trajectory of a gradient-descent Gaussian fit: entry ``t`` is the state after ``t`` steps.

    ``mu``, ``sigma``: parameters; ``nll``: mean negative log-likelihood per observation (nats).
    All arrays have length ``steps + 1`` (entry 0 is the starting point).
    """

    mu: Array
    sigma: Array
    nll: Array


def fit_gaussian_gradient_descent(x: ArrayLike, *, mu0: float = 0.0, sigma0: float = 1.0,
                                  lr: float = 0.1, steps: int = 200) -> GaussianFit:
    r"""Fit :math:`\mathcal{N}(\mu, \sigma^2)` to 1-D data ``x`` by full-batch gradient descent in torch.

    Parameters :math:`(\mu, s = \log\sigma)` (so :math:`\sigma > 0` without constraints), loss the
    mean NLL :math:`\bar\ell(\mu, s) = -\frac1n\sum_i\log\mathcal{N}(x_i;\mu,e^{2s})` in nats,
    update :math:`\theta_{t+1} = \theta_t - \eta\nabla\bar\ell(\theta_t)` in float64. Deterministic
    (no sampling). For a small enough ``lr`` it converges to the closed form
    :func:`gaussian_mle` (:math:`\hat\mu`, :math:`\hat\sigma = \sqrt{\hat\sigma^2}`).
    """
    arr = _fit_data(x)
    mu0_f = float(validate.array(mu0, "mu0"))
    sigma0_f = float(validate.positive(sigma0, "sigma0"))
    lr_f = float(validate.positive(lr, "lr"))
    steps_i = validate.integer(steps, "steps", lo=1)
    import torch

    x_t = torch.as_tensor(arr, dtype=torch.float64)
    mu_t = torch.tensor(mu0_f, dtype=torch.float64, requires_grad=True)
    s_t = torch.tensor(math.log(sigma0_f), dtype=torch.float64, requires_grad=True)
    mus, sigmas, nlls = np.empty(steps_i + 1), np.empty(steps_i + 1), np.empty(steps_i + 1)
    for t in range(steps_i + 1):
        nll = _gaussian_mean_nll_torch(x_t, mu_t, s_t)
        mu_f, s_f, nll_f = mu_t.item(), s_t.item(), nll.item()
        if not all(math.isfinite(v) for v in (mu_f, s_f, nll_f)) or abs(s_f) > 300:
            raise ValueError(f"gradient descent diverged at step {t} (mu {mu_f!r}, log sigma {s_f!r}, "
                             f"NLL {nll_f!r}); `lr` = {lr_f!r} is too large for this data")
        mus[t], sigmas[t], nlls[t] = mu_f, math.exp(s_f), nll_f
        if t == steps_i:
            break
        grad_mu, grad_s = torch.autograd.grad(nll, (mu_t, s_t))
        with torch.no_grad():
            mu_t -= lr_f * grad_mu
            s_t -= lr_f * grad_s
    return GaussianFit(mu=mus, sigma=sigmas, nll=nlls)


# ---------------------------------------------------------------------------------------------
# MAP with a Beta prior
# ---------------------------------------------------------------------------------------------

def beta_posterior(k: ArrayLike, n: ArrayLike, a: ArrayLike = 1.0, b: ArrayLike = 1.0) -> tuple[Any, Any]:
    r"""Parameters of the Beta posterior of a Bernoulli probability (PRML eq. 2.18).

    .. math:: p \mid k, n \sim \mathrm{Beta}(a + k,\; b + n - k)

    for a :math:`\mathrm{Beta}(a, b)` prior (``a``, ``b`` > 0) and ``k`` successes in ``n`` trials.
    """
    k_arr, n_arr = _counts_k_n(k, n)
    a_arr = validate.positive(a, "a")
    b_arr = validate.positive(b, "b")
    k_arr, n_arr, a_arr, b_arr = validate.broadcast((k_arr, "k"), (n_arr, "n"), (a_arr, "a"), (b_arr, "b"))
    return _scalar_or_array(a_arr + k_arr), _scalar_or_array(b_arr + n_arr - k_arr)


def bernoulli_map(k: ArrayLike, n: ArrayLike, a: ArrayLike = 1.0, b: ArrayLike = 1.0) -> Any:
    r"""MAP estimate of a Bernoulli probability under a :math:`\mathrm{Beta}(a, b)` prior (Murphy 2012, Sec. 3.3).

    .. math:: \hat p_{\mathrm{MAP}} = \frac{k + a - 1}{n + a + b - 2}

    the mode of the posterior :func:`beta_posterior`. Requires :math:`a, b \ge 1` (so the posterior
    density is bounded and its mode is this formula, 0 or 1 included) and :math:`n + a + b > 2`
    (otherwise the posterior is uniform and has no unique mode). The uniform prior
    :math:`a = b = 1` gives back the MLE :math:`k/n`.
    """
    alpha, beta = beta_posterior(k, n, a, b)
    a_arr, b_arr = validate.array(a, "a"), validate.array(b, "b")
    for arr, name in ((a_arr, "a"), (b_arr, "b")):
        low = arr < 1
        if low.any():
            validate.fail(name, ">= 1 (for a < 1 the posterior mode is not given by this formula)",
                          arr[low].flat[0] if arr.ndim else arr)
    alpha, beta = np.asarray(alpha), np.asarray(beta)
    denominator = alpha + beta - 2
    flat = denominator <= 0
    if flat.any():
        validate.fail("n", ">= 1 when a = b = 1 (the posterior is uniform: no unique mode)",
                      np.broadcast_to(validate.array(n, "n"), flat.shape)[flat].flat[0])
    return _scalar_or_array((alpha - 1) / denominator)


# ---------------------------------------------------------------------------------------------
# Bits per dimension
# ---------------------------------------------------------------------------------------------

def bits_per_dim(nll_nats: ArrayLike, n_dims: int) -> Any:
    r"""Convert a negative log-likelihood of one :math:`D`-dimensional datum from nats to bits per dimension.

    .. math:: \mathrm{bpd} = \frac{\mathrm{NLL}}{D\log 2}

    (the unit of Theis et al., 2016). ``nll_nats``: finite (it can be negative for densities of
    continuous data); ``n_dims``: integer :math:`D \ge 1`.
    """
    nll = validate.array(nll_nats, "nll_nats")
    dims = validate.integer(n_dims, "n_dims", lo=1)
    return _scalar_or_array(nll / (dims * math.log(2.0)))
