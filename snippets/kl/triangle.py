"""KL violates the triangle inequality: three Gaussians on a line, and three coins."""

import math

import numpy as np

import genmath
from genmath.snippet import publish

# p = N(0, 1), q = N(1, 1), r = N(2, 1): KL grows like the squared distance between the means
direct = publish("kl.triangle_kl.direct", genmath.kl_normal(0, 1, 2, 1), unit="nats")
via_q = publish("kl.triangle_kl.via_q", genmath.kl_normal(0, 1, 1, 1) + genmath.kl_normal(1, 1, 2, 1), unit="nats")
assert direct > via_q
# the square root of this KL is |mu_1 - mu_2| / sqrt(2), a metric along this line: the detour is as long
publish("kl.triangle_kl.sqrt_direct", math.sqrt(direct))
publish("kl.triangle_kl.sqrt_via_q",
        math.sqrt(genmath.kl_normal(0, 1, 1, 1)) + math.sqrt(genmath.kl_normal(1, 1, 2, 1)))

# Three coins: Bernoulli(0.1), Bernoulli(0.5), Bernoulli(0.9)
coins = {name: np.array([1 - h, h]) for name, h in (("a", 0.1), ("b", 0.5), ("c", 0.9))}
d_ac = publish("kl.triangle_kl.coins_direct", genmath.kl_divergence(coins["a"], coins["c"]), unit="nats")
d_abc = publish("kl.triangle_kl.coins_via",
                genmath.kl_divergence(coins["a"], coins["b"]) + genmath.kl_divergence(coins["b"], coins["c"]),
                unit="nats")
assert d_ac > d_abc
