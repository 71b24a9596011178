"""Answers to the exercises of the entropy chapter."""

import math

import numpy as np
import scipy.optimize
import scipy.stats

import genmath
from genmath.snippet import publish

# 1. A fair eight-sided die
d8 = np.full(8, 1 / 8)
publish("entropy.ex1.bits", genmath.entropy(d8, base=2), unit="bits")
publish("entropy.ex1.nats", genmath.entropy(d8), unit="nats")

# 2. Uniform on [0, a]: h = log a (nats); a = 0.5. Cross-check with scipy's differential entropy.
a = 0.5
h_uniform = scipy.stats.uniform(0.0, a).entropy()
publish("entropy.ex2.a", a)
publish("entropy.ex2.nats", h_uniform, unit="nats")
publish("entropy.ex2.bits", h_uniform / math.log(2.0), unit="bits")

# 3. p = (0.7, 0.2, 0.1), q uniform on three outcomes
p = np.array([0.7, 0.2, 0.1])
q = np.full(3, 1 / 3)
publish("entropy.ex3.h_bits", genmath.entropy(p, base=2), unit="bits")
publish("entropy.ex3.ce_bits", genmath.cross_entropy(p, q, base=2), unit="bits")
publish("entropy.ex3.kl_bits", genmath.kl_divergence(p, q, base=2), unit="bits")

# 4. Logits (1, 2, 3), label 0; and the same logits shifted by a constant
z = np.array([1.0, 2.0, 3.0])
publish("entropy.ex4.ce", genmath.softmax_cross_entropy(z, 0), unit="nats")
publish("entropy.ex4.ce_shifted", genmath.softmax_cross_entropy(z + 100.0, 0), unit="nats")

# 5. The coin bias whose entropy is half a bit (root in (0, 1/2))
p_half = scipy.optimize.brentq(lambda t: genmath.binary_entropy(t, base=2) - 0.5, 1e-9, 0.5, xtol=1e-14)
publish("entropy.ex5.p", p_half)

# 6. A binary symmetric channel that flips with probability 1/2, fed a fair bit
channel = np.array([[0.5, 0.5], [0.5, 0.5]])
publish("entropy.ex6.mi_bits", genmath.mutual_information(0.5 * channel, base=2), unit="bits")
# ... and one that flips with probability 0.2, then the same channel again (X -> Y -> Z)
k = np.array([[0.8, 0.2], [0.2, 0.8]])
publish("entropy.ex6.mi_xy_bits", genmath.mutual_information(0.5 * k, base=2), unit="bits")
publish("entropy.ex6.mi_xz_bits", genmath.mutual_information(0.5 * (k @ k), base=2), unit="bits")

# 7. Perplexity of a fair coin, and of the model Bernoulli(0.9) on fair-coin data
fair = np.array([0.5, 0.5])
publish("entropy.ex7.ppl_fair", genmath.perplexity(fair))
ppl_model = publish("entropy.ex7.ppl_model", genmath.perplexity(fair, np.array([0.1, 0.9])))
assert abs(ppl_model - 1 / math.sqrt(0.1 * 0.9)) < 1e-12
