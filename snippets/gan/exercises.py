"""Computed answers to the exercises of the GAN chapter."""
import math

import numpy as np
import scipy.special
import scipy.stats

from genmath import gan, jensen_shannon
from genmath.snippet import publish

LOG4 = math.log(4)

# Exercise 1: two coins. p_data = (0.9, 0.1), p_g = (0.1, 0.9) on {heads, tails}.
p_data = np.array([0.9, 0.1])
p_g = np.array([0.1, 0.9])
d_star = gan.optimal_discriminator(p_data, p_g)
c = float(np.sum(p_data * np.log(d_star) + p_g * np.log1p(-d_star)))  # V(D*, G) as a sum
jsd = float(jensen_shannon(p_data, p_g))
publish("gan.ex1.d_heads", float(d_star[0]))
publish("gan.ex1.d_tails", float(d_star[1]))
publish("gan.ex1.c", c, unit="nats")
publish("gan.ex1.jsd", jsd, unit="nats")
publish("gan.ex1.jsd_bits", float(jensen_shannon(p_data, p_g, base=2)), unit="bits")
publish("gan.ex1.identity_gap", abs(c - (-LOG4 + 2 * jsd)), unit="nats")

# Exercise 2: the JSD lower bound implied by a summed binary cross-entropy L_D = -V.
for key, loss in (("a", 1.2), ("b", 1.5)):
    publish(f"gan.ex2.loss_{key}", loss, unit="nats")
    publish(f"gan.ex2.jsd_{key}", float(gan.jensen_shannon_from_value(-loss)), unit="nats")
    publish(f"gan.ex2.jsd_{key}_bits", float(gan.jensen_shannon_from_value(-loss, base=2)), unit="bits")

# Exercise 3: p_data = N(0, 1), p_g = N(mu, 1): D* is a logistic regression in x.
mu = 1.0
publish("gan.ex3.mu", mu)
p0, p1 = scipy.stats.norm(0, 1), scipy.stats.norm(mu, 1)
publish("gan.ex3.d_at_0", float(gan.optimal_discriminator(p0.pdf(0.0), p1.pdf(0.0))))
publish("gan.ex3.sigmoid_half", float(scipy.special.expit(mu**2 / 2)))
x = np.linspace(-3, 3, 13)
logit_gap = np.max(np.abs(gan.optimal_discriminator_logit(p0.pdf(x), p1.pdf(x)) - (mu**2 / 2 - mu * x)))
publish("gan.ex3.logit_max_error", float(logit_gap))
publish("gan.ex3.jsd", gan.jensen_shannon_quad(p0.pdf, p1.pdf), unit="nats")

# Exercise 4: mode dropping. Three equally weighted, well-separated modes; the generator puts
# half its mass on each of two of them and none on the third.
P = np.full(3, 1 / 3)
Q = np.array([0.5, 0.5, 0.0])
publish("gan.ex4.jsd", float(jensen_shannon(P, Q)), unit="nats")
publish("gan.ex4.jsd_bits", float(jensen_shannon(P, Q, base=2)), unit="bits")
data = gan.gaussian_mixture_1d(P, [-10.0, 0.0, 10.0], [0.5, 0.5, 0.5])
model = gan.gaussian_mixture_1d([0.5, 0.5], [-10.0, 0.0], [0.5, 0.5])
jsd_quad = gan.jensen_shannon_quad(data.pdf, model.pdf, lower=-20, upper=20, points=[-10, -5, 0, 5, 10])
publish("gan.ex4.jsd_quad", jsd_quad, unit="nats")
publish("gan.ex4.quad_gap", abs(jsd_quad - float(jensen_shannon(P, Q))), unit="nats")
