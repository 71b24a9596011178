"""Tests for genmath.score: closed-form scores vs torch autograd, DSM and Tweedie vs quadrature and
Monte Carlo, the DDPM score/noise link, Langevin's exact stationary variance, error paths."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from genmath import diffusion, score

torch.set_num_threads(1)

W = np.array([0.3, 0.7])
MEANS = np.array([[-2.0, 1.0], [1.5, -0.5]])
COVS = np.array([[[1.0, 0.4], [0.4, 0.8]], [[0.5, -0.1], [-0.1, 0.3]]])


def _torch_mixture(weights, means, covs):
    t = lambda a: torch.tensor(a, dtype=torch.float64)
    return torch.distributions.MixtureSameFamily(torch.distributions.Categorical(probs=t(weights)),
                                                 torch.distributions.MultivariateNormal(t(means), t(covs)))


def _autograd_score(log_prob, x):
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(log_prob(xt).sum(), xt)
    return g.numpy()


# ---------------------------------------------------------------- closed-form scores

def test_gaussian_score_and_log_prob_match_torch():
    x = np.random.default_rng(0).normal(size=(10, 2))
    mvn = torch.distributions.MultivariateNormal(torch.tensor(MEANS[0]), torch.tensor(COVS[0]))
    np.testing.assert_allclose(score.gaussian_score(x, MEANS[0], COVS[0]), _autograd_score(mvn.log_prob, x),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(score.mvn_log_prob(x, MEANS[0], COVS[0]),
                               stats.multivariate_normal(MEANS[0], COVS[0]).logpdf(x), rtol=1e-12)


def test_mixture_score_log_prob_and_responsibilities_match_torch():
    x = np.random.default_rng(1).normal(size=(3, 4, 2)) * 2
    mix = _torch_mixture(W, MEANS, COVS)
    np.testing.assert_allclose(score.mixture_score(x, W, MEANS, COVS), _autograd_score(mix.log_prob, x),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(score.mixture_log_prob(x, W, MEANS, COVS),
                               mix.log_prob(torch.tensor(x)).numpy(), rtol=1e-12)
    resp = score.mixture_responsibilities(x, W, MEANS, COVS)
    assert resp.shape == (3, 4, 2)
    np.testing.assert_allclose(resp.sum(-1), 1.0, rtol=1e-14)


def test_mixture_score_far_from_all_modes_is_finite():
    far = np.array([[1e3, -1e3]])
    s = score.mixture_score(far, W, MEANS, COVS)
    assert np.all(np.isfinite(s))


def test_noisy_mixture_is_the_convolution():
    """p_sigma(x) = int p(y) N(x; y, sigma^2) dy, checked by 1-D quadrature for a 1-D mixture."""
    w, mu, var = np.array([0.4, 0.6]), np.array([[-1.0], [2.0]]), np.array([[[0.3]], [[0.6]]])
    sigma = 0.7
    for x in (-2.0, 0.3, 2.5):
        conv = integrate.quad(lambda y, x=x: math.exp(score.mixture_log_prob([y], w, mu, var))
                              * stats.norm.pdf(x, y, sigma), -np.inf, np.inf)[0]
        closed = math.exp(score.mixture_log_prob([x], w, mu, score.noisy_covs(var, sigma)))
        assert conv == pytest.approx(closed, rel=1e-9)


# ---------------------------------------------------------------- denoising score matching

def test_dsm_target_is_the_kernel_score():
    rng = np.random.default_rng(2)
    x, sigma = rng.normal(size=(5, 2)), 0.4
    x_tilde = score.add_gaussian_noise(x, sigma, rng)
    kernel = torch.distributions.Normal(torch.tensor(x), sigma)
    np.testing.assert_allclose(score.dsm_target(x_tilde, x, sigma), _autograd_score(kernel.log_prob, x_tilde),
                               rtol=1e-12)
    assert score.dsm_loss(score.dsm_target(x_tilde, x, sigma), x_tilde, x, sigma) == 0.0


def test_dsm_optimum_is_the_noisy_marginal_score():
    rng = np.random.default_rng(3)
    mean, cov, sigma = MEANS[0], COVS[0], 0.5
    x = rng.multivariate_normal(mean, cov, size=100_000)
    x_tilde = score.add_gaussian_noise(x, sigma, rng)
    A, b = score.fit_linear_dsm(x_tilde, x, sigma)
    A_exact = -np.linalg.inv(cov + sigma**2 * np.eye(2))
    np.testing.assert_allclose(A, A_exact, atol=0.03)
    np.testing.assert_allclose(b, -A_exact @ mean, atol=0.03)
    # the noisy marginal's score has lower DSM loss than the clean data's score
    loss_noisy = score.dsm_loss(score.gaussian_score(x_tilde, mean, cov + sigma**2 * np.eye(2)), x_tilde, x, sigma)
    loss_clean = score.dsm_loss(score.gaussian_score(x_tilde, mean, cov), x_tilde, x, sigma)
    assert loss_noisy < loss_clean


# ---------------------------------------------------------------- Tweedie

def test_tweedie_on_a_mixture_prior_matches_quadrature():
    w, mu, var = np.array([0.25, 0.75]), np.array([[-1.5], [1.0]]), np.array([[[0.2]], [[0.5]]])
    sigma = 0.8
    for xt in (-2.0, 0.0, 0.4, 3.0):
        def like(y, xt=xt):
            return math.exp(score.mixture_log_prob([y], w, mu, var)) * stats.norm.pdf(xt, y, sigma)

        num = integrate.quad(lambda y, like=like: y * like(y), -np.inf, np.inf)[0]
        den = integrate.quad(like, -np.inf, np.inf)[0]
        s = score.mixture_score([xt], w, mu, score.noisy_covs(var, sigma))
        assert score.tweedie_denoiser([xt], sigma, s)[0] == pytest.approx(num / den, rel=1e-8, abs=1e-10)


def test_tweedie_on_gaussian_equals_gaussian_conditioning():
    rng = np.random.default_rng(4)
    sigma = 0.6
    x_tilde = rng.normal(size=(6, 2))
    s = score.gaussian_score(x_tilde, MEANS[1], score.noisy_covs(COVS[1], sigma))
    np.testing.assert_allclose(score.tweedie_denoiser(x_tilde, sigma, s),
                               score.gaussian_posterior_mean(x_tilde, MEANS[1], COVS[1], sigma), rtol=1e-12)


# ---------------------------------------------------------------- DDPM link

def test_conditional_score_is_minus_noise_over_std():
    rng = np.random.default_rng(5)
    betas = diffusion.linear_betas(1000)
    abar = diffusion.alpha_bars(betas)[299]
    x0, eps = rng.normal(size=(8, 2)), rng.normal(size=(8, 2))
    xt = diffusion.q_sample(x0, 300, eps, betas)
    np.testing.assert_allclose(score.ddpm_conditional_score(xt, x0, abar), score.score_from_noise(eps, abar),
                               rtol=1e-10)
    kernel = torch.distributions.Normal(torch.tensor(math.sqrt(abar) * x0), math.sqrt(1 - abar))
    np.testing.assert_allclose(score.ddpm_conditional_score(xt, x0, abar), _autograd_score(kernel.log_prob, xt),
                               rtol=1e-10)
    np.testing.assert_allclose(score.noise_from_score(score.score_from_noise(eps, abar), abar), eps, rtol=1e-12)


def test_marginal_score_is_minus_expected_noise_over_std():
    abar = 0.37
    xt = np.random.default_rng(6).normal(size=(5, 2)) * 2
    m_t, c_t = score.ddpm_gaussian_marginal(MEANS[0], COVS[0], abar)
    from_noise = score.score_from_noise(score.ddpm_gaussian_noise_posterior_mean(xt, MEANS[0], COVS[0], abar), abar)
    np.testing.assert_allclose(from_noise, score.gaussian_score(xt, m_t, c_t), rtol=1e-10)
    # 1-D marginal agrees with genmath.diffusion.gaussian_marginals
    betas = diffusion.linear_betas(100)
    ab = diffusion.alpha_bars(betas)[49]
    means, variances = diffusion.gaussian_marginals(betas, 0.7, 1.3)
    m1, c1 = score.ddpm_gaussian_marginal([0.7], [[1.3**2]], ab)
    assert m1[0] == pytest.approx(means[50], rel=1e-12) and c1[0, 0] == pytest.approx(variances[50], rel=1e-12)


def test_marginal_noise_posterior_mean_by_quadrature_for_non_gaussian_data():
    """E[eps | x_t] by quadrature over x_0 (mixture data) gives the mixture marginal's score."""
    w, mu, var = np.array([0.4, 0.6]), np.array([[-1.0], [1.5]]), np.array([[[0.1]], [[0.3]]])
    abar = 0.5
    sa, so = math.sqrt(abar), math.sqrt(1 - abar)
    # q(x_t) for mixture data is again a mixture: means sqrt(abar) mu_k, variances abar var_k + 1 - abar
    marg_mu, marg_var = sa * mu, abar * var + (1 - abar)
    for xt in (-1.2, 0.1, 2.0):
        def joint(x0, xt=xt):
            return math.exp(score.mixture_log_prob([x0], w, mu, var)) * stats.norm.pdf(xt, sa * x0, so)

        den = integrate.quad(joint, -np.inf, np.inf)[0]
        e_eps = integrate.quad(lambda x0, xt=xt, joint=joint: (xt - sa * x0) / so * joint(x0), -np.inf, np.inf)[0] / den
        expected = score.mixture_score([xt], w, marg_mu, marg_var)[0]
        assert score.score_from_noise(e_eps, abar) == pytest.approx(expected, rel=1e-8)


def test_regressing_noise_on_xt_recovers_the_posterior_mean():
    rng = np.random.default_rng(7)
    abar = 0.6
    x0 = rng.multivariate_normal(MEANS[1], COVS[1], size=100_000)
    eps = rng.standard_normal(x0.shape)
    xt = math.sqrt(abar) * x0 + math.sqrt(1 - abar) * eps
    Wm, c = score.regress_noise_on_xt(xt, eps)
    probe = np.array([[0.5, -0.2], [-1.0, 1.0]])
    np.testing.assert_allclose(probe @ Wm.T + c,
                               score.ddpm_gaussian_noise_posterior_mean(probe, MEANS[1], COVS[1], abar), atol=0.02)


# ---------------------------------------------------------------- Langevin

def test_langevin_stationary_variance_on_a_gaussian():
    """For N(0, s^2) ULA is an AR(1) chain x' = (1 - e/(2 s^2)) x + sqrt(e) z whose stationary variance is
    e / (1 - (1 - e/(2 s^2))^2), slightly above s^2."""
    s2, eps = 2.0, 0.2
    rng = np.random.default_rng(8)
    x = score.langevin(lambda p: -p / s2, np.zeros((40_000, 1)), eps, 200, rng)
    a = 1 - eps / (2 * s2)
    assert x.var() == pytest.approx(eps / (1 - a**2), rel=0.03)
    assert abs(x.mean()) < 0.03


def test_annealed_langevin_finds_both_modes_in_proportion():
    w, mu, cov = np.array([0.2, 0.8]), np.array([[-5.0, -5.0], [5.0, 5.0]]), np.stack([np.eye(2)] * 2)
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-8, 8, size=(600, 2))
    plain = score.langevin(lambda p: score.mixture_score(p, w, mu, cov), x0, 0.1, 300, rng)
    annealed = score.annealed_langevin(lambda p, s: score.mixture_score(p, w, mu, score.noisy_covs(cov, s)),
                                       x0, np.geomspace(20, 0.1, 10), 2e-3, 60, rng)
    frac = lambda x: (score.mixture_responsibilities(x, w, mu, cov)[:, 1] > 0.5).mean()
    assert abs(frac(plain) - 0.5) < 0.08  # stuck in the basin it starts in
    assert abs(frac(annealed) - 0.8) < 0.08


# ---------------------------------------------------------------- error paths

def test_validation_messages():
    with pytest.raises(ValueError, match="`sigma` must be > 0; got 0.0"):
        score.dsm_target(np.zeros((2, 1)), np.zeros((2, 1)), 0.0)
    with pytest.raises(ValueError, match="`x_tilde` and `x` must have the same shape"):
        score.dsm_target(np.zeros((2, 1)), np.zeros((3, 1)), 1.0)
    with pytest.raises(ValueError, match=r"`alpha_bar` must be in \(0, 1\); got 1.0"):
        score.score_from_noise(np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="`weights` must be a probability vector summing to 1"):
        score.mixture_score(np.zeros((1, 2)), [0.5, 0.6], MEANS, COVS)
    with pytest.raises(ValueError, match=r"`means` must be an array of shape \(K, D\) with K = 2"):
        score.mixture_score(np.zeros((1, 2)), W, MEANS[:1], COVS)
    with pytest.raises(ValueError, match="`cov` must be positive definite"):
        score.gaussian_score(np.zeros((1, 2)), [0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="`x` must be points of dimension 2"):
        score.gaussian_score(np.zeros((1, 3)), [0.0, 0.0], np.eye(2))
    with pytest.raises(ValueError, match="`sigmas` must be a non-empty, strictly decreasing vector"):
        score.annealed_langevin(lambda p, s: -p, np.zeros((1, 1)), [0.1, 1.0], 0.1, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="`step_size` must be > 0"):
        score.langevin(lambda p: -p, np.zeros((1, 1)), -0.1, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="`n_steps` must be an integer"):
        score.langevin(lambda p: -p, np.zeros((1, 1)), 0.1, 0, np.random.default_rng(0))


# ------------------------------------------------------------------------------ issue 16: named errors


def test_mixture_covariance_errors_name_covs_and_the_component():
    """Issue 16: a bad component covariance was reported as `cov`, an argument the caller never passed."""
    with pytest.raises(ValueError, match=r"(?s)`covs` must be positive definite; got .*\(at index \(1,\)\)"):
        score.mixture_log_prob(np.zeros((1, 2)), [0.5, 0.5], np.zeros((2, 2)), np.array([np.eye(2), -np.eye(2)]))
    with pytest.raises(ValueError, match=r"(?s)`covs` must be symmetric"):
        score.mixture_score(np.zeros((1, 2)), [1.0], np.zeros((1, 2)), np.array([[[1.0, 0.5], [0.0, 1.0]]]))


def test_noisy_covs_needs_square_matrices():
    with pytest.raises(ValueError, match=r"`covs` must be a square matrix or a stack of them, shape \(\.\.\., D, D\); "
                                         r"got \(2, 3\) as its shape"):
        score.noisy_covs(np.zeros((2, 3)), 0.5)  # was numpy's 'operands could not be broadcast'


def test_langevin_refuses_a_score_that_is_not_finite():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"`score` must be finite; got nan at step 0, index \(0, 0\), point \[0.\]"):
        score.langevin(lambda x: x * np.nan, np.zeros((2, 1)), 0.1, 3, rng)  # returned NaN samples
    with pytest.raises(ValueError, match=r"`score` must be finite; got -?inf at step \d+"), np.errstate(over="ignore"):
        score.langevin(lambda x: -(x**3) * 1e10, np.ones((2, 1)), 1.0, 50, rng)  # a diverging chain
    with pytest.raises(ValueError, match=r"`score` must be a function returning one score per point, shape \(2, 1\); "
                                         r"got \(2,\) as its shape at step 0"):
        score.langevin(lambda x: x[:, 0], np.zeros((2, 1)), 0.1, 3, rng)


# ---------------------------------------------------------------- score networks, sliced SM, reverse SDEs

def test_ring_score_matches_autograd_of_the_noisy_mixture():
    x = np.random.default_rng(1).normal(scale=1.2, size=(20, 2))
    centres = diffusion.ring_centres()
    for sigma in (0.0, 0.3):
        var = 0.1**2 + sigma**2
        mix = torch.distributions.MixtureSameFamily(
            torch.distributions.Categorical(probs=torch.full((8,), 1 / 8, dtype=torch.float64)),
            torch.distributions.MultivariateNormal(torch.tensor(centres), var * torch.eye(2, dtype=torch.float64)))
        np.testing.assert_allclose(score.ring_score(x, sigma), _autograd_score(mix.log_prob, x), rtol=1e-9, atol=1e-9)


def _linear_model(seed=0):
    torch.manual_seed(seed)
    lin = torch.nn.Linear(2, 2).to(torch.float64)
    return lin, lin.weight.detach().numpy(), lin.bias.detach().numpy()


def test_implicit_score_matching_loss_is_the_closed_form_for_a_linear_score():
    lin, A, b = _linear_model()
    x = np.random.default_rng(2).normal(size=(50, 2))
    expected = np.trace(A) + 0.5 * ((x @ A.T + b) ** 2).sum(1)
    got = score.implicit_score_matching_loss(lin, torch.as_tensor(x), reduce=False).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert float(score.implicit_score_matching_loss(lin, torch.as_tensor(x))) == pytest.approx(expected.mean(), rel=1e-12)


@pytest.mark.parametrize("vr", [False, True])
def test_sliced_score_matching_is_unbiased_for_the_implicit_objective(vr):
    """Averaged over many Gaussian projections, SSM (and SSM-VR) equals tr A + |Ax + b|^2 / 2 (Monte Carlo)."""
    lin, A, b = _linear_model(1)
    rng = np.random.default_rng(3)
    x = np.repeat(rng.normal(size=(1, 2)), 40_000, axis=0)
    v = rng.standard_normal(x.shape)
    def loss(i, j):
        return float(score.sliced_score_matching_loss(lin, torch.as_tensor(x[i:j]), torch.as_tensor(v[i:j]),
                                                      variance_reduction=vr, create_graph=False).detach())

    per = [loss(i, i + 1) for i in range(2000)]
    full = loss(0, x.shape[0])
    expected = np.trace(A) + 0.5 * ((x[0] @ A.T + b) ** 2).sum()
    se = np.std(per, ddof=1) / np.sqrt(x.shape[0])
    assert abs(full - expected) < 4 * se + 1e-12


def test_noise_conditional_dsm_loss_matches_numpy_dsm_loss():
    rng = np.random.default_rng(4)
    x, eta = rng.normal(size=(30, 2)), rng.normal(size=(30, 2))
    sigma = np.full(30, 0.7)
    model = lambda xt, s: -xt / (1.0 + s.reshape(-1, 1) ** 2)  # the noisy score of N(0, I) data
    got = float(score.noise_conditional_dsm_loss(model, torch.as_tensor(x), torch.as_tensor(sigma), torch.as_tensor(eta)))
    x_tilde = x + 0.7 * eta
    assert got == pytest.approx(0.7**2 * score.dsm_loss(-x_tilde / 1.49, x_tilde, x, 0.7), rel=1e-12)


def test_trained_dsm_and_ssm_networks_learn_gaussian_scores():
    """1-D data N(1, 0.5^2): DSM at sigma learns -(x - 1)/(0.25 + sigma^2), SSM-VR learns -(x - 1)/0.25."""
    data = np.random.default_rng(5).normal(1.0, 0.5, size=(4000, 1))
    pts = np.array([[0.5], [1.0], [1.5]])
    dsm = score.train_score_net(data, objective="dsm", sigmas=[0.5], steps=600, batch_size=256, lr=1e-2, hidden=32)
    np.testing.assert_allclose(score.net_score(dsm, pts, 0.5)[:, 0], -(pts[:, 0] - 1) / 0.5, atol=0.15)
    ssm = score.train_score_net(data, objective="ssm_vr", steps=600, batch_size=256, lr=1e-2, hidden=32)
    np.testing.assert_allclose(score.net_score(ssm, pts)[:, 0], -(pts[:, 0] - 1) / 0.25, atol=0.4)


def test_predictor_alone_follows_the_exact_variance_recursion():
    """Gaussian data N(0, s^2) with exact scores: the predictor is linear, its variance recursion exact."""
    s2, sigmas = 0.3, np.geomspace(2.0, 0.05, 6)
    var = sigmas[0] ** 2
    for sig, nxt in zip(sigmas, np.append(sigmas[1:], 0.0)):
        d = sig**2 - nxt**2
        var = (1 - d / (s2 + sig**2)) ** 2 * var + (d if nxt > 0 else 0.0)
    rng = np.random.default_rng(6)
    x0 = rng.normal(scale=sigmas[0], size=(200_000, 1))
    x = score.predictor_corrector_ve(lambda x, s: -x / (s2 + s**2), x0, sigmas, rng, n_corrector=0)
    assert abs(x.var() - var) < 4 * var * np.sqrt(2 / x.size)
    # with correctors the chain moves towards the data variance
    xc = score.predictor_corrector_ve(lambda x, s: -x / (s2 + s**2), x0[:20_000], sigmas, rng, n_corrector=5)
    assert abs(xc.var() - s2) < abs(var - s2)


def test_vp_reverse_euler_step_agrees_with_ddpm_to_first_order():
    rng = np.random.default_rng(7)
    x, s, z = rng.normal(size=(5, 2)), rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    for beta in (1e-2, 1e-3):
        em = score.vp_reverse_euler_step(x, s, beta, z)
        np.testing.assert_allclose(em, (1 + beta / 2) * x + beta * s + np.sqrt(beta) * z, rtol=1e-14)
        ddpm = (x + beta * s) / np.sqrt(1 - beta) + np.sqrt(beta) * z
        assert np.abs(em - ddpm).max() < beta**2 * (np.abs(x).max() + np.abs(s).max())


def test_reverse_diffusion_ve_step_formula():
    rng = np.random.default_rng(8)
    x, s, z = rng.normal(size=(4, 2)), rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    np.testing.assert_allclose(score.reverse_diffusion_ve_step(x, s, 0.8, 0.5, z),
                               x + (0.64 - 0.25) * s + np.sqrt(0.39) * z, rtol=1e-14)


def test_score_network_errors_name_the_argument():
    data = np.zeros((10, 2))
    with pytest.raises(ValueError, match="objective"):
        score.train_score_net(data, objective="esm")
    with pytest.raises(ValueError, match="sigmas"):
        score.train_score_net(data, objective="dsm")
    with pytest.raises(ValueError, match="sigmas"):
        score.train_score_net(data, objective="ssm", sigmas=[0.1])
    net = score.make_score_net(2, 8, 1)
    with pytest.raises(ValueError, match="sigma"):
        score.net_score(net, data)
    with pytest.raises(ValueError, match="sigmas"):
        score.predictor_corrector_ve(lambda x, s: -x, data, [0.1, 0.5], np.random.default_rng(0))
    with pytest.raises(ValueError, match="sigma_next"):
        score.reverse_diffusion_ve_step(data, data, 0.5, 0.8, data)
    with pytest.raises(ValueError, match="beta"):
        score.vp_reverse_euler_step(data, data, 1.5, data)
