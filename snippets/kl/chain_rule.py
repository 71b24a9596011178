"""The chain rule for KL on two bivariate Gaussians, and the data-processing inequality: binning and
adding noise can only lower the KL divergence (and the JSD)."""

import math

import numpy as np
import scipy.stats

import genmath
from genmath.figures import subplots
from genmath.snippet import figure, publish, table

# Two bivariate Gaussians over (x, y)
mu_p, cov_p = np.array([0.0, 1.0]), np.array([[1.0, 0.8], [0.8, 1.0]])
mu_q, cov_q = np.array([0.5, 0.0]), np.array([[2.0, -0.3], [-0.3, 0.5]])
joint = publish("kl.chain.joint", genmath.kl_mvn(mu_p, cov_p, mu_q, cov_q), unit="nats")
marginal = publish("kl.chain.marginal",
                   genmath.kl_normal(mu_p[0], math.sqrt(cov_p[0, 0]), mu_q[0], math.sqrt(cov_q[0, 0])), unit="nats")


def conditional(mu, cov, x):
    """Mean and standard deviation of y given x for a bivariate Gaussian (Schur complement)."""
    slope = cov[0, 1] / cov[0, 0]
    return mu[1] + slope * (x - mu[0]), math.sqrt(cov[1, 1] - slope * cov[0, 1])


# E_{x ~ p(x)}[KL(p(y | x) || q(y | x))]: the integrand is quadratic in x, so a Gauss-Hermite rule is exact
nodes, weights = np.polynomial.hermite_e.hermegauss(20)
xs = mu_p[0] + math.sqrt(cov_p[0, 0]) * nodes
expected = publish("kl.chain.conditional", sum(
    w * genmath.kl_normal(*conditional(mu_p, cov_p, x), *conditional(mu_q, cov_q, x))
    for w, x in zip(weights / math.sqrt(2 * math.pi), xs)), unit="nats")
assert abs(joint - (marginal + expected)) < 1e-12, "chain rule"
table(["term", "nats"], [["$\\mathrm{KL}(p(x, y) \\,\\|\\, q(x, y))$", joint], ["$\\mathrm{KL}(p(x) \\,\\|\\, q(x))$", marginal],
                         ["$\\mathbb{E}_{p(x)}[\\mathrm{KL}(p(y \\mid x) \\,\\|\\, q(y \\mid x))]$", expected]], fmt=".6f")

# Data processing, deterministic: bin p = N(0, 1) and q = N(1, 2^2) into intervals of width delta
p, q = scipy.stats.norm(0, 1), scipy.stats.norm(1, 2)
kl_true = publish("kl.dpi.true", genmath.kl_normal(0, 1, 1, 2), unit="nats")
jsd_true = publish("kl.dpi.jsd_true", genmath.jensen_shannon_quad(p.pdf, q.pdf, points=[0.0, 1.0]), unit="nats")
widths = 4.0 / 2.0 ** np.arange(10)  # nested binnings: each one refines the one before
binned_kl, binned_jsd = [], []
for delta in widths:
    edges = np.concatenate([[-np.inf], np.arange(-32.0, 32.0 + delta / 2, delta), [np.inf]])
    mass_p, mass_q = np.diff(p.cdf(edges)), np.diff(q.cdf(edges))
    mass_p, mass_q = mass_p / mass_p.sum(), mass_q / mass_q.sum()
    binned_kl.append(genmath.kl_divergence(mass_p, mass_q))
    binned_jsd.append(genmath.jensen_shannon(mass_p, mass_q))
binned_kl, binned_jsd = np.array(binned_kl), np.array(binned_jsd)
assert np.all(binned_kl <= kl_true + 1e-12) and np.all(binned_jsd <= jsd_true + 1e-12)
assert np.all(np.diff(binned_kl) > 0) and np.all(np.diff(binned_jsd) > 0), "a finer binning loses less"
publish("kl.dpi.width_coarse", float(widths[0]))
publish("kl.dpi.binned_coarse", binned_kl[0], unit="nats")
publish("kl.dpi.width_fine", float(widths[-1]))
publish("kl.dpi.binned_fine", binned_kl[-1], unit="nats")
publish("kl.dpi.jsd_binned_coarse", binned_jsd[0], unit="nats")

# Data processing, noisy: add independent N(0, s^2) noise to both (a Gaussian channel, as in diffusion)
noise = np.linspace(0.0, 4.0, 81)
noisy_kl = genmath.kl_normal(0, np.sqrt(1 + noise**2), 1, np.sqrt(4 + noise**2))
assert np.all(np.diff(noisy_kl) < 0)
publish("kl.dpi.noisy_1", genmath.kl_normal(0, math.sqrt(2), 1, math.sqrt(5)), unit="nats")
publish("kl.dpi.noisy_4", noisy_kl[-1], unit="nats")

fig, (ax1, ax2) = subplots(2, 1, figsize=(4.8, 5.6))
ax1.semilogx(widths, binned_kl, "o-", markersize=3, label="KL of the binned laws")
ax1.semilogx(widths, binned_jsd, "s-", markersize=3, label="JSD of the binned laws")
ax1.axhline(kl_true, linestyle="--", color="C0", linewidth=1.0)
ax1.axhline(jsd_true, linestyle="--", color="C1", linewidth=1.0)
ax1.set_xlabel(r"bin width $\Delta$")
ax1.set_ylabel("nats")
ax1.legend(loc="center left")
ax2.plot(noise, noisy_kl)
ax2.axhline(kl_true, linestyle="--", color="C0", linewidth=1.0)
ax2.set_xlabel("standard deviation $s$ of the added noise")
ax2.set_ylabel("KL (nats)")
ax2.set_ylim(0, 0.5)
figure(fig, "kl.dpi.processing",
       alt="Top: the KL divergence and the JSD of N(0, 1) and N(1, 4) after binning with bin width from "
           "{{ kl.dpi.width_fine:.4f }} to {{ kl.dpi.width_coarse:g }}, on a log axis; both rise towards their dashed "
           "continuous values ({{ kl.dpi.true:.4f }} nats and {{ kl.dpi.jsd_true:.4f }} nats) as the bins shrink and "
           "never exceed them; the KL is {{ kl.dpi.binned_coarse:.3f }} nats at width {{ kl.dpi.width_coarse:g }}. "
           "Bottom: the KL after adding Gaussian noise of standard deviation s to both, falling from "
           "{{ kl.dpi.true:.4f }} nats at s = 0 to {{ kl.dpi.noisy_4:.4f }} nats at s = 4.",
       caption="The data-processing inequality. Top: binning (a deterministic map) can only lower a "
               "divergence; the dashed lines are the values for the densities. Bottom: adding the same noise "
               "to both distributions (a noisy channel) lowers their KL divergence monotonically.")
