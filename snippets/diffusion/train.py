"""A small DDPM trained at build time: an MLP eps-network with a sinusoidal time embedding on 2-D data
(8 Gaussians on a ring), L_simple (Ho et al. 2020, Algorithm 1), ancestral sampling (Algorithm 2), and
a Monte Carlo estimate of the variational bound in nats."""


import numpy as np
import torch

from genmath import (
    alpha_bars,
    bound_from_eps_mse,
    ddpm_eps_mse,
    ddpm_sample,
    ring_mixture,
    ring_mixture_logpdf,
    ring_near_fraction,
    ring_near_probability,
    scaled_linear_betas,
    train_ddpm,
)
from genmath.figures import subplots
from genmath.snippet import claim, figure, publish, table

torch.set_num_threads(1)
T, steps, batch, lr = 100, 2000, 1024, 8e-3
betas = scaled_linear_betas(T)  # 1e-3 .. 0.2: Ho et al.'s range stretched to T = 100
publish("diffusion.train.steps_t", T)
publish("diffusion.train.beta_1", betas[0])
publish("diffusion.train.beta_last", betas[-1])
publish("diffusion.train.alpha_bar_last", alpha_bars(betas)[-1])
publish("diffusion.train.iterations", steps)
publish("diffusion.train.batch", batch)

n_train, n_test, hidden = 8192, 2000, 64
publish("diffusion.train.n_train", n_train)
publish("diffusion.train.n_test", n_test)
publish("diffusion.train.hidden", hidden)
data = ring_mixture(n_train, seed=0)  # 8 components, radius 1, std 0.1
trained = train_ddpm(data, betas, steps=steps, batch_size=batch, lr=lr, hidden=hidden, seed=0)
publish("diffusion.train.params", sum(p.numel() for p in trained.model.parameters()))
# means of minibatch losses: their standard errors treat the minibatches as independent draws
for name, part in (("loss_first100", trained.losses[:100]), ("loss_last500", trained.losses[-500:])):
    publish(f"diffusion.train.{name}", part.mean(), se=part.std(ddof=1) / np.sqrt(part.size))

# The bound on held-out data: every t, one eps per (x_0, t); L_T exact per x_0.
test = ring_mixture(n_test, seed=1)
mse = ddpm_eps_mse(trained, test, seed=2)
rows = []
for kind in ("beta", "beta_tilde"):
    est = bound_from_eps_mse(mse, test, betas, kind)
    publish(f"diffusion.train.{kind}.bound", est.total, unit="nats", se=est.stderr)
    publish(f"diffusion.train.{kind}.bound_bits", est.bits_per_dim, unit="bits", se=est.stderr / 2 / np.log(2))
    publish(f"diffusion.train.{kind}.l0", est.per_step[0], unit="nats")
    rows.append([kind.replace("beta_tilde", "σ_t² = β̃_t").replace("beta", "σ_t² = β_t"),
                 est.prior, est.per_step[0], est.per_step[1:].sum(), est.total, est.stderr, est.bits_per_dim])
publish("diffusion.train.prior", est.prior, unit="nats")
claim(rows[0][4] < rows[1][4], "with the same network the beta_t bound is the lower one")
# the data's own differential entropy (exact density, Monte Carlo over 200 000 points)
big = ring_mixture(200_000, seed=3)
logq = ring_mixture_logpdf(big)
h = -logq.mean()
h_se = logq.std(ddof=1) / np.sqrt(logq.size)
publish("diffusion.train.entropy", h, unit="nats", se=h_se)
publish("diffusion.train.entropy_bits", h / 2 / np.log(2), unit="bits", se=h_se / 2 / np.log(2))
gap_se = np.hypot(rows[0][5], h_se)
publish("diffusion.train.gap", rows[0][4] - h, unit="nats", se=gap_se)
claim(rows[0][4] - h > 3 * gap_se, "the beta_t bound lies above the data's entropy")
table(["reverse variance", "L_T", "L_0", "Σ_{t≥2} L_{t−1}", "bound L (nats)", "std. error", "bits/dim"],
      rows, fmt=".4g")
publish("diffusion.train.mse_t1", mse[:, 0].mean(), se=mse[:, 0].std(ddof=1) / np.sqrt(n_test))
publish("diffusion.train.mse_last", mse[:, -1].mean(), se=mse[:, -1].std(ddof=1) / np.sqrt(n_test))
claim(mse[:, 0].mean() > 100 * mse[:, -1].mean(), "the noise is far harder to predict at t = 1 than at t = T")

# Ancestral sampling, recording intermediate states (for the figure).
shown = (100, 50, 20, 5, 0)
n_shown = publish("diffusion.train.n_shown", 2000)
samples, states = ddpm_sample(trained, n_shown, kind="beta", seed=4, record=shown)
claim(ring_near_fraction(states[20]) < ring_near_fraction(states[0]) / 2,
      "the Gaussian cloud turns into the ring only within the last few steps")

# How much mass lands near the modes, for both fixed reverse variances (the same network), from
# many samples; the held-out data's value is known exactly. diffusion/seeds.py repeats this for
# other training seeds with the same sampling seeds, so its seed-0 row equals these numbers.
n_near = publish("diffusion.train.n_near", 10_000)
near = {}
for kind, seed in (("beta", 6), ("beta_tilde", 7)):
    x_kind = ddpm_sample(trained, n_near, kind=kind, seed=seed)[0]
    f = ring_near_fraction(x_kind)
    near[kind] = publish(f"diffusion.train.{kind}.sample_near", f, se=np.sqrt(f * (1 - f) / n_near))
    if kind == "beta":
        radius = np.linalg.norm(x_kind, axis=1)
        publish("diffusion.train.sample_radius_mean", radius.mean(), se=radius.std(ddof=1) / np.sqrt(n_near))
        publish("diffusion.train.sample_radius_std", radius.std())
data_near = publish("diffusion.train.data_near", ring_near_probability())
claim(abs(ring_near_fraction(test) - data_near) < 3 * np.sqrt(data_near * (1 - data_near) / n_test),
      "the held-out data agree with the exact fraction near the modes")
publish("diffusion.train.data_radius_std", np.linalg.norm(big, axis=1).std())
claim(near["beta"] < near["beta_tilde"] < data_near,
      "both samplers put less mass near the modes than the data, the beta_t sampler the least")

fig, axes = subplots(1, len(shown) + 1, figsize=(9.6, 2.1), sharex=True, sharey=True)
fig.set_dpi(150)  # resolution of the rasterised point clouds inside the SVG
for ax, t in zip(axes, shown):
    ax.scatter(states[t][:, 0], states[t][:, 1], s=0.8, alpha=0.5, linewidths=0, rasterized=True)
    ax.set_title(f"t = {t}", fontsize=9)
axes[-1].scatter(test[:, 0], test[:, 1], s=0.8, alpha=0.5, linewidths=0, color="C1", rasterized=True)
axes[-1].set_title("data", fontsize=9)
for ax in axes:
    ax.set_xlim(-2.5, 2.5)
    ax.set_ylim(-2.5, 2.5)
    ax.set_aspect("equal")
    ax.set_xticks([-2, 0, 2])
    ax.set_yticks([-2, 0, 2])
    ax.grid(False)
figure(fig, "diffusion.train.samples",
       alt="Six scatter plots: ancestral samples at t = 100 (a round Gaussian cloud), 50, 20, 5 and 0, "
           "where eight clusters on a ring emerge, next to the held-out data.",
       caption="Ancestral sampling with σ_t² = β_t: {{ diffusion.train.n_shown }} chains at t = 100, 50, 20, 5 "
               "and 0, and held-out data.")

fig, ax = subplots()
w = 50
smooth = np.convolve(trained.losses, np.ones(w) / w, mode="valid")
ax.plot(np.arange(1, steps + 1), trained.losses, lw=0.5, alpha=0.35, label="minibatch")
ax.plot(np.arange(w, steps + 1), smooth, label=f"moving average ({w} steps)")
ax.set_xlabel("training step")
ax.set_ylabel(r"$L_\mathrm{simple}$: $\|\epsilon-\epsilon_\theta\|^2$ (sum over 2 dims)")
ax.set_ylim(0, 2.2)
ax.legend()
figure(fig, "diffusion.train.loss",
       alt="Training loss L_simple against step: from about 2 (the value for predicting zero noise) it "
           "falls to a mean of {{ diffusion.train.loss_first100:.1f }} over the first hundred steps and then "
           "declines slowly, to a mean of {{ diffusion.train.loss_last500:.2f }} over the last 500 steps.",
       caption="L_simple per minibatch of {{ diffusion.train.batch }} (t uniform on 1..{{ diffusion.train.steps_t }}). "
               "It is not the bound: the bound weights each t by λ_t and adds constants.")
