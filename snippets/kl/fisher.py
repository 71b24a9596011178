"""KL(p_theta || p_{theta + delta}) against its quadratic form 1/2 delta^T I(theta) delta: a Bernoulli
coin and the Gaussian family N(mu, sigma^2) with the Fisher matrix from autograd and Gauss-Hermite."""

import math

import numpy as np
import torch

import genmath
from genmath.figures import subplots
from genmath.snippet import figure, publish, table

torch.set_num_threads(1)

# Bernoulli(theta): I(theta) = 1 / (theta (1 - theta))
theta = publish("kl.fisher.theta", 0.3)
fisher_b = publish("kl.fisher.bernoulli_info", genmath.fisher_information_bernoulli(theta))


def kl_bernoulli(t, s):
    t = np.broadcast_to(t, np.shape(s))
    return genmath.kl_divergence(np.stack([1 - t, t], axis=-1), np.stack([1 - s, s], axis=-1))


# The Gaussian family in theta = (mu, sigma) at (0, 1): Fisher matrix E[s s^T] of the score s = grad log p,
# the score by autograd, the expectation by a Gauss-Hermite rule (exact: s s^T is a polynomial in x)
nodes, weights = np.polynomial.hermite_e.hermegauss(30)
weights = weights / math.sqrt(2 * math.pi)
params = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
fisher_g = np.zeros((2, 2))
for x, w in zip(nodes, weights):
    log_p = torch.distributions.Normal(params[0], params[1]).log_prob(torch.tensor(float(x), dtype=torch.float64))
    (score,) = torch.autograd.grad(log_p, params)
    fisher_g += w * np.outer(score.numpy(), score.numpy())
publish("kl.fisher.gauss_mu_mu", fisher_g[0, 0])
publish("kl.fisher.gauss_sigma_sigma", fisher_g[1, 1])
publish("kl.fisher.gauss_mu_sigma", fisher_g[0, 1])
assert np.allclose(fisher_g, np.diag([1.0, 2.0]), atol=1e-12)

direction = np.array([1.0, 1.0]) / math.sqrt(2)
rows = []
for size in (0.1, 0.01, 0.001):
    exact_b = kl_bernoulli(theta, theta + size)
    approx_b = genmath.kl_fisher_quadratic(fisher_b, size)
    d = size * direction
    exact_g = genmath.kl_normal(0.0, 1.0, d[0], 1.0 + d[1])
    approx_g = genmath.kl_fisher_quadratic(fisher_g, d)
    rows.append([f"{size:g}", exact_b, approx_b, exact_b / approx_b, exact_g, approx_g, exact_g / approx_g])
    tag = f"{size:g}".replace("0.", "")
    publish(f"kl.fisher.bernoulli_ratio_{tag}", exact_b / approx_b)
    publish(f"kl.fisher.gauss_ratio_{tag}", exact_g / approx_g)
    assert abs(exact_b / approx_b - 1) < 5 * size and abs(exact_g / approx_g - 1) < 5 * size
table(["$|\\delta|$", "Bernoulli: exact KL (nats)", "$\\frac12 I \\delta^2$ (nats)", "ratio",
       "Gaussian: exact KL (nats)", "$\\frac12 \\delta^\\top I \\delta$ (nats)", "ratio"], rows, fmt=".6g")

deltas = np.linspace(-0.25, 0.25, 201)
exact = kl_bernoulli(theta, theta + deltas)
approx = genmath.kl_fisher_quadratic(fisher_b, deltas[:, None])
exact_plus = publish("kl.fisher.exact_plus", kl_bernoulli(theta, theta + 0.25), unit="nats")
exact_minus = publish("kl.fisher.exact_minus", kl_bernoulli(theta, theta - 0.25), unit="nats")
assert exact_plus < genmath.kl_fisher_quadratic(fisher_b, 0.25) < exact_minus, "asymmetric beyond second order"
publish("kl.fisher.approx_quarter", genmath.kl_fisher_quadratic(fisher_b, 0.25), unit="nats")
publish("kl.fisher.delta_max", 0.25)
publish("kl.fisher.delta_min", -0.25)
fig, ax = subplots(figsize=(4.8, 3.2))
ax.plot(deltas, exact, label=r"$\mathrm{KL}(p_\theta \,\|\, p_{\theta + \delta})$")
ax.plot(deltas, approx, "--", label=r"$\frac{1}{2} I(\theta)\, \delta^2$")
ax.set_xlabel(r"$\delta$")
ax.set_ylabel("nats")
ax.legend(loc="upper center")
figure(fig, "kl.fisher.bernoulli",
       alt="For a coin with theta = {{ kl.fisher.theta }}, the exact KL divergence to the coin theta + delta and the "
           "parabola 1/2 I(theta) delta^2 with I = {{ kl.fisher.bernoulli_info:.3f }}, for delta from "
           "{{ kl.fisher.delta_min }} to {{ kl.fisher.delta_max }}. They agree near delta = 0; at delta = "
           "{{ kl.fisher.delta_min }} the exact KL is {{ kl.fisher.exact_minus:.3f }} nats and at delta = "
           "{{ kl.fisher.delta_max }} it is {{ kl.fisher.exact_plus:.3f }} nats, while the parabola gives "
           "{{ kl.fisher.approx_quarter:.3f }} nats at both.",
       caption="Near δ = 0 the KL divergence within a family is a quadratic form with the Fisher information "
               "as its matrix; farther away the cubic term makes it asymmetric.")
