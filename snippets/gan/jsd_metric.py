"""JSD is bounded by log 2 nats = 1 bit, and it is not a metric: a triangle-inequality violation
that its square root repairs (Endres & Schindelin 2003)."""
import math

import numpy as np

from genmath import jensen_shannon
from genmath.snippet import claim, publish, table

# Two point masses P, Q and their half-half mixture R, as distributions on {a, b}.
P = np.array([1.0, 0.0])
Q = np.array([0.0, 1.0])
R = np.array([0.5, 0.5])

jsd_pq = float(jensen_shannon(P, Q))
jsd_pr = float(jensen_shannon(P, R))
jsd_rq = float(jensen_shannon(R, Q))
publish("gan.metric.jsd_pq", jsd_pq, unit="nats")
publish("gan.metric.jsd_pq_bits", float(jensen_shannon(P, Q, base=2)), unit="bits")
publish("gan.metric.jsd_pr", jsd_pr, unit="nats")
publish("gan.metric.jsd_rq", jsd_rq, unit="nats")
publish("gan.metric.jsd_sum", jsd_pr + jsd_rq, unit="nats")
publish("gan.metric.violation", jsd_pq - (jsd_pr + jsd_rq), unit="nats")

# The same triple under the square root (units: square roots of nats).
root_pq, root_pr, root_rq = math.sqrt(jsd_pq), math.sqrt(jsd_pr), math.sqrt(jsd_rq)
publish("gan.metric.root_pq", root_pq)
publish("gan.metric.root_pr", root_pr)
publish("gan.metric.root_rq", root_rq)
publish("gan.metric.root_sum", root_pr + root_rq)
publish("gan.metric.root_slack", root_pr + root_rq - root_pq)
table(["pair", "JSD (nats)", "JSD (bits)", "√JSD (√nats)"],
      [["P, Q", jsd_pq, float(jensen_shannon(P, Q, base=2)), root_pq],
       ["P, R", jsd_pr, float(jensen_shannon(P, R, base=2)), root_pr],
       ["R, Q", jsd_rq, float(jensen_shannon(R, Q, base=2)), root_rq]], fmt=".6f")

# How often does JSD itself violate the triangle inequality on random triples of distributions
# on 3 points? (sqrt(JSD) never does.)
rng = np.random.default_rng(0)
n_triples = 2000
triples = rng.dirichlet(np.full(3, 0.5), size=(n_triples, 3))
A, B, C = triples[:, 0], triples[:, 1], triples[:, 2]
d_ab, d_ac, d_bc = jensen_shannon(A, B), jensen_shannon(A, C), jensen_shannon(B, C)


def breaks_triangle(ab, ac, bc):
    """Does a triple of distances violate ANY of its three triangle inequalities?"""
    tol = 1e-12
    return (ab > ac + bc + tol) | (ac > ab + bc + tol) | (bc > ab + ac + tol)


publish("gan.metric.n_triples", n_triples)
publish("gan.metric.jsd_violations", int(np.sum(breaks_triangle(d_ab, d_ac, d_bc))))
root_violations = publish("gan.metric.root_violations",
                          int(np.sum(breaks_triangle(np.sqrt(d_ab), np.sqrt(d_ac), np.sqrt(d_bc)))))
claim(root_violations == 0, "the square root of the JSD never breaks the triangle inequality")
