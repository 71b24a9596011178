"""Formula checks for docs/kl.md: KL divergence, Gibbs' inequality, Gaussian closed forms, moments, JSD.

References are independent of the closed forms on the page: KL and JSD of distribution objects come
from scipy (rel_entr, jensenshannon) and torch.distributions; expectations and integrals are
computed by quadrature or Gauss-Hermite rules with their error checked (genmath.formulas.objects).
"""

from __future__ import annotations

import numpy as np

from genmath.formulas import Check, Discrete, Finite, Normal, Reals
from genmath.formulas import objects as ob


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
