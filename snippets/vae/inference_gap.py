"""The digits VAE's inference gap split into an approximation and an amortisation part (Cremer, Li &
Duvenaud 2018), and what its code carries: rate, mutual information and the marginal KL (Alemi et
al. 2018). The VAE is the chapter's 2-D model (same data, settings and seed as vae/train.py, so the
same weights). Everything is in nats per image."""

import math

import numpy as np
import torch

from genmath.figures import subplots
from genmath.snippet import claim, figure, publish
from genmath.vae import (
    cached_train_vae,
    encoder_mutual_information,
    fit_local_posteriors,
    gaussian_q_elbo,
    load_digits_data,
    vae_iwae_bound,
)

torch.set_num_threads(1)
data = load_digits_data()
model = cached_train_vae(data.train_x, test_x=data.test_x, latent_dim=2, hidden_dim=128, epochs=60,
                         batch_size=64, lr=2e-3, seed=0).model
x = data.test_x
n = len(x)


def mean_se(values, ses):
    """The average over the images and its standard error (independent draws per image)."""
    return float(np.mean(values)), float(math.sqrt(np.sum(np.square(ses))) / len(values))


# 1. the encoder's q_phi(z|x) and the best diagonal Gaussian per image, q*, fitted with the decoder fixed
steps = publish("vae.gap.steps", 150)
mu_star, logvar_star = fit_local_posteriors(model, x, steps=steps, lr=0.05, draws=16, seed=0)
draws = publish("vae.gap.draws", 256)
elbo_enc, se_enc = gaussian_q_elbo(model, x, draws=draws, seed=1)
elbo_star, se_star = gaussian_q_elbo(model, x, mu_star, logvar_star, draws=draws, seed=2)
# 2. log p(x): the importance-weighted bound with q* as the proposal, two independent evaluations
K = publish("vae.gap.iwae_k", 1000)
runs = [vae_iwae_bound(model, x, K, seed=s, mu=mu_star, logvar=logvar_star) for s in (3, 4)]
log_px = np.mean(runs, axis=0)
se_px = np.abs(runs[0] - runs[1]) / 2.0          # per image: the se of the mean of two draws

publish("vae.gap.n_test", n)
publish("vae.gap.elbo_encoder", mean_se(elbo_enc, se_enc)[0], unit="nats", se=mean_se(elbo_enc, se_enc)[1])
publish("vae.gap.elbo_local", mean_se(elbo_star, se_star)[0], unit="nats", se=mean_se(elbo_star, se_star)[1])
lpx, lpx_se = float(log_px.mean()), float(math.sqrt(np.mean((runs[0] - runs[1]) ** 2) / 2 / (2 * n)))
publish("vae.gap.log_px", lpx, unit="nats", se=lpx_se)
# the three gaps, per image, and their averages; the three averages share draws, so each se is computed
# from its own per-image differences
amort, amort_se = mean_se(elbo_star - elbo_enc, np.hypot(se_star, se_enc))
approx, approx_se = mean_se(log_px - elbo_star, np.hypot(se_px, se_star))
infer, infer_se = mean_se(log_px - elbo_enc, np.hypot(se_px, se_enc))
publish("vae.gap.inference", infer, unit="nats", se=infer_se)
publish("vae.gap.approximation", approx, unit="nats", se=approx_se)
publish("vae.gap.amortisation", amort, unit="nats", se=amort_se)
share = amort / infer
share_se = share * math.hypot(amort_se / amort, infer_se / infer)
publish("vae.gap.amortisation_share", share, se=share_se)
claim(amort > 5 * amort_se and approx > 5 * approx_se, "both gaps are positive, well beyond their standard errors")
claim(amort > approx, "the amortisation gap is larger than the approximation gap")
claim(abs(infer - (approx + amort)) < 1e-9, "the two parts add up to the inference gap")

# 3. what the code carries, on the training images (the empirical data distribution)
info = encoder_mutual_information(model, data.train_x, draws=16, seed=5)
elbo_tr, se_tr = gaussian_q_elbo(model, data.train_x, draws=16, seed=6)
rate = publish("vae.info.rate", info.rate, unit="nats")
mi = publish("vae.info.mi", info.mutual_information.estimate, unit="nats", se=info.mutual_information.std_error)
mkl = publish("vae.info.marginal_kl", info.marginal_kl.estimate, unit="nats", se=info.marginal_kl.std_error)
# D = -E log p(x|z) = -(ELBO + R); R is in closed form, so D carries the ELBO's standard error
elbo_mean, elbo_se = mean_se(elbo_tr, se_tr)
distortion = publish("vae.info.distortion", -(elbo_mean + rate), unit="nats", se=elbo_se)
_, counts = np.unique(data.train_x, axis=0, return_counts=True)
freq = counts / counts.sum()
entropy = publish("vae.info.entropy", float(-(freq * np.log(freq)).sum()), unit="nats")
publish("vae.info.n_distinct", len(counts))
publish("vae.info.log_n", math.log(len(data.train_x)), unit="nats")
publish("vae.info.lower", entropy - distortion, unit="nats", se=elbo_se)
claim(entropy - distortion < 0, "the lower bound H - D is negative here, so it says nothing")
claim(mi + 3 * info.mutual_information.std_error < rate, "the mutual information is below the rate")
claim(abs(rate - mi - mkl) < 3 * math.hypot(info.mutual_information.std_error, info.marginal_kl.std_error),
      "rate = mutual information + marginal KL, within the Monte Carlo error")

# 4. one test image: the exact posterior on a grid (2-D latent) against the encoder's q and q*
i = int(np.argmax(elbo_star - elbo_enc))                      # the image with the largest amortisation gap
publish("vae.gap.worst", float((elbo_star - elbo_enc)[i]), unit="nats", se=float(np.hypot(se_star, se_enc)[i]))
with torch.no_grad():
    mu_e, logvar_e = (t[0].numpy() for t in model.encode(torch.from_numpy(x[i:i + 1])))
centre = mu_star[i]
half = 4.0 * float(np.exp(0.5 * logvar_star[i]).max()) + 1.5 * float(np.abs(mu_e - centre).max())


def grid_log_joint(points):
    """log p(x_i, z) on a square grid of points x points around q*, and the grid's cell area."""
    g = np.linspace(-half, half, points)
    Z1, Z2 = np.meshgrid(centre[0] + g, centre[1] + g, indexing="xy")
    grid = np.stack([Z1.ravel(), Z2.ravel()], axis=1)
    with torch.no_grad():
        lj = (model.log_likelihood(torch.from_numpy(x[i]), torch.from_numpy(grid)).numpy()
              - 0.5 * (grid**2).sum(1) - math.log(2 * math.pi))
    return Z1, Z2, lj, (g[1] - g[0]) ** 2


# log p(x) = log of the integral of p(x, z) over the plane, as a Riemann sum at two resolutions
estimates = []
for points in (161, 241):
    Z1, Z2, log_joint, cell = grid_log_joint(points)
    estimates.append(float(np.logaddexp.reduce(log_joint) + math.log(cell)))
log_px_grid = publish("vae.gap.worst_log_px_grid", estimates[-1], unit="nats")
claim(abs(estimates[0] - estimates[1]) < 1e-4, "the grid sum has converged")
shortfall = publish("vae.gap.worst_iwae_shortfall", log_px_grid - float(log_px[i]), unit="nats", se=float(se_px[i]))
claim(shortfall > -3 * se_px[i], "the importance-weighted estimate is not above the grid value, as a bound must")
posterior = np.exp(log_joint - log_joint.max()).reshape(Z1.shape)

fig, (ax1, ax2) = subplots(1, 2, figsize=(8.4, 3.6))
ax1.contourf(Z1, Z2, posterior, levels=np.linspace(0.05, 1.0, 8), cmap="Blues")  # no fill below 5% of the peak
t = np.linspace(0, 2 * np.pi, 200)
for (m, lv), colour, label in (((mu_e, logvar_e), "C3", r"encoder $q_\phi(z \mid x)$"),
                               ((mu_star[i], logvar_star[i]), "C1", r"fitted $q^*$")):
    s = np.exp(0.5 * lv)
    ax1.plot(m[0] + 2 * s[0] * np.cos(t), m[1] + 2 * s[1] * np.sin(t), color=colour, label=label)
    ax1.plot(*m, marker="o", color=colour, markersize=4)
ax1.set(xlabel="$z_1$", ylabel="$z_2$", title="Posterior of one test digit")
ax1.legend(fontsize=8, loc="upper left")
bins = np.linspace(0, max(np.max(elbo_star - elbo_enc), np.max(log_px - elbo_star)) * 1.02, 30)
ax2.hist(elbo_star - elbo_enc, bins=bins, alpha=0.7, color="C3", label="amortisation gap")
ax2.hist(log_px - elbo_star, bins=bins, alpha=0.7, color="C1", label="approximation gap")
ax2.set(xlabel="gap (nats)", ylabel="test images", title="The two gaps per test image")
ax2.legend(fontsize=8)
figure(fig, "vae.gap.figure",
       alt="Left: the exact posterior of the test digit with the largest amortisation gap, shaded, with "
           "the two-standard-deviation ellipses of the encoder's Gaussian and of the Gaussian fitted to "
           "this digit alone; the fitted one sits on the posterior, the encoder's is off to one side. "
           "Right: histograms over the {{ vae.gap.n_test }} test images of the amortisation gap (average "
           "{{ vae.gap.amortisation:.3f }} ± {{ vae.gap.amortisation_se:.3f }} nats) and of the approximation "
           "gap (average {{ vae.gap.approximation:.3f }} ± {{ vae.gap.approximation_se:.3f }} nats).")
