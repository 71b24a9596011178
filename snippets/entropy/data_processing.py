"""The data-processing inequality on a chain of binary symmetric channels X -> Y_1 -> Y_2 -> ..."""

import numpy as np

import genmath
from genmath.figures import subplots
from genmath.snippet import figure, publish, table


def channel(flip):
    """A binary symmetric channel: the row for input b is the law of the output."""
    return np.array([[1 - flip, flip], [flip, 1 - flip]])


p_x = np.array([0.5, 0.5])  # X: a fair bit
flip = publish("entropy.dpi.flip", 0.1)
k = channel(flip)

# X -> Y -> Z, both channels flipping with probability 0.1: the joint table p(x, y, z)
p_xyz = p_x[:, None, None] * k[:, :, None] * k[None, :, :]
mi_xy = publish("entropy.dpi.mi_xy", genmath.mutual_information(p_xyz.sum(axis=2), base=2), unit="bits")
mi_xz = publish("entropy.dpi.mi_xz", genmath.mutual_information(p_xyz.sum(axis=1), base=2), unit="bits")
# I(X; Y | Z) and I(X; Z | Y): the conditioning variable goes last
cmi_xy_z = publish("entropy.dpi.cmi_xy_given_z", genmath.conditional_mutual_information(p_xyz, base=2),
                   unit="bits")
cmi_xz_y = publish("entropy.dpi.cmi_xz_given_y",
                   genmath.conditional_mutual_information(np.transpose(p_xyz, (0, 2, 1)), base=2), unit="bits")
assert cmi_xz_y < 1e-15, "X -> Y -> Z is a Markov chain: I(X; Z | Y) = 0"
assert abs(mi_xz - (mi_xy - cmi_xy_z)) < 1e-12 and mi_xz < mi_xy
# the composed channel flips with probability 2 f (1 - f): I(X; Z) = 1 - H_b(2 f (1 - f)) bits
flip_xz = publish("entropy.dpi.flip_xz", 2 * flip * (1 - flip))
assert abs(mi_xz - (1 - genmath.binary_entropy(flip_xz, base=2))) < 1e-12

# Equality: relabelling Y (an invertible function) keeps every bit of it
p_xy_relabelled = (p_x[:, None] * k)[:, ::-1]
mi_relabelled = publish("entropy.dpi.mi_relabelled", genmath.mutual_information(p_xy_relabelled, base=2),
                        unit="bits")
assert abs(mi_relabelled - mi_xy) < 1e-12

# A longer chain X -> Y_1 -> ... -> Y_n: the information about X can only fall
steps = np.arange(0, 11)
mi_chain = []
for n in steps:
    k_n = np.linalg.matrix_power(k, int(n))  # n channels in a row (n = 0: Y_0 = X)
    mi_chain.append(genmath.mutual_information(p_x[:, None] * k_n, base=2))
mi_chain = np.array(mi_chain)
assert np.all(np.diff(mi_chain) < 0)
publish("entropy.dpi.n_last", int(steps[-1]))
publish("entropy.dpi.mi_last", mi_chain[-1], unit="bits")
publish("entropy.dpi.mi_chain_1", mi_chain[1], unit="bits")
publish("entropy.dpi.mi_chain_2", mi_chain[2], unit="bits")
table(["channels n", "$I(X; Y_n)$ (bits)"], [[int(n), m] for n, m in zip(steps[:6], mi_chain[:6])], fmt=".4f")

fig, ax = subplots(figsize=(4.6, 2.8))
ax.plot(steps, mi_chain, "o-")
ax.set_xlabel("number of noisy channels $n$")
ax.set_ylabel("$I(X; Y_n)$ (bits)")
ax.set_ylim(0, 1.05)
figure(fig, "entropy.dpi.chain",
       alt="Mutual information between a fair bit X and its copy after n binary symmetric channels with "
           "flip probability {{ entropy.dpi.flip }}, in bits, against n from 0 to {{ entropy.dpi.n_last }}: 1 bit "
           "at n = 0, {{ entropy.dpi.mi_chain_1:.3f }} bits after one channel, {{ entropy.dpi.mi_chain_2:.3f }} bits "
           "after two, falling to {{ entropy.dpi.mi_last:.4f }} bits after {{ entropy.dpi.n_last }}.",
       caption="Each channel of a Markov chain can only lose information about X (the data-processing "
               "inequality): the mutual information falls at every step.")
