"""KL (both directions), Jensen-Shannon, total variation and Wasserstein-1 on the same pairs."""

import numpy as np
import scipy.stats

import genmath
from genmath.snippet import publish, table

support = np.arange(10)  # outcomes 0, 1, ..., 9 on the real line


def binomial(prob):
    return scipy.stats.binom(9, prob).pmf(support)


def uniform_on(lo, hi):
    mass = ((support >= lo) & (support <= hi)).astype(float)
    return mass / mass.sum()


def point_mass(at):
    return (support == at).astype(float)


pairs = [
    ("close", "Bin(9, 0.4) vs Bin(9, 0.5)", binomial(0.4), binomial(0.5)),
    ("far", "Bin(9, 0.2) vs Bin(9, 0.7)", binomial(0.2), binomial(0.7)),
    ("nested", "U{0..4} vs U{0..9}", uniform_on(0, 4), uniform_on(0, 9)),
    ("adjacent", r"$\delta_0$ vs $\delta_1$", point_mass(0), point_mass(1)),
    ("distant", r"$\delta_0$ vs $\delta_9$", point_mass(0), point_mass(9)),
]
rows = []
for key, label, p, q in pairs:
    p, q = p / p.sum(), q / q.sum()  # exact normalisation after the pmf round-off
    values = {
        "kl_pq": genmath.kl_divergence(p, q),
        "kl_qp": genmath.kl_divergence(q, p),
        "jsd": genmath.jensen_shannon(p, q),
        "jsd_bits": genmath.jensen_shannon(p, q, base=2),
        "tv": genmath.total_variation(p, q),
        "w1": scipy.stats.wasserstein_distance(support, support, p, q),
    }
    units = {"kl_pq": "nats", "kl_qp": "nats", "jsd": "nats", "jsd_bits": "bits", "tv": None, "w1": None}
    for name, value in values.items():
        publish(f"kl.cmp.{key}.{name}", value, unit=units[name])
    rows.append([label, *values.values()])
table(["$p$ vs $q$", r"$\mathrm{KL}(p\,\|\,q)$ (nats)", r"$\mathrm{KL}(q\,\|\,p)$ (nats)", "JSD (nats)", "JSD (bits)",
       "TV (probability)", "$W_1$ (units of $x$)"], rows, fmt=".4f")
publish("kl.cmp.log2", float(np.log(2.0)), unit="nats")
