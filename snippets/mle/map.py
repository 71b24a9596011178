"""MAP estimation of a Bernoulli probability with a Beta(a, b) prior; Beta(1, 1) gives back the MLE."""

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.stats import beta as beta_dist

from genmath.figures import subplots
from genmath.mle import bernoulli_map, beta_posterior, binomial_mle
from genmath.snippet import figure, publish, table

k, n = publish("mle.map.k", 3), publish("mle.map.n", 3)  # three heads in three tosses
p_mle = publish("mle.map.p_mle", binomial_mle(k, n))

rows = []
for a, b in ((1, 1), (2, 2), (5, 5), (2, 8)):
    alpha, beta = beta_posterior(k, n, a, b)
    p_map = bernoulli_map(k, n, a, b)
    # the posterior mode found numerically, as a check on the closed form
    posterior = beta_dist(alpha, beta)
    mode = minimize_scalar(lambda p, post=posterior: -post.logpdf(p), bounds=(1e-12, 1 - 1e-12),
                           method="bounded", options={"xatol": 1e-12}).x
    rows.append([f"Beta({a}, {b})", f"Beta({alpha:g}, {beta:g})", p_map, mode, alpha / (alpha + beta), p_mle])
    publish(f"mle.map.p_map_{a}_{b}", p_map)
    publish(f"mle.map.post_mean_{a}_{b}", alpha / (alpha + beta))
publish("mle.map.uniform_minus_mle", bernoulli_map(k, n, 1, 1) - p_mle)
table(["prior", "posterior", "MAP (closed form)", "posterior mode (numerical)", "posterior mean", "MLE"],
      rows, fmt=".4f")

# the MLE from many tosses swamps the prior: the Beta(2, 2) MAP approaches k/n
big_k, big_n = 300, 1000
publish("mle.map.big_k", big_k)
publish("mle.map.big_n", big_n)
publish("mle.map.big_map_2_2", bernoulli_map(big_k, big_n, 2, 2))
publish("mle.map.big_mle", binomial_mle(big_k, big_n))

p = np.linspace(0.0, 1.0, 501)
fig, ax = subplots(figsize=(6.4, 3.2))
for i, (a, b) in enumerate(((1, 1), (2, 2), (5, 5))):
    alpha, beta = beta_posterior(k, n, a, b)
    ax.plot(p, beta_dist.pdf(p, alpha, beta), color=f"C{i}", label=f"posterior with Beta({a}, {b}) prior")
    ax.axvline(bernoulli_map(k, n, a, b), color=f"C{i}", linestyle="--", linewidth=1.0)
ax.set(xlabel="p", ylabel="posterior density", ylim=(0, 4.5))
ax.legend(loc="upper left", fontsize=8)
figure(fig, "mle.map.posteriors",
       alt="Posterior densities of p after {{ mle.map.k }} heads in {{ mle.map.n }} tosses under Beta(1,1), "
           "Beta(2,2) and Beta(5,5) priors, with dashed lines at their modes: {{ mle.map.p_mle:g }} for the "
           "uniform prior (the MLE), {{ mle.map.p_map_2_2:.2f }} and {{ mle.map.p_map_5_5:.2f }} for the others.")
