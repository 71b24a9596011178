"""A small GAN trained on a 1-D mixture of three Gaussians: samples over training, the learned
discriminator against D*, mode coverage, and the JSD implied by the discriminator."""
import numpy as np
import torch

from genmath import gan, jensen_shannon
from genmath.figures import subplots
from genmath.snippet import claim, figure, publish, table

torch.set_num_threads(1)
torch.manual_seed(0)

target = gan.gaussian_mixture_1d([1 / 3, 1 / 3, 1 / 3], [-2.5, 0.0, 2.5], [0.5, 0.5, 0.5])
run = gan.cached_train_gan(target, seed=0, n_snapshot=20000)
cfg = run.config
for key in ("steps", "batch_size", "latent_dim", "hidden", "lr_d", "lr_g"):
    publish(f"gan.train.{key}", cfg[key])

# Bins for histogram estimates: exact data probabilities from the mixture CDF, generator
# probabilities from sample counts; two tail bins (-inf, edges[0]) and (edges[-1], inf) close them.
def bin_probabilities(samples: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cdf = target.cdf(edges)
    p_bins = np.concatenate([[cdf[0]], np.diff(cdf), [1.0 - cdf[-1]]])
    counts = np.histogram(samples, edges)[0]
    tails = [np.sum(samples < edges[0]), np.sum(samples >= edges[-1])]
    g_bins = np.concatenate([[tails[0]], counts, [tails[1]]]) / samples.size
    return p_bins / p_bins.sum(), g_bins


coarse = np.linspace(-8, 8, 81)  # bin width 0.2
snapshot_hist_jsd = np.array([jensen_shannon(*bin_probabilities(x, coarse)) for x in run.snapshots])
snapshot_d_jsd = gan.jensen_shannon_from_value(run.snapshot_values)

# Final generator: many samples, fine bins (width 0.05) for the JSD.
n_final = 2_000_000
x_final = gan.generate(run.generator, n_final, seed=1)
fine = np.linspace(-8, 8, 321)
p_fine, g_fine = bin_probabilities(x_final, fine)
jsd_hist = float(jensen_shannon(p_fine, g_fine))
# its sampling standard error: redraw the generator's bin counts (multinomial) and recompute
boot_rng = np.random.default_rng(5)
jsd_boot = [jensen_shannon(p_fine, boot_rng.multinomial(n_final, g_fine) / n_final) for _ in range(200)]
jsd_hist_se = float(np.std(jsd_boot, ddof=1))
publish("gan.train.n_final", n_final)
publish("gan.train.jsd_hist", jsd_hist, unit="nats", se=jsd_hist_se)
publish("gan.train.jsd_hist_bits", float(jensen_shannon(p_fine, g_fine, base=2)), unit="bits",
        se=jsd_hist_se / np.log(2))


def value_with_se(discriminator, n, seed):
    """V(D, G) on n fresh data and n generator samples, as gan.value_estimate, with its standard error."""
    rng = torch.Generator().manual_seed(seed)
    latent_dim = next(run.generator.parameters()).shape[1]
    with torch.no_grad():
        x_real = target.sample(n, rng)
        x_fake = run.generator(torch.randn(n, latent_dim, generator=rng))
        real = -torch.nn.functional.softplus(-discriminator(x_real)).double().numpy().ravel()  # log D
        fake = -torch.nn.functional.softplus(discriminator(x_fake)).double().numpy().ravel()  # log(1 - D)
    value = real.mean() + fake.mean()
    claim(abs(value - gan.value_estimate(discriminator, run.generator, target, n, seed=seed)) < 1e-5,
          "the value with its standard error is the one genmath.value_estimate computes")
    return value, float(np.hypot(real.std(ddof=1), fake.std(ddof=1)) / np.sqrt(n))


# The JSD implied by the discriminator's value, on fresh samples (Monte Carlo, n each).
n_mc = 100_000
v_trained, v_se = value_with_se(run.discriminator, n_mc, seed=2)
publish("gan.train.n_mc", n_mc)
publish("gan.train.value", v_trained, unit="nats", se=v_se)
publish("gan.train.jsd_d", float(gan.jensen_shannon_from_value(v_trained)), unit="nats", se=v_se / 2)
last = run.d_loss[-100:]
publish("gan.train.final_d_loss", float(np.mean(last)), unit="nats", se=float(np.std(last, ddof=1) / 10))

# Refit the discriminator against the frozen generator: the bound tightens towards the JSD.
refit_steps = 400
d_refit, refit_values = gan.fit_discriminator(run.discriminator, run.generator, target,
                                              steps=refit_steps, seed=3)
v_refit, v_refit_se = value_with_se(d_refit, n_mc, seed=2)
publish("gan.train.refit_steps", refit_steps)
publish("gan.train.value_refit", v_refit, unit="nats", se=v_refit_se)
publish("gan.train.jsd_d_refit", float(gan.jensen_shannon_from_value(v_refit)), unit="nats", se=v_refit_se / 2)

# Mode coverage: fraction of samples within 2 standard deviations of each mode, against the
# same fractions for samples of the data distribution itself.
radius = 2 * target.stds[0]
coverage = gan.mode_coverage(x_final, target.means, radius)
x_data = target.sample(n_final, torch.Generator().manual_seed(4)).numpy()[:, 0]
# the data's own fractions exactly, from the mixture CDF (the modes' 2-sd windows do not overlap)
mu = np.array(target.means)
coverage_data = np.append(target.cdf(mu + radius) - target.cdf(mu - radius), 0.0)
coverage_data[-1] = 1.0 - coverage_data[:-1].sum()
claim(np.allclose(coverage_data, gan.mode_coverage(x_data, target.means, radius), atol=0.005),
      "data samples reproduce the exact coverage fractions")
# How far the histogram JSD is from its target: coarser bins (data processing lowers it), and the
# estimator applied to samples of the data themselves (true value 0: the sampling bias).
publish("gan.train.jsd_hist_coarse", float(jensen_shannon(*bin_probabilities(x_final, coarse))), unit="nats")
publish("gan.train.jsd_hist_noise", float(jensen_shannon(*bin_probabilities(x_data, fine))), unit="nats")
publish("gan.train.radius", radius)
for i, name in enumerate(("left", "middle", "right", "off")):
    publish(f"gan.train.coverage_{name}", float(coverage[i]),
            se=float(np.sqrt(coverage[i] * (1 - coverage[i]) / n_final)))
    publish(f"gan.train.coverage_data_{name}", float(coverage_data[i]))
table(["", "mode at −2.5", "mode at 0", "mode at 2.5", "off-mode"],
      [["generator", *coverage], ["data (exact)", *coverage_data]], fmt=".3f",
      caption=f"Fraction of {n_final} generator samples within {radius:g} of each mode")

table(["step", "JSD implied by D (nats)", "histogram JSD, bin width 0.2 (nats)"],
      [[int(s), float(a), float(b)] for s, a, b in zip(run.snapshot_steps, snapshot_d_jsd, snapshot_hist_jsd)],
      fmt=".4f")
publish("gan.train.jsd_hist_step0", float(snapshot_hist_jsd[0]), unit="nats")
publish("gan.train.jsd_d_step0", float(snapshot_d_jsd[0]), unit="nats")

# The claims the chapter makes about this run, checked (the build fails if a change breaks them).
jsd_d, jsd_d_refit = gan.jensen_shannon_from_value(v_trained), gan.jensen_shannon_from_value(v_refit)
claim(jsd_d < jsd_d_refit < jsd_hist, "both discriminators' bounds lie below the histogram JSD, and the refit "
                                      "closes part of the gap")
claim(np.all(snapshot_d_jsd < snapshot_hist_jsd), "the bound stays below the histogram JSD at every snapshot")
claim(snapshot_d_jsd[0] < 0, "at step 0 the discriminator's bound is negative")
claim(np.all(coverage[:3] > 0.2), "no mode is dropped")
claim(coverage[1] < coverage_data[1], "the middle mode is under-filled")
claim(coverage[3] > coverage_data[3], "the generator leaves more mass off the modes than the data")
claim(abs(np.mean(last) - np.log(4)) < 0.05, "the final discriminator loss is near log 4")
claim(snapshot_hist_jsd[-1] < snapshot_hist_jsd[0] / 5, "the histogram JSD falls during training")
claim(run.snapshots[0].std() < 0.2 * np.std(x_data), "at step 0 the generator's samples form a narrow spike")
i250 = int(np.flatnonzero(run.snapshot_steps == 250)[0])
claim(np.all(gan.mode_coverage(run.snapshots[i250], target.means, radius)[:3] > 0.1),
      "within a few hundred steps the samples spread over the three modes")

# Figure 1: generator samples over training.
shown = [0, 125, 250, 500, 750, cfg["steps"]]
grid = np.linspace(-6, 6, 241)
fig, axes = subplots(2, 3, figsize=(7.6, 4.4), sharex=True, sharey=True)
for ax, step in zip(axes.ravel(), shown):
    i = int(np.flatnonzero(run.snapshot_steps == step)[0])
    ax.hist(run.snapshots[i], bins=80, range=(-6, 6), density=True, histtype="stepfilled",
            color="C0", alpha=0.55, label="G(z) samples")
    ax.plot(grid, target.pdf(grid), color="C1", label=r"$p_{\mathrm{data}}$")
    ax.set_title(f"step {step}" + (" (spike clipped)" if step == 0 else ""), fontsize=9)
    ax.set_ylim(0, 0.6)
axes[0, 1].legend(loc="upper left", fontsize=8)
for ax in axes[1]:
    ax.set_xlabel("x")
for ax in axes[:, 0]:
    ax.set_ylabel("density")
figure(fig, "gan.train.samples", alt="Six histograms of generator samples at training steps 0 to "
       "{{ gan.train.steps }}, each over the three-bump data density. At step 0 the samples form a narrow "
       "spike; they spread out over the first few hundred steps and end up roughly following the "
       "three bumps, with extra mass between the modes and sharper peaks than the data.")

# Figure 2: the learned discriminators against D* of the binned problem (bins of width 0.1 on
# [-4, 4], where every bin holds hundreds of generator samples or more).
d_edges = np.linspace(-4, 4, 81)
p_d, g_d = (probs[1:-1] for probs in bin_probabilities(x_final, d_edges))
d_star_bins = gan.optimal_discriminator(p_d, g_d)
centres = (d_edges[1:] + d_edges[:-1]) / 2


def distance_to_d_star(discriminator):
    """Root-mean-square distance to D* over the bins, weighted by the average density m of the bin."""
    m = (p_d + g_d) / 2
    return float(np.sqrt(np.sum(m * (gan.discriminator_probability(discriminator, centres) - d_star_bins) ** 2)
                         / np.sum(m)))


claim(distance_to_d_star(d_refit) < distance_to_d_star(run.discriminator),
      "the refitted discriminator follows D* more closely than the one found by training")
claim(np.ptp(gan.discriminator_probability(run.discriminator, centres)) < np.ptp(d_star_bins),
      "the trained discriminator misses the larger swings of D*")
fig, (ax_top, ax_bottom) = subplots(2, 1, sharex=True, figsize=(6.4, 4.8))
ax_top.plot(grid, target.pdf(grid), color="C1", label=r"$p_{\mathrm{data}}$")
ax_top.stairs(g_d / np.diff(d_edges), d_edges, color="C0", label=r"$p_g$ (histogram of $G(z)$)")
ax_top.set_ylabel("density")
ax_top.set_xlim(-4, 4)
ax_top.legend(loc="upper right", fontsize=8)
ax_bottom.stairs(d_star_bins, d_edges, color="C2",
                 label=r"$D^*_G = p_{\mathrm{data}} / (p_{\mathrm{data}} + p_g)$ (bins)")
ax_bottom.plot(grid, gan.discriminator_probability(run.discriminator, grid), color="C3",
               label="D at the end of training")
ax_bottom.plot(grid, gan.discriminator_probability(d_refit, grid), color="C4", linestyle="--",
               label=f"D refitted for {refit_steps} steps")
ax_bottom.axhline(0.5, color="C7", linewidth=0.8, linestyle=":")
ax_bottom.set_ylim(0, 1)
ax_bottom.set_xlabel("x")
ax_bottom.set_ylabel("D(x)")
ax_bottom.legend(loc="lower left", fontsize=8)
figure(fig, "gan.train.discriminator", alt="Top: the data density with three bumps and a "
       "histogram of the trained generator's samples, which is peakier and puts mass between the "
       "bumps. Bottom: the optimal discriminator computed from the two histograms, jagged, above 1/2 "
       "at the data modes and below it between them, against the smoother discriminator learned in "
       "training and a refitted discriminator that follows the optimal one more closely.")

# Figure 3: JSD estimates over training.
window = 50
smoothed = np.convolve(gan.jensen_shannon_from_value(-run.d_loss), np.ones(window) / window, mode="valid")
fig, ax = subplots()
ax.plot(np.arange(window, cfg["steps"] + 1), smoothed, color="C0", linewidth=1,
        label=rf"$(\log 4 - L_D)/2$, minibatches ({window}-step mean)")
ax.plot(run.snapshot_steps, snapshot_d_jsd, "o-", color="C3", label="JSD implied by D (fresh samples)")
ax.plot(run.snapshot_steps, snapshot_hist_jsd, "s-", color="C2", label="histogram JSD (bin width 0.2)")
ax.set_xlabel("training step")
ax.set_ylabel("JSD (nats)")
ax.legend(loc="upper right", fontsize=8)
figure(fig, "gan.train.jsd", alt="Jensen-Shannon divergence over training steps: the histogram "
       "estimate starts at {{ gan.train.jsd_hist_step0:.2f }} nats and falls quickly, while the lower bound implied by the "
       "discriminator stays small, below the histogram estimate at every snapshot.")
