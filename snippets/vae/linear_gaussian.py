"""The ELBO on a model where everything is exact: log p(x) = ELBO(q) + KL(q || p(z|x)) for any q."""

import numpy as np
from matplotlib.patches import Ellipse

from genmath import kl_mvn
from genmath.figures import subplots
from genmath.snippet import figure, publish, table
from genmath.vae import (
    elbo_gaussian,
    elbo_monte_carlo,
    exact_posterior,
    expected_log_likelihood,
    linear_gaussian_example,
    log_marginal_likelihood,
)

model, x = linear_gaussian_example()
publish("vae.lg.d", model.d)
publish("vae.lg.k", model.k)
publish("vae.lg.sigma", model.sigma)
log_px = publish("vae.lg.log_px", log_marginal_likelihood(model, x), unit="nats")
post_mean, post_cov = exact_posterior(model, x)
publish("vae.lg.post_mean_1", post_mean[0])
publish("vae.lg.post_mean_2", post_mean[1])
publish("vae.lg.post_sd_1", np.sqrt(post_cov[0, 0]))
publish("vae.lg.post_sd_2", np.sqrt(post_cov[1, 1]))
publish("vae.lg.post_corr", post_cov[0, 1] / np.sqrt(post_cov[0, 0] * post_cov[1, 1]))

# the best factorised (mean-field) Gaussian under KL(q || p): same mean, variances 1 / Lambda_ii
# (Bishop 2006, Sec. 10.1.2), Lambda the posterior precision
precision = np.linalg.inv(post_cov)
mean_field_cov = np.diag(1.0 / np.diag(precision))
publish("vae.lg.mf_sd_1", np.sqrt(mean_field_cov[0, 0]))
publish("vae.lg.mf_sd_2", np.sqrt(mean_field_cov[1, 1]))
prior = (np.zeros(model.k), np.eye(model.k))


def towards_posterior(t):
    """q_t: mean and covariance moved a fraction t of the way from the prior to p(z|x)."""
    return (1 - t) * prior[0] + t * post_mean, (1 - t) * prior[1] + t * post_cov


candidates = {
    r"prior $\mathcal{N}(0, I)$": prior,
    r"poor guess $\mathcal{N}(-\mu_{z|x}, I/2)$": (-post_mean, 0.5 * np.eye(model.k)),
    "halfway, $t = 0.5$": towards_posterior(0.5),
    "mean field (best diagonal)": (post_mean, mean_field_cov),
    "exact posterior": (post_mean, post_cov),
}
rng = np.random.default_rng(0)
rows, residuals = [], []
for (name, (m, S)), key in zip(candidates.items(), ["prior", "poor", "half", "mf", "post"]):
    elbo = elbo_gaussian(model, x, m, S)
    gap = kl_mvn(m, S, post_mean, post_cov)
    reconstruction = expected_log_likelihood(model, x, m, S)
    kl_prior = kl_mvn(m, S, prior[0], prior[1])
    mc = elbo_monte_carlo(model, x, m, S, 10_000, rng)
    residuals.append(abs(log_px - elbo - gap))
    gap_cell = f"{gap:.4f}" if abs(gap) > 1e-12 else f"{gap:.1e}"  # rounding-level zero, shown as is
    rows.append([name, elbo, reconstruction, kl_prior, gap_cell, log_px,
                 f"{mc.estimate:.3f} ± {mc.std_error:.3f}"])
    publish(f"vae.lg.{key}.elbo", elbo, unit="nats")
    publish(f"vae.lg.{key}.gap", gap, unit="nats")
    publish(f"vae.lg.{key}.rec", reconstruction, unit="nats")
    publish(f"vae.lg.{key}.kl_prior", kl_prior, unit="nats")
    publish(f"vae.lg.{key}.mc", mc.estimate, unit="nats")
    publish(f"vae.lg.{key}.mc_se", mc.std_error, unit="nats")
table(["$q(z)$", "ELBO (nats)", r"$\mathbb{E}_q \log p(x \mid z)$ (nats)", r"$\mathrm{KL}(q\,\|\,p(z))$ (nats)",
       r"$\mathrm{KL}(q\,\|\,p(z \mid x))$ (nats)", r"$\log p(x)$ (nats)", "MC ELBO ± s.e., $n = 10^4$ (nats)"], rows, fmt=".4f")
publish("vae.lg.max_residual", max(residuals), unit="nats")
publish("vae.lg.mc_n", 10_000)

# ELBO along the path from the prior (t = 0) to the posterior (t = 1)
t = np.linspace(0, 1, 101)
path_elbo = np.array([elbo_gaussian(model, x, *towards_posterior(ti)) for ti in t])
path_gap = np.array([kl_mvn(*towards_posterior(ti), post_mean, post_cov) for ti in t])
publish("vae.lg.path_max_residual", np.max(np.abs(log_px - path_elbo - path_gap)), unit="nats")

fig, (ax1, ax2) = subplots(1, 2, figsize=(8.0, 3.4), gridspec_kw={"width_ratios": [1, 1.3]})


def ellipse(ax, m, S, **kw):
    vals, vecs = np.linalg.eigh(S)
    angle = np.degrees(np.arctan2(vecs[1, -1], vecs[0, -1]))
    w, h = 2 * 2 * np.sqrt(vals[::-1])          # 2-standard-deviation ellipse
    ax.add_patch(Ellipse(m, w, h, angle=angle, fill=False, **kw))
    ax.plot(*m, marker=".", color=kw.get("color"))


ellipse(ax1, *prior, color="C0", label="prior, t = 0")
ellipse(ax1, *towards_posterior(0.5), color="C1", label="halfway, t = 0.5")
ellipse(ax1, post_mean, mean_field_cov, color="C2", linestyle="--", label="mean field")
ellipse(ax1, post_mean, post_cov, color="C3", linewidth=2.4, label="p(z | x), t = 1")
ax1.set(xlabel="$z_1$", ylabel="$z_2$", xlim=(-2.3, 2.3), ylim=(-2.3, 3.6), aspect="equal",
        title="2-sd ellipses of q(z)")
ax1.legend(fontsize=7, loc="upper center", ncol=2, handlelength=1.2, columnspacing=0.8)
ax2.plot(t, path_elbo, label="ELBO $\\mathcal{L}(q_t)$")
ax2.axhline(log_px, color="C3", linestyle="--", label="$\\log p(x)$")
ax2.fill_between(t, path_elbo, log_px, color="C1", alpha=0.25, label="gap = KL$(q_t \\| p(z|x))$")
ax2.set(xlabel="interpolation t (prior → posterior)", ylabel="nats", title="ELBO along the path")
ax2.legend(fontsize=8, loc="lower right")
figure(fig, "vae.lg.path",
       alt=f"Left: the prior, an intermediate q and the exact posterior as 2-standard-deviation ellipses "
           f"in the 2-D latent space. Right: the ELBO rises from {path_elbo[0]:.1f} nats at the prior to "
           f"log p(x) = {log_px:.2f} nats at the posterior; the shaded gap is the KL to the posterior.")
