"""The importance-weighted bound L_K on the linear-Gaussian model: L_1 is the ELBO, and L_K rises
monotonically towards log p(x) as K grows (Burda et al. 2016, Theorem 1)."""

import numpy as np

from genmath.figures import subplots
from genmath.snippet import claim, figure, pm, publish, table
from genmath.vae import (
    elbo_gaussian,
    exact_posterior,
    iwae_bound_monte_carlo,
    linear_gaussian_example,
    log_marginal_likelihood,
)

model, x = linear_gaussian_example()
log_px = log_marginal_likelihood(model, x)
post_mean, post_cov = exact_posterior(model, x)
precision = np.linalg.inv(post_cov)
proposals = {
    "halfway": (0.5 * post_mean, 0.5 * (np.eye(model.k) + post_cov)),
    "mean field": (post_mean, np.diag(1.0 / np.diag(precision))),
}
# The tails of the weights w = p(x, z) / q(z) = p(x) N(z; mu, Sigma) / N(z; m, S), q = N(m, S):
# log w = -1/2 z^T (Sigma^-1 - S^-1) z + (linear in z) + const, bounded above iff Sigma^-1 - S^-1 is
# positive definite (q wider than the posterior in every direction: "over-dispersed"); and
# E_q[w^2] = int p(z|x)^2 / q(z) dz p(x)^2 is finite iff 2 Sigma^-1 - S^-1 is positive definite.


def chi2(m, S):
    """chi^2 = Var_q(w) / p(x)^2 = int p(z|x)^2 / q(z) dz - 1 for q = N(m, S), by the Gaussian integral
    int exp(-z^T A z / 2 + b^T z + c) dz = (2 pi)^(k/2) det(A)^(-1/2) exp(b^T A^-1 b / 2 + c)."""
    P, S_inv = precision, np.linalg.inv(S)
    A, b = 2 * P - S_inv, 2 * P @ post_mean - S_inv @ m
    c = (-post_mean @ P @ post_mean + 0.5 * m @ S_inv @ m - np.linalg.slogdet(2 * np.pi * post_cov)[1]
         + 0.5 * np.linalg.slogdet(2 * np.pi * S)[1])
    log_int = c + 0.5 * model.k * np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(A)[1] + 0.5 * b @ np.linalg.solve(A, b)
    return float(np.expm1(log_int))


tails = {}
for name, (m, S) in proposals.items():
    S_inv = np.linalg.inv(S)
    tails[name] = (bool(np.linalg.eigvalsh(precision - S_inv).min() > 0),       # bounded weights
                   bool(np.linalg.eigvalsh(2 * precision - S_inv).min() > 0))   # finite variance
rho = publish("vae.iwae.post_corr", post_cov[0, 1] / np.sqrt(post_cov[0, 0] * post_cov[1, 1]))
claim(tails["halfway"] == (True, True), "the halfway q is over-dispersed: its weights are bounded")
claim(tails["mean field"] == (False, False) and abs(rho) > 0.5,
      "the mean-field weights are unbounded and, with |correlation| > 1/2, have infinite variance")
Ks = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
repeats, repeats_last = 2000, 8000  # more repeats at K = 1000 for the mean field, whose shortfall is tiny
rows = {K: [K] for K in Ks}
gaps = {}
fig, ax = subplots()
for j, (name, (m, S)) in enumerate(proposals.items()):
    key = name.replace(" ", "_")
    rng = np.random.default_rng(j)
    estimates = [iwae_bound_monte_carlo(model, x, m, S, K,
                                        repeats_last if (K == Ks[-1] and name == "mean field") else repeats, rng)
                 for K in Ks]
    means = np.array([e.estimate for e in estimates])
    ses = np.array([e.std_error for e in estimates])
    elbo = publish(f"vae.iwae.{key}.elbo", elbo_gaussian(model, x, m, S), unit="nats")
    for K, e in zip(Ks, estimates):
        rows[K].append(pm(e.estimate, e.std_error))
        if K in (1, 10, 100, 1000):
            publish(f"vae.iwae.{key}.k{K}", e.estimate, unit="nats", se=e.std_error)
    publish(f"vae.iwae.{key}.gap1000", log_px - means[-1], unit="nats", se=ses[-1])
    gaps[name] = (log_px - means[-1], ses[-1])
    claim(np.all(np.diff(means) > -3 * np.hypot(ses[1:], ses[:-1])),
          f"L_K rises with K for q = {name} (within the Monte Carlo error)")
    ax.errorbar(Ks, means, yerr=2 * ses, marker="o", markersize=4, capsize=2,
                label=f"$\\mathcal{{L}}_K$, q = {name}")
    ax.axhline(elbo, color=f"C{j}", linestyle=":", linewidth=1)
ax.axhline(log_px, color="C3", linestyle="--", label="$\\log p(x)$")
ax.set(xscale="log", xlabel="number of importance samples K", ylabel="nats",
       title="IWAE bound (dotted: the ELBO of each q)")
ax.legend(loc="lower right")
(g_mf, se_mf), (g_half, se_half) = gaps["mean field"], gaps["halfway"]
# With finite chi^2 a second-order expansion of log around p(x) gives the shortfall chi^2 / (2K);
# the halfway q has finite chi^2, the mean-field q does not (its weights have infinite variance).
chi2_half = publish("vae.iwae.halfway.chi2", chi2(*proposals["halfway"]))
approx_half = publish("vae.iwae.halfway.gap1000_approx", chi2_half / (2 * Ks[-1]), unit="nats")
claim(abs(g_half - approx_half) < 3 * se_half, "the halfway shortfall agrees with chi^2 / (2K) at K = 1000")
ratio = g_mf / approx_half
publish("vae.iwae.gap_ratio", ratio, se=ratio * se_mf / g_mf)
claim(g_mf > approx_half + 3 * se_mf, "at K = 1000 the mean-field q ends farther from log p(x) than the halfway q")
figure(fig, "vae.iwae.bound",
       alt="The importance-weighted bound against K on a log axis for two proposals; both curves start "
           "at their ELBO at K = 1 and rise towards the dashed line log p(x) = {{ vae.iwae.log_px:.3f }} nats.")
table(["K", "L_K, q = halfway (nats)", "L_K, q = mean field (nats)"], list(rows.values()))
publish("vae.iwae.repeats", repeats)
publish("vae.iwae.log_px", log_px, unit="nats")
