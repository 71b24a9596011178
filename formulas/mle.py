"""Formula checks for docs/mle.md: likelihoods, closed-form MLEs, bias, gradients, Fisher information, MAP,
the cross-entropy view and bits per dimension.

References never use the page's closed forms or the genmath functions that compute them:

- log-likelihoods are sums of scipy's log-probabilities of each observation (``scipy.stats``), or the
  joint density of the whole data set (an n-dimensional Gaussian, or a Poisson total times a
  multinomial split);
- every MLE and the MAP estimate is found by a numerical optimiser (``genmath.formulas.argmax``:
  scipy's bounded Brent search polished by a Newton step; SLSQP on the simplex for the categorical),
  as the chapter itself does;
- derivatives are Richardson-extrapolated differences of those log-likelihoods; the Fisher
  information is the variance of the score (not the expected second derivative the page displays);
- expectations over data sets are exact sums or Gauss-Hermite rules (genmath.formulas.objects).

The data sets carry one more observation, x_0, which no formula uses, and the categorical model the
probability pi_0 = 0 and count n_0 = 0 of the category 0 that does not exist: a shifted index (x_{i-1},
pi_{k-1}) then has a value and is caught by value. Values of the undecorated symbols (mu next to muhat,
p next to phat) are the true parameters the data were drawn from.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.optimize
import scipy.special
import scipy.stats

from genmath.formulas import (
    IID,
    Bernoulli,
    Check,
    Density,
    Discrete,
    Domain,
    Finite,
    GaussianModel,
    Lazy,
    Normal,
    Reals,
    Seq,
    argmax,
)
from genmath.formulas import objects as ob
from genmath.formulas.evaluate import LAW, derivative


def _data(x: np.ndarray, extra: float) -> dict:
    """The data x = (x_1, ..., x_n), and an extra observation x_0 that no formula uses."""
    return {"x": x, "x_0": extra}


# -- Bernoulli -------------------------------------------------------------------------------------

def _coin(rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """n tosses with heads probability p; all tails or all heads now and then (boundary MLE)."""
    n = int(rng.integers(1, 40))
    p = float(rng.uniform(0.05, 0.95))
    x = rng.binomial(1, p, size=n).astype(float)
    if rng.uniform() < 0.15:
        x[:] = float(rng.integers(0, 2))
    return x, p


def _bernoulli_ell(x: np.ndarray) -> Callable[[float], float]:
    return lambda p: float(np.sum(scipy.stats.bernoulli.logpmf(x, p)))


def _bernoulli_loglik(rng: np.random.Generator) -> dict:
    x, _ = _coin(rng)
    return {"ell": _bernoulli_ell(x), **_data(x, float(rng.integers(0, 2))), "k": float(x.sum()),
            "n": x.size, "p": float(rng.uniform(0.02, 0.98))}


def _bernoulli_mle(rng: np.random.Generator) -> dict:
    x, p_true = _coin(rng)
    return {"phat": argmax(_bernoulli_ell(x), 0.0, 1.0), "p": p_true, "k": float(x.sum()), "n": x.size,
            **_data(x, float(rng.integers(0, 2)))}


# -- Gaussian --------------------------------------------------------------------------------------

def _sample(rng: np.random.Generator) -> tuple[np.ndarray, float, float]:
    mu, sigma = float(rng.normal()), float(rng.uniform(0.3, 3.0))
    return rng.normal(mu, sigma, size=int(rng.integers(2, 30))), mu, sigma


def _gaussian_ell(x: np.ndarray) -> Callable[[Any, float], float]:
    """ell(mu, sigma^2): the log-density of the whole data set as one n-dimensional Gaussian (mu may be
    a vector of predictions)."""
    def ell(mu: Any, var: float) -> float:
        law = scipy.stats.multivariate_normal(np.broadcast_to(mu, x.shape), var * np.eye(x.size))
        return float(law.logpdf(x))

    return ell


def _gaussian_loglik(rng: np.random.Generator) -> dict:
    x, mu, sigma = _sample(rng)
    return {"ell": _gaussian_ell(x), **_data(x, rng.normal(mu, sigma)), "n": x.size,
            "mu": float(rng.normal()), "sigma": float(rng.uniform(0.3, 3.0))}


def _normal_ell(x: np.ndarray) -> Callable[[float, float], float]:
    """ell(mu, sigma^2) as a sum of scipy's univariate log-densities (cheaper, for the optimiser)."""
    return lambda mu, var: float(np.sum(scipy.stats.norm.logpdf(x, mu, math.sqrt(var))))


def _gaussian_mean(rng: np.random.Generator) -> dict:
    x, mu, sigma = _sample(rng)
    ell = _normal_ell(x)
    muhat = argmax(lambda m: ell(m, sigma**2), float(x.min()) - 1.0, float(x.max()) + 1.0)
    return {"muhat": muhat, "mu": mu, **_data(x, rng.normal(mu, sigma)), "n": x.size}


def _gaussian_variance(rng: np.random.Generator) -> dict:
    x, mu, sigma = _sample(rng)
    ell = _normal_ell(x)
    muhat = argmax(lambda m: ell(m, 1.0), float(x.min()) - 1.0, float(x.max()) + 1.0)
    spread = float(np.ptp(x)) ** 2
    var_hat = argmax(lambda v: ell(muhat, v), 1e-6 * spread, 2.0 * spread)
    return {"sigmahat": math.sqrt(var_hat), "sigma": sigma, "muhat": muhat, "mu": mu,
            **_data(x, rng.normal(mu, sigma)), "n": x.size}


def _score_variance(rng: np.random.Generator) -> dict:
    x, _, _ = _sample(rng)
    ell = _gaussian_ell(x)
    return {"ell": Lazy(lambda s: ell(s["mu"], s["v"])), "v": float(rng.uniform(0.1, 9.0)),
            "mu": float(rng.normal()), **_data(x, float(rng.normal())), "n": x.size}


def _sum_of_squares(rng: np.random.Generator) -> dict:
    x, mu, sigma = _sample(rng)
    return {**_data(x, rng.normal(mu, sigma)), "xbar": float(np.mean(x)), "mu": mu, "n": x.size}


def _variance_bias(rng: np.random.Generator) -> dict:
    n = int(rng.integers(2, 6))
    mu, sigma = float(rng.normal()), float(rng.uniform(0.3, 3.0))
    # E over the data set x ~ N(mu, sigma^2)^n (Gauss-Hermite, exact for this quadratic) of the MLE
    return {LAW: IID(Normal(mu, sigma**2), n), "n": n, "sigma": sigma,
            "sigmahat": Lazy(lambda s: float(np.std(s["x"])))}


def _gradients(rng: np.random.Generator) -> dict:
    x, _, _ = _sample(rng)
    ell = _gaussian_ell(x)
    mu, sigma = float(rng.normal()), float(rng.uniform(0.3, 3.0))
    return {"ellbar": Lazy(lambda s: -ell(s["mu"], s["sigma"] ** 2) / x.size),
            "ell": Lazy(lambda s: ell(s["mu"], s["sigma"] ** 2)),
            "mu": mu, "sigma": sigma, "x": x, "n": x.size, "xbar": float(np.mean(x)),
            "v": float(np.mean((x - mu) ** 2))}


def _gaussian_nll(rng: np.random.Generator) -> dict:
    """Regression: y_i ~ N(mu_i, sigma^2) with a prediction mu_i per observation."""
    n = int(rng.integers(2, 30))
    mu = rng.normal(size=n)
    sigma = float(rng.uniform(0.3, 3.0))
    y = mu + rng.normal(scale=sigma, size=n)
    return {"ell": _gaussian_ell(y), "mu": mu, "sigma": sigma, "n": n, "MSE": float(np.mean((y - mu) ** 2))}


# -- Poisson ---------------------------------------------------------------------------------------

def _counts(rng: np.random.Generator) -> tuple[np.ndarray, float]:
    lam = float(rng.uniform(0.5, 8.0))
    x = rng.poisson(lam, size=int(rng.integers(1, 30))).astype(float)
    return x, lam


def _poisson_ell(x: np.ndarray) -> Callable[[float], float]:
    return lambda lam: float(np.sum(scipy.stats.poisson.logpmf(x, lam)))


def _poisson_loglik(rng: np.random.Generator) -> dict:
    x, lam = _counts(rng)
    return {"ell": _poisson_ell(x), **_data(x, float(rng.poisson(lam))), "n": x.size,
            "lambda": float(rng.uniform(0.2, 10.0))}


def _poisson_mle(rng: np.random.Generator) -> dict:
    x, lam = _counts(rng)
    return {"lambdahat": argmax(_poisson_ell(x), 0.0, float(x.max()) + 1.0), "lambda": lam,
            **_data(x, float(rng.poisson(lam))), "n": x.size}


def _poisson_law(lam: float) -> Discrete:
    top = int(lam + 12.0 * math.sqrt(lam) + 40.0)  # the mass above is < 1e-16
    support = np.arange(top)
    return Discrete(scipy.stats.poisson.pmf(support, lam), list(support))


def _likelihood(rng: np.random.Generator) -> dict:
    """L(theta) of an i.i.d. sample, computed without the product over observations: for a Gaussian
    location model the density of the data set as one n-dimensional Gaussian; for a Poisson model
    P(total = s) P(split | s), the total Poisson(n theta) and the split multinomial(s, 1/n, ..., 1/n)."""
    n = int(rng.integers(1, 25))
    if rng.uniform() < 0.5:
        theta = float(rng.uniform(0.5, 8.0))
        x = rng.poisson(float(rng.uniform(0.5, 8.0)), size=n).astype(float)

        def loglik(t: float) -> float:
            total = int(x.sum())
            return float(scipy.stats.poisson.logpmf(total, n * t)
                         + scipy.stats.multinomial.logpmf(x.astype(int), total, np.full(n, 1.0 / n)))

        law: Callable[[float], object] = _poisson_law
        extra = float(rng.poisson(3.0))
    else:
        theta = float(rng.normal())
        x = rng.normal(size=n)

        def loglik(t: float) -> float:
            return float(scipy.stats.multivariate_normal(np.full(n, t), np.eye(n)).logpdf(x))

        law = lambda t: Normal(t, 1.0)
        extra = float(rng.normal())
    return {"L": lambda t: math.exp(loglik(t)), "ell": loglik, "theta": theta, "n": n,
            "p_theta": Lazy(lambda s: law(s["theta"])), **_data(x, extra)}


# -- categorical -----------------------------------------------------------------------------------

def _labels(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    """Labels in 1..K drawn from pi, and the counts n_1..n_K."""
    k = int(rng.integers(2, 7))
    pi = rng.dirichlet(np.ones(k))
    labels = rng.choice(np.arange(1, k + 1), size=int(rng.integers(1, 50)), p=pi)
    return labels, pi, k


def _count_symbols(labels: np.ndarray, k: int) -> dict:
    counts = np.bincount(labels, minlength=k + 1)  # counts[0] = 0: no label 0 (n_0 for a shifted index)
    return {f"n_{j}": int(counts[j]) for j in range(k + 1)}


def _categorical_loglik(rng: np.random.Generator) -> dict:
    labels, _, k = _labels(rng)
    categories = np.arange(1, k + 1)
    return {"ell": lambda pi: float(np.sum(scipy.stats.rv_discrete(values=(categories, pi)).logpmf(labels))),
            "pi": rng.dirichlet(np.ones(k)), "pi_0": 0.0, "K": k, "n": labels.size,  # no category 0: pi_0 = 0
            **_data(labels.astype(float), float(rng.integers(1, k + 1))),
            **_count_symbols(labels, k)}


def _categorical_mle(rng: np.random.Generator) -> dict:
    labels, pi_true, k = _labels(rng)

    def nll(p: np.ndarray) -> float:
        return -float(np.sum(np.log(np.maximum(p, 1e-300))[labels - 1]))

    best = scipy.optimize.minimize(nll, np.full(k, 1.0 / k), method="SLSQP", bounds=[(0.0, 1.0)] * k,
                                   constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1.0}],
                                   options={"ftol": 1e-15, "maxiter": 500})
    return {"pihat": best.x, "pi": pi_true, "k": int(rng.integers(1, k + 1)), "n": labels.size,
            **_count_symbols(labels, k)}


# -- Fisher information, MAP -------------------------------------------------------------------------

def _bernoulli_fisher(p: float) -> float:
    """I(p) = E[(d/dp log f(x; p))^2], the variance of the score: the exact sum over x in {0, 1} with a
    numerical derivative of scipy's log-pmf (not the expected second derivative that the page shows)."""
    total = 0.0
    for x in (0, 1):
        def log_f(u: float, x: int = x) -> float:
            return float(scipy.stats.bernoulli.logpmf(x, u))

        total += float(scipy.stats.bernoulli.pmf(x, p)) * float(derivative(log_f, p)) ** 2
    return total


def _fisher_bernoulli(rng: np.random.Generator) -> dict:
    p = float(rng.uniform(0.02, 0.98))
    return {"p": p, LAW: Bernoulli(p), "f": lambda x, u: float(scipy.stats.bernoulli.pmf(x, u)),
            "calI": _bernoulli_fisher}


def _bernoulli_variance(rng: np.random.Generator) -> dict:
    p = float(rng.uniform(0.02, 0.98))
    n = int(rng.integers(1, 9))
    # Var over all 2^n data sets x ~ Bernoulli(p)^n of sqrt(n) (phat - p), phat the sample mean
    return {"p": p, "n": n, LAW: IID(Bernoulli(p), n), "phat": Lazy(lambda s: float(np.mean(s["x"]))),
            "calI": _bernoulli_fisher}


def _map(rng: np.random.Generator) -> dict:
    x, _ = _coin(rng)
    a, b = (1.0, 1.0) if rng.uniform() < 0.15 else tuple(float(v) for v in rng.uniform(1.0, 6.0, size=2))
    ell = _bernoulli_ell(x)
    # the mode of prior x likelihood, numerically: no conjugacy, no Beta posterior
    mode = argmax(lambda p: float(scipy.stats.beta.logpdf(p, a, b)) + ell(p), 0.0, 1.0)
    return {"phat_MAP": mode, "k": float(x.sum()), "n": x.size, "a": a, "b": b}


# -- cross-entropy, bits per dimension ----------------------------------------------------------------

def _empirical(rng: np.random.Generator) -> dict:
    """Counts on {0..5} from a non-binomial law, a binomial(5, theta) model, ell over the raw observations."""
    support = list(range(6))
    p_data = rng.dirichlet(np.full(6, 0.8))
    x = rng.choice(6, size=int(rng.integers(1, 60)), p=p_data)
    theta = float(rng.uniform(0.05, 0.95))
    phat = np.bincount(x, minlength=6) / x.size
    return {"ell": lambda t: float(np.sum(scipy.stats.binom.logpmf(x, 5, t))), "theta": theta, "n": x.size,
            "phat_data": Discrete(phat, support), "p_data": Discrete(p_data, support),
            "p_theta": Discrete(scipy.stats.binom.pmf(support, 5, theta), support), "x": Finite(support)}


def _bpd(rng: np.random.Generator) -> dict:
    """An image of D binary pixels under a model of independent Bernoulli pixels: its NLL in nats from
    scipy, and its bits per dimension from base-2 logarithms of the pixel probabilities."""
    dims = int(rng.integers(1, 3000))
    probs = rng.uniform(0.01, 0.99, size=dims)
    image = rng.binomial(1, probs)
    pixel = np.where(image == 1, probs, 1.0 - probs)
    return {"NLL": -float(np.sum(scipy.stats.bernoulli.logpmf(image, probs))), "D": dims,
            "bpd": -float(np.sum(np.log2(pixel))) / dims}


# -- the score, Fisher information, Cramér–Rao -------------------------------------------------------
#
# References: scores by torch autograd of torch.distributions log-probabilities (not the page's
# derivatives); Fisher information as the curvature of torch's closed-form KL divergence,
# I(theta) = d^2/d delta^2 KL(p_theta || p_theta+delta) at delta = 0 (a different route from both the
# variance of the score and the expected second derivative); expectations exact or by quadrature.

def _torch_family(kind: str) -> Callable[[Any], Any]:
    """theta (a torch scalar) -> a torch distribution of one observation."""
    import torch.distributions as td

    return {
        "exponential": lambda t: td.Exponential(t),
        "normal-mean": lambda t: td.Normal(t, 1.7),
        "normal-scale": lambda t: td.Normal(0.4, t),
        "poisson": lambda t: td.Poisson(t),
    }[kind]


def _law(kind: str, theta: float) -> Any:
    """The same family as a reference object of the checker (scipy densities)."""
    if kind == "exponential":
        return Density(logpdf_fn=lambda x: float(scipy.stats.expon.logpdf(x, scale=1.0 / theta)), lo=0.0,
                       points=[1.0 / theta])
    if kind == "normal-mean":
        return Normal(theta, 1.7**2)
    if kind == "normal-scale":
        return Normal(0.4, theta**2)
    return _poisson_law(theta)


def _torch_score(kind: str) -> Callable[[float], Callable[[float], float]]:
    """theta -> (x -> d/d theta log p_theta(x)), by torch autograd."""
    import torch

    family = _torch_family(kind)

    def at(theta: float) -> Callable[[float], float]:
        def score(x: Any) -> float:
            t = torch.tensor(float(theta), dtype=torch.float64, requires_grad=True)
            (grad,) = torch.autograd.grad(family(t).log_prob(torch.tensor(float(x), dtype=torch.float64)), t)
            return float(grad)

        return score

    return at


def _torch_fisher(kind: str) -> Callable[[float], float]:
    """theta -> d^2/d delta^2 KL(p_theta || p_{theta + delta}) at delta = 0, torch's closed-form KL."""
    import torch
    from torch.distributions import kl_divergence

    family = _torch_family(kind)

    def info(theta: float) -> float:
        t = torch.tensor(float(theta), dtype=torch.float64)
        return float(torch.autograd.functional.hessian(
            lambda d: kl_divergence(family(t), family(t + d)), torch.tensor(0.0, dtype=torch.float64)))

    return info


_FAMILIES = {"exponential": (0.3, 3.0), "normal-mean": (-2.0, 2.0), "normal-scale": (0.4, 3.0),
             "poisson": (0.5, 6.0)}


def _family_point(rng: np.random.Generator, kinds: tuple[str, ...]) -> tuple[str, float]:
    kind = kinds[int(rng.integers(len(kinds)))]
    lo, hi = _FAMILIES[kind]
    return kind, float(rng.uniform(lo, hi))


def _score(rng: np.random.Generator) -> dict:
    kind, theta = _family_point(rng, ("exponential", "normal-mean", "normal-scale"))
    x = float(rng.exponential(1.0 / theta)) if kind == "exponential" else float(rng.normal(0.0, 2.0))
    score = _torch_score(kind)
    return {"theta": theta, "x": x, "p_theta": Lazy(lambda s: _law(kind, s["theta"])),
            "s_theta": Lazy(lambda s: score(s["theta"]))}


def _score_mean(rng: np.random.Generator) -> dict:
    kind, theta = _family_point(rng, ("exponential", "normal-mean", "normal-scale"))
    score = _torch_score(kind)
    domain = Domain(lo=0.0, points=[1.0 / theta]) if kind == "exponential" else \
        Reals(points=[theta] if kind == "normal-mean" else [0.4])
    return {"theta": theta, "x": domain, "p_theta": Lazy(lambda s: _law(kind, s["theta"])),
            "s_theta": Lazy(lambda s: score(s["theta"]))}


def _fisher_identity(rng: np.random.Generator) -> dict:
    kind, theta = _family_point(rng, tuple(_FAMILIES))
    score = _torch_score(kind)
    return {"theta": theta, LAW: Lazy(lambda s: _law(kind, s["theta"])),
            "s_theta": Lazy(lambda s: score(s["theta"])), "calI": _torch_fisher(kind)}


def _gaussian_fisher_matrix(mu: float, var: float) -> np.ndarray:
    """The 2 x 2 Hessian in (mu, v) of torch's KL(N(mu, v) || N(mu + d_1, v + d_2)) at d = 0."""
    import torch
    from torch.distributions import Normal as TorchNormal
    from torch.distributions import kl_divergence

    m = torch.tensor(float(mu), dtype=torch.float64)
    v = torch.tensor(float(var), dtype=torch.float64)
    hess = torch.autograd.functional.hessian(
        lambda d: kl_divergence(TorchNormal(m, v.sqrt()), TorchNormal(m + d[0], (v + d[1]).sqrt())),
        torch.zeros(2, dtype=torch.float64))
    return hess.numpy()


def _fisher_gaussian(rng: np.random.Generator) -> dict:
    return {"mu": float(rng.normal()), "sigma": float(rng.uniform(0.3, 3.0)), "calI": _gaussian_fisher_matrix}


def _cramer_rao(rng: np.random.Generator) -> dict:
    """Unbiased estimators T of a Bernoulli probability or a Gaussian mean, with the equality case (the
    sample mean) a third of the time; Var[T] exactly (all 2^n data sets, or Gauss-Hermite: T is linear)."""
    bernoulli = rng.uniform() < 0.5
    n = int(rng.integers(1, 7 if bernoulli else 4))
    weights = rng.dirichlet(np.ones(n)) if rng.uniform() < 0.67 else np.full(n, 1.0 / n)
    if rng.uniform() < 0.2:
        weights = np.eye(n)[0]  # T = x_1
    if bernoulli:
        theta = float(rng.uniform(0.05, 0.95))
        law, kind = IID(Bernoulli(theta), n), "bernoulli"
    else:
        theta = float(rng.normal())
        law, kind = IID(Normal(theta, 1.7**2), n), "normal-mean"
    info = _torch_fisher(kind) if kind != "bernoulli" else _bernoulli_torch_fisher
    return {"theta": theta, "n": n, LAW: law, "T": Lazy(lambda s: float(weights @ np.atleast_1d(s["x"]))), "calI": info}


def _bernoulli_torch_fisher(p: float) -> float:
    import torch
    from torch.distributions import Bernoulli as TorchBernoulli
    from torch.distributions import kl_divergence

    t = torch.tensor(float(p), dtype=torch.float64)
    return float(torch.autograd.functional.hessian(
        lambda d: kl_divergence(TorchBernoulli(probs=t), TorchBernoulli(probs=t + d)),
        torch.tensor(0.0, dtype=torch.float64)))


# -- invariance, MAP in the log-odds, ridge and weight decay -------------------------------------------

def _invariance(rng: np.random.Generator) -> dict:
    """sigmahat maximises the likelihood over sigma itself (not over the variance, not by a square root)."""
    x, mu, sigma = _sample(rng)
    ell = _normal_ell(x)
    muhat = argmax(lambda m: ell(m, 1.0), float(x.min()) - 1.0, float(x.max()) + 1.0)
    spread = float(np.ptp(x))
    sigmahat = argmax(lambda s: ell(muhat, s * s), 1e-3 * spread, 2.0 * spread)
    return {"sigmahat": sigmahat, "sigma": sigma, "muhat": muhat, "mu": mu, **_data(x, rng.normal(mu, sigma)),
            "n": x.size}


def _map_logit(rng: np.random.Generator) -> dict:
    """The mode of the posterior density of phi = logit(p): torch transforms the Beta prior to phi (with
    its own log |Jacobian|), scipy gives the likelihood, a bounded search finds the maximiser."""
    import torch
    from torch.distributions import Beta as TorchBeta
    from torch.distributions import SigmoidTransform, TransformedDistribution

    x, _ = _coin(rng)
    a, b = (float(v) for v in rng.uniform(0.3, 6.0, size=2))
    if rng.uniform() < 0.2:
        a = b = 1.0
    prior = TransformedDistribution(TorchBeta(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)),
                                    [SigmoidTransform().inv])
    ell = _bernoulli_ell(x)

    def log_post(phi: float) -> float:
        return float(prior.log_prob(torch.tensor(phi, dtype=torch.float64))) + ell(float(scipy.special.expit(phi)))

    return {"phihat_MAP": argmax(log_post, -40.0, 40.0), "k": float(x.sum()), "n": x.size, "a": a, "b": b}


def _ridge(rng: np.random.Generator) -> dict:
    """The posterior mean of w given y, by conditioning the joint Gaussian of (w, y) (Schur complements over
    the n x n block: a different matrix identity from the d x d inverse on the page). X is n x d, n != d."""
    n = int(rng.integers(2, 9))
    d = int(rng.integers(1, 7))
    while d == n:
        d = int(rng.integers(1, 7))
    X = rng.normal(size=(n, d))
    sigma, tau = float(rng.uniform(0.2, 3.0)), float(rng.uniform(0.2, 3.0))
    y = X @ rng.normal(0.0, tau, size=d) + rng.normal(0.0, sigma, size=n)
    joint = GaussianModel({"w": d, "y": n}, np.zeros(d + n),
                          np.block([[tau**2 * np.eye(d), tau**2 * X.T],
                                    [tau**2 * X, tau**2 * X @ X.T + sigma**2 * np.eye(n)]]))
    posterior = joint.law(["w"], {"y": y})
    mean = np.atleast_1d(posterior.mean)
    return {"what_MAP": mean, "X": X, "y": y, "sigma": sigma, "tau": tau}


def _weight_decay(rng: np.random.Generator) -> dict:
    d = int(rng.integers(2, 6))
    return {"w": rng.normal(size=d), "eta": float(rng.uniform(0.001, 0.5)), "n": int(rng.integers(1, 500)),
            "tau": float(rng.uniform(0.1, 3.0))}


# -- misspecification ------------------------------------------------------------------------------------
#
# p_data is not Gaussian: a gamma, a Laplace or a two-component mixture density from scipy (and a Gaussian,
# the equality case). Expectations under p_data use a composite Gauss-Legendre rule whose accuracy is
# checked against a rule with twice the panels (``_nodes``). theta* minimises the cross-entropy
# E[-log N(x; mu, sigma^2)] numerically; J and K average torch-autograd scores and Hessians; I(theta*)^{-1}
# inverts torch's KL curvature; the central moments mu_k average (x - mean)^k.

def _data_law(rng: np.random.Generator) -> tuple[Any, float, float, list[float]]:
    """(scipy law, lo, hi, break points) for p_data; the mass outside [lo, hi] is below 1e-16."""
    kind = int(rng.integers(4))
    if kind == 0:
        law = scipy.stats.gamma(float(rng.uniform(1.5, 6.0)), scale=float(rng.uniform(0.3, 2.0)))
        return law, 0.0, float(law.isf(1e-17)), [float(law.mean())]
    if kind == 1:
        loc, scale = float(rng.normal()), float(rng.uniform(0.3, 2.0))
        return scipy.stats.laplace(loc, scale), loc - 40 * scale, loc + 40 * scale, [loc]
    if kind == 2:  # Gaussian data: the model is right, and the two matrices agree
        loc, scale = float(rng.normal()), float(rng.uniform(0.3, 2.0))
        return scipy.stats.norm(loc, scale), loc - 40 * scale, loc + 40 * scale, [loc]
    w = float(rng.uniform(0.1, 0.9))
    means, sds = rng.normal(scale=2.0, size=2), rng.uniform(0.4, 1.5, size=2)

    class _Mix:
        def pdf(self, x: np.ndarray) -> np.ndarray:
            return w * scipy.stats.norm.pdf(x, means[0], sds[0]) + (1 - w) * scipy.stats.norm.pdf(x, means[1], sds[1])

    return _Mix(), float(means.min() - 40 * sds.max()), float(means.max() + 40 * sds.max()), sorted(means.tolist())


def _nodes(law: Any, lo: float, hi: float, points: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Nodes x and weights w * p_data(x) of a composite 16-point Gauss-Legendre rule on [lo, hi], split at
    ``points``; accepted when the doubled rule gives the same first four moments to 1e-12."""
    base, weights = np.polynomial.legendre.leggauss(16)

    def rule(panels: int) -> tuple[np.ndarray, np.ndarray]:
        edges = np.unique(np.concatenate([np.linspace(lo, hi, panels + 1), [p for p in points if lo < p < hi]]))
        a, b = edges[:-1, None], edges[1:, None]
        x = (0.5 * (b - a) * base + 0.5 * (a + b)).ravel()
        return x, (0.5 * (b - a) * weights).ravel() * law.pdf(x)

    x, w = rule(400)
    x2, w2 = rule(800)
    center = float(w2 @ x2)
    moments = [np.sum(w * (x - center) ** k) for k in range(5)]
    moments2 = [np.sum(w2 * (x2 - center) ** k) for k in range(5)]
    if abs(moments2[0] - 1.0) > 1e-12 or not np.allclose(moments, moments2, rtol=1e-12, atol=1e-12):
        raise ob.NumericalError(f"Gauss-Legendre moments did not settle: {moments} vs {moments2}")
    return x2, w2


def _misspec_gaussian(rng: np.random.Generator) -> dict:
    law, lo, hi, points = _data_law(rng)
    x, w = _nodes(law, lo, hi, points)
    spread = math.sqrt(float(w @ (x - w @ x) ** 2))  # a starting scale for the search only

    def cross_entropy(params: np.ndarray) -> float:  # E[-log N(x; mu, sigma^2)], the density written out
        mu, log_sigma = params
        return float(w @ (0.5 * ((x - mu) / math.exp(log_sigma)) ** 2)) + log_sigma + 0.5 * math.log(2 * math.pi)

    best = scipy.optimize.minimize(cross_entropy, x0=[float(w @ x) + 0.3 * spread, math.log(spread) + 0.2],
                                   method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 2000})
    if not best.success:
        raise ob.NumericalError(f"the cross-entropy minimisation did not converge: {best.message}")
    data = Density(pdf_fn=lambda v: float(law.pdf(v)), lo=lo, hi=hi, points=points)
    return {"mustar": float(best.x[0]), "sigmastar": math.exp(float(best.x[1])), "p_data": data}


def _torch_gaussian_derivatives(x: np.ndarray, mu: float, var: float) -> tuple[np.ndarray, np.ndarray]:
    """Scores (m, 2) and Hessians (m, 2, 2) of log N(x; mu, v) in theta = (mu, v), by torch.func."""
    import torch
    from torch.distributions import Normal as TorchNormal

    def log_prob(theta: Any, point: Any) -> Any:
        return TorchNormal(theta[0], theta[1].sqrt()).log_prob(point)

    theta = torch.tensor([mu, var], dtype=torch.float64)
    points = torch.as_tensor(x, dtype=torch.float64)
    grads = torch.func.vmap(torch.func.grad(log_prob), in_dims=(None, 0))(theta, points)
    with warnings.catch_warnings():
        # torch.func.hessian's first call imports torch's forward-mode rules, which call the deprecated
        # torch.jit.script (torch 2.13); MkDocs prints such a warning with a stack, like an error
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated", category=DeprecationWarning)
        hessians = torch.func.vmap(torch.func.hessian(log_prob), in_dims=(None, 0))(theta, points)
    return grads.numpy(), hessians.numpy()


def _sandwich_gaussian(rng: np.random.Generator) -> dict:
    law, lo, hi, points = _data_law(rng)
    x, w = _nodes(law, lo, hi, points)
    mean = float(w @ x)
    var = float(w @ (x - mean) ** 2)
    scores, hessians = _torch_gaussian_derivatives(x, mean, var)
    J = -np.einsum("m,mab->ab", w, hessians)
    K = np.einsum("m,ma,mb->ab", w, scores, scores)
    return {"J": J, "K": K, "mu_2": var, "mu_3": float(w @ (x - mean) ** 3), "mu_4": float(w @ (x - mean) ** 4),
            "thetastar": (mean, var), "calI": lambda theta: _gaussian_fisher_matrix(*theta)}


# -- latent variables: the ELBO, EM for a Gaussian mixture, the singularity ---------------------------------
#
# The mixture's log-density comes from torch.distributions.MixtureSameFamily; its joint p(x, z = k) and the
# component densities from scipy; the posterior p(z | x) = p(x, z) / p(x) with torch's p(x). The E-step is
# checked against a derivative (r_k = pi_k d log p(x) / d pi_k with unnormalised weights), the M-step and
# the EM inequality against numerical maximisers of the ELBO, never against genmath's EM functions.

def _mixture_params(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = int(rng.integers(2, 4))
    return rng.dirichlet(np.full(k, 2.0)), rng.normal(scale=2.5, size=k), rng.uniform(0.4, 2.0, size=k)


def _torch_mixture_logpdf(weights: np.ndarray, means: np.ndarray, sds: np.ndarray) -> Callable[[Any], np.ndarray]:
    import torch
    import torch.distributions as td

    mix = td.MixtureSameFamily(td.Categorical(probs=torch.as_tensor(weights, dtype=torch.float64)),
                               td.Normal(torch.as_tensor(means, dtype=torch.float64),
                                         torch.as_tensor(sds, dtype=torch.float64)))
    return lambda x: mix.log_prob(torch.as_tensor(np.asarray(x, dtype=float), dtype=torch.float64)).numpy()


def _mixture_sample(rng: np.random.Generator, weights: np.ndarray, means: np.ndarray, sds: np.ndarray,
                    n: int) -> np.ndarray:
    z = rng.choice(weights.size, size=n, p=weights)
    return rng.normal(means[z], sds[z])


def _elbo_decomposition(rng: np.random.Generator) -> dict:
    weights, means, sds = _mixture_params(rng)
    logpdf = _torch_mixture_logpdf(weights, means, sds)
    x = float(_mixture_sample(rng, weights, means, sds, 1)[0])
    components = np.arange(1, weights.size + 1)
    joint = weights * scipy.stats.norm.pdf(x, means, sds)  # p(x, z = k)
    posterior = joint / math.exp(float(logpdf(x)))
    q = posterior.copy() if rng.uniform() < 0.2 else rng.dirichlet(np.ones(weights.size))  # q = posterior: KL = 0
    if rng.uniform() < 0.2:
        q[int(rng.integers(q.size))] = 0.0  # a q that rules out a component
        q /= q.sum()
    model = ob.Table({
        "x": Density(logpdf_fn=lambda v: float(logpdf(v))),
        "x,z": lambda v, z: float(weights[int(z) - 1] * scipy.stats.norm.pdf(v, means[int(z) - 1], sds[int(z) - 1])),
        "z|x": lambda v: Discrete(posterior, list(components)),
    })
    return {"p_theta": model, "q": Discrete(q, list(components)), "x": x}


def _responsibility(rng: np.random.Generator) -> dict:
    weights, means, sds = _mixture_params(rng)
    x = _mixture_sample(rng, weights, means, sds, int(rng.integers(1, 12)))
    K = weights.size

    def log_mixture(unnormalised: np.ndarray, v: float) -> float:
        return math.log(float(np.sum(unnormalised * scipy.stats.norm.pdf(v, means, sds))))

    def r(i: int, k: int) -> float:  # pi_k d/d pi_k log sum_j pi_j N_j, the pi_j free (not summing to 1)
        def along(t: float) -> float:
            w = weights.copy()
            w[k - 1] = t
            return log_mixture(w, float(x[i - 1]))

        return weights[k - 1] * float(derivative(along, weights[k - 1]))

    # index 0 exists and means "no such component" (weight 0), so that a shifted index has a value
    point = {"x": x, "n": x.size, "K": K, "i": int(rng.integers(1, x.size + 1)), "k": int(rng.integers(1, K + 1)),
             "mu": Seq([0.0, *means], start=0), "sigma": Seq([1.0, *sds], start=0),
             "r_ik": Lazy(lambda s: r(int(s["i"]), int(s["k"]))),
             "r_ik-1": Lazy(lambda s: r(int(s["i"]), int(s["k"]) - 1) if int(s["k"]) > 1 else 0.0)}
    point.update({f"pi_{j}": float(weights[j - 1]) for j in range(1, K + 1)})  # \pi alone stays the constant
    point["pi_0"] = 0.0
    return point


def _m_step(rng: np.random.Generator) -> dict:
    """Any responsibilities (the M-step holds for every q): the new parameters maximise
    sum_i sum_k r_ik log(pi_k N(x_i; mu_k, sigma_k^2)), found numerically, one block at a time."""
    weights, means, sds = _mixture_params(rng)
    K = weights.size
    x = _mixture_sample(rng, weights, means, sds, int(rng.integers(2, 25)))
    resp = rng.dirichlet(np.ones(K), size=x.size)
    mu_new, sigma_new = np.empty(K), np.empty(K)
    lo, hi = float(x.min()) - 1.0, float(x.max()) + 1.0
    for k in range(K):
        r = resp[:, k]
        mu_new[k] = argmax(lambda m, r=r: float(r @ scipy.stats.norm.logpdf(x, m, 1.0)), lo, hi)
        sigma_new[k] = argmax(lambda s, r=r, m=mu_new[k]: float(r @ scipy.stats.norm.logpdf(x, m, s)), 1e-3, hi - lo)
    counts = resp.sum(axis=0)

    def neg(p: np.ndarray) -> float:
        return -float(counts @ np.log(np.maximum(p, 1e-300)))

    best = scipy.optimize.minimize(neg, np.full(K, 1.0 / K), method="SLSQP", bounds=[(0.0, 1.0)] * K,
                                   constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1.0}],
                                   options={"ftol": 1e-15, "maxiter": 500})
    def r(i: int, k: int) -> float:  # r_0k and r_i0 (no observation 0, no component 0) are 0
        return float(resp[i - 1, k - 1]) if i >= 1 and k >= 1 else 0.0

    return {**_data(x, float(rng.normal())), "n": x.size, "K": K, "k": int(rng.integers(1, K + 1)),
            "piprime": best.x, "muprime": mu_new, "sigmaprime": sigma_new,
            "r_ik": Lazy(lambda s: r(int(s["i"]), int(s["k"]))),
            "r_ik-1": Lazy(lambda s: r(int(s["i"]), int(s["k"]) - 1))}


def _pack(weights: np.ndarray, means: np.ndarray, sds: np.ndarray) -> np.ndarray:
    return np.concatenate([np.log(weights[1:] / weights[0]), means, np.log(sds)])


def _unpack(theta: np.ndarray, K: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    logits = np.concatenate([[0.0], theta[:K - 1]])
    return scipy.special.softmax(logits), theta[K - 1:2 * K - 1], np.exp(theta[2 * K - 1:])


def _em_monotone(rng: np.random.Generator) -> dict:
    """theta' maximises L(q, .) numerically (BFGS on unconstrained parameters); a third of the points start at
    a numerical maximum of the likelihood, where EM stands still and the inequalities are equalities."""
    weights, means, sds = _mixture_params(rng)
    K = 2
    weights, means, sds = np.array([weights[0], 1 - weights[0]]), means[:2], sds[:2]
    x = _mixture_sample(rng, weights, means, sds, int(rng.integers(5, 30)))

    def ell(theta: np.ndarray) -> float:
        return float(np.sum(_torch_mixture_logpdf(*_unpack(np.asarray(theta), K))(x)))

    def elbo(q: np.ndarray, theta: np.ndarray) -> float:  # sum_i sum_k q log(p(x_i, k) / q)
        w, m, s = _unpack(np.asarray(theta), K)
        log_joint = np.log(w) + scipy.stats.norm.logpdf(x[:, None], m, s)
        return float(np.sum(np.where(q > 0, q * (log_joint - np.log(np.where(q > 0, q, 1.0))), 0.0)))

    def posterior(theta: np.ndarray) -> np.ndarray:
        w, m, s = _unpack(theta, K)
        joint = w * scipy.stats.norm.pdf(x[:, None], m, s)
        return joint / joint.sum(axis=1, keepdims=True)

    def ell_scipy(theta: np.ndarray) -> float:  # the same log-likelihood from scipy, cheaper for the optimiser
        w, m, s = _unpack(theta, K)
        return float(np.sum(scipy.special.logsumexp(np.log(w) + scipy.stats.norm.logpdf(x[:, None], m, s), axis=1)))

    theta = _pack(weights, means + rng.normal(scale=0.7, size=K), sds * rng.uniform(0.6, 1.6, size=K))
    options = {"gtol": 1e-10, "maxiter": 2000}
    if rng.uniform() < 0.35:  # start at a local maximum of the likelihood
        theta = scipy.optimize.minimize(lambda t: -ell_scipy(t), theta, method="BFGS", options=options).x
    q = posterior(theta)
    new = scipy.optimize.minimize(lambda t: -elbo(q, t), theta, method="BFGS", options=options).x
    return {"ell": ell, "calL": elbo, "q": q, "theta": theta, "thetaprime": new}


def _gmm_degenerate(rng: np.random.Generator) -> dict:
    """Component 1 sits on x_1; sigma_1 ranges from moderate to 1e-13 (where the bound is tight)."""
    weights, means, sds = _mixture_params(rng)
    K = weights.size
    x = _mixture_sample(rng, weights, means, sds, int(rng.integers(2, 30)))
    means = means.copy()
    means[0] = x[0]
    sds = sds.copy()
    sds[0] = 10.0 ** float(rng.uniform(-13, 0.3)) if rng.uniform() < 0.7 else 1e-13
    def ell(theta: tuple[np.ndarray, np.ndarray, np.ndarray]) -> float:
        return float(np.sum(_torch_mixture_logpdf(*theta)(x)))

    point = {"ell": ell, "theta": (weights, means, sds), "x": x, "n": x.size, "K": K, "mu": means, "sigma": sds}
    point.update({f"pi_{j}": float(weights[j - 1]) for j in range(1, K + 1)})
    return point


CHECKS = {
    "mle-likelihood": Check(_likelihood),
    "mle-bernoulli-loglik": Check(_bernoulli_loglik),
    "mle-bernoulli": Check(_bernoulli_mle, rtol=1e-9, atol=1e-11),
    "mle-gaussian-loglik": Check(_gaussian_loglik),
    "mle-gaussian-mean": Check(_gaussian_mean, rtol=1e-8, atol=1e-9),
    "mle-gaussian-score-variance": Check(_score_variance, rtol=1e-8, atol=1e-10),
    "mle-gaussian-variance": Check(_gaussian_variance, rtol=1e-9, atol=1e-11),
    "mle-poisson-loglik": Check(_poisson_loglik),
    "mle-poisson": Check(_poisson_mle, rtol=1e-9, atol=1e-11),
    "mle-categorical-loglik": Check(_categorical_loglik),
    "mle-categorical": Check(_categorical_mle, rtol=1e-6, atol=1e-7),
    "mle-sum-of-squares": Check(_sum_of_squares),
    "mle-variance-bias": Check(_variance_bias, n_points=8),
    "mle-grad-mu": Check(_gradients, rtol=1e-8, atol=1e-10),
    "mle-grad-logsigma": Check(_gradients, rtol=1e-8, atol=1e-10),
    "mle-fisher-bernoulli": Check(_fisher_bernoulli, rtol=1e-7, atol=1e-9),
    "mle-bernoulli-variance": Check(_bernoulli_variance, n_points=10, rtol=1e-8, atol=1e-10),
    "mle-map": Check(_map, rtol=1e-9, atol=1e-11),
    "mle-empirical-cross-entropy": Check(_empirical),
    "mle-cross-entropy": Check(_empirical),
    "mle-gaussian-nll": Check(_gaussian_nll),
    "mle-bpd": Check(_bpd),
    "mle-score": Check(_score, n_points=12, rtol=1e-8, atol=1e-10),
    "mle-score-mean": Check(_score_mean, n_points=6, rtol=1e-7, atol=1e-8),
    "mle-fisher-identity": Check(_fisher_identity, n_points=8, rtol=1e-7, atol=1e-8),
    "mle-fisher-gaussian": Check(_fisher_gaussian, n_points=10, rtol=1e-9, atol=1e-12),
    "mle-cramer-rao": Check(_cramer_rao, n_points=25, rtol=1e-8, atol=1e-10),
    "mle-invariance": Check(_invariance, rtol=1e-9, atol=1e-11),
    "mle-map-logit": Check(_map_logit, rtol=1e-9, atol=1e-10),
    "mle-ridge": Check(_ridge, rtol=1e-9, atol=1e-12),
    "mle-weight-decay": Check(_weight_decay, rtol=1e-8, atol=1e-10),
    "mle-misspec-gaussian": Check(_misspec_gaussian, n_points=10, rtol=1e-6, atol=1e-7),
    "mle-sandwich-gaussian": Check(_sandwich_gaussian, n_points=12, rtol=1e-8, atol=1e-10),
    "mle-sandwich-naive": Check(_sandwich_gaussian, n_points=12, rtol=1e-8, atol=1e-10),
    "mle-elbo-decomposition": Check(_elbo_decomposition, rtol=1e-9, atol=1e-11),
    "mle-em-responsibility": Check(_responsibility, rtol=1e-8, atol=1e-10),
    "mle-em-mstep": Check(_m_step, n_points=15, rtol=1e-6, atol=1e-8),
    "mle-em-monotone": Check(_em_monotone, n_points=15, rtol=1e-9, atol=1e-7),
    "mle-gmm-degenerate": Check(_gmm_degenerate, rtol=1e-10, atol=1e-9),
}
