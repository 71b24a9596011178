"""Absolute continuity: uniform densities with nested supports, and a distribution on a line in the plane."""

import math

import numpy as np
import scipy.stats

import genmath
from genmath.snippet import publish, table

# p = U[0, 1] is absolutely continuous with respect to q = U[0, 2], not the other way round
p, q = scipy.stats.uniform(0, 1), scipy.stats.uniform(0, 2)
pq = publish("kl.general.uniform_pq", genmath.kl_continuous(p.logpdf, q.logpdf, lower=0.0, upper=2.0,
                                                             points=[1.0]), unit="nats")
qp = publish("kl.general.uniform_qp", genmath.kl_continuous(q.logpdf, p.logpdf, lower=0.0, upper=2.0,
                                                             points=[1.0]), unit="nats")
assert abs(pq - math.log(2)) < 1e-10 and math.isinf(qp)

# P_eps = N(0, diag(1, eps^2)) in the plane: as eps -> 0 its mass concentrates on the line y = 0, a set
# that Q = N(0, I) gives probability 0. Both KL divergences grow without bound.
rows = []
for eps in (0.1, 0.01, 0.001):
    cov = np.diag([1.0, eps**2])
    forward = genmath.kl_mvn(np.zeros(2), cov, np.zeros(2), np.eye(2))
    reverse = genmath.kl_mvn(np.zeros(2), np.eye(2), np.zeros(2), cov)
    rows.append([f"{eps:g}", forward, reverse])
    tag = f"{eps:g}".replace("0.", "")
    publish(f"kl.general.line_forward_{tag}", forward, unit="nats")
    publish(f"kl.general.line_reverse_{tag}", reverse, unit="nats")
    assert abs(forward - 0.5 * (eps**2 - 1 - math.log(eps**2))) < 1e-9
    assert eps > 0.05 or abs(2 * eps**2 * reverse - 1) < 0.01, "KL(Q || P_eps) grows like 1 / (2 eps^2)"
table(["$\\epsilon$", "$\\mathrm{KL}(P_\\epsilon \\,\\|\\, Q)$ (nats)", "$\\mathrm{KL}(Q \\,\\|\\, P_\\epsilon)$ (nats)"], rows, fmt=".4f")
