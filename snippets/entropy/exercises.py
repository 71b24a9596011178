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
