"""Likelihood versus probability for Poisson counts: L(lambda) is not a density over lambda."""

import numpy as np
from scipy.special import gammaln
from scipy.stats import poisson

from genmath.figures import subplots
from genmath.mle import poisson_log_likelihood, poisson_mle
from genmath.snippet import claim, figure, publish

rng = np.random.default_rng(0)
true_rate, n = 3.0, 10
x = rng.poisson(true_rate, size=n)
print("counts x =", x.tolist())
publish("mle.like.n", n)
publish("mle.like.true_rate", true_rate)
publish("mle.like.total", int(x.sum()))

# as a function of the DATA (parameter fixed), p(x | lambda) sums to 1 over all possible outcomes;
# for a single count: sum over k = 0..inf of Poisson(k; 3), truncated where the tail is < 1e-300
k = np.arange(200)
publish("mle.like.sum_over_data", poisson.pmf(k, true_rate).sum())

# as a function of the PARAMETER (data fixed), L(lambda) is not normalised
lam_hat = publish("mle.like.lam_hat", poisson_mle(x))
loglik_max = publish("mle.like.loglik_max", poisson_log_likelihood(lam_hat, x), unit="nats")
publish("mle.like.lik_max", np.exp(loglik_max))
# its integral over the rate in closed form: L(lam) = lam^S e^{-n lam} / prod x_i! with S = sum x_i, and
# int_0^inf lam^S e^{-n lam} dlam = S! / n^(S+1)  (a Gamma integral)
S = int(x.sum())
log_integral = gammaln(S + 1) - (S + 1) * np.log(n) - gammaln(x + 1).sum()
publish("mle.like.integral_over_lambda", np.exp(log_integral))
loglik_true = publish("mle.like.loglik_true", poisson_log_likelihood(true_rate, x), unit="nats")
claim(loglik_true < loglik_max, "the true rate has a lower log-likelihood than the MLE")

lam = np.linspace(0.05, 8, 400)
loglik = poisson_log_likelihood(lam, x)
fig, (ax1, ax2) = subplots(1, 2, figsize=(7.2, 3.0))
ax1.plot(lam, np.exp(loglik))
ax1.set(xlabel="rate λ", ylabel="likelihood L(λ)", title="Likelihood")
ax2.plot(lam, loglik, color="C1")
ax2.set(xlabel="rate λ", ylabel="log-likelihood ℓ(λ) (nats)", title="Log-likelihood", ylim=(-70, -15))
for ax in (ax1, ax2):
    ax.axvline(lam_hat, color="C2", linestyle="--", linewidth=1.2, label=f"λ̂ = {lam_hat:.3g}")
    ax.axvline(true_rate, color="C3", linestyle=":", linewidth=1.2, label=f"true λ = {true_rate:g}")
    ax.legend(loc="upper right", fontsize=8)
figure(fig, "mle.like.poisson",
       alt="Likelihood and log-likelihood of the Poisson rate for {{ mle.like.n }} counts; both peak at the "
           "sample mean {{ mle.like.lam_hat:g }}, close to the true rate {{ mle.like.true_rate:g }}.")
