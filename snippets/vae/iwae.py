"""The importance-weighted bound L_K on the linear-Gaussian model: L_1 is the ELBO, and L_K rises
monotonically towards log p(x) as K grows (Burda et al. 2016, Theorem 1)."""

import numpy as np

from genmath.figures import subplots
from genmath.snippet import figure, publish, table
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
Ks = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
repeats = 2000
rows = {K: [K] for K in Ks}
fig, ax = subplots()
for j, (name, (m, S)) in enumerate(proposals.items()):
    key = name.replace(" ", "_")
    rng = np.random.default_rng(j)
    estimates = [iwae_bound_monte_carlo(model, x, m, S, K, repeats, rng) for K in Ks]
    means = np.array([e.estimate for e in estimates])
    ses = np.array([e.std_error for e in estimates])
    elbo = publish(f"vae.iwae.{key}.elbo", elbo_gaussian(model, x, m, S), unit="nats")
    for K, e in zip(Ks, estimates):
        rows[K].append(f"{e.estimate:.4f} ± {e.std_error:.4f}")
        if K in (1, 10, 100, 1000):
            publish(f"vae.iwae.{key}.k{K}", e.estimate, unit="nats")
            publish(f"vae.iwae.{key}.k{K}_se", e.std_error, unit="nats")
    publish(f"vae.iwae.{key}.gap1000", log_px - means[-1], unit="nats")
    ax.errorbar(Ks, means, yerr=2 * ses, marker="o", markersize=4, capsize=2,
                label=f"$\\mathcal{{L}}_K$, q = {name}")
    ax.axhline(elbo, color=f"C{j}", linestyle=":", linewidth=1)
ax.axhline(log_px, color="C3", linestyle="--", label="$\\log p(x)$")
ax.set(xscale="log", xlabel="number of importance samples K", ylabel="nats",
       title="IWAE bound (dotted: the ELBO of each q)")
ax.legend(loc="lower right")
figure(fig, "vae.iwae.bound",
       alt=f"The importance-weighted bound against K on a log axis for two proposals; both curves start "
           f"at their ELBO at K = 1 and rise towards the dashed line log p(x) = {log_px:.3f} nats.")
table(["$K$", r"$\mathcal{L}_K$, $q$ = halfway (nats)", r"$\mathcal{L}_K$, $q$ = mean field (nats)"], list(rows.values()))
publish("vae.iwae.repeats", repeats)
publish("vae.iwae.log_px", log_px, unit="nats")
