"""Denoising score matching on Gaussian data: the least-squares fit to the DSM target -(x~ - x)/sigma^2
recovers the score of the *noisy* marginal p_sigma, not of the data distribution."""

import numpy as np

from genmath.score import add_gaussian_noise, dsm_loss, dsm_target, fit_linear_dsm, gaussian_score, noisy_covs
from genmath.snippet import claim, publish, table

rng = np.random.default_rng(0)
n = publish("score.dsm.n", 200_000)
sigma = publish("score.dsm.sigma", 0.5)

# 1-D: x ~ N(1, 0.8^2)
mu_1d, s_1d = 1.0, 0.8
x = rng.normal(mu_1d, s_1d, size=(n, 1))
x_tilde = add_gaussian_noise(x, sigma, rng)
A, b = fit_linear_dsm(x_tilde, x, sigma)
# least-squares standard error of the slope: residual variance over n times the variance of x~
resid = dsm_target(x_tilde, x, sigma)[:, 0] - (A[0, 0] * x_tilde[:, 0] + b[0])
slope_se = float(np.sqrt(resid.var() / (n * x_tilde[:, 0].var())))
publish("score.dsm.slope_fit", A[0, 0], se=slope_se)
claim(abs(A[0, 0] + 1 / (s_1d**2 + sigma**2)) < 3 * slope_se,
      "the fitted slope agrees with the noisy marginal's score within three standard errors")
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
table(["entry", "fitted A", "−(Σ + σ²I)⁻¹", "−Σ⁻¹ (clean data)"],
      [[f"A[{i + 1},{j + 1}]", A2[i, j], A2_exact[i, j], -np.linalg.inv(cov)[i, j]] for i in range(2) for j in range(2)],
      fmt=".4f", caption="2-D Gaussian data, σ = 0.5: the DSM-optimal linear score")
publish("score.dsm.max_abs_err_2d", float(np.abs(A2 - A2_exact).max()))

# the DSM loss is smaller for the noisy marginal's score than for the clean data's score: per-sample
# losses 1/2 ||s(x~) - target||^2, their means and standard errors (paired, for the difference)
target2 = dsm_target(x2_tilde, x2, sigma)


def per_sample(score_values):
    return 0.5 * np.sum((score_values - target2) ** 2, axis=1)


l_noisy = per_sample(gaussian_score(x2_tilde, mu, noisy_covs(cov, sigma)))
l_clean = per_sample(gaussian_score(x2_tilde, mu, cov))
l_zero = per_sample(np.zeros_like(x2_tilde))
claim(abs(l_noisy.mean() - dsm_loss(gaussian_score(x2_tilde, mu, noisy_covs(cov, sigma)), x2_tilde, x2, sigma))
      < 1e-12, "the per-sample losses average to genmath.dsm_loss")
publish("score.dsm.loss_noisy", l_noisy.mean(), se=l_noisy.std(ddof=1) / np.sqrt(n))
publish("score.dsm.loss_clean", l_clean.mean(), se=l_clean.std(ddof=1) / np.sqrt(n))
diff = l_clean - l_noisy
claim(diff.mean() > 3 * diff.std(ddof=1) / np.sqrt(n), "the noisy marginal's score has the lower DSM loss")
publish("score.dsm.loss_fit", dsm_loss(x2_tilde @ A2.T + b2, x2_tilde, x2, sigma))
# the irreducible part of the DSM loss, the constant of Vincent (2011): the loss of the best score is
# far from zero because the target -(x~ - x)/sigma^2 is noisy
publish("score.dsm.target_sq_half", l_zero.mean(), se=l_zero.std(ddof=1) / np.sqrt(n))
claim(l_noisy.mean() > 0.5 * l_zero.mean(), "the irreducible part is most of the loss")
