"""Schulman's estimators k1, k2, k3 of KL(p || q) from samples of p: exact bias and spread by quadrature,
measured by simulation, and the case where k3 has infinite variance."""

import itertools
import math

import numpy as np
import scipy.stats

import genmath
from genmath.figures import subplots
from genmath.numerics import integrate
from genmath.snippet import figure, publish, table

pairs = {  # (mu_p, sigma_p, mu_q, sigma_q)
    "close": (0.0, 1.0, 0.1, 1.0),   # Schulman's example: p, q nearly equal
    "wide": (0.0, 1.0, 1.0, 2.0),    # the pair of the Monte Carlo section: q wider than p
    "narrow": (1.0, 2.0, 0.0, 1.0),  # the same pair, reversed: q narrower than p
}


def moment(p, q, name, power):
    """E_p[k^power] for the estimator `name`, by adaptive quadrature over mean +- 40 sd (error checked)."""
    def integrand(v):
        terms = genmath.kl_estimator_terms(p.logpdf(np.atleast_1d(v)), q.logpdf(np.atleast_1d(v)))
        return p.pdf(v) * getattr(terms, name)[0] ** power

    mean, sd = float(p.mean()), float(p.std())
    return integrate(integrand, mean - 40 * sd, mean + 40 * sd, name=f"E_p[{name}^{power}]",
                     points=[mean, float(q.mean())], rtol=1e-10, atol=1e-14, limit=400)


rng = np.random.default_rng(0)
n = publish("kl.k.n", 100_000)
rows = []
for key, (mu_p, s_p, mu_q, s_q) in pairs.items():
    p, q = scipy.stats.norm(mu_p, s_p), scipy.stats.norm(mu_q, s_q)
    kl = publish(f"kl.k.{key}.kl", genmath.kl_normal(mu_p, s_p, mu_q, s_q), unit="nats")

    # Var_p[k3] is finite iff E_p[r^2] = int q^2/p < inf, i.e. iff sigma_q^2 < 2 sigma_p^2 (Gaussians)
    k3_finite = s_q**2 < 2 * s_p**2
    publish(f"kl.k.{key}.k3_finite", bool(k3_finite))
    draws = genmath.kl_estimator_terms(p.logpdf(x := p.rvs(size=n, random_state=rng)), q.logpdf(x))
    for name in ("k1", "k2", "k3"):
        mean = moment(p, q, name, 1)
        std = math.sqrt(moment(p, q, name, 2) - mean**2) if (name != "k3" or k3_finite) else math.inf
        sample = getattr(draws, name)
        mc, se = float(sample.mean()), float(sample.std(ddof=1) / math.sqrt(n))
        publish(f"kl.k.{key}.{name}_bias", mean - kl, unit="nats")
        publish(f"kl.k.{key}.{name}_std", std, unit="nats")
        publish(f"kl.k.{key}.{name}_rel_std", std / kl)
        publish(f"kl.k.{key}.{name}_mc", mc, unit="nats")
        publish(f"kl.k.{key}.{name}_se", se, unit="nats")
        if math.isfinite(std):
            assert abs(mc - mean) < 5 * std / math.sqrt(n), "the simulation agrees with the quadrature"
        if name in ("k1", "k3"):
            assert abs(mean - kl) < 1e-9 * max(1.0, kl), "k1 and k3 are unbiased (q << p here)"
        rows.append([key, kl, name, mean - kl, std, std / kl, mc, se])
stats = {(r[0], r[2]): r for r in rows}
assert stats["narrow", "k3"][4] < stats["narrow", "k1"][4], "k3 beats k1 on the narrow pair"
assert stats["narrow", "k2"][3] > stats["narrow", "k2"][1], "k2's bias exceeds the KL on the narrow pair"
assert stats["close", "k3"][4] < stats["close", "k1"][4] / 10
table(["pair", "KL (nats)", "estimator", "bias (nats)", "std (nats)", "std / KL", f"mean of {n} draws (nats)",
       "its standard error (nats)"], rows, fmt=".4g")

# The infinite variance: E_p[k3^2] over |x - mu_p| <= L keeps growing, like e^{L^2/4} (its integrand does)
mu_p, s_p, mu_q, s_q = pairs["wide"]
p, q = scipy.stats.norm(mu_p, s_p), scipy.stats.norm(mu_q, s_q)
truncated = []
for half in (5, 10, 15, 20):
    value = integrate(lambda v: p.pdf(v) * genmath.kl_estimator_terms(p.logpdf([v]), q.logpdf([v])).k3[0] ** 2,
                      -half, half, name=f"E_p[k3^2] on [-{half}, {half}]", points=[0.0, 1.0], limit=400)
    truncated.append(value)
    publish(f"kl.k.wide.k3_second_moment_{half}", value, unit="nats²")
assert all(b > 100 * a for a, b in itertools.pairwise(truncated[1:]))

# One long run: the running sample standard deviation of k1 settles, that of k3 keeps jumping up
x = p.rvs(size=1_000_000, random_state=np.random.default_rng(1))
draws = genmath.kl_estimator_terms(p.logpdf(x), q.logpdf(x))
checkpoints = np.unique(np.geomspace(100, x.size, 60).astype(int))


def running_std(values):
    c1, c2 = np.cumsum(values), np.cumsum(values**2)
    k = checkpoints
    return np.sqrt((c2[k - 1] - c1[k - 1] ** 2 / k) / (k - 1))


std_k1, std_k3 = running_std(draws.k1), running_std(draws.k3)
publish("kl.k.run_n", int(x.size))
publish("kl.k.run_k3_std_first", float(std_k3[0]), unit="nats")
publish("kl.k.run_k3_std_last", float(std_k3[-1]), unit="nats")
publish("kl.k.run_k3_max", float(draws.k3.max()), unit="nats")
fig, ax = subplots(figsize=(4.8, 3.2))
ax.loglog(checkpoints, std_k1, label="$k_1$")
ax.loglog(checkpoints, std_k3, label="$k_3$")
ax.axhline({r[2]: r[4] for r in rows if r[0] == "wide"}["k1"], color="C0", linestyle="--", linewidth=1.0)
ax.set_xlabel("number of draws $n$")
ax.set_ylabel("sample std (nats)")
ax.legend(loc="upper left")
figure(fig, "kl.k.running_std",
       alt="Running sample standard deviations of k1 and k3 over one run of {{ kl.k.run_n:, }} draws from N(0, 1), "
           "with q = N(1, 4), on log-log axes. The k1 curve settles on its exact value (dashed); the k3 curve jumps "
           "upwards whenever a draw lands far in the tail, from {{ kl.k.run_k3_std_first:.3f }} nats after 100 "
           "draws to {{ kl.k.run_k3_std_last:.3f }} nats after {{ kl.k.run_n:, }}.",
       caption="When q is more than √2 times wider than p, k3 has infinite variance: its sample standard "
               "deviation never settles, so an error bar computed from it means nothing.")
