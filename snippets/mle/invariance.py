"""Invariance of the MLE (sigma_hat = sqrt(sigma2_hat)) and the MAP estimate moving under a change of
variables (p versus its log-odds phi)."""

import numpy as np
import torch
from scipy.optimize import minimize_scalar
from scipy.special import expit
from scipy.stats import beta as beta_dist
from scipy.stats import chi
from torch.distributions import Beta, SigmoidTransform, TransformedDistribution

from genmath.figures import subplots
from genmath.mle import (
    bernoulli_map,
    bernoulli_map_logit,
    bernoulli_sequence_log_likelihood,
    beta_posterior,
    gaussian_log_likelihood,
    gaussian_mle,
)
from genmath.snippet import figure, publish, table


def argmax(f, lo, hi):
    return float(minimize_scalar(lambda t: -f(t), bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}).x)


# 1. the MLE of sigma is the square root of the MLE of sigma^2, found by maximising over sigma directly
rng = np.random.default_rng(3)
n = publish("mle.inv.n", 20)
x = rng.normal(1.0, 2.0, size=n)
mu_hat, sigma2_hat = gaussian_mle(x)
sigma_num = argmax(lambda s: gaussian_log_likelihood(x, mu_hat, s), 0.1, 10.0)
logsigma_num = argmax(lambda t: gaussian_log_likelihood(x, mu_hat, np.exp(t)), -3.0, 3.0)
publish("mle.inv.sigma2_hat", sigma2_hat)
publish("mle.inv.sqrt_sigma2_hat", np.sqrt(sigma2_hat))
publish("mle.inv.sigma_numerical", sigma_num)
publish("mle.inv.max_diff", max(abs(sigma_num - np.sqrt(sigma2_hat)), abs(np.exp(logsigma_num) - np.sqrt(sigma2_hat))))
assert abs(sigma_num - np.sqrt(sigma2_hat)) < 1e-6 and abs(np.exp(logsigma_num) - np.sqrt(sigma2_hat)) < 1e-6

# unbiasedness is NOT invariant: s^2 (divisor n - 1) is unbiased for sigma^2, but E[s] < sigma.
# s / sigma = chi_{n-1} / sqrt(n - 1)
publish("mle.inv.mean_s_over_sigma", chi(n - 1).mean() / np.sqrt(n - 1))
assert chi(n - 1).mean() / np.sqrt(n - 1) < 1

# 2. MAP in p versus MAP in the log-odds phi = log(p / (1 - p)), after k heads in n tosses
k, n_toss = publish("mle.inv.k", 3), publish("mle.inv.n_toss", 3)
rows = []
for a, b in ((1, 1), (2, 2)):
    p_map = bernoulli_map(k, n_toss, a, b)
    phi_map = bernoulli_map_logit(k, n_toss, a, b)
    # numerical check: torch transforms the Beta prior to phi (with its log |Jacobian|) by itself
    prior_phi = TransformedDistribution(Beta(torch.tensor(float(a), dtype=torch.float64),
                                             torch.tensor(float(b), dtype=torch.float64)),
                                        [SigmoidTransform().inv])
    log_post = lambda e, prior=prior_phi: float(prior.log_prob(torch.tensor(e, dtype=torch.float64))) \
        + bernoulli_sequence_log_likelihood(expit(e), k, n_toss)
    phi_num = argmax(log_post, -20.0, 20.0)
    assert abs(phi_num - phi_map) < 1e-6
    alpha, bet = beta_posterior(k, n_toss, a, b)
    median = beta_dist(alpha, bet).median()
    rows.append([f"Beta({a}, {b})", p_map, expit(phi_map), phi_map, phi_num, median])
    publish(f"mle.inv.p_map_{a}_{b}", p_map)
    publish(f"mle.inv.p_of_phi_map_{a}_{b}", expit(phi_map))
    publish(f"mle.inv.phi_map_{a}_{b}", phi_map)
    publish(f"mle.inv.post_median_{a}_{b}", median)
table(["prior on p", "MAP of p", "p at the MAP of φ", "MAP of φ (closed form)", "MAP of φ (numerical)",
       "posterior median of p"], rows, fmt=".4f")

alpha, bet = beta_posterior(k, n_toss, 1, 1)

# figure: the same posterior (uniform prior, 3 heads in 3 tosses) as a density of p and of phi
p_grid = np.linspace(0.0, 1.0, 401)
phi_grid = np.linspace(-3.0, 6.0, 401)
post_p = beta_dist(alpha, bet).pdf(p_grid)
post_phi = beta_dist(alpha, bet).pdf(expit(phi_grid)) * expit(phi_grid) * (1 - expit(phi_grid))  # |dp/d phi|
p_map, phi_map = bernoulli_map(k, n_toss, 1, 1), bernoulli_map_logit(k, n_toss, 1, 1)
fig, (ax1, ax2) = subplots(2, 1, figsize=(4.8, 5.6))
ax1.plot(p_grid, post_p, color="C0")
ax1.axvline(p_map, color="C0", linestyle="--", linewidth=1.2, label=f"mode of p: {p_map:g}")
ax1.axvline(expit(phi_map), color="C1", linestyle=":", linewidth=1.4, label=f"p at mode of φ: {expit(phi_map):.2f}")
ax1.set(xlabel="p", ylabel="posterior density of p", title="in p")
ax2.plot(phi_grid, post_phi, color="C1")
ax2.axvline(phi_map, color="C1", linestyle="--", linewidth=1.2, label=f"mode of φ: {phi_map:.2f}")
ax2.set(xlabel="φ = log(p / (1 − p))", ylabel="posterior density of φ", title="in log-odds φ")
for ax in (ax1, ax2):
    ax.legend(fontsize=9, loc="upper left")
figure(fig, "mle.inv.map",
       alt="One posterior, uniform prior and {{ mle.inv.k }} heads in {{ mle.inv.n_toss }} tosses, drawn as a "
           "density of p (top, rising to its mode at p = {{ mle.inv.p_map_1_1:g }}) and as a density of the log-odds "
           "φ (bottom, a hump with its mode at φ = {{ mle.inv.phi_map_1_1:.2f }}, which is p = "
           "{{ mle.inv.p_of_phi_map_1_1:.2f }}). The two modes are different points.")
