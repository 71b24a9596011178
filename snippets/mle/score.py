"""The score has mean 0 and variance I(theta); the Gaussian's Fisher matrix; a model where E[score] != 0."""

import numpy as np
from scipy.stats import uniform

from genmath.mle import (
    fisher_information_exponential,
    gaussian_fisher_information,
    gaussian_scores,
    sample_variance,
)
from genmath.snippet import publish, table

rng = np.random.default_rng(0)
draws = publish("mle.score.draws", 1_000_000)

# Exponential(rate lam): log p = log lam - lam x, so s(x) = 1/lam - x and ds/dlam = -1/lam^2
lam = publish("mle.score.lam", 2.0)
x = rng.exponential(1.0 / lam, size=draws)
s = 1.0 / lam - x
mean_s, mean_se = s.mean(), s.std(ddof=1) / np.sqrt(draws)
var_s = sample_variance(s)
fisher = fisher_information_exponential(lam)
publish("mle.score.exp_mean", mean_s)
publish("mle.score.exp_mean_se", mean_se)
publish("mle.score.exp_var", var_s.variance)
publish("mle.score.exp_var_se", var_s.std_error)
publish("mle.score.exp_fisher", fisher)
assert abs(mean_s) < 4 * mean_se and abs(var_s.variance - fisher) < 4 * var_s.std_error

# Gaussian N(mu, sigma^2) with theta = (mu, sigma^2): the 2 x 2 Fisher matrix as E[s s^T] and -E[Hessian]
mu, sigma2 = publish("mle.score.mu", 1.0), publish("mle.score.sigma2", 4.0)
xg = rng.normal(mu, np.sqrt(sigma2), size=draws)
scores, hessians = gaussian_scores(xg, mu, sigma2)
outer = scores[:, :, None] * scores[:, None, :]  # (draws, 2, 2)
exact = gaussian_fisher_information(sigma2)
rows = []
for (i, j), name in (((0, 0), "μμ"), ((0, 1), "μσ²"), ((1, 1), "σ²σ²")):
    o, h = outer[:, i, j], -hessians[:, i, j]
    o_se, h_se = o.std(ddof=1) / np.sqrt(draws), h.std(ddof=1) / np.sqrt(draws)
    rows.append([name, f"{o.mean():.5f} ± {o_se:.5f}", f"{h.mean():.5f} ± {h_se:.5f}", f"{exact[i, j]:.5f}"])
    tag = {"μμ": "mm", "μσ²": "mv", "σ²σ²": "vv"}[name]
    publish(f"mle.score.gauss_outer_{tag}", o.mean())
    publish(f"mle.score.gauss_outer_{tag}_se", o_se)
    publish(f"mle.score.gauss_fisher_{tag}", exact[i, j])
    assert abs(o.mean() - exact[i, j]) < 4 * o_se + 1e-15 and abs(h.mean() - exact[i, j]) < 4 * h_se + 1e-15
table(["entry of I(μ, σ²)", "E[s sᵀ] (Monte Carlo ± s.e.)", "−E[∇² log p] (Monte Carlo ± s.e.)", "closed form"],
      rows)

# Uniform(0, theta): the support moves with theta. The score, by a central difference of scipy's
# log-density at draws away from the edge, is -1/theta at every x: its mean is not 0
theta = publish("mle.score.unif_theta", 2.0)
xu = rng.uniform(0.0, theta, size=100_000)
h = 1e-6
xu = xu[xu < theta - h]
s_unif = (uniform.logpdf(xu, 0.0, theta + h) - uniform.logpdf(xu, 0.0, theta - h)) / (2 * h)
publish("mle.score.unif_mean", round(s_unif.mean(), 6))  # central difference, accurate to 1e-6 (asserted)
assert abs(s_unif.mean() + 1.0 / theta) < 1e-6, "E[s] = -1/theta for the uniform model"
