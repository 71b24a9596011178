"""Formula checks for docs/score.md.

Scores on the left-hand sides come from torch autograd of torch.distributions log-densities;
posterior means and E[eps | x_t] from quadrature over a random 1-D Gaussian mixture; the other sides
are parsed from the chapter's LaTeX.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import integrate

from genmath import score
from genmath.sitebuild.formulas import Check
from genmath.diffusion import alpha_bars, linear_betas, q_sample

E_X_GIVEN_XT = r"\mathbb{E}[x\mid\tilde x]"


def _normal(mean: float, std: float) -> torch.distributions.Normal:
    return torch.distributions.Normal(torch.tensor(mean, dtype=torch.float64), torch.tensor(std, dtype=torch.float64))


def _grad(log_prob, at: float) -> float:
    t = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(log_prob(t), t)
    return float(g)


def _mixture_1d(rng: np.random.Generator):
    w = rng.dirichlet([2.0, 2.0])
    means = rng.normal(scale=2.0, size=(2, 1))
    covs = rng.uniform(0.1, 1.0, size=(2, 1, 1))
    return w, means, covs


def _mixture_pdf(w, means, covs):
    """Plain-Python mixture density for quadrature (fast scalar calls), independent of genmath."""
    terms = [(float(wk), float(m[0]), float(c[0, 0])) for wk, m, c in zip(w, means, covs)]
    return lambda x: sum(wk * math.exp(-0.5 * (x - m) ** 2 / v) / math.sqrt(2 * math.pi * v) for wk, m, v in terms)


def _normal_pdf(x: float, mean: float, std: float) -> float:
    return math.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def _gaussian(rng: np.random.Generator) -> dict[str, float]:
    x, mu, sigma = float(rng.normal(scale=3)), float(rng.normal()), float(rng.uniform(0.2, 3))
    return {"x": x, "mu": mu, "sigma": sigma,
            "S": _grad(lambda t: _normal(mu, sigma).log_prob(t), x)}


def _mixture(rng: np.random.Generator) -> dict[str, float]:
    w, means, covs = _mixture_1d(rng)
    x = float(rng.normal(scale=2.5))
    mix = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(probs=torch.tensor(w)),
        torch.distributions.Normal(torch.tensor(means[:, 0]), torch.tensor(np.sqrt(covs[:, 0, 0]))))
    r = score.mixture_responsibilities([x], w, means, covs)
    return {"x": x, "mu_1": means[0, 0], "mu_2": means[1, 0], "sigma_1": math.sqrt(covs[0, 0, 0]),
            "sigma_2": math.sqrt(covs[1, 0, 0]), "r_1": r[0], "r_2": r[1], "S": _grad(mix.log_prob, x)}


def _dsm_target(rng: np.random.Generator) -> dict[str, float]:
    x, sigma = float(rng.normal()), float(rng.uniform(0.1, 2))
    xt = x + sigma * float(rng.normal())
    return {"xtilde": xt, "x": x, "sigma": sigma,
            "S": _grad(lambda t: _normal(x, sigma).log_prob(t), xt)}


def _posterior_mean(prior_pdf, xt: float, sigma: float) -> float:
    joint = lambda x: prior_pdf(x) * _normal_pdf(xt, x, sigma)
    num = integrate.quad(lambda x: x * joint(x), -np.inf, np.inf, limit=200)[0]
    return num / integrate.quad(joint, -np.inf, np.inf, limit=200)[0]


def _tweedie(rng: np.random.Generator) -> dict[str, float]:
    w, means, covs = _mixture_1d(rng)
    sigma = float(rng.uniform(0.2, 1.5))
    xt = float(rng.normal(scale=2.5))
    return {"xtilde": xt, "sigma": sigma,
            "EX": _posterior_mean(_mixture_pdf(w, means, covs), xt, sigma),
            "S": float(score.mixture_score([xt], w, means, score.noisy_covs(covs, sigma))[0])}


def _tweedie_gaussian(rng: np.random.Generator) -> dict[str, float]:
    mu, s, sigma = float(rng.normal()), float(rng.uniform(0.3, 2)), float(rng.uniform(0.2, 1.5))
    xt = float(mu + rng.normal() * math.hypot(s, sigma))
    return {"xtilde": xt, "mu": mu, "s": s, "sigma": sigma,
            "EX": _posterior_mean(lambda x: _normal_pdf(x, mu, s), xt, sigma)}


def _alpha_bar(rng: np.random.Generator) -> tuple[int, float]:
    t = int(rng.integers(1, 1001))
    return t, float(alpha_bars(linear_betas(1000))[t - 1])


def _ddpm_conditional(rng: np.random.Generator) -> dict[str, float]:
    t, a = _alpha_bar(rng)
    x0, eps = float(rng.normal()), float(rng.normal())
    xt = float(q_sample(np.array([x0]), t, np.array([eps]), linear_betas(1000))[0])
    kernel = _normal(math.sqrt(a) * x0, math.sqrt(1 - a))
    return {"x_t": xt, "x_0": x0, "alphabar_t": a, "epsilon": eps, "S": _grad(kernel.log_prob, xt)}


def _ddpm_marginal(rng: np.random.Generator) -> dict[str, float]:
    w, means, covs = _mixture_1d(rng)
    a = float(rng.uniform(0.05, 0.95))
    sa, so = math.sqrt(a), math.sqrt(1 - a)
    xt = float(rng.normal(scale=1.5))
    pdf = _mixture_pdf(w, means, covs)
    joint = lambda x0: pdf(x0) * _normal_pdf(xt, sa * x0, so)
    e_eps = integrate.quad(lambda x0: (xt - sa * x0) / so * joint(x0), -np.inf, np.inf, limit=200)[0] \
        / integrate.quad(joint, -np.inf, np.inf, limit=200)[0]
    # q(x_t) is the mixture with means sqrt(a) mu_k and variances a var_k + 1 - a
    return {"alphabar_t": a, "EE": e_eps,
            "S": float(score.mixture_score([xt], w, sa * means, a * covs + (1 - a))[0])}


def _ddpm_weight(rng: np.random.Generator) -> dict[str, float]:
    t, a = _alpha_bar(rng)
    betas = linear_betas(1000)
    x0, eps, eps_theta = rng.normal(size=(3, 4))
    xt = q_sample(x0, t, eps, betas)
    s_theta = score.score_from_noise(eps_theta, a)
    return {"alphabar_t": a, "A": float(np.sum((eps_theta - eps) ** 2)),
            "B": float(np.sum((s_theta - score.ddpm_conditional_score(xt, x0, a)) ** 2))}


def _noisy_gradient(rng: np.random.Generator) -> dict[str, float]:
    """p_sigma and its gradient from genmath (density times score of the noisy mixture); the integral
    and E[x | x~] by quadrature over the clean mixture."""
    w, means, covs = _mixture_1d(rng)
    sigma = float(rng.uniform(0.2, 1.5))
    xt = float(rng.normal(scale=2.5))
    noisy = score.noisy_covs(covs, sigma)
    p_sigma = math.exp(float(score.mixture_log_prob([xt], w, means, noisy)))
    prior = _mixture_pdf(w, means, covs)
    integral = integrate.quad(lambda x: (x - xt) * prior(x) * _normal_pdf(xt, x, sigma), -np.inf, np.inf,
                              limit=200)[0]
    return {"xtilde": xt, "sigma": sigma, "P": p_sigma, "I": integral,
            "G": p_sigma * float(score.mixture_score([xt], w, means, noisy)[0]),
            "EX": _posterior_mean(prior, xt, sigma)}


def _dsm_minimiser(rng: np.random.Generator) -> dict[str, float]:
    """E[grad log q | x~] over the quadrature-normalised posterior, the integral with genmath's p_sigma
    in the denominator (both with genmath's dsm_target as grad log q), the gradient of the noisy
    marginal by torch autograd of the convolved mixture density, and genmath's mixture score."""
    w, means, covs = _mixture_1d(rng)
    sigma = float(rng.uniform(0.2, 1.5))
    xt = float(rng.normal(scale=2.5))
    noisy = score.noisy_covs(covs, sigma)
    p_sigma = math.exp(float(score.mixture_log_prob([xt], w, means, noisy)))
    prior = _mixture_pdf(w, means, covs)
    joint = lambda x: prior(x) * _normal_pdf(xt, x, sigma)
    target = lambda x: float(score.dsm_target([xt], [x], sigma)[0])
    quad = lambda f: integrate.quad(f, -np.inf, np.inf, limit=200)[0]
    mix = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(probs=torch.tensor(w)),
        torch.distributions.Normal(torch.tensor(means[:, 0]), torch.tensor(np.sqrt(covs[:, 0, 0] + sigma**2))))
    return {"EG": quad(lambda x: joint(x) * target(x)) / quad(joint),
            "I1": quad(lambda x: joint(x) / p_sigma * target(x)),
            "G": _grad(lambda t: torch.exp(mix.log_prob(t)), xt), "P": p_sigma,
            "S": float(score.mixture_score([xt], w, means, noisy)[0])}


CHECKS = {
    "score-gaussian": Check(subs={r"\nabla_x \log \mathcal{N}(x;\mu,\sigma^2)": "S"}, values=_gaussian),
    "score-mixture": Check(subs={r"\frac{d}{dx}\log p(x)": "S", "r_1(x)": "r_1", "r_2(x)": "r_2"},
                           values=_mixture),
    "score-dsm-target": Check(subs={r"\nabla_{\tilde x}\log q_\sigma(\tilde x\mid x)": "S"}, values=_dsm_target),
    "score-tweedie": Check(subs={E_X_GIVEN_XT: "EX", r"\nabla_{\tilde x}\log p_\sigma(\tilde x)": "S"},
                           values=_tweedie, rtol=1e-7),
    "score-tweedie-gaussian": Check(subs={E_X_GIVEN_XT: "EX"}, values=_tweedie_gaussian, rtol=1e-7),
    "score-ddpm-conditional": Check(subs={r"\nabla_{x_t}\log q(x_t\mid x_0)": "S"}, values=_ddpm_conditional,
                                    rtol=1e-8),
    "score-ddpm-marginal": Check(subs={r"\nabla_{x_t}\log q(x_t)": "S", r"\mathbb{E}[\epsilon\mid x_t]": "EE"},
                                 values=_ddpm_marginal, rtol=1e-7),
    "score-ddpm-weight": Check(
        subs={r"\lVert\epsilon_\theta - \epsilon\rVert^2": "A",
              r"\lVert s_\theta - \nabla_{x_t}\log q(x_t\mid x_0)\rVert^2": "B"},
        values=_ddpm_weight),
    "score-noisy-gradient": Check(
        subs={r"\nabla_{\tilde x} p_\sigma(\tilde x)": "G", r"p_\sigma(\tilde x)": "P", E_X_GIVEN_XT: "EX",
              r"\int (x - \tilde x)\,p(x)\,\mathcal{N}(\tilde x; x, \sigma^2 I)\,dx": "I"},
        values=_noisy_gradient, rtol=1e-7),
    "score-dsm-minimiser": Check(
        subs={r"\mathbb{E}\left[\nabla_{\tilde x}\log q_\sigma(\tilde x\mid x) \,\middle|\, \tilde x\right]": "EG",
              r"\int \frac{p(x)\,q_\sigma(\tilde x\mid x)}{p_\sigma(\tilde x)}\,\frac{\nabla_{\tilde x} q_\sigma(\tilde x\mid x)}{q_\sigma(\tilde x\mid x)}\,dx": "I1",
              r"\nabla_{\tilde x}\int p(x)\, q_\sigma(\tilde x\mid x)\,dx": "G", r"p_\sigma(\tilde x)": "P",
              r"\nabla_{\tilde x}\log p_\sigma(\tilde x)": "S"},
        values=_dsm_minimiser, rtol=1e-7),
}
