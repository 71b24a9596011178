r"""Score-based models: scores of Gaussians and mixtures, denoising score matching, Tweedie's formula,
the score <-> noise-prediction link of DDPM, and (annealed) Langevin sampling.

Notation (as in ``docs/score.md``): data :math:`x \in \mathbb{R}^D`, noisy data
:math:`\tilde x = x + \sigma\eta` with :math:`\eta \sim \mathcal{N}(0, I)`, noisy marginal
:math:`p_\sigma(\tilde x) = \int p(x)\,\mathcal{N}(\tilde x; x, \sigma^2 I)\,dx`, score
:math:`\nabla_x \log p(x)`. DDPM: :math:`x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon`.

Points are arrays whose last axis is the dimension :math:`D` (shape ``(..., D)``).
"""

from __future__ import annotations

import functools
import itertools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genmath import memo, validate

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------------------------------
# Closed-form scores
# --------------------------------------------------------------------------------------------------

def _points(x: ArrayLike, name: str, dim: int | None = None) -> FloatArray:
    arr = validate.array(x, name)
    if arr.ndim == 0:
        validate.fail(name, "an array of points with the dimension on the last axis, shape (..., D)", arr)
    if dim is not None and arr.shape[-1] != dim:
        validate.fail(name, f"points of dimension {dim} (last axis)", arr.shape)
    return arr


def _mean_cov(mean: ArrayLike, cov: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    mu = validate.array(mean, "mean")
    if mu.ndim != 1:
        validate.fail("mean", "a vector of shape (D,)", mu.shape)
    sigma = validate.array(cov, "cov")
    if sigma.shape != (mu.size, mu.size):
        validate.fail("cov", f"a ({mu.size}, {mu.size}) matrix to match `mean`", sigma.shape)
    return mu, sigma, validate.cholesky(sigma, "cov")


def _whitener(chol: FloatArray) -> FloatArray:
    r""":math:`L^{-1}` for the lower Cholesky factor :math:`L` of :math:`\Sigma` (a small D x D solve)."""
    return np.linalg.inv(chol)  # numpy, not scipy.linalg: far cheaper for tiny matrices


def gaussian_score(x: ArrayLike, mean: ArrayLike, cov: ArrayLike) -> FloatArray:
    r"""Score of :math:`\mathcal{N}(\mu, \Sigma)`: :math:`\nabla_x \log \mathcal{N}(x; \mu, \Sigma) = -\Sigma^{-1}(x - \mu)`."""
    mu, _, chol = _mean_cov(mean, cov)
    x = _points(x, "x", mu.size)
    l_inv = _whitener(chol)
    precision = l_inv.T @ l_inv
    return -(x - mu) @ precision  # precision is symmetric


def mvn_log_prob(x: ArrayLike, mean: ArrayLike, cov: ArrayLike) -> FloatArray:
    r""":math:`\log \mathcal{N}(x; \mu, \Sigma) = -\tfrac12 (x-\mu)^\top\Sigma^{-1}(x-\mu) - \tfrac12\log\det(2\pi\Sigma)`
    in nats, shape ``x.shape[:-1]``."""
    mu, _, chol = _mean_cov(mean, cov)
    x = _points(x, "x", mu.size)
    white = (x - mu) @ _whitener(chol).T
    log_det = 2.0 * np.log(np.diag(chol)).sum()
    return -0.5 * (white**2).sum(-1) - 0.5 * log_det - 0.5 * mu.size * np.log(2 * np.pi)


def _mixture(weights: ArrayLike, means: ArrayLike, covs: ArrayLike
             ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Validated mixture parameters and the covariances' Cholesky factors; every covariance is checked
    here (symmetric, positive definite), so an error names ``covs`` and the component index, not the
    per-component ``cov``."""
    pi = validate.probabilities(weights, "weights")
    if pi.ndim != 1:
        validate.fail("weights", "a vector of K mixture weights", pi.shape)
    mus = validate.array(means, "means")
    if mus.ndim != 2 or mus.shape[0] != pi.size:
        validate.fail("means", f"an array of shape (K, D) with K = {pi.size}", mus.shape)
    sigmas = validate.array(covs, "covs")
    d = mus.shape[1]
    if sigmas.shape != (pi.size, d, d):
        validate.fail("covs", f"an array of shape ({pi.size}, {d}, {d})", sigmas.shape)
    return pi, mus, sigmas, validate.cholesky(sigmas, "covs")


def _components(x: ArrayLike, weights: ArrayLike, means: ArrayLike, covs: ArrayLike
                ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    r"""For every point and component at once: :math:`\log \pi_k + \log \mathcal{N}(x; \mu_k, \Sigma_k)`
    (shape ``(..., K)``), the points ``x`` (``(..., D)``), the means and :math:`L_k^{-1}` (``(K, D, D)``).
    All K components in one matrix product: Langevin chains call this thousands of times."""
    pi, mus, _, chols = _mixture(weights, means, covs)
    x = _points(x, "x", mus.shape[1])
    k, d = mus.shape
    l_inv = np.linalg.inv(chols)  # (K, D, D), tiny
    # L_k^{-1} (x - mu_k) = L_k^{-1} x - L_k^{-1} mu_k, for every k by one product with the stacked L_k^{-1}
    white = (x @ l_inv.reshape(k * d, d).T).reshape(*x.shape[:-1], k, d) - np.einsum("ked,kd->ke", l_inv, mus)
    log_det = 2.0 * np.log(np.diagonal(chols, axis1=-2, axis2=-1)).sum(-1)
    with np.errstate(divide="ignore"):
        log_pi = np.log(pi)
    log_joint = log_pi - 0.5 * (white**2).sum(-1) - 0.5 * log_det - 0.5 * d * np.log(2 * np.pi)
    return log_joint, x, mus, l_inv


def _log_sum_exp(a: FloatArray) -> FloatArray:
    """log of the sum of exp over the last axis, shifted by its largest term (keeps that axis, size 1);
    every term -inf gives -inf."""
    top = np.max(a, axis=-1, keepdims=True)
    shift = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(a - shift).sum(-1, keepdims=True)) + shift


def mixture_component_log_probs(x: ArrayLike, weights: ArrayLike, means: ArrayLike, covs: ArrayLike
                                ) -> FloatArray:
    r""":math:`\log \pi_k + \log \mathcal{N}(x; \mu_k, \Sigma_k)` for every component, shape ``(..., K)``."""
    return _components(x, weights, means, covs)[0]


def mixture_log_prob(x: ArrayLike, weights: ArrayLike, means: ArrayLike, covs: ArrayLike) -> FloatArray:
    r""":math:`\log p(x) = \log \sum_k \pi_k \mathcal{N}(x; \mu_k, \Sigma_k)` in nats."""
    return _log_sum_exp(_components(x, weights, means, covs)[0])[..., 0]


def mixture_responsibilities(x: ArrayLike, weights: ArrayLike, means: ArrayLike, covs: ArrayLike
                             ) -> FloatArray:
    r""":math:`r_k(x) = \pi_k \mathcal{N}(x;\mu_k,\Sigma_k) / \sum_j \pi_j \mathcal{N}(x;\mu_j,\Sigma_j)`, shape ``(..., K)``."""
    log_joint = _components(x, weights, means, covs)[0]
    return np.exp(log_joint - _log_sum_exp(log_joint))


def mixture_score(x: ArrayLike, weights: ArrayLike, means: ArrayLike, covs: ArrayLike) -> FloatArray:
    r"""Score of a Gaussian mixture, the responsibility-weighted average of the component scores:

    .. math:: \nabla_x \log p(x) = \sum_k r_k(x)\,\left(-\Sigma_k^{-1}(x - \mu_k)\right).
    """
    log_joint, x, mus, l_inv = _components(x, weights, means, covs)
    resp = np.exp(log_joint - _log_sum_exp(log_joint))
    k, d = mus.shape
    precision = np.swapaxes(l_inv, -1, -2) @ l_inv  # Sigma_k^{-1} = L_k^{-T} L_k^{-1}, symmetric
    # -Sigma_k^{-1} (x - mu_k) for every k by one product with the stacked precisions
    comp = np.einsum("kde,ke->kd", precision, mus) - (x @ precision.reshape(k * d, d).T).reshape(*x.shape[:-1], k, d)
    return (resp[..., None] * comp).sum(axis=-2)


def noisy_covs(covs: ArrayLike, sigma: float) -> FloatArray:
    r"""Covariances of :math:`p_\sigma = p * \mathcal{N}(0, \sigma^2 I)` for a Gaussian (mixture) :math:`p`:
    :math:`\Sigma_k + \sigma^2 I` (the sum of independent Gaussians)."""
    sigmas = validate.array(covs, "covs")
    if sigmas.ndim < 2 or sigmas.shape[-1] != sigmas.shape[-2]:
        validate.fail("covs", "a square matrix or a stack of them, shape (..., D, D)", sigmas.shape,
                      " as its shape")
    sigma = float(validate.in_interval(sigma, "sigma", 0.0, np.inf, closed=True))
    return sigmas + sigma**2 * np.eye(sigmas.shape[-1])


# --------------------------------------------------------------------------------------------------
# Denoising score matching (Vincent, 2011) and Tweedie's formula
# --------------------------------------------------------------------------------------------------

def add_gaussian_noise(x: ArrayLike, sigma: float, rng: np.random.Generator) -> FloatArray:
    r""":math:`\tilde x = x + \sigma\eta`, :math:`\eta \sim \mathcal{N}(0, I)`."""
    x = _points(x, "x")
    sigma = float(validate.positive(sigma, "sigma"))
    return x + sigma * rng.standard_normal(x.shape)


def dsm_target(x_tilde: ArrayLike, x: ArrayLike, sigma: float) -> FloatArray:
    r"""Denoising score-matching regression target, the score of the noise kernel
    (Vincent, 2011, Eq. 11 with a Gaussian kernel):

    .. math:: \nabla_{\tilde x} \log q_\sigma(\tilde x \mid x) = -\frac{\tilde x - x}{\sigma^2}.
    """
    x_tilde = _points(x_tilde, "x_tilde")
    x = _points(x, "x")
    validate.same_shape(x_tilde, x, "x_tilde", "x")
    sigma = float(validate.positive(sigma, "sigma"))
    return -(x_tilde - x) / sigma**2


def dsm_loss(score_values: ArrayLike, x_tilde: ArrayLike, x: ArrayLike, sigma: float) -> float:
    r"""Monte Carlo DSM objective (Vincent, 2011, Eq. 11), in squared score units:
    :math:`\frac{1}{N}\sum_n \tfrac12\lVert s(\tilde x_n) + (\tilde x_n - x_n)/\sigma^2\rVert^2`."""
    target = dsm_target(x_tilde, x, sigma)
    s = _points(score_values, "score_values")
    validate.same_shape(s, target, "score_values", "x_tilde")
    return float(0.5 * ((s - target) ** 2).reshape(-1, target.shape[-1]).sum(-1).mean())


def fit_linear_dsm(x_tilde: ArrayLike, x: ArrayLike, sigma: float) -> tuple[FloatArray, FloatArray]:
    r"""Minimise the DSM objective over linear scores :math:`s(\tilde x) = A\tilde x + b` (least squares).

    For Gaussian data the minimiser over *all* functions, :math:`\mathbb{E}[-(\tilde x - x)/\sigma^2 \mid \tilde x]
    = \nabla \log p_\sigma(\tilde x)`, is linear, so this recovers the noisy marginal's score
    :math:`A = -(\Sigma + \sigma^2 I)^{-1}`, :math:`b = -A\mu` up to Monte Carlo error. Returns ``(A, b)``.
    """
    target = dsm_target(x_tilde, x, sigma)
    xt = _points(x_tilde, "x_tilde").reshape(-1, target.shape[-1])
    design = np.hstack([xt, np.ones((xt.shape[0], 1))])
    coef, *_ = np.linalg.lstsq(design, target.reshape(-1, target.shape[-1]), rcond=None)
    return coef[:-1].T, coef[-1]


def tweedie_denoiser(x_tilde: ArrayLike, sigma: float, score_values: ArrayLike) -> FloatArray:
    r"""Tweedie's formula (Efron, 2011, Eq. 2.8; Robbins, 1956): the posterior mean of the clean data,

    .. math:: \mathbb{E}[x \mid \tilde x] = \tilde x + \sigma^2 \nabla_{\tilde x} \log p_\sigma(\tilde x),

    given ``score_values`` :math:`= \nabla \log p_\sigma(\tilde x)`.
    """
    x_tilde = _points(x_tilde, "x_tilde")
    s = _points(score_values, "score_values")
    validate.same_shape(x_tilde, s, "x_tilde", "score_values")
    sigma = float(validate.positive(sigma, "sigma"))
    return x_tilde + sigma**2 * s


def gaussian_posterior_mean(x_tilde: ArrayLike, mean: ArrayLike, cov: ArrayLike, sigma: float) -> FloatArray:
    r"""Closed-form :math:`\mathbb{E}[x\mid\tilde x]` for :math:`x\sim\mathcal{N}(\mu,\Sigma)`, :math:`\tilde x = x + \sigma\eta`
    (Gaussian conditioning): :math:`\mu + \Sigma(\Sigma + \sigma^2 I)^{-1}(\tilde x - \mu)`."""
    mu, cov_arr, _ = _mean_cov(mean, cov)
    sigma = float(validate.positive(sigma, "sigma"))
    x_tilde = _points(x_tilde, "x_tilde", mu.size)
    gain = cov_arr @ np.linalg.inv(cov_arr + sigma**2 * np.eye(mu.size))
    return mu + (x_tilde - mu) @ gain.T


# --------------------------------------------------------------------------------------------------
# The DDPM link: score = -eps / sqrt(1 - alpha_bar)
# --------------------------------------------------------------------------------------------------

def _alpha_bar(alpha_bar: ArrayLike) -> FloatArray:
    return validate.in_interval(alpha_bar, "alpha_bar", 0.0, 1.0)


def ddpm_conditional_score(x_t: ArrayLike, x_0: ArrayLike, alpha_bar: ArrayLike) -> FloatArray:
    r"""Score of the DDPM forward marginal :math:`q(x_t\mid x_0) = \mathcal{N}(\sqrt{\bar\alpha_t}x_0, (1-\bar\alpha_t)I)`
    (Ho et al., 2020, Eq. 4): :math:`\nabla_{x_t}\log q(x_t\mid x_0) = -(x_t - \sqrt{\bar\alpha_t}x_0)/(1-\bar\alpha_t)`."""
    x_t, x_0 = validate.array(x_t, "x_t"), validate.array(x_0, "x_0")
    validate.same_shape(x_t, x_0, "x_t", "x_0")
    a = _alpha_bar(alpha_bar)
    return -(x_t - np.sqrt(a) * x_0) / (1.0 - a)


def score_from_noise(eps: ArrayLike, alpha_bar: ArrayLike) -> FloatArray:
    r""":math:`s = -\epsilon/\sqrt{1-\bar\alpha_t}` (Song et al., 2021, "Score-Based Generative Modeling through
    SDEs", Sec. 3.3 / App. B; Luo, 2022, Eq. 133): converts a noise prediction into a score."""
    return -validate.array(eps, "eps") / np.sqrt(1.0 - _alpha_bar(alpha_bar))


def noise_from_score(score_values: ArrayLike, alpha_bar: ArrayLike) -> FloatArray:
    r""":math:`\epsilon = -\sqrt{1-\bar\alpha_t}\, s`, the inverse of :func:`score_from_noise`."""
    return -np.sqrt(1.0 - _alpha_bar(alpha_bar)) * validate.array(score_values, "score_values")


def ddpm_gaussian_marginal(mean: ArrayLike, cov: ArrayLike, alpha_bar: float) -> tuple[FloatArray, FloatArray]:
    r"""For :math:`x_0\sim\mathcal{N}(\mu,\Sigma)`: :math:`q(x_t) = \mathcal{N}(\sqrt{\bar\alpha_t}\mu,\ \bar\alpha_t\Sigma + (1-\bar\alpha_t)I)`."""
    mu, cov_arr, _ = _mean_cov(mean, cov)
    a = float(_alpha_bar(alpha_bar))
    return np.sqrt(a) * mu, a * cov_arr + (1.0 - a) * np.eye(mu.size)


def ddpm_gaussian_noise_posterior_mean(x_t: ArrayLike, mean: ArrayLike, cov: ArrayLike, alpha_bar: float
                                       ) -> FloatArray:
    r""":math:`\mathbb{E}[\epsilon\mid x_t]` for Gaussian data, by Gaussian conditioning
    (:math:`\mathrm{Cov}(\epsilon, x_t) = \sqrt{1-\bar\alpha_t} I`):

    .. math:: \mathbb{E}[\epsilon \mid x_t] = \sqrt{1-\bar\alpha_t}\,(\bar\alpha_t\Sigma + (1-\bar\alpha_t)I)^{-1}(x_t - \sqrt{\bar\alpha_t}\mu).
    """
    m_t, c_t = ddpm_gaussian_marginal(mean, cov, alpha_bar)
    x_t = _points(x_t, "x_t", m_t.size)
    a = float(alpha_bar)
    return np.sqrt(1.0 - a) * (x_t - m_t) @ np.linalg.inv(c_t).T


def regress_noise_on_xt(x_t: ArrayLike, eps: ArrayLike) -> tuple[FloatArray, FloatArray]:
    r"""Least-squares linear fit :math:`\epsilon \approx W x_t + c` from samples: the Monte Carlo estimate of
    :math:`\mathbb{E}[\epsilon\mid x_t]` when the two are jointly Gaussian (the optimal DDPM
    noise predictor for Gaussian data). Returns ``(W, c)``."""
    x_t, eps = _points(x_t, "x_t"), _points(eps, "eps")
    validate.same_shape(x_t, eps, "x_t", "eps")
    d = x_t.shape[-1]
    design = np.hstack([x_t.reshape(-1, d), np.ones((x_t.size // d, 1))])
    coef, *_ = np.linalg.lstsq(design, eps.reshape(-1, d), rcond=None)
    return coef[:-1].T, coef[-1]


# --------------------------------------------------------------------------------------------------
# Langevin dynamics
# --------------------------------------------------------------------------------------------------

def langevin(score: Callable[[FloatArray], FloatArray], x_init: ArrayLike, step_size: float, n_steps: int,
             rng: np.random.Generator) -> FloatArray:
    r"""Unadjusted Langevin dynamics (Welling & Teh, 2011; Song & Ermon, 2019, Eq. 4):

    .. math:: x_{k+1} = x_k + \frac{\varepsilon}{2}\nabla_x \log p(x_k) + \sqrt{\varepsilon}\,z_k,
              \quad z_k \sim \mathcal{N}(0, I),

    run in parallel from every row of ``x_init``. Returns the final points. ``score`` must return an
    array of the shape of its input with finite values; otherwise ``ValueError`` names ``score``, the
    step and the point (a diverging chain, e.g. from too large a ``step_size``, is reported the same
    way rather than returned as inf or NaN).
    """
    x = _points(x_init, "x_init").copy()
    eps = float(validate.positive(step_size, "step_size"))
    n_steps = validate.integer(n_steps, "n_steps", lo=1)
    for k in range(n_steps):
        s = np.asarray(score(x), dtype=np.float64)
        if s.shape != x.shape:
            validate.fail("score", f"a function returning one score per point, shape {x.shape}", s.shape,
                          f" as its shape at step {k}")
        bad = ~np.isfinite(s)
        if bad.any():
            i = tuple(int(j) for j in np.argwhere(bad)[0])
            validate.fail("score", "finite", float(s[i]), f" at step {k}, index {i}, point "
                          f"{np.array2string(x[i[:-1]], precision=6)} (step_size {eps:g} too large, or "
                          f"a score that is undefined there)")
        x = x + 0.5 * eps * s + np.sqrt(eps) * rng.standard_normal(x.shape)
    return x


def annealed_langevin(score_at: Callable[[FloatArray, float], FloatArray], x_init: ArrayLike,
                      sigmas: ArrayLike, step_size: float, n_steps_each: int, rng: np.random.Generator
                      ) -> FloatArray:
    r"""Annealed Langevin dynamics (Song & Ermon, 2019, Algorithm 1): for each noise level
    :math:`\sigma_1 > \dots > \sigma_L`, run ``n_steps_each`` Langevin steps on :math:`p_{\sigma_i}` with step
    :math:`\alpha_i = \varepsilon\,\sigma_i^2/\sigma_L^2`. ``score_at(x, sigma)`` returns
    :math:`\nabla\log p_\sigma(x)`."""
    levels = validate.positive(sigmas, "sigmas")
    if levels.ndim != 1 or levels.size == 0 or (np.diff(levels) >= 0).any():
        validate.fail("sigmas", "a non-empty, strictly decreasing vector of noise levels", levels)
    eps = float(validate.positive(step_size, "step_size"))
    x = _points(x_init, "x_init").copy()
    for sigma in levels:
        alpha = eps * sigma**2 / levels[-1] ** 2
        x = langevin(lambda p, s=float(sigma): score_at(p, s), x, alpha, n_steps_each, rng)
    return x


# --------------------------------------------------------------------------------------------------
# The exact (noisy) score of the diffusion chapter's ring
# --------------------------------------------------------------------------------------------------

def ring_score(x: ArrayLike, sigma: float = 0.0, k: int = 8, radius: float = 1.0, std: float = 0.1) -> FloatArray:
    r"""Exact score of the ring data (:func:`genmath.diffusion.ring_mixture`: k equal-weight isotropic
    normals of standard deviation ``std`` centred on a circle) convolved with :math:`\mathcal{N}(0, \sigma^2 I)`:
    the mixture with covariances :math:`(\mathrm{std}^2 + \sigma^2) I`, whose score is
    :func:`mixture_score`. ``sigma = 0`` is the score of the data itself. Shape of ``x``: ``(..., 2)``."""
    from genmath.diffusion import ring_centres

    centres = ring_centres(k, radius)
    std = float(validate.positive(std, "std"))
    covs = noisy_covs(np.stack([std**2 * np.eye(2)] * centres.shape[0]), sigma)
    return mixture_score(_points(x, "x", 2), np.full(centres.shape[0], 1.0 / centres.shape[0]), centres, covs)


# --------------------------------------------------------------------------------------------------
# Score networks: noise-conditional (NCSN, Song & Ermon 2019) and plain; DSM, sliced and implicit SM
# --------------------------------------------------------------------------------------------------

#: Training objectives of :func:`train_score_net`.
SCORE_NET_OBJECTIVES = ("dsm", "ssm", "ssm_vr")


@functools.cache
def _score_mlp_class() -> type:
    import torch
    from torch import nn

    class ScoreMLP(nn.Module):
        r""":math:`s_\theta(x, \sigma)`: an MLP, :math:`h_{k+1} = \mathrm{SiLU}(W_k h_k + u_k\log\sigma + b_k)`,
        :math:`h_0 = x`. Noise-conditional, the output is divided by :math:`\sigma`,
        :math:`s_\theta(x, \sigma) = -\mathrm{out}(h)/\sigma` (Song & Ermon, 2020, "Improved Techniques for
        Training Score-Based Generative Models", Technique 3: the score's scale is 1/sigma), so the network
        itself predicts the unit-variance noise. Without noise conditioning, :math:`s_\theta(x) = \mathrm{out}(h)`."""

        def __init__(self, data_dim: int, hidden: int, depth: int, noise_conditional: bool):
            super().__init__()
            self.noise_conditional = noise_conditional
            widths = [data_dim] + [hidden] * depth
            self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))
            if noise_conditional:
                self.level = nn.ModuleList(nn.Linear(1, hidden, bias=False) for _ in range(depth))
            self.out = nn.Linear(hidden, data_dim)

        def forward(self, x: torch.Tensor, sigma: torch.Tensor | None = None) -> torch.Tensor:
            h = x
            if not self.noise_conditional:
                for layer in self.layers:
                    h = torch.nn.functional.silu(layer(h))
                return self.out(h)
            if sigma is None:
                raise ValueError("`sigma` must be given to a noise-conditional score network; got None")
            log_sigma = torch.log(sigma).reshape(-1, 1).to(x.dtype)  # (batch, 1)
            for layer, level in zip(self.layers, self.level):
                h = torch.nn.functional.silu(layer(h) + level(log_sigma))
            return -self.out(h) / sigma.reshape(-1, 1)

    return ScoreMLP


def make_score_net(data_dim: int = 2, hidden: int = 64, depth: int = 3, *, noise_conditional: bool = True,
                   seed: int = 0) -> Any:
    r"""A fresh score network (see ``ScoreMLP`` above), weights initialised under ``torch.manual_seed(seed)``,
    float64. ``noise_conditional``: :math:`s_\theta(x, \sigma)` (NCSN) or :math:`s_\theta(x)`."""
    import torch

    torch.manual_seed(seed)
    net = _score_mlp_class()(validate.integer(data_dim, "data_dim", lo=1), validate.integer(hidden, "hidden", lo=1),
                             validate.integer(depth, "depth", lo=1), bool(noise_conditional))
    return net.to(torch.float64)


def noise_conditional_dsm_loss(model: Any, x: Any, sigma: Any, noise: Any) -> Any:
    r"""The NCSN objective (Song & Ermon, 2019, Eqs. 5-6) with :math:`\lambda(\sigma) = \sigma^2`, one
    noise level per example: the minibatch mean of

    .. math:: \tfrac12\,\sigma^2\left\lVert s_\theta(\tilde x, \sigma) + \frac{\tilde x - x}{\sigma^2}\right\rVert^2,
              \qquad \tilde x = x + \sigma\eta,

    for torch tensors ``x`` (n, D), ``sigma`` (n,) and ``noise`` :math:`\eta` (n, D). A torch scalar."""
    s2 = (sigma**2).reshape(-1, 1)
    x_tilde = x + sigma.reshape(-1, 1) * noise
    return 0.5 * (s2 * (model(x_tilde, sigma) + (x_tilde - x) / s2) ** 2).sum(1).mean()


def _score_and_jacobian_quadratic(model: Any, x: Any, v: Any, create_graph: bool) -> tuple[Any, Any]:
    r""":math:`s_\theta(x)` and :math:`v^\top\nabla_x s_\theta(x)\,v` per example (one backward pass)."""
    import torch

    x = x.detach().requires_grad_(True)
    s = model(x)
    (grad_vs,) = torch.autograd.grad((s * v).sum(), x, create_graph=create_graph)  # v^T J per example
    return s, (grad_vs * v).sum(1)


def sliced_score_matching_loss(model: Any, x: Any, v: Any, *, variance_reduction: bool = False,
                               create_graph: bool = True) -> Any:
    r"""Sliced score matching (Song, Garg, Shi & Ermon, 2019, "Sliced Score Matching", Sec. 3), one projection :math:`v` per example
    (rows of ``v``, with :math:`\mathbb{E}[vv^\top] = I`), minibatch mean of

    .. math:: v^\top \nabla_x s_\theta(x)\, v + \tfrac12 \bigl(v^\top s_\theta(x)\bigr)^2 ;

    with ``variance_reduction`` (SSM-VR, same section) the second term is its expectation over
    :math:`v`, :math:`\tfrac12\lVert s_\theta(x)\rVert^2`, for Gaussian :math:`v`. One backward pass for
    the Jacobian term, whatever D. A torch scalar (differentiable when ``create_graph``)."""
    s, quad = _score_and_jacobian_quadratic(model, x, v, create_graph)
    second = 0.5 * (s**2).sum(1) if variance_reduction else 0.5 * (s * v).sum(1) ** 2
    return (quad + second).mean()


def implicit_score_matching_loss(model: Any, x: Any, *, reduce: bool = True) -> Any:
    r"""Hyvärinen's (2005, Thm. 1) score-matching objective with the exact trace, minibatch mean of

    .. math:: \operatorname{tr}\nabla_x s_\theta(x) + \tfrac12\lVert s_\theta(x)\rVert^2 ,

    which equals :math:`\tfrac12\mathbb{E}_p\lVert s_\theta - \nabla\log p\rVert^2` minus a constant. The
    trace costs D backward passes (one per coordinate). For evaluation: no graph is kept. ``reduce=False``
    returns the per-example values instead of their mean."""
    import torch

    x = x.detach().requires_grad_(True)
    s = model(x)
    trace = torch.zeros(x.shape[0], dtype=x.dtype)
    for d in range(x.shape[1]):
        (g,) = torch.autograd.grad(s[:, d].sum(), x, retain_graph=True)
        trace = trace + g[:, d]
    values = (trace + 0.5 * (s**2).sum(1)).detach()
    return values.mean() if reduce else values


@dataclass
class TrainedScoreNet:
    """A trained score network, its objective, its noise levels (None without noise) and per-step losses."""

    model: Any
    objective: str
    sigmas: FloatArray | None
    losses: FloatArray


def train_score_net(data: ArrayLike, *, objective: str = "dsm", sigmas: ArrayLike | None = None,
                    steps: int = 2000, batch_size: int = 512, lr: float = 3e-3, hidden: int = 64, depth: int = 3,
                    seed: int = 0) -> TrainedScoreNet:
    r"""Train a score network with Adam (learning rate decaying from ``lr`` to ``lr/20`` on a cosine).

    - ``"dsm"``: a noise-conditional :math:`s_\theta(x, \sigma)` on :func:`noise_conditional_dsm_loss`, each
      example's :math:`\sigma` drawn uniformly from ``sigmas`` (Song & Ermon, 2019, Eq. 6; one level is
      plain DSM, Vincent, 2011).
    - ``"ssm"`` / ``"ssm_vr"``: an unconditional :math:`s_\theta(x)` on :func:`sliced_score_matching_loss`
      with Gaussian projections (Song, Garg, Shi & Ermon, 2019, Sec. 3); ``sigmas`` must be None.

    Deterministic for a fixed ``seed`` on one thread (float64; minibatches, levels, noise and projections
    from one seeded generator)."""
    import torch

    if objective not in SCORE_NET_OBJECTIVES:
        validate.fail("objective", f"one of {SCORE_NET_OBJECTIVES}", objective)
    x_all = torch.as_tensor(_points(data, "data"), dtype=torch.float64)
    if x_all.ndim != 2:
        validate.fail("data", "an (n, D) array", tuple(x_all.shape), " as its shape")
    levels = None
    if objective == "dsm":
        if sigmas is None:
            validate.fail("sigmas", "noise levels for objective 'dsm'", None)
        levels = validate.positive(sigmas, "sigmas").reshape(-1)
    elif sigmas is not None:
        validate.fail("sigmas", f"None for objective {objective!r} (sliced score matching uses no noise)", sigmas)
    steps = validate.integer(steps, "steps", lo=1)
    batch_size = validate.integer(batch_size, "batch_size", lo=1)
    lr = float(validate.positive(lr, "lr"))
    model = make_score_net(x_all.shape[1], hidden, depth, noise_conditional=objective == "dsm", seed=seed)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=lr * 0.05)
    level_t = None if levels is None else torch.as_tensor(levels, dtype=torch.float64)
    losses = np.empty(steps)
    for step in range(steps):
        x = x_all[torch.randint(0, x_all.shape[0], (batch_size,), generator=gen)]
        noise = torch.randn(x.shape, generator=gen, dtype=torch.float64)
        if level_t is not None:
            sigma = level_t[torch.randint(0, level_t.numel(), (batch_size,), generator=gen)]
            loss = noise_conditional_dsm_loss(model, x, sigma, noise)
        else:  # the noise draw is the projection v ~ N(0, I)
            loss = sliced_score_matching_loss(model, x, noise, variance_reduction=objective == "ssm_vr")
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses[step] = loss.item()
    model.eval()
    return TrainedScoreNet(model=model, objective=objective, sigmas=levels, losses=losses)


def cached_train_score_net(data: ArrayLike, *, sigmas: ArrayLike | None = None,
                           cache_dir: str | os.PathLike[str] | None = None, **kwargs: Any) -> TrainedScoreNet:
    """:func:`train_score_net` through the on-disk memo of :mod:`genmath.memo` (keyed on the data, the
    noise levels, the keyword arguments and this module's source), so that snippets in separate
    processes share one training run. Training is deterministic, so a hit returns the very weights and
    losses of a fresh run."""
    x = _points(data, "data")
    levels = None if sigmas is None else validate.array(sigmas, "sigmas")
    kw = memo.keywords(train_score_net, kwargs)
    del kw["sigmas"]

    def to_state(trained: TrainedScoreNet) -> dict[str, Any]:
        return {"model": trained.model.state_dict(), "objective": trained.objective,
                "sigmas": memo.tensor(trained.sigmas), "losses": memo.tensor(trained.losses)}

    def from_state(state: dict[str, Any]) -> TrainedScoreNet:
        model = make_score_net(x.shape[1], kw["hidden"], kw["depth"], noise_conditional=kw["objective"] == "dsm",
                               seed=kw["seed"])
        model.load_state_dict(state["model"])
        model.eval()
        return TrainedScoreNet(model=model, objective=state["objective"], sigmas=memo.array(state["sigmas"]),
                               losses=memo.array(state["losses"]))

    return memo.memo("score", __file__, [x, levels], kw, lambda: train_score_net(x, sigmas=levels, **kw), to_state,
                     from_state, cache_dir=cache_dir)


def net_score(trained: TrainedScoreNet | Any, x: ArrayLike, sigma: float | None = None) -> FloatArray:
    r""":math:`s_\theta(x, \sigma)` (or :math:`s_\theta(x)`) of a trained network at numpy points ``x`` (n, D)."""
    import torch

    model = trained.model if isinstance(trained, TrainedScoreNet) else trained
    pts = _points(x, "x")
    xt = torch.as_tensor(pts.reshape(-1, pts.shape[-1]), dtype=torch.float64)
    with torch.no_grad():
        if model.noise_conditional:
            if sigma is None:
                validate.fail("sigma", "a noise level for a noise-conditional network", None)
            level = torch.full((xt.shape[0],), float(validate.positive(sigma, "sigma")), dtype=torch.float64)
            out = model(xt, level)
        else:
            out = model(xt)
    return out.numpy().reshape(pts.shape)


# --------------------------------------------------------------------------------------------------
# Reverse-time SDEs: the VE predictor-corrector sampler and the VP Euler-Maruyama step
# --------------------------------------------------------------------------------------------------

def reverse_diffusion_ve_step(x: ArrayLike, score_values: ArrayLike, sigma: float, sigma_next: float,
                              z: ArrayLike) -> FloatArray:
    r"""One reverse-diffusion predictor step of the VE SDE from level :math:`\sigma_i` to
    :math:`\sigma_{i-1} < \sigma_i` (Song et al., 2021, App. E and Algorithm 2): Euler-Maruyama on the reverse VE SDE,

    .. math:: x_{i-1} = x_i + (\sigma_i^2 - \sigma_{i-1}^2)\, s_\theta(x_i, \sigma_i) + \sqrt{\sigma_i^2 - \sigma_{i-1}^2}\; z .
    """
    x, s, z = _points(x, "x"), _points(score_values, "score_values"), _points(z, "z")
    validate.same_shape(x, s, "x", "score_values")
    validate.same_shape(x, z, "x", "z")
    sigma = float(validate.positive(sigma, "sigma"))
    sigma_next = float(validate.in_interval(sigma_next, "sigma_next", 0.0, sigma, closed=True))
    var = sigma**2 - sigma_next**2
    return x + var * s + math.sqrt(var) * z


def predictor_corrector_ve(score_at: Callable[[FloatArray, float], FloatArray], x_init: ArrayLike,
                           sigmas: ArrayLike, rng: np.random.Generator, *, n_corrector: int = 1,
                           snr: float = 0.16) -> FloatArray:
    r"""Predictor-corrector sampling of the VE SDE (Song et al., 2021, Algorithm 2, with the Langevin
    corrector of their Algorithm 4): for each level :math:`\sigma_1 > \dots > \sigma_L` (then 0),
    ``n_corrector`` Langevin steps :math:`x \leftarrow x + \varepsilon\, s_\theta(x, \sigma_i) + \sqrt{2\varepsilon}\,z`
    with :math:`\varepsilon = 2\,(r\,\overline{\lVert z\rVert} / \overline{\lVert s_\theta\rVert})^2`
    (``snr`` :math:`r`; norms averaged over the chains), then one :func:`reverse_diffusion_ve_step` to the
    next level. The last predictor step (to :math:`\sigma = 0`) returns its mean, without noise.
    ``n_corrector = 0`` is the predictor alone. Network evaluations: ``L * (n_corrector + 1)``."""
    levels = validate.positive(sigmas, "sigmas")
    if levels.ndim != 1 or levels.size == 0 or (np.diff(levels) >= 0).any():
        validate.fail("sigmas", "a non-empty, strictly decreasing vector of noise levels", levels)
    n_corrector = validate.integer(n_corrector, "n_corrector", lo=0)
    r = float(validate.positive(snr, "snr"))
    x = _points(x_init, "x_init").copy()
    targets = np.append(levels[1:], 0.0)
    for sigma, sigma_next in zip(levels, targets):
        for _ in range(n_corrector):
            s = np.asarray(score_at(x, float(sigma)), dtype=np.float64)
            z = rng.standard_normal(x.shape)
            eps = 2.0 * (r * np.linalg.norm(z, axis=-1).mean() / np.linalg.norm(s, axis=-1).mean()) ** 2
            x = x + eps * s + np.sqrt(2.0 * eps) * z
        s = np.asarray(score_at(x, float(sigma)), dtype=np.float64)
        z = rng.standard_normal(x.shape) if sigma_next > 0 else np.zeros_like(x)
        x = reverse_diffusion_ve_step(x, s, float(sigma), float(sigma_next), z)
    return x


def vp_reverse_euler_step(x: ArrayLike, score_values: ArrayLike, beta: float, z: ArrayLike) -> FloatArray:
    r"""One Euler-Maruyama step (unit time step) of the reverse-time VP SDE
    :math:`dx = [-\tfrac12\beta(t)x - \beta(t)\nabla_x\log p_t(x)]\,dt + \sqrt{\beta(t)}\,d\bar w`
    (Song et al., 2021, Eqs. 6 and 11), run backwards in time:

    .. math:: x_{t-1} = \bigl(1 + \tfrac12\beta_t\bigr)x_t + \beta_t\, s_\theta(x_t, t) + \sqrt{\beta_t}\,z .

    DDPM's step (Ho et al., 2020, Algorithm 2) is :math:`(x_t + \beta_t s_\theta)/\sqrt{1-\beta_t} + \sigma_t z`,
    the same to first order in :math:`\beta_t`."""
    x, s, z = _points(x, "x"), _points(score_values, "score_values"), _points(z, "z")
    validate.same_shape(x, s, "x", "score_values")
    validate.same_shape(x, z, "x", "z")
    beta = float(validate.in_interval(beta, "beta", 0.0, 1.0))
    return (1.0 + 0.5 * beta) * x + beta * s + math.sqrt(beta) * z
