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
from scipy import integrate, optimize, special, stats

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


# --------------------------------------------------------------------------------------------
# The score and the Fisher information matrix, the Cramér–Rao bound
# --------------------------------------------------------------------------------------------

def _torch_gaussian_grad_hess(x: float, mu: float, var: float) -> tuple[np.ndarray, np.ndarray]:
    """Score and Hessian of log N(x; mu, v) in (mu, v) by torch autograd of torch.distributions.Normal."""
    def log_prob(theta: torch.Tensor) -> torch.Tensor:
        return torch.distributions.Normal(theta[0], theta[1].sqrt()).log_prob(torch.tensor(x, dtype=torch.float64))

    theta = torch.tensor([mu, var], dtype=torch.float64)
    return (torch.autograd.functional.jacobian(log_prob, theta).numpy(),
            torch.autograd.functional.hessian(log_prob, theta).numpy())


def test_gaussian_scores_match_torch_autograd(rng: np.random.Generator) -> None:
    x = rng.normal(0.5, 2.0, size=7)
    scores, hessians = mle.gaussian_scores(x, 0.3, 3.5)
    assert scores.shape == (7, 2) and hessians.shape == (7, 2, 2)
    for i, xi in enumerate(x):
        grad, hess = _torch_gaussian_grad_hess(float(xi), 0.3, 3.5)
        np.testing.assert_allclose(scores[i], grad, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(hessians[i], hess, rtol=1e-12, atol=1e-14)
    # batches of data sets broadcast against per-set parameters
    batch = rng.normal(size=(3, 5))
    s, h = mle.gaussian_scores(batch, batch.mean(axis=1, keepdims=True), batch.var(axis=1, keepdims=True))
    assert s.shape == (3, 5, 2) and h.shape == (3, 5, 2, 2)
    np.testing.assert_allclose(s.sum(axis=1), 0.0, atol=1e-12)  # the scores vanish in total at the MLE


@pytest.mark.parametrize("sigma2", [0.2, 1.0, 7.5])
def test_gaussian_fisher_information_is_the_curvature_of_torch_kl(sigma2: float) -> None:
    mu = torch.tensor(0.7, dtype=torch.float64)
    v = torch.tensor(sigma2, dtype=torch.float64)
    hess = torch.autograd.functional.hessian(
        lambda d: torch.distributions.kl_divergence(torch.distributions.Normal(mu, v.sqrt()),
                                                    torch.distributions.Normal(mu + d[0], (v + d[1]).sqrt())),
        torch.zeros(2, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(mle.gaussian_fisher_information(sigma2), hess, rtol=1e-10, atol=1e-14)


def test_gaussian_fisher_information_is_the_variance_of_the_score() -> None:
    # E[s s^T] under N(mu, v) by Gauss-Hermite (exact: the entries are polynomials of degree <= 4 in x)
    nodes, weights = np.polynomial.hermite_e.hermegauss(12)
    weights = weights / np.sqrt(2 * np.pi)
    mu, var = -1.2, 2.3
    x = mu + np.sqrt(var) * nodes
    scores, hessians = mle.gaussian_scores(x, mu, var)
    outer = np.einsum("m,ma,mb->ab", weights, scores, scores)
    curvature = -np.einsum("m,mab->ab", weights, hessians)
    np.testing.assert_allclose(outer, mle.gaussian_fisher_information(var), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(curvature, mle.gaussian_fisher_information(var), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("p", "n"), [(0.3, 10), (0.5, 1), (0.9, 25)])
def test_cramer_rao_bound_is_attained_by_the_bernoulli_mean(p: float, n: int) -> None:
    exact = stats.binom(n, p).var() / n**2  # Var[k / n]
    assert mle.cramer_rao_bound(mle.fisher_information_bernoulli(p), n) == pytest.approx(exact, rel=1e-12)


def test_cramer_rao_bound_matrix_and_the_sample_variance() -> None:
    n, sigma2 = 12, 2.5
    bound = mle.cramer_rao_bound(mle.gaussian_fisher_information(sigma2), n)
    assert bound[0, 0] == pytest.approx(stats.norm(0, np.sqrt(sigma2 / n)).var(), rel=1e-12)  # Var[x bar]
    var_s2 = stats.chi2(n - 1).var() * sigma2**2 / (n - 1) ** 2  # s^2 is unbiased and NOT efficient
    assert var_s2 > bound[1, 1]
    assert bound[1, 1] == pytest.approx(2 * sigma2**2 / n, rel=1e-12)


def test_sample_variance_standard_error_matches_repeated_simulation(rng: np.random.Generator) -> None:
    # the reported standard error of s^2 versus the spread of s^2 over 2000 independent repetitions
    values = rng.exponential(size=(2000, 500))  # skewed on purpose: the fourth moment matters
    estimates = [mle.sample_variance(v) for v in values]
    spread = np.std([e.variance for e in estimates], ddof=1)
    typical_se = np.mean([e.std_error for e in estimates])
    assert typical_se == pytest.approx(spread, rel=0.1)
    np.testing.assert_allclose(estimates[0].variance, np.var(values[0], ddof=1), rtol=1e-13)


def test_exponential_mle_and_fisher_information(rng: np.random.Generator) -> None:
    x = rng.exponential(0.4, size=30)
    num = _argmax_1d(lambda lam: float(stats.expon(scale=1.0 / lam).logpdf(x).sum()), 1e-3, 50.0)
    assert mle.exponential_mle(x) == pytest.approx(num, rel=1e-7)
    lam = 2.5  # Var of the score 1/lam - x by quadrature
    var, _ = integrate.quad(lambda v: (1.0 / lam - v) ** 2 * stats.expon(scale=1.0 / lam).pdf(v), 0, np.inf)
    assert mle.fisher_information_exponential(lam) == pytest.approx(var, rel=1e-9)


# --------------------------------------------------------------------------------------------
# Misspecification: the sandwich
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("law", [stats.gamma(2.5, scale=0.7), stats.laplace(0.3, 1.4), stats.norm(1.0, 2.0)],
                         ids=["gamma", "laplace", "normal"])
def test_gaussian_misspecified_sandwich_against_quadrature_of_torch_scores(law) -> None:
    mean, var = law.mean(), law.var()
    lo, hi = law.ppf(1e-15), law.isf(1e-15)
    J, K = np.zeros((2, 2)), np.zeros((2, 2))
    for a in range(2):
        for b in range(2):
            J[a, b] = -integrate.quad(lambda x, a=a, b=b: _torch_gaussian_grad_hess(x, mean, var)[1][a, b] * law.pdf(x),
                                      lo, hi, limit=200)[0]
            K[a, b] = integrate.quad(lambda x, a=a, b=b: np.prod(_torch_gaussian_grad_hess(x, mean, var)[0][[a, b]])
                                     * law.pdf(x), lo, hi, limit=200)[0]
    m3 = integrate.quad(lambda x: (x - mean) ** 3 * law.pdf(x), lo, hi, limit=200)[0]
    m4 = integrate.quad(lambda x: (x - mean) ** 4 * law.pdf(x), lo, hi, limit=200)[0]
    out = mle.gaussian_misspecified_sandwich(var, m3, m4)
    np.testing.assert_allclose(out.J, J, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(out.K, K, rtol=1e-7, atol=1e-9)
    j_inv = np.linalg.inv(J)
    np.testing.assert_allclose(out.covariance, j_inv @ K @ j_inv, rtol=1e-7, atol=1e-9)


def test_sandwich_covariance_matches_simulated_mles(rng: np.random.Generator) -> None:
    # exponential data, Gaussian model: the covariance of sqrt(n)(theta_hat - theta*) over many data sets
    n, trials = 400, 4000
    x = rng.exponential(size=(trials, n))
    mu_hat, var_hat = mle.gaussian_mle(x)
    z = np.sqrt(n) * (np.stack([mu_hat, var_hat], axis=-1) - [1.0, 1.0])
    simulated = np.cov(z, rowvar=False)
    scores, hessians = mle.gaussian_scores(x[:50], mu_hat[:50, None], var_hat[:50, None])
    plug_in = mle.sandwich_covariance(scores, hessians).covariance  # one estimate per data set (batch axis)
    assert plug_in.shape == (50, 2, 2)
    population = mle.gaussian_misspecified_sandwich(1.0, 2.0, 9.0).covariance
    np.testing.assert_allclose(simulated, population, rtol=0.12)
    np.testing.assert_allclose(np.median(plug_in, axis=0), population, rtol=0.35)


def test_sandwich_is_the_inverse_fisher_information_for_a_correct_model(rng: np.random.Generator) -> None:
    x = rng.normal(0.0, 1.5, size=200_000)
    mu_hat, var_hat = mle.gaussian_mle(x)
    out = mle.sandwich_covariance(*mle.gaussian_scores(x, mu_hat, var_hat))
    np.testing.assert_allclose(out.covariance, np.linalg.inv(mle.gaussian_fisher_information(var_hat)),
                               rtol=0.03, atol=0.03)
    single = mle.sandwich_covariance(*mle.gaussian_scores(x[:100], mu_hat, var_hat))
    batched = mle.sandwich_covariance(*mle.gaussian_scores(x[:200].reshape(2, 100), mu_hat, var_hat))
    np.testing.assert_allclose(batched.covariance[0], single.covariance, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# MAP in another parametrisation; a Gaussian prior is weight decay
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("k", "n", "a", "b"), [(3, 3, 1.0, 1.0), (0, 5, 2.0, 3.0), (7, 10, 0.5, 0.5)])
def test_bernoulli_map_logit_against_torch_transformed_prior(k: int, n: int, a: float, b: float) -> None:
    prior = torch.distributions.TransformedDistribution(
        torch.distributions.Beta(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)),
        [torch.distributions.SigmoidTransform().inv])

    def log_post(phi: float) -> float:
        p = 1.0 / (1.0 + np.exp(-phi))
        return float(prior.log_prob(torch.tensor(phi, dtype=torch.float64))) + k * np.log(p) + (n - k) * np.log1p(-p)

    assert mle.bernoulli_map_logit(k, n, a, b) == pytest.approx(_argmax_1d(log_post, -30.0, 30.0), abs=1e-6)


def test_ridge_map_against_sklearn_and_gaussian_conditioning(rng: np.random.Generator) -> None:
    from sklearn.linear_model import Ridge

    for n, d in ((20, 5), (4, 7)):  # over- and under-determined
        X, y = rng.normal(size=(n, d)), rng.normal(size=n)
        sigma, tau = 0.8, 1.3
        w = mle.ridge_map(X, y, sigma, tau)
        ref = Ridge(alpha=sigma**2 / tau**2, fit_intercept=False, solver="svd", tol=1e-14).fit(X, y).coef_
        np.testing.assert_allclose(w, ref, rtol=1e-10, atol=1e-12)
        # posterior mean of w given y from the joint Gaussian: tau^2 X^T (tau^2 X X^T + sigma^2 I)^{-1} y
        dual = tau**2 * X.T @ np.linalg.solve(tau**2 * X @ X.T + sigma**2 * np.eye(n), y)
        np.testing.assert_allclose(w, dual, rtol=1e-10, atol=1e-12)


def test_weight_decay_gradient_descent_converges_to_the_map(rng: np.random.Generator) -> None:
    n, d, sigma, tau = 25, 4, 0.7, 0.4
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + rng.normal(0, sigma, size=n)
    path = mle.fit_linear_regression_weight_decay(X, y, sigma, 1.0 / (n * tau**2), lr=0.1, steps=1500)
    assert path.shape == (1501, d)
    np.testing.assert_allclose(path[-1], mle.ridge_map(X, y, sigma, tau), rtol=1e-9, atol=1e-11)
    with pytest.raises(ValueError, match="diverged"):
        mle.fit_linear_regression_weight_decay(X, y, sigma, 0.0, lr=50.0, steps=2000)


# --------------------------------------------------------------------------------------------
# EM for a Gaussian mixture
# --------------------------------------------------------------------------------------------

def _mixture_data(rng: np.random.Generator, n: int = 150) -> np.ndarray:
    z = rng.uniform(size=n) < 0.4
    return np.where(z, rng.normal(-1.5, 0.6, n), rng.normal(2.0, 1.1, n))


def _torch_mixture(weights, means, variances) -> torch.distributions.MixtureSameFamily:
    return torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(probs=torch.tensor(weights, dtype=torch.float64)),
        torch.distributions.Normal(torch.tensor(means, dtype=torch.float64),
                                   torch.tensor(np.sqrt(variances), dtype=torch.float64)))


def test_gmm_log_likelihood_and_responsibilities_against_torch(rng: np.random.Generator) -> None:
    x = _mixture_data(rng)
    params = ([0.2, 0.5, 0.3], [-1.0, 0.5, 2.5], [0.5, 1.2, 0.8])
    mix = _torch_mixture(*params)
    xt = torch.tensor(x, dtype=torch.float64)
    assert mle.gmm_log_likelihood(x, *params) == pytest.approx(float(mix.log_prob(xt).sum()), rel=1e-12)
    log_joint = mix.mixture_distribution.logits.log_softmax(-1) + mix.component_distribution.log_prob(xt[:, None])
    posterior = torch.softmax(log_joint, dim=-1).numpy()
    np.testing.assert_allclose(mle.gmm_responsibilities(x, *params), posterior, rtol=1e-12, atol=1e-15)


def test_gmm_m_step_and_em_against_sklearn(rng: np.random.Generator) -> None:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    x = _mixture_data(rng)
    start = (np.array([0.5, 0.5]), np.array([-0.5, 0.5]), np.array([1.0, 1.0]))
    for steps in (1, 30):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gm = GaussianMixture(2, tol=0.0, reg_covar=0.0, max_iter=steps, weights_init=start[0],
                                 means_init=start[1][:, None], precisions_init=(1 / start[2])[:, None, None]
                                 ).fit(x[:, None])
        run = mle.gmm_em(x, *start, steps=steps)
        np.testing.assert_allclose(run.weights[-1], gm.weights_, rtol=1e-10)
        np.testing.assert_allclose(run.means[-1], gm.means_[:, 0], rtol=1e-10)
        np.testing.assert_allclose(run.variances[-1], gm.covariances_[:, 0, 0], rtol=1e-10)
    assert np.all(np.diff(run.log_likelihood) >= -1e-9)  # EM never decreases the likelihood
    one = mle.gmm_m_step(x, mle.gmm_responsibilities(x, *start))
    np.testing.assert_allclose(one[1], mle.gmm_em(x, *start, steps=1).means[1], rtol=1e-14)


def test_gmm_elbo_plus_kl_is_the_log_likelihood(rng: np.random.Generator) -> None:
    x = _mixture_data(rng, 40)
    params = ([0.3, 0.7], [-1.0, 2.0], [0.4, 1.5])
    posterior = mle.gmm_responsibilities(x, *params)
    q = rng.dirichlet(np.ones(2), size=x.size)
    q[0] = [1.0, 0.0]  # a q with a zero
    kl = special.rel_entr(q, posterior).sum()
    assert mle.gmm_elbo(x, q, *params) + kl == pytest.approx(mle.gmm_log_likelihood(x, *params), rel=1e-12)
    assert mle.gmm_elbo(x, posterior, *params) == pytest.approx(mle.gmm_log_likelihood(x, *params), rel=1e-12)


def test_gmm_collapse_raises(rng: np.random.Generator) -> None:
    x = np.r_[_mixture_data(rng, 60), 9.0]  # an isolated observation
    with pytest.raises(ValueError, match="collapsed onto x = 9.0"):
        mle.gmm_em(x, [0.02, 0.98], [9.0, 0.5], [0.01**2, 3.0], steps=10)


@pytest.mark.parametrize(("call", "pattern"), [
    (lambda: mle.gaussian_scores([1.0], 0.0, 0.0), r"`sigma2`.*0\.0"),
    (lambda: mle.gaussian_fisher_information(-1.0), r"`sigma2`.*-1\.0"),
    (lambda: mle.cramer_rao_bound(0.0, 5), r"`fisher`.*0\.0"),
    (lambda: mle.cramer_rao_bound(1.0, 0), r"`n`.*0"),
    (lambda: mle.cramer_rao_bound([[1.0, 2.0], [2.0, 1.0]], 3), r"`fisher`.*positive definite"),
    (lambda: mle.sample_variance([1.0, 2.0, 3.0]), r"`values`.*at least 4"),
    (lambda: mle.exponential_mle([1.0, -0.5]), r"`x`.*> 0.*-0\.5"),
    (lambda: mle.fisher_information_exponential(0.0), r"`lam`.*0\.0"),
    (lambda: mle.sandwich_covariance(np.zeros((5, 2)), np.zeros((5, 3, 3))), r"`hessians`.*\(5, 2, 2\)"),
    (lambda: mle.sandwich_covariance(np.ones((5, 2)), np.zeros((5, 2, 2))), r"`hessians`.*invertible"),
    (lambda: mle.gaussian_misspecified_sandwich(1.0, 0.0, 0.5), r"`m4`.*0\.5"),
    (lambda: mle.gaussian_misspecified_sandwich(0.0, 0.0, 1.0), r"`m2`.*0\.0"),
    (lambda: mle.bernoulli_map_logit(3, 5, 0.0, 1.0), r"`a`.*0\.0"),
    (lambda: mle.ridge_map(np.ones((3, 2)), np.ones(4), 1.0, 1.0), r"`y`.*\(3,\)"),
    (lambda: mle.ridge_map(np.ones(3), np.ones(3), 1.0, 1.0), r"`X`.*\(n, d\)"),
    (lambda: mle.ridge_map(np.ones((3, 2)), np.ones(3), 1.0, -2.0), r"`tau`.*-2\.0"),
    (lambda: mle.fit_linear_regression_weight_decay(np.ones((3, 2)), np.ones(3), 1.0, -0.1), r"`weight_decay`.*-0\.1"),
    (lambda: mle.gmm_log_likelihood([0.0], [0.5, 0.6], [0.0, 1.0], [1.0, 1.0]), r"`weights`.*sum"),
    (lambda: mle.gmm_log_likelihood([0.0], [0.5, 0.5], [0.0], [1.0, 1.0]), r"`means`.*K = 2"),
    (lambda: mle.gmm_log_likelihood([0.0], [0.5, 0.5], [0.0, 1.0], [1.0, 0.0]), r"`variances`.*0\.0"),
    (lambda: mle.gmm_m_step([0.0, 1.0], [[1.0, 0.0], [1.0, 0.0]]), r"`resp`.*component 1"),
    (lambda: mle.gmm_m_step([0.0, 1.0], [[0.5, 0.6], [1.0, 0.0]]), r"`resp`.*sum"),
    (lambda: mle.gmm_elbo([0.0, 1.0], [[1.0, 0.0]], [0.5, 0.5], [0.0, 1.0], [1.0, 1.0]), r"`resp`.*\(2, 2\)"),
    (lambda: mle.gmm_em([0.0, 1.0], [0.5, 0.5], [0.0, 1.0], [1.0, 1.0], steps=-1), r"`steps`.*-1"),
])
def test_new_errors_name_argument_and_value(call, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        call()


def test_new_exports() -> None:
    for name in ("gaussian_scores", "gaussian_fisher_information", "cramer_rao_bound", "sample_variance",
                 "sandwich_covariance", "gaussian_misspecified_sandwich", "bernoulli_map_logit", "ridge_map",
                 "fit_linear_regression_weight_decay", "gmm_em", "gmm_m_step", "gmm_elbo", "gmm_responsibilities",
                 "gmm_log_likelihood", "exponential_mle", "fisher_information_exponential", "Sandwich",
                 "EMTrajectory", "VarianceEstimate"):
        assert getattr(genmath, name) is getattr(mle, name)


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
