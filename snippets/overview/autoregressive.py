"""Exact likelihood of an autoregressive factorisation: three binary variables.

The joint table p(x1, x2, x3) is factorised by the chain rule into p(x1) p(x2 | x1) p(x3 | x1, x2); the
log-likelihood of a data set is the same whichever way it is computed, in nats and in bits.
"""


import numpy as np

from genmath.info import entropy
from genmath.mle import bits_per_dim, categorical_log_likelihood
from genmath.snippet import claim, publish, table

# joint[x1, x2, x3], 8 probabilities summing to 1
joint = np.array([[[0.20, 0.05], [0.10, 0.05]],
                  [[0.05, 0.15], [0.10, 0.30]]])

# the chain rule: marginalise, then condition
p_x1 = joint.sum(axis=(1, 2))                                   # p(x1), shape (2,)
p_x2_given_x1 = joint.sum(axis=2) / p_x1[:, None]               # p(x2 | x1), shape (2, 2)
p_x3_given_x12 = joint / joint.sum(axis=2, keepdims=True)       # p(x3 | x1, x2), shape (2, 2, 2)
table(["x₁x₂x₃", "p(x₁,x₂,x₃)", "p(x₁)", "p(x₂|x₁)", "p(x₃|x₁,x₂)", "product"],
      [[f"{a}{b}{c}", joint[a, b, c], p_x1[a], p_x2_given_x1[a, b], p_x3_given_x12[a, b, c],
        p_x1[a] * p_x2_given_x1[a, b] * p_x3_given_x12[a, b, c]]
       for a in range(2) for b in range(2) for c in range(2)], fmt=".4f")
publish("overview.ar.p_111", joint[1, 1, 1])
publish("overview.ar.p1_1", p_x1[1])
publish("overview.ar.p2_1_given_1", p_x2_given_x1[1, 1])
publish("overview.ar.p3_1_given_11", p_x3_given_x12[1, 1, 1])
publish("overview.ar.free_params", joint.size - 1)  # 1 + 2 + 4 conditional probabilities, the same count

# a data set of n draws from the joint, as counts per cell
rng = np.random.default_rng(0)
n = publish("overview.ar.n", 20)
counts = rng.multinomial(n, joint.ravel()).reshape(joint.shape)

# log-likelihood from the joint table: sum over the 8 cells of n_cell log p(cell)
ll_joint = categorical_log_likelihood(joint.ravel(), counts.ravel())
# ... and by the chain rule: log p(x1) + log p(x2 | x1) + log p(x3 | x1, x2), summed over the data
ll_x1 = categorical_log_likelihood(p_x1, counts.sum(axis=(1, 2)))
ll_x2 = np.sum(categorical_log_likelihood(p_x2_given_x1, counts.sum(axis=2)))
ll_x3 = np.sum(categorical_log_likelihood(p_x3_given_x12, counts))
ll_chain = ll_x1 + ll_x2 + ll_x3

publish("overview.ar.ll_joint", float(ll_joint), unit="nats")
publish("overview.ar.ll_chain", float(ll_chain), unit="nats")
publish("overview.ar.ll_x1", float(ll_x1), unit="nats")
publish("overview.ar.ll_x2", float(ll_x2), unit="nats")
publish("overview.ar.ll_x3", float(ll_x3), unit="nats")
publish("overview.ar.abs_diff", abs(float(ll_joint - ll_chain)), unit="nats")
publish("overview.ar.ll_bits", -float(bits_per_dim(-ll_chain, 1)), unit="bits")
publish("overview.ar.nll_bits_per_sample", float(bits_per_dim(-ll_chain / n, 1)), unit="bits")
publish("overview.ar.bpd", float(bits_per_dim(-ll_chain / n, 3)), unit="bits")
publish("overview.ar.entropy_bits", float(entropy(joint.ravel(), base=2)), unit="bits")

# As an estimate of the entropy, the average NLL per draw of this data set has a sampling standard error:
# the standard deviation of -log2 p(x) under p, over sqrt(n).
surprisal = -np.log2(joint.ravel())
sd = np.sqrt(np.sum(joint.ravel() * surprisal**2) - np.sum(joint.ravel() * surprisal) ** 2)
se = publish("overview.ar.entropy_estimate_se", sd / np.sqrt(n), unit="bits")
claim(abs(float(bits_per_dim(-ll_chain / n, 1)) - float(entropy(joint.ravel(), base=2))) < 3 * se,
      "the difference between the per-draw NLL and the entropy is within the sampling noise")
claim(abs(float(ll_joint - ll_chain)) < 1e-12, "the joint table and the chain rule give the same log-likelihood")
