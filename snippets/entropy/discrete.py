"""Surprisal and entropy of small discrete distributions, in bits and in nats."""

import math

import numpy as np

import genmath
from genmath.snippet import publish, table

# A source with four symbols (the classic dyadic example: every surprisal is a whole number of bits)
p = np.array([1 / 2, 1 / 4, 1 / 8, 1 / 8])
surprisal_bits = -np.log2(p)
surprisal_nats = -np.log(p)
table(["outcome", "$p(x)$", "surprisal (bits)", "surprisal (nats)"],
      [[f"$x_{i + 1}$", p[i], surprisal_bits[i], surprisal_nats[i]] for i in range(4)],
      fmt=".4g")

publish("entropy.discrete.h_bits", genmath.entropy(p, base=2), unit="bits")
publish("entropy.discrete.h_nats", genmath.entropy(p), unit="nats")
publish("entropy.discrete.max_bits", math.log2(4), unit="bits")  # uniform on 4 symbols

# A fair die and a loaded die
fair = np.full(6, 1 / 6)
loaded = np.array([0.5, 0.1, 0.1, 0.1, 0.1, 0.1])
publish("entropy.die.fair_bits", genmath.entropy(fair, base=2), unit="bits")
publish("entropy.die.fair_nats", genmath.entropy(fair), unit="nats")
publish("entropy.die.loaded_bits", genmath.entropy(loaded, base=2), unit="bits")
publish("entropy.die.loaded_nats", genmath.entropy(loaded), unit="nats")
publish("entropy.die.six_surprisal_bits", -math.log2(1 / 6), unit="bits")
