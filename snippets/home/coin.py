"""Maximum likelihood for a coin that shows 7 heads in 10 tosses: closed form and numerical argmax."""

import numpy as np
from scipy.optimize import minimize_scalar

from genmath.figures import subplots
from genmath.mle import bernoulli_sequence_log_likelihood, binomial_mle
from genmath.snippet import figure, publish

heads, tosses = 7, 10
publish("home.coin.heads", heads)
publish("home.coin.tosses", tosses)

# closed form: p_hat = k / n
p_hat = publish("home.coin.p_hat", binomial_mle(heads, tosses))

# numerical argmax of the log-likelihood, bounded to the open interval (0, 1)
fit = minimize_scalar(lambda p: -bernoulli_sequence_log_likelihood(p, heads, tosses),
                      bounds=(1e-9, 1 - 1e-9), method="bounded", options={"xatol": 1e-10})
publish("home.coin.p_numeric", fit.x)
publish("home.coin.abs_diff", abs(fit.x - p_hat))
publish("home.coin.max_loglik", bernoulli_sequence_log_likelihood(p_hat, heads, tosses), unit="nats")
publish("home.coin.likelihood_at_half", np.exp(bernoulli_sequence_log_likelihood(0.5, heads, tosses)))
publish("home.coin.max_likelihood", np.exp(bernoulli_sequence_log_likelihood(p_hat, heads, tosses)))

p = np.linspace(0.001, 0.999, 999)
loglik = bernoulli_sequence_log_likelihood(p, heads, tosses)
fig, (ax1, ax2) = subplots(1, 2, figsize=(7.2, 3.0))
ax1.plot(p, np.exp(loglik))
ax1.set(xlabel="p", ylabel="likelihood L(p)", title="Likelihood")
ax2.plot(p, loglik, color="C1")
ax2.set(xlabel="p", ylabel="log-likelihood (nats)", title="Log-likelihood", ylim=(-20, 0))
for ax in (ax1, ax2):
    ax.axvline(p_hat, color="C2", linestyle="--", linewidth=1.2, label=f"p̂ = {p_hat:.1f}")
    ax.legend(loc="lower center")
figure(fig, "home.coin.curves",
       alt="Likelihood p^k (1-p)^(n-k) for k = {{ home.coin.heads }} heads in n = {{ home.coin.tosses }} tosses, "
           "and its logarithm, for p from 0 to 1; both peak at p = {{ home.coin.p_hat:g }}.")
