"""Formula checks for docs/vae.md: the ELBO, the linear-Gaussian model, the KL term, importance weighting.

The references share no code with genmath, and none computes the displayed expression itself:

- The linear-Gaussian model is one joint Gaussian over (z, x), built as the affine image
  (z, x) = A (z, eps) + (0, b) of independent standard normals (covariance A A^T, numpy). Every
  density, marginal and conditional the formulas name (p(x), p(z | x), p(x | z), p(x, z)) comes from
  it by Schur complements (genmath.formulas.GaussianModel), not from the page's closed forms.
- The ELBO L(q) of a Gaussian q = N(m, S) is E_q[log p(x, z)] + H(q): the expected log-density of
  a Gaussian vector by the identity E[log N(v; mu, C)] = log N(E v; mu, C) - tr(C^-1 Cov v) / 2,
  and the entropy from scipy.stats.multivariate_normal.
- L_K is the mean of log((1/K) sum_k w_k) over a tensor Gauss-Hermite grid of (z_1, ..., z_K),
  with scipy.special.logsumexp (a different rule and code from the evaluator's nested expectations).
- KL divergences of Gaussians: torch.distributions (genmath.formulas.objects).
- Expectations and integrals in the formulas: the evaluator's Gauss-Hermite rules and quadrature,
  error estimates checked; gradients: Richardson differences.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special
import scipy.stats

from genmath.formulas import (
    MVN,
    ByParts,
    Check,
    Discrete,
    Domain,
    Function,
    GaussianModel,
    Indexed,
    Lazy,
    Normal,
    Table,
)
from genmath.formulas import objects as ob

# --------------------------------------------------------------------------------------------------
# the linear-Gaussian model z ~ N(0, I_k), x | z ~ N(W z + b, sigma^2 I_d)


def _model(rng: np.random.Generator, d: int, k: int) -> dict:
    """W (d x k), b, sigma, the joint model of (z, x) and one observation x drawn from it."""
    W, b, sigma = rng.normal(size=(d, k)), rng.normal(size=d), float(rng.uniform(0.5, 1.5))
    A = np.block([[np.eye(k), np.zeros((k, d))], [W, sigma * np.eye(d)]])  # (z, x) = A (z, eps) + (0, b)
    model = GaussianModel({"z": k, "x": d}, np.concatenate([np.zeros(k), b]), A @ A.T)
    x = W @ rng.normal(size=k) + b + sigma * rng.normal(size=d)
    return {"W": W, "b": b, "sigma": sigma, "d": d, "k": k, "p": model, "x": x}


def _posterior(point: dict) -> ob.Distribution:
    return point["p"].law(["z"], {"x": point["x"]})


def _q(rng: np.random.Generator, point: dict, exact: float = 0.25) -> ob.Distribution:
    """A Gaussian q(z) near the posterior (so that importance weights are smooth), or the posterior
    itself (the equality cases) with probability ``exact``."""
    post = _posterior(point)
    k = point["k"]
    mean, cov = np.atleast_1d(post.mean), np.atleast_2d(post.cov if k > 1 else post.var_)
    if rng.uniform() < exact:
        m, S = mean, cov
    else:
        sd = np.sqrt(np.diag(cov))
        m = mean + rng.uniform(-0.5, 0.5, size=k) * sd
        a = rng.normal(size=(k, k)) * 0.2
        S = cov * rng.uniform(1.0, 1.4) + np.diag(sd) @ (a @ a.T) @ np.diag(sd)
    return Normal(float(m[0]), float(S[0, 0]), var="z") if k == 1 else MVN(m, S, var="z")


def _moments(q: ob.Distribution) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(q, Normal):
        return np.array([q.mean]), np.array([[q.var_]])
    return q.mean, q.cov


def _expected_log_normal(mean_v: np.ndarray, cov_v: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> float:
    """E[log N(v; mu, cov)] for a random vector v with mean mean_v and covariance cov_v."""
    density = scipy.stats.multivariate_normal(mu, cov)
    return float(density.logpdf(mean_v) - 0.5 * np.trace(np.linalg.solve(cov, cov_v)))


def _elbo(point: dict, q: ob.Distribution) -> float:
    """L(q) = E_q[log p(x, z)] + H(q) for a Gaussian q."""
    m, S = _moments(q)
    joint = point["p"].law(["z", "x"], {})
    k = m.size
    cov_v = np.zeros_like(joint.cov)
    cov_v[:k, :k] = S  # v = (z, x) with z ~ q and x fixed
    return (_expected_log_normal(np.concatenate([m, point["x"]]), cov_v, joint.mean, joint.cov)
            + float(scipy.stats.multivariate_normal(m, S).entropy()))


def _iwae(point: dict, q: ob.Distribution, K: int, n: int = 40) -> float:
    """L_K for a 1-D latent: the mean of logsumexp_k(log w_k) - log K over a tensor Gauss-Hermite grid
    of (z_1, ..., z_K) under q, log w = log p(x, z) - log q(z)."""
    nodes, weights = scipy.special.roots_hermitenorm(n)
    weights = weights / weights.sum()
    z = q.mean + math.sqrt(q.var_) * nodes
    joint = point["p"].law(["z", "x"], {})
    v = np.column_stack([z, np.tile(point["x"], (n, 1))])
    log_w = scipy.stats.multivariate_normal(joint.mean, joint.cov).logpdf(v) - scipy.stats.norm.logpdf(
        z, q.mean, math.sqrt(q.var_))
    grid = np.stack(np.meshgrid(*([log_w] * K), indexing="ij"), axis=-1)  # (n, ..., n, K)
    grid_weights = np.prod(np.stack(np.meshgrid(*([weights] * K), indexing="ij"), axis=-1), axis=-1)
    return float(np.sum(grid_weights * (scipy.special.logsumexp(grid, axis=-1) - math.log(K))))


class _Bounds(Indexed):
    r"""``\mathcal{L}(q)``: the ELBO of a Gaussian q; ``\mathcal{L}_K``: the importance-weighted bound of
    the point's q (1-D latent)."""

    def __init__(self, point: dict, q: ob.Distribution | None = None) -> None:
        super().__init__(lambda K: _iwae(point, q, int(K)) if int(K) >= 1 else math.nan)
        self.point = point

    def __call__(self, q: ob.Distribution) -> float:
        return _elbo(self.point, q)


def _elbo_point(rng: np.random.Generator, d: int | None = None, k: int = 2) -> dict:
    point = _model(rng, d or int(rng.integers(2, 4)), k)
    q = _q(rng, point)
    return {**point, "q": q, "calL": _Bounds(point, q)}


# --------------------------------------------------------------------------------------------------
# points


def _latent_domain(point: dict) -> Domain:
    """R^k for an integral over z, its Gauss-Hermite rule built on a Gaussian a little wider than the
    posterior (where the integrand p(x | z) p(z) has its mass)."""
    mean, cov = _moments(_posterior(point))
    if point["k"] == 1:
        return Domain(points=[float(mean[0])])
    return Domain(dim=point["k"], center=mean, cov=1.3 * cov)


def _evidence(rng: np.random.Generator) -> dict:
    """p_theta = p: the joint model; z ranges over R^k."""
    point = _model(rng, int(rng.integers(2, 4)), int(rng.integers(1, 3)))
    return {**point, "p_theta": point["p"], "z": _latent_domain(point)}


def _lg(rng: np.random.Generator) -> dict:
    """W square (d = k = 2: a transpose changes the value) or not (d = 3, k = 2: it changes the shape)."""
    point = _model(rng, 2 if rng.uniform() < 0.5 else 3, 2)
    post = _posterior(point)
    return {**point, "Sigma_z|x": post.cov, "mu_z|x": post.mean, "z": _latent_domain(point)}


def _recon(rng: np.random.Generator) -> dict:
    point = _elbo_point(rng, int(rng.integers(2, 4)))
    m, S = _moments(point["q"])
    return {**point, "m": m, "S": S}


def _gradients(rng: np.random.Generator) -> dict:
    """f(z) = log p(x, z) + c z_1^3: the chapter's f plus a cubic, so that the gradient of f is not
    linear (for a quadratic f, E[grad f(m + L eps)] = grad f(m) and an edit that drops L eps would
    pass). q(z) = N(m, L L^T) depends on m (Lazy, so that d/dm moves it)."""
    point = _elbo_point(rng, 3)
    m, S = _moments(point["q"])
    joint = point["p"].law(["z", "x"], {})
    x, c = point["x"], float(rng.uniform(0.2, 1.0))

    def f(z: np.ndarray) -> float:
        return joint.logpdf(np.concatenate([z, x])) + c * z[0] ** 3

    return {"m": m, "S": S, "L": np.linalg.cholesky(S), "q": Lazy(lambda s: MVN(s["m"], S, var="z")),
            "f": Function(f), "varepsilon": MVN(np.zeros(2), np.eye(2), var="varepsilon")}


def _log_densities(rng: np.random.Generator) -> dict:
    mu, sigma = float(rng.normal(scale=2.0)), float(rng.uniform(0.1, 3.0))
    return {"mu": mu, "sigma": sigma, "q": Normal(mu, sigma**2, var="z"), "p": Normal(0.0, 1.0, var="z"),
            "z": float(rng.normal(scale=2.0))}


def _kl_diagonal(rng: np.random.Generator) -> dict:
    """An encoder's mean and standard deviations at one x: q_phi(z | x) = N(mu, diag(sigma^2))."""
    k = int(rng.integers(2, 6))
    mu, sigma = rng.normal(size=k), rng.uniform(0.2, 2.0, size=k)
    encoder = Table({"z|x": lambda x: MVN(mu, np.diag(sigma**2), var="z")})
    return {"mu": mu, "sigma": sigma, "k": k, "q_phi": encoder, "x": rng.normal(size=3)}


def _iwae_point(rng: np.random.Generator, Ks: tuple[int, ...], exact: float = 0.25) -> dict:
    point = _model(rng, 2, 1)
    q = _q(rng, point, exact)
    return {**point, "q": q, "calL": _Bounds(point, q), "K": int(rng.choice(Ks))}


def _rate_distortion(rng: np.random.Generator) -> dict:
    """A data set of 5 points in R^2 (E_x is its average), a linear encoder
    q_phi(z | x) = N(A x + c, diag(s^2)) and the model.

    References: D and R from the expected-log-density identity (numpy, scipy); L, the average ELBO, by
    another route: log p(x) - KL(q_phi(z | x) || p(z | x)) with the Schur-complement posterior.
    """
    point = _model(rng, 2, 2)
    model = point["p"]
    A, c, s = rng.normal(size=(2, 2)) * 0.5, rng.normal(size=2) * 0.3, rng.uniform(0.3, 0.9, size=2)
    xs = [model.law(["x"], {}).mean + rng.normal(size=2) for _ in range(5)]
    data = Discrete(np.full(5, 0.2), support=xs, var="x")
    encoder = Table({"z|x": lambda x: MVN(A @ x + c, np.diag(s**2), var="z")})
    prior, joint = model.law(["z"], {}), model.law(["z", "x"], {})

    def distortion(x: np.ndarray) -> float:  # -E_q[log p(x | z)] = -(E_q[log p(x, z)] - E_q[log p(z)])
        cov_v = np.zeros((4, 4))
        cov_v[:2, :2] = np.diag(s**2)
        m = A @ x + c
        return -(_expected_log_normal(np.concatenate([m, x]), cov_v, joint.mean, joint.cov)
                 - _expected_log_normal(m, np.diag(s**2), prior.mean, prior.cov))

    def rate(x: np.ndarray) -> float:  # KL(q || p(z)) = -E_q[log p(z)] - H(q)
        m = A @ x + c
        return (-_expected_log_normal(m, np.diag(s**2), prior.mean, prior.cov)
                - float(scipy.stats.multivariate_normal(m, np.diag(s**2)).entropy()))

    def elbo(x: np.ndarray) -> float:  # log p(x) - KL(q || p(z | x)), the KL as -H(q) - E_q[log p(z | x)]
        post, m = model.law(["z"], {"x": x}), A @ x + c
        kl = (-float(scipy.stats.multivariate_normal(m, np.diag(s**2)).entropy())
              - _expected_log_normal(m, np.diag(s**2), post.mean, post.cov))
        return model.law(["x"], {}).logpdf(x) - kl

    return {"D": float(np.mean([distortion(x) for x in xs])), "R": float(np.mean([rate(x) for x in xs])),
            "calL": float(np.mean([elbo(x) for x in xs])), "x": data, "q_phi": encoder, "p_theta": model,
            "p": model}


CHECKS = {
    "vae-evidence": Check(_evidence, n_points=3, rtol=1e-8, atol=1e-12),
    "vae-jensen": Check(_elbo_point, n_points=6, rtol=1e-8, atol=1e-10),
    "vae-add-subtract": Check(_elbo_point, n_points=6, rtol=1e-8, atol=1e-10),
    "vae-elbo-identity": Check(_elbo_point, n_points=8, rtol=1e-8, atol=1e-10),
    "vae-elbo-decomposition": Check(_elbo_point, n_points=8, rtol=1e-8, atol=1e-10),
    # seed 2: the first point has a square W, so a misplaced transpose fails there by value, not by shape
    "vae-lg-marginal": Check(_lg, n_points=3, rtol=1e-8, atol=1e-12, seed=2),
    "vae-lg-post-cov": Check(_lg, n_points=10, seed=2),
    "vae-lg-post-mean": Check(_lg, n_points=10, seed=2),
    "vae-lg-recon": Check(_recon, n_points=8, rtol=1e-8, atol=1e-10),
    "vae-gradient-estimators": Check(_gradients, n_points=3, rtol=1e-6, atol=1e-8),
    "vae-log-densities": Check(_log_densities, n_points=25),
    "vae-kl-std-normal": Check(_log_densities, n_points=25),
    "vae-kl-diagonal": Check(_kl_diagonal, n_points=25),
    # K = 2 and q not the posterior: L_2 differs from the ELBO (an edit that moves the log inside fails)
    "vae-iwae-def": Check(lambda rng: _iwae_point(rng, (2,), exact=0.0), n_points=2, rtol=1e-6, atol=1e-8),
    "vae-iwae-bound": Check(lambda rng: _iwae_point(rng, (1, 2, 3)), n_points=12, rtol=1e-8, atol=1e-10),
    "vae-rate-distortion": Check(_rate_distortion, n_points=3, rtol=1e-8, atol=1e-10),
}


# --------------------------------------------------------------------------------------------------
# the amortisation gap (Cremer et al. 2018) on the linear-Gaussian model


def _amortisation(rng: np.random.Generator) -> dict:
    """q* = the best diagonal Gaussian (posterior mean, variances 1 / Lambda_jj: Bishop 2006, Sec.
    10.1.2); q_phi = another diagonal Gaussian (an encoder's output), or q* itself (the equality case:
    no amortisation gap). L(q) by the expected-log-density route (_Bounds), the KL by torch, log p(x)
    from the Schur-complement model."""
    point = _model(rng, 3, 2)
    post = _posterior(point)
    precision = np.linalg.inv(post.cov)
    q_star = MVN(post.mean, np.diag(1.0 / np.diag(precision)), var="z")
    if rng.uniform() < 0.25:
        q_phi = q_star
    else:
        sd = np.sqrt(np.diag(post.cov))
        q_phi = MVN(post.mean + rng.uniform(-0.8, 0.8, size=2) * sd,
                    np.diag(np.diag(post.cov) * rng.uniform(0.3, 2.0, size=2)), var="z")
    return {**point, "qstar": q_star, "q_phi": q_phi, "calL": _Bounds(point)}


# --------------------------------------------------------------------------------------------------
# what the code carries: rate, mutual information, marginal KL, and Alemi et al.'s bounds
#
# Discrete x (n data points with weights w) and discrete z (K codes): every law is a table and every
# expectation an exact sum. The encoder's joint q (the same object as q_phi): q(z | x_i) = Q[i], the
# aggregate qbar = w Q, the inverse q(x_i | z_k) = w_i Q[i, k] / qbar_k, q(x) = w. The generative model
# p (the same object as p_theta): p(z) = pi, p(x | z_k) = P[k], p(x) and p(z | x) by Bayes' rule. The
# references, numpy sums: I_q = sum_ik w_i Q_ik log(Q_ik / qbar_k), H = -sum w log w,
# D = -sum_ik w_i Q_ik log P_ki, R = sum_i w_i sum_k Q_ik log(Q_ik / pi_k).

_XS, _ZS = [0.0, 1.0, 2.0, 3.0], [10.0, 11.0, 12.0]


def _tables(rng: np.random.Generator, n: int, prior_is_aggregate: bool, decoder_is_inverse: bool) -> dict:
    K = len(_ZS)
    xs = _XS[:n]
    w = rng.dirichlet(np.full(n, 2.0))
    Q = rng.dirichlet(np.full(K, 1.0), size=n)                     # (n, K) encoder
    qbar = w @ Q
    inverse = (w[:, None] * Q / qbar).T                            # (K, n): q(x_i | z_k)
    pi = qbar.copy() if prior_is_aggregate else rng.dirichlet(np.full(K, 2.0))
    P = inverse.copy() if decoder_is_inverse else rng.dirichlet(np.full(n, 1.5), size=K)  # (K, n)
    px = pi @ P
    post = (pi[:, None] * P / px).T                                # (n, K): p(z_k | x_i)
    ix, iz = {x: i for i, x in enumerate(xs)}, {z: k for k, z in enumerate(_ZS)}

    def law(table: np.ndarray, support: list, var: str, index: dict):
        return lambda v: Discrete(table[index[float(np.squeeze(v))]], support=support, var=var)

    q = Table({"x": Discrete(w, support=xs, var="x"), "z": Discrete(qbar, support=_ZS, var="z"),
               "z|x": law(Q, _ZS, "z", ix), "x|z": law(inverse, xs, "x", iz)})
    p = Table({"x": Discrete(px, support=xs, var="x"), "z": Discrete(pi, support=_ZS, var="z"),
               "z|x": law(post, _ZS, "z", ix), "x|z": law(P, xs, "x", iz)})
    mi = float(np.sum(w[:, None] * Q * np.log(Q / qbar)))
    return {"q": q, "q_phi": q, "p": p, "p_theta": p, "I_q": ByParts(lambda a, b, c: mi),
            "H": float(-np.sum(w * np.log(w))), "D": float(-np.sum(w[:, None] * Q * np.log(P.T))),
            "R": float(np.sum(w[:, None] * Q * np.log(Q / pi))), "w": w}


def _rate_split(rng: np.random.Generator) -> dict:
    """With probability 1/4 the prior is the aggregate posterior (the equality case R = I)."""
    point = _tables(rng, int(rng.integers(2, 5)), rng.uniform() < 0.25, False)
    return {**point, "x": point["q"].laws["x"]}


def _alemi(rng: np.random.Generator) -> dict:
    """With probability 1/4 the decoder is the encoder's inverse (the equality case H - D = I)."""
    return _tables(rng, int(rng.integers(2, 5)), False, rng.uniform() < 0.25)


CHECKS.update({
    "vae-gap-split": Check(_amortisation, n_points=8, rtol=1e-8, atol=1e-10),
    "vae-rate-split": Check(_rate_split, n_points=8, rtol=1e-9, atol=1e-12),
    "vae-alemi-lower": Check(_alemi, n_points=8, rtol=1e-9, atol=1e-12),
})
