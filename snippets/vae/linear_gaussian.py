"""The ELBO on a model where everything is exact: log p(x) = ELBO(q) + KL(q || p(z|x)) for any q."""

import numpy as np
from matplotlib.patches import Ellipse
from scipy.linalg import block_diag

from genmath import kl_mvn
from genmath.figures import subplots
from genmath.snippet import claim, figure, pm, publish, table
from genmath.vae import (
    LinearGaussianModel,
    elbo_gaussian,
    elbo_monte_carlo,
    exact_posterior,
    expected_log_likelihood,
    iwae_bound_monte_carlo,
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
    "prior N(0, I)": prior,
    "poor guess N(-mu, I/2)": (-post_mean, 0.5 * np.eye(model.k)),
    "halfway (t = 0.5)": towards_posterior(0.5),
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
    rows.append([name, elbo, reconstruction, kl_prior, gap_cell, log_px, pm(mc.estimate, mc.std_error)])
    publish(f"vae.lg.{key}.elbo", elbo, unit="nats")
    publish(f"vae.lg.{key}.gap", gap, unit="nats")
    publish(f"vae.lg.{key}.rec", reconstruction, unit="nats")
    publish(f"vae.lg.{key}.kl_prior", kl_prior, unit="nats")
    publish(f"vae.lg.{key}.mc", mc.estimate, unit="nats", se=mc.std_error)
    claim(abs(mc.estimate - elbo) <= 3 * mc.std_error,
          f"the Monte Carlo ELBO of q = {name} lies within three standard errors of the closed form")
table(["q(z)", "ELBO (nats)", "E_q log p(x|z) (nats)", "KL(q‖p(z)) (nats)", "KL(q‖p(z|x)) (nats)",
       "log p(x) (nats)", "MC ELBO ± s.e., n = 10⁴ (nats)"], rows, fmt=".4f")
publish("vae.lg.max_residual", max(residuals), unit="nats")
publish("vae.lg.mc_n", 10_000)
gaps = {key: kl_mvn(m, S, post_mean, post_cov) for (m, S), key in zip(candidates.values(),
                                                                      ["prior", "poor", "half", "mf", "post"])}
claim(max(residuals) < 1e-10, "every row satisfies log p(x) = ELBO + KL(q || p(z|x)) to rounding")
claim(gaps["poor"] > gaps["prior"], "the poor guess has a larger gap than the prior")
claim(gaps["half"] < gaps["prior"] / 2, "halfway closes most of the prior's gap")
claim(gaps["post"] < 1e-10, "the exact posterior closes the gap")
claim(np.all(np.sqrt(np.diag(mean_field_cov)) < np.sqrt(np.diag(post_cov))),
      "the mean-field standard deviations are smaller than the posterior's marginal ones")

# The naive estimate of p(x): average p(x | z_n) over z_n from the PRIOR (importance sampling with the
# prior as proposal). Its cost is set by KL(p(z|x) || p(z)), target from proposal: about exp of it
# samples are needed (Chatterjee & Diaconis 2018, Thm. 1.1) -- not by the ELBO gap KL(p(z) || p(z|x)).
kl_post_prior = publish("vae.lg.naive.kl_post_prior", kl_mvn(post_mean, post_cov, *prior), unit="nats")
publish("vae.lg.naive.samples_needed", np.exp(kl_post_prior))
K_naive, repeats_naive = 1000, 400
publish("vae.lg.naive.k", K_naive)
naive = iwae_bound_monte_carlo(model, x, *prior, K_naive, repeats_naive, rng)  # E log of the naive estimate
publish("vae.lg.naive.log_estimate", naive.estimate, unit="nats", se=naive.std_error)
# The same x repeated in `copies` independent copies of the model (a block-diagonal W): every KL adds
# up, so the latent dimension and KL(p(z|x) || p(z)) grow together.
copies = publish("vae.lg.naive.copies", 10)
big = LinearGaussianModel(W=block_diag(*[model.W] * copies), b=np.tile(model.b, copies), sigma=model.sigma)
x_big = np.tile(x, copies)
publish("vae.lg.naive.big_k", big.k)
big_mean, big_cov = exact_posterior(big, x_big)
big_kl = publish("vae.lg.naive.big_kl_post_prior",
                 kl_mvn(big_mean, big_cov, np.zeros(big.k), np.eye(big.k)), unit="nats")
publish("vae.lg.naive.big_samples_needed", np.exp(big_kl))
big_log_px = publish("vae.lg.naive.big_log_px", log_marginal_likelihood(big, x_big), unit="nats")
big_naive = iwae_bound_monte_carlo(big, x_big, np.zeros(big.k), np.eye(big.k), K_naive, repeats_naive, rng)
publish("vae.lg.naive.big_log_estimate", big_naive.estimate, unit="nats", se=big_naive.std_error)
publish("vae.lg.naive.big_error", big_log_px - big_naive.estimate, unit="nats", se=big_naive.std_error)
claim(abs(log_px - naive.estimate) < 0.05, "with one copy the naive estimate of log p(x) is accurate")
claim(big_log_px - big_naive.estimate > 1, "with ten copies the naive estimate is off by nats")

# ELBO along the path from the prior (t = 0) to the posterior (t = 1)
t = np.linspace(0, 1, 101)
path_elbo = np.array([elbo_gaussian(model, x, *towards_posterior(ti)) for ti in t])
path_gap = np.array([kl_mvn(*towards_posterior(ti), post_mean, post_cov) for ti in t])
publish("vae.lg.path_max_residual", np.max(np.abs(log_px - path_elbo - path_gap)), unit="nats")
claim(np.all(np.diff(path_elbo) > 0), "along the path from the prior to the posterior the ELBO rises monotonically")

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
       alt="Left: the prior, an intermediate q and the exact posterior as 2-standard-deviation ellipses "
           "in the 2-D latent space. Right: the ELBO rises from {{ vae.lg.prior.elbo:.1f }} nats at the prior "
           "to log p(x) = {{ vae.lg.log_px:.2f }} nats at the posterior; the shaded gap is the KL to the "
           "posterior.")
