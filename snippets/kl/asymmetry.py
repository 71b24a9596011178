"""KL between Gaussians: asymmetric for unequal variances, symmetric for equal ones."""

import numpy as np
import scipy.stats

import genmath
from genmath.figures import subplots
from genmath.snippet import figure, publish, table

# Unequal variances: p = N(0, 1), q = N(0, 3^2)
mu_p, sigma_p, mu_q, sigma_q = 0.0, 1.0, 0.0, 3.0
publish("kl.asym.sigma_q", sigma_q)
forward = publish("kl.asym.pq", genmath.kl_normal(mu_p, sigma_p, mu_q, sigma_q), unit="nats")
reverse = publish("kl.asym.qp", genmath.kl_normal(mu_q, sigma_q, mu_p, sigma_p), unit="nats")
p, q = scipy.stats.norm(mu_p, sigma_p), scipy.stats.norm(mu_q, sigma_q)
publish("kl.asym.pq_quad", genmath.kl_continuous(p.logpdf, q.logpdf), unit="nats")
publish("kl.asym.qp_quad", genmath.kl_continuous(q.logpdf, p.logpdf), unit="nats")
publish("kl.asym.ratio", reverse / forward)

# Equal variances: N(0, 1.5^2) and N(2, 1.5^2), both directions equal (mu_1 - mu_2)^2 / (2 sigma^2)
mu_1, mu_2, sigma = 0.0, 2.0, 1.5
publish("kl.sym.mu_2", mu_2)
publish("kl.sym.sigma", sigma)
sym_12 = publish("kl.sym.pq", genmath.kl_normal(mu_1, sigma, mu_2, sigma), unit="nats")
sym_21 = publish("kl.sym.qp", genmath.kl_normal(mu_2, sigma, mu_1, sigma), unit="nats")
publish("kl.sym.formula", (mu_1 - mu_2) ** 2 / (2 * sigma**2), unit="nats")

table(["pair", "KL(p || q) (nats)", "KL(q || p) (nats)"],
      [["p = N(0, 1), q = N(0, 3^2)", forward, reverse],
       ["p = N(0, 1.5^2), q = N(2, 1.5^2)", sym_12, sym_21]], fmt=".6f")

# Figure: the densities and the pointwise integrands of both directions
x = np.linspace(-9, 9, 721)
fig, (ax1, ax2) = subplots(1, 2, figsize=(7.2, 3.2), sharex=True)
ax1.plot(x, p.pdf(x), label="p = N(0, 1)")
ax1.plot(x, q.pdf(x), label="q = N(0, 3²)")
ax1.set_xlabel("$x$")
ax1.set_ylabel("density")
ax1.legend(loc="upper left", fontsize=8)
ax2.plot(x, p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), label=r"$p \log(p/q)$")
ax2.plot(x, q.pdf(x) * (q.logpdf(x) - p.logpdf(x)), label=r"$q \log(q/p)$")
ax2.axhline(0.0, linewidth=0.8, color="C7")
ax2.set_xlabel("$x$")
ax2.set_ylabel("integrand (nats per unit $x$)")
ax2.legend(loc="upper left", fontsize=8)
figure(fig, "kl.asym.integrands",
       alt="Left: a narrow standard normal p and a wide normal q with standard deviation "
           "{{ kl.asym.sigma_q:g }}. Right: "
           "the integrand p log(p/q) is a small bump near zero, while q log(q/p) is negative near "
           "zero and has large positive lobes in the tails where q has mass and p has almost none.",
       caption="Unequal variances. Integrating the right panel gives KL(p || q) = {{ kl.asym.pq:.3f }} nats "
               "(blue) and KL(q || p) = {{ kl.asym.qp:.3f }} nats (orange): q is penalised for putting mass "
               "where p has little.")
