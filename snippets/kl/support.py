"""Discrete KL divergence, Gibbs' inequality, and what happens when supports do not match."""

import numpy as np

import genmath
from genmath.snippet import publish, table

# p puts no mass on the third outcome; q covers all three
p = np.array([0.5, 0.5, 0.0])
q = np.array([0.25, 0.25, 0.5])
publish("kl.support.pq", genmath.kl_divergence(p, q), unit="nats")       # finite: supp p inside supp q
publish("kl.support.pq_bits", genmath.kl_divergence(p, q, base=2), unit="bits")
publish("kl.support.qp", genmath.kl_divergence(q, p), unit="nats")       # infinite: q(3) > 0 = p(3)
publish("kl.support.jsd", genmath.jensen_shannon(p, q), unit="nats")      # always finite

# Gibbs' inequality term by term: the Jensen step for a random pair
rng = np.random.default_rng(0)
p2 = rng.dirichlet(np.ones(5))
q2 = rng.dirichlet(np.ones(5))
neg_kl = -genmath.kl_divergence(p2, q2)                  # E_p[log(q/p)]
jensen_bound = np.log(np.sum(p2 * (q2 / p2)))          # log E_p[q/p] = log sum q = 0
table(["pair", "p", "q", "KL(p || q) (nats)", "KL(q || p) (nats)"],
      [["supports differ", np.array2string(p, precision=3), np.array2string(q, precision=3),
        genmath.kl_divergence(p, q), genmath.kl_divergence(q, p)],
       ["random (Gibbs)", np.array2string(p2, precision=3), np.array2string(q2, precision=3),
        genmath.kl_divergence(p2, q2), genmath.kl_divergence(q2, p2)]])
publish("kl.gibbs.neg_kl", neg_kl, unit="nats")
publish("kl.gibbs.jensen_bound", jensen_bound, unit="nats")
publish("kl.gibbs.kl", genmath.kl_divergence(p2, q2), unit="nats")

# JSD is not a metric: point masses delta_0, delta_1 and their even mixture r on {0, 1}
delta_0, delta_1, r = np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([0.5, 0.5])
publish("kl.triangle.direct", genmath.jensen_shannon(delta_0, delta_1), unit="nats")
publish("kl.triangle.via_r", genmath.jensen_shannon(delta_0, r) + genmath.jensen_shannon(r, delta_1),
        unit="nats")
publish("kl.triangle.sqrt_direct", np.sqrt(genmath.jensen_shannon(delta_0, delta_1)))
publish("kl.triangle.sqrt_via_r",
        np.sqrt(genmath.jensen_shannon(delta_0, r)) + np.sqrt(genmath.jensen_shannon(r, delta_1)))
