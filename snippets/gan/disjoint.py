"""Disjoint supports: JSD is stuck at log 2, KL is infinite, Wasserstein-1 equals |theta|
(Arjovsky, Chintala & Bottou 2017, Example 1), and the near-disjoint Gaussian case."""
import math

import numpy as np
import scipy.stats

from genmath import gan, jensen_shannon, kl_divergence, kl_normal
from genmath.figures import subplots
from genmath.snippet import claim, figure, publish

LOG2 = math.log(2)

# Example 1: P_0 is the law of (0, Z), P_theta the law of (theta, Z), Z ~ U[0, 1]: two parallel
# segments in the plane. Z is discretised into n equally likely atoms (the result does not depend on n).
n = 20
z = (np.arange(n) + 0.5) / n


def example_1(theta: float) -> tuple[float, float, float]:
    """(JSD in nats, KL(P_0 || P_theta) in nats, W1) for the discretised parallel segments."""
    p0 = np.column_stack([np.zeros(n), z])
    p_theta = np.column_stack([np.full(n, theta), z])
    w1 = float(scipy.stats.wasserstein_distance_nd(p0, p_theta))
    if theta == 0:  # same atoms, same masses
        mass_0 = mass_theta = np.full(n, 1 / n)
    else:  # 2n distinct atoms: the first n carry P_0, the last n carry P_theta
        mass_0 = np.concatenate([np.full(n, 1 / n), np.zeros(n)])
        mass_theta = mass_0[::-1].copy()
    return float(jensen_shannon(mass_0, mass_theta)), float(kl_divergence(mass_0, mass_theta)), w1


thetas = np.linspace(-1, 1, 41)
results = np.array([example_1(float(t)) for t in thetas])
jsd_1, kl_1, w1_1 = results.T
theta_0 = 0.5
jsd_half, kl_half, w1_half = example_1(theta_0)
publish("gan.disjoint.theta", theta_0)
publish("gan.disjoint.jsd", jsd_half, unit="nats")
publish("gan.disjoint.jsd_bits", jsd_half / LOG2, unit="bits")
publish("gan.disjoint.kl", kl_half, unit="nats")
publish("gan.disjoint.w1", w1_half)
max_w1_error = publish("gan.disjoint.max_w1_error", float(np.max(np.abs(w1_1 - np.abs(thetas)))))
claim(max_w1_error < 1e-6, "over the whole theta grid W_1 equals |theta|")

# Near-disjoint: N(0, sigma^2) against N(theta, sigma^2) with a narrow sigma. JSD by quadrature,
# KL in closed form, W1 by quadrature of |F_0 - F_theta|.
sigma = 0.1
publish("gan.gauss.sigma", sigma)
p0 = scipy.stats.norm(0, sigma)


def gauss_jsd(theta: float) -> float:
    return gan.jensen_shannon_quad(p0.pdf, scipy.stats.norm(theta, sigma).pdf,
                                   lower=-2.0, upper=3.0, points=[0.0, theta])


thetas_g = np.linspace(0, 1, 26)
jsd_g = np.array([gauss_jsd(float(t)) for t in thetas_g])
kl_g = np.asarray(kl_normal(0.0, sigma, thetas_g, sigma))
for theta, key in ((0.1, "one_sigma"), (0.5, "five_sigma"), (1.0, "ten_sigma")):
    jsd = gauss_jsd(theta)
    publish(f"gan.gauss.jsd_{key}", jsd, unit="nats")
    publish(f"gan.gauss.gap_{key}", LOG2 - jsd, unit="nats")
    publish(f"gan.gauss.w1_{key}", gan.wasserstein_1_quad(p0.cdf, scipy.stats.norm(theta, sigma).cdf,
                                                           lower=-2.0, upper=3.0, points=[0.0, theta]))
    publish(f"gan.gauss.kl_{key}", float(kl_normal(0.0, sigma, theta, sigma)), unit="nats")

fig, (ax_a, ax_b) = subplots(1, 2, figsize=(7.6, 3.4), sharey=True)
ax_a.plot(thetas, w1_1, label=r"$W_1 = |\theta|$")
ax_a.plot(thetas[thetas != 0], jsd_1[thetas != 0], "o", markersize=3, color="C1",
          label=r"JSD (nats), $\theta \neq 0$")
ax_a.plot([0], [0], "o", color="C1", markerfacecolor="none")
ax_a.axhline(LOG2, color="C1", linewidth=0.8, linestyle=":")
ax_a.text(0.0, 0.45, "KL $= +\\infty$\nfor $\\theta \\neq 0$", ha="center", va="center")
ax_a.set_xlabel(r"$\theta$")
ax_a.set_ylabel("divergence or distance")
ax_a.set_title("(a) parallel segments (Example 1)", fontsize=10)
ax_a.legend(loc="upper center")
ax_b.plot(thetas_g, np.abs(thetas_g), label=r"$W_1 = |\theta|$")
ax_b.plot(thetas_g, jsd_g, "o-", markersize=3, label="JSD (nats)")
ax_b.plot(thetas_g, kl_g, color="C2", label=r"KL $= \theta^2 / (2\sigma^2)$ (nats)")
ax_b.axhline(LOG2, color="C1", linewidth=0.8, linestyle=":")
ax_b.set_ylim(0, 1.2)
ax_b.set_xlabel(r"$\theta$")
ax_b.set_title(rf"(b) N$(0, \sigma^2)$ vs N$(\theta, \sigma^2)$, $\sigma = {sigma}$",
               fontsize=10)
ax_b.legend(loc="lower right")
figure(fig, "gan.disjoint", alt="Left: for two parallel segments a distance theta apart, the "
       "Wasserstein-1 distance is the V-shaped line |theta| while the Jensen-Shannon divergence is "
       "flat at log 2 nats for every nonzero theta and KL is infinite. Right: for two narrow normals "
       "the Jensen-Shannon divergence rises quickly and flattens at log 2 nats once the means are a "
       "few standard deviations apart, KL grows quadratically, and Wasserstein-1 grows linearly.")
