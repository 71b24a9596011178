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


# ---------------------------------------------------------------------------------------------
# The score, the Fisher information matrix and the Cramér–Rao bound
# ---------------------------------------------------------------------------------------------

def _variance_parameter(sigma2: ArrayLike, name: str = "sigma2") -> Array:
    return validate.positive(sigma2, name)


def gaussian_scores(x: ArrayLike, mu: ArrayLike, sigma2: ArrayLike) -> tuple[Array, Array]:
    r"""Score vector and Hessian of :math:`\log\mathcal{N}(x; \mu, \sigma^2)` in :math:`\theta = (\mu, \sigma^2)`.

    With :math:`v = \sigma^2` and :math:`u = x - \mu`, for every observation:

    .. math::
        s_\theta(x) = \begin{pmatrix} u / v \\ -\frac{1}{2v} + \frac{u^2}{2v^2} \end{pmatrix},
        \qquad
        \nabla^2_\theta \log p_\theta(x) = \begin{pmatrix} -\frac{1}{v} & -\frac{u}{v^2} \\
            -\frac{u}{v^2} & \frac{1}{2v^2} - \frac{u^2}{v^3} \end{pmatrix}

    (derived in ``docs/mle.md``; the first row is ``mle-gaussian-score-variance`` per observation).
    Returns ``(scores, hessians)`` of shapes ``x.shape + (2,)`` and ``x.shape + (2, 2)``; ``mu`` and
    ``sigma2`` (> 0) broadcast against ``x``.
    """
    arr = validate.array(x, "x")
    mu_arr = validate.array(mu, "mu")
    v = _variance_parameter(sigma2)
    arr, mu_arr, v = validate.broadcast((arr, "x"), (mu_arr, "mu"), (v, "sigma2"))
    u = arr - mu_arr
    scores = np.stack([u / v, -0.5 / v + 0.5 * u**2 / v**2], axis=-1)
    h_mm = -1.0 / v
    h_mv = -u / v**2
    h_vv = 0.5 / v**2 - u**2 / v**3
    hessians = np.stack([np.stack([h_mm * np.ones_like(u), h_mv], axis=-1),
                         np.stack([h_mv, h_vv], axis=-1)], axis=-2)
    return scores, hessians


def gaussian_fisher_information(sigma2: ArrayLike) -> Array:
    r"""Fisher information matrix of one :math:`\mathcal{N}(\mu, \sigma^2)` observation in :math:`\theta = (\mu, \sigma^2)`.

    .. math::
        \mathcal{I}(\mu, \sigma^2) = \mathbb{E}\bigl[s_\theta(x)\,s_\theta(x)^\top\bigr]
        = \begin{pmatrix} 1/\sigma^2 & 0 \\ 0 & 1/(2\sigma^4) \end{pmatrix}

    The off-diagonal entries are :math:`\mathbb{E}[u^3]/(2\sigma^6) - \mathbb{E}[u]/(2\sigma^4) = 0` and
    :math:`\mathbb{E}[s_{\sigma^2}^2] = \operatorname{Var}[u^2]/(4\sigma^8) = 2\sigma^4/(4\sigma^8)` with
    :math:`u = x - \mu` (derived in ``docs/mle.md``; the Gaussian's moments
    :math:`\mathbb{E}[u^3] = 0`, :math:`\mathbb{E}[u^4] = 3\sigma^4`). ``sigma2`` > 0; returns shape
    ``sigma2.shape + (2, 2)``.
    """
    v = _variance_parameter(sigma2)
    zero = np.zeros_like(v)
    return np.stack([np.stack([1.0 / v, zero], axis=-1), np.stack([zero, 0.5 / v**2], axis=-1)], axis=-2)


def cramer_rao_bound(fisher: ArrayLike, n: int) -> Any:
    r"""The Cramér–Rao lower bound for unbiased estimators from ``n`` i.i.d. observations.

    .. math:: \operatorname{Var}[T] \ge \frac{1}{n\,\mathcal{I}(\theta)}
              \qquad\text{or, for a vector } \theta,\qquad
              \operatorname{Cov}[T] \succeq \bigl(n\,\mathcal{I}(\theta)\bigr)^{-1}

    (Rao 1945; Cramér 1946; derived in ``docs/mle.md`` by the Cauchy–Schwarz inequality).
    ``fisher``: the information of ONE observation, a positive number or a symmetric positive-definite
    matrix; ``n``: integer >= 1. Returns the bound (a float, or the inverse matrix).
    """
    dims = validate.integer(n, "n", lo=1)
    info = validate.array(fisher, "fisher")
    if info.ndim == 0:
        if info <= 0:
            validate.fail("fisher", "> 0 (the information of one observation)", info)
        return float(1.0 / (dims * info))
    validate.cholesky(info, "fisher")  # symmetric positive definite, or a ValueError naming `fisher`
    return np.linalg.inv(dims * info)


@dataclass(frozen=True)
class VarianceEstimate:
    """An unbiased sample variance and its standard error (both in the squared units of the values)."""

    variance: float
    std_error: float


def sample_variance(values: ArrayLike) -> VarianceEstimate:
    r"""The unbiased sample variance :math:`s^2` of ``values`` (1-D, at least 4) with its standard error.

    .. math::
        s^2 = \frac{1}{T-1}\sum_{t=1}^T (v_t - \bar v)^2, \qquad
        \operatorname{Var}[s^2] = \frac{1}{T}\Bigl(m_4 - \frac{T-3}{T-1}\,\sigma^4\Bigr)

    with :math:`m_4` the fourth central moment (the classical result, e.g. Cramér 1946, Ch. 27; here
    with sample moments plugged in). Used to attach an error bar to a variance measured by simulation.
    """
    arr = validate.array(values, "values")
    if arr.ndim != 1 or arr.size < 4:
        validate.fail("values", "a 1-D array of at least 4 values", arr.shape)
    t = arr.size
    centred = arr - arr.mean()
    s2 = float(np.sum(centred**2) / (t - 1))
    m4 = float(np.mean(centred**4))
    var_s2 = max((m4 - (t - 3) / (t - 1) * s2**2) / t, 0.0)
    return VarianceEstimate(s2, math.sqrt(var_s2))


def exponential_mle(x: ArrayLike) -> Any:
    r"""MLE of the rate :math:`\lambda` of an exponential distribution from observations ``x`` > 0 (last axis).

    .. math:: \hat\lambda = \frac{n}{\sum_{i=1}^n x_i} = \frac{1}{\bar x}

    from :math:`\ell(\lambda) = n\log\lambda - \lambda\sum_i x_i`. It is biased,
    :math:`\mathbb{E}[\hat\lambda] = \frac{n}{n-1}\lambda` (the sum is Gamma(n, λ)), but
    asymptotically efficient: :math:`n\operatorname{Var}[\hat\lambda] \to \lambda^2 = 1/\mathcal{I}(\lambda)`.
    """
    arr = _data(x, "x")
    bad = arr <= 0
    if bad.any():
        validate.fail("x", "> 0 (exponential observations)", arr[bad].flat[0])
    return _scalar_or_array(1.0 / arr.mean(axis=-1))


def fisher_information_exponential(lam: ArrayLike) -> Any:
    r"""Fisher information of one Exponential(rate ``lam``) observation, ``lam`` > 0.

    .. math:: \mathcal{I}(\lambda) = -\mathbb{E}\Bigl[\frac{\partial^2}{\partial\lambda^2}(\log\lambda - \lambda x)\Bigr]
              = \frac{1}{\lambda^2}
    """
    lam_arr = validate.positive(lam, "lam")
    return _scalar_or_array(1.0 / lam_arr**2)


# ---------------------------------------------------------------------------------------------
# Misspecified models: the sandwich covariance
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sandwich:
    r"""The pieces of the sandwich covariance: :math:`J`, :math:`K` and :math:`J^{-1}KJ^{-1}` (all d x d)."""

    J: Array
    K: Array
    covariance: Array


def _sandwich(J: Array, K: Array) -> Sandwich:
    j_inv = np.linalg.inv(J)
    cov = j_inv @ K @ j_inv
    return Sandwich(J=J, K=K, covariance=0.5 * (cov + np.swapaxes(cov, -1, -2)))  # symmetric up to round-off


def sandwich_covariance(scores: ArrayLike, hessians: ArrayLike) -> Sandwich:
    r"""The sandwich (robust) covariance of an M-estimator from per-observation scores and Hessians.

    .. math::
        \hat J = -\frac{1}{n}\sum_{i=1}^n \nabla^2_\theta \log p_{\hat\theta}(x_i), \qquad
        \hat K = \frac{1}{n}\sum_{i=1}^n s_{\hat\theta}(x_i)\,s_{\hat\theta}(x_i)^\top, \qquad
        \sqrt{n}(\hat\theta - \theta^*) \approx \mathcal{N}\bigl(0, \hat J^{-1}\hat K\hat J^{-1}\bigr)

    (Huber 1967; White 1982, Theorem 3.2). Under a correct model
    :math:`J = K = \mathcal{I}(\theta)` and the sandwich is :math:`\mathcal{I}^{-1}`. ``scores``: shape
    ``(..., n, d)``; ``hessians``: ``(..., n, d, d)``; leading axes are independent data sets, and every
    :math:`\hat J` must be invertible. The entries of the result have shapes ``(..., d, d)``.
    """
    s = validate.array(scores, "scores")
    h = validate.array(hessians, "hessians")
    if s.ndim < 2 or s.shape[-2] < 1:
        validate.fail("scores", "an array of shape (..., n, d)", s.shape)
    n, d = s.shape[-2:]
    if h.shape != s.shape + (d,):
        validate.fail("hessians", f"an array of shape {s.shape + (d,)} to match `scores`", h.shape)
    J = -h.mean(axis=-3)
    K = np.einsum("...ni,...nj->...ij", s, s) / n
    if np.any(np.linalg.cond(J) > 1e12):
        validate.fail("hessians", "an invertible mean (J is singular: the parameter is not identified)", J)
    return _sandwich(J, K)


def gaussian_misspecified_sandwich(m2: ArrayLike, m3: ArrayLike, m4: ArrayLike) -> Sandwich:
    r"""The sandwich for the Gaussian model :math:`\theta = (\mu, \sigma^2)` fitted to data with central
    moments :math:`\mu_2, \mu_3, \mu_4` (population values, ``m2`` > 0, ``m4`` >= ``m2**2``).

    At :math:`\theta^* = (\mathbb{E}x, \mu_2)`, from :func:`gaussian_scores`,

    .. math::
        J = \begin{pmatrix} 1/\mu_2 & 0 \\ 0 & 1/(2\mu_2^2) \end{pmatrix},\quad
        K = \begin{pmatrix} 1/\mu_2 & \mu_3/(2\mu_2^3) \\ \mu_3/(2\mu_2^3) & (\mu_4 - \mu_2^2)/(4\mu_2^4) \end{pmatrix},\quad
        J^{-1}KJ^{-1} = \begin{pmatrix} \mu_2 & \mu_3 \\ \mu_3 & \mu_4 - \mu_2^2 \end{pmatrix}

    (White 1982 applied to the Gaussian; derived in ``docs/mle.md``). A Gaussian has
    :math:`\mu_3 = 0`, :math:`\mu_4 = 3\mu_2^2` and the sandwich is :math:`\mathcal{I}^{-1} = \operatorname{diag}(\mu_2, 2\mu_2^2)`.
    """
    v = float(validate.positive(m2, "m2"))
    skew = float(validate.array(m3, "m3"))
    kurt = float(validate.array(m4, "m4"))
    if kurt < v**2:
        validate.fail("m4", f">= m2**2 = {v**2:g} (Jensen: E[(x-mu)^4] >= E[(x-mu)^2]^2)", kurt)
    J = np.array([[1.0 / v, 0.0], [0.0, 0.5 / v**2]])
    K = np.array([[1.0 / v, 0.5 * skew / v**3], [0.5 * skew / v**3, 0.25 * (kurt - v**2) / v**4]])
    return _sandwich(J, K)


# ---------------------------------------------------------------------------------------------
# MAP under reparametrisation; a Gaussian prior is weight decay
# ---------------------------------------------------------------------------------------------

def bernoulli_map_logit(k: ArrayLike, n: ArrayLike, a: ArrayLike = 1.0, b: ArrayLike = 1.0) -> Any:
    r"""MAP estimate of the log-odds :math:`\phi = \log\frac{p}{1-p}` under the Beta(a, b) prior on p.

    The prior density of :math:`\phi` carries the Jacobian :math:`\frac{dp}{d\phi} = p(1-p)`, so the
    posterior in :math:`\phi` is :math:`\propto p^{k+a}(1-p)^{n-k+b}` and its mode is

    .. math:: \hat\phi_{\mathrm{MAP}} = \log\frac{k+a}{n-k+b},
              \qquad p(\hat\phi_{\mathrm{MAP}}) = \frac{k+a}{n+a+b}

    not the log-odds of :func:`bernoulli_map` (derived in ``docs/mle.md``; Murphy 2012, Sec. 5.2.1.4
    on the non-invariance of the MAP estimate). ``a``, ``b`` > 0; ``0 <= k <= n``.
    """
    alpha, beta = beta_posterior(k, n, a, b)
    return _scalar_or_array(np.log(np.asarray(alpha)) - np.log(np.asarray(beta)))


def _regression_data(X: ArrayLike, y: ArrayLike) -> tuple[Array, Array]:
    """The design matrix (n, d) and the targets (n,) of a linear regression, validated by name."""
    design = validate.array(X, "X")
    if design.ndim != 2:
        validate.fail("X", "a matrix of shape (n, d)", design.shape)
    target = validate.array(y, "y")
    if target.shape != (design.shape[0],):
        validate.fail("y", f"a vector of shape ({design.shape[0]},) to match `X`", target.shape)
    return design, target


def ridge_map(X: ArrayLike, y: ArrayLike, sigma: float, tau: float) -> Array:
    r"""MAP weights of linear regression :math:`y \sim \mathcal{N}(Xw, \sigma^2 I)` with prior
    :math:`w \sim \mathcal{N}(0, \tau^2 I)`: ridge regression with :math:`\lambda = \sigma^2/\tau^2`.

    .. math:: \hat w_{\mathrm{MAP}} = \Bigl(X^\top X + \frac{\sigma^2}{\tau^2} I\Bigr)^{-1} X^\top y

    (Bishop 2006, eqs. 3.27-3.28 and 3.53-3.55: the posterior mean, which is also its mode).
    ``X``: shape (n, d); ``y``: shape (n,); ``sigma``, ``tau`` > 0.
    """
    design, target = _regression_data(X, y)
    lam = float(validate.positive(sigma, "sigma")) ** 2 / float(validate.positive(tau, "tau")) ** 2
    gram = design.T @ design + lam * np.eye(design.shape[1])
    return np.asarray(np.linalg.solve(gram, design.T @ target), dtype=np.float64)


def fit_linear_regression_weight_decay(X: ArrayLike, y: ArrayLike, sigma: float, weight_decay: float, *,
                                       lr: float = 0.1, steps: int = 2000) -> Array:
    r"""Full-batch gradient descent in torch on the mean Gaussian NLL of linear regression, with
    ``torch.optim.SGD``'s ``weight_decay`` (which adds ``weight_decay * w`` to the gradient).

    The loss per observation is :math:`\bar\ell(w) = \frac{1}{2n\sigma^2}\lVert y - Xw\rVert^2` (plus a
    constant); each step is :math:`w \leftarrow (1 - \eta\lambda_{\mathrm{wd}})w - \eta\nabla\bar\ell(w)`.
    Its fixed point is the MAP estimate :func:`ridge_map` with :math:`\tau^2 = 1/(n\lambda_{\mathrm{wd}})`.
    Returns the weights after every step, shape ``(steps + 1, d)``; float64, deterministic.
    """
    design, target = _regression_data(X, y)
    sigma_f = float(validate.positive(sigma, "sigma"))
    wd = float(validate.non_negative(weight_decay, "weight_decay"))
    lr_f = float(validate.positive(lr, "lr"))
    steps_i = validate.integer(steps, "steps", lo=1)
    import torch

    x_t = torch.as_tensor(design, dtype=torch.float64)
    y_t = torch.as_tensor(target, dtype=torch.float64)
    w = torch.zeros(design.shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr_f, weight_decay=wd)
    path = np.empty((steps_i + 1, design.shape[1]))
    path[0] = w.detach().numpy()
    for t in range(1, steps_i + 1):
        opt.zero_grad()
        loss = ((y_t - x_t @ w) ** 2).mean() / (2 * sigma_f**2)
        loss.backward()
        opt.step()
        path[t] = w.detach().numpy()
        if not np.all(np.isfinite(path[t])):
            raise ValueError(f"gradient descent diverged at step {t}; `lr` = {lr_f!r} is too large for this data")
    return path


# ---------------------------------------------------------------------------------------------
# Latent variables: the EM algorithm for a one-dimensional Gaussian mixture
# ---------------------------------------------------------------------------------------------

def _gmm(x: ArrayLike, weights: ArrayLike, means: ArrayLike, variances: ArrayLike
         ) -> tuple[Array, Array, Array, Array]:
    arr = validate.array(x, "x")
    if arr.ndim != 1 or arr.size < 1:
        validate.fail("x", "a non-empty 1-D array of observations", arr.shape)
    pi = validate.probabilities(weights, "weights")
    if pi.ndim != 1:
        validate.fail("weights", "a vector of K mixture weights", pi.shape)
    mu = validate.array(means, "means")
    if mu.shape != pi.shape:
        validate.fail("means", f"a vector of K = {pi.size} means", mu.shape)
    var = validate.positive(variances, "variances")
    if var.shape != pi.shape:
        validate.fail("variances", f"a vector of K = {pi.size} variances", var.shape)
    return arr, pi, mu, var


def gmm_log_likelihood(x: ArrayLike, weights: ArrayLike, means: ArrayLike, variances: ArrayLike) -> float:
    r"""Log-likelihood (nats) of 1-D data under a Gaussian mixture:
    :math:`\ell(\theta) = \sum_{i=1}^n \log\sum_{k=1}^K \pi_k\,\mathcal{N}(x_i; \mu_k, \sigma_k^2)`.

    Computed with :func:`genmath.score.mixture_log_prob` (a log-sum-exp over components).
    """
    from genmath.score import mixture_log_prob

    arr, pi, mu, var = _gmm(x, weights, means, variances)
    return float(np.sum(mixture_log_prob(arr[:, None], pi, mu[:, None], var[:, None, None])))


def gmm_responsibilities(x: ArrayLike, weights: ArrayLike, means: ArrayLike, variances: ArrayLike) -> Array:
    r"""The E-step: :math:`r_{ik} = p_\theta(z_i = k \mid x_i)`, shape ``(n, K)``, rows summing to 1.

    .. math:: r_{ik} = \frac{\pi_k\,\mathcal{N}(x_i; \mu_k, \sigma_k^2)}{\sum_{j=1}^K \pi_j\,\mathcal{N}(x_i; \mu_j, \sigma_j^2)}

    (Bishop 2006, eq. 9.23), computed with :func:`genmath.score.mixture_responsibilities`.
    """
    from genmath.score import mixture_responsibilities

    arr, pi, mu, var = _gmm(x, weights, means, variances)
    return mixture_responsibilities(arr[:, None], pi, mu[:, None], var[:, None, None])


def _responsibility_matrix(resp: ArrayLike, n: int, k: int) -> Array:
    r = validate.array(resp, "resp")
    if r.shape != (n, k):
        validate.fail("resp", f"an array of shape ({n}, {k}) (observations x components)", r.shape)
    validate.probabilities(r, "resp")
    return r


def gmm_m_step(x: ArrayLike, resp: ArrayLike) -> tuple[Array, Array, Array]:
    r"""The M-step: the maximiser of :math:`\sum_i\sum_k r_{ik}\log\bigl(\pi_k\mathcal{N}(x_i;\mu_k,\sigma_k^2)\bigr)`.

    .. math::
        N_k = \sum_{i=1}^n r_{ik},\quad \pi_k' = \frac{N_k}{n},\quad
        \mu_k' = \frac{1}{N_k}\sum_{i=1}^n r_{ik}x_i,\quad
        (\sigma_k')^2 = \frac{1}{N_k}\sum_{i=1}^n r_{ik}(x_i - \mu_k')^2

    (Bishop 2006, eqs. 9.24-9.27; Dempster, Laird & Rubin 1977). ``resp``: shape (n, K), rows summing
    to 1. Raises ValueError when a component has no responsibility left or its variance is 0: the
    likelihood is unbounded there (a component collapsed onto one point).
    """
    arr = validate.array(x, "x")
    if arr.ndim != 1 or arr.size < 1:
        validate.fail("x", "a non-empty 1-D array of observations", arr.shape)
    r = validate.array(resp, "resp")
    if r.ndim != 2:
        validate.fail("resp", f"an array of shape ({arr.size}, K)", r.shape)
    r = _responsibility_matrix(r, arr.size, r.shape[1])
    counts = r.sum(axis=0)  # N_k
    if np.any(counts <= 0):
        k = int(np.argmin(counts))
        validate.fail("resp", f"positive in every column (component {k} has no responsibility)", counts)
    weights = counts / arr.size
    means = (r * arr[:, None]).sum(axis=0) / counts
    variances = (r * (arr[:, None] - means) ** 2).sum(axis=0) / counts
    if np.any(variances <= 0):
        k = int(np.argmin(variances))
        raise ValueError(f"component {k} collapsed onto x = {float(means[k])!r}: its variance is "
                         f"{float(variances[k])!r}, where the mixture likelihood is unbounded")
    return weights, means, variances


def gmm_elbo(x: ArrayLike, resp: ArrayLike, weights: ArrayLike, means: ArrayLike, variances: ArrayLike) -> float:
    r"""The evidence lower bound (nats) of a Gaussian mixture with :math:`q_i(z = k) = r_{ik}`:

    .. math::
        \mathcal{L}(q, \theta) = \sum_{i=1}^n \mathbb{E}_{z\sim q_i}\Bigl[\log\frac{p_\theta(x_i, z)}{q_i(z)}\Bigr]
        = \ell(\theta) - \sum_{i=1}^n \mathrm{KL}\bigl(q_i \,\|\, p_\theta(z \mid x_i)\bigr)

    with :math:`p_\theta(x, z = k) = \pi_k\,\mathcal{N}(x; \mu_k, \sigma_k^2)` and :math:`0\log 0 = 0`
    (Neal & Hinton 1998).
    """
    from genmath.score import mixture_component_log_probs

    arr, pi, mu, var = _gmm(x, weights, means, variances)
    r = _responsibility_matrix(resp, arr.size, pi.size)
    log_joint = mixture_component_log_probs(arr[:, None], pi, mu[:, None], var[:, None, None])  # (n, K)
    return float(np.sum(np.where(r > 0, r * log_joint, 0.0)) - np.sum(xlogy(r, r)))


@dataclass(frozen=True)
class EMTrajectory:
    """Parameters after each EM iteration (entry 0 is the start) and the log-likelihood (nats) there."""

    weights: Array  # (steps + 1, K)
    means: Array
    variances: Array
    log_likelihood: Array  # (steps + 1,)


def gmm_em(x: ArrayLike, weights: ArrayLike, means: ArrayLike, variances: ArrayLike, *, steps: int = 100
           ) -> EMTrajectory:
    r"""Run ``steps`` EM iterations (:func:`gmm_responsibilities` then :func:`gmm_m_step`) on 1-D data.

    Each iteration cannot decrease :func:`gmm_log_likelihood` (Dempster, Laird & Rubin 1977, Theorem 1):
    :math:`\ell(\theta') \ge \mathcal{L}(q, \theta') \ge \mathcal{L}(q, \theta) = \ell(\theta)`.
    Raises ValueError (from the M-step) if a component collapses onto a single point.
    """
    arr, pi, mu, var = _gmm(x, weights, means, variances)
    steps_i = validate.integer(steps, "steps", lo=0)
    k = pi.size
    out_w, out_m, out_v = np.empty((steps_i + 1, k)), np.empty((steps_i + 1, k)), np.empty((steps_i + 1, k))
    ll = np.empty(steps_i + 1)
    for t in range(steps_i + 1):
        out_w[t], out_m[t], out_v[t] = pi, mu, var
        ll[t] = gmm_log_likelihood(arr, pi, mu, var)
        if t < steps_i:
            pi, mu, var = gmm_m_step(arr, gmm_responsibilities(arr, pi, mu, var))
            pi = pi / pi.sum()  # guard: keep the weights a probability vector to the last bit
    return EMTrajectory(out_w, out_m, out_v, ll)
