"""From a stack of Euler steps to a continuous flow: the log-determinant of each step against the trace of
the vector field's Jacobian, and Hutchinson's stochastic trace (FFJORD)."""

import math

import numpy as np

from genmath.flows import hutchinson_trace
from genmath.snippet import claim, pm, publish, table

rng = np.random.default_rng(0)
dim = publish("flows.cnf.dim", 2)
A, B, c = rng.normal(size=(dim, dim)), rng.normal(size=(dim, dim)), rng.normal(size=dim)


def field(x):
    """v(x) = A tanh(B x + c), a small smooth vector field on R^2."""
    return A @ np.tanh(B @ x + c)


def jacobian(x):
    return A @ np.diag(1.0 - np.tanh(B @ x + c) ** 2) @ B


x0 = np.array([0.5, -0.3])
rows, gaps = [], {}
for steps in (4, 16, 64, 256):
    h, x = 1.0 / steps, x0.copy()
    log_det_steps, trace_integral = 0.0, 0.0
    for _ in range(steps):  # x <- x + h v(x), the Euler step, whose Jacobian is I + h dv/dx
        J = jacobian(x)
        log_det_steps += np.linalg.slogdet(np.eye(dim) + h * J)[1]
        trace_integral += h * np.trace(J)
        x = x + h * field(x)
    gaps[steps] = abs(log_det_steps - trace_integral)
    publish(f"flows.cnf.k{steps}.log_det", log_det_steps, unit="nats")
    publish(f"flows.cnf.k{steps}.trace", trace_integral, unit="nats")
    publish(f"flows.cnf.k{steps}.gap", gaps[steps], unit="nats")
    rows.append([steps, log_det_steps, trace_integral, gaps[steps]])
table(["steps $K$", "$\\sum_k \\log|\\det(I + hJ_k)|$ (nats)", "$h\\sum_k \\operatorname{tr} J_k$ (nats)", "gap (nats)"],
      rows, fmt=[".0f", ".6f", ".6f", ".2e"],
      caption="$K$ Euler steps of $h = 1/K$ along $v(x) = A\\tanh(Bx + c)$ from one point: the exact log-determinant of "
              "the composed steps against the trace sum")
order = publish("flows.cnf.order", math.log(gaps[64] / gaps[256]) / math.log(4))
claim(0.8 < order < 1.2, "the gap between the two shrinks like 1/K")

# Hutchinson's estimator on a 16-dimensional Jacobian
big = publish("flows.cnf.hutch_dim", 16)
M = rng.normal(size=(big, big)) / math.sqrt(big) + np.eye(big)
probes = publish("flows.cnf.probes", 1000)
sym = (M + M.T) / 2
publish("flows.cnf.trace_exact", float(np.trace(M)))
rows = []
for noise in ("gaussian", "rademacher"):
    est, se = hutchinson_trace(M, probes, noise=noise, seed=1)
    # one probe's exact variance: (1/2) tr((M + M^T)^2) for Gaussian probes; minus 2 sum S_ii^2 for +-1
    var = 2 * np.trace(sym @ sym) - (2 * np.sum(np.diag(sym) ** 2) if noise == "rademacher" else 0.0)
    publish(f"flows.cnf.{noise}.estimate", est, se=se)
    publish(f"flows.cnf.{noise}.probe_sd", math.sqrt(var))
    claim(abs(est - np.trace(M)) < 4 * se, f"the {noise} estimate is within 4 standard errors of the trace")
    rows.append([noise, pm(est, se), math.sqrt(var)])
table(["probes $\\epsilon$", f"estimate from {probes} probes", "sd of one probe (exact)"], rows, fmt=["", "", ".3f"],
      caption="Hutchinson's estimate of $\\operatorname{tr} M$ for a $16 \\times 16$ matrix")
