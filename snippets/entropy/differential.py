"""Differential entropy of a Gaussian: closed form vs quadrature vs Monte Carlo, and where it is < 0."""

import math

import numpy as np
import scipy.optimize
import scipy.stats

import genmath
from genmath.figures import subplots
from genmath.numerics import integrate
from genmath.snippet import claim, figure, publish, table

rng = np.random.default_rng(0)

# Closed form h = 1/2 log(2 pi e sigma^2), checked two independent ways at a few sigmas
rows = []
for sigma in (0.1, 0.5, 1.0, 3.0):
    closed = genmath.gaussian_entropy(sigma)
    density = scipy.stats.norm(0.0, sigma)
    by_quad = integrate(lambda x, d=density: -d.pdf(x) * d.logpdf(x), name=f"-p log p, sigma = {sigma}",
                        loc=0.0, scale=sigma)
    x = density.rvs(size=100_000, random_state=rng)
    neg_log_p = -density.logpdf(x)
    rows.append([f"{sigma:g}", closed, by_quad, neg_log_p.mean(), neg_log_p.std(ddof=1) / math.sqrt(x.size),
                 genmath.gaussian_entropy(sigma, base=2)])
table(["sigma", "closed form (nats)", "quadrature (nats)", "Monte Carlo (nats)", "MC std. error (nats)",
       "closed form (bits)"], rows, fmt=".6f")
for sigma, closed, by_quad, mc, mc_se, _ in rows:
    claim(abs(by_quad - closed) < 1e-8, f"quadrature agrees with the closed form at sigma = {sigma}")
    claim(abs(mc - closed) < 3 * mc_se, f"Monte Carlo agrees within three standard errors at sigma = {sigma}")

publish("entropy.gauss.h_unit_nats", genmath.gaussian_entropy(1.0), unit="nats")
publish("entropy.gauss.h_unit_bits", genmath.gaussian_entropy(1.0, base=2), unit="bits")
publish("entropy.gauss.sigma_small", 0.1)
publish("entropy.gauss.h_small_nats", genmath.gaussian_entropy(0.1), unit="nats")
publish("entropy.gauss.h_small_bits", genmath.gaussian_entropy(0.1, base=2), unit="bits")

# The sigma at which h = 0, found numerically (root of the genmath function), vs 1/sqrt(2 pi e)
sigma_zero = scipy.optimize.brentq(lambda s: genmath.gaussian_entropy(s), 0.01, 1.0, xtol=1e-15)
publish("entropy.gauss.sigma_zero", sigma_zero)
publish("entropy.gauss.sigma_zero_closed", 1.0 / math.sqrt(2 * math.pi * math.e))

# Discretising with bin width Delta: H(X_Delta) + log Delta -> h(X) as Delta -> 0 (sigma = 0.1)
sigma = 0.1
disc_rows = []
for delta in (0.1, 0.03, 0.01, 0.001):
    edges = np.arange(-12 * sigma, 12 * sigma + delta / 2, delta)
    mass = np.diff(scipy.stats.norm(0.0, sigma).cdf(edges))
    mass = mass / mass.sum()
    h_discrete = genmath.entropy(mass)
    disc_rows.append([f"{delta:g}", h_discrete, h_discrete + math.log(delta)])
table(["bin width Delta", "H(X_Delta) (nats)", "H(X_Delta) + log Delta (nats)"], disc_rows, fmt=".6f")
publish("entropy.gauss.disc_h_fine", disc_rows[-1][1], unit="nats")
publish("entropy.gauss.disc_delta_fine", delta)

# Figure: h(sigma) in nats and bits; negative below sigma_zero
s = np.geomspace(0.02, 5.0, 300)
fig, ax = subplots()
ax.semilogx(s, genmath.gaussian_entropy(s), label="$h$ in nats")
ax.semilogx(s, genmath.gaussian_entropy(s, base=2), label="$h$ in bits")
ax.axhline(0.0, linewidth=0.8, color="C3")
ax.axvline(sigma_zero, linestyle=":", linewidth=1.0, color="C3")
ax.annotate(f"σ = 1/√(2πe) ≈ {sigma_zero:.3f}", xy=(sigma_zero, 0.0),
            xytext=(0.3, -3.0), arrowprops={"arrowstyle": "->", "linewidth": 0.8})
ax.set_xlabel(r"standard deviation $\sigma$ (log scale)")
ax.set_ylabel("differential entropy $h$")
ax.legend(loc="upper left")
figure(fig, "entropy.gauss.curve",
       alt="Differential entropy of a Gaussian against its standard deviation on a log axis: two "
           "straight lines (nats and bits) crossing zero at sigma = {{ entropy.gauss.sigma_zero:.3f }}, negative "
           "for smaller sigma.",
       caption="Differential entropy of a Gaussian is linear in log σ and crosses zero at "
               "σ = 1/√(2πe): narrower Gaussians have negative differential entropy.")
