"""Tests for genmath.diffusion: schedules against the papers, closed forms against simulation and
Bayes' rule, the exact Gaussian bound against the exact NLL, index convention, errors, determinism."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.integrate
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

import genmath
from genmath import diffusion as d

LINEAR = d.linear_betas()  # Ho et al. (2020): T = 1000, 1e-4 .. 0.02


def _num(text):
    """A number as validate shows it (numpy 2 may render array elements as np.float64(...))."""
    return r"(np\.float64\()?" + text.replace(".", r"\.") + r"\)?"


def _mc_close(estimate, exact, stderr, k=5.0):
    assert abs(estimate - exact) < k * stderr + 1e-12, (estimate, exact, stderr)


# ------------------------------------------------------------------------------ schedules


def test_linear_schedule_matches_ho_et_al():
    assert LINEAR.shape == (1000,)
    assert LINEAR[0] == pytest.approx(1e-4, abs=0)
    assert LINEAR[-1] == pytest.approx(0.02, rel=1e-15)
    assert np.allclose(np.diff(LINEAR), (0.02 - 1e-4) / 999, rtol=1e-9)
    # alpha_bar_T = prod(1 - beta_t), computed independently
    assert d.alpha_bars(LINEAR)[-1] == pytest.approx(math.prod(1.0 - float(b) for b in LINEAR), rel=1e-12)
    assert 4.0e-5 < d.alpha_bars(LINEAR)[-1] < 4.1e-5


def test_scaled_linear_schedule_is_improved_diffusion_rescaling():
    np.testing.assert_array_equal(d.scaled_linear_betas(1000), LINEAR)
    b = d.scaled_linear_betas(100)
    assert b[0] == pytest.approx(1e-3) and b[-1] == pytest.approx(0.2)
    # the rescaling keeps sum(beta) and hence alpha_bar_T of the same order
    assert d.alpha_bars(b)[-1] < 1e-4


def test_cosine_schedule_matches_nichol_dhariwal_eq17():
    T, s = 1000, 0.008
    b = d.cosine_betas(T)
    t = np.arange(T + 1)
    f = np.cos((t / T + s) / (1 + s) * np.pi / 2) ** 2
    np.testing.assert_allclose(d.cosine_f(t, T), f, rtol=1e-14)
    ab = d.alpha_bars(b)
    # unclipped steps reproduce alpha_bar_t = f(t) / f(0) exactly
    np.testing.assert_allclose(ab[:-1], f[1:-1] / f[0], rtol=1e-9)
    assert b[-1] == 0.999  # beta_T = 1 without the clip
    assert (b[:-1] < 0.999).all()
    assert b[0] == pytest.approx(1 - f[1] / f[0], rel=1e-12)


def test_snr_and_log_snr():
    ab = d.alpha_bars(LINEAR)
    np.testing.assert_allclose(d.snr(LINEAR), ab / (1 - ab), rtol=1e-12)
    np.testing.assert_allclose(d.log_snr(LINEAR), np.log(ab / (1 - ab)), rtol=1e-10)
    assert (np.diff(d.snr(LINEAR)) < 0).all()  # SNR decreases in t


# ------------------------------------------------------------------------------ index convention


def test_index_convention_is_one_based_t_on_zero_based_arrays():
    b = d.linear_betas(10, 0.01, 0.2)
    x0 = np.array([0.3, -1.2])
    eps = np.array([0.7, 0.1])
    # t = 1 uses betas[0]: alpha_bar_1 = 1 - beta_1
    np.testing.assert_allclose(d.q_sample(x0, 1, eps, b), np.sqrt(1 - b[0]) * x0 + np.sqrt(b[0]) * eps)
    np.testing.assert_allclose(d.q_sample(x0, 1, eps, b), d.forward_step(x0, 1, eps, b))
    ab_T = np.prod(1 - b)
    np.testing.assert_allclose(d.q_sample(x0, 10, eps, b), np.sqrt(ab_T) * x0 + np.sqrt(1 - ab_T) * eps)
    assert d.posterior_variance(b)[0] == 0.0  # beta_tilde_1 = 0 because alpha_bar_0 = 1
    c0, ct = d.posterior_mean_coefs(b)
    assert c0[0] == pytest.approx(1.0) and ct[0] == 0.0  # q(x_0 | x_1, x_0) is a point mass at x_0
    # per-row steps
    t = np.array([1, 10])
    X0 = np.stack([x0, x0])
    E = np.stack([eps, eps])
    out = d.q_sample(X0, t, E, b)
    np.testing.assert_allclose(out[0], d.q_sample(x0, 1, eps, b))
    np.testing.assert_allclose(out[1], d.q_sample(x0, 10, eps, b))


# ------------------------------------------------------------------------------ closed forms vs simulation


def test_q_marginal_matches_step_by_step_chain():
    b = d.linear_betas(50, 1e-3, 0.1)
    rng = np.random.default_rng(0)
    n = 200_000
    x0 = 1.5
    x = np.full(n, x0)
    for t in range(1, 51):
        x = d.forward_step(x, t, rng.standard_normal(n), b)
        if t in (1, 7, 25, 50):
            mean, var = d.q_moments(x0, t, b)
            _mc_close(x.mean(), float(mean), math.sqrt(float(var) / n))
            _mc_close(x.var(), float(var), float(var) * math.sqrt(2 / n))


def test_posterior_matches_simulated_regression():
    """For fixed x0, (x_{t-1}, x_t) is jointly Gaussian: regressing x_{t-1} on x_t gives the slope
    coef_xt, intercept coef_x0 * x0 and residual variance beta_tilde_t."""
    b = d.linear_betas(20, 0.01, 0.2)
    rng = np.random.default_rng(1)
    n, x0 = 400_000, -0.8
    c0, ct = d.posterior_mean_coefs(b)
    bt = d.posterior_variance(b)
    for t in (2, 5, 20):
        x_prev = d.q_sample(np.full(n, x0), t - 1, rng.standard_normal(n), b)
        xt = d.forward_step(x_prev, t, rng.standard_normal(n), b)
        slope, intercept = np.polyfit(xt, x_prev, 1)
        resid = x_prev - (slope * xt + intercept)
        assert slope == pytest.approx(ct[t - 1], abs=0.01)
        assert intercept == pytest.approx(c0[t - 1] * x0, abs=0.01)
        assert resid.var() == pytest.approx(bt[t - 1], rel=0.01)


@pytest.mark.parametrize("t", [2, 3, 10, 40])
def test_posterior_matches_bayes_rule_by_quadrature(t):
    b = d.linear_betas(40, 0.005, 0.1)
    x0, xt = 0.6, -0.4
    beta_t = b[t - 1]
    m_prev, v_prev = (float(a) for a in d.q_moments(x0, t - 1, b))

    def unnormalised(x):  # q(x_t | x_{t-1}) q(x_{t-1} | x_0)
        return (stats.norm.pdf(xt, np.sqrt(1 - beta_t) * x, np.sqrt(beta_t))
                * stats.norm.pdf(x, m_prev, np.sqrt(v_prev)))

    mu = float(d.posterior_mean(x0, xt, t, b))
    var = d.posterior_variance(b)[t - 1]
    lo, hi = mu - 12 * np.sqrt(var), mu + 12 * np.sqrt(var)
    Z = scipy.integrate.quad(unnormalised, lo, hi, epsabs=0, epsrel=1e-12, limit=200)[0]
    mean = scipy.integrate.quad(lambda x: x * unnormalised(x), lo, hi, epsabs=0, epsrel=1e-12, limit=200)[0] / Z
    second = scipy.integrate.quad(lambda x: (x - mean) ** 2 * unnormalised(x), lo, hi, epsabs=0,
                                  epsrel=1e-12, limit=200)[0] / Z
    assert mean == pytest.approx(mu, rel=1e-8, abs=1e-10)
    assert second == pytest.approx(var, rel=1e-7)
    grid = np.linspace(mu - 3 * np.sqrt(var), mu + 3 * np.sqrt(var), 7)
    np.testing.assert_allclose(unnormalised(grid) / Z, stats.norm.pdf(grid, mu, np.sqrt(var)), rtol=1e-7)


def test_eps_parameterisation_recovers_posterior_mean():
    b = LINEAR
    rng = np.random.default_rng(2)
    x0, eps = rng.standard_normal(5), rng.standard_normal(5)
    for t in (2, 100, 1000):
        xt = d.q_sample(x0, t, eps, b)
        np.testing.assert_allclose(d.eps_to_mean(xt, eps, t, b), d.posterior_mean(x0, xt, t, b),
                                   rtol=1e-9, atol=1e-12)


def test_loss_weights_formula_and_snr_form():
    b = LINEAR
    sig_beta = d.reverse_variances(b, "beta")
    lam = d.loss_weights(b, sig_beta)
    np.testing.assert_allclose(lam, b / (2 * (1 - b) * (1 - d.alpha_bars(b))), rtol=1e-12)
    lam_tilde = d.loss_weights(b, d.reverse_variances(b, "beta_tilde"))
    snr = np.concatenate(([np.inf], d.snr(b)))  # SNR(0) = inf
    np.testing.assert_allclose(lam_tilde[1:], (snr[1:-1] - snr[2:]) / (2 * snr[2:]), rtol=1e-8)
    assert d.reverse_variances(b, "beta_tilde")[0] == d.posterior_variance(b)[1]


def test_eps_form_of_bound_equals_explicit_kl_terms():
    """lambda_t ||eps - eps_theta||^2 + D C_t equals the KL term (t >= 2) and the decoder NLL (t = 1)
    for an arbitrary eps_theta."""
    b = d.scaled_linear_betas(100)
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((6, 2))
    for kind in d.FIXED_VARIANCES:
        s2 = d.reverse_variances(b, kind)
        lam, const = d.loss_weights(b, s2), d.bound_constants(b, s2)
        for t in (1, 2, 37, 100):
            eps = rng.standard_normal(x0.shape)
            eps_theta = eps + 0.3 * rng.standard_normal(x0.shape)
            xt = d.q_sample(x0, t, eps, b)
            mu_theta = d.eps_to_mean(xt, eps_theta, t, b)
            if t == 1:
                explicit = d.decoder_term(x0, mu_theta, s2[0]).sum(1)
            else:
                mu_tilde = d.posterior_mean(x0, xt, t, b)
                explicit = d.denoising_term(mu_tilde, d.posterior_variance(b)[t - 1], mu_theta,
                                            s2[t - 1]).sum(1)
            eps_form = lam[t - 1] * ((eps - eps_theta) ** 2).sum(1) + 2 * const[t - 1]
            np.testing.assert_allclose(eps_form, explicit, rtol=1e-8, atol=1e-10)


def test_bound_terms_use_kl_normal_and_agree_with_torch():
    td = torch.distributions
    mu, var = 0.3, 0.7
    expected = td.kl_divergence(td.Normal(torch.tensor(mu, dtype=torch.float64), math.sqrt(var)),
                                td.Normal(torch.tensor(0.0, dtype=torch.float64), 1.0)).item()
    assert float(d.prior_term(mu, var)) == pytest.approx(expected, rel=1e-12)
    assert float(d.prior_term(mu, var)) == pytest.approx(float(genmath.kl_normal(mu, math.sqrt(var), 0, 1)))
    expected = td.kl_divergence(td.Normal(torch.tensor(0.1, dtype=torch.float64), 0.2),
                                td.Normal(torch.tensor(-0.3, dtype=torch.float64), 0.5)).item()
    assert float(d.denoising_term(0.1, 0.04, -0.3, 0.25)) == pytest.approx(expected, rel=1e-12)
    expected = -td.Normal(torch.tensor(0.2, dtype=torch.float64), 0.1).log_prob(torch.tensor(0.35)).item()
    assert float(d.decoder_term(0.35, 0.2, 0.01)) == pytest.approx(expected, rel=1e-6)


# ------------------------------------------------------------------------------ exact Gaussian bound


SCHEDULES = {
    "linear1000": LINEAR,
    "linear100_copied": d.linear_betas(100),
    "cosine50": d.cosine_betas(50),
    "scaled20": d.scaled_linear_betas(21),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
@pytest.mark.parametrize("kernel", d.KERNELS)
@pytest.mark.parametrize("m,s", [(0.5, 0.5), (0.0, 1.0), (-1.0, 0.1), (2.0, 2.0)])
def test_exact_bound_never_below_exact_nll(name, kernel, m, s):
    b = SCHEDULES[name]
    g = d.gaussian_bound(b, m, s, kernel)
    assert g.gap >= -1e-12 * max(1.0, abs(g.nll))
    assert g.total == pytest.approx(g.terms[0] + g.terms[1:-1].sum() + g.terms[-1])
    for x0 in (m - 2 * s, m, m + 3 * s):
        gx = d.gaussian_bound(b, m, s, kernel, x0=x0)
        assert gx.gap >= -1e-12 * max(1.0, abs(gx.nll))
    if kernel == "beta_tilde" or (kernel == "beta" and (m, s) != (0.0, 1.0)):
        assert g.gap > 1e-8  # strictly above: the family does not contain q(x_{t-1}|x_t)
    if kernel == "beta" and (m, s) == (0.0, 1.0):
        assert g.gap == pytest.approx(0.0, abs=1e-12)  # N(0,1) data: beta_t is the exact variance


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_exact_kernel_gap_is_prior_mismatch_minus_marginal_kl(name):
    """With p(x_{t-1}|x_t) = q(x_{t-1}|x_t): L - E[-log p(x0)] = KL(q(x_T)||N(0,1)) - KL(q(x0)||p(x0))."""
    b = SCHEDULES[name]
    m, s = 0.5, 0.5
    g = d.gaussian_bound(b, m, s, "exact")
    mu, var = d.gaussian_marginals(b, m, s)
    predicted = (genmath.kl_normal(mu[-1], math.sqrt(var[-1]), 0, 1)
                 - genmath.kl_normal(m, s, g.model_mean, math.sqrt(g.model_var)))
    assert g.gap == pytest.approx(float(predicted), rel=1e-6, abs=1e-12)
    assert g.total == pytest.approx(g.data_entropy + float(genmath.kl_normal(mu[-1], math.sqrt(var[-1]), 0, 1)),
                                    rel=1e-12)


def test_expected_bound_is_average_of_pointwise_bounds():
    b = d.linear_betas(30, 0.003, 0.2)
    m, s = 0.3, 0.6
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    weights = weights / weights.sum()
    for kernel in d.KERNELS:
        g = d.gaussian_bound(b, m, s, kernel)
        pts = [d.gaussian_bound(b, m, s, kernel, x0=m + s * z) for z in nodes]
        np.testing.assert_allclose(sum(w * p.terms for w, p in zip(weights, pts)), g.terms, rtol=1e-9, atol=1e-12)
        assert sum(w * p.nll for w, p in zip(weights, pts)) == pytest.approx(g.nll, rel=1e-9)


def test_gaussian_bound_terms_against_monte_carlo():
    """Each expected term by sampling (x0, x_t) and evaluating the pointwise KLs / decoder NLL, and the
    model's p(x0) moments by ancestral simulation of the reverse kernels."""
    b = d.linear_betas(12, 0.01, 0.3)
    m, s, kernel = 0.5, 0.4, "beta"
    g = d.gaussian_bound(b, m, s, kernel)
    a, c, _ = d.gaussian_reverse_kernel(b, m, s)
    rng = np.random.default_rng(4)
    n = 200_000
    x0 = m + s * rng.standard_normal(n)
    for t in (1, 2, 6, 12):
        xt = d.q_sample(x0, t, rng.standard_normal(n), b)
        mu_model = a[t - 1] * xt + c[t - 1]
        if t == 1:
            vals = d.decoder_term(x0, mu_model, g.sigma2[0])
        else:
            vals = d.denoising_term(d.posterior_mean(x0, xt, t, b), d.posterior_variance(b)[t - 1],
                                    mu_model, g.sigma2[t - 1])
        _mc_close(vals.mean(), g.terms[t - 1], vals.std() / math.sqrt(n))
    mean_T, var_T = d.q_moments(x0, 12, b)
    vals = d.prior_term(mean_T, var_T)
    _mc_close(vals.mean(), g.terms[-1], vals.std() / math.sqrt(n))
    x = rng.standard_normal(n)  # ancestral sampling of the model
    for t in range(12, 0, -1):
        x = a[t - 1] * x + c[t - 1] + np.sqrt(g.sigma2[t - 1]) * rng.standard_normal(n)
    _mc_close(x.mean(), g.model_mean, math.sqrt(g.model_var / n))
    _mc_close(x.var(), g.model_var, g.model_var * math.sqrt(2 / n))


def test_true_reverse_kernel_matches_joint_regression():
    b = d.linear_betas(10, 0.02, 0.3)
    m, s = 1.0, 0.3
    a, c, r = d.gaussian_reverse_kernel(b, m, s)
    rng = np.random.default_rng(5)
    n = 400_000
    x = m + s * rng.standard_normal(n)
    for t in range(1, 11):
        nxt = d.forward_step(x, t, rng.standard_normal(n), b)
        if t in (1, 4, 10):
            slope, intercept = np.polyfit(nxt, x, 1)
            assert slope == pytest.approx(a[t - 1], abs=0.01)
            assert intercept == pytest.approx(c[t - 1], abs=0.01)
            assert (x - slope * nxt - intercept).var() == pytest.approx(r[t - 1], rel=0.01)
        x = nxt


def test_standard_normal_data_makes_beta_the_exact_kernel():
    """For x0 ~ N(0, 1) the forward chain is stationary, so q(x_{t-1}|x_t) has variance beta_t
    (Ho et al. 2020, Sec. 3.2: sigma^2 = beta_t is optimal for x0 ~ N(0, I))."""
    b = d.linear_betas(50, 1e-3, 0.1)
    np.testing.assert_allclose(d.kernel_variances(b, 0.0, 1.0, "exact"), b, rtol=1e-12)
    g_exact = d.gaussian_bound(b, 0.0, 1.0, "exact")
    g_beta = d.gaussian_bound(b, 0.0, 1.0, "beta")
    np.testing.assert_allclose(g_exact.terms, g_beta.terms, rtol=1e-10, atol=1e-14)
    assert g_exact.gap == pytest.approx(0.0, abs=1e-12)


# ------------------------------------------------------------------------------ 2-D data, torch DDPM


def test_ring_mixture_density_normalised():
    xs = np.linspace(-2, 2, 401)
    X, Y = np.meshgrid(xs, xs)
    dens = np.exp(d.ring_mixture_logpdf(np.stack([X.ravel(), Y.ravel()], 1)))
    assert dens.sum() * (xs[1] - xs[0]) ** 2 == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_array_equal(d.ring_mixture(10, seed=3), d.ring_mixture(10, seed=3))


def test_training_and_sampling_are_deterministic():
    torch.set_num_threads(1)
    b = d.scaled_linear_betas(25)
    x = d.ring_mixture(256, seed=0)
    runs = [d.train_ddpm(x, b, steps=15, batch_size=32, hidden=16, seed=7) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].losses, runs[1].losses)
    for p, q in zip(runs[0].model.parameters(), runs[1].model.parameters()):
        assert torch.equal(p, q)
    other = d.train_ddpm(x, b, steps=15, batch_size=32, hidden=16, seed=8)
    assert not np.array_equal(other.losses, runs[0].losses)
    s1, st1 = d.ddpm_sample(runs[0], 50, seed=1, record=(25, 10, 0))
    s2, _ = d.ddpm_sample(runs[1], 50, seed=1)
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(st1[0], s1)
    assert set(st1) == {25, 10, 0}
    mse = d.ddpm_eps_mse(runs[0], x[:20], seed=0)
    assert mse.shape == (20, 25)
    est = d.bound_from_eps_mse(mse, x[:20], b, "beta")
    assert est.total == pytest.approx(est.prior + est.per_step.sum())
    assert est.bits_per_dim == pytest.approx(est.total / 2 / math.log(2))


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("betas,pattern", [
    ([0.1, 0.0], r"`betas` must be in \(0, 1\); got " + _num("0.0") + r" \(at index \(1,\)\)"),
    ([0.1, 1.0], r"`betas` must be in \(0, 1\); got " + _num("1.0")),
    ([-0.1], r"`betas` must be in \(0, 1\); got " + _num("-0.1")),
    ([0.1, float("nan")], r"`betas` must be finite; got " + _num("nan")),
    ([[0.1, 0.2]], r"`betas` must be a non-empty 1-D array"),
    ([], r"`betas` must be a non-empty 1-D array"),
])
def test_bad_betas(betas, pattern):
    with pytest.raises(ValueError, match=pattern):
        d.alpha_bars(betas)


@pytest.mark.parametrize("t,pattern", [
    (0, r"`t` must be an integer in \[1, 10\]; got 0"),
    (11, r"`t` must be an integer in \[1, 10\]; got 11"),
    (2.0, r"`t` must be an integer; got 2\.0"),
    (1.5, r"`t` must be an integer; got 1\.5"),
    (True, r"`t` must be an integer; got True"),
    (np.array([1, 11]), r"`t` must be an integer step in \[1, 10\].*got 11"),
    (np.array([1.0, 2.0]), r"`t` must be an integer step"),
])
def test_bad_t(t, pattern):
    b = d.linear_betas(10, 0.01, 0.2)
    x = np.zeros(2) if np.ndim(t) == 0 else np.zeros((2, 3))
    with pytest.raises(ValueError, match=pattern):
        d.q_sample(x, t, np.zeros_like(x), b)


def test_other_bad_inputs_name_argument_and_value():
    b = d.linear_betas(10, 0.01, 0.2)
    with pytest.raises(ValueError, match=r"`T` must be an integer in \[1, inf\]; got 0"):
        d.linear_betas(0)
    with pytest.raises(ValueError, match=r"`T` must be an integer; got 2\.5"):
        d.cosine_betas(2.5)
    with pytest.raises(ValueError, match=r"`beta_end` must be in \(0, 1\); got 1\.5"):
        d.linear_betas(10, 1e-4, 1.5)
    with pytest.raises(ValueError, match=r"`max_beta` must be in \(0, 1\); got 1\.0"):
        d.cosine_betas(10, max_beta=1.0)
    with pytest.raises(ValueError, match=r"`T` must be at least 21.*got 20"):
        d.scaled_linear_betas(20)
    with pytest.raises(ValueError, match=r"`kind` must be one of .*got 'large'"):
        d.reverse_variances(b, "large")
    with pytest.raises(ValueError, match=r"`kernel` must be one of .*got 'learned'"):
        d.gaussian_bound(b, 0.0, 1.0, "learned")
    with pytest.raises(ValueError, match=r"`s` must be > 0; got -1\.0"):
        d.gaussian_bound(b, 0.0, -1.0)
    with pytest.raises(ValueError, match=r"`sigma2` must be > 0; got " + _num("0.0")):
        d.loss_weights(b, d.posterior_variance(b))  # beta_tilde_1 = 0
    with pytest.raises(ValueError, match=r"`x0` and `noise` must have the same shape"):
        d.q_sample(np.zeros(3), 2, np.zeros(2), b)
    with pytest.raises(ValueError, match=r"`var_T` must be > 0; got 0\.0"):
        d.prior_term(0.0, 0.0)
    with pytest.raises(ValueError, match=r"`eps_mse` must be an \(n, T\)"):
        d.bound_from_eps_mse(np.zeros((3, 4)), np.zeros((3, 2)), b)


# ------------------------------------------------------------------------------ prediction targets


def _diffusers_style_predictions(sample, model_output, alpha_prod_t, prediction_type):
    """x_0 and epsilon implied by a model output, in the order of diffusers' schedulers (written here from the
    published recipe: alpha_prod_t = alpha-bar_t, beta_prod_t = 1 - alpha_prod_t)."""
    beta_prod_t = 1.0 - alpha_prod_t
    if prediction_type == "epsilon":
        x0 = (sample - beta_prod_t**0.5 * model_output) / alpha_prod_t**0.5
        return x0, model_output
    if prediction_type == "v_prediction":
        x0 = alpha_prod_t**0.5 * sample - beta_prod_t**0.5 * model_output
        eps = alpha_prod_t**0.5 * model_output + beta_prod_t**0.5 * sample
        return x0, eps
    raise ValueError(prediction_type)


def test_prediction_targets_against_diffusers_style_reference():
    rng = np.random.default_rng(0)
    for ab in (0.999, 0.5, 1e-4):
        x0, eps, out = rng.standard_normal((3, 7, 2))
        xt = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * eps
        ref_x0, _ = _diffusers_style_predictions(xt, out, ab, "epsilon")
        np.testing.assert_allclose(d.predict_x0(xt, out, ab), ref_x0, rtol=1e-12)
        # get_velocity: sqrt(alpha_prod) * noise - sqrt(1 - alpha_prod) * sample
        np.testing.assert_allclose(d.velocity(x0, eps, ab), math.sqrt(ab) * eps - math.sqrt(1 - ab) * x0, rtol=1e-12)
        ref_x0, ref_eps = _diffusers_style_predictions(xt, out, ab, "v_prediction")
        eps_v, x0_v = d.eps_x0_from_velocity(xt, out, ab)
        np.testing.assert_allclose(x0_v, ref_x0, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(eps_v, ref_eps, rtol=1e-12, atol=1e-12)
        # the true v gives back the true x_0 and epsilon (a rotation and its inverse)
        back_eps, back_x0 = d.eps_x0_from_velocity(xt, d.velocity(x0, eps, ab), ab)
        np.testing.assert_allclose(back_eps, eps, atol=1e-9)
        np.testing.assert_allclose(back_x0, x0, atol=1e-9)


def test_target_errors_are_reweighted_noise_errors():
    b = d.linear_betas(50, 1e-3, 0.05)
    ab = d.alpha_bars(b)
    rng = np.random.default_rng(1)
    for t in (1, 20, 50):
        x0, eps, eps_hat = rng.standard_normal((3, 100, 3))
        xt = math.sqrt(ab[t - 1]) * x0 + math.sqrt(1 - ab[t - 1]) * eps
        x0_hat = d.predict_x0(xt, eps_hat, ab[t - 1])
        err = ((eps - eps_hat) ** 2).sum(1)
        np.testing.assert_allclose(((x0 - x0_hat) ** 2).sum(1), err * d.target_mse_factor(ab[t - 1], "x0"),
                                   rtol=1e-9)
        v_err = ((d.velocity(x0, eps, ab[t - 1]) - d.velocity(x0_hat, eps_hat, ab[t - 1])) ** 2).sum(1)
        np.testing.assert_allclose(v_err, err * d.target_mse_factor(ab[t - 1], "v"), rtol=1e-9)
    # implied weightings: eps-loss is 1 / (T lambda_t); v is the sum of the two others
    lam = d.loss_weights(b, d.reverse_variances(b, "beta_tilde"))[1:]
    np.testing.assert_allclose(d.elbo_weighting(b, "eps"), 1 / (b.size * lam), rtol=1e-10)
    np.testing.assert_allclose(d.elbo_weighting(b, "v"), d.elbo_weighting(b, "eps") + d.elbo_weighting(b, "x0"),
                               rtol=1e-12)
    with pytest.raises(ValueError, match=r"`target` must be one of .*got 'score'"):
        d.target_mse_factor(0.5, "score")


# ------------------------------------------------------------------------------ continuous time


def test_gaussian_diffusion_loss_is_the_exact_bound_and_tends_to_the_integral():
    b = d.linear_betas(200, 1e-3, 0.05)
    m, s = 0.3, 0.7
    middle = d.gaussian_bound(b, m, s, "beta_tilde").terms[1:-1].sum()
    assert d.gaussian_diffusion_loss(d.alpha_bars(b), s) == pytest.approx(middle, rel=1e-10)
    lam_max, lam_min = 6.0, -5.0
    limit = d.gaussian_diffusion_loss_continuous(math.exp(lam_min), math.exp(lam_max), s)
    integral, err = scipy.integrate.quad(lambda u: 0.5 * s**2 / (1 + u * s**2), math.exp(lam_min), math.exp(lam_max))
    assert limit == pytest.approx(integral, rel=1e-10)
    # nested grids (T, 2T - 1, ...): the discrete loss falls towards the limit from above, like 1/T
    values = [d.gaussian_diffusion_loss(d.alpha_bars_from_log_snr(np.linspace(lam_max, lam_min, T)), s)
              for T in (11, 21, 41, 81, 161)]
    assert all(v > limit for v in values) and all(np.diff(values) < 0)
    excess = np.array(values) - limit
    np.testing.assert_allclose((excess[1:] / excess[:-1])[1:], 0.5, atol=0.05)  # halves, once T is large
    with pytest.raises(ValueError, match=r"`alpha_bar` must be strictly decreasing"):
        d.gaussian_diffusion_loss([0.9, 0.95], s)


def test_gaussian_x0_mmse_against_monte_carlo():
    rng = np.random.default_rng(2)
    s, snr_value = 0.8, 2.5
    ab = snr_value / (1 + snr_value)
    x0 = 0.4 + s * rng.standard_normal(400_000)
    xt = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * rng.standard_normal(x0.size)
    slope = np.cov(x0, xt)[0, 1] / xt.var()  # E[x_0 | x_t] is linear for Gaussian data
    resid = x0 - x0.mean() - slope * (xt - xt.mean())
    _mc_close((resid**2).mean(), float(d.gaussian_x0_mmse(snr_value, s)), (resid**2).std() / math.sqrt(x0.size))


# ------------------------------------------------------------------------------ learned variances, importance sampling


def test_interpolated_variance_ends_and_optimal_fraction():
    b = d.linear_betas(100, 1e-3, 0.05)
    np.testing.assert_allclose(d.interpolated_variance(b, 1.0), b, rtol=1e-12)
    np.testing.assert_allclose(d.interpolated_variance(b, 0.0), d.reverse_variances(b, "beta_tilde"), rtol=1e-12)
    m, s = 0.5, 0.4
    frac = d.gaussian_optimal_frac(b, m, s)
    assert np.all((frac[1:] >= 0) & (frac[1:] <= 1))
    np.testing.assert_allclose(d.interpolated_variance(b, frac)[1:], d.gaussian_reverse_kernel(b, m, s)[2][1:],
                               rtol=1e-9)
    exact, learned = d.gaussian_bound(b, m, s, "exact"), d.gaussian_bound(b, m, s, "learned_range")
    assert learned.total == pytest.approx(exact.total, abs=1e-9)
    assert d.gaussian_bound(b, m, s, "beta").gap > learned.gap + 1e-6


def test_importance_sampling_minimises_the_estimator_variance():
    rng = np.random.default_rng(3)
    terms = rng.standard_normal((500, 6)) * np.array([10.0, 3.0, 1.0, 0.5, 0.2, 0.1]) + 1.0
    best = d.importance_probs((terms**2).mean(0))
    v_best = d.estimator_variance(terms, best)
    assert v_best < d.estimator_variance(terms, np.full(6, 1 / 6))
    for p in rng.dirichlet(np.ones(6), size=50):
        assert v_best <= d.estimator_variance(terms, p) + 1e-12
    # the variance formula against simulation of the estimator
    i, t = rng.integers(0, 500, 400_000), rng.choice(6, 400_000, p=best)
    draws = terms[i, t] / best[t]
    assert draws.var() == pytest.approx(v_best, rel=0.02)
    _mc_close(draws.mean(), terms.mean(0).sum(), draws.std() / math.sqrt(draws.size))
    with pytest.raises(ValueError, match=r"`probs` must be > 0 for every step"):
        d.estimator_variance(terms, np.array([0.5, 0.5, 0, 0, 0, 0]))


# ------------------------------------------------------------------------------ DDIM


def _diffusers_style_ddim_step(model_output, sample, alpha_prod_t, alpha_prod_t_prev, eta, variance_noise):
    """DDIM step in the order of diffusers' DDIMScheduler.step (epsilon prediction, no clipping), written here from
    the published recipe (Song et al. 2021, eqs. 12 and 16)."""
    beta_prod_t = 1 - alpha_prod_t
    pred_original_sample = (sample - beta_prod_t**0.5 * model_output) / alpha_prod_t**0.5
    variance = (1 - alpha_prod_t_prev) / beta_prod_t * (1 - alpha_prod_t / alpha_prod_t_prev)
    std_dev_t = eta * variance**0.5
    pred_sample_direction = (1 - alpha_prod_t_prev - std_dev_t**2) ** 0.5 * model_output
    return alpha_prod_t_prev**0.5 * pred_original_sample + pred_sample_direction + std_dev_t * variance_noise


def test_ddim_step_against_diffusers_style_reference():
    b = d.linear_betas(1000)
    ab = d.alpha_bars(b)
    tau = d.ddim_timesteps(1000, 50)
    rng = np.random.default_rng(4)
    for i in (49, 20, 0):
        a_t, a_prev = float(ab[tau[i] - 1]), float(ab[tau[i - 1] - 1]) if i > 0 else 1.0
        for eta in (0.0, 0.3, 1.0):
            x, eps, z = rng.standard_normal((3, 5, 2))
            sigma = d.ddim_sigma(a_t, a_prev, eta)
            ref = _diffusers_style_ddim_step(eps, x, a_t, a_prev, eta, z)
            np.testing.assert_allclose(d.ddim_step(x, eps, a_t, a_prev, sigma, z), ref, rtol=1e-12, atol=1e-12)
    # eta = 1 on consecutive steps is the DDPM posterior variance
    sig = [d.ddim_sigma(float(ab[t - 1]), float(ab[t - 2]), 1.0) ** 2 for t in range(2, 1001)]
    np.testing.assert_allclose(sig, d.posterior_variance(b)[1:], rtol=1e-10)


def test_ddim_kernel_keeps_the_marginals():
    b = d.linear_betas(100, 1e-3, 0.05)
    ab = d.alpha_bars(b)
    rng = np.random.default_rng(5)
    x0, t, n = 0.7, 40, 400_000
    eps = rng.standard_normal(n)
    xt = math.sqrt(ab[t - 1]) * x0 + math.sqrt(1 - ab[t - 1]) * eps
    for eta in (0.0, 0.5, 1.0):
        sigma = d.ddim_sigma(float(ab[t - 1]), float(ab[t - 2]), eta)
        prev = d.ddim_step(xt, eps, float(ab[t - 1]), float(ab[t - 2]), sigma, rng.standard_normal(n))
        _mc_close(prev.mean(), math.sqrt(ab[t - 2]) * x0, prev.std() / math.sqrt(n))
        assert prev.var() == pytest.approx(1 - ab[t - 2], rel=0.01)


def test_ddim_timesteps_and_respacing():
    tau = d.ddim_timesteps(100, 7)
    assert tau[-1] == 100 and tau.size == 7 and np.all(np.diff(tau) > 0)
    np.testing.assert_array_equal(d.ddim_timesteps(10, 10), np.arange(1, 11))
    b = d.scaled_linear_betas(100)
    short = d.respaced_betas(b, tau)
    np.testing.assert_allclose(d.alpha_bars(short), d.alpha_bars(b)[tau - 1], rtol=1e-12)
    np.testing.assert_allclose(d.respaced_betas(b, np.arange(1, 101)), b, rtol=1e-10)
    with pytest.raises(ValueError, match=r"`timesteps` must be strictly increasing"):
        d.respaced_betas(b, np.array([5, 3]))
    with pytest.raises(ValueError, match=r"`steps` must be an integer in \[1, 100\]; got 101"):
        d.ddim_timesteps(100, 101)
    with pytest.raises(ValueError, match=r"`sigma` must be in \[0, sqrt\(1 - alpha_bar_prev\)\]"):
        d.ddim_step(np.zeros(2), np.zeros(2), 0.5, 0.9, 0.5, np.zeros(2))


@pytest.fixture(scope="module")
def tiny_ddpm():
    torch.set_num_threads(1)
    b = d.scaled_linear_betas(25)
    return d.train_ddpm(d.ring_mixture(512, seed=0), b, steps=60, batch_size=64, hidden=16, seed=3)


def test_ddim_sampling_is_deterministic_and_tends_to_the_ode(tiny_ddpm):
    x_T = np.random.default_rng(6).standard_normal((40, 2))
    a = d.ddim_sample(tiny_ddpm, 40, steps=5, eta=0.0, x_T=x_T)
    np.testing.assert_array_equal(a, d.ddim_sample(tiny_ddpm, 40, steps=5, eta=0.0, x_T=x_T, seed=99))
    assert not np.array_equal(d.ddim_sample(tiny_ddpm, 40, steps=5, eta=1.0, seed=1, x_T=x_T),
                              d.ddim_sample(tiny_ddpm, 40, steps=5, eta=1.0, seed=2, x_T=x_T))
    x_ode, nfe = d.pf_ode_sample(tiny_ddpm, x_T, rtol=1e-8, atol=1e-8)
    assert nfe > 0
    dist = [np.linalg.norm(d.ddim_sample(tiny_ddpm, 40, steps=S, x_T=x_T) - x_ode, axis=1).mean() for S in (5, 25)]
    assert dist[1] < 0.5 * dist[0]


# ------------------------------------------------------------------------------ probability-flow ODE


class _GaussianOracle(torch.nn.Module):
    """The exact noise predictor E[eps | x_t] for data N(m, S), at the continuous step tau the ODE asks for:
    alpha-bar(tau) with log alpha-bar linear between the integer steps (an independent interpolation)."""

    def __init__(self, betas, m, S):
        super().__init__()
        self.log_ab = np.concatenate(([0.0], np.cumsum(np.log1p(-betas))))
        self.m, self.S = np.asarray(m), np.asarray(S)
        self.out = torch.nn.Linear(2, 2)  # only its out_features are read

    def forward(self, x, t):
        ab = float(np.exp(np.interp(float(t[0]), np.arange(self.log_ab.size), self.log_ab)))
        cov = ab * self.S + (1 - ab) * np.eye(2)
        gain = math.sqrt(1 - ab) * np.linalg.inv(cov)
        xs = x - torch.as_tensor(math.sqrt(ab) * self.m, dtype=x.dtype)
        return xs @ torch.as_tensor(gain.T, dtype=x.dtype)


def test_pf_ode_log_likelihood_is_exact_for_gaussian_data():
    """With the exact noise predictor, the ODE is the transport map x-bar = m + (S + sb^2)^{1/2} S^{-1/2} (x_0 - m),
    so log p_0(x_0) = log N(x-bar_T; 0, (1 + sb_T^2) I) + log det of that map (a closed form)."""
    b = d.scaled_linear_betas(30)
    m, S = np.array([0.3, -0.2]), np.array([[0.5, 0.2], [0.2, 0.3]])
    trained = d.TrainedDDPM(model=_GaussianOracle(b, m, S), betas=b, losses=np.zeros(1))
    x0 = np.random.default_rng(7).multivariate_normal(m, S, size=20)
    got = d.pf_ode_log_likelihood(trained, x0, rtol=1e-9, atol=1e-9)
    ab_T = d.alpha_bars(b)[-1]
    sb2 = (1 - ab_T) / ab_T
    w, u = np.linalg.eigh(S)
    A = (u * np.sqrt((w + sb2) / w)) @ u.T
    xbar_T = m + (x0 - m) @ A.T
    expected = stats.multivariate_normal(np.zeros(2), (1 + sb2) * np.eye(2)).logpdf(xbar_T) + np.log(np.linalg.det(A))
    np.testing.assert_allclose(got.log_prob, expected, rtol=1e-6, atol=1e-6)
    # and back: sampling from x_T = sqrt(ab_T) x-bar_T recovers x_0
    back, _ = d.pf_ode_sample(trained, math.sqrt(ab_T) * xbar_T, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(back, x0, atol=1e-5)


def test_fractional_step_interpolates_log_alpha_bar():
    b = d.scaled_linear_betas(40)
    ab = d.alpha_bars(b)
    np.testing.assert_allclose(d.fractional_step(b, ab), np.arange(1, 41), atol=1e-9)
    assert d.fractional_step(b, 1.0) == 0.0
    mid = math.exp(0.5 * (math.log(ab[9]) + math.log(ab[10])))
    assert d.fractional_step(b, mid) == pytest.approx(10.5)
    # the network takes real steps, in float64 too
    emb32 = d.time_embedding(torch.tensor([3.25]), 8)
    emb64 = d.time_embedding(torch.tensor([3.25], dtype=torch.float64), 8, torch.float64)
    np.testing.assert_allclose(emb64.numpy(), emb32.numpy(), atol=1e-6)


# ------------------------------------------------------------------------------ memo of trained networks


def test_cached_train_ddpm_returns_the_same_weights(tmp_path):
    torch.set_num_threads(1)
    b = d.scaled_linear_betas(25)
    x = d.ring_mixture(256, seed=0)
    kw = dict(steps=10, batch_size=32, hidden=8, seed=1)
    fresh = d.train_ddpm(x, b, **kw)
    first = d.cached_train_ddpm(x, b, cache_dir=tmp_path, **kw)
    second = d.cached_train_ddpm(x, b, cache_dir=tmp_path, **kw)
    entries = list((tmp_path / "models").glob("*.pt"))
    assert len(entries) == 1
    for run in (first, second):
        np.testing.assert_array_equal(run.losses, fresh.losses)
        for p, q in zip(run.model.parameters(), fresh.model.parameters()):
            assert torch.equal(p, q)
    # a corrupt entry is retrained, not trusted
    entries[0].write_bytes(entries[0].read_bytes()[:100])
    again = d.cached_train_ddpm(x, b, cache_dir=tmp_path, **kw)
    np.testing.assert_array_equal(again.losses, fresh.losses)
    # other training inputs, another entry
    d.cached_train_ddpm(x, b, cache_dir=tmp_path, **{**kw, "seed": 2})
    assert len(list((tmp_path / "models").glob("*.pt"))) == 2


# ------------------------------------------------------------------------------ classifier-free guidance


def test_guided_eps_and_cfg_training_and_sampling():
    eps_c, eps_u = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    np.testing.assert_allclose(d.guided_eps(eps_c, eps_u, 0.0), eps_c)
    np.testing.assert_allclose(d.guided_eps(eps_c, eps_u, -1.0), eps_u)
    np.testing.assert_allclose(d.guided_eps(eps_c, eps_u, 2.0), 3 * eps_c - 2 * eps_u)
    torch.set_num_threads(1)
    b = d.scaled_linear_betas(25)
    x, c = d.ring_mixture_labelled(256, seed=0)
    np.testing.assert_array_equal(x, d.ring_mixture(256, seed=0))
    runs = [d.train_cfg_ddpm(x, c, 8, b, steps=10, batch_size=32, hidden=8, seed=4) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].losses, runs[1].losses)
    labels = np.arange(8).repeat(3)
    s1, s2 = (d.cfg_sample(r, labels, 1.5, seed=5) for r in runs)
    np.testing.assert_array_equal(s1, s2)
    assert s1.shape == (24, 2)
    with pytest.raises(ValueError, match=r"`labels` must be in 0\.\.7 \(n_classes = 8\); got 8"):
        d.train_cfg_ddpm(x, np.full(256, 8), 8, b, steps=1)
    with pytest.raises(ValueError, match=r"`trained` must be a class-conditional network"):
        d.cfg_sample(d.train_ddpm(x, b, steps=1, batch_size=8, hidden=4), labels, 1.0)


def test_ring_class_posterior_is_bayes_rule():
    x = np.random.default_rng(8).normal(scale=1.2, size=(50, 2))
    centres = d.ring_centres()
    logs = np.stack([stats.multivariate_normal(c, 0.01 * np.eye(2)).logpdf(x) for c in centres], axis=1)
    ref = np.exp(logs - logs.max(1, keepdims=True))
    ref /= ref.sum(1, keepdims=True)
    np.testing.assert_allclose(d.ring_class_posterior(x), ref, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------ FID


def test_frechet_distance_against_references():
    from scipy import linalg

    rng = np.random.default_rng(9)
    for _ in range(5):
        a, c = rng.standard_normal((2, 3, 3))
        S1, S2 = a @ a.T + 0.1 * np.eye(3), c @ c.T + 0.1 * np.eye(3)
        m1, m2 = rng.standard_normal((2, 3))
        covmean = linalg.sqrtm(S1 @ S2).real  # pytorch-fid's recipe
        ref = np.sum((m1 - m2) ** 2) + np.trace(S1 + S2 - 2 * covmean)
        assert d.frechet_distance(m1, S1, m2, S2) == pytest.approx(ref, rel=1e-8)
    assert d.frechet_distance(m1, S1, m1, S1) == pytest.approx(0.0, abs=1e-9)
    # 1-D: the squared 2-Wasserstein distance by quantile quadrature
    w2, _ = scipy.integrate.quad(lambda u: (stats.norm.ppf(u, 0.3, 1.5) - stats.norm.ppf(u, -0.2, 0.7)) ** 2, 0, 1)
    assert d.frechet_distance([0.3], [[2.25]], [-0.2], [[0.49]]) == pytest.approx(w2, rel=1e-7)
    # from samples it is biased upwards, and the bias falls with n
    same = [np.mean([d.frechet_distance_samples(rng.standard_normal((n, 2)), rng.standard_normal((n, 2)))
                     for _ in range(40)]) for n in (50, 500)]
    assert same[0] > 5 * same[1] > 0
    with pytest.raises(ValueError, match=r"`cov1` must be positive semi-definite"):
        d.frechet_distance([0, 0], [[1, 2], [2, 1]], [0, 0], np.eye(2))
    with pytest.raises(ValueError, match=r"`cov2` must be a \(2, 2\) matrix"):
        d.frechet_distance([0, 0], np.eye(2), [0, 0], np.eye(3))

# ------------------------------------------------------------------------------ issue 16: small betas


MAX = float(np.finfo(np.float64).max)


def _mp_schedule(betas):
    """alpha_bar_t, 1 - alpha_bar_t, beta_tilde_t and the two posterior-mean coefficients, by mpmath at
    700 digits (1 - alpha_bar for beta = 5e-324 needs ~330 of them), straight from Ho et al. (2020),
    eq. 4 and eq. 7."""
    with mpmath.workdps(700):
        b = [mpmath.mpf(float(v)) for v in betas]
        ab, acc = [], mpmath.mpf(1)
        for beta in b:
            acc *= 1 - beta
            ab.append(acc)
        ab_prev = [mpmath.mpf(1)] + ab[:-1]
        one_minus = [1 - a for a in ab]
        beta_tilde = [(1 - ap) / (1 - a) * beta for ap, a, beta in zip(ab_prev, ab, b)]
        c0 = [mpmath.sqrt(ap) * beta / (1 - a) for ap, a, beta in zip(ab_prev, ab, b)]
        ct = [mpmath.sqrt(1 - beta) * (1 - ap) / (1 - a) for ap, a, beta in zip(ab_prev, ab, b)]
        snr = [a / (1 - a) for a in ab]
        log_snr = [mpmath.log(a) - mpmath.log(1 - a) for a in ab]
        return {k: [float(x) if abs(x) <= MAX else math.inf for x in v] for k, v in
                {"ab": ab, "one_minus": one_minus, "beta_tilde": beta_tilde, "c0": c0, "ct": ct,
                 "snr": snr, "log_snr": log_snr}.items()}


def test_tiny_beta_reproducers():
    """Issue 16: 1 - alpha_bar formed by subtraction was 0 for beta < 2^-53."""
    np.testing.assert_allclose(d.posterior_variance([1e-17] * 3), [0.0, 5e-18, 2e-17 / 3], rtol=1e-15)  # was nan
    np.testing.assert_allclose(d.snr([1e-17] * 3), [1e17, 5e16, 1e17 / 3], rtol=1e-15)  # was inf
    assert d.posterior_mean_coefs([1e-12] * 3)[0][0] == 1.0  # was 1.0000221
    np.testing.assert_allclose(d.one_minus_alpha_bars([1e-17] * 3), [1e-17, 2e-17, 3e-17], rtol=1e-15)
    np.testing.assert_allclose(d.log_snr([5e-324]), [744.44007192138126], rtol=1e-15)
    with pytest.raises(ValueError, match=r"SNR\(t\) = alpha_bar_t / \(1 - alpha_bar_t\) \(use log_snr\) overflows "
                                         r"float64 .* at `betas` \(summed up to t\) = 5e-324"):
        d.snr([5e-324, 0.5])


def test_diffusers_style_closed_forms_on_ordinary_schedules():
    """The schedule quantities as the diffusers DDPMScheduler computes them (cumprod of alphas,
    variance (1 - a_prev)/(1 - a) beta, pred_original_sample_coeff and current_sample_coeff),
    written here independently, agree with genmath on the schedules of Ho et al. and Nichol & Dhariwal."""
    for betas in (d.linear_betas(1000), d.cosine_betas(1000), d.linear_betas(10, 0.01, 0.2), d.scaled_linear_betas(50)):
        alphas_cumprod = np.cumprod(1.0 - betas)
        alpha_prod_prev = np.concatenate(([1.0], alphas_cumprod[:-1]))
        beta_prod, beta_prod_prev = 1.0 - alphas_cumprod, 1.0 - alpha_prod_prev
        variance = beta_prod_prev / beta_prod * betas
        pred_original_sample_coeff = alpha_prod_prev**0.5 * betas / beta_prod
        current_sample_coeff = (1.0 - betas) ** 0.5 * beta_prod_prev / beta_prod
        np.testing.assert_allclose(d.alpha_bars(betas), alphas_cumprod, rtol=1e-12)
        np.testing.assert_allclose(d.one_minus_alpha_bars(betas), beta_prod, rtol=1e-10)
        np.testing.assert_allclose(d.posterior_variance(betas), variance, rtol=1e-10)
        c0, ct = d.posterior_mean_coefs(betas)
        np.testing.assert_allclose(c0, pred_original_sample_coeff, rtol=1e-10)
        np.testing.assert_allclose(ct, current_sample_coeff, rtol=1e-10)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.floats(0.3, 323.3), st.just(323.3)), min_size=1, max_size=12))
@example(exponents=[4.0, 312.0])  # found by a CI run: a subnormal beta times sqrt(alpha-bar) lost 1.6e-12
def test_schedule_with_betas_down_to_the_smallest_float_matches_mpmath(exponents):
    """beta_t = 10^-e with e from 0.3 to 323.3 (down to 5e-324, the smallest positive float): every
    schedule quantity is finite, in range, and within 1e-13 of mpmath (absolutely 1e-320 for results
    in the subnormal range); snr raises a named ValueError exactly when it exceeds float64."""
    betas = np.array([max(10.0**-e, 5e-324) for e in exponents])
    ref = _mp_schedule(betas)
    tiny = np.finfo(np.float64).tiny

    def close(got, want):
        want = np.asarray(want)
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-320 if np.any(np.abs(want) < tiny) else 0)

    ab, om = d.alpha_bars(betas), d.one_minus_alpha_bars(betas)
    assert np.all((0 < ab) & (ab <= 1)) and np.all((0 < om) & (om < 1))
    close(ab, ref["ab"])
    close(om, ref["one_minus"])
    bt = d.posterior_variance(betas)
    assert bt[0] == 0.0 and np.all((0 <= bt) & (bt <= betas))
    close(bt, ref["beta_tilde"])
    c0, ct = d.posterior_mean_coefs(betas)
    assert c0[0] == 1.0 and ct[0] == 0.0
    close(c0, ref["c0"])
    close(ct, ref["ct"])
    close(d.log_snr(betas), ref["log_snr"])
    if any(math.isinf(v) for v in ref["snr"]):
        with pytest.raises(ValueError, match=r"overflows float64 .* `betas` \(summed up to t\)"):
            d.snr(betas)
    else:
        close(d.snr(betas), ref["snr"])


def test_shape_mismatches_name_the_callers_arguments():
    """Issue 16: numpy's bare 'operands could not be broadcast' came out of these."""
    b = d.linear_betas(10)
    x = np.zeros((3, 2))
    t_msg = r"`t` must be a single step or one step per entry of the leading axes of `{}` \(shape \(3,\)\); got \(2,\)"
    with pytest.raises(ValueError, match=t_msg.format("x0")):
        d.q_sample(x, np.array([1, 2]), x, b)
    with pytest.raises(ValueError, match=t_msg.format("x0")):
        d.q_moments(x, np.array([1, 2]), b)
    with pytest.raises(ValueError, match=t_msg.format("xt")):
        d.eps_to_mean(x, x, np.array([1, 2]), b)
    with pytest.raises(ValueError, match=r"shapes do not broadcast: `x0` \(3, 2\), `xt` \(2, 2\)"):
        d.posterior_mean(x, np.zeros((2, 2)), 2, b)
    # one step per row still works, and equals the row-by-row computation
    t = np.array([1, 5, 10])
    mean, var = d.q_moments(x + 1.0, t, b)
    for i, ti in enumerate(t):
        m_i, v_i = d.q_moments(x[i] + 1.0, int(ti), b)
        np.testing.assert_array_equal(mean[i], m_i)
        np.testing.assert_array_equal(var[i], v_i)


def test_gaussian_bound_with_tiny_betas_and_its_limits():
    """The exact bound stays exact for betas of 1e-300 (its mean-gap coefficients are cancellation-free:
    the gap equals KL(q(x_T) || N(0, 1)) - KL(q(x_0) || p(x_0)) ~ 0 here); inputs it cannot represent
    are refused by the caller's names (issue 16: the error named `var_q`)."""
    for betas in ([1e-300] * 3, [1e-17] * 4, [1e-12, 0.3, 1e-9]):
        for kernel in d.KERNELS:
            bound = d.gaussian_bound(betas, 0.7, 2.0, kernel)
            assert np.all(np.isfinite(bound.terms)) and math.isfinite(bound.nll)
            assert bound.gap >= -1e-12 * max(1.0, abs(bound.total))
        exact = d.gaussian_bound(betas, 0.7, 2.0, "exact")
        prior_mismatch = float(genmath.kl_normal(0.7 * math.sqrt(d.alpha_bars(betas)[-1]),
                                                 math.sqrt(d.gaussian_marginals(betas, 0.7, 2.0)[1][-1]), 0.0, 1.0))
        assert exact.gap == pytest.approx(prior_mismatch - float(genmath.kl_normal(
            0.7, 2.0, exact.model_mean, math.sqrt(exact.model_var))), abs=1e-12 * abs(exact.total))
    with pytest.raises(ValueError, match=r"`betas` must be large enough that every posterior variance beta_tilde_t "
                                         r"\(t >= 2\) is a positive float64; got 5e-324 at t = 2"):
        d.gaussian_bound([5e-324] * 3, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"`s` must be in \[1e-150, 1e150\] .*; got 1e\+200"):
        d.gaussian_bound(d.linear_betas(10), 0.0, 1e200)
    with pytest.raises(ValueError, match=r"`m` must be in \[-1e150, 1e150\] .*; got 1e\+200"):
        d.gaussian_bound(d.linear_betas(10), 1e200, 1.0)
    with pytest.raises(ValueError, match=r"`x0` must be in \[-1e150, 1e150\]"):
        d.gaussian_bound(d.linear_betas(10), 0.0, 1.0, x0=1e200)


def test_eps_network_runs_in_float64():
    """Issue 16: time_embedding was hard-coded to float32, so a float64 network could not run."""
    torch.set_num_threads(1)
    net = d.make_eps_net(hidden=8).double()
    out = net(torch.zeros(3, 2, dtype=torch.float64), torch.tensor([1, 2, 3]))
    assert out.dtype == torch.float64
    assert d.time_embedding(torch.tensor([1, 2]), 8, torch.float64).dtype == torch.float64
    assert d.time_embedding(torch.tensor([1, 2]), 8).dtype == torch.float32
    with pytest.raises(ValueError, match="`dtype` must be a floating torch dtype"):
        d.time_embedding(torch.tensor([1]), 8, torch.int64)
    b = d.scaled_linear_betas(25)
    x = d.ring_mixture(64, seed=0)
    run = d.train_ddpm(x, b, steps=5, batch_size=16, hidden=8, seed=0, dtype="float64")
    assert all(p.dtype == torch.float64 for p in run.model.parameters())
    samples, _ = d.ddpm_sample(run, 10, seed=0)
    assert samples.shape == (10, 2) and np.all(np.isfinite(samples))
    assert np.all(np.isfinite(d.ddpm_eps_mse(run, x[:5], seed=0)))
    with pytest.raises(ValueError, match=r"`dtype` must be one of \('float32', 'float64'\); got 'float16'"):
        d.train_ddpm(x, b, steps=1, dtype="float16")



@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-6), (torch.float64, 1e-14)])
def test_eps_network_gives_a_batch_with_one_step_what_it_gives_row_by_row(dtype, tol):
    """A batch at one t (a sampler step) computes the time embedding and its projections once and
    broadcasts them; it must give every row what the row gets in a batch of mixed steps, up to the
    rounding of a matrix product of another shape (and with class labels, as guidance calls it)."""
    torch.set_num_threads(1)
    for classes in (None, 3):
        net = d.make_eps_net(hidden=16, seed=1, n_classes=classes).to(dtype)
        x = torch.randn(40, 2, dtype=dtype, generator=torch.Generator().manual_seed(0))
        c = None if classes is None else torch.arange(40) % (classes + 1)
        for step in (1, 17):
            one = torch.full((40,), step)
            mixed = torch.cat([one[:39], torch.tensor([step + 1])])  # one row at another step
            with torch.no_grad():
                fast = net(x, one, c)
                rows = net(x, mixed, c)[:39]
                single = torch.cat([net(x[i:i + 1], one[i:i + 1], None if c is None else c[i:i + 1])
                                    for i in range(39)])
            scale = float(rows.abs().max())
            assert float((fast[:39] - rows).abs().max()) <= tol * scale, (classes, step)
            assert float((single - rows).abs().max()) <= tol * scale, (classes, step)
            assert not torch.equal(fast[39], rows[38]), "the rows are different points"

def test_ring_near_probability_matches_a_large_sample_and_the_rayleigh_law():
    # the exact value against 10^6 draws (binomial standard error 2e-4)
    x = d.ring_mixture(1_000_000, seed=7)
    p = d.ring_near_probability(0.25)
    assert abs(d.ring_near_fraction(x, 0.25) - p) < 1e-3
    # with one component there are no other discs: the Rayleigh probability exactly
    assert d.ring_near_probability(0.25, k=1) == pytest.approx(1 - np.exp(-0.25**2 / 0.02), rel=1e-14)
    # the other discs add a little, never more than the rest of the mass
    assert p - d.ring_near_probability(0.25, k=1) < 1e-5


def test_ring_near_fraction_counts_points_inside_the_discs_only():
    centres = d.ring_centres()
    assert d.ring_near_fraction(centres) == 1.0
    assert d.ring_near_fraction(np.zeros((3, 2))) == 0.0  # the origin is 1 away from every mean
    with pytest.raises(ValueError, match="`r`"):
        d.ring_near_probability(0.5)  # discs of neighbouring means would overlap
