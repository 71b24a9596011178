"""Formula checks for docs/gan.md: the value function, the optimal discriminator and the JSD.

The references share no code with genmath, and none computes the displayed expression itself:

- V(D, G) is integrated by quadrature along the other route than the formula's: over x with the law
  of G(z) where the formula averages over z, and over the noise z where the formula integrates over x.
- The optimal discriminator D*_G and C(G) = max_D V(D, G) come from maximising V over the
  discriminators D = sigmoid(t0 + t1 x + t2 x^2) by Newton's method (V by the trapezoidal rule). For
  two normal densities this family contains the optimum, so its maximum is max_D V; Proposition 1 and
  Theorem 1 of Goodfellow et al. (2014) are what the formulas state, not what the check uses.
- P(y = 1 | x) of a pooled sample: Bayes' rule in log space (scipy.special.softmax of the log joint).
- The JSD estimate implied by D: the Barber-Agakov lower bound on the mutual information between a
  pooled sample and its label, with D as the model of the label.
- JSD and KL of densities: quadrature of their definitions (genmath.formulas.objects, error estimate
  checked); of discrete laws: scipy.spatial.distance.jensenshannon and scipy.special.rel_entr.
- W_1 of point clouds: scipy.stats.wasserstein_distance_nd (an optimal transport solver).
- Derivatives (f', f'', the generator losses' gradients): the evaluator's Richardson differences.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special
import scipy.stats

from genmath.formulas import Check, Density, Discrete, Function, Lazy, Table
from genmath.formulas import objects as ob

# --------------------------------------------------------------------------------------------------
# densities on the real line


_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _normal(mean: float, sd: float, lo: float | None = None, hi: float | None = None) -> Density:
    """N(mean, sd^2) on [lo, hi], by default mean +- 20 sd (the mass outside is below 1e-88); its
    log-density is written out because scipy.stats costs a hundred times more per point, and
    quadrature needs thousands."""
    def logpdf(x: float) -> float:
        return -0.5 * ((x - mean) / sd) ** 2 - math.log(sd) - _LOG_SQRT_2PI

    lo, hi = mean - 20 * sd if lo is None else lo, mean + 20 * sd if hi is None else hi
    return Density(pdf_fn=lambda x: math.exp(logpdf(x)), logpdf_fn=logpdf, lo=lo, hi=hi, points=[mean])


_STANDARD = _normal(0.0, 1.0)


def _laplace(loc: float, scale: float) -> Density:
    """Laplace(loc, scale) on loc +- 200 scales."""
    def logpdf(x: float) -> float:
        return -abs(x - loc) / scale - math.log(2 * scale)

    return Density(pdf_fn=lambda x: math.exp(logpdf(x)), logpdf_fn=logpdf, lo=loc - 200 * scale,
                   hi=loc + 200 * scale, points=[loc])


def _uniform(lo: float, hi: float) -> Density:
    return Density(pdf_fn=lambda x: 1.0 / (hi - lo) if lo <= x <= hi else 0.0, lo=lo, hi=hi, points=[lo, hi])


def _mixture(rng: np.random.Generator) -> Density:
    """0.4 N(m1, s1^2) + 0.6 N(m2, s2^2)."""
    (m1, m2), (s1, s2) = rng.uniform(-2, 2, size=2), rng.uniform(0.4, 1.0, size=2)
    a, b = _normal(m1, s1), _normal(m2, s2)
    return Density(pdf_fn=lambda x: 0.4 * a.pdf(x) + 0.6 * b.pdf(x), lo=min(a.lo, b.lo), hi=max(a.hi, b.hi),
                   points=sorted([m1, m2]))


def _average(p: Density, q: Density) -> Density:
    """m = (p + q) / 2, the density of a pooled sample (its pdf from the two pdfs)."""
    return Density(pdf_fn=lambda x: 0.5 * (p.pdf(x) + q.pdf(x)), lo=min(p.lo, q.lo), hi=max(p.hi, q.hi),
                   points=sorted({*p.points, *q.points}))


def _pair(rng: np.random.Generator, kinds: tuple[str, ...]) -> tuple[Density, Density, Function]:
    """(p_data, p_g, G) of a random kind: two normals, equal normals, Laplace/normal, mixture/normal
    (p_g is the law of the affine generator G(z) = mu + s z, z ~ N(0, 1)), or two uniforms with
    disjoint supports (G is then None)."""
    kind = kinds[int(rng.integers(len(kinds)))]
    mu, s = rng.uniform(-1, 1), rng.uniform(0.5, 2.0)
    G = Function(lambda z: mu + s * z, lambda x: (x - mu) / s)
    if kind == "equal":
        return _normal(mu, s), _normal(mu, s), G
    if kind == "disjoint":
        lo = rng.uniform(-1, 1)
        return _uniform(lo, lo + 1.0), _uniform(lo + 1.5, lo + 2.0), None
    if kind == "laplace":
        return _laplace(rng.uniform(-1, 1), rng.uniform(0.5, 1.0)), _normal(mu, s), G
    if kind == "mixture":
        return _mixture(rng), _normal(mu, s), G
    return _normal(rng.uniform(-1, 1), rng.uniform(0.5, 2.0)), _normal(mu, s), G


class _Logistic:
    """A discriminator D(x) = sigmoid(logit(x)), with log D and log(1 - D) in log space."""

    def __init__(self, logit) -> None:
        self.logit = logit

    def __call__(self, x: float) -> float:
        return float(scipy.special.expit(self.logit(x)))


def _log_d(D, x: float, weight: float) -> float:
    """weight * log D(x), 0 where the weight is 0 (log-sigmoid of the logit when D has one)."""
    if weight == 0:
        return 0.0
    if isinstance(D, _Logistic):
        return weight * float(scipy.special.log_expit(D.logit(x)))
    return weight * math.log(D(x))


def _log_not_d(D, x: float, weight: float) -> float:
    """weight * log(1 - D(x)), the same way."""
    if weight == 0:
        return 0.0
    if isinstance(D, _Logistic):
        return weight * float(scipy.special.log_expit(-D.logit(x)))
    return weight * math.log1p(-D(x))


def _discriminator(rng: np.random.Generator) -> _Logistic:
    """A suboptimal discriminator D(x) = sigmoid(alpha x + beta)."""
    alpha, beta = rng.uniform(-0.5, 0.5), rng.uniform(-1, 1)
    return _Logistic(lambda x: alpha * x + beta)


# --------------------------------------------------------------------------------------------------
# references


def _quad(g, lo: float = -math.inf, hi: float = math.inf, points=()) -> float:
    return ob.quad(g, lo, hi, points=points, tol=ob.Tol(1e-12, 1e-11))


def _value_over_x(p_data: Density):
    """V(D, G) = E_data[log D] + E_{G(z)}[log(1 - D)], both integrated over x; the law of G(z) for an
    affine G is N(G(0), (G(1) - G(0))^2)."""
    def value(D, G) -> float:
        loc, scale = G(0.0), abs(G(1.0) - G(0.0))
        p_g = _normal(loc, scale)
        return _quad(lambda x: _log_d(D, x, p_data.pdf(x)) + _log_not_d(D, x, p_g.pdf(x)),
                     min(p_data.lo, p_g.lo), max(p_data.hi, p_g.hi), [*p_data.points, loc])
    return value


def _value_over_z(p_data: Density):
    """V(D, G) with the generator's term integrated over the noise z ~ N(0, 1)."""
    def value(D, G) -> float:
        data = _quad(lambda x: _log_d(D, x, p_data.pdf(x)), p_data.lo, p_data.hi, p_data.points)
        noise = _quad(lambda z: _log_not_d(D, G(z), _STANDARD.pdf(z)), _STANDARD.lo, _STANDARD.hi, [0.0])
        return data + noise
    return value


def _best_discriminator(mu_p: float, sd_p: float, mu_g: float, sd_g: float) -> tuple[_Logistic, float]:
    """max_D V(D, G) over D = sigmoid(t0 + t1 x + t2 x^2), for p_data = N(mu_p, sd_p^2) and
    p_g = N(mu_g, sd_g^2), by Newton's method on the concave V.

    V and its derivatives are integrals of smooth, Gaussian-tailed functions, computed by the
    trapezoidal rule on a fine grid over +-14 standard deviations (exponentially accurate for such
    integrands; the mass outside is below 1e-40). Returns the maximiser as a function of x and the
    maximum C(G)."""
    x = np.arange(min(mu_p - 14 * sd_p, mu_g - 14 * sd_g), max(mu_p + 14 * sd_p, mu_g + 14 * sd_g), 0.004)
    w_p = scipy.stats.norm.pdf(x, mu_p, sd_p) * 0.004  # quadrature weights times the densities
    w_g = scipy.stats.norm.pdf(x, mu_g, sd_g) * 0.004
    features = np.stack([np.ones_like(x), x, x * x], axis=1)  # (grid, 3)
    theta = np.zeros(3)
    for _ in range(100):
        d = scipy.special.expit(features @ theta)
        grad = features.T @ (w_p * (1 - d) - w_g * d)
        hess = -(features.T * ((w_p + w_g) * d * (1 - d))) @ features
        step = np.linalg.solve(hess, grad)
        theta = theta - step
        if np.max(np.abs(step)) < 1e-14 * (1 + np.max(np.abs(theta))):
            break
    logit = features @ theta
    value = float(w_p @ scipy.special.log_expit(logit) + w_g @ scipy.special.log_expit(-logit))
    t0, t1, t2 = theta
    return _Logistic(lambda x: t0 + t1 * x + t2 * x * x), value


def _normal_pair(rng: np.random.Generator) -> tuple[float, float, float, float]:
    mu_p, mu_g = rng.uniform(-1, 1, size=2)
    sd_p, sd_g = rng.uniform(0.6, 1.8, size=2)
    if rng.uniform() < 0.2:  # p_g = p_data: C(G) = -log 4, JSD = 0, D* = 1/2
        mu_g, sd_g = mu_p, sd_p
    return mu_p, sd_p, mu_g, sd_g


def _overlapping_pair(rng: np.random.Generator) -> tuple[Density, Density, tuple[float, float, float, float]]:
    """Two normal densities on the interval where both have all but 1e-15 of their mass (+- 8 sd),
    drawn again until |log p_data - log p_g| <= 30 there, so that D*_G and 1 - D*_G stay far from
    0 in floating point and a wrong edit's log(1 - D*_G) is a number, not log 0."""
    while True:
        mu_p, sd_p, mu_g, sd_g = params = _normal_pair(rng)
        lo, hi = min(mu_p - 8 * sd_p, mu_g - 8 * sd_g), max(mu_p + 8 * sd_p, mu_g + 8 * sd_g)
        p_data, p_g = _normal(mu_p, sd_p, lo, hi), _normal(mu_g, sd_g, lo, hi)
        if max(abs(p_data.logpdf(x) - p_g.logpdf(x)) for x in np.linspace(lo, hi, 201)) <= 30:
            return p_data, p_g, params


def _posterior(p_data: Density, p_g: Density):
    """P(y | x) for y ~ Bern(1/2), x | y=1 ~ p_data, x | y=0 ~ p_g: softmax of the log joint."""
    def law(x: float) -> Discrete:
        logits = [math.log(0.5) + p_g.logpdf(x), math.log(0.5) + p_data.logpdf(x)]
        return Discrete(scipy.special.softmax(logits), support=[0, 1])
    return law


# --------------------------------------------------------------------------------------------------
# points


def _value(rng: np.random.Generator, route: str) -> dict:
    p_data, p_g, G = _pair(rng, ("normal", "laplace", "mixture"))
    V = _value_over_x(p_data) if route == "x" else _value_over_z(p_data)
    point = {"V": V, "D": _discriminator(rng), "G": G, "p_data": p_data, "p_g": p_g, "p_z": _STANDARD}
    if route == "x":  # the variables are bound; free after a wrong edit, they are these numbers
        return {**point, "x": float(rng.normal()), "z": float(rng.normal())}
    return {**point, "x": _average(p_data, p_g).domain}


def _label_posterior(rng: np.random.Generator) -> dict:
    p_data, p_g, G = _pair(rng, ("normal", "laplace", "mixture", "equal"))
    posterior = _posterior(p_data, p_g)
    pooled = Table({"y|x": posterior, "x|y": lambda y: p_data if y == 1 else p_g})
    return {"pi": lambda x: posterior(x).pdf(1), "P": pooled, "p_data": p_data, "p_g": p_g, "G": G,
            "m": _average(p_data, p_g), "x": float(rng.uniform(-2, 2))}


def _bce(rng: np.random.Generator) -> dict:
    point = _label_posterior(rng)
    p_data, p_g = point["p_data"], point["p_g"]

    def loss(D) -> float:  # binary cross-entropy: label 1 on the data plus label 0 on the samples
        return -(_quad(lambda x: _log_d(D, x, p_data.pdf(x)), p_data.lo, p_data.hi, p_data.points)
                 + _quad(lambda x: _log_not_d(D, x, p_g.pdf(x)), p_g.lo, p_g.hi, p_g.points))

    return {**point, "calL_D": loss, "V": _value_over_z(p_data), "D": _discriminator(rng)}


def _pointwise(rng: np.random.Generator) -> dict:
    """f(y): the log-likelihood of a label y ~ Bern(D) for a data point (weight a = p_data(x)) and a
    sample (weight b = p_g(x)), from scipy.stats.bernoulli; f' and f'' are the evaluator's derivatives."""
    p_data, p_g, _ = _pair(rng, ("normal", "laplace", "mixture"))
    x = float(rng.uniform(-2, 2))
    a, b = p_data.pdf(x), p_g.pdf(x)
    if rng.uniform() < 0.2:  # a density may vanish: f is still strictly concave
        a, b = (0.0, b) if rng.uniform() < 0.5 else (a, 0.0)
    def f(y: float) -> float:
        return a * scipy.stats.bernoulli.logpmf(1, y) + b * scipy.stats.bernoulli.logpmf(0, y)
    return {"f": Function(f), "a": a, "b": b, "y": float(rng.uniform(0.05, 0.95))}


def _optimal(rng: np.random.Generator) -> dict:
    """D*_G from maximising V, at a point x; two normal densities (equal ones included)."""
    mu_p, sd_p, mu_g, sd_g = _normal_pair(rng)
    d_star, _ = _best_discriminator(mu_p, sd_p, mu_g, sd_g)
    return {"Dstar_G": d_star, "p_data": _normal(mu_p, sd_p), "p_g": _normal(mu_g, sd_g),
            "x": float(rng.uniform(-2, 2))}


def _jsd_def(rng: np.random.Generator) -> dict:
    k = int(rng.integers(2, 8))
    P, Q = rng.dirichlet(np.full(k, 0.7), size=2)
    if rng.uniform() < 0.3:  # zeros in one of the two
        P[rng.integers(k)] = 0.0
        P /= P.sum()
    if rng.uniform() < 0.2:
        Q = P.copy()
    return {"P": Discrete(P), "Q": Discrete(Q), "M": Discrete(0.5 * (P + Q))}


def _optimum(rng: np.random.Generator) -> dict:
    """C(G) = max_D V(D, G), the maximiser D*_G, the densities and their average (G is only a name)."""
    return _optimum_of_pair(rng)[0]


def _optimum_of_pair(rng: np.random.Generator) -> tuple[dict, tuple[float, float, float, float]]:
    p_data, p_g, params = _overlapping_pair(rng)
    d_star, c = _best_discriminator(*params)
    m = _average(p_data, p_g)
    return {"C": lambda G: c, "G": "the generator", "Dstar_G": d_star, "p_data": p_data, "p_g": p_g, "m": m,
            "x": m.domain}, params


def _pooled(rng: np.random.Generator) -> dict:
    """The optimum of _optimum, with a suboptimal discriminator D (or D = D*_G), the JSD of the pair
    (its own name JSD_D too, for an edit that drops the hat), and the JSD estimate implied by D.

    The estimate's reference is the variational lower bound on the mutual information between a
    pooled sample and its label with D as the model of the label (Barber & Agakov 2003): the label's
    entropy (scipy.stats.entropy) minus the expected log-loss of D on the pooled sample (quadrature).
    """
    point, (_, _, mu_g, sd_g) = _optimum_of_pair(rng)
    p_data, p_g, m = point["p_data"], point["p_g"], point["m"]
    D = point["Dstar_G"] if rng.uniform() < 0.2 else _discriminator(rng)
    log_loss = -0.5 * (_quad(lambda x: _log_d(D, x, p_data.pdf(x)), p_data.lo, p_data.hi, p_data.points)
                       + _quad(lambda x: _log_not_d(D, x, p_g.pdf(x)), p_g.lo, p_g.hi, p_g.points))
    jsd = ob.jsd(p_data, p_g, ob.Tol(1e-12, 1e-11))
    return {**point, "D": D, "G": Function(lambda z: mu_g + sd_g * z), "V": _value_over_z(p_data),
            "JSDhat_D": float(scipy.stats.entropy([0.5, 0.5])) - log_loss, "JSD_D": jsd, "x": m.domain}


def _bounds(rng: np.random.Generator) -> dict:
    """Pairs of every kind, with the two equality cases: p_g = p_data (JSD = 0) and disjoint supports
    (JSD = log 2)."""
    p_data, p_g, _ = _pair(rng, ("normal", "equal", "disjoint", "laplace", "mixture"))
    return {"p_data": p_data, "p_g": p_g}


def _segments(rng: np.random.Generator) -> dict:
    """P_0 and P_theta: the laws of (0, Z) and (theta, Z), Z ~ U[0, 1], theta != 0, as densities with
    respect to length on the union of the two segments, parametrised by u in [0, 2): u < 1 is the point
    (0, u), u >= 1 the point (theta, u - 1)."""
    theta = float(rng.choice([-1, 1]) * rng.uniform(0.05, 3.0))
    on_first = Density(pdf_fn=lambda u: 1.0 if 0 <= u < 1 else 0.0, lo=0.0, hi=2.0, points=[1.0])
    on_second = Density(pdf_fn=lambda u: 1.0 if 1 <= u <= 2 else 0.0, lo=0.0, hi=2.0, points=[1.0])
    return {"P_0": on_first, "P_theta": on_second, "theta": theta}


def _clouds(rng: np.random.Generator) -> dict:
    """P_0 and P_theta as n equally weighted atoms (0, z_i) and (theta, z_i), z_i the quantiles of
    U[0, 1]; W_1 from scipy's optimal transport solver."""
    theta = float(rng.choice([-1, 1]) * rng.uniform(0.05, 3.0))
    n = int(rng.integers(3, 15))
    z = (np.arange(n) + 0.5) / n
    return {"W_1": scipy.stats.wasserstein_distance_nd, "theta": theta, "P_0": np.column_stack([0 * z, z]),
            "P_theta": np.column_stack([np.full_like(z, theta), z])}


def _generator_loss(kind: str):
    """The logit ell, D = sigmoid(ell) and the loss as a function of D: log(1 - D) (saturating) or
    -log D (non-saturating); sigma is the sigmoid (scipy.special.expit)."""
    def values(rng: np.random.Generator) -> dict:
        loss = (lambda s: math.log1p(-s["D"])) if kind == "sat" else (lambda s: -math.log(s["D"]))
        # D <= 0.9 for the saturating loss: the derivative's steps in D stay far from log(1 - D)'s pole
        ell = float(rng.uniform(-6, 2.2)) if kind == "sat" else float(rng.uniform(-6, 6))
        return {"ell": ell, "D": Lazy(lambda s: float(scipy.special.expit(s["ell"]))),
                f"calL_{kind}": Lazy(loss), "sigma": scipy.special.expit}
    return values


CHECKS = {
    "gan-value": Check(lambda rng: _value(rng, "x"), n_points=6, rtol=1e-8, atol=1e-10),
    "gan-value-x": Check(lambda rng: _value(rng, "z"), n_points=6, rtol=1e-8, atol=1e-10),
    "gan-label-posterior": Check(_label_posterior, n_points=25),
    "gan-bce": Check(_bce, n_points=5, rtol=1e-8, atol=1e-10),
    "gan-pointwise-derivatives": Check(_pointwise, n_points=25, rtol=1e-7, atol=1e-8),
    "gan-optimal-d": Check(_optimal, n_points=25),
    "gan-logit": Check(_optimal, n_points=25),
    "gan-jsd-def": Check(_jsd_def, n_points=25),
    "gan-cg-derivation": Check(_optimum, n_points=6, rtol=1e-8, atol=1e-10),
    "gan-cg": Check(_optimum, n_points=8, rtol=1e-8, atol=1e-10),
    "gan-jsd-pooled": Check(_optimum, n_points=6, rtol=1e-8, atol=1e-10),
    "gan-jsd-mi": Check(_optimum, n_points=6, rtol=1e-8, atol=1e-10),
    "gan-jsd-bounds": Check(_bounds, n_points=10, rtol=1e-8, atol=1e-10),
    "gan-jsd-disjoint": Check(_segments, n_points=5),
    "gan-w1-shift": Check(_clouds, n_points=10),
    "gan-grad-sat": Check(_generator_loss("sat"), n_points=25, rtol=1e-7, atol=1e-9),
    "gan-grad-ns": Check(_generator_loss("ns"), n_points=25, rtol=1e-7, atol=1e-9),
    "gan-jsd-estimate": Check(_pooled, n_points=6, rtol=1e-8, atol=1e-10),
    "gan-jsd-gap": Check(_pooled, n_points=6, rtol=1e-8, atol=1e-10),
}
