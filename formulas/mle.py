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
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.optimize
import scipy.stats

from genmath.formulas import IID, Bernoulli, Check, Discrete, Finite, Lazy, Normal, argmax
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
}
