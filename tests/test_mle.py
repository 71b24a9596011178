"""Tests for genmath.mle: closed forms vs numerical maximisation, log-likelihoods vs scipy.stats and
torch.distributions, the variance bias by simulation, gradient descent, MAP, and every error path."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

import genmath
from genmath import mle

MAX = float(np.finfo(np.float64).max)

torch.set_num_threads(1)
RNG_SEED = 0


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(RNG_SEED)


def _argmax_1d(f, lo: float, hi: float) -> float:
    """Numerical maximiser of a 1-D function on (lo, hi), bounded Brent, tight tolerance."""
    res = optimize.minimize_scalar(lambda t: -f(t), bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-10})
    assert res.success
    return float(res.x)


# --------------------------------------------------------------------------------------------
# Bernoulli / binomial
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("k", "n"), [(7, 10), (1, 25), (33, 40), (250, 1000)])
def test_binomial_mle_maximises_log_likelihood(k: int, n: int) -> None:
    p_num = _argmax_1d(lambda p: mle.binomial_log_likelihood(p, k, n), 1e-9, 1 - 1e-9)
    assert mle.binomial_mle(k, n) == pytest.approx(k / n)
    assert p_num == pytest.approx(mle.binomial_mle(k, n), abs=1e-6)


def test_binomial_mle_boundaries_and_batch() -> None:
    assert mle.binomial_mle(0, 5) == 0.0
    assert mle.binomial_mle(5, 5) == 1.0
    np.testing.assert_allclose(mle.binomial_mle([1, 2, 3], 4), [0.25, 0.5, 0.75])
    np.testing.assert_allclose(mle.binomial_mle(2.0, [4, 8]), [0.5, 0.25])


def test_bernoulli_mle_from_data(rng: np.random.Generator) -> None:
    x = rng.binomial(1, 0.3, size=(4, 50))
    np.testing.assert_allclose(mle.bernoulli_mle(x), x.mean(axis=-1))
    assert mle.bernoulli_mle([1, 0, 1, 1]) == 0.75


@pytest.mark.parametrize("p", [0.0, 0.05, 0.3, 0.5, 0.99, 1.0])
def test_binomial_log_likelihood_vs_scipy_and_torch(p: float) -> None:
    n = 12
    k = np.arange(n + 1)
    ours = mle.binomial_log_likelihood(p, k, n)
    np.testing.assert_allclose(ours, stats.binom.logpmf(k, n, p), rtol=1e-12, atol=1e-12)
    if 0 < p < 1:
        ref = torch.distributions.Binomial(n, probs=torch.tensor(p, dtype=torch.float64)).log_prob(
            torch.as_tensor(k, dtype=torch.float64))
        np.testing.assert_allclose(ours, ref.numpy(), rtol=1e-10)


def test_binomial_log_likelihood_impossible_data_is_minus_inf() -> None:
    assert mle.binomial_log_likelihood(0.0, 3, 10) == -math.inf
    assert mle.binomial_log_likelihood(1.0, 3, 10) == -math.inf
    assert mle.binomial_log_likelihood(0.0, 0, 10) == 0.0
    assert not np.isnan(mle.bernoulli_sequence_log_likelihood(1.0, 10, 10))


def test_log_binomial_coefficient_large_n() -> None:
    assert mle.log_binomial_coefficient(10, 3) == pytest.approx(math.log(120))
    assert mle.log_binomial_coefficient(10_000, 5_000) == pytest.approx(
        math.lgamma(10_001) - 2 * math.lgamma(5_001), rel=1e-12)


def test_bernoulli_log_likelihood_vs_torch(rng: np.random.Generator) -> None:
    x = rng.binomial(1, 0.4, size=(3, 20)).astype(float)
    p = np.array([0.2, 0.4, 0.9])
    ours = mle.bernoulli_log_likelihood(p, x)
    ref = torch.distributions.Bernoulli(probs=torch.as_tensor(p)[:, None]).log_prob(torch.as_tensor(x))
    np.testing.assert_allclose(ours, ref.sum(-1).numpy(), rtol=1e-12)
    # the sequence log-likelihood differs from the binomial one by the log binomial coefficient
    k = x.sum(-1)
    np.testing.assert_allclose(mle.binomial_log_likelihood(p, k, 20) - ours,
                               mle.log_binomial_coefficient(20, k), rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Gaussian
# --------------------------------------------------------------------------------------------

def test_gaussian_mle_maximises_log_likelihood(rng: np.random.Generator) -> None:
    x = rng.normal(1.5, 2.0, size=40)
    mu_hat, sigma2_hat = mle.gaussian_mle(x)
    assert mu_hat == pytest.approx(x.mean())
    assert sigma2_hat == pytest.approx(x.var(ddof=0))  # biased, divides by n
    res = optimize.minimize(lambda th: -mle.gaussian_log_likelihood(x, th[0], math.exp(th[1])),
                            x0=[0.0, 0.0], method="BFGS", options={"gtol": 1e-10})
    assert res.x[0] == pytest.approx(mu_hat, abs=1e-6)
    assert math.exp(2 * res.x[1]) == pytest.approx(sigma2_hat, rel=1e-6)


def test_gaussian_mle_batched(rng: np.random.Generator) -> None:
    x = rng.normal(size=(5, 7))
    mu_hat, sigma2_hat = mle.gaussian_mle(x)
    np.testing.assert_allclose(mu_hat, x.mean(-1))
    np.testing.assert_allclose(sigma2_hat, x.var(-1))
    assert mle.gaussian_mle([3.0]) == (3.0, 0.0)


def test_gaussian_log_likelihood_vs_scipy_and_torch(rng: np.random.Generator) -> None:
    x = rng.normal(size=30)
    mu = np.linspace(-1, 1, 5)
    sigma = np.array([0.5, 1.0, 2.0, 0.7, 3.0])
    ours = mle.gaussian_log_likelihood(x, mu, sigma)
    ref = stats.norm.logpdf(x[None, :], mu[:, None], sigma[:, None]).sum(-1)
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    ref_t = torch.distributions.Normal(torch.as_tensor(mu)[:, None], torch.as_tensor(sigma)[:, None])
    np.testing.assert_allclose(ours, ref_t.log_prob(torch.as_tensor(x)).sum(-1).numpy(), rtol=1e-12)
    # batch of data sets, scalar parameters
    xb = rng.normal(size=(2, 3, 4))
    np.testing.assert_allclose(mle.gaussian_log_likelihood(xb, 0.1, 1.3),
                               stats.norm.logpdf(xb, 0.1, 1.3).sum(-1), rtol=1e-12)


def test_gaussian_nll_is_scaled_mse_plus_constant(rng: np.random.Generator) -> None:
    x = rng.normal(size=25)
    mu, sigma = 0.3, 1.7
    mse = np.mean((x - mu) ** 2)
    nll = -mle.gaussian_log_likelihood(x, mu, sigma)
    assert nll == pytest.approx(25 / (2 * sigma**2) * mse + 25 / 2 * math.log(2 * math.pi * sigma**2))


def test_gaussian_variance_bias_by_simulation(rng: np.random.Generator) -> None:
    n, sigma2, trials = 5, 4.0, 200_000
    x = rng.normal(0.0, math.sqrt(sigma2), size=(trials, n))
    _, sigma2_hat = mle.gaussian_mle(x)
    bias = mle.gaussian_variance_mle_bias(sigma2, n)
    assert bias == pytest.approx(-sigma2 / n)
    se = sigma2_hat.std() / math.sqrt(trials)
    assert abs(sigma2_hat.mean() - (sigma2 + bias)) < 4 * se
    # exact: E[x^T A x] = tr(A Sigma) for the centring matrix A / n (mean term vanishes)
    a = (np.eye(n) - np.ones((n, n)) / n) / n
    assert np.trace(a * sigma2) == pytest.approx(sigma2 + bias)


# --------------------------------------------------------------------------------------------
# Poisson
# --------------------------------------------------------------------------------------------

def test_poisson_mle_and_log_likelihood(rng: np.random.Generator) -> None:
    x = rng.poisson(3.2, size=30)
    lam_hat = mle.poisson_mle(x)
    assert lam_hat == pytest.approx(x.mean())
    lam_num = _argmax_1d(lambda lam: mle.poisson_log_likelihood(lam, x), 1e-6, 20)
    assert lam_num == pytest.approx(lam_hat, abs=1e-6)
    lams = np.array([0.5, 3.0, 7.0])
    ours = mle.poisson_log_likelihood(lams, x)
    np.testing.assert_allclose(ours, stats.poisson.logpmf(x[None], lams[:, None]).sum(-1), rtol=1e-12)
    ref = torch.distributions.Poisson(torch.as_tensor(lams)[:, None]).log_prob(
        torch.as_tensor(x, dtype=torch.float64))
    np.testing.assert_allclose(ours, ref.sum(-1).numpy(), rtol=1e-10)


def test_poisson_zero_rate() -> None:
    assert mle.poisson_log_likelihood(0.0, [0, 0, 0]) == 0.0
    assert mle.poisson_log_likelihood(0.0, [0, 1]) == -math.inf
    assert mle.poisson_mle([0, 0]) == 0.0


# --------------------------------------------------------------------------------------------
# Categorical / multinomial
# --------------------------------------------------------------------------------------------

def test_categorical_mle_maximises_log_likelihood() -> None:
    counts = np.array([3, 9, 5, 1])
    p_hat = mle.categorical_mle(counts)
    np.testing.assert_allclose(p_hat, counts / counts.sum())
    # optimise over the simplex via softmax logits
    res = optimize.minimize(
        lambda z: -mle.categorical_log_likelihood(np.exp(z - z.max()) / np.exp(z - z.max()).sum(), counts),
        x0=np.zeros(4), method="BFGS", options={"gtol": 1e-10})
    z = res.x
    np.testing.assert_allclose(np.exp(z) / np.exp(z).sum(), p_hat, atol=1e-5)


def test_categorical_log_likelihood_vs_scipy_and_torch(rng: np.random.Generator) -> None:
    counts = np.array([[2, 0, 5], [1, 1, 1]])
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    multi = mle.multinomial_log_likelihood(p, counts)
    ref = [stats.multinomial.logpmf(c, c.sum(), q) for c, q in zip(counts, p)]
    np.testing.assert_allclose(multi, ref, rtol=1e-12)
    labels = rng.integers(0, 3, size=40)
    c = np.bincount(labels, minlength=3)
    seq = torch.distributions.Categorical(probs=torch.as_tensor(p[0])).log_prob(torch.as_tensor(labels))
    assert mle.categorical_log_likelihood(p[0], c) == pytest.approx(float(seq.sum()), rel=1e-12)
    np.testing.assert_allclose(mle.multinomial_log_likelihood(p, counts) - mle.categorical_log_likelihood(p, counts),
                               mle.log_multinomial_coefficient(counts), rtol=1e-12)


def test_categorical_zero_probability() -> None:
    assert mle.categorical_log_likelihood([0.0, 1.0], [0, 3]) == 0.0
    assert mle.categorical_log_likelihood([0.0, 1.0], [1, 3]) == -math.inf


def test_mle_is_min_cross_entropy_and_kl() -> None:
    counts = np.array([4, 7, 2, 7])
    n = counts.sum()
    p_hat = mle.categorical_mle(counts)
    rng = np.random.default_rng(1)
    for q in rng.dirichlet(np.ones(4), size=5):
        avg_nll = -mle.categorical_log_likelihood(q, counts) / n
        assert avg_nll == pytest.approx(genmath.cross_entropy(p_hat, q), rel=1e-12)
        assert avg_nll == pytest.approx(genmath.entropy(p_hat) + genmath.kl_divergence(p_hat, q), rel=1e-12)


# --------------------------------------------------------------------------------------------
# Fisher information and asymptotic normality
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_fisher_information_bernoulli_is_expected_squared_score(p: float) -> None:
    # score of one observation: d/dp log f(x; p), by torch autograd; expectation by exact sum over x
    p_t = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    info = 0.0
    for x, prob in ((1.0, p), (0.0, 1 - p)):
        log_f = torch.distributions.Bernoulli(probs=p_t).log_prob(torch.tensor(x, dtype=torch.float64))
        (score,) = torch.autograd.grad(log_f, p_t)
        info += prob * float(score) ** 2
    assert mle.fisher_information_bernoulli(p) == pytest.approx(info, rel=1e-12)
    assert mle.fisher_information_bernoulli(p) == pytest.approx(1 / (p * (1 - p)))


def test_fisher_information_gaussian_and_poisson() -> None:
    assert mle.fisher_information_gaussian_mean(2.0) == pytest.approx(0.25)
    lam = 3.5
    k = np.arange(200)
    score = k / lam - 1
    assert mle.fisher_information_poisson(lam) == pytest.approx(np.sum(stats.poisson.pmf(k, lam) * score**2))


def test_asymptotic_variance_by_simulation(rng: np.random.Generator) -> None:
    p, n, trials = 0.3, 400, 20_000
    p_hat = mle.binomial_mle(rng.binomial(n, p, size=trials), n)
    z = math.sqrt(n) * (p_hat - p)
    assert z.var() == pytest.approx(1 / mle.fisher_information_bernoulli(p), rel=0.05)


# --------------------------------------------------------------------------------------------
# Gradient descent
# --------------------------------------------------------------------------------------------

def test_gradient_matches_closed_form(rng: np.random.Generator) -> None:
    x = rng.normal(size=15)
    mu, sigma = 0.4, 1.3
    g_mu, g_s = mle.gaussian_nll_gradient(x, mu, sigma)
    assert g_mu == pytest.approx((mu - x.mean()) / sigma**2, rel=1e-12)
    assert g_s == pytest.approx(1 - np.mean((x - mu) ** 2) / sigma**2, rel=1e-12)


def test_gradient_descent_converges_to_closed_form(rng: np.random.Generator) -> None:
    x = rng.normal(2.0, 1.5, size=50)
    fit = mle.fit_gaussian_gradient_descent(x, mu0=0.0, sigma0=1.0, lr=0.3, steps=400)
    mu_hat, sigma2_hat = mle.gaussian_mle(x)
    assert fit.mu.shape == fit.sigma.shape == fit.nll.shape == (401,)
    assert fit.mu[0] == 0.0 and fit.sigma[0] == 1.0
    assert fit.mu[-1] == pytest.approx(mu_hat, abs=1e-8)
    assert fit.sigma[-1] ** 2 == pytest.approx(sigma2_hat, rel=1e-8)
    assert fit.nll[-1] == pytest.approx(-mle.gaussian_log_likelihood(x, mu_hat, math.sqrt(sigma2_hat)) / 50)
    assert np.all(np.diff(fit.nll) <= 1e-12)  # monotone for a small step size
    again = mle.fit_gaussian_gradient_descent(x, mu0=0.0, sigma0=1.0, lr=0.3, steps=400)
    np.testing.assert_array_equal(fit.mu, again.mu)  # deterministic


def test_gradient_descent_divergence_is_an_error() -> None:
    with pytest.raises(ValueError, match="lr"):
        mle.fit_gaussian_gradient_descent([0.0, 100.0], lr=1e6, steps=50)


# --------------------------------------------------------------------------------------------
# MAP
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("k", "n"), [(7, 10), (0, 4), (4, 4), (13, 50)])
def test_map_uniform_prior_is_mle(k: int, n: int) -> None:
    assert mle.bernoulli_map(k, n, 1, 1) == pytest.approx(mle.binomial_mle(k, n))


@pytest.mark.parametrize(("k", "n", "a", "b"), [(7, 10, 2, 2), (1, 5, 3, 1.5), (0, 3, 5, 5)])
def test_map_is_posterior_mode(k: int, n: int, a: float, b: float) -> None:
    alpha, beta = mle.beta_posterior(k, n, a, b)
    assert (alpha, beta) == (a + k, b + n - k)
    mode = _argmax_1d(lambda p: stats.beta.logpdf(p, alpha, beta), 1e-9, 1 - 1e-9)
    assert mle.bernoulli_map(k, n, a, b) == pytest.approx(mode, abs=1e-6)


def test_map_shrinks_towards_prior_mean() -> None:
    assert 0.5 < mle.bernoulli_map(7, 10, 5, 5) < 0.7


# --------------------------------------------------------------------------------------------
# Bits per dimension
# --------------------------------------------------------------------------------------------

def test_bits_per_dim() -> None:
    d = 3 * 32 * 32
    assert mle.bits_per_dim(d * math.log(2), d) == pytest.approx(1.0)
    np.testing.assert_allclose(mle.bits_per_dim([0.0, -math.log(2)], 1), [0.0, -1.0])


# --------------------------------------------------------------------------------------------
# Error paths: ValueError naming the argument and the value
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "pattern"), [
    (lambda: mle.binomial_mle(11, 10), r"`k`.*<= n.*11"),
    (lambda: mle.binomial_mle(-1, 10), r"`k`.*-1"),
    (lambda: mle.binomial_mle(2.5, 10), r"`k`.*integer-valued.*2\.5"),
    (lambda: mle.binomial_mle(0, 0), r"`n`.*>= 1.*0"),
    (lambda: mle.binomial_mle(float("nan"), 3), r"`k`.*nan"),
    (lambda: mle.binomial_log_likelihood(1.5, 3, 10), r"`p`.*\[0, 1\].*1\.5"),
    (lambda: mle.binomial_log_likelihood(-0.1, 3, 10), r"`p`.*-0\.1"),
    (lambda: mle.binomial_log_likelihood(float("nan"), 3, 10), r"`p`.*nan"),
    (lambda: mle.log_binomial_coefficient(3, 5), r"`k`.*5"),
    (lambda: mle.bernoulli_mle([]), r"`x`.*non-empty"),
    (lambda: mle.bernoulli_mle([0, 1, 2]), r"`x`.*0 or 1.*2"),
    (lambda: mle.bernoulli_mle(1), r"`x`.*1-D"),
    (lambda: mle.bernoulli_log_likelihood(0.5, [0.5]), r"`x`.*0\.5"),
    (lambda: mle.gaussian_mle([]), r"`x`.*non-empty"),
    (lambda: mle.gaussian_mle([1.0, float("nan")]), r"`x`.*finite.*nan"),
    (lambda: mle.gaussian_log_likelihood([1.0], 0.0, 0.0), r"`sigma`.*> 0.*0\.0"),
    (lambda: mle.gaussian_log_likelihood([1.0], float("inf"), 1.0), r"`mu`.*inf"),
    (lambda: mle.gaussian_log_likelihood(np.zeros((2, 3)), [0.0, 1.0, 2.0], 1.0), r"`mu`"),
    (lambda: mle.gaussian_variance_mle_bias(-1.0, 5), r"`sigma2`.*-1\.0"),
    (lambda: mle.gaussian_variance_mle_bias(1.0, 0), r"`n`.*>= 1.*0"),
    (lambda: mle.gaussian_variance_mle_bias(1.0, 2.5), r"`n`.*2\.5"),
    (lambda: mle.poisson_mle([1, -2]), r"`x`.*-2"),
    (lambda: mle.poisson_mle([1.5]), r"`x`.*integer-valued.*1\.5"),
    (lambda: mle.poisson_mle([]), r"`x`.*non-empty"),
    (lambda: mle.poisson_log_likelihood(-1.0, [1]), r"`lam`.*-1\.0"),
    (lambda: mle.categorical_mle([0, 0]), r"`counts`.*total.*0"),
    (lambda: mle.categorical_mle([1, -1]), r"`counts`.*-1"),
    (lambda: mle.categorical_mle([1.5, 2]), r"`counts`.*1\.5"),
    (lambda: mle.categorical_mle([]), r"`counts`.*non-empty"),
    (lambda: mle.categorical_log_likelihood([0.5, 0.6], [1, 1]), r"`p`.*sum"),
    (lambda: mle.categorical_log_likelihood([0.5, 0.5], [1, 1, 1]), r"`p` and `counts`.*2 and 3"),
    (lambda: mle.multinomial_log_likelihood([1.2, -0.2], [1, 1]), r"`p`.*-0\.2"),
    (lambda: mle.fisher_information_bernoulli(0.0), r"`p`.*\(0, 1\).*0\.0"),
    (lambda: mle.fisher_information_bernoulli(1.0), r"`p`.*1\.0"),
    (lambda: mle.fisher_information_gaussian_mean(-2.0), r"`sigma`.*-2\.0"),
    (lambda: mle.fisher_information_poisson(0.0), r"`lam`.*0\.0"),
    (lambda: mle.gaussian_nll_gradient([1.0, 2.0], 0.0, 0.0), r"`sigma`.*0\.0"),
    (lambda: mle.fit_gaussian_gradient_descent([1.0, 1.0]), r"`x`.*two distinct"),
    (lambda: mle.fit_gaussian_gradient_descent([1.0]), r"`x`.*two distinct"),
    (lambda: mle.fit_gaussian_gradient_descent([[1.0, 2.0]]), r"`x`.*1-D"),
    (lambda: mle.fit_gaussian_gradient_descent([1.0, 2.0], lr=0.0), r"`lr`.*0\.0"),
    (lambda: mle.fit_gaussian_gradient_descent([1.0, 2.0], steps=0), r"`steps`.*0"),
    (lambda: mle.fit_gaussian_gradient_descent([1.0, 2.0], steps=2.5), r"`steps`.*2\.5"),
    (lambda: mle.fit_gaussian_gradient_descent([1.0, 2.0], sigma0=-1.0), r"`sigma0`.*-1\.0"),
    (lambda: mle.beta_posterior(3, 10, 0.0, 1.0), r"`a`.*0\.0"),
    (lambda: mle.bernoulli_map(3, 10, 0.5, 1.0), r"`a`.*>= 1.*0\.5"),
    (lambda: mle.bernoulli_map(3, 10, 1.0, 0.5), r"`b`.*0\.5"),
    (lambda: mle.bernoulli_map(0, 0, 1.0, 1.0), r"`n`.*uniform.*0"),
    (lambda: mle.bernoulli_map(5, 3), r"`k`.*5"),
    (lambda: mle.bits_per_dim(1.0, 0), r"`n_dims`.*0"),
    (lambda: mle.bits_per_dim(1.0, 2.0), r"`n_dims`.*integer.*2\.0"),
    (lambda: mle.bits_per_dim(float("nan"), 3), r"`nll_nats`.*nan"),
])
def test_errors_name_argument_and_value(call, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        call()


def test_exports() -> None:
    for name in ("binomial_mle", "gaussian_mle", "bits_per_dim", "fit_gaussian_gradient_descent",
                 "bernoulli_map", "GaussianFit"):
        assert getattr(genmath, name) is getattr(mle, name)


# --------------------------------------------------------------------------------------------
# Properties: the closed form is never beaten, and nothing is NaN (boundaries included)
# --------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 200), data=st.data())
def test_binomial_mle_is_never_beaten(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n))
    p = data.draw(st.floats(0.0, 1.0))
    best = mle.binomial_log_likelihood(mle.binomial_mle(k, n), k, n)
    other = mle.binomial_log_likelihood(p, k, n)
    assert not np.isnan(best) and not np.isnan(other)
    assert best >= other - 1e-9


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(0, 30), min_size=2, max_size=6).filter(lambda c: sum(c) > 0),
       seed=st.integers(0, 2**32 - 1))
def test_categorical_mle_is_never_beaten(counts: list[int], seed: int) -> None:
    q = np.random.default_rng(seed).dirichlet(np.ones(len(counts)))
    best = mle.categorical_log_likelihood(mle.categorical_mle(counts), counts)
    assert not np.isnan(best)
    assert best >= mle.categorical_log_likelihood(q, counts) - 1e-9


@settings(max_examples=60, deadline=None)
@given(x=st.lists(st.integers(0, 50), min_size=1, max_size=30), lam=st.floats(0.0, 100.0))
def test_poisson_mle_is_never_beaten(x: list[int], lam: float) -> None:
    best = mle.poisson_log_likelihood(mle.poisson_mle(x), x)
    other = mle.poisson_log_likelihood(lam, x)
    assert not np.isnan(best) and not np.isnan(other)
    assert best >= other - 1e-9


# ---------------------------------------------------------------------------------------------
# Issue 16: the Gaussian log-likelihood at extreme scales
# ---------------------------------------------------------------------------------------------

def _mp_gaussian_ll(x, mu: float, sigma: float):
    s = mpmath.mpf(sigma)
    return sum(-((mpmath.mpf(float(v)) - mpmath.mpf(mu)) / s) ** 2 / 2 - mpmath.log(s) - mpmath.log(2 * mpmath.pi) / 2
               for v in x)


def test_gaussian_log_likelihood_with_tiny_sigma() -> None:
    """Issue 16: sigma^2 = 1e-600 underflowed and the result was nan."""
    with mpmath.workdps(40):
        ref = float(_mp_gaussian_ll([0.0], 0.0, 1e-300))
    assert mle.gaussian_log_likelihood([0.0], 0.0, 1e-300) == pytest.approx(ref, rel=1e-15)
    assert ref == pytest.approx(689.856589365009, rel=1e-14)
    with pytest.raises(ValueError, match=r"the Gaussian log-likelihood overflows float64 .* at `x` \(largest \|x\|\) "
                                         r"= 1.0, `mu` = 0.0, `sigma` = 1e-300"):
        mle.gaussian_log_likelihood([1.0, 0.5], 0.0, 1e-300)


@settings(max_examples=150, deadline=None)
@given(st.floats(-300, 300), st.floats(-1e6, 1e6),
       st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=5), st.lists(st.floats(-3, 3), min_size=1, max_size=3))
def test_gaussian_log_likelihood_over_300_decades(log_sigma: float, offset: float, zs, shifts) -> None:
    """sigma from 1e-300 to 1e300, data up to 1e3 sigma from a mean up to 1e6 sigma from 0, a grid
    of means (batch): finite and within 1e-13 of mpmath, or a ValueError exactly when the
    log-likelihood exceeds float64; and equal to scipy's summed logpdf where that is finite."""
    sigma = 10.0**log_sigma
    mu0 = offset * sigma
    x = np.array([mu0 + z * sigma for z in zs])
    mus = np.array([mu0 + d * sigma for d in shifts])
    with mpmath.workdps(60):
        refs = [_mp_gaussian_ll(x, m, sigma) for m in mus]
    if any(abs(r) > MAX for r in refs):
        with pytest.raises(ValueError, match="overflows float64"):
            mle.gaussian_log_likelihood(x, mus, sigma)
        return
    got = np.asarray(mle.gaussian_log_likelihood(x, mus, sigma))
    assert got.shape == mus.shape and np.all(np.isfinite(got))
    np.testing.assert_allclose(got, [float(r) for r in refs], rtol=1e-12, atol=1e-300)
    scipy_ll = stats.norm.logpdf(x[None, :], mus[:, None], sigma).sum(-1)
    finite = np.isfinite(scipy_ll)
    np.testing.assert_allclose(got[finite], scipy_ll[finite], rtol=1e-12)
