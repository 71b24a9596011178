"""Cross-entropy with soft targets: label smoothing keeps the optimal logits finite; temperature softens
a teacher's distribution for distillation."""

import math

import numpy as np
import scipy.optimize
import torch

import genmath
from genmath.figures import subplots
from genmath.snippet import figure, publish, table

torch.set_num_threads(1)

# Label smoothing on K = 10 classes with epsilon = 0.1; the label is class 0
K = publish("entropy.soft.k", 10)
eps = publish("entropy.soft.eps", 0.1)
target = genmath.smoothed_targets(0, K, eps)
publish("entropy.soft.p_true", target[0])
publish("entropy.soft.p_other", target[1])

# The same loss from torch's own label smoothing, on random logits
rng = np.random.default_rng(0)
z = rng.normal(scale=2.0, size=(8, K))
y = rng.integers(0, K, size=8)
ours = genmath.soft_cross_entropy(z, genmath.smoothed_targets(y, K, eps))
theirs = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(y), label_smoothing=eps).item()
assert abs(ours - theirs) < 1e-12  # the page says "less than 10^-12 nats"


def loss(gap, epsilon):
    """Cross-entropy of the smoothed target for logits (gap, 0, ..., 0): the label's logit ahead by `gap`."""
    logits = np.zeros(K)
    logits[0] = gap
    return genmath.soft_cross_entropy(logits, genmath.smoothed_targets(0, K, epsilon))


# The minimiser: softmax(z) = p_eps, a logit gap of log(1 + (1 - eps) K / eps), and the minimum H(p_eps)
best = scipy.optimize.minimize_scalar(lambda g: loss(g, eps), bounds=(0, 20), method="bounded",
                                      options={"xatol": 1e-10})
gap_closed = publish("entropy.soft.gap", math.log(1 + (1 - eps) * K / eps))
publish("entropy.soft.gap_numerical", best.x)
publish("entropy.soft.min_loss", best.fun, unit="nats")
h_target = publish("entropy.soft.h_target", genmath.entropy(target), unit="nats")
assert abs(best.x - gap_closed) < 1e-6 and abs(best.fun - h_target) < 1e-12
# Without smoothing the loss keeps falling as the gap grows: no finite minimiser
hard_at_gap = publish("entropy.soft.hard_at_gap", loss(gap_closed, 0.0), unit="nats")
hard_at_20 = publish("entropy.soft.hard_at_20", loss(20.0, 0.0), unit="nats")
publish("entropy.soft.hard_at_12", loss(12.0, 0.0), unit="nats")
publish("entropy.soft.k_minus_1", K - 1)
assert hard_at_20 < hard_at_gap < h_target, "the one-hot loss is lower at the same logits and keeps falling"

# Distillation: a teacher's soft targets at temperature T, softmax(u / T)
u = np.array([6.0, 2.5, 2.0, -1.0, -3.0])
rows = []
for temperature in (1, 2, 5, 20):
    soft = np.exp(u / temperature - np.logaddexp.reduce(u / temperature))
    h = genmath.entropy(soft)
    publish(f"entropy.soft.teacher_h_t{temperature}", h, unit="nats")
    rows.append([temperature, "(" + ", ".join(f"{v:.3f}" for v in soft) + ")", h])
table(["temperature $T$", r"$\mathrm{softmax}(u / T)$", "entropy (nats)"], rows, fmt=".3f")
assert all(a[2] < b[2] for a, b in zip(rows, rows[1:])) and rows[-1][2] < math.log(u.size)
publish("entropy.soft.teacher_log_k", math.log(u.size), unit="nats")

gaps = np.linspace(0, 12, 241)
fig, ax = subplots(figsize=(4.8, 3.0))
ax.plot(gaps, [loss(g, 0.0) for g in gaps], label="one-hot target")
ax.plot(gaps, [loss(g, eps) for g in gaps], label=f"smoothed, $\\epsilon$ = {eps}")
ax.plot([gap_closed], [h_target], "o", color="C1")
ax.set_xlabel("logit gap $z_y - z_k$")
ax.set_ylabel("cross-entropy (nats)")
ax.set_ylim(0, 2.5)
ax.legend(loc="upper right")
figure(fig, "entropy.soft.smoothing",
       alt="Cross-entropy in nats against the gap between the label's logit and the other "
           "{{ entropy.soft.k_minus_1 }} logits. With a one-hot target the curve falls towards 0 forever (it is "
           "{{ entropy.soft.hard_at_12:.4f }} nats at a gap of 12). With label smoothing (epsilon "
           "{{ entropy.soft.eps }}) it has a minimum of {{ entropy.soft.h_target:.3f }} nats at a gap of "
           "{{ entropy.soft.gap:.2f }}, and rises beyond it.",
       caption="Label smoothing on {{ entropy.soft.k }} classes: the smoothed loss is smallest at a finite logit "
               "gap, log(1 + (1 − ε)K/ε) = {{ entropy.soft.gap:.2f }}, where it equals the entropy of the "
               "smoothed target; the one-hot loss rewards ever larger logits.")
