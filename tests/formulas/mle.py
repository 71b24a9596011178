"""Formula checks for docs/mle.md (maximum likelihood).

Each check draws a random data set or parameter point, computes the formula's left-hand side with the
genmath function that implements it, and the sums / expectations the formula names by direct
computation (numpy sums over the data, exact sums over a finite support, torch autograd).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.special import gammaln

import genmath
from genmath.sitebuild.formulas import Check

ELL = {r"\ell(p)": "ell"}
# sympy's LaTeX parser reads `p(1-p)` as a function call; the chapter writes `{p}(1-p)` (same rendering)


def _bernoulli_data(rng: np.random.Generator) -> tuple[np.ndarray, float]:
    n = int(rng.integers(2, 40))
    p = float(rng.uniform(0.1, 0.9))
    return rng.binomial(1, p, size=n).astype(float), p


def _bernoulli_loglik(rng: np.random.Generator) -> dict[str, float]:
    x, _ = _bernoulli_data(rng)
    p = float(rng.uniform(0.05, 0.95))
    direct = float(np.sum(x * np.log(p) + (1 - x) * np.log(1 - p)))
    return {"ell": genmath.bernoulli_log_likelihood(p, x), "S": direct, "p": p, "k": x.sum(), "n": x.size}


def _bernoulli(rng: np.random.Generator) -> dict[str, float]:
    x, _ = _bernoulli_data(rng)
    return {"phat": genmath.bernoulli_mle(x), "S": x.sum(), "k": x.sum(), "n": x.size}


def _gaussian_data(rng: np.random.Generator) -> np.ndarray:
    return rng.normal(rng.normal(), rng.uniform(0.3, 3.0), size=int(rng.integers(2, 30)))


def _gaussian_loglik(rng: np.random.Generator) -> dict[str, float]:
    x = _gaussian_data(rng)
    mu, sigma = float(rng.normal()), float(rng.uniform(0.3, 3.0))
    return {"ell": genmath.gaussian_log_likelihood(x, mu, sigma), "S": float(np.sum((x - mu) ** 2)),
            "n": x.size, "mu": mu, "sigma": sigma, "pi": math.pi}


def _gaussian_mean(rng: np.random.Generator) -> dict[str, float]:
    x = _gaussian_data(rng)
    mu_hat, _ = genmath.gaussian_mle(x)
    return {"muhat": mu_hat, "S": float(np.sum(x)), "n": x.size}


def _gaussian_variance(rng: np.random.Generator) -> dict[str, float]:
    x = _gaussian_data(rng)
    mu_hat, sigma2_hat = genmath.gaussian_mle(x)
    return {"sigmahat": math.sqrt(sigma2_hat), "S": float(np.sum((x - mu_hat) ** 2)), "n": x.size}


def _gaussian_score_variance(rng: np.random.Generator) -> dict[str, float]:
    x = _gaussian_data(rng)
    mu, v = float(rng.normal()), float(rng.uniform(0.1, 9.0))
    # d ell / d v by torch autograd on the log-likelihood, with v = sigma^2 as the variable
    v_t = torch.tensor(v, dtype=torch.float64, requires_grad=True)
    ell = torch.distributions.Normal(mu, torch.sqrt(v_t)).log_prob(torch.as_tensor(x)).sum()
    ell_value = ell.item()
    (grad,) = torch.autograd.grad(ell, v_t)
    assert abs(ell_value - genmath.gaussian_log_likelihood(x, mu, math.sqrt(v))) <= 1e-9 * abs(ell_value)
    return {"g": float(grad), "n": x.size, "v": v, "S": float(np.sum((x - mu) ** 2))}


def _sum_of_squares(rng: np.random.Generator) -> dict[str, float]:
    x = _gaussian_data(rng)
    mu = float(rng.normal())
    mu_hat, sigma2_hat = genmath.gaussian_mle(x)
    return {"S1": x.size * sigma2_hat, "S2": float(np.sum((x - mu) ** 2)), "n": x.size, "xbar": mu_hat,
            "mu": mu}


def _variance_bias(rng: np.random.Generator) -> dict[str, float]:
    n = int(rng.integers(2, 40))
    sigma2 = float(rng.uniform(0.1, 10.0))
    # exact: sigma2_hat = x^T A x with A = (I - 11^T/n)/n; for x ~ N(mu 1, sigma2 I),
    # E[x^T A x] = tr(A) sigma2 + mu^2 1^T A 1, and A 1 = 0
    a = (np.eye(n) - np.ones((n, n)) / n) / n
    expected = float(np.trace(a)) * sigma2
    bias = genmath.gaussian_variance_mle_bias(sigma2, n)
    assert abs(sigma2 + bias - expected) <= 1e-12 * sigma2, "genmath bias disagrees with the exact value"
    return {"E": expected, "n": n, "sigma": math.sqrt(sigma2)}


def _poisson_data(rng: np.random.Generator) -> np.ndarray:
    return rng.poisson(rng.uniform(0.5, 8.0), size=int(rng.integers(1, 30)))


def _poisson_loglik(rng: np.random.Generator) -> dict[str, float]:
    x = _poisson_data(rng)
    lam = float(rng.uniform(0.2, 10.0))
    return {"ell": genmath.poisson_log_likelihood(lam, x), "S": float(x.sum()),
            "F": float(np.sum(gammaln(x + 1.0))), "n": x.size, "lambda": lam}


def _poisson(rng: np.random.Generator) -> dict[str, float]:
    x = _poisson_data(rng)
    return {"lambdahat": genmath.poisson_mle(x), "S": float(x.sum()), "n": x.size}


def _categorical_loglik(rng: np.random.Generator) -> dict[str, float]:
    n_categories = int(rng.integers(2, 7))
    pi = rng.dirichlet(np.ones(n_categories))
    labels = rng.integers(0, n_categories, size=int(rng.integers(1, 50)))
    counts = np.bincount(labels, minlength=n_categories)
    return {"ell": genmath.categorical_log_likelihood(pi, counts), "S1": float(np.sum(np.log(pi[labels]))),
            "S2": float(np.sum(counts * np.log(pi)))}


def _categorical(rng: np.random.Generator) -> dict[str, float]:
    counts = rng.integers(0, 20, size=int(rng.integers(2, 7)))
    counts[0] += 1  # at least one observation
    k = int(rng.integers(0, counts.size))
    return {"pihat_k": genmath.categorical_mle(counts)[k], "n_k": counts[k], "n": counts.sum()}


def _gaussian_gradients(rng: np.random.Generator) -> dict[str, float]:
    x = _gaussian_data(rng)
    mu, sigma = float(rng.normal()), float(rng.uniform(0.3, 3.0))
    g_mu, g_log_sigma = genmath.gaussian_nll_gradient(x, mu, sigma)
    return {"g_mu": g_mu, "g_log_sigma": g_log_sigma, "mu": mu, "sigma": sigma, "xbar": float(x.mean()),
            "v": float(np.mean((x - mu) ** 2))}


def _fisher_bernoulli(rng: np.random.Generator) -> dict[str, float]:
    p = float(rng.uniform(0.02, 0.98))
    # E over x in {0, 1} of the second derivative of log f(x; p), by torch autograd (double backward)
    p_t = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    expected_hessian = 0.0
    for x, prob in ((1.0, p), (0.0, 1.0 - p)):
        log_f = torch.distributions.Bernoulli(probs=p_t).log_prob(torch.tensor(x, dtype=torch.float64))
        (score,) = torch.autograd.grad(log_f, p_t, create_graph=True)
        (second,) = torch.autograd.grad(score, p_t)
        expected_hessian += prob * float(second)
    return {"I": genmath.fisher_information_bernoulli(p), "H": expected_hessian, "p": p}


def _bernoulli_variance(rng: np.random.Generator) -> dict[str, float]:
    p = float(rng.uniform(0.02, 0.98))
    n = int(rng.integers(1, 60))
    k = np.arange(n + 1)
    pmf = np.exp(genmath.binomial_log_likelihood(p, k, n))
    z = math.sqrt(n) * (genmath.binomial_mle(k, n) - p)
    mean = float(np.sum(pmf * z))
    return {"V": float(np.sum(pmf * (z - mean) ** 2)), "I": genmath.fisher_information_bernoulli(p), "p": p}


def _map(rng: np.random.Generator) -> dict[str, float]:
    n = int(rng.integers(1, 40))
    k = int(rng.integers(0, n + 1))
    a, b = rng.uniform(1.0, 6.0, size=2)
    return {"pmap": genmath.bernoulli_map(k, n, a, b), "k": k, "n": n, "a": a, "b": b}


def _cross_entropy(rng: np.random.Generator) -> dict[str, float]:
    n_categories = int(rng.integers(2, 7))
    counts = rng.integers(0, 15, size=n_categories)
    counts[0] += 1
    p_theta = rng.dirichlet(np.ones(n_categories))
    p_data = genmath.categorical_mle(counts)
    return {"ell": genmath.categorical_log_likelihood(p_theta, counts), "n": counts.sum(),
            "CE": genmath.cross_entropy(p_data, p_theta), "H": genmath.entropy(p_data),
            "KL": genmath.kl_divergence(p_data, p_theta)}


def _gaussian_nll(rng: np.random.Generator) -> dict[str, float]:
    x = _gaussian_data(rng)
    mu, sigma = float(rng.normal()), float(rng.uniform(0.3, 3.0))
    return {"ell": genmath.gaussian_log_likelihood(x, mu, sigma), "MSE": float(np.mean((x - mu) ** 2)),
            "n": x.size, "sigma": sigma, "pi": math.pi}


def _bpd(rng: np.random.Generator) -> dict[str, float]:
    nll = float(rng.uniform(-100.0, 1e4))
    dims = int(rng.integers(1, 4000))
    return {"bpd": genmath.bits_per_dim(nll, dims), "NLL": nll, "D": dims}


CHECKS = {
    "mle-bernoulli-loglik": Check(
        subs={**ELL, r"\sum_{i=1}^n \bigl[x_i \log p + (1 - x_i)\log(1 - p)\bigr]": "S"},
        values=_bernoulli_loglik),
    "mle-bernoulli": Check(subs={r"\sum_{i=1}^n x_i": "S"}, values=_bernoulli),
    "mle-gaussian-loglik": Check(
        subs={r"\ell(\mu, \sigma^2)": "ell", r"\sum_{i=1}^n (x_i - \mu)^2": "S"}, values=_gaussian_loglik),
    "mle-gaussian-mean": Check(subs={r"\sum_{i=1}^n x_i": "S"}, values=_gaussian_mean),
    "mle-gaussian-variance": Check(subs={r"\sum_{i=1}^n (x_i - \hat\mu)^2": "S"}, values=_gaussian_variance),
    "mle-gaussian-score-variance": Check(
        subs={r"\frac{\partial \ell}{\partial v}": "g", r"\sum_{i=1}^n (x_i - \mu)^2": "S"},
        values=_gaussian_score_variance),
    "mle-sum-of-squares": Check(
        subs={r"\sum_{i=1}^n (x_i - \bar x)^2": "S1", r"\sum_{i=1}^n (x_i - \mu)^2": "S2"},
        values=_sum_of_squares),
    "mle-variance-bias": Check(subs={r"\mathbb{E}[\hat\sigma^2]": "E"}, values=_variance_bias),
    "mle-poisson-loglik": Check(
        subs={r"\ell(\lambda)": "ell", r"\sum_{i=1}^n x_i": "S", r"\sum_{i=1}^n \log x_i!": "F"},
        values=_poisson_loglik),
    "mle-poisson": Check(subs={r"\sum_{i=1}^n x_i": "S"}, values=_poisson),
    "mle-categorical-loglik": Check(
        subs={r"\ell(\pi)": "ell", r"\sum_{i=1}^n \log \pi_{x_i}": "S1", r"\sum_{k=1}^K n_k \log \pi_k": "S2"},
        values=_categorical_loglik),
    "mle-categorical": Check(values=_categorical),
    "mle-grad-mu": Check(subs={r"\frac{\partial\bar\ell}{\partial\mu}": "g_mu"}, values=_gaussian_gradients),
    "mle-grad-logsigma": Check(subs={r"\frac{\partial\bar\ell}{\partial\log\sigma}": "g_log_sigma"},
                               values=_gaussian_gradients),
    "mle-fisher-bernoulli": Check(
        subs={r"\mathcal{I}(p)": "I", r"\mathbb{E}\left[\frac{\partial^2}{\partial p^2}\log f(x;p)\right]": "H"},
        values=_fisher_bernoulli),
    "mle-bernoulli-variance": Check(
        subs={r"\operatorname{Var}\left[\sqrt{n}(\hat p - p)\right]": "V", r"\mathcal{I}(p)": "I"},
        values=_bernoulli_variance),
    "mle-map": Check(subs={r"\hat p_{\mathrm{MAP}}": "pmap"}, values=_map),
    "mle-cross-entropy": Check(
        subs={r"\ell(\theta)": "ell", r"H(\hat p_{\mathrm{data}}, p_\theta)": "CE",
              r"H(\hat p_{\mathrm{data}})": "H", r"\mathrm{KL}(\hat p_{\mathrm{data}}\,\|\,p_\theta)": "KL"},
        values=_cross_entropy),
    "mle-gaussian-nll": Check(subs={r"\ell(\mu, \sigma^2)": "ell", r"\mathrm{MSE}": "MSE"}, values=_gaussian_nll),
    "mle-bpd": Check(subs={r"\mathrm{bpd}": "bpd", r"\mathrm{NLL}": "NLL"}, values=_bpd),
}
