"""Mode collapse on the chapter's mixture: the same GAN with a generator that learns 25 times faster
than its discriminator collapses onto a narrow spike that wanders between the modes; and against a
frozen discriminator, a generator that covered all three modes drops the one where D is lowest."""
import math

import numpy as np
import torch

from genmath import gan
from genmath.figures import FOREGROUND, subplots
from genmath.snippet import claim, figure, publish

torch.set_num_threads(1)
target = gan.gaussian_mixture_1d([1 / 3, 1 / 3, 1 / 3], [-2.5, 0.0, 2.5], [0.5, 0.5, 0.5])
radius = 2 * target.stds[0]
common = {"steps": 1000, "snapshot_every": 20, "n_snapshot": 4000, "n_value": 2000, "seed": 0}

# 1. Two runs that differ only in the learning rates: the chapter's (D faster than G) and swapped
# (G 25 times faster than D).
balanced = gan.cached_train_gan(target, lr_d=2e-3, lr_g=5e-4, **common)
fast = gan.cached_train_gan(target, lr_d=2e-4, lr_g=5e-3, **common)
publish("gan.collapse.lr_d", fast.config["lr_d"])
publish("gan.collapse.lr_g", fast.config["lr_g"])
publish("gan.collapse.snapshot_every", common["snapshot_every"])
publish("gan.collapse.steps", common["steps"])


def coverage(run: gan.GANRun) -> np.ndarray:
    """(snapshots, 4): fraction of samples near each mode, then near none."""
    return np.array([gan.mode_coverage(x, target.means, radius) for x in run.snapshots])


cov_fast, cov_balanced = coverage(fast), coverage(balanced)
after = fast.snapshot_steps >= 200
missing = (cov_fast[:, :3] < 0.05).any(axis=1)  # some mode gets less than 5% of the samples
dominant = cov_fast[:, :3].argmax(axis=1)
hops = int(np.sum(dominant[after][1:] != dominant[after][:-1]))
sd_fast = np.array([x.std() for x in fast.snapshots])
publish("gan.collapse.n_after", int(after.sum()))
publish("gan.collapse.missing_fraction", float(missing[after].mean()))
publish("gan.collapse.hops", hops)
publish("gan.collapse.sd_median", float(np.median(sd_fast[after])))
publish("gan.collapse.balanced_min_coverage", float(cov_balanced[after][:, :3].min()))
publish("gan.collapse.single_mode", float(np.mean(cov_fast[after][:, :3].max(axis=1) > 0.9)))
claim(missing[after].all(), "the fast generator misses a mode at every snapshot from step 200")
claim(hops >= 10, "the occupied mode changes often")
claim(np.median(sd_fast[after]) < target.stds[0], "a spike narrower than one data mode")
claim(cov_balanced[after][:, :3].min() > 0.1, "the balanced run keeps all three modes from step 200")

# 2. The generator's best response to a FROZEN discriminator: D* of the data against N(0, 1.5^2),
# largest at the outer modes. Start from the balanced run's generator, which covers all three.
broad = gan.gaussian_mixture_1d([1.0], [0.0], [1.5])


def d_star_logit(x: torch.Tensor) -> torch.Tensor:  # log p_data(x) - log p_g(x), x: (batch, 1)
    return target.log_prob(x) - broad.log_prob(x)


grid = np.linspace(-6, 6, 2401)
d_star = gan.optimal_discriminator(target.pdf(grid), broad.pdf(grid))
best_steps = 1000
g_best, losses = gan.fit_generator(balanced.generator, d_star_logit, steps=best_steps, lr=5e-4, seed=1)
x_before = gan.generate(balanced.generator, 20_000, seed=5)
x_after = gan.generate(g_best, 20_000, seed=5)
cov_before = gan.mode_coverage(x_before, target.means, radius)
cov_after = gan.mode_coverage(x_after, target.means, radius)
loss_before = float(np.mean(-np.log(gan.optimal_discriminator(target.pdf(x_before), broad.pdf(x_before)))))
loss_after = float(np.mean(-np.log(gan.optimal_discriminator(target.pdf(x_after), broad.pdf(x_after)))))
d_max = float(d_star.max())
publish("gan.collapse.best_steps", best_steps)
publish("gan.collapse.d_max", d_max)
publish("gan.collapse.d_max_at", float(abs(grid[np.argmax(d_star)])))
publish("gan.collapse.d_middle", float(gan.optimal_discriminator(target.pdf(0.0), broad.pdf(0.0))))
publish("gan.collapse.loss_floor", -math.log(d_max), unit="nats")
publish("gan.collapse.loss_before", loss_before, unit="nats")
publish("gan.collapse.loss_after", loss_after, unit="nats")
publish("gan.collapse.middle_before", float(cov_before[1]))
publish("gan.collapse.middle_after", float(cov_after[1]))
publish("gan.collapse.outer_after", float(cov_after[0] + cov_after[2]))
claim(-math.log(d_max) < loss_after < loss_before, "the loss falls towards its floor -log max D")
claim(cov_before[1] > 0.2 and cov_after[1] < 0.1, "the middle mode, where D is lowest, is dropped")

# Figure: (a) where the two generators put their samples over training; (b) the best response.
edges = np.linspace(-5, 5, 101)
fig, axes = subplots(3, 1, figsize=(5.0, 9.4), gridspec_kw={"height_ratios": [1, 1, 1.25]})
for ax, run, title in ((axes[0], balanced, f"(a) D faster: D's rate {balanced.config['lr_d']:g}, "
                        f"G's {balanced.config['lr_g']:g}"),
                       (axes[1], fast, f"(b) G faster: D's rate {fast.config['lr_d']:g}, "
                        f"G's {fast.config['lr_g']:g}")):
    density = np.array([np.histogram(x, edges)[0] for x in run.snapshots]).T / run.snapshots.shape[1]
    ax.imshow(np.sqrt(density), origin="lower", aspect="auto", cmap="viridis",
              extent=(run.snapshot_steps[0], run.snapshot_steps[-1], edges[0], edges[-1]))
    for mode in target.means:
        ax.axhline(mode, color="white", linewidth=0.8, linestyle=":")
    ax.set_ylabel("x")
    ax.set_title(title, fontsize=11)
    ax.grid(False)
axes[1].set_xlabel("training step")
ax = axes[2]
bins = np.linspace(-5, 5, 121)
ax.hist(x_before, bins=bins, density=True, histtype="stepfilled", color="C0", alpha=0.45,
        label="G of run (a)")
ax.hist(x_after, bins=bins, density=True, histtype="step", color="C3", linewidth=1.6,
        label=f"the same G after {best_steps} steps")
ax.plot(grid, d_star, color=FOREGROUND, linewidth=1.6, label=r"frozen $D^*$")
ax.set_xlim(-5, 5)
ax.set_ylim(0, 1.0)
ax.set_xlabel("x")
ax.set_title("(c) best response to a fixed discriminator", fontsize=11)
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=10, ncol=1)
figure(fig, "gan.collapse", alt="(a) and (b): heat maps of where the generator's samples lie (vertical "
       "axis, -5 to 5) over {{ gan.collapse.steps }} training steps. With the faster discriminator the samples "
       "spread over the three modes by step 200 and stay there. With the faster generator they form a "
       "narrow band that jumps between the modes: from step 200 on, at least one mode gets less than 5 "
       "percent of the samples at every snapshot. (c): against a frozen discriminator that is highest "
       "at the outer modes ({{ gan.collapse.d_max:.2f }}) and lowest in the middle, the generator's mass near "
       "the middle mode falls from {{ gan.collapse.middle_before:.2f }} to {{ gan.collapse.middle_after:.2f }}.")
