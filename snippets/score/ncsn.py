"""A noise-conditional score network (NCSN, Song & Ermon 2019) trained at build time on the diffusion
chapter's ring by denoising score matching over several noise levels; samples by annealed Langevin
dynamics (their Algorithm 1), by the reverse-diffusion predictor alone, and by predictor-corrector
(Song et al. 2021, Algorithm 2); and the network's error against the exact noisy score of the ring,
as a function of the density (Song & Ermon 2019, Sec. 3.2.1)."""

import numpy as np
import torch

from genmath import (
    annealed_langevin,
    cached_train_score_net,
    mixture_log_prob,
    net_score,
    predictor_corrector_ve,
    ring_centres,
    ring_mixture,
    ring_mixture_logpdf,
    ring_near_fraction,
    ring_near_probability,
    ring_score,
)
from genmath.figures import subplots
from genmath.snippet import claim, figure, pm, publish, table

torch.set_num_threads(1)
n_train, steps, batch, lr, hidden = 8192, 3000, 256, 1e-2, 64
publish("score.ncsn.n_train", n_train)
publish("score.ncsn.iterations", steps)
publish("score.ncsn.batch", batch)
publish("score.ncsn.hidden", hidden)
data = ring_mixture(n_train, seed=0)  # the diffusion chapter's ring: 8 normals, radius 1, std 0.1
sigmas = np.geomspace(1.0, 0.02, 10)  # sigma_1 = 1: the ring's radius; sigma_L = 0.02 < the data's std 0.1
L = publish("score.ncsn.levels", sigmas.size)
publish("score.ncsn.sigma_max", sigmas[0])
publish("score.ncsn.sigma_min", sigmas[-1])
publish("score.ncsn.ratio", sigmas[0] / sigmas[1])
trained = cached_train_score_net(data, objective="dsm", sigmas=sigmas, steps=steps, batch_size=batch, lr=lr,
                                 hidden=hidden, seed=0)
publish("score.ncsn.params", sum(p.numel() for p in trained.model.parameters()))
for name, part in (("loss_first100", trained.losses[:100]), ("loss_last500", trained.losses[-500:])):
    publish(f"score.ncsn.{name}", part.mean(), se=part.std(ddof=1) / np.sqrt(part.size))

# 1. How good is the score at each level? On held-out noisy data, the weighted error
# sigma^2 |s_theta - grad log p_sigma|^2 relative to sigma^2 |grad log p_sigma|^2 (exact ring score).
test = ring_mixture(4000, seed=1)
rng = np.random.default_rng(2)
rows, rel = [], []
for i, s in enumerate(sigmas):
    x_noisy = test + s * rng.standard_normal(test.shape)
    err = s**2 * ((net_score(trained, x_noisy, s) - ring_score(x_noisy, s)) ** 2).sum(1)
    ref = s**2 * (ring_score(x_noisy, s) ** 2).sum(1)
    r = err.mean() / ref.mean()
    # delta method for a ratio of means of paired draws
    r_se = np.sqrt(np.var(err - r * ref, ddof=1) / err.size) / ref.mean()
    rel.append(r)
    rows.append([f"{i + 1}", s, pm(r, r_se)])
    if i in (0, L - 1):
        publish(f"score.ncsn.rel_err_{'first' if i == 0 else 'last'}", r, se=r_se)
table([r"level $i$", r"$\sigma_i$", r"$\mathbb{E}\lVert s_\theta - \nabla\log p_{\sigma_i}\rVert^2 / \mathbb{E}\lVert\nabla\log p_{\sigma_i}\rVert^2$"],
      rows, fmt=["", ".3f", ""], caption=r"The trained network on 4000 held-out noisy points per level, against the exact score of the noisy ring")
claim(rel[-1] > rel[0], "the relative error is largest at the smallest noise level")

# 2. Samplers, all started from N(0, sigma_1^2 I), all with the same network.
n = publish("score.ncsn.n_samples", 2000)
x_init = rng.standard_normal((n, 2)) * sigmas[0]
score_at = lambda x, s: net_score(trained, x, s)
langevin_steps = publish("score.ncsn.langevin_steps", 50)
eps = publish("score.ncsn.langevin_eps", 2e-5)
n_corr = publish("score.ncsn.n_corrector", 1)
snr = publish("score.ncsn.snr", 0.16)  # Song et al. (2021), App. G, for VE on CIFAR-10
samples = {
    "annealed": annealed_langevin(score_at, x_init, sigmas, eps, langevin_steps, np.random.default_rng(3)),
    "predictor": predictor_corrector_ve(score_at, x_init, sigmas, np.random.default_rng(3), n_corrector=0),
    "pc": predictor_corrector_ve(score_at, x_init, sigmas, np.random.default_rng(3), n_corrector=n_corr, snr=snr),
}
passes = {"annealed": L * langevin_steps, "predictor": L, "pc": L * (n_corr + 1)}
labels = {"annealed": "annealed Langevin", "predictor": "predictor only", "pc": "predictor-corrector"}
radius = publish("score.ncsn.near_radius", 0.25)
exact_near = publish("score.ncsn.exact_near", ring_near_probability(radius))
data_lp = ring_mixture_logpdf(test)
publish("score.ncsn.data.logp", data_lp.mean(), unit="nats", se=data_lp.std(ddof=1) / np.sqrt(data_lp.size))
rows, near, logp = [], {}, {}
for key, x in samples.items():
    f = ring_near_fraction(x, radius)
    f_se = np.sqrt(f * (1 - f) / n)
    lp = ring_mixture_logpdf(x)
    lp_se = lp.std(ddof=1) / np.sqrt(n)
    near[key], logp[key] = f, lp.mean()
    publish(f"score.ncsn.{key}.passes", passes[key])
    publish(f"score.ncsn.{key}.near", f, se=f_se)
    publish(f"score.ncsn.{key}.logp", lp.mean(), unit="nats", se=lp_se)
    rows.append([labels[key], passes[key], pm(f, f_se), pm(lp.mean(), lp_se)])
rows.append(["exact data", "", f"{exact_near:.3f}", pm(data_lp.mean(), data_lp.std(ddof=1) / np.sqrt(data_lp.size))])
table(["sampler", "network passes", "fraction within 0.25 of a mode",
       r"mean $\log p_{\text{data}}$ of the samples (nats)"], rows, fmt=["", ".4g", "", ""],
      caption=f"{n} samples each from the same trained network; the last row is the ring itself")
claim(near["pc"] > near["predictor"] + 3 * np.sqrt(0.25 / n), "the corrector improves on the predictor alone")
claim(logp["pc"] > logp["predictor"], "predictor-corrector samples have a higher log-density than the predictor's")
claim(near["annealed"] > near["predictor"], "annealed Langevin beats the predictor alone")
claim(abs(near["pc"] - near["annealed"]) < 2 * np.sqrt(0.25 / n) * np.sqrt(2),
      "predictor-corrector matches annealed Langevin within two standard errors, with far fewer passes")
claim(max(near.values()) < exact_near - 0.05, "every sampler puts less mass near the modes than the data do")

fig, axes = subplots(2, 2, figsize=(5.6, 5.8), sharex=True, sharey=True)
axes = axes.ravel()
shown = 1000
for ax, (title, x) in zip(axes, [("data", data), *[(labels[k], samples[k]) for k in samples]]):
    ax.scatter(x[:shown, 0], x[:shown, 1], s=2, alpha=0.5, color="C0")
    ax.set_title(title, fontsize=9)
    ax.set_aspect("equal")
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.6, 1.6)
for ax in axes[::2]:
    ax.set_ylabel("$x_2$")
for ax in axes[2:]:
    ax.set_xlabel("$x_1$")
figure(fig, "score.ncsn.samples",
       alt="Four scatter plots of points in the plane: the ring of eight clusters, then samples from the same "
           "trained score network by annealed Langevin ({{ score.ncsn.annealed.passes }} network passes), the "
           "predictor alone ({{ score.ncsn.predictor.passes }}) and predictor-corrector "
           "({{ score.ncsn.pc.passes }}). All three find the eight clusters; the predictor's are the most "
           "blurred: a fraction {{ score.ncsn.predictor.near:.3f }} ± {{ score.ncsn.predictor.near_se:.3f }} of its samples "
           "within {{ score.ncsn.near_radius }} of a mode, against {{ score.ncsn.pc.near:.3f }} ± "
           "{{ score.ncsn.pc.near_se:.3f }} for predictor-corrector and {{ score.ncsn.exact_near:.3f }} "
           "for the data.",
       caption="The ring and {{ score.ncsn.n_samples }} samples from each sampler (1000 shown), one trained noise-conditional network.")

# 3. Low-density regions: the error of s_theta(x, sigma) on a grid, against log p_sigma(x).
g = np.linspace(-2.0, 2.0, 101)
gx, gy = np.meshgrid(g, g)
grid = np.stack([gx.ravel(), gy.ravel()], -1)
centres = ring_centres()
shown_levels = [sigmas[-1], sigmas[5], sigmas[2]]
fig, (ax_map, ax_curve) = subplots(1, 2, figsize=(8.0, 3.6))
bins = np.linspace(-40, 2, 15)
empty_errs = []
for j, s in enumerate(shown_levels):
    log_p = mixture_log_prob(grid, np.full(8, 1 / 8), centres, np.stack([(0.01 + s**2) * np.eye(2)] * 8))
    err = s * np.linalg.norm(net_score(trained, grid, s) - ring_score(grid, s), axis=-1)  # dimensionless
    which = np.digitize(log_p, bins)
    centre = [(bins[b - 1] + bins[b]) / 2 for b in range(1, bins.size) if (which == b).sum() >= 20]
    median = [np.median(err[which == b]) for b in range(1, bins.size) if (which == b).sum() >= 20]
    ax_curve.plot(centre, median, marker="o", ms=3, label=rf"$\sigma = {s:.2g}$")
    top = log_p > np.quantile(log_p, 0.9)  # the densest tenth of the grid
    low = log_p < np.quantile(log_p, 0.5)  # the emptier half
    hi_err, lo_err = np.median(err[top]), np.median(err[low])
    tag = ["small", "mid", "large"][j]
    publish(f"score.ncsn.low.{tag}.sigma", s)
    publish(f"score.ncsn.low.{tag}.err_dense", hi_err)
    publish(f"score.ncsn.low.{tag}.err_empty", lo_err)
    publish(f"score.ncsn.low.{tag}.logp_min", log_p.min(), unit="nats")
    if j == 0:
        claim(lo_err > 5 * hi_err, "at the smallest noise level the error in the empty half of the plane is "
                                   "many times the error where the data are")
        # the map is drawn on a coarser 41 x 41 grid (each cell is a vector path in the page's SVG; the
        # 101 x 101 grid above, used for the numbers, made a 1.8 MB figure that slowed the page down)
        m = np.linspace(-2.0, 2.0, 41)
        mx, my = np.meshgrid(m, m)
        coarse = np.stack([mx.ravel(), my.ravel()], -1)
        err_map = s * np.linalg.norm(net_score(trained, coarse, s) - ring_score(coarse, s), axis=-1)
        log_p_map = mixture_log_prob(coarse, np.full(8, 1 / 8), centres, np.stack([(0.01 + s**2) * np.eye(2)] * 8))
        im = ax_map.pcolormesh(mx, my, np.log10(err_map.reshape(mx.shape)), cmap="viridis", shading="auto",
                               edgecolors="face", linewidth=0.3)  # no hairline seams between cells
        ax_map.contour(mx, my, log_p_map.reshape(mx.shape), levels=[np.quantile(log_p, 0.9)], colors="w",
                       linewidths=0.8)
        fig.colorbar(im, ax=ax_map, label=r"$\log_{10}\,\sigma\Vert s_\theta - \nabla\log p_\sigma\Vert$")
        ax_map.set_aspect("equal")
        ax_map.set_title(rf"error at $\sigma = {s:.2g}$", fontsize=9)
        ax_map.set_xlabel("$x_1$")
        ax_map.set_ylabel("$x_2$")
    empty_errs.append(lo_err)
claim(empty_errs[2] < empty_errs[0] / 5, "a larger noise level makes the score accurate far from the data")
ax_curve.set_yscale("log")
ax_curve.set_xlabel(r"$\log p_\sigma(x)$ (nats)")
ax_curve.set_ylabel(r"median $\sigma\Vert s_\theta - \nabla\log p_\sigma\Vert$")
ax_curve.legend(fontsize=8)
figure(fig, "score.ncsn.low_density",
       alt="Left: a map of the network's error over the plane at the smallest noise level; it is small on a thin "
           "ring around the eight clusters and large everywhere else. Right: the median error against the "
           "log-density of the noisy data, for three noise levels; the error falls as the density rises, and "
           "larger noise levels keep it small over a wider range.",
       caption=r"Where the data are, the network is accurate; elsewhere nothing in the loss constrains it. "
               r"The white line on the map encloses the densest tenth of the grid.")
