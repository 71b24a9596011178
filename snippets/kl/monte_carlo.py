"""Monte Carlo estimation of KL(p || q): unbiased, with variance falling as 1/n."""

import numpy as np
import scipy.integrate
import scipy.stats

import genmath
from genmath.figures import subplots
from genmath.snippet import figure, publish, table

rng = np.random.default_rng(0)
p, q = scipy.stats.norm(0.0, 1.0), scipy.stats.norm(1.0, 2.0)
kl_true = publish("kl.mc.true", genmath.kl_normal(0.0, 1.0, 1.0, 2.0), unit="nats")

# Variance of the single-sample estimator log p(x) - log q(x), x ~ p, by quadrature
second, _ = scipy.integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)) ** 2, -np.inf, np.inf)
var_one = publish("kl.mc.var_one", second - kl_true**2, unit="nats²")

sizes = np.array([10, 30, 100, 300, 1000, 3000, 10000])
repeats = 400
rows, variances = [], []
for n in sizes:
    estimates = np.array([genmath.kl_monte_carlo(p.logpdf, q.logpdf, p.rvs(size=n, random_state=rng)).estimate
                          for _ in range(repeats)])
    variances.append(estimates.var(ddof=1))
    rows.append([int(n), estimates.mean(), estimates.mean() - kl_true, variances[-1], var_one / n])
table(["$n$", "mean of estimates (nats)", "bias (nats)", "variance (nats²)", r"$\mathrm{Var}_1/n$ (nats²)"], rows,
      fmt=".3e")
slope, intercept = np.polyfit(np.log(sizes), np.log(variances), 1)
publish("kl.mc.slope", slope)
publish("kl.mc.repeats", repeats)
publish("kl.mc.n_small", int(sizes[0]))
publish("kl.mc.n_large", int(sizes[-1]))
publish("kl.mc.frac_negative_small",
        float(np.mean([genmath.kl_monte_carlo(p.logpdf, q.logpdf, p.rvs(size=10, random_state=rng)).estimate < 0
                       for _ in range(repeats)])))

fig, ax = subplots()
ax.loglog(sizes, variances, "o", label=f"empirical variance over {repeats} runs")
ax.loglog(sizes, var_one / sizes, label=r"$\mathrm{Var}_p[\log p - \log q]\,/\,n$")
ax.loglog(sizes, np.exp(intercept) * sizes**slope, ":", label=f"least-squares fit, slope {slope:.3f}")
ax.set_xlabel("number of samples $n$")
ax.set_ylabel("variance of the estimate (nats²)")
ax.legend(loc="lower left", fontsize=8)
figure(fig, "kl.mc.variance",
       alt="Log-log plot of the variance of the Monte Carlo KL estimate against the sample size: the "
           f"points fall on a straight line of slope {slope:.2f}, on top of the theoretical line "
           "Var/n.",
       caption="The Monte Carlo KL estimator is unbiased and its variance falls as $1/n$: slope $-1$ on "
               f"log-log axes (fitted ${slope:.3f}$). Here $p = \\mathcal{{N}}(0, 1)$, $q = \\mathcal{{N}}(1, 2^2)$.")
