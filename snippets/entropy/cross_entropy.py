"""Cross-entropy H(p, q) = H(p) + KL(p || q): a discrete example and a Bernoulli family."""

import numpy as np

import genmath
from genmath.figures import subplots
from genmath.snippet import figure, publish, table

# True distribution p and a model q on the same four outcomes
p = np.array([0.5, 0.25, 0.125, 0.125])
q = np.array([0.25, 0.25, 0.25, 0.25])
rows = []
for base, unit in ((None, "nats"), (2, "bits")):
    h = genmath.entropy(p, base=base)
    ce = genmath.cross_entropy(p, q, base=base)
    kl = genmath.kl_divergence(p, q, base=base)
    rows.append([unit, h, ce, kl, h + kl])
    publish(f"entropy.ce.h_{unit}", h, unit=unit)
    publish(f"entropy.ce.ce_{unit}", ce, unit=unit)
    publish(f"entropy.ce.kl_{unit}", kl, unit=unit)
table(["unit", "H(p)", "H(p, q)", "KL(p || q)", "H(p) + KL(p || q)"], rows, fmt=".6f")

# A model that rules out an outcome p can produce pays an infinite cross-entropy
q_zero = np.array([0.5, 0.5, 0.0, 0.0])
publish("entropy.ce.ce_zero", genmath.cross_entropy(p, q_zero), unit="nats")

# Bernoulli family: p = Bernoulli(0.3), model q_theta = Bernoulli(theta)
p_heads = 0.3
publish("entropy.ce.bern_p", p_heads)
theta = np.linspace(0.01, 0.99, 393)
p_vec = np.broadcast_to([p_heads, 1 - p_heads], theta.shape + (2,))
q_vec = np.stack([theta, 1 - theta], axis=-1)
ce_curve = genmath.cross_entropy(p_vec, q_vec, base=2)
h_p = genmath.binary_entropy(p_heads, base=2)
publish("entropy.ce.bern_h_bits", h_p, unit="bits")
theta_star = theta[np.argmin(ce_curve)]
publish("entropy.ce.bern_argmin", theta_star)

fig, ax = subplots()
ax.plot(theta, ce_curve, label=r"$H(p, q_\theta)$")
ax.axhline(h_p, linestyle="--", linewidth=1.0, color="C1", label=r"$H(p)$")
i = np.searchsorted(theta, 0.75)
ax.annotate("", xy=(theta[i], h_p), xytext=(theta[i], ce_curve[i]),
            arrowprops={"arrowstyle": "<->", "linewidth": 0.8})
ax.text(theta[i] + 0.015, 0.5 * (h_p + ce_curve[i]), r"$\mathrm{KL}(p \,\|\, q_\theta)$", va="center")
ax.axvline(p_heads, linestyle=":", linewidth=1.0, color="C3")
ax.set_xlabel(r"model parameter $\theta$ = $q_\theta$(heads)")
ax.set_ylabel("bits")
ax.set_ylim(0, 3.5)
ax.legend(loc="upper center")
figure(fig, "entropy.ce.bernoulli",
       alt="Cross-entropy in bits of Bernoulli({{ entropy.ce.bern_p:g }}) data under a Bernoulli(theta) "
           "model, against theta: a U-shaped curve whose minimum touches the horizontal line H(p) at "
           "theta = {{ entropy.ce.bern_p:g }}; the vertical gap between curve and line is the KL divergence.",
       caption="Cross-entropy of data from Bernoulli({{ entropy.ce.bern_p:g }}) under the model Bernoulli(θ). "
               "It never drops below the entropy H(p); the gap is KL(p ‖ q_θ), zero only at θ = p.")
