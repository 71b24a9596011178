"""Monte Carlo estimation of KL(p || q): unbiased, with variance falling as 1/n."""

import numpy as np
import scipy.stats

import genmath
from genmath.figures import subplots
from genmath.numerics import integrate
from genmath.snippet import claim, figure, publish, table

rng = np.random.default_rng(0)
p, q = scipy.stats.norm(0.0, 1.0), scipy.stats.norm(1.0, 2.0)
kl_true = publish("kl.mc.true", genmath.kl_normal(0.0, 1.0, 1.0, 2.0), unit="nats")

# Variance of the single-sample estimator log p(x) - log q(x), x ~ p, by quadrature
second = integrate(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)) ** 2, name="E_p[(log p - log q)^2]",
                   mass_of={"p": p.pdf})
var_one = publish("kl.mc.var_one", second - kl_true**2, unit="nats²")

sizes = np.array([10, 30, 100, 300, 1000, 3000, 10000])
repeats = 400
rows, variances, all_estimates = [], [], []
for n in sizes:
    estimates = np.array([genmath.kl_monte_carlo(p.logpdf, q.logpdf, p.rvs(size=n, random_state=rng)).estimate
                          for _ in range(repeats)])
    all_estimates.append(estimates)
    variances.append(estimates.var(ddof=1))
    rows.append([int(n), estimates.mean(), estimates.mean() - kl_true, variances[-1], var_one / n])
table(["n", "mean of estimates (nats)", "bias (nats)", "variance (nats^2)", "Var_1 / n (nats^2)"], rows,
      fmt=".3e")
slope, intercept = np.polyfit(np.log(sizes), np.log(variances), 1)
# the slope is itself a simulated statistic: its standard error by the bootstrap over the repeats
boot = [np.polyfit(np.log(sizes), np.log([rng.choice(e, e.size).var(ddof=1) for e in all_estimates]), 1)[0]
        for _ in range(200)]
slope_se = float(np.std(boot, ddof=1))
publish("kl.mc.slope", slope, se=slope_se)
claim(abs(slope + 1) < 3 * slope_se, "the fitted slope agrees with -1 within three standard errors")
publish("kl.mc.repeats", repeats)
publish("kl.mc.n_small", int(sizes[0]))
publish("kl.mc.n_large", int(sizes[-1]))

# How often is a 10-sample estimate negative? Many repeats, vectorised, so the fraction is precise.
draws, chunk, negative = 2_000_000, 200_000, 0
for _ in range(draws // chunk):
    x = p.rvs(size=(chunk, int(sizes[0])), random_state=rng)
    negative += int(np.sum((p.logpdf(x) - q.logpdf(x)).mean(axis=1) < 0))
frac = negative / draws
publish("kl.mc.negative_draws", draws)
publish("kl.mc.frac_negative_small", frac, se=np.sqrt(frac * (1 - frac) / draws))
claim(frac > 0, "some 10-sample estimates are negative although the KL is not")

fig, ax = subplots()
ax.loglog(sizes, variances, "o", label=f"empirical variance over {repeats} runs")
ax.loglog(sizes, var_one / sizes, label=r"$\mathrm{Var}_p[\log p - \log q]\,/\,n$")
ax.loglog(sizes, np.exp(intercept) * sizes**slope, ":", label=f"least-squares fit, slope {slope:.2f}")
ax.set_xlabel("number of samples $n$")
ax.set_ylabel("variance of the estimate (nats²)")
ax.legend(loc="lower left", fontsize=8)
figure(fig, "kl.mc.variance",
       alt="Log-log plot of the variance of the Monte Carlo KL estimate against the sample size: the "
           "points fall on a straight line of slope {{ kl.mc.slope:.1f }}, on top of the theoretical line "
           "Var/n.",
       caption="The Monte Carlo KL estimator is unbiased and its variance falls as 1/n: slope -1 on "
               "log-log axes (fitted {{ kl.mc.slope:.2f }} ± {{ kl.mc.slope_se:.2f }}). Here p = N(0, 1), "
               "q = N(1, 2²).")
