"""A Gaussian fitted to exponential data: theta_hat -> theta* = argmin KL, with the sandwich covariance."""

import numpy as np
from scipy.optimize import minimize
from scipy.stats import expon, norm

from genmath.figures import subplots
from genmath.info import kl_continuous
from genmath.mle import (
    gaussian_fisher_information,
    gaussian_misspecified_sandwich,
    gaussian_mle,
    gaussian_scores,
    sample_variance,
    sandwich_covariance,
)
from genmath.snippet import figure, publish, table

# p_data = Exponential(1): mean 1 and central moments mu_2 = 1, mu_3 = 2, mu_4 = 9 (from scipy)
data = expon()
mean = data.mean()
m2, m3, m4 = (data.expect(lambda x, k=k: (x - mean) ** k) for k in (2, 3, 4))
publish("mle.mis.m2", m2)
publish("mle.mis.m3", m3)
publish("mle.mis.m4", m4)

# theta* minimises KL(p_data || N(mu, sigma^2)), found numerically (Nelder-Mead over mu, log sigma)
def kl_to(params):
    mu, log_sigma = params
    return kl_continuous(data.logpdf, norm(mu, np.exp(log_sigma)).logpdf, lower=0.0, upper=80.0, points=[1.0], rtol=1e-12)  # mass beyond 80: e^-80


best = minimize(kl_to, x0=[0.5, 0.0], method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-13})
mu_star, var_star = best.x[0], np.exp(2 * best.x[1])
publish("mle.mis.mu_star", round(mu_star, 6))  # to the optimiser's accuracy, asserted below
publish("mle.mis.var_star", round(var_star, 6))
publish("mle.mis.kl_star", best.fun, unit="nats")
assert abs(mu_star - mean) < 1e-6 and abs(var_star - m2) < 1e-6, "theta* matches the moments"

sandwich = gaussian_misspecified_sandwich(m2, m3, m4).covariance
naive = np.linalg.inv(gaussian_fisher_information(var_star))
publish("mle.mis.sandwich_vv", sandwich[1, 1])
publish("mle.mis.sandwich_mv", sandwich[0, 1])
publish("mle.mis.naive_vv", naive[1, 1])

# simulation: many data sets of size n; the covariance of sqrt(n)(theta_hat - theta*)
rng = np.random.default_rng(6)
n, trials = publish("mle.mis.n", 500), publish("mle.mis.trials", 20_000)
theta_hat = np.empty((trials, 2))
sandwich_se = np.empty(trials)  # the plug-in ("robust") standard error of sigma2_hat from ONE data set
for start in range(0, trials, 2000):
    x = rng.exponential(1.0, size=(2000, n))
    mu_hat, var_hat = gaussian_mle(x)
    theta_hat[start:start + 2000] = np.stack([mu_hat, var_hat], axis=-1)
    s, h = gaussian_scores(x, mu_hat[:, None], var_hat[:, None])  # (2000, n, 2) and (2000, n, 2, 2)
    sandwich_se[start:start + 2000] = np.sqrt(sandwich_covariance(s, h).covariance[:, 1, 1] / n)
z = np.sqrt(n) * (theta_hat - [mu_star, var_star])
rows = []
for (i, j), name in (((0, 0), "Var[√n(μ̂ − μ*)]"), ((0, 1), "Cov[√n μ̂, √n σ̂²]"), ((1, 1), "Var[√n(σ̂² − σ*²)]")):
    if i == j:
        est = sample_variance(z[:, i])
        value, se = est.variance, est.std_error
    else:
        prod = (z[:, 0] - z[:, 0].mean()) * (z[:, 1] - z[:, 1].mean())
        value, se = prod.mean(), prod.std(ddof=1) / np.sqrt(trials)
    tag = {(0, 0): "mm", (0, 1): "mv", (1, 1): "vv"}[(i, j)]
    publish(f"mle.mis.sim_{tag}", value)
    publish(f"mle.mis.sim_{tag}_se", se)
    rows.append([name, f"{value:.3f} ± {se:.3f}", sandwich[i, j], naive[i, j]])
    assert abs(value - sandwich[i, j]) < 4 * se + 0.02 * abs(sandwich[i, j]), (name, value, se)  # O(1/n) bias
    if i == 1:
        assert value > naive[i, j] + 10 * se, "the naive variance is far too small"
table(["entry", "simulated (± s.e.)", "sandwich J⁻¹KJ⁻¹", "naive I(θ*)⁻¹"], rows, fmt=".3f")

# 95% intervals for sigma*^2 from one data set: naive (I^-1) versus plug-in sandwich standard errors
var_hat = theta_hat[:, 1]
naive_se = np.sqrt(2 * var_hat**2 / n)
for key, se in (("naive", naive_se), ("sandwich", sandwich_se)):
    cover = np.abs(var_hat - var_star) <= 1.959964 * se
    publish(f"mle.mis.coverage_{key}", cover.mean())
    publish(f"mle.mis.coverage_{key}_se", cover.std(ddof=1) / np.sqrt(trials))
assert (np.abs(var_hat - var_star) <= 1.959964 * naive_se).mean() < 0.75
sandwich_cover = np.abs(var_hat - var_star) <= 1.959964 * sandwich_se
shortfall_se = sandwich_cover.std(ddof=1) / np.sqrt(trials)
assert 0.9 < sandwich_cover.mean() < 0.95 - 4 * shortfall_se, "robust intervals: far better, still short of 95%"

grid = np.linspace(-10, 10, 400)
fig, ax = subplots(figsize=(4.8, 3.4))
ax.hist(z[:, 1], bins=80, range=(-10, 10), density=True, alpha=0.5, label="simulated")
ax.plot(grid, norm.pdf(grid, 0, np.sqrt(sandwich[1, 1])), color="C1",
        label=f"sandwich N(0, {sandwich[1, 1]:g})")
ax.plot(grid, norm.pdf(grid, 0, np.sqrt(naive[1, 1])), color="C2", linestyle="--",
        label=f"naive N(0, {naive[1, 1]:g})")
ax.set(xlabel="√n (σ̂² − σ*²)", ylabel="density")
ax.legend(fontsize=9, loc="upper right")
figure(fig, "mle.mis.hist",
       alt="Histogram of sqrt(n)(sigma2_hat - sigma*^2) for a Gaussian fitted to exponential data, "
           "{{ mle.mis.trials:, }} data sets of n = {{ mle.mis.n }}. It matches the sandwich normal density of "
           "variance {{ mle.mis.sandwich_vv:.4g }}, and is much wider than the naive normal density of variance "
           "{{ mle.mis.naive_vv:.4g }}.")
