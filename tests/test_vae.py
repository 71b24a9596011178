"""Tests for genmath.vae: the KL term, the linear-Gaussian model, the ELBO identity, IWAE,
gradient estimators and the deterministic torch VAE."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats
import torch

import genmath
from genmath import vae
from genmath.vae import (
    LinearGaussianModel,
    elbo_gaussian,
    elbo_monte_carlo,
    exact_posterior,
    expected_log_likelihood,
    grad_m_expected_log_joint,
    grad_z_log_joint,
    iwae_bound,
    iwae_bound_monte_carlo,
    kl_std_normal,
    log_joint,
    log_marginal_likelihood,
    log_weights,
    reparameterised_gradients,
    score_function_gradients,
)


def random_model(seed: int, d: int = 3, k: int = 2) -> tuple[LinearGaussianModel, np.ndarray]:
    rng = np.random.default_rng(seed)
    model = LinearGaussianModel(W=rng.normal(size=(d, k)), b=rng.normal(size=d),
                                sigma=float(rng.uniform(0.3, 1.5)))
    x = model.sample(1, rng)[0][0]
    return model, x


def random_q(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    A = rng.normal(size=(k, k))
    return rng.normal(scale=2.0, size=k), A @ A.T + 0.1 * np.eye(k)


# ------------------------------------------------------------------------------------------
# kl_std_normal
# ------------------------------------------------------------------------------------------

def test_kl_std_normal_matches_kl_normal_and_torch():
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(5, 4))
    logvar = rng.normal(size=(5, 4))
    ours = kl_std_normal(mu, logvar)
    by_kl_normal = genmath.kl_normal(mu, np.exp(0.5 * logvar), 0.0, 1.0).sum(-1)
    by_torch = torch.distributions.kl_divergence(
        torch.distributions.Normal(torch.tensor(mu), torch.tensor(np.exp(0.5 * logvar))),
        torch.distributions.Normal(0.0, 1.0)).sum(-1).numpy()
    assert ours.shape == (5,)
    np.testing.assert_allclose(ours, by_kl_normal, rtol=1e-12)
    np.testing.assert_allclose(ours, by_torch, rtol=1e-12)


def test_kl_std_normal_zero_at_prior_and_broadcasts():
    assert kl_std_normal(np.zeros(3), np.zeros(3)) == 0.0
    np.testing.assert_allclose(kl_std_normal(np.ones((2, 3)), 0.0), [1.5, 1.5])


def test_kl_std_normal_torch_path_is_differentiable():
    rng = np.random.default_rng(1)
    mu = torch.tensor(rng.normal(size=(6, 3)), requires_grad=True)
    logvar = torch.tensor(rng.normal(size=(6, 3)), requires_grad=True)
    kl = kl_std_normal(mu, logvar)
    assert isinstance(kl, torch.Tensor) and kl.shape == (6,)
    np.testing.assert_allclose(kl.detach().numpy(),
                               kl_std_normal(mu.detach().numpy(), logvar.detach().numpy()), rtol=1e-12)
    kl.sum().backward()
    # d KL / d mu = mu ; d KL / d logvar = (exp(logvar) - 1) / 2
    np.testing.assert_allclose(mu.grad.numpy(), mu.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(logvar.grad.numpy(), 0.5 * (np.exp(logvar.detach().numpy()) - 1), rtol=1e-12)


@pytest.mark.parametrize("mu, logvar, match", [
    (np.array([np.nan, 0.0]), np.zeros(2), "`mu` must be finite"),
    (np.zeros(2), np.array([0.0, np.inf]), "`logvar` must be finite"),
    (0.0, 0.0, "`mu` must be at least 1-D"),
    (np.zeros(2), np.zeros(3), "shapes do not broadcast"),
    (torch.tensor([float("nan")]), torch.zeros(1), "`mu` must be finite"),
    (torch.zeros(2), torch.zeros(3), "shapes do not broadcast"),
    (torch.zeros(2), np.zeros(2), "must both be torch tensors"),
])
def test_kl_std_normal_errors(mu, logvar, match):
    with pytest.raises(ValueError, match=match):
        kl_std_normal(mu, logvar)


# ------------------------------------------------------------------------------------------
# The linear-Gaussian model
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed, d, k", [(0, 3, 2), (1, 5, 1), (2, 2, 3)])
def test_log_marginal_likelihood_matches_scipy(seed, d, k):
    model, _ = random_model(seed, d, k)
    xs = model.sample(7, np.random.default_rng(seed + 10))[0]
    cov = model.W @ model.W.T + model.sigma**2 * np.eye(d)
    ref = scipy.stats.multivariate_normal(model.b, cov).logpdf(xs)
    np.testing.assert_allclose(log_marginal_likelihood(model, xs), ref, rtol=1e-12)


def test_log_joint_matches_scipy():
    model, x = random_model(3)
    z = np.random.default_rng(0).normal(size=(4, model.k))
    ref = (scipy.stats.multivariate_normal(np.zeros(model.k), np.eye(model.k)).logpdf(z)
           + np.array([scipy.stats.multivariate_normal(model.W @ zi + model.b,
                                                       model.sigma**2 * np.eye(model.d)).logpdf(x)
                       for zi in z]))
    np.testing.assert_allclose(log_joint(model, x, z), ref, rtol=1e-12)


def test_marginal_likelihood_by_quadrature_k1_d1():
    model = LinearGaussianModel(W=[[1.3]], b=[0.4], sigma=0.6)
    x = np.array([1.1])
    integral, _ = scipy.integrate.quad(lambda z: math.exp(float(log_joint(model, x, [z]))), -12, 12,
                                       epsabs=1e-14, epsrel=1e-12)
    assert math.log(integral) == pytest.approx(float(log_marginal_likelihood(model, x)), rel=1e-10)


def test_posterior_matches_bayes_rule_on_a_grid():
    model = LinearGaussianModel(W=[[1.5], [-0.7]], b=[0.2, 0.1], sigma=0.8)
    x = np.array([1.0, -0.5])
    z = np.linspace(-8, 8, 20001)[:, None]
    unnormalised = np.exp(log_joint(model, x, z))
    posterior = unnormalised / scipy.integrate.trapezoid(unnormalised, z[:, 0])
    mean_grid = scipy.integrate.trapezoid(posterior * z[:, 0], z[:, 0])
    var_grid = scipy.integrate.trapezoid(posterior * (z[:, 0] - mean_grid) ** 2, z[:, 0])
    mean, cov = exact_posterior(model, x)
    assert mean[0] == pytest.approx(mean_grid, rel=1e-8)
    assert cov[0, 0] == pytest.approx(var_grid, rel=1e-8)


@pytest.mark.parametrize("seed", range(4))
def test_posterior_matches_joint_gaussian_conditioning(seed):
    model, x = random_model(seed, d=4, k=3)
    C = model.marginal_cov()
    gain = np.linalg.solve(C, model.W).T            # W^T C^{-1}
    mean_ref = gain @ (x - model.b)
    cov_ref = np.eye(model.k) - gain @ model.W
    mean, cov = exact_posterior(model, x)
    np.testing.assert_allclose(mean, mean_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cov, cov_ref, rtol=1e-10, atol=1e-12)
    # Bayes' rule pointwise: log p(z|x) = log p(x, z) - log p(x)
    z = np.random.default_rng(seed).normal(size=(5, model.k))
    np.testing.assert_allclose(scipy.stats.multivariate_normal(mean, cov).logpdf(z),
                               log_joint(model, x, z) - log_marginal_likelihood(model, x), rtol=1e-10)


@pytest.mark.parametrize("seed", range(6))
def test_elbo_identity_and_bound(seed):
    model, x = random_model(seed, d=4, k=2)
    rng = np.random.default_rng(100 + seed)
    log_px = float(log_marginal_likelihood(model, x))
    post_mean, post_cov = exact_posterior(model, x)
    for _ in range(5):
        m, S = random_q(rng, model.k)
        elbo = float(elbo_gaussian(model, x, m, S))
        gap = float(genmath.kl_mvn(m, S, post_mean, post_cov))
        assert abs(log_px - elbo - gap) <= 1e-10
        assert elbo < log_px
    assert float(elbo_gaussian(model, x, post_mean, post_cov)) == pytest.approx(log_px, abs=1e-12)


def test_elbo_monte_carlo_agrees_with_closed_form():
    model, x = random_model(7)
    rng = np.random.default_rng(0)
    m, S = random_q(rng, model.k)
    est = elbo_monte_carlo(model, x, m, S, 20000, np.random.default_rng(1))
    assert est.n == 20000
    assert abs(est.estimate - float(elbo_gaussian(model, x, m, S))) < 4 * est.std_error
    # reproducible with the same seed
    assert est == elbo_monte_carlo(model, x, m, S, 20000, np.random.default_rng(1))
    # at the exact posterior every log-weight equals log p(x): zero variance
    mean, cov = exact_posterior(model, x)
    lw = log_weights(model, x, mean, cov, 50, rng)
    np.testing.assert_allclose(lw, float(log_marginal_likelihood(model, x)), rtol=1e-12)


def test_expected_log_likelihood_by_monte_carlo():
    model, x = random_model(8)
    rng = np.random.default_rng(2)
    m, S = random_q(rng, model.k)
    z = vae.sample_gaussian(m, S, 40000, rng)
    values = vae.log_likelihood(model, x, z)
    se = values.std(ddof=1) / math.sqrt(len(values))
    assert abs(values.mean() - float(expected_log_likelihood(model, x, m, S))) < 4 * se


# ------------------------------------------------------------------------------------------
# IWAE
# ------------------------------------------------------------------------------------------

def test_iwae_bound_from_log_weights():
    lw = np.array([[0.0, 1.0, 2.0], [5.0, 5.0, 5.0]])
    np.testing.assert_allclose(iwae_bound(lw), np.log(np.exp(lw).mean(-1)), rtol=1e-14)
    assert iwae_bound(np.array([1000.0, 1000.0])) == pytest.approx(1000.0)  # no overflow
    assert iwae_bound(np.array([-np.inf, 0.0])) == pytest.approx(-math.log(2))
    t = torch.tensor(lw, requires_grad=True)
    out = iwae_bound(t)
    np.testing.assert_allclose(out.detach().numpy(), iwae_bound(lw), rtol=1e-14)
    out.sum().backward()  # gradient = normalised importance weights
    np.testing.assert_allclose(t.grad.numpy(), np.exp(lw) / np.exp(lw).sum(-1, keepdims=True), rtol=1e-12)


def test_iwae_monotone_in_k_and_below_log_evidence():
    model, x = random_model(4)
    m, S = np.array([1.0, -1.0]), 0.5 * np.eye(2)
    log_px = float(log_marginal_likelihood(model, x))
    elbo = float(elbo_gaussian(model, x, m, S))
    estimates = [iwae_bound_monte_carlo(model, x, m, S, K, 2000, np.random.default_rng(K))
                 for K in (1, 3, 10, 50)]
    assert abs(estimates[0].estimate - elbo) < 4 * estimates[0].std_error
    for lo, hi in itertools.pairwise(estimates):
        assert hi.estimate > lo.estimate - 3 * math.hypot(lo.std_error, hi.std_error)
    for est in estimates:
        assert est.estimate < log_px + 3 * est.std_error
    assert log_px - estimates[-1].estimate < 0.5 * (log_px - elbo)


def test_gradient_estimators_are_unbiased_and_reparameterisation_has_lower_variance():
    model, x = random_model(5)
    m, S = np.array([0.3, -0.2]), np.diag([0.4, 0.6])
    exact = grad_m_expected_log_joint(model, x, m)
    n = 20000
    sf = score_function_gradients(lambda z: log_joint(model, x, z), m, S, n, np.random.default_rng(0))
    rp = reparameterised_gradients(lambda z: grad_z_log_joint(model, x, z), m, S, n,
                                   np.random.default_rng(0))
    for samples in (sf, rp):
        se = samples.std(axis=0, ddof=1) / math.sqrt(n)
        assert np.all(np.abs(samples.mean(axis=0) - exact) < 4 * se)
    assert rp.var(axis=0).sum() < sf.var(axis=0).sum() / 10


def test_exact_gradient_by_finite_differences():
    model, x = random_model(6)
    m, S = np.array([0.5, 0.1]), np.diag([0.3, 0.7])
    h = 1e-6
    numeric = [(float(elbo_gaussian(model, x, m + h * e, S)) - float(elbo_gaussian(model, x, m - h * e, S)))
               / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(grad_m_expected_log_joint(model, x, m), numeric, rtol=1e-6)


# ------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    ({"W": [1.0, 2.0], "b": [0.0, 0.0], "sigma": 1.0}, "`W` must be a non-empty 2-D"),
    ({"W": [[1.0], [2.0]], "b": [0.0], "sigma": 1.0}, "`b` must be a vector of shape \\(2,\\)"),
    ({"W": [[1.0]], "b": [0.0], "sigma": 0.0}, "`sigma` must be > 0; got 0.0"),
    ({"W": [[np.nan]], "b": [0.0], "sigma": 1.0}, "`W` must be finite"),
])
def test_model_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LinearGaussianModel(**kwargs)


def test_argument_validation():
    model, x = random_model(0)
    with pytest.raises(ValueError, match="`x` must be a vector of shape \\(3,\\)"):
        exact_posterior(model, np.zeros(2))
    with pytest.raises(ValueError, match="`m` must be a vector of shape \\(2,\\)"):
        elbo_gaussian(model, x, np.zeros(3), np.eye(2))
    with pytest.raises(ValueError, match="`S` must be positive definite"):
        elbo_gaussian(model, x, np.zeros(2), np.diag([1.0, -1.0]))
    with pytest.raises(ValueError, match="`S` must be a \\(2, 2\\) covariance"):
        elbo_gaussian(model, x, np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match="`n_samples` must be an integer in \\[2, inf\\]"):
        elbo_monte_carlo(model, x, np.zeros(2), np.eye(2), 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="`K` must be an integer"):
        iwae_bound_monte_carlo(model, x, np.zeros(2), np.eye(2), 0, 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="`log_w` must be free of NaN"):
        iwae_bound(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="`log_w` must be < \\+inf"):
        iwae_bound(np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match="`log_w` must be at least 1-D"):
        iwae_bound(np.float64(1.0))


# ------------------------------------------------------------------------------------------
# Data and the torch VAE
# ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    return vae.load_digits_data()


def test_digits_data(digits):
    assert digits.train_x.shape == (1500, 64) and digits.test_x.shape == (297, 64)
    assert set(np.unique(digits.train_x)) == {0.0, 1.0}
    continuous = vae.load_digits_data(binarize=False)
    assert continuous.train_x.min() == 0.0 and continuous.train_x.max() == 1.0
    np.testing.assert_array_equal(continuous.train_y, digits.train_y)


def test_training_is_deterministic_and_terms_add_up(digits):
    small = digits.train_x[:128]
    runs = [vae.train_vae(small, test_x=digits.test_x[:50], latent_dim=3, hidden_dim=32, epochs=2,
                          seed=3) for _ in range(2)]
    a, b = runs
    assert a.elbo == b.elbo and a.kl == b.kl and a.test_elbo == b.test_elbo
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)
    assert len(a.elbo) == 2
    np.testing.assert_allclose(np.array(a.reconstruction) - np.array(a.kl), a.elbo, rtol=1e-12)
    assert a.kl_per_dim.shape == (3,)
    assert a.kl_per_dim.sum() == pytest.approx(a.kl[-1], rel=1e-10)
    assert torch.get_num_threads() >= 1 and not torch.are_deterministic_algorithms_enabled()
    c = vae.train_vae(small, latent_dim=3, hidden_dim=32, epochs=2, seed=4)
    assert c.elbo != a.elbo


def test_vae_iwae_bound_and_activity(digits):
    result = vae.train_vae(digits.train_x[:300], latent_dim=2, hidden_dim=32, epochs=3, seed=0)
    x = digits.test_x[:40]
    bounds = {K: float(np.mean(vae.vae_iwae_bound(result.model, x, K, seed=1))) for K in (1, 50)}
    assert bounds[50] > bounds[1]
    np.testing.assert_array_equal(vae.vae_iwae_bound(result.model, x, 5, seed=2),
                                  vae.vae_iwae_bound(result.model, x, 5, seed=2))
    activity = vae.latent_activity(result.model, x)
    assert activity.shape == (2,) and np.all(activity >= 0)


def test_gaussian_decoder_trains(digits):
    cont = vae.load_digits_data(binarize=False)
    result = vae.train_vae(cont.train_x[:128], likelihood="gaussian", decoder_sigma=0.2, latent_dim=2,
                           hidden_dim=16, epochs=1)
    assert np.isfinite(result.elbo[0])


def test_training_errors(digits):
    with pytest.raises(ValueError, match="`beta` must be >= 0; got -1.0"):
        vae.train_vae(digits.train_x[:10], beta=-1.0, epochs=1)
    with pytest.raises(ValueError, match="`train_x` must be in \\[0, 1\\]; got .*2\\.0"):
        vae.train_vae(np.full((4, 64), 2.0), epochs=1)
    with pytest.raises(ValueError, match="`likelihood` must be one of"):
        vae.train_vae(digits.train_x[:10], likelihood="poisson", epochs=1)
    with pytest.raises(ValueError, match="`epochs` must be an integer in \\[1, inf\\]; got 0"):
        vae.train_vae(digits.train_x[:10], epochs=0)


def test_example_is_fixed_and_module_does_not_import_torch():
    (m1, x1), (m2, x2) = vae.linear_gaussian_example(), vae.linear_gaussian_example()
    assert (m1.d, m1.k, m1.sigma) == (5, 2, 0.5)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(m1.W, m2.W)
    import subprocess
    import sys

    code = "import sys, genmath.vae; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------------------------
# issue 16: edges
# ---------------------------------------------------------------------------------------------

def test_iwae_bound_refuses_an_infinite_weight_in_both_paths():
    """Issue 16: iwae_bound(torch.tensor([0., inf])) returned inf."""
    for log_w in (np.array([0.0, np.inf]), torch.tensor([0.0, math.inf])):
        with pytest.raises(ValueError, match=r"`log_w` must be < \+inf .*; got inf"):
            iwae_bound(log_w)
    # a weight of 0 (log w = -inf) is fine in both
    assert float(iwae_bound(torch.tensor([0.0, -math.inf]))) == pytest.approx(-math.log(2))
    assert float(iwae_bound(np.array([0.0, -np.inf]))) == pytest.approx(-math.log(2))


@pytest.mark.parametrize("logvar", [-1500.0, -50.0, -1e-9, 0.0, 1e-12, 3.0, 700.0])
def test_kl_std_normal_torch_path_is_nonnegative_and_matches_numpy(logvar: float):
    mu = np.array([0.0, 1e-8, 3.0])
    lv = np.full(3, logvar)
    numpy_kl = float(kl_std_normal(mu, lv))
    torch_kl = kl_std_normal(torch.tensor(mu, requires_grad=True), torch.tensor(lv, requires_grad=True))
    assert float(torch_kl.detach()) >= 0.0 and numpy_kl >= 0.0
    assert float(torch_kl.detach()) == pytest.approx(numpy_kl, rel=1e-12, abs=1e-15)
    torch_kl.backward()


# ------------------------------------------------------------------------------------------
# KL warm-up, free bits, the encoder's mutual information, per-example posteriors
# ------------------------------------------------------------------------------------------

def _same_weights(a, b):
    return all(torch.equal(pa, pb) for pa, pb in zip(a.model.parameters(), b.model.parameters()))


def test_free_bits_with_a_budget_above_every_kl_is_training_without_the_kl(digits):
    """max(lambda, KL_j) = lambda for every dimension: the KL term has no gradient, as at beta = 0."""
    small = digits.train_x[:96]
    free = vae.train_vae(small, latent_dim=3, hidden_dim=16, epochs=2, seed=1, free_bits=1e3)
    no_kl = vae.train_vae(small, latent_dim=3, hidden_dim=16, epochs=2, seed=1, beta=0.0)
    assert _same_weights(free, no_kl)
    some = vae.train_vae(small, latent_dim=3, hidden_dim=16, epochs=2, seed=1, free_bits=0.1)
    plain = vae.train_vae(small, latent_dim=3, hidden_dim=16, epochs=2, seed=1)
    assert not _same_weights(some, plain)


def test_kl_warmup_weight_is_linear_in_the_step(digits):
    """One step per epoch: with a warm-up of 2 epochs the first step's KL weight is beta / 2 (the same
    run as beta / 2 without warm-up); a warm-up of 1 epoch is no warm-up at all."""
    small = digits.train_x[:64]
    kw = {"latent_dim": 2, "hidden_dim": 16, "epochs": 1, "batch_size": 64, "seed": 2}
    assert _same_weights(vae.train_vae(small, beta=1.0, kl_warmup_epochs=2, **kw), vae.train_vae(small, beta=0.5, **kw))
    assert _same_weights(vae.train_vae(small, beta=1.0, kl_warmup_epochs=1, **kw), vae.train_vae(small, **kw))
    assert not _same_weights(vae.train_vae(small, kl_warmup_epochs=3, **kw), vae.train_vae(small, **kw))


class _TableEncoder(torch.nn.Module):
    """An 'encoder' that returns fixed (mu, logvar) per row, looked up by the row's first entry."""

    def __init__(self, mu, logvar):
        super().__init__()
        self.mu, self.logvar = torch.tensor(mu), torch.tensor(logvar)
        self.dummy = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))

    def encode(self, x):
        index = x[:, 0].long()
        return self.mu[index], self.logvar[index]


class _LinearGaussianDecoder(_TableEncoder):
    """p(x | z) = N(W z + b, sigma^2 I), in torch, with a table encoder (the starting point)."""

    def __init__(self, model, mu, logvar):
        super().__init__(mu, logvar)
        self.W, self.b, self.sigma = torch.tensor(model.W), torch.tensor(model.b), model.sigma

    def encode(self, x):
        return self.mu[: x.shape[0]], self.logvar[: x.shape[0]]

    def log_likelihood(self, x, z):
        mean = z @ self.W.T + self.b
        return torch.distributions.Normal(mean, self.sigma).log_prob(x.expand_as(mean)).sum(-1)


def test_encoder_mutual_information_matches_quadrature():
    mu, sd = np.array([[-1.0], [0.3], [1.5]]), np.array([[0.6], [1.1], [0.4]])
    model = _TableEncoder(mu, 2 * np.log(sd))
    x = np.array([[0.0], [1.0], [2.0]])
    info = vae.encoder_mutual_information(model, x, draws=20000, seed=0)
    m, s = mu[:, 0], sd[:, 0]

    def qbar(z):
        return np.mean(scipy.stats.norm.pdf(z, m, s))

    mi = np.mean([scipy.integrate.quad(lambda z: scipy.stats.norm.pdf(z, mi_, si) * (
        scipy.stats.norm.logpdf(z, mi_, si) - np.log(qbar(z))), -12, 12, points=m.tolist())[0]
        for mi_, si in zip(m, s)])
    marginal = scipy.integrate.quad(lambda z: qbar(z) * (np.log(qbar(z)) - scipy.stats.norm.logpdf(z)),
                                    -12, 12, points=m.tolist())[0]
    rate = np.mean(0.5 * (m**2 + s**2 - 1) - np.log(s))      # KL(N(m, s^2) || N(0, 1)) by hand
    assert info.rate == pytest.approx(rate, rel=1e-12)
    assert abs(info.mutual_information.estimate - mi) < 4 * info.mutual_information.std_error
    assert abs(info.marginal_kl.estimate - marginal) < 4 * info.marginal_kl.std_error
    assert info.mutual_information.std_error < 0.01 and 0 < mi < math.log(3)
    assert rate == pytest.approx(mi + marginal, rel=1e-8)          # the rate split, by quadrature


def test_local_posteriors_reach_the_best_diagonal_gaussian():
    """Linear-Gaussian decoder: the best diagonal q has the posterior mean and variances 1 / Lambda_jj
    (Bishop 2006, Sec. 10.1.2); its ELBO is the closed form; with the exact posterior (1-D latent) as
    the proposal every importance weight is p(x), so L_K = log p(x)."""
    model, x = random_model(5, d=3, k=2)
    mean, cov = exact_posterior(model, x)
    var_mf = 1.0 / np.diag(np.linalg.inv(cov))
    duck = _LinearGaussianDecoder(model, np.zeros((1, 2)), np.zeros((1, 2)))
    mu, logvar = vae.fit_local_posteriors(duck, x[None], steps=1500, lr=0.02, draws=64, seed=0)
    np.testing.assert_allclose(mu[0], mean, atol=0.03)
    np.testing.assert_allclose(np.exp(logvar[0]), var_mf, rtol=0.05)
    elbo, se = vae.gaussian_q_elbo(duck, x[None], mean[None], np.log(var_mf)[None], draws=20000, seed=1)
    assert abs(elbo[0] - elbo_gaussian(model, x, mean, np.diag(var_mf))) < 4 * se[0]
    assert all(p.grad is None and p.requires_grad for p in duck.parameters())

    model1, x1 = random_model(6, d=2, k=1)
    mean1, cov1 = exact_posterior(model1, x1)
    duck1 = _LinearGaussianDecoder(model1, np.zeros((1, 1)), np.zeros((1, 1)))
    bound = vae.vae_iwae_bound(duck1, x1[None], 7, seed=0, mu=mean1[None], logvar=np.log(np.diag(cov1))[None])
    exact = scipy.stats.multivariate_normal(model1.b, model1.W @ model1.W.T + model1.sigma**2 * np.eye(2)).logpdf(x1)
    assert bound[0] == pytest.approx(exact, abs=1e-9)


def test_new_arguments_are_validated(digits):
    with pytest.raises(ValueError, match="`free_bits` must be >= 0; got -0.5"):
        vae.train_vae(digits.train_x[:10], epochs=1, free_bits=-0.5)
    with pytest.raises(ValueError, match="`kl_warmup_epochs` must be an integer in \\[0, inf\\]; got -1"):
        vae.train_vae(digits.train_x[:10], epochs=1, kl_warmup_epochs=-1)
    duck = _TableEncoder(np.zeros((2, 1)), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="`draws` must be an integer in \\[2, inf\\]; got 1"):
        vae.encoder_mutual_information(duck, np.zeros((2, 1)), draws=1)
    with pytest.raises(ValueError, match="`x` must be a non-empty \\(n, data_dim\\) array"):
        vae.encoder_mutual_information(duck, np.zeros(3))
    with pytest.raises(ValueError, match="`logvar` must be given exactly when mu is given"):
        vae.gaussian_q_elbo(duck, np.zeros((2, 1)), mu=np.zeros((2, 1)))
    with pytest.raises(ValueError, match="`mu` must be shape \\(2, 1\\)"):
        vae.gaussian_q_elbo(duck, np.zeros((2, 1)), np.zeros((3, 1)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="`steps` must be an integer in \\[1, inf\\]; got 0"):
        vae.fit_local_posteriors(duck, np.zeros((2, 1)), steps=0)
