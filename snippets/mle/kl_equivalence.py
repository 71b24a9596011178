"""MLE = minimum KL(p_data || p_theta) = minimum cross-entropy, on categorical data over {0, ..., 5}.

Model: p_theta(k) = Binomial(k; 5, theta). The data are NOT binomial, so the best model has KL > 0.
"""

import numpy as np

from genmath.figures import subplots
from genmath.info import cross_entropy, entropy, kl_divergence
from genmath.mle import binomial_log_likelihood, categorical_log_likelihood, categorical_mle
from genmath.snippet import claim, figure, publish

rng = np.random.default_rng(0)
m = 5  # categories 0..m
p_true = np.array([0.10, 0.25, 0.30, 0.20, 0.10, 0.05])
labels = rng.choice(m + 1, size=200, p=p_true)
counts = np.bincount(labels, minlength=m + 1)
n = publish("mle.kl.n", int(counts.sum()))
p_data = categorical_mle(counts)  # the empirical distribution is the categorical MLE
print("counts =", counts.tolist())

values = np.arange(m + 1)


def model(theta):
    """p_theta(k) = Binomial(k; m, theta) for k = 0..m, one row per theta."""
    return np.exp(binomial_log_likelihood(np.asarray(theta)[..., None], values, m))


theta = np.linspace(0.01, 0.99, 981)  # step 0.001
publish("mle.kl.grid_step", theta[1] - theta[0])
q = model(theta)
avg_nll = -categorical_log_likelihood(q, counts) / n  # (1/n) * negative log-likelihood, nats
p_rows = np.broadcast_to(p_data, q.shape)  # the same empirical distribution against every p_theta
ce = cross_entropy(p_rows, q)
kl = kl_divergence(p_rows, q)
h_data = publish("mle.kl.entropy_data", entropy(p_data), unit="nats")

publish("mle.kl.max_nll_minus_ce", np.max(np.abs(avg_nll - ce)), unit="nats")
publish("mle.kl.max_ce_minus_kl_minus_h", np.max(np.abs(ce - kl - h_data)), unit="nats")
publish("mle.kl.argmin_nll", theta[np.argmin(avg_nll)])
publish("mle.kl.argmin_kl", theta[np.argmin(kl)])
publish("mle.kl.argmin_ce", theta[np.argmin(ce)])
# closed form: pooling the n draws as n*m Bernoulli trials, theta_hat = (sum of values) / (n m)
theta_hat = publish("mle.kl.theta_hat", float(values @ counts) / (n * m))
q_hat = model(theta_hat)
publish("mle.kl.kl_at_mle", kl_divergence(p_data, q_hat), unit="nats")
publish("mle.kl.ce_at_mle", cross_entropy(p_data, q_hat), unit="nats")
publish("mle.kl.kl_at_mle_bits", kl_divergence(p_data, q_hat, base=2), unit="bits")
step = theta[1] - theta[0]
claim(all(abs(a - theta_hat) <= step / 2 for a in (theta[np.argmin(avg_nll)], theta[np.argmin(ce)],
                                                   theta[np.argmin(kl)])),
      "average NLL, cross-entropy and KL are all minimised at the closed-form MLE (to the grid step)")
claim(kl_divergence(p_data, q_hat) > 0, "even the best binomial has a positive KL from the data")

fig, ax = subplots(figsize=(6.4, 3.4))
ax.plot(theta, avg_nll, label="−ℓ(θ)/n  (average NLL)", linewidth=3.2, alpha=0.5)
ax.plot(theta, ce, "--", label="H(p̂_data, p_θ)  (cross-entropy)")
ax.plot(theta, kl, label="KL(p̂_data ‖ p_θ)")
ax.axvline(theta_hat, color="C3", linestyle=":", linewidth=1.2, label=f"MLE θ̂ = {theta_hat:.3f}")
i_arrow = np.argmin(np.abs(theta - 0.3))  # show the constant gap CE - KL = H(p_data) at theta = 0.3
ax.annotate("", xy=(theta[i_arrow], ce[i_arrow]), xytext=(theta[i_arrow], kl[i_arrow]),
            arrowprops={"arrowstyle": "<->", "color": "C4", "linewidth": 1.2})
ax.text(theta[i_arrow] + 0.015, (ce[i_arrow] + kl[i_arrow]) / 2, f"H(p̂_data) = {h_data:.3f} nats",
        color="C4", fontsize=8, va="center")
ax.set(xlabel="θ", ylabel="nats", ylim=(0, 6))
ax.legend(loc="upper center", fontsize=8)
figure(fig, "mle.kl.curves",
       alt="Average negative log-likelihood, cross-entropy and KL divergence from the empirical distribution "
           "to a Binomial(5, theta) model, as functions of theta. The first two coincide; the KL curve is "
           "the same curve shifted down by the entropy of the data, {{ mle.kl.entropy_data:.3f }} nats; all "
           "three are minimised at theta = {{ mle.kl.theta_hat:.3f }}.")
