"""Formula checks for docs/entropy.md (entropy, differential entropy, cross-entropy)."""

from __future__ import annotations

import math

import numpy as np
import scipy.integrate
import scipy.optimize
import scipy.special
import scipy.stats

import genmath
from genmath.sitebuild.formulas import Check


def _random_distribution(rng: np.random.Generator, k: int) -> np.ndarray:
    return rng.dirichlet(np.full(k, 0.7))


def _surprisal(rng: np.random.Generator) -> dict[str, float]:
    p = _random_distribution(rng, int(rng.integers(2, 9)))
    x = int(rng.integers(0, p.size))
    point_mass = np.eye(p.size)[x]
    # the surprisal of x is the cross-entropy of the point mass at x under p
    return {"I": float(genmath.cross_entropy(point_mass, p)), "px": float(p[x])}


def _entropy_def(rng: np.random.Generator) -> dict[str, float]:
    p = _random_distribution(rng, int(rng.integers(2, 9)))
    return {"H": float(genmath.entropy(p)),
            "E": float(np.dot(p, -np.log(p))),
            "S": float(np.sum(p * np.log(p)))}


def _differential(rng: np.random.Generator) -> dict[str, float]:
    sigma = float(rng.uniform(0.05, 5.0))
    density = scipy.stats.norm(float(rng.normal()), sigma)
    integral, _ = scipy.integrate.quad(lambda x: density.pdf(x) * density.logpdf(x), -np.inf, np.inf,
                                       epsabs=1e-13, epsrel=1e-12)
    return {"h": float(genmath.gaussian_entropy(sigma)), "I": integral}


def _cross_def(rng: np.random.Generator) -> dict[str, float]:
    k = int(rng.integers(2, 8))
    p, q = _random_distribution(rng, k), _random_distribution(rng, k)
    return {"Hpq": float(genmath.cross_entropy(p, q)),
            "E": float(np.dot(p, -np.log(q))),
            "S": float(np.sum(p * np.log(q)))}


def _bits_nats(rng: np.random.Generator) -> dict[str, float]:
    p = _random_distribution(rng, int(rng.integers(2, 9)))
    return {"Hb": float(scipy.stats.entropy(p, base=2)),  # independent: scipy, base 2
            "Hn": float(genmath.entropy(p))}


def _binary(rng: np.random.Generator) -> dict[str, float]:
    p = float(rng.uniform(0.01, 0.99))
    return {"p": p, "hp": float(genmath.binary_entropy(p))}


def _gaussian(rng: np.random.Generator) -> dict[str, float]:
    mu, sigma = float(rng.normal()), float(rng.uniform(0.05, 5.0))
    density = scipy.stats.norm(mu, sigma)
    # h by quadrature of -p log p (independent of the closed form), and E[(x - mu)^2] by quadrature
    h, _ = scipy.integrate.quad(lambda x: -density.pdf(x) * density.logpdf(x), -np.inf, np.inf,
                                epsabs=1e-13, epsrel=1e-12)
    second_moment, _ = scipy.integrate.quad(lambda x: (x - mu) ** 2 * density.pdf(x), -np.inf, np.inf,
                                            epsabs=1e-13, epsrel=1e-12)
    assert abs(h - genmath.gaussian_entropy(sigma)) < 1e-9
    # sympy's LaTeX parser reads \pi as a plain symbol named "pi": give it its value
    return {"h": h, "sigma": sigma, "mu": mu, "V": second_moment, "pi": math.pi}


def _sigma_zero(rng: np.random.Generator) -> dict[str, float]:
    root = scipy.optimize.brentq(lambda s: genmath.gaussian_entropy(s), 0.01, 1.0, xtol=1e-15)
    return {"sigma_0": root, "pi": math.pi}


def _cross(rng: np.random.Generator) -> dict[str, float]:
    k = int(rng.integers(2, 8))
    p, q = _random_distribution(rng, k), _random_distribution(rng, k)
    return {"Hpq": float(genmath.cross_entropy(p, q)),
            "Sq": float(np.sum(p * np.log(q))),
            "Sp": float(np.sum(p * np.log(p))),
            "Skl": float(np.sum(p * np.log(p / q))),
            "Hp": float(genmath.entropy(p)),
            "K": float(genmath.kl_divergence(p, q))}


def _softmax_ce(rng: np.random.Generator) -> dict[str, float]:
    k = int(rng.integers(2, 7))
    z = rng.normal(scale=3.0, size=k)
    y = int(rng.integers(0, k))
    return {"CE": float(genmath.softmax_cross_entropy(z, y)),
            "s_y": float(scipy.special.softmax(z)[y]),
            "z_y": float(z[y]),
            "Z": float(np.sum(np.exp(z)))}


CHECKS = {
    "entropy-surprisal": Check(subs={"I(x)": "I", "p(x)": "px"}, values=_surprisal),
    "entropy-def": Check(
        subs={"H(p)": "H", r"\mathbb{E}_{x \sim p}[-\log p(x)]": "E", r"\sum_x p(x) \log p(x)": "S"},
        values=_entropy_def),
    "entropy-differential": Check(subs={"h(p)": "h", r"\int p(x) \log p(x) \, dx": "I"},
                                  values=_differential, n_points=10),
    "entropy-cross": Check(
        subs={"H(p, q)": "Hpq", r"\mathbb{E}_{x \sim p}[-\log q(x)]": "E", r"\sum_x p(x) \log q(x)": "S"},
        values=_cross_def),
    "entropy-bits-nats": Check(
        subs={r"H_{\text{bits}}(p)": "Hb", r"H_{\text{nats}}(p)": "Hn"}, values=_bits_nats),
    "entropy-binary": Check(subs={"H_b(p)": "hp"}, values=_binary),
    "entropy-gaussian": Check(
        subs={r"h(\mathcal{N}(\mu, \sigma^2))": "h", r"\mathbb{E}[(x-\mu)^2]": "V"},
        values=_gaussian, n_points=10),
    "entropy-sigma-zero": Check(values=_sigma_zero, n_points=3),
    "entropy-cross-decomposition": Check(
        subs={"H(p, q)": "Hpq", r"\sum_x p(x) \log q(x)": "Sq", r"\sum_x p(x) \log p(x)": "Sp",
              r"\sum_x p(x) \log \frac{p(x)}{q(x)}": "Skl", "H(p)": "Hp", r"\KL(p \,\|\, q)": "K"},
        values=_cross),
    "entropy-softmax-ce": Check(
        subs={r"H(\mathbf{e}_y, \mathrm{softmax}(z))": "CE", r"\mathrm{softmax}(z)_y": "s_y",
              r"\sum_{k=1}^K e^{z_k}": "Z"},
        values=_softmax_ce),
}
