"""Tweedie's formula E[x | x~] = x~ + sigma^2 grad log p_sigma(x~), checked on Gaussian data (closed form)
and on a two-component mixture (posterior mean by quadrature)."""

import math

import numpy as np
from scipy import stats

from genmath.numerics import integrate
from genmath.score import (
    gaussian_posterior_mean,
    gaussian_score,
    mixture_log_prob,
    mixture_score,
    noisy_covs,
    tweedie_denoiser,
)
from genmath.snippet import publish, table

sigma = publish("score.tweedie.sigma", 0.6)
x_tilde = np.array([[-1.0], [0.0], [1.0], [2.5]])

# Gaussian data x ~ N(1, 0.8^2): the noisy marginal is N(1, 0.8^2 + sigma^2)
mu, s = np.array([1.0]), 0.8
tweedie = tweedie_denoiser(x_tilde, sigma, gaussian_score(x_tilde, mu, [[s**2 + sigma**2]]))
closed = gaussian_posterior_mean(x_tilde, mu, [[s**2]], sigma)
table(["x̃", "Tweedie x̃ + σ²∇log p_σ(x̃)", "Gaussian conditioning"],
      [[x_tilde[i, 0], tweedie[i, 0], closed[i, 0]] for i in range(len(x_tilde))], fmt=".6f",
      caption="Gaussian data N(1, 0.8²), σ = 0.6")
publish("score.tweedie.gauss_max_diff", float(np.abs(tweedie - closed).max()))
publish("score.tweedie.shrinkage", s**2 / (s**2 + sigma**2))

# mixture data: 0.3 N(-2, 0.3^2) + 0.7 N(1.5, 0.5^2); E[x | x~] by quadrature of p(x) N(x~; x, sigma^2)
w, means, covs = np.array([0.3, 0.7]), np.array([[-2.0], [1.5]]), np.array([[[0.09]], [[0.25]]])
rows, diffs = [], []
for xt in x_tilde[:, 0]:
    def joint(x, xt=xt):
        return math.exp(mixture_log_prob([x], w, means, covs)) * stats.norm.pdf(xt, x, sigma)

    where = {"loc": means[:, 0], "scale": np.sqrt(covs[:, 0, 0])}  # the mixture's components
    posterior_mean = (integrate(lambda x: x * joint(x), name="x p(x) N(x~; x, sigma^2)", **where)
                      / integrate(joint, name="p(x) N(x~; x, sigma^2)", **where))
    via_score = tweedie_denoiser([xt], sigma, mixture_score([xt], w, means, noisy_covs(covs, sigma)))[0]
    rows.append([xt, via_score, posterior_mean])
    diffs.append(abs(via_score - posterior_mean))
table(["x̃", "Tweedie x̃ + σ²∇log p_σ(x̃)", "posterior mean by quadrature"], rows, fmt=".6f",
      caption="Mixture data 0.3 N(−2, 0.3²) + 0.7 N(1.5, 0.5²), σ = 0.6")
publish("score.tweedie.mix_max_diff", max(diffs))
publish("score.tweedie.mix_at_0", rows[1][1])
