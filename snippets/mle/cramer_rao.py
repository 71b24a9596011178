"""The Cramér–Rao bound and asymptotic efficiency: n Var[T] I(theta) for four estimators, by simulation."""

import numpy as np
from scipy.stats import chi2, invgamma

from genmath.figures import subplots
from genmath.mle import (
    cramer_rao_bound,
    exponential_mle,
    fisher_information_exponential,
    fisher_information_gaussian_mean,
    gaussian_fisher_information,
    gaussian_mle,
    sample_variance,
)
from genmath.snippet import figure, publish, table

rng = np.random.default_rng(1)
trials = publish("mle.crb.trials", 20_000)
sigma, lam = 1.0, 1.0  # N(0, sigma^2) data for the mean and the variance, Exponential(lam) for the rate
ns = [5, 10, 20, 50, 100, 200, 500, 1000]
info_mean = fisher_information_gaussian_mean(sigma)
info_var = gaussian_fisher_information(sigma**2)[1, 1]  # 1 / (2 sigma^4)
info_rate = fisher_information_exponential(lam)

names = ["mean x̄", "median", "s² (divisor n − 1)", "rate MLE 1/x̄"]
ratio = {name: [] for name in names}  # n Var[T] I(theta) = Var[T] / CRB, with its standard error
for n in ns:
    est = {name: np.empty(trials) for name in names}
    for start in range(0, trials, 5000):  # chunks keep memory small at n = 1000
        x = rng.normal(0.0, sigma, size=(5000, n))
        mu_hat, var_hat = gaussian_mle(x)
        est["mean x̄"][start:start + 5000] = mu_hat
        est["median"][start:start + 5000] = np.median(x, axis=-1)
        est["s² (divisor n − 1)"][start:start + 5000] = var_hat * n / (n - 1)
        est["rate MLE 1/x̄"][start:start + 5000] = exponential_mle(rng.exponential(1.0 / lam, size=(5000, n)))
    for name, info in zip(names, (info_mean, info_mean, info_var, info_rate)):
        v = sample_variance(est[name])
        bound = cramer_rao_bound(info, n)
        ratio[name].append((v.variance / bound, v.std_error / bound))

rows = [[n, *(f"{ratio[name][i][0]:.3f} ± {ratio[name][i][1]:.3f}" for name in names)] for i, n in enumerate(ns)]
table(["n", *(f"{name}: Var / CRB" for name in names)], rows)

# exact values that the simulation must reproduce
exact_s2 = [chi2(n - 1).var() * sigma**4 / (n - 1) ** 2 / cramer_rao_bound(info_var, n) for n in ns]  # n/(n-1)
# 1/rate_hat = xbar ~ Gamma(n, rate n lam): rate_hat = n lam / G with G ~ Gamma(n, 1), i.e. n lam times an
# inverse-gamma(n) variable
exact_rate = [invgamma(n).var() * (n * lam) ** 2 / cramer_rao_bound(info_rate, n) for n in ns]
for i, n in enumerate(ns):
    for name, exact in (("s² (divisor n − 1)", exact_s2[i]), ("rate MLE 1/x̄", exact_rate[i]),
                        ("mean x̄", 1.0)):
        r, se = ratio[name][i]
        assert abs(r - exact) < 4.5 * se, (name, n, r, se, exact)
    assert ratio["median"][i][0] > 1 + 4 * ratio["median"][i][1], "the median does not attain the bound"

i10, i1000 = ns.index(10), ns.index(1000)
publish("mle.crb.median_ratio_1000", ratio["median"][i1000][0])
publish("mle.crb.median_ratio_1000_se", ratio["median"][i1000][1])
publish("mle.crb.median_limit", np.pi / 2)
assert abs(ratio["median"][i1000][0] - np.pi / 2) < 4 * ratio["median"][i1000][1]
publish("mle.crb.median_efficiency", 2 / np.pi)
publish("mle.crb.mean_ratio_10", ratio["mean x̄"][i10][0])
publish("mle.crb.mean_ratio_10_se", ratio["mean x̄"][i10][1])
publish("mle.crb.rate_ratio_10", ratio["rate MLE 1/x̄"][i10][0])
publish("mle.crb.rate_ratio_10_se", ratio["rate MLE 1/x̄"][i10][1])
publish("mle.crb.rate_exact_10", exact_rate[i10])
publish("mle.crb.rate_exact_1000", exact_rate[i1000])
publish("mle.crb.s2_exact_10", exact_s2[i10])
publish("mle.crb.n_first", ns[0])
publish("mle.crb.n_last", ns[-1])

# the biased MLE of the variance at n = 10 goes BELOW the unbiased bound 2 sigma^4 / n
n = publish("mle.crb.n_small", 10)
bound_var = publish("mle.crb.bound_var_10", cramer_rao_bound(info_var, n))
var_s2 = publish("mle.crb.var_s2_10", chi2(n - 1).var() * sigma**4 / (n - 1) ** 2)
var_mle = publish("mle.crb.var_mle_10", chi2(n - 1).var() * sigma**4 / n**2)
mse_mle = publish("mle.crb.mse_mle_10", var_mle + (sigma**2 / n) ** 2)  # bias -sigma^2/n
assert var_mle < bound_var < var_s2 and mse_mle < var_s2

fig, ax = subplots(figsize=(4.8, 4.2))
for c, name in enumerate(names):
    r = np.array(ratio[name])
    ax.errorbar(ns, r[:, 0], yerr=2 * r[:, 1], marker="o", markersize=4, capsize=2, color=f"C{c}", label=name)
ax.axhline(1.0, color="C7", linestyle="--", linewidth=1.0, label="Cramér–Rao bound")
ax.axhline(np.pi / 2, color="C1", linestyle=":", linewidth=1.0, label="π/2")
ax.set(xscale="log", xlabel="sample size n", ylabel="Var[T] × n I(θ)", ylim=(0.9, 2.6))
ax.legend(fontsize=9, ncol=2, loc="upper right")
figure(fig, "mle.crb.efficiency",
       alt="Variance of four estimators divided by the Cramér–Rao bound, against n from {{ mle.crb.n_first }} to "
           "{{ mle.crb.n_last }} on a log axis, {{ mle.crb.trials:, }} simulated data sets per point. The sample mean "
           "sits on 1 at every n; the rate MLE (exact ratio {{ mle.crb.rate_exact_10:.2f }} at n = 10) and s² (exact "
           "ratio {{ mle.crb.s2_exact_10:.2f }} at n = 10) fall to 1; the median stays near π/2 = "
           "{{ mle.crb.median_limit:.2f }} ({{ mle.crb.median_ratio_1000:.2f }} ± {{ mle.crb.median_ratio_1000_se:.2f }} "
           "at n = {{ mle.crb.n_last }}).")
