"""Classifier-free guidance (Ho & Salimans 2022): one class-conditional network on the labelled ring (the
class is the mode), trained with label dropout, sampled with guidance weights w; diversity (spread within a
class) against fidelity (how surely the exact classifier recognises the class)."""

import numpy as np
import torch

from genmath import (
    cached_train_cfg_ddpm,
    cfg_sample,
    frechet_distance,
    ring_centres,
    ring_class_posterior,
    ring_mixture_labelled,
    scaled_linear_betas,
)
from genmath.figures import subplots
from genmath.snippet import figure, publish, table

torch.set_num_threads(1)
betas = scaled_linear_betas(100)
data, labels = ring_mixture_labelled(8192, seed=0)  # the training points of train.py, with their modes
K, p_uncond = 8, 0.2
publish("diffusion.cfg.p_uncond", p_uncond)
trained = cached_train_cfg_ddpm(data, labels, K, betas, p_uncond=p_uncond, steps=2000, batch_size=1024,
                                lr=8e-3, hidden=64, seed=0)
publish("diffusion.cfg.params", sum(p.numel() for p in trained.model.parameters()))
publish("diffusion.cfg.loss_last500", trained.losses[-500:].mean())

per_class = 500
classes = np.repeat(np.arange(K), per_class)
centres = ring_centres()
weights = [0.0, 0.5, 1.0, 2.0, 4.0]
publish("diffusion.cfg.per_class", per_class)


def metrics(x):
    """Spread of each class's samples across the ring (tangential) and along it (radial), their mean
    radius, the probability the exact classifier gives to the wrong classes, and the Frechet distance of
    each class's samples to the true class law N(c_k, 0.1^2 I); spreads and distances averaged over classes."""
    tangential, radial, fd = [], [], []
    for k in range(K):
        pts, u = x[classes == k], centres[k] / np.linalg.norm(centres[k])
        radial.append((pts @ u).std(ddof=1))
        tangential.append((pts @ np.array([-u[1], u[0]])).std(ddof=1))
        fd.append(frechet_distance(pts.mean(0), np.cov(pts, rowvar=False), centres[k], 0.01 * np.eye(2)))
    wrong = 1.0 - ring_class_posterior(x)[np.arange(x.shape[0]), classes]
    return np.mean(tangential), np.mean(radial), np.linalg.norm(x, axis=1).mean(), wrong.mean(), np.mean(fd)


rows, samples, results = [], {}, {}
for w in weights:
    x = cfg_sample(trained, classes, w, seed=4)
    samples[w] = x
    results[w] = metrics(x)
    tangential, radial, radius, wrong, fd = results[w]
    rows.append([w, tangential, radial, radius, wrong, fd])
    key = f"diffusion.cfg.w{w:g}".replace(".", "_").replace("diffusion_cfg_", "diffusion.cfg.")
    publish(f"{key}.tangential", tangential)
    publish(f"{key}.radial", radial)
    publish(f"{key}.radius", radius)
    publish(f"{key}.wrong", wrong)
    publish(f"{key}.fd", fd)
# the unconditional model of the same network (the null label): w = -1
x_u = cfg_sample(trained, classes, -1.0, seed=4)
publish("diffusion.cfg.uncond_wrong", 1.0 - ring_class_posterior(x_u)[np.arange(x_u.shape[0]), classes].mean())
table(["guidance w", "spread across the ring", "spread along the radius", "mean radius",
       "P(wrong class) (exact classifier)", "Fréchet distance to the class"], rows, fmt=".3g")

# The exact tilted law p(x|c) p(c|x)^w at t = 0 for w = 4, by self-normalised importance sampling from p(x|c)
# (class 0, centred at (1, 0): x is along the radius, y across the ring). The classes barely overlap, so the
# tilt leaves the class law almost as it is.
rng = np.random.default_rng(0)
draws = centres[0] + 0.1 * rng.standard_normal((400_000, 2))
iw = ring_class_posterior(draws)[:, 0] ** 4.0
iw /= iw.sum()
mean_t = iw @ draws
tilt_radial, tilt_tangential = np.sqrt(iw @ (draws - mean_t) ** 2)
publish("diffusion.cfg.tilt_tangential", tilt_tangential)
publish("diffusion.cfg.tilt_radial", tilt_radial)
publish("diffusion.cfg.tilt_ess", 1.0 / (iw**2).sum())
publish("diffusion.cfg.tilt_radius", np.linalg.norm(mean_t))

# claims of the text: more guidance, narrower across the ring (not along it), fewer wrong classes, farther out,
# and a worse distance to the class law
tangential, radial, radii, wrongs, fds = (np.array([results[w][i] for w in weights]) for i in range(5))
assert np.all(np.diff(tangential) < 0) and np.all(np.diff(wrongs) < 0) and np.all(np.diff(radii) > 0)
assert np.all(np.abs(radial - 0.1) < 0.015) and tangential[-1] < tangential[0] / 3
publish("diffusion.cfg.radial_min", radial.min())
publish("diffusion.cfg.radial_max", radial.max())
assert abs(1.0 - ring_class_posterior(x_u)[np.arange(x_u.shape[0]), classes].mean() - 7 / 8) < 0.03  # a random class
assert np.all(np.diff(fds) > 0) and fds[-1] > 10 * fds[0]
# the sampler is not the t = 0 tilt: that stays within 2% of the data's spread and radius
assert abs(tilt_tangential - 0.1) < 0.002 and abs(tilt_radial - 0.1) < 0.002 and abs(np.linalg.norm(mean_t) - 1) < 0.002
assert tangential[-1] < 0.09 and radii[-1] > 1.05

shown = [0.0, 1.0, 4.0]
fig, axes = subplots(1, len(shown), figsize=(4.8, 1.9), sharex=True, sharey=True)
fig.set_dpi(150)
for ax, w in zip(axes, shown):
    for k in range(K):
        pts = samples[w][classes == k]
        ax.scatter(pts[:, 0], pts[:, 1], s=0.6, alpha=0.5, linewidths=0, rasterized=True, color=f"C{k}")
    ax.set_title(f"w = {w:g}", fontsize=10)
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.5, 1.5)
    ax.set_aspect("equal")
    ax.set_xticks([-1, 0, 1])
    ax.set_yticks([-1, 0, 1])
    ax.grid(False)
figure(fig, "diffusion.cfg.samples",
       alt="Three scatter plots of {{ diffusion.cfg.per_class }} guided samples per class, coloured by class, for "
           "guidance w = 0, 1 and 4: the round clusters become thin streaks along the radius (spread across the "
           "ring {{ diffusion.cfg.w0.tangential:.3f }}, {{ diffusion.cfg.w1.tangential:.3f }}, "
           "{{ diffusion.cfg.w4.tangential:.3f }}) and move outwards (mean radius {{ diffusion.cfg.w0.radius:.3f }}, "
           "{{ diffusion.cfg.w1.radius:.3f }}, {{ diffusion.cfg.w4.radius:.3f }}).",
       caption="Classifier-free guidance on the labelled ring: one network, guidance weight w = 0 "
               "(the conditional model), 1 and 4; colours are the requested classes.")

fig, (ax1, ax2) = subplots(1, 2, figsize=(4.4, 2.7))
ax1.plot(weights, tangential, "o-", ms=3, label="across the ring")
ax1.plot(weights, radial, "s--", ms=3, label="along the radius")
ax1.axhline(0.1, color="0.5", lw=1, label="data")
ax1.set_xlabel("guidance w")
ax1.set_ylabel("spread within a class")
ax1.legend(fontsize=8, loc="center right")
ax2.semilogy(weights, wrongs, "o-", ms=3, color="C2", label="P(wrong class)")
ax2.semilogy(weights, fds, "s--", ms=3, color="C3", label="Fréchet distance")
ax2.set_xlabel("guidance w")
ax2.legend(fontsize=8, loc="center right")
figure(fig, "diffusion.cfg.tradeoff",
       alt="Left: the spread of samples within a class across the ring falls from {{ diffusion.cfg.w0.tangential:.3f }} "
           "at w = 0 to {{ diffusion.cfg.w4.tangential:.3f }} at w = 4 while the spread along the radius goes from "
           "{{ diffusion.cfg.w0.radial:.3f }} to {{ diffusion.cfg.w4.radial:.3f }} (data: the component standard "
           "deviation both ways). Right, on a log scale: the probability the exact classifier gives to the wrong "
           "classes falls from {{ diffusion.cfg.w0.wrong:.1e }} to {{ diffusion.cfg.w4.wrong:.1e }}, while the "
           "Frechet distance to the true class rises from {{ diffusion.cfg.w0.fd:.1e }} to {{ diffusion.cfg.w4.fd:.1e }}.",
       caption="Diversity (left) against fidelity (right) as the guidance weight grows: fewer ambiguous "
               "samples, at the price of the spread and of the distance to the true class law.")
