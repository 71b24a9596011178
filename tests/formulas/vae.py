"""Formula checks for docs/vae.md (the ELBO and variational autoencoders).

Every side of a formula that sympy cannot read (expectations, integrals, KLs) is mapped to a symbol
whose value is computed independently of the formula: by numerical integration of the definition
on a model with a 1-D latent variable (Gauss-Hermite or trapezoidal rule, vectorised), or by a
different genmath route (e.g. the ELBO as log p(x) minus the KL to the exact posterior when
checking the reconstruction-minus-KL form).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.integrate
import scipy.special
import scipy.stats

from genmath import iwae_bound, kl_mvn
from genmath.sitebuild.formulas import Check
from genmath.vae import (
    LinearGaussianModel,
    elbo_gaussian,
    exact_posterior,
    expected_log_likelihood,
    grad_m_expected_log_joint,
    grad_z_log_joint,
    kl_std_normal,
    log_joint,
    log_likelihood,
    log_marginal_likelihood,
)

#: Gauss-Hermite nodes and weights for E_{N(0,1)}[g(e)]: exact for polynomials of degree < 80,
#: which covers every expectation below (log-densities of Gaussians are quadratic in z).
_GH_NODES, _GH_WEIGHTS = scipy.special.roots_hermitenorm(40)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


def _model(rng: np.random.Generator, d: int, k: int) -> tuple[LinearGaussianModel, np.ndarray]:
    """A random linear-Gaussian model and one observation drawn from it."""
    model = LinearGaussianModel(W=rng.normal(size=(d, k)), b=rng.normal(size=d),
                                sigma=float(rng.uniform(0.5, 1.5)))
    return model, model.sample(1, rng)[0][0]


def _q(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """A random Gaussian q(z) = N(m, S)."""
    A = rng.normal(size=(k, k))
    return rng.normal(size=k), A @ A.T + 0.2 * np.eye(k)


def _expect_q(fn, m: float, s: float) -> float:
    """E_{N(m, s^2)}[fn(z)] by Gauss-Hermite quadrature; ``fn`` is vectorised over z."""
    return float(np.sum(_GH_WEIGHTS * np.asarray(fn(m + s * _GH_NODES))))


def _integral_over_z(log_fn) -> float:
    """log of the integral of exp(log_fn(z)) over the real line, by the trapezoidal rule on
    [-40, 40] (spectrally accurate for smooth, Gaussian-tailed integrands); vectorised log_fn."""
    z = np.linspace(-40.0, 40.0, 16001)
    values = np.asarray(log_fn(z))
    top = values.max()
    return math.log(scipy.integrate.trapezoid(np.exp(values - top), z)) + top


def _jensen(rng):
    model, x = _model(rng, int(rng.integers(1, 4)), 1)
    m, S = _q(rng, 1)
    s = math.sqrt(S[0, 0])
    log_p = lambda z: log_joint(model, x, z[:, None])
    log_q = lambda z: scipy.stats.norm(m[0], s).logpdf(z)
    # log E_q[p(x,z)/q(z)] = log of the integral of p(x, z) over z
    return {"logpx": float(log_marginal_likelihood(model, x)),
            "logEw": _integral_over_z(log_p),
            "Elogw": _expect_q(lambda z: log_p(z) - log_q(z), m[0], s),
            "L": float(elbo_gaussian(model, x, m, S))}


def _identity(rng):
    k = int(rng.integers(1, 4))
    model, x = _model(rng, int(rng.integers(k, 6)), k)
    m, S = _q(rng, k)
    post_mean, post_cov = exact_posterior(model, x)
    return {"logpx": float(log_marginal_likelihood(model, x)),
            "L": float(elbo_gaussian(model, x, m, S)),
            "G": float(kl_mvn(m, S, post_mean, post_cov))}


def _decomposition(rng):
    k = int(rng.integers(1, 4))
    model, x = _model(rng, int(rng.integers(k, 6)), k)
    m, S = _q(rng, k)
    post_mean, post_cov = exact_posterior(model, x)
    # the ELBO by another route: log p(x) - KL(q || p(z|x))
    elbo = float(log_marginal_likelihood(model, x)) - float(kl_mvn(m, S, post_mean, post_cov))
    return {"L": elbo, "R": float(expected_log_likelihood(model, x, m, S)),
            "K": float(kl_mvn(m, S, np.zeros(k), np.eye(k)))}


def _marginal(rng):
    model, x = _model(rng, int(rng.integers(1, 4)), 1)
    integral = math.exp(_integral_over_z(lambda z: log_joint(model, x, z[:, None])))
    cov = model.W @ model.W.T + model.sigma**2 * np.eye(model.d)
    return {"px": math.exp(float(log_marginal_likelihood(model, x))), "I": integral,
            "N": float(scipy.stats.multivariate_normal(model.b, cov).pdf(x))}


def _posterior_1d(rng):
    model, x = _model(rng, 1, 1)
    mean, cov = exact_posterior(model, x)
    return {"Sigma_post": float(cov[0, 0]), "mu_post": float(mean[0]), "W": float(model.W[0, 0]),
            "sigma": model.sigma, "x": float(x[0]), "b": float(model.b[0]), "I_k": 1.0}


def _recon(rng):
    model, x = _model(rng, int(rng.integers(1, 5)), 1)
    m, S = _q(rng, 1)
    R = _expect_q(lambda z: log_likelihood(model, x, z[:, None]), m[0], math.sqrt(S[0, 0]))
    residual = x - model.W @ m - model.b
    return {"R": R, "Q": float(residual @ residual), "T": float(np.trace(model.W @ S @ model.W.T)),
            "d": model.d, "sigma": model.sigma, "pi": math.pi}


def _kl_std_normal(rng):
    mu, sigma = rng.normal(scale=2.0), rng.uniform(0.1, 3.0)
    return {"mu": mu, "sigma": sigma, "K": float(kl_std_normal([mu], [math.log(sigma**2)]))}


def _gradients(rng):
    model, x = _model(rng, int(rng.integers(1, 4)), 1)
    m, S = _q(rng, 1)
    s = math.sqrt(S[0, 0])
    f = lambda z: log_joint(model, x, z[:, None])
    score = _expect_q(lambda z: f(z) * (z - m[0]) / s**2, m[0], s)
    reparam = _expect_q(lambda e: grad_z_log_joint(model, x, (m[0] + s * e)[:, None])[:, 0], 0.0, 1.0)
    return {"G": float(grad_m_expected_log_joint(model, x, m)[0]), "SF": score, "RP": reparam}


def _iwae(rng):
    """L_K for K = 2 or 3 by tensor-product Gauss-Hermite quadrature over (z_1, ..., z_K)."""
    model, x = _model(rng, 3, 1)
    post_mean, post_cov = exact_posterior(model, x)
    s_post = math.sqrt(post_cov[0, 0])
    m = post_mean[0] + rng.uniform(-0.5, 0.5) * s_post
    s = s_post * rng.uniform(0.8, 1.5)
    K = int(rng.integers(2, 4))
    nodes, weights = scipy.special.roots_hermitenorm(40 if K == 3 else 80)
    weights = weights / weights.sum()
    z = m + s * nodes
    log_w = np.asarray(log_joint(model, x, z[:, None])) - scipy.stats.norm(m, s).logpdf(z)
    grids = np.meshgrid(*([log_w] * K), indexing="ij")
    wgrid = np.prod(np.meshgrid(*([weights] * K), indexing="ij"), axis=0)
    bound = scipy.special.logsumexp(np.stack(grids), axis=0) - math.log(K)
    return {"L": float(elbo_gaussian(model, x, [m], [[s**2]])), "LK": float(np.sum(wgrid * bound)),
            "logpx": float(log_marginal_likelihood(model, x))}


def _add_subtract(rng):
    """Both expectations by Gauss-Hermite quadrature under q, the second against the exact posterior."""
    model, x = _model(rng, int(rng.integers(1, 4)), 1)
    m, S = _q(rng, 1)
    s = math.sqrt(S[0, 0])
    post_mean, post_cov = exact_posterior(model, x)
    log_q = scipy.stats.norm(m[0], s).logpdf
    log_post = scipy.stats.norm(post_mean[0], math.sqrt(post_cov[0, 0])).logpdf
    return {"logpx": float(log_marginal_likelihood(model, x)),
            "Elogw": _expect_q(lambda z: log_joint(model, x, z[:, None]) - log_q(z), m[0], s),
            "Egap": _expect_q(lambda z: log_q(z) - log_post(z), m[0], s)}


def _iwae_def(rng):
    """L_K as the quadrature mean of genmath's bound estimate (logsumexp - log K) against the mean of
    log((1/K) sum_k w_k) computed with numpy, on a tensor-product Gauss-Hermite grid (K = 2 or 3)."""
    model, x = _model(rng, 2, 1)
    m, s = float(rng.normal()), float(rng.uniform(0.5, 1.5))
    K = int(rng.integers(2, 4))
    nodes, weights = scipy.special.roots_hermitenorm(30)
    weights = weights / weights.sum()
    z = m + s * nodes
    log_w = np.asarray(log_joint(model, x, z[:, None])) - scipy.stats.norm(m, s).logpdf(z)
    grids = np.stack(np.meshgrid(*([log_w] * K), indexing="ij"), axis=-1)
    wgrid = np.prod(np.meshgrid(*([weights] * K), indexing="ij"), axis=0)
    estimate = np.asarray(iwae_bound(grids))
    top = grids.max(axis=-1, keepdims=True)  # factor out the largest weight so none underflows
    direct = top[..., 0] + np.log(np.mean(np.exp(grids - top), axis=-1))
    return {"LK": float(np.sum(wgrid * estimate)), "E": float(np.sum(wgrid * direct))}


CHECKS = {
    "vae-jensen": Check(
        subs={r"\log \E_{q(z)}\left[\frac{p(x,z)}{q(z)}\right]": "logEw",
              r"\E_{q(z)}\left[\log \frac{p(x,z)}{q(z)}\right]": "Elogw",
              r"\log p(x)": "logpx", r"\mathcal{L}(q)": "L"},
        values=_jensen, rtol=1e-8),
    "vae-elbo-identity": Check(
        subs={r"\log p(x)": "logpx", r"\mathcal{L}(q)": "L", r"\KL(q(z) \,\|\, p(z \mid x))": "G"},
        values=_identity),
    "vae-elbo-decomposition": Check(
        subs={r"\mathcal{L}(q)": "L", r"\E_{q(z)}[\log p(x \mid z)]": "R",
              r"\KL(q(z) \,\|\, p(z))": "K"},
        values=_decomposition),
    "vae-lg-marginal": Check(
        subs={r"\int \mathcal{N}(x; Wz + b, \sigma^2 I_d)\, \mathcal{N}(z; 0, I_k)\, dz": "I",
              r"\mathcal{N}(x; b, WW^\top + \sigma^2 I_d)": "N", "p(x)": "px"},
        values=_marginal, rtol=1e-8),
    "vae-lg-post-cov": Check(
        subs={r"\Sigma_{z|x}": "Sigma_post", r"W^\top": "W"}, values=_posterior_1d),
    "vae-lg-post-mean": Check(
        subs={r"\mu_{z|x}": "mu_post", r"\Sigma_{z|x}": "Sigma_post", r"W^\top": "W"},
        values=_posterior_1d),
    "vae-lg-recon": Check(
        subs={r"\E_{q(z)}[\log p(x \mid z)]": "R", r"\lVert x - Wm - b\rVert^2": "Q",
              r"\operatorname{tr}(W S W^\top)": "T"},
        values=_recon, rtol=1e-8),
    "vae-kl-std-normal": Check(
        subs={r"\KL\big(\mathcal{N}(\mu, \sigma^2) \,\|\, \mathcal{N}(0, 1)\big)": "K"},
        values=_kl_std_normal),
    "vae-gradient-estimators": Check(
        subs={r"\nabla_m \E_{q(z)}[f(z)]": "G",
              r"\E_{q(z)}\left[f(z) \nabla_m \log q(z)\right]": "SF",
              r"\E_{\varepsilon}\left[\nabla_z f(m + L\varepsilon)\right]": "RP"},
        values=_gradients, rtol=1e-8, atol=1e-9),
    "vae-iwae-bound": Check(
        subs={r"\mathcal{L}(q)": "L", r"\mathcal{L}_K": "LK", r"\log p(x)": "logpx"},
        values=_iwae),
    "vae-add-subtract": Check(
        subs={r"\log p(x)": "logpx", r"\E_{q(z)}\left[\log \frac{p(x,z)}{q(z)}\right]": "Elogw",
              r"\E_{q(z)}\left[\log \frac{q(z)}{p(z \mid x)}\right]": "Egap"},
        values=_add_subtract, rtol=1e-8),
    "vae-iwae-def": Check(
        subs={r"\mathcal{L}_K": "LK",
              r"\E_{z_1, \dots, z_K \sim q}\left[\log \frac{1}{K} \sum_{k=1}^{K} \frac{p(x, z_k)}{q(z_k)}\right]": "E"},
        values=_iwae_def),
}
