"""Formula checks for docs/entropy.md: surprisal, entropy, bits and nats, differential entropy, cross-entropy.

References are computed by other code than the page's expressions: entropies of discrete laws from
``scipy.stats.entropy``, cross-entropies from scipy's ``xlogy``, KL divergences from its ``rel_entr``,
entropies in bits from base-2 logarithms (not a division by log 2), the binary entropy
from ``scipy.stats.bernoulli``, Gaussian entropies from scipy's closed form, and integrals and
expectations by error-checked quadrature (genmath.formulas.objects).
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
import scipy.stats

from genmath.formulas import Check, Discrete, Finite, Normal, Reals
from genmath.formulas.evaluate import LAW


def _probs(rng: np.random.Generator, k: int, zeros: bool = False) -> np.ndarray:
    """A random distribution on k outcomes; with ``zeros``, some outcomes may have probability 0."""
    p = rng.dirichlet(np.full(k, 0.7))
    if zeros and k > 2 and rng.uniform() < 0.4:
        p[rng.choice(k, size=int(rng.integers(1, k - 1)), replace=False)] = 0.0
        p /= p.sum()
    return p


def _pair(rng: np.random.Generator) -> dict:
    """p (possibly with zeros) and a model q of it (q = p now and then), on the support 0..k-1."""
    k = int(rng.integers(2, 8))
    support = list(range(k))
    p = _probs(rng, k, zeros=True)
    q = p.copy() if rng.uniform() < 0.15 and p.min() > 0 else _probs(rng, k)
    return {"p": Discrete(p, support), "q": Discrete(q, support), "x": Finite(support)}


def _surprisal(rng: np.random.Generator) -> dict:
    k = int(rng.integers(2, 8))
    p = _probs(rng, k)
    x = int(rng.choice(k, p=p))
    law = scipy.stats.rv_discrete(values=(np.arange(k), p))
    # I(x): scipy's log-probability of the outcome, negated
    return {"p": Discrete(p, list(range(k))), "x": x, "I": lambda v: -float(law.logpmf(v))}


def _entropy_bits(d: Discrete) -> float:
    """H in bits with base-2 logarithms (0 log 0 = 0), not nats divided by log 2."""
    p = d.probs[d.probs > 0]
    return float(-np.sum(p * np.log2(p)))


def _bits_nats(rng: np.random.Generator) -> dict:
    return {"p": _pair(rng)["p"], "H_bits": _entropy_bits}


def _binary(rng: np.random.Generator) -> dict:
    p = float(rng.choice([0.0, 0.5, 1.0])) if rng.uniform() < 0.2 else float(rng.uniform(0.001, 0.999))
    return {"p": p, "H_b": lambda v: float(scipy.stats.bernoulli(v).entropy())}


def _differential(rng: np.random.Generator) -> dict:
    mu, sigma = float(rng.normal()), float(rng.uniform(0.05, 5.0))  # sigma < 0.242: h < 0
    return {"p": Normal(mu, sigma**2), "x": Reals(points=[mu])}


def _gaussian(rng: np.random.Generator) -> dict:
    mu, sigma = float(rng.normal(scale=2.0)), float(rng.uniform(0.05, 5.0))
    return {"mu": mu, "sigma": sigma, LAW: Normal(mu, sigma**2)}


def _sigma_zero(rng: np.random.Generator) -> dict:
    # the width at which scipy's Gaussian entropy crosses zero, by Brent's method
    root = scipy.optimize.brentq(lambda s: float(scipy.stats.norm(scale=s).entropy()), 0.01, 1.0, xtol=1e-15)
    return {"sigma_0": root}


def _softmax(rng: np.random.Generator) -> dict:
    k = int(rng.integers(2, 7))
    z = rng.normal(scale=3.0, size=k)
    if rng.uniform() < 0.2:
        z[:] = z[0]  # equal logits: the loss is log K whatever the label
    return {"z": z, "y": int(rng.integers(1, k + 1)), "K": k, "bfe": np.eye(k)}  # e_y: row y of I


CHECKS = {
    "entropy-surprisal": Check(_surprisal),
    "entropy-def": Check(_pair),
    "entropy-bits-nats": Check(_bits_nats),
    "entropy-binary": Check(_binary),
    "entropy-differential": Check(_differential, n_points=8, rtol=1e-8, atol=1e-9),
    "entropy-gaussian": Check(_gaussian, n_points=10, rtol=1e-9, atol=1e-10),
    "entropy-sigma-zero": Check(_sigma_zero, n_points=1, rtol=1e-12),
    "entropy-cross": Check(_pair),
    "entropy-cross-decomposition": Check(_pair),
    "entropy-softmax-ce": Check(_softmax),
}
