"""Answers to the exercises of the KL chapter."""

import numpy as np

import genmath
from genmath.snippet import publish

# 1. Bernoulli(1/2) and Bernoulli(0.9), both directions, in bits
p, q = np.array([0.5, 0.5]), np.array([0.9, 0.1])
publish("kl.ex1.pq_bits", genmath.kl_divergence(p, q, base=2), unit="bits")
publish("kl.ex1.qp_bits", genmath.kl_divergence(q, p, base=2), unit="bits")

# 2. N(0, 1) against N(1, 1): (mu_1 - mu_2)^2 / (2 sigma^2) nats
kl2 = genmath.kl_normal(0.0, 1.0, 1.0, 1.0)
publish("kl.ex2.nats", kl2, unit="nats")
publish("kl.ex2.bits", kl2 / np.log(2.0), unit="bits")

# 3. The VAE term for mu = (1, 0), log sigma^2 = (0, -2)
publish("kl.ex3.nats", genmath.kl_standard_normal([1.0, 0.0], [0.0, -2.0]), unit="nats")
publish("kl.ex3.dim2", genmath.kl_standard_normal([0.0], [-2.0]), unit="nats")

# 4. Pinsker's inequality TV <= sqrt(KL / 2) (KL in nats) for Bernoulli(1/2) vs Bernoulli(0.9)
kl4 = genmath.kl_divergence(p, q)
publish("kl.ex4.tv", genmath.total_variation(p, q))
publish("kl.ex4.bound", float(np.sqrt(kl4 / 2)))

# 5. Independent coordinates: KL of the product is the sum of the KLs
mu_p, var_p = np.array([0.0, 0.0]), np.array([1.0, 1.0])
mu_q, var_q = np.array([1.0, 0.0]), np.array([1.0, 4.0])
per_coordinate = genmath.kl_normal(mu_p, np.sqrt(var_p), mu_q, np.sqrt(var_q))
publish("kl.ex5.first", per_coordinate[0], unit="nats")
publish("kl.ex5.second", per_coordinate[1], unit="nats")
publish("kl.ex5.joint", genmath.kl_mvn(mu_p, np.diag(var_p), mu_q, np.diag(var_q)), unit="nats")

# 6. The coins of exercise 1: chi^2(p || q) as an f-divergence, and the DV bound of a shifted log-ratio critic
publish("kl.ex6.chi2", genmath.f_divergence(p, q, "chi2"))
critic = np.log(p / q) + 5.0
publish("kl.ex6.dv", genmath.donsker_varadhan_bound(critic, critic, weights_p=p, weights_q=q), unit="nats")
publish("kl.ex6.kl", genmath.kl_divergence(p, q), unit="nats")
publish("kl.ex6.nwj", genmath.f_variational_bound(critic, critic, "kl", weights_p=p, weights_q=q), unit="nats")
