"""The optimal discriminator D* and the value of the game at D*, C(G) = -log 4 + 2 JSD, by quadrature."""
import math

import numpy as np
import scipy.optimize
import scipy.special
import scipy.stats

from genmath import gan
from genmath.figures import subplots
from genmath.snippet import claim, figure, publish, table

LOG4 = math.log(4)

# p_data: a two-component mixture; p_g: a broad normal.
p_data = gan.gaussian_mixture_1d([0.3, 0.7], [-1.5, 1.0], [0.4, 0.8])
p_g = scipy.stats.norm(0, 1.5)

# D* at one point: the closed form against a numerical maximiser of a log y + b log(1 - y).
x0 = 0.5
a, b = float(p_data.pdf(x0)), float(p_g.pdf(x0))
d_formula = float(gan.optimal_discriminator(a, b))
res = scipy.optimize.minimize_scalar(lambda y: -(a * math.log(y) + b * math.log1p(-y)),
                                     bounds=(0, 1), method="bounded", options={"xatol": 1e-12})
publish("gan.dstar.x0", x0)
publish("gan.dstar.formula", d_formula)
publish("gan.dstar.optimize", float(res.x))
publish("gan.dstar.gap", abs(d_formula - float(res.x)))
claim(abs(d_formula - float(res.x)) < 1e-6, "the numerical maximiser agrees with D* within its tolerance")

# C(G) and JSD by quadrature for several pairs of densities on the real line.
mix_kw = {"points": [-1.5, 1.0], "lower": -40.0, "upper": 40.0}
pairs = [
    ("N(0, 1)", "N(1, 2²)", scipy.stats.norm(0, 1).pdf, scipy.stats.norm(1, 2).pdf, {}, "normals"),
    ("N(0, 1)", "U(−1, 1)", scipy.stats.norm(0, 1).pdf, scipy.stats.uniform(-1, 2).pdf,
     {"points": [-1.0, 1.0], "lower": -40.0, "upper": 40.0}, "uniform"),
    ("mixture", "N(0, 1.5²)", p_data.pdf, p_g.pdf, mix_kw, "mixture"),
    ("Laplace(0.5, 1)", "Logistic(0, 0.7)", scipy.stats.laplace(0.5, 1).pdf,
     scipy.stats.logistic(0, 0.7).pdf, {"points": [0.5], "lower": -80.0, "upper": 80.0}, "laplace"),
    ("N(0, 1)", "N(0, 1)", scipy.stats.norm(0, 1).pdf, scipy.stats.norm(0, 1).pdf, {}, "equal"),
    ("U(0, 1)", "U(2, 3)", scipy.stats.uniform(0, 1).pdf, scipy.stats.uniform(2, 1).pdf,
     {"points": [0.0, 1.0, 2.0, 3.0], "lower": -5.0, "upper": 8.0}, "disjoint"),
]
rows = []
max_gap = 0.0
for name_p, name_q, p, q, kw, key in pairs:
    c = gan.optimal_value(p, q, **kw)
    jsd = gan.jensen_shannon_quad(p, q, **kw)
    jsd_bits = gan.jensen_shannon_quad(p, q, base=2, **kw)
    identity = -LOG4 + 2 * jsd
    max_gap = max(max_gap, abs(c - identity))
    publish(f"gan.cg.{key}.c", c, unit="nats")
    publish(f"gan.cg.{key}.jsd", jsd, unit="nats")
    publish(f"gan.cg.{key}.jsd_bits", jsd_bits, unit="bits")
    rows.append([name_p, name_q, c, identity, f"{c - identity:.1e}", jsd, jsd_bits])
table(["p_data", "p_g", "V(D*, G) (nats)", "−log 4 + 2 JSD (nats)", "difference (nats)",
       "JSD (nats)", "JSD (bits)"], rows, fmt=".10f")
publish("gan.cg.max_gap", max_gap, unit="nats")
claim(max_gap < 1e-8, "both sides of C(G) = -log 4 + 2 JSD agree to rounding on all six pairs")
publish("gan.log4", LOG4, unit="nats")

# Figure: the two densities and the optimal discriminator between them.
x = np.linspace(-5, 5, 801)
fig, (ax_top, ax_bottom) = subplots(2, 1, sharex=True, figsize=(6.4, 4.6))
ax_top.plot(x, p_data.pdf(x), label=r"$p_{\mathrm{data}}$ (mixture)")
ax_top.plot(x, p_g.pdf(x), label=r"$p_g$ = N$(0, 1.5^2)$")
ax_top.set_ylabel("density")
ax_top.legend(loc="upper right")
ax_bottom.plot(x, gan.optimal_discriminator(p_data.pdf(x), p_g.pdf(x)), color="C2",
               label=r"$D^*_G = p_{\mathrm{data}} / (p_{\mathrm{data}} + p_g)$")
ax_bottom.axhline(0.5, color="C3", linestyle="--", linewidth=1, label=r"$1/2$ (where $p_{\mathrm{data}} = p_g$)")
ax_bottom.plot([x0], [d_formula], "o", color="C2")
ax_bottom.set_ylim(0, 1)
ax_bottom.set_xlabel("x")
ax_bottom.set_ylabel(r"$D^*_G(x)$")
ax_bottom.legend(loc="upper right")
figure(fig, "gan.dstar", alt="Top: a two-bump mixture density and a broad normal density. Bottom: "
       "the optimal discriminator, close to 1 where the mixture dominates, close to 0 in the tails "
       "where the broad normal dominates, and crossing 1/2 where the densities are equal.")
