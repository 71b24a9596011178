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
    ring_centres,
    ring_mixture,
    ring_mixture_logpdf,
    scaled_linear_betas,
    train_ddpm,
)
from genmath.figures import subplots
from genmath.snippet import figure, publish, table

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
publish("diffusion.train.loss_first100", trained.losses[:100].mean())
publish("diffusion.train.loss_last500", trained.losses[-500:].mean())

# The bound on held-out data: every t, one eps per (x_0, t); L_T exact per x_0.
test = ring_mixture(n_test, seed=1)
mse = ddpm_eps_mse(trained, test, seed=2)
rows = []
for kind in ("beta", "beta_tilde"):
    est = bound_from_eps_mse(mse, test, betas, kind)
    publish(f"diffusion.train.{kind}.bound", est.total, unit="nats")
    publish(f"diffusion.train.{kind}.stderr", est.stderr, unit="nats")
    publish(f"diffusion.train.{kind}.bound_bits", est.bits_per_dim, unit="bits")
    publish(f"diffusion.train.{kind}.l0", est.per_step[0], unit="nats")
    rows.append([{"beta_tilde": r"$\sigma_t^2 = \tilde\beta_t$", "beta": r"$\sigma_t^2 = \beta_t$"}.get(kind, kind),
                 est.prior, est.per_step[0], est.per_step[1:].sum(), est.total, est.stderr, est.bits_per_dim])
publish("diffusion.train.prior", est.prior, unit="nats")
# the data's own differential entropy (exact density, Monte Carlo over 200 000 points)
logq = ring_mixture_logpdf(ring_mixture(200_000, seed=3))
h = -logq.mean()
publish("diffusion.train.entropy", h, unit="nats")
publish("diffusion.train.entropy_se", logq.std() / np.sqrt(logq.size), unit="nats")
publish("diffusion.train.entropy_bits", h / 2 / np.log(2), unit="bits")
publish("diffusion.train.gap", rows[0][4] - h, unit="nats")
table(["reverse variance", "$L_T$ (nats)", "$L_0$ (nats)", r"$\sum_{t\ge 2} L_{t-1}$ (nats)", "bound $L$ (nats)",
       "std. error (nats)", "bits/dim"],
      rows, fmt=".4g")
publish("diffusion.train.mse_t1", mse[:, 0].mean())
publish("diffusion.train.mse_last", mse[:, -1].mean())

# Ancestral sampling, recording intermediate states.
shown = (100, 50, 20, 5, 0)
samples, states = ddpm_sample(trained, 2000, kind="beta", seed=4, record=shown)
radius = np.linalg.norm(samples, axis=1)
publish("diffusion.train.sample_radius_mean", radius.mean())
publish("diffusion.train.sample_radius_std", radius.std())
publish("diffusion.train.data_radius_std", np.linalg.norm(test, axis=1).std())


def near_a_centre(x, r=0.25):
    """Fraction of points within r of a mixture mean (2.5 component standard deviations)."""
    return float(np.mean(np.linalg.norm(x[:, None] - ring_centres()[None], axis=2).min(1) < r))


publish("diffusion.train.sample_near", near_a_centre(samples))
publish("diffusion.train.data_near", near_a_centre(test))

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
           "where eight clusters on a ring emerge, next to the training data.",
       caption=r"Ancestral sampling with $\sigma_t^2 = \beta_t$: 2000 chains at $t = 100, 50, 20, 5$ and $0$, and "
               "held-out data.")

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
       alt="Training loss L_simple against step: it falls from about 2 (the value for predicting zero "
           "noise) to about 0.5 within the first hundred steps and then declines slowly towards 0.35.",
       caption=r"$L_\text{simple}$ per minibatch of 1024 ($t$ uniform on $1, \dots, 100$). It is not the bound: the "
               r"bound weights each $t$ by $\lambda_t$ and adds constants.")
