"""DDIM (Song, Meng & Ermon 2021) with the chapter's trained network: samples after S of the T = 100 steps,
deterministic (eta = 0) and ancestral (eta = 1); the bound of the shortened chain against S; and the
convergence of the deterministic sampler to the probability-flow ODE."""

import numpy as np
import torch

from genmath import (
    bound_from_eps_mse,
    cached_train_ddpm,
    ddim_sample,
    ddim_timesteps,
    ddpm_eps_mse,
    pf_ode_sample,
    respaced_betas,
    ring_centres,
    ring_mixture,
    ring_mixture_logpdf,
    scaled_linear_betas,
)
from genmath.figures import subplots
from genmath.snippet import claim, figure, publish, table

torch.set_num_threads(1)
betas = scaled_linear_betas(100)
T = betas.size
# the same arguments as train.py: the memo returns its weights
trained = cached_train_ddpm(ring_mixture(8192, seed=0), betas, steps=2000, batch_size=1024, lr=8e-3, hidden=64,
                            seed=0)
test = ring_mixture(2000, seed=1)
n = 5000
publish("diffusion.ddim.n", n)
x_T = np.random.default_rng(5).standard_normal((n, 2))  # one set of starting points for every sampler


def is_near(x, r=0.25):
    """Whether each point lies within r of a mixture mean (2.5 component standard deviations)."""
    return np.linalg.norm(x[:, None] - ring_centres()[None], axis=2).min(1) < r


def near_a_centre(x, r=0.25):
    """Fraction of points within r of a mixture mean (as in train.py)."""
    return float(np.mean(is_near(x, r)))


def paired(x_a, x_b):
    """Difference of the near-a-mode fractions of two samplers run from the same x_T, with its standard
    error (paired: the same starting points)."""
    d = is_near(x_a).astype(float) - is_near(x_b)
    return d.mean(), d.std(ddof=1) / np.sqrt(d.size)


def log_q(x):
    """Mean and standard error of log q(x) under the exact data density (nats per 2-D point)."""
    values = ring_mixture_logpdf(x)
    return values.mean(), values.std(ddof=1) / np.sqrt(values.size)


S_list = [2, 5, 10, 20, 50, 100]
publish("diffusion.ddim.data_near", near_a_centre(test))
publish("diffusion.ddim.data_logq", log_q(test)[0], unit="nats")
# the limit S -> infinity of eta = 0: the probability-flow ODE from the same x_T (RK45)
x_ode, nfe = pf_ode_sample(trained, x_T, rtol=1e-6, atol=1e-6)
publish("diffusion.ddim.ode_nfe", nfe)
publish("diffusion.ddim.ode_near", near_a_centre(x_ode))

mse = ddpm_eps_mse(trained, test, seed=2)  # every step's epsilon error on held-out data (as train.py)
rows, samples, near, bound, dist = [], {}, {0.0: [], 1.0: []}, [], []
for S in S_list:
    tau = ddim_timesteps(T, S)
    est = bound_from_eps_mse(mse[:, tau - 1], test, respaced_betas(betas, tau), "beta")  # the short chain
    bound.append(est.total)
    for eta in (0.0, 1.0):
        x = ddim_sample(trained, n, steps=S, eta=eta, seed=4, x_T=x_T)
        samples[S, eta] = x
        near[eta].append(near_a_centre(x))
        mean_lq, se_lq = log_q(x)
        publish(f"diffusion.ddim.s{S}.eta{int(eta)}.near", near[eta][-1])
        publish(f"diffusion.ddim.s{S}.eta{int(eta)}.logq", mean_lq, unit="nats")
        publish(f"diffusion.ddim.s{S}.eta{int(eta)}.logq_se", se_lq, unit="nats")
    dist.append(np.linalg.norm(samples[S, 0.0] - x_ode, axis=1).mean())
    publish(f"diffusion.ddim.s{S}.bound", est.total, unit="nats")
    publish(f"diffusion.ddim.s{S}.bound_se", est.stderr, unit="nats")
    publish(f"diffusion.ddim.s{S}.dist_ode", dist[-1])
    rows.append([S, near[0.0][-1], near[1.0][-1], log_q(samples[S, 0.0])[0], log_q(samples[S, 1.0])[0], dist[-1],
                 est.total])
table(["steps S", "near a mean, η = 0", "near a mean, η = 1", "E log q(x), η = 0 (nats)",
       "E log q(x), η = 1 (nats)", r"mean $\|x - x_{\mathrm{ODE}}\|$, $\eta = 0$", "bound of the S-step chain (nats)"], rows, fmt=".4g")

# claims of the text
claim(all(np.diff(bound) < 0), "more sampling steps give a tighter bound")
for S in (5, 10, 100):  # deterministic minus ancestral, same starting points
    diff, se = paired(samples[S, 0.0], samples[S, 1.0])
    publish(f"diffusion.ddim.s{S}.near_diff", diff)
    publish(f"diffusion.ddim.s{S}.near_diff_se", se)
    assert abs(diff) > 3 * se and (diff > 0) == (S < 100)  # few steps: eta = 0 better; all steps: eta = 1
# first order (Euler): doubling S halves the distance to the ODE solution
order = np.polyfit(np.log(S_list[2:]), np.log(dist[2:]), 1)[0]
publish("diffusion.ddim.order", -order)
assert 0.8 < -order < 1.2
# one step from T: x_0-hat divides the network's error by sqrt(alpha-bar_T)
x_one = ddim_sample(trained, n, steps=1, eta=0.0, x_T=x_T)
publish("diffusion.ddim.s1.radius_std", np.linalg.norm(x_one, axis=1).std())
publish("diffusion.ddim.data_radius_std", np.linalg.norm(test, axis=1).std())
claim(np.linalg.norm(x_one, axis=1).std() > 10 * np.linalg.norm(test, axis=1).std(), "one big DDIM step fails")

shown = [5, 10, 100]
fig, axes = subplots(2, len(shown), figsize=(4.8, 3.5), sharex=True, sharey=True)
fig.set_dpi(150)  # resolution of the rasterised point clouds inside the SVG
for row, eta in enumerate((0.0, 1.0)):
    for ax, S in zip(axes[row], shown):
        x = samples[S, eta]
        ax.scatter(x[:, 0], x[:, 1], s=0.8, alpha=0.5, linewidths=0, rasterized=True, color=f"C{row}")
        ax.set_title(f"η = {eta:g}, S = {S}", fontsize=10)
        ax.set_xlim(-1.6, 1.6)
        ax.set_ylim(-1.6, 1.6)
        ax.set_aspect("equal")
        ax.set_xticks([-1, 0, 1])
        ax.set_yticks([-1, 0, 1])
        ax.grid(False)
figure(fig, "diffusion.ddim.samples",
       alt="Six scatter plots of {{ diffusion.ddim.n }} samples from the same starting points: top row deterministic "
           "DDIM (eta = 0), bottom row ancestral sampling (eta = 1), with S = 5, 10 and 100 steps. With 5 steps "
           "the points form a blurred ring ({{ diffusion.ddim.s5.eta0.near:.0% }} and {{ diffusion.ddim.s5.eta1.near:.0% }} "
           "near a mode); with 100 steps eight clusters ({{ diffusion.ddim.s100.eta0.near:.0% }} and "
           "{{ diffusion.ddim.s100.eta1.near:.0% }}).",
       caption="DDIM samples from the trained network, deterministic (η = 0, top) and ancestral (η = 1, "
               "bottom), after $S$ of the 100 steps, all from the same $x_T$.")

fig, (ax1, ax2) = subplots(1, 2, figsize=(4.4, 2.8))
ax1.semilogx(S_list, near[0.0], "o-", ms=3, label="η = 0")
ax1.semilogx(S_list, near[1.0], "s--", ms=3, label="η = 1")
ax1.axhline(near_a_centre(test), color="0.5", lw=1, label="held-out data")
ax1.set_xlabel("steps S")
ax1.set_ylabel("fraction near a mode")
ax1.legend(fontsize=8, loc="lower right")
ax2.semilogx(S_list, bound, "o-", ms=3, color="C2")
ax2.set_xlabel("steps S")
ax2.set_ylabel("bound (nats), η = 1")
figure(fig, "diffusion.ddim.quality",
       alt="Left: fraction of samples near a mixture mean against the number of steps S, rising "
           "from {{ diffusion.ddim.s2.eta0.near:.0% }} (eta = 0) and {{ diffusion.ddim.s2.eta1.near:.0% }} (eta = 1) "
           "at S = 2 to {{ diffusion.ddim.s100.eta0.near:.0% }} and {{ diffusion.ddim.s100.eta1.near:.0% }} at "
           "S = 100; held-out data {{ diffusion.ddim.data_near:.0% }}. Right: the bound of the S-step ancestral chain, "
           "falling from {{ diffusion.ddim.s2.bound:.2f }} nats at S = 2 to {{ diffusion.ddim.s100.bound:.2f }} nats "
           "at S = 100.",
       caption="Left: sample quality against S. Right: the variational bound of the shortened chain "
               "(σ² = β′, held-out data); deterministic DDIM has no bound (its kernels are point masses).")
