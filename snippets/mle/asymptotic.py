"""Consistency and asymptotic normality of the Bernoulli MLE: sqrt(n)(p_hat - p) vs N(0, 1/I(p))."""

import itertools

import numpy as np
from scipy.stats import binom, norm

from genmath.figures import subplots
from genmath.mle import binomial_mle, fisher_information_bernoulli
from genmath.snippet import claim, figure, publish, table

rng = np.random.default_rng(0)
p = publish("mle.asym.p", 0.3)
trials = publish("mle.asym.trials", 20_000)
asymptotic_var = publish("mle.asym.var_theory", 1.0 / fisher_information_bernoulli(p))

rows = []
z_by_n = {}
for n in (10, 100, 1000, 10_000):
    p_hat = binomial_mle(rng.binomial(n, p, size=trials), n)  # one MLE per simulated data set
    z = np.sqrt(n) * (p_hat - p)
    z_by_n[n] = z
    # exact properties of the law of p_hat = k/n, k ~ Binomial(n, p): no simulation error
    k = np.arange(n + 1)
    pmf = binom.pmf(k, n, p)
    mean_abs_err = float(np.sum(pmf * np.abs(k / n - p)))
    frac_far = float(np.sum(pmf[np.abs(k / n - p) > 0.05]))
    # exact Kolmogorov distance between the law of sqrt(n)(p_hat - p) and N(0, p(1-p)): the sup is
    # attained at a jump z_k, approached from the left (cdf of k-1) or at the jump itself (cdf of k)
    phi = norm.cdf((k / n - p) * np.sqrt(n), 0.0, np.sqrt(asymptotic_var))
    kolmogorov = max(np.abs(binom.cdf(k, n, p) - phi).max(), np.abs(binom.cdf(k - 1, n, p) - phi).max())
    rows.append([n, mean_abs_err, frac_far, z.var(ddof=1), asymptotic_var, kolmogorov])
    publish(f"mle.asym.kolmogorov_{n}", kolmogorov)
    publish(f"mle.asym.mean_abs_err_{n}", mean_abs_err)
table(["n", "E|p̂ − p| (exact)", "P(|p̂ − p| > 0.05) (exact)", "Var[√n(p̂ − p)] (sim.)", "p(1−p) = 1/I(p)",
       "Kolmogorov distance to N(0, p(1−p)) (exact)"], rows,
      fmt=".4f")
for (n1, e1, *_, k1), (n2, e2, *_, k2) in itertools.pairwise(rows):
    claim(2.8 < e1 / e2 < 3.4, f"E|p_hat - p| falls by about sqrt(10) from n = {n1} to n = {n2}")
    claim(2.8 < k1 / k2 < 3.4, f"the Kolmogorov distance falls like 1/sqrt(n) from n = {n1} to n = {n2}")

n_fig = publish("mle.asym.n", 1000)
z = z_by_n[n_fig]
# standard error of a sample variance of (nearly) normal data: sqrt(2/(T-1)) * variance
var_se = np.sqrt(2.0 / (trials - 1)) * asymptotic_var
publish("mle.asym.var_sim", z.var(ddof=1), se=var_se)
claim(abs(z.var(ddof=1) - asymptotic_var) < 3 * var_se,
      "the simulated variance of sqrt(n)(p_hat - p) agrees with p(1-p) within three standard errors")
publish("mle.asym.mean_sim", z.mean())

grid = np.linspace(-2.2, 2.2, 400)
fig, axes = subplots(1, 2, figsize=(7.6, 3.2), sharey=True)
for ax, n, counts_per_bin in ((axes[0], 10, 1), (axes[1], n_fig, 4)):
    z = z_by_n[n]
    # bins aligned with the lattice of possible counts k, so the discrete p_hat is not aliased
    k_edges = np.arange(-0.5, n + 1.5, counts_per_bin)
    ax.hist(z, bins=(k_edges / n - p) * np.sqrt(n), density=True, alpha=0.55, label="simulated √n(p̂ − p)")
    ax.plot(grid, norm.pdf(grid, 0.0, np.sqrt(asymptotic_var)), color="C1", label="N(0, p(1−p))")
    ax.set(xlabel="√n (p̂ − p)", xlim=(-2.2, 2.2), title=f"n = {n}")
axes[0].set(ylabel="density")
axes[0].legend(loc="upper left", fontsize=8)
figure(fig, "mle.asym.hist",
       alt="Histograms of sqrt(n)(p_hat - p) over {{ mle.asym.trials }} simulated data sets with "
           "p = {{ mle.asym.p:g }}, for n = 10 (a few discrete, skewed bars) and n = {{ mle.asym.n }} (a bell "
           "shape); both are compared with the normal density of variance p(1-p) = {{ mle.asym.var_theory:g }}, "
           "which the n = {{ mle.asym.n }} histogram matches.")
