"""Formula checks for docs/kl.md (KL divergence, Gaussian closed forms, moment matching, JSD)."""

from __future__ import annotations

import numpy as np
import scipy.integrate
import scipy.special
import scipy.stats

import genmath
from genmath.sitebuild.formulas import Check


def _pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    k = int(rng.integers(2, 8))
    return rng.dirichlet(np.full(k, 0.8)), rng.dirichlet(np.full(k, 0.8))


def _discrete(rng: np.random.Generator) -> dict[str, float]:
    p, q = _pair(rng)
    return {"K": float(genmath.kl_divergence(p, q)), "S": float(np.sum(p * np.log(p / q)))}


def _continuous(rng: np.random.Generator) -> dict[str, float]:
    mu_1, mu_2 = rng.normal(size=2)
    sigma_1, sigma_2 = rng.uniform(0.3, 3.0, size=2)
    p, q = scipy.stats.norm(mu_1, sigma_1), scipy.stats.norm(mu_2, sigma_2)
    integral, _ = scipy.integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), -np.inf, np.inf,
                                       epsabs=1e-13, epsrel=1e-12)
    # E_p[log p - log q] by Gauss-Hermite quadrature: exact, since the log-ratio is quadratic in x
    nodes, weights = np.polynomial.hermite_e.hermegauss(8)
    x = mu_1 + sigma_1 * nodes
    expectation = float(np.sum(weights * (p.logpdf(x) - q.logpdf(x))) / np.sqrt(2 * np.pi))
    return {"K": float(genmath.kl_normal(mu_1, sigma_1, mu_2, sigma_2)), "I": integral, "Ep": expectation}


def _normal(rng: np.random.Generator) -> dict[str, float]:
    mu_1, mu_2 = rng.normal(scale=2.0, size=2)
    sigma_1, sigma_2 = rng.uniform(0.2, 3.0, size=2)
    return {"mu_1": mu_1, "mu_2": mu_2, "sigma_1": sigma_1, "sigma_2": sigma_2,
            "K": float(genmath.kl_normal(mu_1, sigma_1, mu_2, sigma_2))}


def _normal_log_ratio(rng: np.random.Generator) -> dict[str, float]:
    mu_1, mu_2, x = rng.normal(scale=2.0, size=3)
    sigma_1, sigma_2 = rng.uniform(0.2, 3.0, size=2)
    log_ratio = scipy.stats.norm.logpdf(x, mu_1, sigma_1) - scipy.stats.norm.logpdf(x, mu_2, sigma_2)
    return {"mu_1": mu_1, "mu_2": mu_2, "sigma_1": sigma_1, "sigma_2": sigma_2, "x": x, "R": float(log_ratio)}


def _normal_equal_var(rng: np.random.Generator) -> dict[str, float]:
    mu_1, mu_2 = rng.normal(scale=2.0, size=2)
    sigma = float(rng.uniform(0.2, 3.0))
    return {"mu_1": mu_1, "mu_2": mu_2, "sigma": sigma,
            "K": float(genmath.kl_normal(mu_1, sigma, mu_2, sigma))}


def _spd(rng: np.random.Generator, k: int) -> np.ndarray:
    a = rng.normal(size=(k, k))
    return a @ a.T + 0.3 * np.eye(k)


def _mvn(rng: np.random.Generator) -> dict[str, float]:
    k = int(rng.integers(1, 6))
    mu_p, mu_q = rng.normal(size=(2, k))
    cov_p, cov_q = _spd(rng, k), _spd(rng, k)
    inv_q = np.linalg.inv(cov_q)  # explicit inverse: an independent reference for the terms
    d = mu_q - mu_p
    return {"K": float(genmath.kl_mvn(mu_p, cov_p, mu_q, cov_q)),
            "T": float(np.trace(inv_q @ cov_p)),
            "M": float(d @ inv_q @ d),
            "L": float(np.linalg.slogdet(cov_q)[1] - np.linalg.slogdet(cov_p)[1]),
            "k": k}


def _vae_dim(rng: np.random.Generator) -> dict[str, float]:
    mu, sigma = float(rng.normal()), float(rng.uniform(0.1, 3.0))
    return {"mu": mu, "sigma": sigma,
            "K": float(genmath.kl_standard_normal([mu], [2 * np.log(sigma)]))}


def _vae(rng: np.random.Generator) -> dict[str, float]:
    J = int(rng.integers(1, 10))
    mu, log_var = rng.normal(size=(2, J))
    return {"K": float(genmath.kl_standard_normal(mu, log_var)),
            "S": float(np.sum(1 + log_var - mu**2 - np.exp(log_var)))}


def _mixture_moments(rng: np.random.Generator) -> dict[str, float]:
    mu_1, mu_2 = rng.normal(scale=4.0, size=2)
    sigma_1, sigma_2 = rng.uniform(0.3, 2.0, size=2)

    def pdf(x: float) -> float:
        return 0.5 * scipy.stats.norm.pdf(x, mu_1, sigma_1) + 0.5 * scipy.stats.norm.pdf(x, mu_2, sigma_2)

    lo = min(mu_1, mu_2) - 40.0
    hi = max(mu_1, mu_2) + 40.0
    opts = {"points": sorted([mu_1, mu_2]), "limit": 200, "epsabs": 1e-13, "epsrel": 1e-12}
    mean, _ = scipy.integrate.quad(lambda x: x * pdf(x), lo, hi, **opts)
    var, _ = scipy.integrate.quad(lambda x: (x - mean) ** 2 * pdf(x), lo, hi, **opts)
    return {"mu_1": mu_1, "mu_2": mu_2, "sigma_1": sigma_1, "sigma_2": sigma_2,
            "muhat": mean, "sigmahat": float(np.sqrt(var))}


def _jsd(rng: np.random.Generator) -> dict[str, float]:
    p, q = _pair(rng)
    m = 0.5 * (p + q)
    return {"J": float(genmath.jensen_shannon(p, q)),
            "Kpm": float(np.sum(scipy.special.rel_entr(p, m))),
            "Kqm": float(np.sum(scipy.special.rel_entr(q, m)))}


KL_PQ = r"\KL(p \,\|\, q)"

CHECKS = {
    "kl-discrete": Check(subs={KL_PQ: "K", r"\sum_x p(x) \log \frac{p(x)}{q(x)}": "S"}, values=_discrete),
    "kl-continuous": Check(
        subs={KL_PQ: "K", r"\int p(x) \log \frac{p(x)}{q(x)} \, dx": "I",
              r"\mathbb{E}_{x \sim p}[\log p(x) - \log q(x)]": "Ep"},
        values=_continuous, n_points=10),
    "kl-normal": Check(
        subs={r"\KL(\mathcal{N}(\mu_1, \sigma_1^2) \,\|\, \mathcal{N}(\mu_2, \sigma_2^2))": "K"},
        values=_normal),
    "kl-normal-log-ratio": Check(subs={r"\log \frac{p(x)}{q(x)}": "R"}, values=_normal_log_ratio),
    "kl-normal-equal-var": Check(
        subs={r"\KL(\mathcal{N}(\mu_1, \sigma^2) \,\|\, \mathcal{N}(\mu_2, \sigma^2))": "K"},
        values=_normal_equal_var),
    "kl-mvn": Check(
        subs={r"\KL(\mathcal{N}(\mu_p, \Sigma_p) \,\|\, \mathcal{N}(\mu_q, \Sigma_q))": "K",
              r"\operatorname{tr}(\Sigma_q^{-1}\Sigma_p)": "T",
              r"(\mu_q-\mu_p)^\top \Sigma_q^{-1} (\mu_q-\mu_p)": "M",
              r"\log\frac{\det\Sigma_q}{\det\Sigma_p}": "L"},
        values=_mvn),
    "kl-vae-dim": Check(subs={r"\KL(\mathcal{N}(\mu, \sigma^2) \,\|\, \mathcal{N}(0, 1))": "K"},
                        values=_vae_dim),
    "kl-vae": Check(
        subs={r"\KL(\mathcal{N}(\mu, \operatorname{diag}\sigma^2) \,\|\, \mathcal{N}(0, I))": "K",
              r"\sum_{j=1}^{J}(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2)": "S"},
        values=_vae),
    "kl-moment-mean": Check(values=_mixture_moments, n_points=8),
    "kl-moment-var": Check(values=_mixture_moments, n_points=8),
    "kl-jsd": Check(subs={r"\JSD(p, q)": "J", r"\KL(p \,\|\, m)": "Kpm", r"\KL(q \,\|\, m)": "Kqm"},
                    values=_jsd),
}
