"""Formula checks for docs/kl.md: KL divergence, Gibbs' inequality, Gaussian closed forms, moments, JSD.

References are independent of the closed forms on the page: KL and JSD of distribution objects come
from scipy (rel_entr, jensenshannon) and torch.distributions; expectations and integrals are
computed by quadrature or Gauss-Hermite rules with their error checked (genmath.formulas.objects).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize
import scipy.special
from scipy.spatial.distance import jensenshannon

from genmath.formulas import Check, Density, Discrete, Finite, Normal, Reals
from genmath.formulas import objects as ob
from genmath.formulas.evaluate import LAW


def _probs(rng: np.random.Generator, k: int, zeros: bool = False) -> np.ndarray:
    p = rng.dirichlet(np.full(k, 0.8))
    if zeros and k > 2:
        p[rng.choice(k, size=int(rng.integers(1, k - 1)), replace=False)] = 0.0
        p /= p.sum()
    return p


def _discrete_pair(rng: np.random.Generator) -> dict:
    k = int(rng.integers(2, 7))
    support = list(range(k))
    p = _probs(rng, k, zeros=rng.uniform() < 0.4)
    q = p.copy() if rng.uniform() < 0.2 else _probs(rng, k)  # equality case p = q
    return {"p": Discrete(p, support), "q": Discrete(q, support), "x": Finite(support)}


def _gibbs(rng: np.random.Generator) -> dict:
    """Pairs with p = q, with zeros in p, and (KL = +inf) with q zero where p is not."""
    point = _discrete_pair(rng)
    if rng.uniform() < 0.3:
        q = point["q"].probs.copy()
        q[int(np.argmax(point["p"].probs))] = 0.0
        point["q"] = Discrete(q / q.sum(), point["q"].support)
    return point


def _normal_params(rng: np.random.Generator) -> dict:
    mu_1, mu_2 = rng.normal(scale=2.0, size=2)
    sigma_1, sigma_2 = rng.uniform(0.2, 3.0, size=2)
    if rng.uniform() < 0.2:
        mu_2, sigma_2 = mu_1, sigma_1
    return {"mu_1": mu_1, "mu_2": mu_2, "sigma_1": sigma_1, "sigma_2": sigma_2}


def _continuous(rng: np.random.Generator) -> dict:
    v = _normal_params(rng)
    p = Normal(v["mu_1"], v["sigma_1"] ** 2)
    q = Normal(v["mu_2"], v["sigma_2"] ** 2)
    return {"p": p, "q": q, "x": Reals(points=sorted([v["mu_1"], v["mu_2"]]))}


def _log_ratio(rng: np.random.Generator) -> dict:
    v = _normal_params(rng)
    return {**v, "p": Normal(v["mu_1"], v["sigma_1"] ** 2), "q": Normal(v["mu_2"], v["sigma_2"] ** 2),
            "x": float(rng.normal(scale=2.0))}


def _equal_var(rng: np.random.Generator) -> dict:
    v = _normal_params(rng)
    return {"mu_1": v["mu_1"], "mu_2": v["mu_2"], "sigma": v["sigma_1"]}


def _spd(rng: np.random.Generator, k: int) -> np.ndarray:
    a = rng.normal(size=(k, k))
    return a @ a.T + 0.3 * np.eye(k)


def _mvn(rng: np.random.Generator) -> dict:
    k = int(rng.integers(2, 4))
    mu_p, mu_q = rng.normal(size=(2, k))
    cov_p, cov_q = _spd(rng, k), _spd(rng, k)
    return {"mu_p": mu_p, "mu_q": mu_q, "Sigma_p": cov_p, "Sigma_q": cov_q, "k": k,
            "p": ob.MVN(mu_p, cov_p)}


def _vae_dim(rng: np.random.Generator) -> dict:
    return {"mu": float(rng.normal()), "sigma": float(rng.uniform(0.1, 3.0))}


def _vae(rng: np.random.Generator) -> dict:
    J = int(rng.integers(2, 6))
    return {"mu": rng.normal(size=J), "sigma": rng.uniform(0.2, 2.0, size=J), "J": J}


def _mixture_moments(rng: np.random.Generator) -> dict:
    """The moment-matched Gaussian of an equal mixture, by quadrature of the mixture's moments."""
    mu_1, mu_2 = rng.normal(scale=4.0, size=2)
    sigma_1, sigma_2 = rng.uniform(0.3, 2.0, size=2)
    mix = ob.Mixture([0.5, 0.5], [mu_1, mu_2], [sigma_1**2, sigma_2**2])
    mean = mix.expect(lambda x: x, tol=ob.Tol(1e-12, 1e-12))
    var = mix.expect(lambda x: (x - mean) ** 2, tol=ob.Tol(1e-12, 1e-12))
    return {"mu_1": mu_1, "mu_2": mu_2, "sigma_1": sigma_1, "sigma_2": sigma_2, "muhat": mean,
            "sigmahat": float(np.sqrt(var))}


def _jsd(rng: np.random.Generator) -> dict:
    point = _discrete_pair(rng)
    p, q = point["p"], point["q"]
    point["m"] = Discrete(0.5 * (p.probs + q.probs), p.support)
    return point


CHECKS = {
    "kl-discrete": Check(_discrete_pair),
    "kl-continuous": Check(_continuous, n_points=8, rtol=1e-8, atol=1e-9),
    "kl-gibbs": Check(_gibbs),
    "kl-normal-log-ratio": Check(_log_ratio),
    "kl-normal": Check(lambda rng: _normal_params(rng)),
    "kl-normal-equal-var": Check(_equal_var),
    "kl-mvn-expectations": Check(_mvn, n_points=6, rtol=1e-8, atol=1e-9),
    "kl-mvn": Check(_mvn),
    "kl-vae-dim": Check(_vae_dim),
    "kl-vae": Check(_vae),
    "kl-moment-mean": Check(_mixture_moments, n_points=6, rtol=1e-8, atol=1e-9),
    "kl-moment-var": Check(_mixture_moments, n_points=6, rtol=1e-8, atol=1e-9),
    "kl-jsd": Check(_jsd),
}


# --------------------------------------------------------------------------------------------------
# the chain rule and the data-processing inequality


def _gaussian_joint(rng: np.random.Generator, dx: int, dy: int) -> tuple[np.ndarray, np.ndarray]:
    a = rng.normal(size=(dx + dy, dx + dy))
    return rng.normal(size=dx + dy), a @ a.T + 0.3 * np.eye(dx + dy)


def _joint_pair(rng: np.random.Generator) -> dict:
    """Two joint Gaussians over blocks x and y (of sizes 1 or 2; the cross-covariances non-square), every
    marginal and conditional by Schur complements. Now and then q = p, or q(x, y) = q(x) p(y | x): the
    same conditional, the equality case of the marginal bound."""
    dx, dy = (int(v) for v in rng.integers(1, 3, size=2))
    blocks = {"x": dx, "y": dy}
    mean_p, cov_p = _gaussian_joint(rng, dx, dy)
    u = rng.uniform()
    if u < 0.15:
        mean_q, cov_q = mean_p.copy(), cov_p.copy()
    elif u < 0.35:  # q's own marginal of x, p's conditional of y given x: y = a + B x + noise of covariance C
        b = np.linalg.solve(cov_p[:dx, :dx], cov_p[:dx, dx:]).T
        a_vec = mean_p[dx:] - b @ mean_p[:dx]
        c = cov_p[dx:, dx:] - b @ cov_p[:dx, dx:]
        m, s = _gaussian_joint(rng, dx, 0)
        mean_q = np.concatenate([m, a_vec + b @ m])
        cov_q = np.block([[s, s @ b.T], [b @ s, b @ s @ b.T + c]])
    else:
        mean_q, cov_q = _gaussian_joint(rng, dx, dy)
    return {"p": ob.GaussianModel(blocks, mean_p, cov_p), "q": ob.GaussianModel(blocks, mean_q, cov_q)}


def _channel(rng: np.random.Generator) -> dict:
    """p, q on k outcomes and a channel K (k x m, rows are laws); equality cases: a permutation, p = q."""
    k, m = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    p, q = _probs(rng, k, zeros=rng.uniform() < 0.3), _probs(rng, k)
    u = rng.uniform()
    if u < 0.3:  # an invertible channel: equality; with zeros in p, KL(qK || pK) = inf shows a swap
        channel = np.eye(k)[rng.permutation(k)]
        if u < 0.15:
            p = _probs(rng, k, zeros=True) if k > 2 else np.array([1.0, 0.0])
    else:
        channel = rng.dirichlet(np.full(m, 0.6), size=k)
        if u < 0.25:
            q = p.copy()
    return {"p": p, "q": q, "K": channel}


# --------------------------------------------------------------------------------------------------
# f-divergences and their variational bounds. References: each member's divergence computed directly
# (scipy's rel_entr and jensenshannon, sums of |p - q| and (p - q)^2 / q), and the convex conjugate as a
# numerical supremum, never the closed forms of genmath.F_DIVERGENCES.


def _xlogx(t: float) -> float:
    return float(scipy.special.xlogy(t, t))


_MEMBERS = {  # name: (generator f, divergence of (p, q) computed directly)
    "kl": (_xlogx, lambda p, q: float(np.sum(scipy.special.rel_entr(p, q)))),
    "reverse_kl": (lambda t: -math.log(t) if t > 0 else math.inf,
                   lambda p, q: float(np.sum(scipy.special.rel_entr(q, p)))),
    "jsd": (lambda t: 0.5 * (_xlogx(t) - (t + 1) * math.log((t + 1) / 2)),
            lambda p, q: float(jensenshannon(p, q) ** 2)),
    "tv": (lambda t: 0.5 * abs(t - 1), lambda p, q: 0.5 * float(np.sum(np.abs(p - q)))),
    "chi2": (lambda t: (t - 1) ** 2, lambda p, q: float(np.sum((p - q) ** 2 / q))),
}


def _conjugate(f):
    """f*(u) = sup_{t >= 0} (u t - f(t)), by bounded Brent search on a growing bracket."""
    def fstar(u: float) -> float:
        hi = 10.0
        while True:
            res = scipy.optimize.minimize_scalar(lambda t: -(u * t - f(t)), bounds=(0.0, hi), method="bounded",
                                                 options={"xatol": 1e-13})
            if res.x < 0.9 * hi:
                return max(-float(res.fun), -f(0.0))
            hi *= 10.0
            if hi > 1e8:
                return math.inf  # u outside the conjugate's domain: the supremum is unbounded
    return fstar


def _f_pair(rng: np.random.Generator, p_zeros: bool = True) -> dict:
    """p (maybe with zeros) and q > 0 on k outcomes, a member f and its divergence D_f by another route."""
    k = int(rng.integers(2, 7))
    name = list(_MEMBERS)[int(rng.integers(len(_MEMBERS)))]
    p = _probs(rng, k, zeros=p_zeros and rng.uniform() < 0.3 and name != "reverse_kl")
    q = p.copy() if rng.uniform() < 0.1 and p.min() > 0 else _probs(rng, k)  # q > 0 everywhere
    f, divergence = _MEMBERS[name]
    support = list(range(k))
    return {"p": Discrete(p, support), "q": Discrete(q, support), "x": Finite(support), "f": f,
            "D_f": lambda a, b: divergence(a.probs, b.probs), "@member": name}


def _f_critic(rng: np.random.Generator) -> dict:
    """A critic T on the outcomes: the optimal one f'(p/q) (equality) or a perturbation of it inside the
    conjugate's domain; f* by numerical supremum."""
    point = _f_pair(rng, p_zeros=False)
    name, p, q = point["@member"], point["p"].probs, point["q"].probs
    ratio = p / q
    best = {"kl": 1 + np.log(np.maximum(ratio, 1e-300)), "reverse_kl": -1 / np.maximum(ratio, 1e-12),
            "jsd": 0.5 * np.log(np.maximum(2 * ratio / (ratio + 1), 1e-300)), "tv": 0.5 * np.sign(ratio - 1),
            "chi2": 2 * (ratio - 1)}[name]
    if rng.uniform() < 0.7:
        best = best + rng.normal(scale=float(rng.choice([0.3, 2.0])), size=best.size)
        best = {"reverse_kl": -np.abs(best) - 1e-3, "tv": np.clip(best, -0.5, 0.5),
                "jsd": np.minimum(best, 0.3)}.get(name, best)
    values = dict(enumerate(best))
    point.update({"T": lambda x: float(values[int(x)]), "fstar": _conjugate(point["f"])})
    return point


def _dv_gap(rng: np.random.Generator) -> dict:
    """As for the DV bound, with the tilted law g = q e^T / E_q[e^T] (its definition) as a distribution."""
    point = _dv(rng)
    q, critic = point["q"], point["T"]
    if isinstance(q, Discrete):
        w = np.array([q.pdf(x) * math.exp(critic(x)) for x in q.support])
        point["g"] = Discrete(w / w.sum(), q.support)
    else:
        log_z = math.log(q.expect(lambda x: math.exp(critic(x)), ob.Tol(1e-14, 1e-13)))
        point["g"] = Density(logpdf_fn=lambda x: q.logpdf(x) + critic(x) - log_z, lo=q.lo, hi=q.hi, points=q.points)
    return point


def _density_normal(mean: float, sd: float) -> Density:
    """N(mean, sd^2) as a density on mean +- 30 sd (the mass outside is below 1e-190), for quadrature: a
    Gauss-Hermite rule converges slowly on e^T q when T is itself a narrower Gaussian log-ratio."""
    def logpdf(x: float) -> float:
        return -0.5 * ((x - mean) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)

    return Density(pdf_fn=lambda x: math.exp(logpdf(x)), logpdf_fn=logpdf, lo=mean - 30 * sd, hi=mean + 30 * sd,
                   points=[mean])


def _dv(rng: np.random.Generator) -> dict:
    """p and q discrete, or normal with sigma_p <= sigma_q (so that e^T q stays integrable for the critics
    below); T = log(p/q) + c (DV's equality case), 1 + log(p/q) (NWJ's too), or another quadratic critic."""
    if rng.uniform() < 0.5:
        k = int(rng.integers(2, 7))
        p, q = _probs(rng, k), _probs(rng, k)
        support = list(range(k))
        law_p, law_q = Discrete(p, support), Discrete(q, support)
        other = dict(enumerate(rng.normal(scale=float(rng.choice([1.0, 4.0])), size=k)))
        candidates = [lambda x: math.log(p[int(x)] / q[int(x)]), lambda x: other[int(x)]]
    else:
        mu_p, mu_q = rng.normal(size=2)
        s_p = float(rng.uniform(0.4, 1.5))
        s_q = s_p * float(rng.uniform(1.0, 2.0))
        law_p, law_q = _density_normal(mu_p, s_p), _density_normal(mu_q, s_q)  # quadrature, not Gauss-Hermite
        a, b, c = rng.normal(), rng.normal(scale=0.5), -float(rng.uniform(0.0, 0.5))
        candidates = [lambda x: law_p.logpdf(x) - law_q.logpdf(x), lambda x: a + b * x + c * x * x]
    base = candidates[int(rng.integers(2))]
    shift = float(rng.choice([0.0, 1.0, -3.0, 3.0]))  # DV does not see a shift; NWJ does (1 is its optimum)
    return {"p": law_p, "q": law_q, "T": lambda x: base(x) + shift}


# --------------------------------------------------------------------------------------------------
# Monte Carlo estimators: r = q/p as a function (its definition), expectations exact or Gauss-Hermite


def _ratio_pair(rng: np.random.Generator, q_zeros: bool = False) -> dict:
    """p > 0 and q (with zeros if asked: then KL = inf) on k outcomes, or normal laws with sigma_q <= sigma_p;
    p = q now and then."""
    if rng.uniform() < 0.6:
        k = int(rng.integers(2, 7))
        p = _probs(rng, k)
        q = p.copy() if rng.uniform() < 0.15 else _probs(rng, k, zeros=q_zeros and rng.uniform() < 0.3)
        support = list(range(k))
        law_p, law_q, x = Discrete(p, support), Discrete(q, support), Finite(support)
    else:
        mu_p, mu_q = rng.normal(size=2)
        s_p = float(rng.uniform(0.5, 2.0))
        s_q = s_p * float(rng.uniform(0.5, 1.0))
        law_p, law_q = _density_normal(mu_p, s_p), _density_normal(mu_q, s_q)
        # beyond mu_p +- 30 sigma_p, p underflows and q^2 / p would be 0 / 0 (and is negligible)
        x = ob.Domain(lo=mu_p - 30 * s_p, hi=mu_p + 30 * s_p, points=sorted([mu_p, mu_q]))
    return {"p": law_p, "q": law_q, "x": x, "r": _Ratio(law_q, law_p), LAW: law_p}


class _Ratio(ob.Distribution):
    """r(x) = q(x) / p(x), its definition, kept in log space: the evaluator takes log r(x) from ``logpdf``, so
    it stays exact where r(x) under- or overflows."""

    def __init__(self, num: ob.Distribution, den: ob.Distribution) -> None:
        self.num, self.den = num, den

    def logpdf(self, x) -> float:
        return self.num.logpdf(x) - self.den.logpdf(x)

    def pdf(self, x) -> float:
        return math.exp(self.logpdf(x))


# --------------------------------------------------------------------------------------------------
# practice: distillation, RLHF, and the triangle inequality


def _distillation(rng: np.random.Generator) -> dict:
    k = int(rng.integers(2, 8))
    return {"u": rng.normal(scale=2.0, size=k), "v": rng.normal(scale=2.0, size=k), "T": float(rng.uniform(0.5, 20.0))}


def _rlhf(rng: np.random.Generator, policy: str = "random") -> dict:
    """A reference policy (zeros allowed), rewards, beta, the optimum pi* = softmax(log pi_ref + r / beta)
    and Z; pi a random policy (sometimes pi*, or with mass where pi_ref has none)."""
    k = int(rng.integers(2, 7))
    ref = _probs(rng, k, zeros=rng.uniform() < 0.3)
    reward = rng.normal(scale=2.0, size=k)
    beta = float(rng.uniform(0.1, 5.0))
    with np.errstate(divide="ignore"):
        logits = np.log(ref) + reward / beta
    log_z = float(scipy.special.logsumexp(logits))
    pistar = np.exp(logits - log_z)
    pi = pistar.copy() if rng.uniform() < 0.2 else _probs(rng, k, zeros=rng.uniform() < 0.3)
    support = list(range(1, k + 1))  # responses 1..k
    rewards = dict(zip(support, reward))
    return {"pi": Discrete(pi, support), "pi_ref": Discrete(ref, support), "pistar": Discrete(pistar, support),
            "r": lambda y: float(rewards[int(y)]), "beta": beta, "Z": math.exp(log_z), "z": Finite(support)}


def _rlhf_optimum(rng: np.random.Generator) -> dict:
    """pi* from a numerical maximiser of E_pi[r] - beta KL(pi || pi_ref) over the support of pi_ref (BFGS on
    softmax logits), not from the closed form; y an outcome (possibly one that pi_ref rules out)."""
    point = _rlhf(rng)
    ref, beta = point["pi_ref"].probs, point["beta"]
    reward = np.array([point["r"](y) for y in range(1, ref.size + 1)])
    live = ref > 0

    def negative_objective(w: np.ndarray) -> float:
        pi = scipy.special.softmax(w)
        return -(float(pi @ reward[live]) - beta * float(np.sum(scipy.special.rel_entr(pi, ref[live]))))

    res = scipy.optimize.minimize(negative_objective, np.zeros(int(live.sum())), method="BFGS",
                                  options={"gtol": 1e-12})
    pistar = np.zeros(ref.size)
    pistar[live] = scipy.special.softmax(res.x)
    point["pistar"] = Discrete(pistar, list(range(1, ref.size + 1)))
    point["y"] = int(rng.integers(1, ref.size + 1))
    return point


def _triangle(rng: np.random.Generator) -> dict:
    """Three Gaussians with a common variance and means anywhere (q between p and r, or not); KL by torch."""
    mu_p, mu_q, mu_r = (float(v) for v in rng.normal(scale=2.0, size=3))
    sigma = float(rng.uniform(0.5, 2.0))
    return {"p": Normal(mu_p, sigma**2), "q": Normal(mu_q, sigma**2), "r": Normal(mu_r, sigma**2), "mu_p": mu_p,
            "mu_q": mu_q, "mu_r": mu_r, "sigma": sigma}


CHECKS.update({
    "kl-chain-rule": Check(_joint_pair, n_points=10, rtol=1e-8, atol=1e-9),
    "kl-dpi": Check(_channel),
    "kl-f-divergence": Check(_f_pair),
    "kl-f-variational": Check(_f_critic, rtol=1e-8, atol=1e-9),
    "kl-dv": Check(_dv, n_points=20, rtol=1e-8, atol=1e-9),
    "kl-dv-gap": Check(_dv_gap, n_points=12, rtol=1e-8, atol=1e-9),
    "kl-k3-mean": Check(lambda rng: _ratio_pair(rng, q_zeros=True), n_points=12, rtol=1e-8, atol=1e-9),
    "kl-k2-mean": Check(_ratio_pair, n_points=12, rtol=1e-8, atol=1e-9),
    "kl-chi2-variance": Check(_ratio_pair, n_points=12, rtol=1e-8, atol=1e-9),
    "kl-triangle": Check(_triangle),
    "kl-distillation-gradient": Check(_distillation, rtol=1e-7, atol=1e-9),
    "kl-rlhf-identity": Check(_rlhf),
    "kl-rlhf-optimum": Check(_rlhf_optimum, rtol=1e-6, atol=1e-7),  # the maximiser is good to about 1e-8
})
