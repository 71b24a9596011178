"""Binary entropy H_b(p) of a coin with P(heads) = p, in bits and in nats."""

import math

import numpy as np

import genmath
from genmath.figures import subplots
from genmath.snippet import figure, publish

p = np.linspace(0.0, 1.0, 401)
h_bits = genmath.binary_entropy(p, base=2)
h_nats = genmath.binary_entropy(p)

publish("entropy.binary.max_bits", genmath.binary_entropy(0.5, base=2), unit="bits")
publish("entropy.binary.max_nats", genmath.binary_entropy(0.5), unit="nats")
publish("entropy.binary.p_biased", 0.9)
publish("entropy.binary.biased_bits", genmath.binary_entropy(0.9, base=2), unit="bits")
publish("entropy.binary.biased_nats", genmath.binary_entropy(0.9), unit="nats")
# The conversion factor: 1 bit = log 2 nats
publish("entropy.log2", math.log(2.0), unit="nats")  # nats in one bit

fig, ax = subplots()
ax.plot(p, h_bits, label="$H_b(p)$ in bits (base 2)")
ax.plot(p, h_nats, label="$H_b(p)$ in nats (base $e$)")
ax.axhline(math.log(2.0), linestyle=":", linewidth=1.0, color="C1")
ax.annotate(rf"$\log 2 \approx {math.log(2.0):.3f}$ nats $=$ 1 bit", xy=(0.5, math.log(2.0)), xytext=(0.56, 0.45),
            arrowprops={"arrowstyle": "->", "linewidth": 0.8})
ax.set_xlabel("$p$ = P(heads)")
ax.set_ylabel("binary entropy $H_b(p)$")
ax.set_xlim(0, 1)
ax.set_ylim(0, 1.05)
ax.legend(loc="upper left")
figure(fig, "entropy.binary.curve",
       alt="Binary entropy H_b(p) against p: two arches peaking at p = 1/2, the bits curve at "
           "{{ entropy.binary.max_bits:g }} bit and the nats curve at log 2 = {{ entropy.binary.max_nats:.3f }} "
           "nats, both zero at p = 0 and p = 1.",
       caption="Binary entropy in bits and in nats. The two curves differ by the constant factor "
               "log 2: the nats curve is the bits curve times {{ entropy.log2:.3f }} nats per bit.")
