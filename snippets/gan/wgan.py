"""Wasserstein GANs on the chapter's mixture: a critic with clipped weights (Arjovsky et al. 2017),
one with a one-sided gradient penalty (Petzka et al. 2018) and one with the two-sided penalty of
Gulrajani et al. (2017). Each critic's estimate is compared with W1 computed independently from the
quantile functions (scipy.stats.wasserstein_distance)."""
import numpy as np
import scipy.stats
import torch

from genmath import gan
from genmath.figures import FOREGROUND, subplots
from genmath.snippet import figure, publish, table

torch.set_num_threads(1)
target = gan.gaussian_mixture_1d([1 / 3, 1 / 3, 1 / 3], [-2.5, 0.0, 2.5], [0.5, 0.5, 0.5])

# W1 between the generator and the data from the quantile functions: n generator samples against
# the data's quantiles at (i - 1/2)/m. With n samples W1 is biased upward by the sampling noise of
# the empirical CDF; the same estimator applied to n samples of the data (true W1 = 0) measures it.
n, m = 20_000, 200_000
data_quantiles = target.ppf((np.arange(m) + 0.5) / m)


def w1(samples: np.ndarray) -> float:
    return float(scipy.stats.wasserstein_distance(samples, data_quantiles))


data_samples = target.sample(n, torch.Generator().manual_seed(7)).numpy()[:, 0]
publish("gan.wgan.n_w1", n)
publish("gan.wgan.w1_noise", w1(data_samples))

common = {"steps": 800, "n_critic": 5, "batch_size": 128, "snapshot_every": 100, "n_snapshot": n,
          "n_value": 20_000, "seed": 0}
runs = {
    "clip": gan.cached_train_wgan(target, constraint="clip", clip=0.01, lr_critic=1e-4, lr_g=1e-4, **common),
    "one": gan.cached_train_wgan(target, constraint="one-sided", penalty_weight=10.0, lr_critic=1e-3,
                                 lr_g=2e-4, **common),
    "two": gan.cached_train_wgan(target, constraint="two-sided", penalty_weight=10.0, lr_critic=1e-3,
                                 lr_g=2e-4, **{**common, "steps": 300}),
}
w1s = {key: np.array([w1(x) for x in run.snapshots]) for key, run in runs.items()}
for key in ("steps", "n_critic", "batch_size"):
    publish(f"gan.wgan.{key}", common[key])
publish("gan.wgan.two_steps", runs["two"].config["steps"])

# The clipped critic: its estimate is in units of its Lipschitz constant K (measured on [-8, 8]).
clip, one, two = runs["clip"], runs["one"], runs["two"]
ratio_clip = clip.estimates / clip.lipschitz
publish("gan.wgan.clip.k_max", float(clip.lipschitz.max()))
hidden = clip.config["hidden"]
publish("gan.wgan.hidden", hidden)
# |f'| <= sum_ijk |w3_i| |W2_ij| |w1_j| <= c^3 h^2 for weights in [-c, c] (LeakyReLU slopes <= 1)
publish("gan.wgan.clip.k_bound", 0.01 ** 3 * hidden ** 2)
early = w1s["clip"] > 0.8  # the generator is still far from the data
late = clip.snapshot_steps >= 600
publish("gan.wgan.clip.ratio_early_min", float(np.min(ratio_clip[early & (clip.snapshot_steps > 0)]
                                                     / w1s["clip"][early & (clip.snapshot_steps > 0)])))
publish("gan.wgan.clip.ratio_late_max", float(np.max(ratio_clip[late] / w1s["clip"][late])))
publish("gan.wgan.clip.w1_final", float(w1s["clip"][-1]))
publish("gan.wgan.clip.w1_min", float(w1s["clip"].min()))

# The one-sided penalty: the estimate itself tracks W1 once the critic has caught up.
track = one.snapshot_steps >= 700
publish("gan.wgan.one.max_gap_late", float(np.max(np.abs(one.estimates[track] - w1s["one"][track]))))
publish("gan.wgan.one.w1_start", float(w1s["one"][0]))
publish("gan.wgan.one.w1_final", float(w1s["one"][-1]))
publish("gan.wgan.one.estimate_final", float(one.estimates[-1]))
publish("gan.wgan.one.se_final", float(one.estimate_se[-1]))
publish("gan.wgan.one.k_final", float(one.lipschitz[-1]))
publish("gan.wgan.one.k_max", float(one.lipschitz.max()))
i_over = int(np.argmax(one.estimates - w1s["one"]))  # where the soft constraint lets it overshoot
publish("gan.wgan.one.over_step", int(one.snapshot_steps[i_over]))
publish("gan.wgan.one.over_estimate", float(one.estimates[i_over]))
publish("gan.wgan.one.over_w1", float(w1s["one"][i_over]))
publish("gan.wgan.one.over_k", float(one.lipschitz[i_over]))
publish("gan.wgan.one.over_ratio", float(one.estimates[i_over] / one.lipschitz[i_over]))
i_lag = int(np.argmin(one.estimates[1:] / w1s["one"][1:])) + 1  # where it lags behind most
publish("gan.wgan.one.lag_step", int(one.snapshot_steps[i_lag]))
publish("gan.wgan.one.lag_estimate", float(one.estimates[i_lag]))
publish("gan.wgan.one.lag_w1", float(w1s["one"][i_lag]))

# The two-sided penalty in one dimension: the critic keeps the wrong sign and the generator drifts.
publish("gan.wgan.two.w1_start", float(w1s["two"][0]))
publish("gan.wgan.two.w1_final", float(w1s["two"][-1]))
publish("gan.wgan.two.estimate_final", float(two.estimates[-1]))
publish("gan.wgan.two.left_or_beyond", float(np.mean(two.snapshots[-1] < -1.5)))

table(["step", "W₁ clip", "f̂ / K clip", "W₁ one-sided", "f̂ one-sided", "f̂ / K one-sided"],
      [[int(s), w1s["clip"][i], ratio_clip[i], w1s["one"][i], one.estimates[i],
        one.estimates[i] / one.lipschitz[i]] for i, s in enumerate(one.snapshot_steps)], fmt=".3f",
      caption="W₁ of each generator (quantile functions) and its critic's estimate on fresh samples")

# The claims the chapter makes about these runs.
se = {key: run.estimate_se / run.lipschitz for key, run in runs.items()}
for key, run in runs.items():  # KR with f / K: the normalised estimate never exceeds W1
    assert np.all(run.estimates / run.lipschitz <= w1s[key] + 3 * se[key]), key
assert np.all(np.abs(one.estimates[track] - w1s["one"][track]) < 0.05), "one-sided: tracks W1 from step 700"
assert one.estimates[i_over] > w1s["one"][i_over], "the soft penalty lets the estimate overshoot once"
assert np.min(ratio_clip[early & (clip.snapshot_steps > 0)] / w1s["clip"][early & (clip.snapshot_steps > 0)]) > 0.5
assert np.max(ratio_clip[late] / w1s["clip"][late]) < 0.5, "clipping: the estimate loses W1 late"
assert w1s["clip"][-1] > w1s["one"][-1], "the clipped WGAN ends further from the data"
assert clip.lipschitz.max() <= 0.01 ** 3 * hidden ** 2, "the clipped critic's slopes stay inside c^3 h^2"
assert np.all(two.estimates[1:] < 0) and w1s["two"][-1] > w1s["two"][0], "two-sided: wrong sign, drift"

# Figure 1: estimates against W1 over training, one panel per critic.
fig, axes = subplots(3, 1, figsize=(5.0, 8.4), sharex=True)
panels = [("one", "(a) one-sided gradient penalty"), ("clip", "(b) weight clipping, c = 0.01"),
          ("two", "(c) two-sided gradient penalty")]
for ax, (key, title) in zip(axes, panels):
    run = runs[key]
    ax.plot(run.snapshot_steps, w1s[key], color=FOREGROUND, linewidth=2.2, label=r"$W_1$ (quantiles)")
    if key != "clip":
        ax.errorbar(run.snapshot_steps, run.estimates, yerr=2 * run.estimate_se, fmt="o-", color="C0",
                    markersize=4, label=r"critic $\hat W$")
    ax.plot(run.snapshot_steps, run.estimates / run.lipschitz, "s--", color="C1", markersize=4,
            label=r"$\hat W / K$")
    ax.axhline(0, color=FOREGROUND, linewidth=0.6)
    ax.set_title(title, fontsize=11)
    ax.set_ylabel("distance")
    ax.legend(loc="upper right", fontsize=10)
axes[-1].set_xlabel("generator step")
figure(fig, "gan.wgan.curves", alt="Three panels of W1 and critic estimates against training steps. "
       "(a) One-sided penalty: W1 falls from {{ gan.wgan.one.w1_start:.2f }} to {{ gan.wgan.one.w1_final:.2f }} "
       "and the critic's estimate follows it from step 700 on, within {{ gan.wgan.one.max_gap_late:.3f }}. "
       "(b) Weight clipping: the estimate divided by the critic's Lipschitz constant follows W1 while "
       "the generator is far from the data, then drops towards 0 while W1 stays near "
       "{{ gan.wgan.clip.w1_final:.2f }}. (c) Two-sided penalty: the estimate is negative and W1 grows from "
       "{{ gan.wgan.two.w1_start:.2f }} to {{ gan.wgan.two.w1_final:.2f }}.")

# Figure 2: the final critics against the optimal critic of the final one-sided generator (its CDF
# is the empirical CDF of the snapshot samples), all shifted to 0 at x = 0.
grid = np.linspace(-5, 5, 401)
x_one = np.sort(one.snapshots[-1])
f_star = gan.wasserstein_critic_1d(target.cdf, lambda t: np.searchsorted(x_one, t, side="right") / x_one.size,
                                   lower=-8.0, upper=8.0, origin=0.0, n_grid=16001)
f_one = gan.critic_values(one.critic, grid) - gan.critic_values(one.critic, 0.0)
f_clip = (gan.critic_values(clip.critic, grid) - gan.critic_values(clip.critic, 0.0)) / clip.lipschitz[-1]
inner = np.abs(grid) <= 4
publish("gan.wgan.one.critic_gap", float(np.max(np.abs(f_one - f_star(grid))[inner])))
publish("gan.wgan.star_range", float(np.ptp(f_star(grid)[inner])))
line = np.polyfit(grid[inner], f_clip[inner], 1)
publish("gan.wgan.clip.slope", float(line[0]))
publish("gan.wgan.clip.line_gap", float(np.max(np.abs(np.polyval(line, grid) - f_clip)[inner])))
assert np.max(np.abs(f_one - f_star(grid))[inner]) < 0.5, "the one-sided critic follows f*"
assert np.max(np.abs(np.polyval(line, grid) - f_clip)[inner]) < 0.5, "the clipped critic is nearly linear"
fig, ax = subplots(figsize=(5.0, 3.8))
ax.plot(grid, f_star(grid), color=FOREGROUND, linewidth=2.2, label=r"$f^*$ (one-sided run's $p_g$)")
ax.plot(grid, f_one, color="C0", label="one-sided critic")
ax.plot(grid, f_clip, color="C1", linestyle="--", label=r"clipped critic / $K$")
for mode in target.means:
    ax.axvline(mode, color=FOREGROUND, linewidth=0.6, linestyle=":")
ax.set_xlabel("x")
ax.set_ylabel("critic (0 at x = 0)")
ax.legend(loc="lower left", fontsize=10)
figure(fig, "gan.wgan.critics", alt="The critics at the end of training, shifted to 0 at x = 0. The "
       "optimal critic for the one-sided run's generator is a zigzag of slopes plus and minus 1; the "
       "one-sided critic lies on it to within {{ gan.wgan.one.critic_gap:.2f }} on [-4, 4]. The clipped critic "
       "divided by its Lipschitz constant is a straight line of slope {{ gan.wgan.clip.slope:.2f }} to within "
       "{{ gan.wgan.clip.line_gap:.2f }}.")
