"""f-divergences: five members on the chapter's pairs, their generators, and the variational bound."""

import numpy as np
import scipy.stats

import genmath
from genmath.figures import subplots
from genmath.snippet import figure, publish, table

support = np.arange(10)
pairs = {
    "close": ("Bin(9, 0.4) vs Bin(9, 0.5)", scipy.stats.binom(9, 0.4).pmf(support), scipy.stats.binom(9, 0.5).pmf(support)),
    "far": ("Bin(9, 0.2) vs Bin(9, 0.7)", scipy.stats.binom(9, 0.2).pmf(support), scipy.stats.binom(9, 0.7).pmf(support)),
    "nested": ("U{0..4} vs U{0..9}", np.r_[np.full(5, 0.2), np.zeros(5)], np.full(10, 0.1)),
}
members = {"kl": r"$\mathrm{KL}(p\,\|\,q)$", "reverse_kl": r"$\mathrm{KL}(q\,\|\,p)$", "jsd": "JSD", "tv": "TV",
           "chi2": r"$\chi^2(p\,\|\,q)$"}
rows = []
for key, (label, p, q) in pairs.items():
    p, q = p / p.sum(), q / q.sum()
    values = {kind: genmath.f_divergence(p, q, kind) for kind in members}
    # the members are the divergences this site computes elsewhere
    assert abs(values["kl"] - genmath.kl_divergence(p, q)) < 1e-12
    assert values["reverse_kl"] == genmath.kl_divergence(q, p) or abs(values["reverse_kl"] - genmath.kl_divergence(q, p)) < 1e-12
    assert abs(values["jsd"] - genmath.jensen_shannon(p, q)) < 1e-12
    assert abs(values["tv"] - genmath.total_variation(p, q)) < 1e-12
    for kind, value in values.items():
        publish(f"kl.fdiv.{key}.{kind}", value, unit=None if kind in ("tv", "chi2") else "nats")
    rows.append([label, *values.values()])
assert np.isinf(rows[2][2]) and abs(rows[2][5] - 1.0) < 1e-12, "nested pair: KL(q || p) = inf, chi^2(p || q) = 1"
table(["p vs q", "KL(p ‖ q) (nats)", "KL(q ‖ p) (nats)", "JSD (nats)", "TV", "χ²(p ‖ q)"], rows, fmt=".4f")

# The variational bound E_p[T] - E_q[f*(T)] <= D_f(p, q), exact expectations on the "close" pair
_, p, q = pairs["close"]
p, q = p / p.sum(), q / q.sum()
rng = np.random.default_rng(0)
bound_rows = []
for kind, label in members.items():
    member = genmath.F_DIVERGENCES[kind]
    d = genmath.f_divergence(p, q, kind)
    best = member.derivative(p / q)  # the optimal critic f'(p/q)
    at_best = genmath.f_variational_bound(best, best, kind, weights_p=p, weights_q=q)
    worse = best + rng.normal(scale=0.2, size=best.size)
    worse = {"reverse_kl": -np.abs(worse), "tv": np.clip(worse, -0.5, 0.5),
             "jsd": np.minimum(worse, 0.3)}.get(kind, worse)  # stay inside the conjugate's domain
    at_worse = genmath.f_variational_bound(worse, worse, kind, weights_p=p, weights_q=q)
    assert abs(at_best - d) < 1e-12 and at_worse < d
    publish(f"kl.fvar.{kind}.best", at_best)
    publish(f"kl.fvar.{kind}.worse", at_worse)
    bound_rows.append([label, d, at_best, at_worse])
table(["member", "$D_f(p, q)$", "bound at $T = f'(p/q)$", "bound at a perturbed $T$"], bound_rows, fmt=".6f")

t = np.linspace(0.0, 4.0, 401)
fig, ax = subplots(figsize=(4.6, 4.2))
labels = {"kl": r"KL: $t \log t$", "reverse_kl": r"reverse KL: $-\log t$", "jsd": "JSD",
          "tv": r"TV: $\frac{1}{2}|t - 1|$", "chi2": r"$\chi^2$: $(t - 1)^2$"}
with np.errstate(divide="ignore"):
    for kind, label in labels.items():
        ax.plot(t, genmath.F_DIVERGENCES[kind].f(t), label=label)
ax.axvline(1.0, color="C7", linewidth=0.8, linestyle=":")
ax.set_ylim(-0.6, 2.2)
ax.set_xlabel("likelihood ratio $t = p(x)/q(x)$")
ax.set_ylabel("$f(t)$")
fig.legend(loc="outside lower center", ncol=2)
figure(fig, "kl.fdiv.generators",
       alt="The generators f(t) of five f-divergences for t from 0 to 4: t log t, minus log t, the JSD "
           "generator, half of |t - 1| and (t - 1) squared. All are convex and all pass through zero at "
           "t = 1, where p and q agree.",
       caption="Generators of the f-divergences on this page. Each is convex with $f(1) = 0$; $D_f$ averages "
               "$f(p/q)$ under $q$, so it is zero when the likelihood ratio is 1 everywhere.")
