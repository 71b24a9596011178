r"""The evidence lower bound (ELBO), a tractable linear-Gaussian latent-variable model, the
importance-weighted bound (IWAE), gradient estimators, and a small torch VAE.

Conventions
-----------
* Every log-density, ELBO, KL and bound is in **nats** (natural logarithm), per data point.
* We **maximise** the ELBO; a training loss is :math:`-\mathrm{ELBO}` (or :math:`-\mathrm{ELBO}_\beta`).
* Gaussians are written :math:`\mathcal N(\text{mean}, \text{covariance})`; ``logvar`` is
  :math:`\log \sigma^2` (a log-*variance*), ``sigma`` is a standard deviation.
* Batched inputs carry the sample / batch index on the leading axes and the vector on the last.
* numpy code returns numpy floats (0-d) or arrays; torch is imported only by the torch functions,
  so the linear-Gaussian part of this module does not pay torch's import time.

The linear-Gaussian model (probabilistic PCA; Tipping & Bishop 1999)
--------------------------------------------------------------------
.. math:: z \sim \mathcal N(0, I_k), \qquad x \mid z \sim \mathcal N(W z + b, \sigma^2 I_d),

has everything in closed form: the evidence :math:`x \sim \mathcal N(b, W W^\top + \sigma^2 I_d)`,
the posterior :math:`p(z \mid x)` (Bishop 2006, Eqs. 2.113-2.117), and the ELBO of any Gaussian
:math:`q(z) = \mathcal N(m, S)`. So the identity
:math:`\log p(x) = \mathcal L(q) + \mathrm{KL}(q \,\|\, p(z \mid x))` can be checked to rounding error.

References
----------
* Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014: identity Eq. (1), ELBO Eqs. (2)-(3),
  reparameterisation Sec. 2.4, Gaussian KL term Appendix B / Eq. (10).
* Rezende, Mohamed & Wierstra, "Stochastic Backpropagation ...", ICML 2014.
* Burda, Grosse & Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016: bound Eq. (8),
  monotonicity Theorem 1, active units (variance of the encoder mean > 0.01).
* Williams, "Simple statistical gradient-following algorithms ...", Machine Learning 8, 1992
  (REINFORCE / score-function estimator).
* Higgins et al., "beta-VAE", ICLR 2017 (the beta-weighted objective); Alemi et al., "Fixing a
  Broken ELBO", ICML 2018 (rate and distortion).
* Tipping & Bishop, "Probabilistic Principal Component Analysis", JRSS-B 61(3), 1999.
* Bishop, *Pattern Recognition and Machine Learning* (2006), Sec. 2.3.3 (linear-Gaussian models).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import scipy.linalg
import scipy.special
from numpy.typing import ArrayLike, NDArray

from genmath import memo, validate
from genmath.info import MonteCarloEstimate, kl_mvn, kl_standard_normal

__all__ = [
    "VAE",  # noqa: F822 - built lazily by the module __getattr__ (keeps torch out of imports)
    "DigitsData",
    "EncoderInformation",
    "LinearGaussianModel",
    "MonteCarloEstimate",
    "VAETrainingResult",
    "cached_train_vae",
    "elbo_gaussian",
    "elbo_monte_carlo",
    "encoder_mutual_information",
    "exact_posterior",
    "expected_log_likelihood",
    "fit_local_posteriors",
    "gaussian_q_elbo",
    "grad_m_expected_log_joint",
    "grad_z_log_joint",
    "iwae_bound",
    "iwae_bound_monte_carlo",
    "kl_std_normal",
    "latent_activity",
    "linear_gaussian_example",
    "load_digits_data",
    "log_joint",
    "log_likelihood",
    "log_marginal_likelihood",
    "log_prior",
    "log_weights",
    "reparameterised_gradients",
    "sample_gaussian",
    "score_function_gradients",
    "train_vae",
    "vae_iwae_bound",
]

_LOG_2PI = math.log(2.0 * math.pi)


def _out(x: Any) -> Any:
    """0-d arrays become numpy floats; arrays stay arrays."""
    arr = np.asarray(x, dtype=np.float64)
    return arr[()] if arr.ndim == 0 else arr


def _is_torch(x: Any) -> bool:
    """True if ``x`` is a torch tensor (without importing torch when it is not loaded)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _torch_finite(x: Any, name: str) -> None:
    import torch

    if not torch.is_floating_point(x):
        validate.fail(name, "a floating-point tensor", x.dtype)
    bad = ~torch.isfinite(x.detach())
    if bool(bad.any()):
        idx = tuple(int(i) for i in torch.nonzero(bad)[0]) if x.ndim else ()
        where = f" (at index {idx})" if idx else ""
        validate.fail(name, "finite", float(x.detach()[bad].flatten()[0]), where)


# --------------------------------------------------------------------------------------------
# The KL term of the VAE
# --------------------------------------------------------------------------------------------

def kl_std_normal(mu: Any, logvar: Any) -> Any:
    r"""KL from a diagonal Gaussian posterior to the standard-normal prior, in nats.

    .. math:: \mathrm{KL}\big(\mathcal N(\mu, \operatorname{diag}(e^{\ell})) \,\|\, \mathcal N(0, I)\big)
              = -\tfrac12 \sum_{j=1}^{k} \big(1 + \ell_j - \mu_j^2 - e^{\ell_j}\big),
              \qquad \ell_j = \log \sigma_j^2,

    summed over the LAST axis (Kingma & Welling 2014, Appendix B, Eq. 10). ``mu`` and ``logvar``
    broadcast. numpy inputs are validated and delegated to :func:`genmath.info.kl_standard_normal`
    (the same form as :func:`genmath.kl_normal`: :math:`\tfrac12 \sum_j (\varphi(\ell_j) + \mu_j^2)`,
    :math:`\varphi(\ell) = e^\ell - 1 - \ell \ge 0`); torch tensors stay tensors (their dtype, and
    ``requires_grad``) and the result is differentiable in both arguments (this is the KL term of the
    VAE loss). Both paths are >= 0 and finite for ``logvar`` down to -1500 and beyond.
    """
    if _is_torch(mu) or _is_torch(logvar):
        import torch

        if not (_is_torch(mu) and _is_torch(logvar)):
            raise ValueError("`mu` and `logvar` must both be torch tensors or both array-likes; "
                             f"got {type(mu).__name__} and {type(logvar).__name__}")
        _torch_finite(mu, "mu")
        _torch_finite(logvar, "logvar")
        try:
            shape = torch.broadcast_shapes(mu.shape, logvar.shape)
        except RuntimeError:
            raise ValueError(f"shapes do not broadcast: `mu` {tuple(mu.shape)}, "
                             f"`logvar` {tuple(logvar.shape)}") from None
        if len(shape) == 0:
            validate.fail("mu", "at least 1-D (latent dimensions on the last axis)", mu)
        # phi(l) = e^l - 1 - l >= 0 (the form of genmath.info._gaussian_kl): no cancellation to a
        # negative KL; differentiable (its gradient e^l - 1 is 0 exactly where the clamp acts).
        # Halved before they are added (exactly: a power of two), so that a KL below float64's
        # largest value never overflows on the way (phi + mu^2 can exceed it when their halves don't).
        phi = (torch.expm1(logvar) - logvar).clamp_min(0.0)
        return (0.5 * phi + 0.5 * mu.pow(2)).sum(dim=-1)
    mu_arr = validate.array(mu, "mu")
    logvar_arr = validate.array(logvar, "logvar")
    mu_arr, logvar_arr = validate.broadcast((mu_arr, "mu"), (logvar_arr, "logvar"))
    if mu_arr.ndim == 0:
        validate.fail("mu", "at least 1-D (latent dimensions on the last axis)", mu_arr)
    return kl_standard_normal(mu_arr, logvar_arr)


# --------------------------------------------------------------------------------------------
# The linear-Gaussian model
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LinearGaussianModel:
    r""":math:`z \sim \mathcal N(0, I_k)`, :math:`x \mid z \sim \mathcal N(W z + b, \sigma^2 I_d)`.

    ``W``: ``(d, k)`` loading matrix; ``b``: ``(d,)`` offset; ``sigma``: observation noise standard
    deviation (> 0). Probabilistic PCA (Tipping & Bishop 1999).
    """

    W: NDArray[np.float64]
    b: NDArray[np.float64]
    sigma: float

    def __post_init__(self) -> None:
        W = validate.array(self.W, "W")
        if W.ndim != 2 or 0 in W.shape:
            validate.fail("W", "a non-empty 2-D (d, k) matrix", W.shape)
        b = validate.array(self.b, "b")
        if b.shape != (W.shape[0],):
            validate.fail("b", f"a vector of shape ({W.shape[0]},) to match `W` {W.shape}", b.shape)
        sigma = float(validate.positive(self.sigma, "sigma"))
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "sigma", sigma)

    @property
    def d(self) -> int:
        """Data dimension."""
        return int(self.W.shape[0])

    @property
    def k(self) -> int:
        """Latent dimension."""
        return int(self.W.shape[1])

    def marginal_cov(self) -> NDArray[np.float64]:
        r"""Covariance of the evidence, :math:`C = W W^\top + \sigma^2 I_d`."""
        return self.W @ self.W.T + self.sigma**2 * np.eye(self.d)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``n`` ancestral samples ``(x, z)``: first ``z`` from the prior, then ``x`` given ``z``."""
        n = validate.integer(n, "n", lo=1)
        z = rng.standard_normal((n, self.k))
        x = z @ self.W.T + self.b + self.sigma * rng.standard_normal((n, self.d))
        return x, z


def linear_gaussian_example() -> tuple[LinearGaussianModel, NDArray[np.float64]]:
    r"""The chapter's running example: :math:`d = 5`, :math:`k = 2`, :math:`\sigma = 0.5`, ``W`` and
    ``b`` drawn once from ``default_rng(0)``, and one observation ``x`` sampled from the model."""
    rng = np.random.default_rng(0)
    model = LinearGaussianModel(W=rng.normal(size=(5, 2)), b=0.5 * rng.normal(size=5), sigma=0.5)
    x = model.sample(1, rng)[0][0]
    return model, x


def _vector(x: ArrayLike, name: str, length: int) -> NDArray[np.float64]:
    arr = validate.array(x, name)
    if arr.shape != (length,):
        validate.fail(name, f"a vector of shape ({length},)", arr.shape)
    return arr


def _batch(z: ArrayLike, name: str, length: int) -> NDArray[np.float64]:
    arr = validate.array(z, name)
    if arr.ndim < 1 or arr.shape[-1] != length:
        validate.fail(name, f"of shape (..., {length})", arr.shape)
    return arr


def _mvn_log_density(x: NDArray[np.float64], mean: NDArray[np.float64],
                     chol: NDArray[np.float64]) -> NDArray[np.float64]:
    r""":math:`\log \mathcal N(x; \mu, L L^\top) = -\tfrac12 (n \log 2\pi + \log\det(LL^\top)
    + \| L^{-1}(x - \mu) \|^2)`, batched over the leading axes of ``x`` (a triangular solve, no
    inverse)."""
    n = chol.shape[-1]
    diff = (x - mean).reshape(-1, n)
    white = scipy.linalg.solve_triangular(chol, diff.T, lower=True).T
    log_det = 2.0 * np.sum(np.log(np.diag(chol)))
    quad = np.sum(white**2, axis=-1).reshape(x.shape[:-1])
    return -0.5 * (n * _LOG_2PI + log_det + quad)


def _gaussian_q(model: LinearGaussianModel, m: ArrayLike, S: ArrayLike
                ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Validated ``(m, S, chol(S))`` of a variational Gaussian over the model's latent space."""
    m_arr = _vector(m, "m", model.k)
    L = validate.cholesky(S, "S")
    if L.shape != (model.k, model.k):
        validate.fail("S", f"a ({model.k}, {model.k}) covariance matrix", L.shape)
    return m_arr, np.asarray(S, dtype=np.float64), L


def log_marginal_likelihood(model: LinearGaussianModel, x: ArrayLike) -> Any:
    r"""Exact evidence :math:`\log p(x) = \log \mathcal N(x;\, b,\, W W^\top + \sigma^2 I_d)`, nats.

    Integrating out :math:`z` from the linear-Gaussian model (Bishop 2006, Eq. 2.115).
    ``x``: shape ``(..., d)``; returns shape ``(...)``.
    """
    x_arr = _batch(x, "x", model.d)
    chol = np.asarray(np.linalg.cholesky(model.marginal_cov()), dtype=np.float64)
    return _out(_mvn_log_density(x_arr, model.b, chol))


def log_likelihood(model: LinearGaussianModel, x: ArrayLike, z: ArrayLike) -> Any:
    r""":math:`\log p(x \mid z) = \log \mathcal N(x;\, W z + b,\, \sigma^2 I_d)`, nats.

    ``x``: ``(d,)``; ``z``: ``(..., k)`` (e.g. a batch of samples); returns shape ``(...)``.
    """
    x_arr = _vector(x, "x", model.d)
    z_arr = _batch(z, "z", model.k)
    mean = z_arr @ model.W.T + model.b
    return _out(_mvn_log_density(np.broadcast_to(x_arr, mean.shape), mean,
                                 model.sigma * np.eye(model.d)))


def log_prior(model: LinearGaussianModel, z: ArrayLike) -> Any:
    r""":math:`\log p(z) = \log \mathcal N(z;\, 0,\, I_k)`, nats; ``z``: ``(..., k)``."""
    z_arr = _batch(z, "z", model.k)
    return _out(_mvn_log_density(z_arr, np.zeros(model.k), np.eye(model.k)))


def log_joint(model: LinearGaussianModel, x: ArrayLike, z: ArrayLike) -> Any:
    r""":math:`\log p(x, z) = \log p(x \mid z) + \log p(z)`, nats; ``z``: ``(..., k)``."""
    return _out(np.asarray(log_likelihood(model, x, z)) + np.asarray(log_prior(model, z)))


def grad_z_log_joint(model: LinearGaussianModel, x: ArrayLike, z: ArrayLike) -> Any:
    r""":math:`\nabla_z \log p(x, z) = W^\top (x - W z - b) / \sigma^2 - z`; ``z``: ``(..., k)``."""
    x_arr = _vector(x, "x", model.d)
    z_arr = _batch(z, "z", model.k)
    residual = x_arr - (z_arr @ model.W.T + model.b)
    return _out(residual @ model.W / model.sigma**2 - z_arr)


def exact_posterior(model: LinearGaussianModel, x: ArrayLike
                    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Mean and covariance of the exact posterior :math:`p(z \mid x) = \mathcal N(\mu_{z|x}, \Sigma_{z|x})`.

    .. math:: \Sigma_{z|x} = \big(I_k + W^\top W / \sigma^2\big)^{-1}, \qquad
              \mu_{z|x} = \Sigma_{z|x} W^\top (x - b) / \sigma^2

    (Bayes' rule for a Gaussian prior and linear-Gaussian likelihood: Bishop 2006, Eqs. 2.116-2.117).
    Solved with a Cholesky factor of the precision.
    """
    x_arr = _vector(x, "x", model.d)
    precision = np.eye(model.k) + model.W.T @ model.W / model.sigma**2
    factor = scipy.linalg.cho_factor(precision, lower=True)
    cov = scipy.linalg.cho_solve(factor, np.eye(model.k))
    cov = 0.5 * (cov + cov.T)  # exactly symmetric, as the KL's Cholesky check requires
    mean = scipy.linalg.cho_solve(factor, model.W.T @ (x_arr - model.b) / model.sigma**2)
    return mean, cov


def expected_log_likelihood(model: LinearGaussianModel, x: ArrayLike, m: ArrayLike,
                            S: ArrayLike) -> Any:
    r"""The reconstruction term :math:`\mathbb E_{q}[\log p(x \mid z)]`, :math:`q = \mathcal N(m, S)`, nats.

    .. math:: \mathbb E_q[\log p(x \mid z)] = -\frac d2 \log(2\pi\sigma^2)
              - \frac{\|x - W m - b\|^2 + \operatorname{tr}(W S W^\top)}{2\sigma^2},

    from :math:`\mathbb E\|x - Wz - b\|^2 = \|x - Wm - b\|^2 + \operatorname{tr}(W S W^\top)`.
    """
    x_arr = _vector(x, "x", model.d)
    m_arr, S_arr, _ = _gaussian_q(model, m, S)
    residual = x_arr - model.W @ m_arr - model.b
    spread = np.trace(model.W @ S_arr @ model.W.T)
    return _out(-0.5 * model.d * math.log(2.0 * math.pi * model.sigma**2)
                - (residual @ residual + spread) / (2.0 * model.sigma**2))


def elbo_gaussian(model: LinearGaussianModel, x: ArrayLike, m: ArrayLike, S: ArrayLike) -> Any:
    r"""Closed-form ELBO of :math:`q(z) = \mathcal N(m, S)`, nats (Kingma & Welling 2014, Eq. 3).

    .. math:: \mathcal L(q) = \mathbb E_q[\log p(x \mid z)] - \mathrm{KL}(q(z) \,\|\, p(z)),

    the reconstruction term from :func:`expected_log_likelihood` and the KL from
    :func:`genmath.kl_mvn` against the prior :math:`\mathcal N(0, I_k)`.
    """
    m_arr, S_arr, _ = _gaussian_q(model, m, S)
    reconstruction = expected_log_likelihood(model, x, m_arr, S_arr)
    kl_prior = kl_mvn(m_arr, S_arr, np.zeros(model.k), np.eye(model.k))
    return _out(reconstruction - kl_prior)


def sample_gaussian(m: ArrayLike, S: ArrayLike, n: int, rng: np.random.Generator
                    ) -> NDArray[np.float64]:
    r"""``n`` reparameterised samples :math:`z = m + L \varepsilon`, with
    :math:`\varepsilon \sim \mathcal N(0, I)` and :math:`S = L L^\top`; shape ``(n, k)``
    (Kingma & Welling 2014, Sec. 2.4)."""
    L = validate.cholesky(S, "S")
    m_arr = _vector(m, "m", L.shape[-1])
    n = validate.integer(n, "n", lo=1)
    eps = rng.standard_normal((n, m_arr.shape[0]))
    return m_arr + eps @ L.T


def log_weights(model: LinearGaussianModel, x: ArrayLike, m: ArrayLike, S: ArrayLike,
                shape: int | tuple[int, ...], rng: np.random.Generator) -> NDArray[np.float64]:
    r"""Log importance weights :math:`\log w = \log p(x, z) - \log q(z)`, :math:`z \sim q = \mathcal N(m, S)`.

    ``shape``: the number of samples, or a tuple (e.g. ``(repeats, K)`` for IWAE). Their mean is an
    unbiased estimate of the ELBO; :math:`\mathbb E_q[w] = p(x)`.
    """
    m_arr, S_arr, L = _gaussian_q(model, m, S)
    shape_t = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    for s in shape_t:
        validate.integer(s, "shape", lo=1)
    n = int(np.prod(shape_t))
    z = sample_gaussian(m_arr, S_arr, n, rng)
    log_w = np.asarray(log_joint(model, x, z)) - _mvn_log_density(z, m_arr, L)
    return log_w.reshape(shape_t)


def elbo_monte_carlo(model: LinearGaussianModel, x: ArrayLike, m: ArrayLike, S: ArrayLike,
                     n_samples: int, rng: np.random.Generator) -> MonteCarloEstimate:
    r"""Monte Carlo ELBO :math:`\frac1n \sum_i [\log p(x, z_i) - \log q(z_i)]` with reparameterised
    samples :math:`z_i = m + L\varepsilon_i`; returns the estimate (nats), its standard error and n.
    """
    n = validate.integer(n_samples, "n_samples", lo=2)
    log_w = log_weights(model, x, m, S, n, rng)
    return MonteCarloEstimate(float(np.mean(log_w)), float(np.std(log_w, ddof=1) / math.sqrt(n)), n)


# --------------------------------------------------------------------------------------------
# The importance-weighted bound
# --------------------------------------------------------------------------------------------

def iwae_bound(log_w: Any) -> Any:
    r"""The importance-weighted bound from log-weights on the LAST axis (Burda et al. 2016, Eq. 8).

    .. math:: \hat{\mathcal L}_K = \log \frac1K \sum_{k=1}^K w_k
              = \operatorname{logsumexp}_k(\log w_k) - \log K,

    one sample of the estimator whose mean :math:`\mathcal L_K` satisfies
    :math:`\mathcal L_1 = \mathrm{ELBO} \le \mathcal L_K \le \mathcal L_{K+1} \le \log p(x)`
    (Burda et al. 2016, Theorem 1). ``log_w``: shape ``(..., K)``, numpy (``scipy.special.logsumexp``)
    or a torch tensor (``torch.logsumexp``, differentiable). Returns shape ``(...)``, nats. Both paths
    refuse NaN and ``+inf`` log-weights; ``-inf`` (a weight of 0) is allowed.
    """
    if _is_torch(log_w):
        import torch

        if log_w.ndim < 1 or log_w.shape[-1] < 1:
            validate.fail("log_w", "at least 1-D with K >= 1 log-weights on the last axis",
                          tuple(log_w.shape))
        if bool(torch.isnan(log_w.detach()).any()):
            validate.fail("log_w", "free of NaN", log_w)
        if bool((log_w.detach() == math.inf).any()):
            validate.fail("log_w", "< +inf (a weight of +inf is not a finite density ratio)", math.inf)
        return torch.logsumexp(log_w, dim=-1) - math.log(log_w.shape[-1])
    arr = validate.array(log_w, "log_w", allow_inf=True)
    if arr.ndim < 1 or arr.shape[-1] < 1:
        validate.fail("log_w", "at least 1-D with K >= 1 log-weights on the last axis", arr.shape)
    if (arr == np.inf).any():
        validate.fail("log_w", "< +inf (a weight of +inf is not a finite density ratio)", np.inf)
    return _out(scipy.special.logsumexp(arr, axis=-1) - math.log(arr.shape[-1]))


def iwae_bound_monte_carlo(model: LinearGaussianModel, x: ArrayLike, m: ArrayLike, S: ArrayLike,
                           K: int, n_repeats: int, rng: np.random.Generator) -> MonteCarloEstimate:
    r""":math:`\mathcal L_K` for the linear-Gaussian model with proposal :math:`q = \mathcal N(m, S)`:
    the mean of ``n_repeats`` independent :func:`iwae_bound` samples, with its standard error (nats)."""
    K = validate.integer(K, "K", lo=1)
    n = validate.integer(n_repeats, "n_repeats", lo=2)
    bounds = np.asarray(iwae_bound(log_weights(model, x, m, S, (n, K), rng)))
    return MonteCarloEstimate(float(np.mean(bounds)), float(np.std(bounds, ddof=1) / math.sqrt(n)), n)


# --------------------------------------------------------------------------------------------
# Gradient estimators of grad_m E_q[f(z)]
# --------------------------------------------------------------------------------------------

def grad_m_expected_log_joint(model: LinearGaussianModel, x: ArrayLike, m: ArrayLike) -> Any:
    r"""Exact :math:`\nabla_m \mathbb E_{q}[\log p(x, z)] = W^\top (x - W m - b)/\sigma^2 - m`.

    Independent of :math:`S`, and equal to :math:`\nabla_m \mathcal L(q)` because the entropy of
    :math:`q` does not depend on :math:`m`. The target of both estimators below.
    """
    m_arr = _vector(m, "m", model.k)
    return grad_z_log_joint(model, x, m_arr)


def score_function_gradients(f: Callable[[NDArray[np.float64]], ArrayLike], m: ArrayLike,
                             S: ArrayLike, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    r"""``n`` single-sample score-function (REINFORCE) estimates of :math:`\nabla_m \mathbb E_q[f(z)]`.

    .. math:: \nabla_m \mathbb E_q[f(z)] = \mathbb E_q\big[f(z)\, \nabla_m \log q(z)\big],
              \qquad \nabla_m \log q(z) = S^{-1}(z - m)

    (Williams 1992). ``f`` maps ``(n, k)`` samples to ``(n,)`` values; only values of ``f`` are
    needed, no derivative. Returns ``(n, k)``: average the rows for an n-sample estimate.
    """
    L = validate.cholesky(S, "S")
    m_arr = _vector(m, "m", L.shape[-1])
    z = sample_gaussian(m_arr, L @ L.T, n, rng)
    score = scipy.linalg.cho_solve((L, True), (z - m_arr).T).T
    values = np.asarray(f(z), dtype=np.float64)
    if values.shape != (z.shape[0],):
        raise ValueError(f"`f` must return one value per sample, shape {(z.shape[0],)}; got {values.shape}")
    return values[:, None] * score


def reparameterised_gradients(grad_f: Callable[[NDArray[np.float64]], ArrayLike], m: ArrayLike,
                              S: ArrayLike, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    r"""``n`` single-sample reparameterisation estimates of :math:`\nabla_m \mathbb E_q[f(z)]`.

    .. math:: \nabla_m \mathbb E_{\varepsilon}[f(m + L\varepsilon)]
              = \mathbb E_{\varepsilon}\big[\nabla_z f(z)\big|_{z = m + L\varepsilon}\big]

    (Kingma & Welling 2014, Sec. 2.4). ``grad_f`` maps ``(n, k)`` samples to ``(n, k)`` gradients.
    Returns ``(n, k)``.
    """
    z = sample_gaussian(m, S, n, rng)
    grads = np.asarray(grad_f(z), dtype=np.float64)
    if grads.shape != z.shape:
        raise ValueError(f"`grad_f` must return one gradient per sample, shape {z.shape}; got {grads.shape}")
    return grads


# --------------------------------------------------------------------------------------------
# Data: scikit-learn's 8x8 digits
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DigitsData:
    """The 8x8 digits as float64 rows of 64 pixels in [0, 1] (or {0, 1} if binarised), split in two."""

    train_x: NDArray[np.float64]
    train_y: NDArray[np.int64]
    test_x: NDArray[np.float64]
    test_y: NDArray[np.int64]
    binarized: bool


def load_digits_data(*, binarize: bool = True, n_test: int = 297, seed: int = 0) -> DigitsData:
    r"""scikit-learn's 1797 8x8 digits (shipped with the package, no download), scaled to [0, 1].

    Pixels are integers 0..16; they are divided by 16. With ``binarize`` (default) a pixel is 1 if
    its scaled value is >= 0.5, so a Bernoulli decoder is a proper likelihood and the ELBO is a bound
    on :math:`\log p(x)` in nats (a Bernoulli "likelihood" of grey values is not normalised:
    Loaiza-Ganem & Cunningham 2019). A fixed permutation (``seed``) puts ``n_test`` images in the
    test split.
    """
    from sklearn.datasets import load_digits

    n_test = validate.integer(n_test, "n_test", lo=1, hi=1796)
    digits = load_digits()
    x = digits.data.astype(np.float64) / 16.0
    if binarize:
        x = (x >= 0.5).astype(np.float64)
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    test, train = order[:n_test], order[n_test:]
    return DigitsData(x[train], y[train], x[test], y[test], bool(binarize))


# --------------------------------------------------------------------------------------------
# A small torch VAE
# --------------------------------------------------------------------------------------------

_LIKELIHOODS = ("bernoulli", "gaussian")


def _build_vae_class() -> type:
    import torch
    from torch import nn
    from torch.nn import functional as F

    class VAE(nn.Module):
        r"""MLP VAE: encoder :math:`x \mapsto (\mu, \log\sigma^2)` of a diagonal Gaussian
        :math:`q(z \mid x)`, prior :math:`\mathcal N(0, I)`, decoder :math:`z \mapsto` Bernoulli
        logits or Gaussian means (fixed ``decoder_sigma``) of :math:`p(x \mid z)`, one hidden layer of
        ``hidden_dim`` tanh units each (Kingma & Welling 2014, Appendix C). All terms in nats."""

        def __init__(self, data_dim: int = 64, latent_dim: int = 2, hidden_dim: int = 128,
                     likelihood: str = "bernoulli", decoder_sigma: float = 0.1) -> None:
            super().__init__()
            self.data_dim = validate.integer(data_dim, "data_dim", lo=1)
            self.latent_dim = validate.integer(latent_dim, "latent_dim", lo=1)
            self.hidden_dim = validate.integer(hidden_dim, "hidden_dim", lo=1)
            if likelihood not in _LIKELIHOODS:
                validate.fail("likelihood", f"one of {_LIKELIHOODS}", likelihood)
            self.likelihood = likelihood
            self.decoder_sigma = float(validate.positive(decoder_sigma, "decoder_sigma"))
            self.encoder = nn.Sequential(nn.Linear(self.data_dim, self.hidden_dim), nn.Tanh(),
                                         nn.Linear(self.hidden_dim, 2 * self.latent_dim))
            self.decoder = nn.Sequential(nn.Linear(self.latent_dim, self.hidden_dim), nn.Tanh(),
                                         nn.Linear(self.hidden_dim, self.data_dim))

        def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            """``(mu, logvar)`` of q(z | x), each ``(batch, latent_dim)``."""
            mu, logvar = self.encoder(x).chunk(2, dim=-1)
            return mu, logvar

        def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
            """The mean of p(x | z): pixel probabilities (Bernoulli) or means (Gaussian)."""
            out = self.decoder(z)
            return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

        def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
            r""":math:`\log p(x \mid z)` summed over pixels, nats; broadcasts ``z`` leading axes."""
            out = self.decoder(z)
            if self.likelihood == "bernoulli":
                return -F.binary_cross_entropy_with_logits(
                    out, x.expand_as(out), reduction="none").sum(-1)
            dist = torch.distributions.Normal(out, self.decoder_sigma)
            return dist.log_prob(x.expand_as(out)).sum(-1)

        def elbo_terms(self, x: torch.Tensor, generator: torch.Generator | None = None
                       ) -> dict[str, torch.Tensor]:
            r"""Per-example single-sample ELBO terms, nats: ``reconstruction``
            :math:`\log p(x \mid z)` at :math:`z = \mu + \sigma \odot \varepsilon`, ``kl`` (closed
            form, :func:`kl_std_normal`), ``kl_per_dim`` ``(batch, latent_dim)`` and ``elbo``."""
            mu, logvar = self.encode(x)
            eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
            z = mu + torch.exp(0.5 * logvar) * eps
            reconstruction = self.log_likelihood(x, z)
            kl_per_dim = kl_std_normal(mu.unsqueeze(-1), logvar.unsqueeze(-1))
            kl = kl_std_normal(mu, logvar)
            return {"reconstruction": reconstruction, "kl": kl, "kl_per_dim": kl_per_dim,
                    "elbo": reconstruction - kl}

    return VAE


_CLASSES: dict[str, type] = {}


def __getattr__(name: str) -> Any:
    """Build the torch ``VAE`` class on first access (PEP 562), so importing this module does not
    import torch."""
    if name == "VAE":
        if "VAE" not in _CLASSES:
            _CLASSES["VAE"] = _build_vae_class()
        return _CLASSES["VAE"]
    raise AttributeError(f"module 'genmath.vae' has no attribute {name!r}")


@dataclass
class VAETrainingResult:
    """A trained VAE and its per-epoch history (all in nats per image, training split unless
    prefixed ``test_``): ``elbo``, ``reconstruction`` (:math:`\\mathbb E_q \\log p(x|z)`), ``kl``,
    ``test_elbo`` (if test data were given), and the final mean KL of each latent dimension."""

    model: Any
    elbo: list[float] = field(default_factory=list)
    reconstruction: list[float] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)
    test_elbo: list[float] = field(default_factory=list)
    kl_per_dim: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    beta: float = 1.0
    seconds: float = 0.0


def _evaluate(model: Any, x: Any, seed: int) -> dict[str, Any]:
    """Mean single-sample ELBO terms over ``x`` with a fixed noise seed (deterministic)."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        terms = model.elbo_terms(x, generator)
    return {"elbo": float(terms["elbo"].mean()), "reconstruction": float(terms["reconstruction"].mean()),
            "kl": float(terms["kl"].mean()), "kl_per_dim": terms["kl_per_dim"].mean(0).numpy().copy()}


def train_vae(train_x: ArrayLike, *, test_x: ArrayLike | None = None, latent_dim: int = 2,
              hidden_dim: int = 128, likelihood: str = "bernoulli", decoder_sigma: float = 0.1,
              beta: float = 1.0, epochs: int = 40, batch_size: int = 64, lr: float = 2e-3,
              seed: int = 0, kl_warmup_epochs: int = 0, free_bits: float = 0.0) -> VAETrainingResult:
    r"""Train a :class:`VAE` with Adam on :math:`-\mathrm{ELBO}_\beta`, deterministically.

    .. math:: \mathrm{ELBO}_\beta(x) = \mathbb E_{q(z|x)}[\log p(x \mid z)]
              - \beta\, \mathrm{KL}(q(z \mid x) \,\|\, \mathcal N(0, I)),

    with one reparameterised sample per example and the KL in closed form; :math:`\beta = 1` is the
    ELBO (Kingma & Welling 2014, Eq. 10), other values the beta-VAE objective (Higgins et al. 2017).

    Two remedies for posterior collapse change the KL part of the loss (both off by default):

    * ``kl_warmup_epochs`` (KL annealing, Bowman et al. 2016; the linear "warm-up" of Sonderby et
      al. 2016): the KL weight at optimiser step :math:`s = 0, 1, \dots` is
      :math:`\beta \min\big(1, (s + 1)/S\big)` with :math:`S` the number of steps in
      ``kl_warmup_epochs`` epochs, so it grows linearly from about 0 to :math:`\beta`.
    * ``free_bits`` :math:`\lambda` (nats per latent dimension; Kingma et al. 2016, "free bits"): the
      KL part is :math:`\beta \sum_j \max\big(\lambda, \overline{\mathrm{KL}}_j\big)`, with
      :math:`\overline{\mathrm{KL}}_j` dimension :math:`j`'s KL averaged over the minibatch, so a
      dimension whose average KL is below :math:`\lambda` gets no gradient from the KL term.

    Fully deterministic: ``seed`` fixes the initialisation, the shuffling and the noise;
    one CPU thread and ``torch.use_deterministic_algorithms(True)`` during training (both restored
    afterwards). After every epoch the ELBO terms (with :math:`\beta = 1`) are evaluated on the whole
    training split (and on ``test_x``) with a fixed noise seed and recorded, in nats per image.
    """
    import time

    import torch

    x_np = validate.array(train_x, "train_x")
    if x_np.ndim != 2 or x_np.shape[0] < 1:
        validate.fail("train_x", "a non-empty (n, data_dim) array", x_np.shape)
    if likelihood == "bernoulli":
        validate.in_interval(x_np, "train_x", 0.0, 1.0, closed=True)
    test_np = None
    if test_x is not None:
        test_np = validate.array(test_x, "test_x")
        if test_np.ndim != 2 or test_np.shape[1] != x_np.shape[1]:
            validate.fail("test_x", f"an (n, {x_np.shape[1]}) array", test_np.shape)
    beta = float(validate.array(beta, "beta"))
    if beta < 0:
        validate.fail("beta", ">= 0", beta)
    epochs = validate.integer(epochs, "epochs", lo=1)
    batch_size = validate.integer(batch_size, "batch_size", lo=1)
    lr = float(validate.positive(lr, "lr"))
    seed = validate.integer(seed, "seed", lo=0)
    kl_warmup_epochs = validate.integer(kl_warmup_epochs, "kl_warmup_epochs", lo=0)
    free_bits = float(validate.non_negative(free_bits, "free_bits"))

    VAE = __getattr__("VAE")
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    start = time.perf_counter()
    try:
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True)
        torch.manual_seed(seed)
        model = VAE(x_np.shape[1], latent_dim, hidden_dim, likelihood, decoder_sigma).double()
        data = torch.from_numpy(x_np)
        test = torch.from_numpy(test_np) if test_np is not None else None
        optimiser = torch.optim.Adam(model.parameters(), lr=lr)
        generator = torch.Generator().manual_seed(seed)
        result = VAETrainingResult(model=model, beta=beta)
        n = data.shape[0]
        warmup_steps = kl_warmup_epochs * math.ceil(n / batch_size)
        step = 0
        for epoch in range(epochs):
            model.train()
            order = torch.randperm(n, generator=generator)
            for start_i in range(0, n, batch_size):
                batch = data[order[start_i:start_i + batch_size]]
                terms = model.elbo_terms(batch, generator)
                weight = beta * min(1.0, (step + 1) / warmup_steps) if warmup_steps else beta
                step += 1
                if free_bits > 0:  # sum_j max(lambda, minibatch-mean KL_j): no KL gradient below lambda
                    kl_part = torch.clamp(terms["kl_per_dim"].mean(0), min=free_bits).sum()
                    loss = -terms["reconstruction"].mean() + weight * kl_part
                else:
                    loss = -(terms["reconstruction"] - weight * terms["kl"]).mean()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            model.eval()
            train_eval = _evaluate(model, data, seed + 1 + epoch)
            result.elbo.append(train_eval["elbo"])
            result.reconstruction.append(train_eval["reconstruction"])
            result.kl.append(train_eval["kl"])
            result.kl_per_dim = train_eval["kl_per_dim"]
            if test is not None:
                result.test_elbo.append(_evaluate(model, test, seed + 1 + epoch)["elbo"])
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
    result.seconds = time.perf_counter() - start
    return result


def cached_train_vae(train_x: ArrayLike, *, test_x: ArrayLike | None = None,
                     cache_dir: str | os.PathLike[str] | None = None, **kwargs: Any) -> VAETrainingResult:
    """:func:`train_vae` through the on-disk memo of :mod:`genmath.memo` (keyed on the data, the
    keyword arguments and this module's source), so that snippets in separate processes share one
    training run. Training is deterministic, so a hit returns the very weights and per-epoch history of
    a fresh run; ``seconds`` is the training time of the run that made the entry."""
    x = validate.array(train_x, "train_x")
    test = None if test_x is None else validate.array(test_x, "test_x")
    kw = memo.keywords(train_vae, kwargs)
    del kw["test_x"]

    def to_state(result: VAETrainingResult) -> dict[str, Any]:
        return {"model": result.model.state_dict(), "elbo": result.elbo, "reconstruction": result.reconstruction,
                "kl": result.kl, "test_elbo": result.test_elbo, "kl_per_dim": memo.tensor(result.kl_per_dim),
                "beta": result.beta, "seconds": result.seconds}

    def from_state(state: dict[str, Any]) -> VAETrainingResult:
        model = __getattr__("VAE")(x.shape[1], kw["latent_dim"], kw["hidden_dim"], kw["likelihood"],
                                   kw["decoder_sigma"]).double()
        model.load_state_dict(state["model"])
        model.eval()
        return VAETrainingResult(model=model, elbo=state["elbo"], reconstruction=state["reconstruction"],
                                 kl=state["kl"], test_elbo=state["test_elbo"],
                                 kl_per_dim=memo.array(state["kl_per_dim"]), beta=state["beta"],
                                 seconds=state["seconds"])

    return memo.memo("vae", __file__, [x, test], kw, lambda: train_vae(x, test_x=test, **kw), to_state, from_state,
                     cache_dir=cache_dir)


def latent_activity(model: Any, x: ArrayLike) -> NDArray[np.float64]:
    r"""Activity of each latent dimension: :math:`A_u = \operatorname{Cov}_x\big(\mathbb E_{q(z|x)}[z_u]\big)`
    over the examples ``x`` (Burda et al. 2016, who call a unit *active* if
    :math:`A_u > 10^{-2}`). A collapsed dimension has :math:`q(z_u \mid x) \approx p(z_u)` for every
    ``x``, so its encoder mean no longer varies with ``x`` and :math:`A_u \to 0`. Returns
    ``(latent_dim,)``."""
    import torch

    x_np = validate.array(x, "x")
    if x_np.ndim != 2 or x_np.shape[0] < 2:
        validate.fail("x", "an (n, data_dim) array with n >= 2", x_np.shape)
    dtype = next(model.parameters()).dtype
    with torch.no_grad():
        mu, _ = model.encode(torch.from_numpy(x_np).to(dtype))
    return np.var(mu.numpy().astype(np.float64), axis=0, ddof=1)


def vae_iwae_bound(model: Any, x: ArrayLike, K: int, *, seed: int = 0, chunk: int = 64,
                   mu: ArrayLike | None = None, logvar: ArrayLike | None = None) -> Any:
    r"""Per-example importance-weighted bound :math:`\hat{\mathcal L}_K(x)` of a trained :class:`VAE`,
    nats (Burda et al. 2016, Eq. 8), with :math:`q(z \mid x)` as the proposal:

    .. math:: \log w_k = \log p(x \mid z_k) + \log p(z_k) - \log q(z_k \mid x),
              \quad z_k \sim q(z \mid x).

    ``x``: ``(n, data_dim)``; returns ``(n,)`` numpy. Deterministic given ``seed``. The proposal is
    the encoder's unless ``mu`` and ``logvar`` (``(n, latent_dim)``) give another diagonal Gaussian
    per example (e.g. from :func:`fit_local_posteriors`).
    """
    import torch

    x_np = validate.array(x, "x")
    if x_np.ndim != 2:
        validate.fail("x", "an (n, data_dim) array", x_np.shape)
    K = validate.integer(K, "K", lo=1)
    generator = torch.Generator().manual_seed(validate.integer(seed, "seed", lo=0))
    dtype = next(model.parameters()).dtype
    given = None
    if (mu is None) != (logvar is None):
        validate.fail("logvar", "given exactly when mu is given", "one of them missing")
    if mu is not None:
        given = [validate.array(a, name) for a, name in ((mu, "mu"), (logvar, "logvar"))]
        for arr, name in zip(given, ("mu", "logvar")):
            if arr.ndim != 2 or arr.shape[0] != x_np.shape[0]:
                validate.fail(name, f"an ({x_np.shape[0]}, latent_dim) array", arr.shape)
    out = []
    with torch.no_grad():
        for i in range(0, x_np.shape[0], chunk):
            xb = torch.from_numpy(x_np[i:i + chunk]).to(dtype)
            if given is None:
                mu_b, logvar_b = model.encode(xb)
            else:
                mu_b, logvar_b = (torch.from_numpy(a[i:i + chunk]).to(dtype) for a in given)
            std = torch.exp(0.5 * logvar_b)
            mu = mu_b
            eps = torch.randn((K,) + tuple(mu.shape), generator=generator, dtype=dtype)
            z = mu + std * eps                                     # (K, batch, latent)
            normal = torch.distributions.Normal
            log_q = normal(mu, std).log_prob(z).sum(-1)
            log_prior_z = normal(torch.zeros_like(z), torch.ones_like(z)).log_prob(z).sum(-1)
            log_w = model.log_likelihood(xb, z) + log_prior_z - log_q  # (K, batch)
            out.append(iwae_bound(log_w.T).numpy())
    return _out(np.concatenate(out))


# --------------------------------------------------------------------------------------------
# What the encoder transmits, and what amortisation costs
# --------------------------------------------------------------------------------------------

class EncoderInformation(NamedTuple):
    r"""The rate of an encoder split in two (Hoffman & Johnson 2016), nats per example:
    ``rate`` :math:`R = \frac1n\sum_i \mathrm{KL}(q(z \mid x_i) \,\|\, p(z))` (closed form),
    ``mutual_information`` :math:`I_q(x; z)` and ``marginal_kl``
    :math:`\mathrm{KL}(q(z) \,\|\, p(z))`, the last two Monte Carlo estimates with standard errors."""

    rate: float
    mutual_information: MonteCarloEstimate
    marginal_kl: MonteCarloEstimate


def _encoder_stats(model: Any, x: ArrayLike, name: str = "x") -> tuple[Any, Any, Any]:
    import torch

    x_np = validate.array(x, name)
    if x_np.ndim != 2 or x_np.shape[0] < 1:
        validate.fail(name, "a non-empty (n, data_dim) array", x_np.shape)
    dtype = next(model.parameters()).dtype
    xt = torch.from_numpy(x_np).to(dtype)
    with torch.no_grad():
        mu, logvar = model.encode(xt)
    return xt, mu, logvar


def encoder_mutual_information(model: Any, x: ArrayLike, *, draws: int = 16, seed: int = 0,
                               chunk: int = 128) -> EncoderInformation:
    r"""The mutual information between an example and its code under the encoder, with the data
    distribution the empirical one of the rows of ``x`` (Hoffman & Johnson 2016; Alemi et al. 2018):

    .. math:: I_q(x; z) = \frac1n \sum_{i=1}^n \mathbb E_{q(z \mid x_i)}\left[\log
              \frac{q(z \mid x_i)}{q(z)}\right], \qquad q(z) = \frac1n \sum_{j=1}^n q(z \mid x_j),

    estimated with ``draws`` reparameterised codes per example; the aggregate posterior
    :math:`q(z)` is summed exactly over all ``n`` examples (``logsumexp``), so the only error is the
    Monte Carlo error of the outer expectation, returned as a standard error. The same draws give
    :math:`\mathrm{KL}(q(z) \,\|\, p(z)) = \frac1n\sum_i \mathbb E_{q(z \mid x_i)}[\log q(z) - \log p(z)]`,
    and the two add up to the rate :math:`R` (in expectation; ``rate`` is in closed form).
    :math:`0 \le I_q(x; z) \le \log n`. ``model``: a :class:`VAE` (anything with ``encode`` and
    ``parameters``). Deterministic given ``seed``.
    """
    import torch

    draws = validate.integer(draws, "draws", lo=2)
    chunk = validate.integer(chunk, "chunk", lo=1)
    _, mu, logvar = _encoder_stats(model, x)
    n = mu.shape[0]
    generator = torch.Generator().manual_seed(validate.integer(seed, "seed", lo=0))
    std = torch.exp(0.5 * logvar)
    prec = torch.exp(-logvar)                                                      # (n, k)
    log_norm = -0.5 * (logvar.sum(-1) + mu.shape[-1] * _LOG_2PI)                   # (n,)
    normal = torch.distributions.Normal
    mi_terms, kl_terms = [], []
    with torch.no_grad():
        for i in range(0, n, chunk):
            m, s = mu[i:i + chunk], std[i:i + chunk]
            z = m + s * torch.randn((draws,) + tuple(m.shape), generator=generator, dtype=mu.dtype)
            log_q_own = normal(m, s).log_prob(z).sum(-1)                          # (draws, b)
            # log q(z) = logsumexp_j log q(z | x_j) - log n, over all n examples: (draws, b). The
            # quadratic form sum_k (z_k - mu_jk)^2 / s_jk^2 expanded into matrix products
            zz = z.reshape(-1, z.shape[-1])                                       # (draws * b, k)
            quad = (zz**2) @ prec.T - 2.0 * zz @ (mu * prec).T + (mu**2 * prec).sum(-1)
            log_q_all = -0.5 * quad + log_norm                                    # (draws * b, n)
            log_q_agg = (torch.logsumexp(log_q_all, dim=-1) - math.log(n)).reshape(z.shape[:-1])
            log_prior = normal(0.0, 1.0).log_prob(z).sum(-1)
            mi_terms.append((log_q_own - log_q_agg).T)                          # (b, draws)
            kl_terms.append((log_q_agg - log_prior).T)

    def estimate(terms: list[Any]) -> MonteCarloEstimate:
        t = torch.cat(terms).numpy()                                            # (n, draws)
        # examples are fixed; the draws are independent: Var = sum_i Var_i / draws / n^2
        se = math.sqrt(float(t.var(axis=1, ddof=1).sum()) / draws) / n
        return MonteCarloEstimate(float(t.mean()), se, int(t.size))

    rate = float(kl_std_normal(mu, logvar).mean())
    return EncoderInformation(rate, estimate(mi_terms), estimate(kl_terms))


def _diag_gaussian_elbo_draws(model: Any, xt: Any, mu: Any, logvar: Any, draws: int,
                              generator: Any) -> Any:
    """``(draws, n)`` single-sample ELBO estimates of q = N(mu, diag exp(logvar)): the
    reconstruction term at a reparameterised z, minus the KL to N(0, I) in closed form."""
    import torch

    eps = torch.randn((draws,) + tuple(mu.shape), generator=generator, dtype=mu.dtype)
    z = mu + torch.exp(0.5 * logvar) * eps
    return model.log_likelihood(xt, z) - kl_std_normal(mu, logvar)


def fit_local_posteriors(model: Any, x: ArrayLike, *, steps: int = 300, lr: float = 0.05,
                         draws: int = 16, seed: int = 0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Per-example Gaussian posteriors fitted with the decoder held fixed (Cremer, Li & Duvenaud
    2018, Sec. 3): for every row :math:`x_i`, the diagonal Gaussian
    :math:`q_i^* = \mathcal N(\mu_i, \operatorname{diag} e^{\ell_i})` that maximises its own ELBO

    .. math:: \mathcal L(q_i) = \mathbb E_{q_i}[\log p_\theta(x_i \mid z)]
              - \mathrm{KL}(q_i \,\|\, \mathcal N(0, I)),

    by Adam (learning rate ``lr``, ``steps`` steps) on reparameterised estimates with ``draws``
    codes per example, started at the encoder's output. The examples' objectives share no
    parameter and Adam acts coordinate-wise, so optimising their sum optimises each one. Returns
    ``(mu, logvar)``, each ``(n, latent_dim)`` numpy. ``model`` needs ``encode``,
    ``log_likelihood`` and ``parameters`` (a :class:`VAE`); its parameters are not changed.
    Deterministic given ``seed``.
    """
    import torch

    steps = validate.integer(steps, "steps", lo=1)
    lr = float(validate.positive(lr, "lr"))
    draws = validate.integer(draws, "draws", lo=1)
    xt, mu0, logvar0 = _encoder_stats(model, x)
    generator = torch.Generator().manual_seed(validate.integer(seed, "seed", lo=0))
    mu = mu0.clone().requires_grad_(True)
    logvar = logvar0.clone().requires_grad_(True)
    optimiser = torch.optim.Adam([mu, logvar], lr=lr)
    frozen = [p.requires_grad for p in model.parameters()]
    try:
        for p in model.parameters():
            p.requires_grad_(False)
        for _ in range(steps):
            loss = -_diag_gaussian_elbo_draws(model, xt, mu, logvar, draws, generator).mean(0).sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    finally:
        for p, flag in zip(model.parameters(), frozen):
            p.requires_grad_(flag)
    return mu.detach().numpy().copy(), logvar.detach().numpy().copy()


def gaussian_q_elbo(model: Any, x: ArrayLike, mu: ArrayLike | None = None, logvar: ArrayLike | None = None,
                    *, draws: int = 256, seed: int = 0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Per-example ELBO of a diagonal Gaussian :math:`q_i = \mathcal N(\mu_i, \operatorname{diag}
    e^{\ell_i})`, nats (Kingma & Welling 2014, Eq. 3): the reconstruction term averaged over
    ``draws`` reparameterised codes, minus the KL term in closed form,

    .. math:: \hat{\mathcal L}(q_i) = \frac1S \sum_{s=1}^S \log p_\theta(x_i \mid z_{is})
              - \mathrm{KL}(q_i \,\|\, \mathcal N(0, I)), \qquad z_{is} \sim q_i .

    ``mu``, ``logvar``: ``(n, latent_dim)``; both ``None`` means the encoder's :math:`q_\phi(z \mid x_i)`.
    Returns ``(elbo, se)``, each ``(n,)``: the estimates and their Monte Carlo standard errors.
    """
    import torch

    draws = validate.integer(draws, "draws", lo=2)
    xt, mu_e, logvar_e = _encoder_stats(model, x)
    if (mu is None) != (logvar is None):
        validate.fail("logvar", "given exactly when mu is given", "one of them missing")
    if mu is not None:
        mu_a, logvar_a = validate.array(mu, "mu"), validate.array(logvar, "logvar")
        for arr, name in ((mu_a, "mu"), (logvar_a, "logvar")):
            if arr.shape != tuple(mu_e.shape):
                validate.fail(name, f"shape {tuple(mu_e.shape)}", arr.shape)
        mu_e = torch.from_numpy(mu_a).to(mu_e.dtype)
        logvar_e = torch.from_numpy(logvar_a).to(mu_e.dtype)
    generator = torch.Generator().manual_seed(validate.integer(seed, "seed", lo=0))
    with torch.no_grad():
        runs = _diag_gaussian_elbo_draws(model, xt, mu_e, logvar_e, draws, generator).numpy()
    return runs.mean(0), runs.std(0, ddof=1) / math.sqrt(draws)
