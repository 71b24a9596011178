r"""Formula checks for docs/score.md: scores, denoising score matching, Tweedie's formula, the DDPM link.

References. No value comes from ``genmath.score`` or ``genmath.diffusion``.

- Scores (gradients of log-densities) are Richardson differences of scipy's log-densities (the
  evaluator's ``\nabla``), never the closed forms on the page.
- Conditional laws and expectations come from joint models conditioned generically: Gaussian ones by
  Schur complements (``GaussianModel``, built from the noise model x~ = x + sigma eta, or from the DDPM
  kernels x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps), non-Gaussian ones (a two-component mixture
  prior) by quadrature of prior times likelihood (``Bayes1D``).
- The noisy marginal p_sigma of a Gaussian mixture is the mixture with variances s_k^2 + sigma^2 (the
  convolution of Gaussians), a closed form derived independently of the page's formulas.
- J_DSM of a linear s_theta on Gaussian data is computed from the mean and covariance of the residual
  s_theta(x~) + (x~ - x)/sigma^2, which is linear in (x, eta): E||w||^2 = ||E w||^2 + tr Cov w.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import stats

from genmath.formulas import (
    DOMAINS,
    JOINT,
    MVN,
    Bayes1D,
    Check,
    Density,
    Discrete,
    Finite,
    GaussianModel,
    Lazy,
    Normal,
    Seq,
    Table,
)

# --------------------------------------------------------------------------------------------------
# helpers


def _spd(rng: np.random.Generator, k: int) -> np.ndarray:
    a = rng.normal(size=(k, k))
    return a @ a.T / k + 0.3 * np.eye(k)


def _normal_pdf(x: float, mean: float, var: float) -> float:
    return math.exp(-0.5 * (x - mean) ** 2 / var) / math.sqrt(2 * math.pi * var)


def _mixture(weights: np.ndarray, means: np.ndarray, variances: np.ndarray, var: str = "x") -> Density:
    """A 1-D Gaussian mixture as a Density (plain-Python pdf: quadrature calls it thousands of times)."""
    terms = list(zip(weights.tolist(), means.tolist(), variances.tolist()))
    spread = math.sqrt(max(variances))

    def pdf(x: float) -> float:
        return sum(w * _normal_pdf(x, m, v) for w, m, v in terms)

    return Density(pdf_fn=pdf, lo=float(min(means) - 40 * spread), hi=float(max(means) + 40 * spread),
                   points=sorted(means.tolist()), var=var)


def _two_components(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    weights = rng.dirichlet([2.0, 2.0])
    means = np.sort(rng.normal(scale=2.0, size=2))
    return weights, means, rng.uniform(0.1, 1.0, size=2)


# --------------------------------------------------------------------------------------------------
# scores of Gaussians and mixtures

def _gaussian(rng: np.random.Generator) -> dict:
    mu, sigma = float(rng.normal()), float(rng.uniform(0.3, 3.0))
    return {"x": float(rng.normal(mu, 2 * sigma)), "mu": mu, "sigma": sigma}


def _mixture_matrix(rng: np.random.Generator) -> dict:
    """A K-component Gaussian mixture in D = 2 or 3 dimensions, its density from scipy. The components are
    numbered 2..K+1; number 1 is a neighbour outside the mixture, so that a shifted index has a value."""
    D, K = int(rng.integers(2, 4)), int(rng.integers(2, 4))
    weights = rng.dirichlet(np.full(K, 2.0))
    pi = np.concatenate([[float(rng.uniform(0.1, 0.5))], weights])
    mu = rng.normal(scale=1.5, size=(K + 1, D))
    Sigma = np.stack([_spd(rng, D) for _ in range(K + 1)])
    comps = [MVN(m, c) for m, c in zip(mu, Sigma)]
    def p(v: np.ndarray) -> float:
        return float(sum(w * c.pdf(v) for w, c in zip(weights, comps[1:])))

    return {"x": rng.normal(scale=1.5, size=D), "pi": pi, "mu": mu, "Sigma": Sigma, "calN": comps,
            "k": Finite(list(range(2, K + 2))), "p": p}


def _mixture_1d(rng: np.random.Generator) -> dict:
    """Two components; the responsibilities r_k(x) = P(component k | x) by Bayes' rule on the components."""
    w, means, variances = _two_components(rng)
    p = _mixture(w, means, variances)

    def r(k: int) -> Callable[[float], float]:
        return lambda x: w[k - 1] * _normal_pdf(x, means[k - 1], variances[k - 1]) / p.pdf(x)

    x = float(rng.normal(scale=2.5))
    # a third component outside the mixture, so that r_3, mu_3, sigma_3 have values
    return {"x": x, "p": p, "mu_1": means[0], "mu_2": means[1], "mu_3": float(rng.normal(scale=2.0)),
            "sigma_1": math.sqrt(variances[0]), "sigma_2": math.sqrt(variances[1]),
            "sigma_3": float(rng.uniform(0.3, 1.0)), "r_1": r(1), "r_2": r(2), "r_3": lambda v: 0.3}


# --------------------------------------------------------------------------------------------------
# denoising score matching

def _noise_model(rng: np.random.Generator, D: int) -> tuple[GaussianModel, np.ndarray, np.ndarray, float]:
    """x ~ N(m, S), x~ = x + sigma eta: the joint law of (x, x~)."""
    m, S = rng.normal(size=D), _spd(rng, D)
    sigma = float(rng.uniform(0.3, 1.5))
    cov = np.block([[S, S], [S, S + sigma ** 2 * np.eye(D)]])
    return GaussianModel({"x": D, "xtilde": D}, np.concatenate([m, m]), cov), m, S, sigma


def _dsm_target(rng: np.random.Generator) -> dict:
    q, m, S, sigma = _noise_model(rng, 2)
    x = rng.multivariate_normal(m, S)
    return {"q_sigma": q, "x": x, "xtilde": x + sigma * rng.normal(size=2), "sigma": sigma}


def _dsm_objective(rng: np.random.Generator) -> dict:
    """J_DSM(theta) for s_theta(x~) = theta A x~ + b: the residual w = s_theta(x~) + (x~ - x)/sigma^2 is
    theta A x + b + C eta with C = theta sigma A + I / sigma, x ~ N(m, S), eta ~ N(0, I), so
    E||w||^2 / 2 = (||theta A m + b||^2 + tr(theta^2 A S A^T + C C^T)) / 2."""
    q, m, S, sigma = _noise_model(rng, 2)
    A, b = rng.normal(scale=0.5, size=(2, 2)), rng.normal(size=2)

    def J(theta: float) -> float:
        C = theta * sigma * A + np.eye(2) / sigma
        mean = theta * A @ m + b
        return float(0.5 * (mean @ mean + np.trace(theta ** 2 * A @ S @ A.T + C @ C.T)))

    theta = float(rng.uniform(0.5, 2.0))
    return {"q_sigma": q, "p": MVN(m, S), "sigma": sigma, "s_theta": lambda v: theta * A @ v + b,
            "theta": theta, "J_DSM": J}


def _denoising(rng: np.random.Generator) -> dict:
    """Data on a few atoms (Tweedie's formula holds for any p; here integrals over x are exact sums over the
    atoms), the noise kernel q_sigma, the posterior over the atoms by Bayes' rule, and the noisy marginal
    p_sigma(x~) = sum_i p(x_i) N(x~; x_i, sigma^2) (scipy)."""
    atoms = np.sort(rng.normal(scale=1.5, size=int(rng.integers(2, 5))))
    probs = rng.dirichlet(np.full(atoms.size, 2.0))
    sigma = float(rng.uniform(0.4, 1.5))

    def posterior(xt: float) -> Discrete:
        joint = probs * stats.norm.pdf(xt, atoms, sigma)
        return Discrete(joint / joint.sum(), atoms.tolist())

    model = Table({"xtilde|x": lambda x: Normal(float(x), sigma ** 2), "x|xtilde": posterior})
    p_sigma = Density(pdf_fn=lambda xt: float(np.sum(probs * stats.norm.pdf(xt, atoms, sigma))))
    x = float(rng.choice(atoms))
    # x: the data point x~ was made from (and, under @domains, the variable of the integrals over the atoms)
    return {"p": Discrete(probs, atoms.tolist()), "q_sigma": model, JOINT: model, "p_sigma": p_sigma,
            "sigma": sigma, "xtilde": x + sigma * float(rng.normal()), "x": x,
            DOMAINS: {"x": Finite(atoms.tolist())}}


def _tweedie_gaussian(rng: np.random.Generator) -> dict:
    mu, s, sigma = float(rng.normal()), float(rng.uniform(0.3, 2.0)), float(rng.uniform(0.2, 1.5))
    joint = GaussianModel({"x": 1, "xtilde": 1}, [mu, mu], [[s * s, s * s], [s * s, s * s + sigma * sigma]])
    x = float(rng.normal(mu, s))
    return {JOINT: joint, "mu": mu, "s": s, "sigma": sigma, "x": x, "xtilde": x + sigma * float(rng.normal())}


# --------------------------------------------------------------------------------------------------
# the DDPM link

def _ddpm_chain(rng: np.random.Generator, D: int = 2) -> dict:
    """The DDPM forward chain on R^D (x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps_t, x_0 ~ N(m, S)) as one
    joint Gaussian, values of x_0..x_T, and the noise epsilon of x_t given x_0 (by conditioning)."""
    T = int(rng.integers(2, 5))
    beta = rng.uniform(0.05, 0.4, size=T)
    alpha = 1.0 - beta
    m, S = rng.normal(size=D), _spd(rng, D)
    n = (T + 1) * D
    B = np.zeros((n, n))  # x = B x + e: block (k, k-1) is sqrt(alpha_k) I
    noise = np.zeros((n, n))
    noise[:D, :D] = S
    for k in range(1, T + 1):
        B[k * D:(k + 1) * D, (k - 1) * D:k * D] = math.sqrt(alpha[k - 1]) * np.eye(D)
        noise[k * D:(k + 1) * D, k * D:(k + 1) * D] = beta[k - 1] * np.eye(D)
    inv = np.linalg.inv(np.eye(n) - B)
    mean = inv @ np.concatenate([m, np.zeros(T * D)])
    q = GaussianModel({f"x_{k}": D for k in range(T + 1)}, mean, inv @ noise @ inv.T)
    t = int(rng.integers(1, T + 1))
    # any values of x_0..x_T will do (epsilon, the noise that makes x_t from x_0, is computed from them); in
    # (0, 1), sqrt(1 - x_t) for a swapped-in x_t has a value
    xs = list(rng.uniform(0.05, 0.95, size=(T + 1, D)))
    given = q.law([f"x_{t}"], {"x_0": xs[0]})
    eps = np.linalg.solve(np.linalg.cholesky(given.cov), xs[t] - given.mean)  # type: ignore[attr-defined]
    alphabar = Seq([1.0, *[float(np.prod(alpha[:k])) for k in range(1, T + 1)]], 0)
    return {"q": q, "t": t, "T": T, "x": Seq(xs, 0), "epsilon": eps, "alphabar": alphabar,
            "alpha": Seq([1.0, *alpha], 0)}


def _ddpm_weight(rng: np.random.Generator) -> dict:
    """s_theta = -epsilon_theta / sqrt(1 - alpha-bar_t): the score model of a noise predictor (prose)."""
    point = _ddpm_chain(rng)
    eps_theta = rng.normal(size=point["epsilon"].size)
    ab = point["alphabar"][point["t"]]
    return point | {"epsilon_theta": eps_theta, "s_theta": -eps_theta / math.sqrt(1.0 - ab)}


def _ddpm_marginal(rng: np.random.Generator) -> dict:
    """One dimension, mixture data q(x_0); for every step k the pair
    q(x_0, x_k) = q(x_0) N(x_k; sqrt(ab_k) x_0, 1 - ab_k) gives q(x_k) and q(x_0 | x_k) by quadrature
    (Bayes1D). epsilon = (x_t - sqrt(ab_t) x_0) /
    sqrt(1 - ab_t), the noise that produced x_t from x_0."""
    w, means, variances = _two_components(rng)
    T = int(rng.integers(2, 6))
    t = int(rng.integers(2, T + 1))
    alpha = rng.uniform(0.6, 0.95, size=T)
    alphabar = Seq([1.0, *np.cumprod(alpha)], 0)
    laws: dict[str, object] = {}
    for k in range(1, T + 1):
        pair = Bayes1D(_mixture(w, means, variances, var="x_0"),
                       lambda y, x0, ab=alphabar[k]: _normal_pdf(y, math.sqrt(ab) * x0, 1.0 - ab),
                       names=("x_0", f"x_{k}"))
        laws[f"x_{k}"] = pair.law([f"x_{k}"], {})
        laws[f"x_0|x_{k}"] = lambda v, pair=pair, k=k: pair.law(["x_0"], {f"x_{k}": v})
    q = Table(laws)
    ab = alphabar[t]
    return {"t": t, "T": T, "alphabar": alphabar, "alpha": Seq([1.0, *alpha], 0), "q": q, JOINT: q,
            "x": Seq([float(v) for v in rng.normal(scale=1.5, size=T + 1)], 0),
            "epsilon": Lazy(lambda s: (s["x"][t] - math.sqrt(ab) * s["x_0"]) / math.sqrt(1.0 - ab))}


# --------------------------------------------------------------------------------------------------
# DSM = explicit score matching + constant; Hyvarinen's identity; slicing; the reverse SDE; DDPM as its step

def _dsm_esm(rng: np.random.Generator) -> dict:
    """The DSM setting of ``_dsm_objective`` (J_DSM from the residual's moments) plus the noisy marginal
    p_sigma = N(m, S + sigma^2 I) as a scipy-backed law (its score by the evaluator's differences), and a
    nonlinear s_theta, so that no term is linear by accident."""
    q, m, S, sigma = _noise_model(rng, 2)
    A, b = rng.normal(scale=0.5, size=(2, 2)), rng.normal(size=2)
    theta = float(rng.uniform(0.5, 2.0))

    def J(th: float) -> float:
        C = th * sigma * A + np.eye(2) / sigma
        mean = th * A @ m + b
        return float(0.5 * (mean @ mean + np.trace(th ** 2 * A @ S @ A.T + C @ C.T)))

    # values for x and x~ outside the expectations (which bind them), so that an edit that moves a symbol
    # out of its expectation (a dropped tilde) is evaluated, and caught by value, not refused as unreadable
    x = rng.multivariate_normal(m, S)
    return {"q_sigma": q, "p": MVN(m, S), "p_sigma": MVN(m, S + sigma ** 2 * np.eye(2)), "sigma": sigma,
            "s_theta": lambda v: theta * A @ v + b, "theta": theta, "J_DSM": J,
            "x": x, "xtilde": x + sigma * rng.normal(size=2)}


def _dsm_cross(rng: np.random.Generator) -> dict:
    """As ``_dsm_esm`` but with a quadratic s_theta: for a linear one the left side, theta tr A, does not
    depend on the data distribution, and a swapped law would go unnoticed."""
    point = _dsm_esm(rng)
    A, B, c = rng.normal(scale=0.5, size=(2, 2)), rng.normal(scale=0.3, size=(2, 2)), rng.normal(size=2)
    return point | {"s_theta": lambda v: A @ v + B @ (np.asarray(v) ** 2) + c}


def _mlp_field(rng: np.random.Generator, D: int) -> Callable[[np.ndarray], np.ndarray]:
    """A smooth nonlinear vector field R^D -> R^D (a one-hidden-layer tanh network, hidden width D + 1)."""
    W1, b1 = rng.normal(scale=0.7, size=(D + 1, D)), rng.normal(scale=0.5, size=D + 1)
    W2, b2 = rng.normal(scale=0.7, size=(D, D + 1)), rng.normal(scale=0.5, size=D)
    return lambda v: W2 @ np.tanh(W1 @ np.asarray(v, dtype=float) + b1) + b2


def _hyvarinen(rng: np.random.Generator) -> dict:
    """p = N(m, S) in 2-D (scipy), s_theta a quadratic (nonlinear) field, so that Gauss-Hermite quadrature
    of both sides is exact up to rounding; the scores and the Jacobian's trace by the evaluator's differences."""
    m, S = rng.normal(size=2), _spd(rng, 2)
    A, B, c = rng.normal(size=(2, 2)), rng.normal(scale=0.5, size=(2, 2)), rng.normal(size=2)
    return {"p": MVN(m, S), "s_theta": lambda v: A @ v + B @ (np.asarray(v) ** 2) + c}


def _sliced(rng: np.random.Generator) -> dict:
    """A point x in R^D (D = 2 or 3), a tanh network s_theta, and the identity I for v's law."""
    D = int(rng.integers(2, 4))
    return {"x": rng.normal(size=D), "s_theta": _mlp_field(rng, D), "I": np.eye(D)}


def _fokker_planck(rng: np.random.Generator) -> dict:
    """Any smooth positive density p (a two-component mixture), any smooth drift f, any g: the rewriting
    is an identity, checked by nested central differences."""
    w, means, variances = _two_components(rng)
    p = _mixture(w, means, variances)
    a, c = float(rng.normal()), float(rng.normal())
    return {"x": float(rng.normal(scale=1.5)), "p": p, "f": lambda v: a * v + c * math.sin(v),
            "g": float(rng.uniform(0.3, 2.0))}


def _ddpm_step(rng: np.random.Generator) -> dict:
    """DDPM's chain of ``_ddpm_weight`` with beta_t = 1 - alpha_t."""
    point = _ddpm_weight(rng)
    return point | {"beta": Seq([0.0, *[1.0 - point["alpha"][k] for k in range(1, point["T"] + 1)]], 0)}


CHECKS = {
    "score-gaussian": Check(_gaussian, rtol=1e-8, atol=1e-10),
    "score-mixture-gradient": Check(_mixture_matrix, n_points=10, rtol=1e-7, atol=1e-9),
    "score-mixture": Check(_mixture_1d, rtol=1e-8, atol=1e-10),
    "score-dsm-target": Check(_dsm_target, n_points=10, rtol=1e-8, atol=1e-10),
    "score-dsm-objective": Check(_dsm_objective, n_points=5, rtol=1e-8, atol=1e-10),
    "score-dsm-minimiser": Check(_denoising, n_points=8, rtol=1e-7, atol=1e-9),
    "score-noisy-gradient": Check(_denoising, n_points=8, rtol=1e-7, atol=1e-9),
    "score-tweedie": Check(_denoising, n_points=8, rtol=1e-7, atol=1e-9),
    "score-tweedie-gaussian": Check(_tweedie_gaussian, n_points=10),
    "score-ddpm-conditional": Check(_ddpm_chain, n_points=10, rtol=1e-8, atol=1e-10),
    "score-ddpm-marginal": Check(_ddpm_marginal, n_points=5, rtol=1e-7, atol=1e-9),
    "score-ddpm-weight": Check(_ddpm_weight, n_points=10, rtol=1e-8, atol=1e-10),
    "score-dsm-cross": Check(_dsm_cross, n_points=5, rtol=1e-6, atol=1e-8),
    "score-dsm-esm": Check(_dsm_esm, n_points=5, rtol=1e-6, atol=1e-8),
    "score-ism": Check(_hyvarinen, n_points=5, rtol=1e-5, atol=1e-7),
    "score-ssm-slice": Check(_sliced, n_points=10, rtol=1e-7, atol=1e-9),
    "score-fp-rewrite": Check(_fokker_planck, n_points=10, rtol=1e-5, atol=1e-7),
    "score-ddpm-sde-step": Check(_ddpm_step, n_points=10, rtol=1e-8, atol=1e-10),
}
