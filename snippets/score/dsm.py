"""Denoising score matching on Gaussian data: the least-squares fit to the DSM target -(x~ - x)/sigma^2
recovers the score of the *noisy* marginal p_sigma, not of the data distribution."""

import numpy as np

from genmath.score import add_gaussian_noise, dsm_loss, fit_linear_dsm, gaussian_score, noisy_covs
from genmath.snippet import publish, table

rng = np.random.default_rng(0)
n = publish("score.dsm.n", 200_000)
sigma = publish("score.dsm.sigma", 0.5)

# 1-D: x ~ N(1, 0.8^2)
mu_1d, s_1d = 1.0, 0.8
x = rng.normal(mu_1d, s_1d, size=(n, 1))
x_tilde = add_gaussian_noise(x, sigma, rng)
A, b = fit_linear_dsm(x_tilde, x, sigma)
publish("score.dsm.slope_fit", A[0, 0])
publish("score.dsm.slope_noisy", -1 / (s_1d**2 + sigma**2))  # score of N(mu, s^2 + sigma^2) is linear
publish("score.dsm.slope_clean", -1 / s_1d**2)
publish("score.dsm.intercept_fit", b[0])
publish("score.dsm.intercept_noisy", mu_1d / (s_1d**2 + sigma**2))

# 2-D: x ~ N(mu, Sigma); the fitted matrix vs -(Sigma + sigma^2 I)^{-1}
mu = np.array([0.5, -1.0])
cov = np.array([[1.0, 0.6], [0.6, 0.8]])
x2 = rng.multivariate_normal(mu, cov, size=n)
x2_tilde = add_gaussian_noise(x2, sigma, rng)
A2, b2 = fit_linear_dsm(x2_tilde, x2, sigma)
A2_exact = -np.linalg.inv(noisy_covs(cov, sigma))
table(["entry", "fitted $A$", r"$-(\Sigma + \sigma^2 I)^{-1}$", r"$-\Sigma^{-1}$ (clean data)"],
      [[f"$A_{{{i + 1}{j + 1}}}$", A2[i, j], A2_exact[i, j], -np.linalg.inv(cov)[i, j]] for i in range(2) for j in range(2)],
      fmt=".4f", caption=r"2-D Gaussian data, $\sigma = 0.5$: the DSM-optimal linear score")
publish("score.dsm.max_abs_err_2d", float(np.abs(A2 - A2_exact).max()))

# the DSM loss is smaller for the noisy marginal's score than for the clean data's score
loss_noisy = publish("score.dsm.loss_noisy", dsm_loss(gaussian_score(x2_tilde, mu, noisy_covs(cov, sigma)),
                                                      x2_tilde, x2, sigma))
loss_clean = publish("score.dsm.loss_clean", dsm_loss(gaussian_score(x2_tilde, mu, cov), x2_tilde, x2, sigma))
publish("score.dsm.loss_fit", dsm_loss(x2_tilde @ A2.T + b2, x2_tilde, x2, sigma))
# the irreducible part of the DSM loss, the constant of Vincent (2011): the loss of the best score is
# far from zero because the target -(x~ - x)/sigma^2 is noisy
publish("score.dsm.target_sq_half", dsm_loss(np.zeros_like(x2_tilde), x2_tilde, x2, sigma))
