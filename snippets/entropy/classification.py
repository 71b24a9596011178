"""Classification cross-entropy is the negative log-likelihood of a categorical model."""

import numpy as np
import scipy.special
import torch

import genmath
from genmath.snippet import publish, table

torch.set_num_threads(1)

# Logits z_n for N = 4 examples and K = 3 classes, and the true labels y_n
logits = np.array([[2.0, 0.5, -1.0],
                   [0.1, 0.2, 3.0],
                   [1.0, 1.0, 1.0],
                   [-0.5, 2.5, 0.0]])
labels = np.array([0, 2, 1, 0])

probs = scipy.special.softmax(logits, axis=-1)          # categorical model q(y | x_n)
p_true = probs[np.arange(len(labels)), labels]          # q(y_n | x_n)
nll = -np.log(p_true)                                   # surprisal of each label, nats
one_hot = np.eye(logits.shape[1])[labels]               # data distribution per example
ce_each = genmath.cross_entropy(one_hot, probs)         # H(e_{y_n}, softmax(z_n)), nats

table(["$n$", "logits $z_n$", "$y_n$", r"$\mathrm{softmax}(z_n)$", r"$q(y_n \mid x_n)$", r"$-\log q(y_n \mid x_n)$ (nats)",
       "$H(e_y, q)$ (nats)"],
      [[n, logits[n], int(labels[n]), probs[n], p_true[n], nll[n], ce_each[n]] for n in range(len(labels))],
      fmt=[".0f", ".2f", ".0f", ".3f", ".4f", ".4f", ".4f"])

mean_nll = publish("entropy.cls.mean_nll", nll.mean(), unit="nats")
publish("entropy.cls.mean_ce", genmath.softmax_cross_entropy(logits, labels), unit="nats")
publish("entropy.cls.mean_ce_bits", genmath.softmax_cross_entropy(logits, labels, base=2), unit="bits")
torch_ce = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(labels)).item()
publish("entropy.cls.torch_ce", torch_ce, unit="nats")
publish("entropy.cls.max_abs_diff", abs(torch_ce - mean_nll))
publish("entropy.cls.uniform_ce", float(np.log(logits.shape[1])), unit="nats")  # example n = 2
