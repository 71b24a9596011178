"""Langevin dynamics on a 2-D Gaussian mixture with the exact score: plain Langevin keeps the mode
proportions of its initialisation; annealed Langevin (Song & Ermon, 2019, Algorithm 1) nearly recovers them."""

import numpy as np
from scipy import stats

from genmath.figures import subplots
from genmath.score import (
    annealed_langevin,
    langevin,
    mixture_log_prob,
    mixture_responsibilities,
    mixture_score,
    noisy_covs,
)
from genmath.snippet import claim, figure, publish, table

rng = np.random.default_rng(0)
weights = np.array([0.2, 0.8])  # the example of Song & Ermon (2019), Sec. 3.2.2
means = np.array([[-5.0, -5.0], [5.0, 5.0]])
covs = np.stack([np.eye(2)] * 2)
publish("score.langevin.weight_1", weights[0])
publish("score.langevin.weight_2", weights[1])

n = publish("score.langevin.n", 10_000)
x_init = rng.uniform(-8, 8, size=(n, 2))  # uniform on a square, symmetric about the diagonal between the modes

step, n_steps = publish("score.langevin.step", 0.1), publish("score.langevin.n_steps", 1000)
x_plain = langevin(lambda x: mixture_score(x, weights, means, covs), x_init, step, n_steps, rng)

sigmas = np.geomspace(20.0, 0.1, 10)
publish("score.langevin.sigma_max", sigmas[0])
publish("score.langevin.sigma_min", sigmas[-1])
publish("score.langevin.levels", len(sigmas))
eps, n_each = publish("score.langevin.anneal_eps", 2e-3), publish("score.langevin.steps_per_level", 100)
x_anneal = annealed_langevin(lambda x, s: mixture_score(x, weights, means, noisy_covs(covs, s)), x_init, sigmas,
                             eps, n_each, rng)

# exact samples from the mixture, for reference
component = rng.uniform(size=n) < weights[1]
x_exact = means[component.astype(int)] + rng.standard_normal((n, 2))


def upper_fraction(x):
    return float((mixture_responsibilities(x, weights, means, covs)[:, 1] > 0.5).mean())


def w1_diagonal(x):
    """1-D Wasserstein-1 distance between projections onto the diagonal (1, 1)/sqrt(2)."""
    d = np.array([1.0, 1.0]) / np.sqrt(2)
    return float(stats.wasserstein_distance(x @ d, x_exact @ d))


boot = np.random.default_rng(1)


def w1_se(x, draws=100):
    """Bootstrap standard error of w1_diagonal (both sample sets resampled)."""
    d = np.array([1.0, 1.0]) / np.sqrt(2)
    a, b = x @ d, x_exact @ d
    return float(np.std([stats.wasserstein_distance(boot.choice(a, a.size), boot.choice(b, b.size))
                         for _ in range(draws)], ddof=1))


rows, fracs, w1s = [], {}, {}
for name, x in [("init", x_init), ("plain", x_plain), ("annealed", x_anneal), ("exact", x_exact)]:
    f = upper_fraction(x)
    frac = publish(f"score.langevin.{name}.upper_fraction", f, se=float(np.sqrt(f * (1 - f) / n)))
    w1 = publish(f"score.langevin.{name}.w1", w1_diagonal(x), se=w1_se(x) if name != "exact" else None)
    fracs[name], w1s[name] = frac, w1
    rows.append([name, frac, w1])
publish("score.langevin.se", float(np.sqrt(weights[0] * weights[1] / n)))
table(["samples", "fraction in the weight-0.8 mode", "W₁ to exact samples along the diagonal"], rows, fmt=".3f",
      caption=f"{n} chains each; W₁ between exact samples and themselves is 0 by definition")
se = np.sqrt(weights[0] * weights[1] / n)
claim(abs(fracs["plain"] - fracs["init"]) < 0.01, "plain Langevin keeps the fraction that started on each side")
claim(abs(fracs["annealed"] - weights[1]) < abs(fracs["plain"] - weights[1]) / 3,
      "annealed Langevin nearly recovers the mode weights")
claim(w1s["annealed"] < w1s["plain"] / 3, "the Wasserstein distance to exact samples drops with annealing")
n_shown = publish("score.langevin.n_shown", 600)

fig, axes = subplots(1, 2, figsize=(7.2, 3.5), sharex=True, sharey=True)
g = np.linspace(-9, 9, 181)
gx, gy = np.meshgrid(g, g)
dens = np.exp(mixture_log_prob(np.stack([gx.ravel(), gy.ravel()], -1), weights, means, covs)).reshape(gx.shape)
for ax, x, title in [(axes[0], x_plain, "Langevin"), (axes[1], x_anneal, "annealed Langevin")]:
    ax.contour(gx, gy, dens, levels=5, linewidths=0.8, colors="C0")
    ax.scatter(x[:n_shown, 0], x[:n_shown, 1], s=3, alpha=0.5, color="C1")
    ax.set_title(f"{title}\n{upper_fraction(x):.2f} of samples in the upper mode", fontsize=9)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
axes[0].set_ylabel("$x_2$")
figure(fig, "score.langevin.figure",
       alt="Two panels with the contours of a mixture with modes at (-5,-5) weight {{ score.langevin.weight_1:g }} "
           "and (5,5) weight {{ score.langevin.weight_2:g }}. Left, plain Langevin: the samples are split about "
           "evenly between the two modes. Right, annealed Langevin: most samples sit in the upper-right mode, "
           "a fraction {{ score.langevin.annealed.upper_fraction:.2f }} against the correct "
           "{{ score.langevin.weight_2:g }}.",
       caption="{{ score.langevin.n_shown }} of the chains after plain Langevin (left) and annealed Langevin (right), over the density "
               "contours. Plain Langevin cannot cross the low-density region between the modes.")
