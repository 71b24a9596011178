"""Tests for genmath.gan: optimal discriminator, value function and JSD by quadrature, generator
losses and their gradients, and the small torch GAN."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.integrate
import scipy.optimize
import scipy.stats
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import genmath
from genmath import gan, numerics
from genmath.info import jensen_shannon, kl_divergence

LOG2 = math.log(2.0)
LOG4 = math.log(4.0)

MIXTURE = gan.gaussian_mixture_1d([0.3, 0.7], [-1.5, 1.0], [0.4, 0.8])

# (name, p_data, p_g, integration keyword arguments): several kinds of 1-D density pairs.
PAIRS = [
    ("normals", scipy.stats.norm(0, 1).pdf, scipy.stats.norm(1, 2).pdf, {}),
    ("normal-vs-uniform", scipy.stats.norm(0, 1).pdf, scipy.stats.uniform(-1, 2).pdf,
     {"points": [-1.0, 1.0], "lower": -40.0, "upper": 40.0}),
    ("mixture-vs-normal", MIXTURE.pdf, scipy.stats.norm(0, 1.5).pdf,
     {"points": [-1.5, 1.0], "lower": -40.0, "upper": 40.0}),
    ("laplace-vs-logistic", scipy.stats.laplace(0.5, 1).pdf, scipy.stats.logistic(0, 0.7).pdf,
     {"points": [0.5], "lower": -80.0, "upper": 80.0}),
    ("equal", scipy.stats.norm(0, 1).pdf, scipy.stats.norm(0, 1).pdf, {}),
]


# ---------------------------------------------------------------------------------------------
# Optimal discriminator
# ---------------------------------------------------------------------------------------------

def test_exports() -> None:
    assert genmath.optimal_discriminator is gan.optimal_discriminator
    assert genmath.train_gan is gan.train_gan
    for name in gan.__all__:
        assert getattr(genmath, name) is getattr(gan, name)


@pytest.mark.parametrize("a, b", [(0.3, 0.1), (1e-3, 2.0), (5.0, 5.0), (0.02, 0.0), (0.7, 1.3)])
def test_optimal_discriminator_maximises_pointwise_objective(a: float, b: float) -> None:
    """D* = a/(a+b) maximises a log y + b log(1-y) on [0, 1] (Goodfellow et al. 2014, Prop. 1)."""
    def negative_objective(y: float) -> float:
        return -(scipy.special.xlogy(a, y) + scipy.special.xlogy(b, 1 - y))

    res = scipy.optimize.minimize_scalar(negative_objective, bounds=(0, 1), method="bounded",
                                         options={"xatol": 1e-12})
    d_star = float(gan.optimal_discriminator(a, b))
    assert d_star == pytest.approx(res.x, abs=1e-6)
    assert -negative_objective(d_star) >= -res.fun - 1e-12


def test_optimal_discriminator_on_a_grid_and_its_logit() -> None:
    x = np.linspace(-4, 4, 41)
    p, q = MIXTURE.pdf(x), scipy.stats.norm(0, 1.5).pdf(x)
    d_star = gan.optimal_discriminator(p, q)
    np.testing.assert_allclose(d_star, p / (p + q), rtol=1e-15)
    ell = gan.optimal_discriminator_logit(p, q)
    np.testing.assert_allclose(scipy.special.expit(ell), d_star, rtol=1e-13)
    np.testing.assert_allclose(ell, np.log(p) - np.log(q), rtol=1e-13)
    assert gan.optimal_discriminator_logit(0.0, 1.0) == -np.inf
    assert gan.optimal_discriminator_logit(1.0, 0.0) == np.inf
    assert gan.optimal_discriminator(0.0, 2.0) == 0.0 and gan.optimal_discriminator(2.0, 0.0) == 1.0


def test_optimal_discriminator_maximises_value_function() -> None:
    """Perturbing D* in any direction lowers V(D, G), and V(D*, G) = C(G)."""
    p, q = MIXTURE.pdf, scipy.stats.norm(0, 1.5).pdf
    kw = {"points": [-1.5, 1.0], "lower": -40.0, "upper": 40.0}
    c = gan.optimal_value(p, q, **kw)
    d_star = lambda x: float(gan.optimal_discriminator(p(x), q(x)))
    assert gan.value_function(d_star, p, q, **kw) == pytest.approx(c, rel=1e-11)
    for eps in (0.05, -0.05):
        def d_perturbed(x: float, eps: float = eps) -> float:
            return float(np.clip(d_star(x) + eps * math.exp(-x * x), 1e-12, 1 - 1e-12))
        assert gan.value_function(d_perturbed, p, q, **kw) < c
    assert gan.value_function(lambda x: 0.5, p, q, **kw) == pytest.approx(-LOG4, rel=1e-12)


def test_value_function_logit_form_matches_probability_form() -> None:
    p, q = scipy.stats.norm(0, 1).pdf, scipy.stats.norm(1, 2).pdf
    ell = lambda x: 0.3 * x - 0.2
    v_logit = gan.value_function(ell, p, q, logit=True)
    v_prob = gan.value_function(lambda x: float(scipy.special.expit(ell(x))), p, q)
    assert v_logit == pytest.approx(v_prob, rel=1e-10)


def test_value_function_generator_term_is_an_expectation_over_z() -> None:
    """E_z[log(1 - D(G(z)))] with G(z) = mu + s z equals the p_g term (law of the unconscious
    statistician)."""
    mu, s = 0.7, 1.3
    p_data = scipy.stats.norm(0, 1).pdf
    log_d = lambda x: scipy.special.log_expit(1.0 - x)
    log_one_minus_d = lambda x: scipy.special.log_expit(x - 1.0)
    e_data = scipy.integrate.quad(lambda x: p_data(x) * log_d(x), -np.inf, np.inf,
                                  epsabs=1e-13, epsrel=1e-12)[0]
    e_z = scipy.integrate.quad(lambda z: scipy.stats.norm.pdf(z) * log_one_minus_d(mu + s * z),
                               -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12)[0]
    # the logit form: D = expit(1 - x) rounds to exactly 1 far in the left tail, where p_g > 0
    v = gan.value_function(lambda x: 1.0 - x, p_data, scipy.stats.norm(mu, s).pdf, logit=True)
    assert v == pytest.approx(e_data + e_z, rel=1e-10)


# ---------------------------------------------------------------------------------------------
# C(G) = -log 4 + 2 JSD and the Jensen-Shannon divergence
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, p, q, kw", PAIRS, ids=[pair[0] for pair in PAIRS])
def test_optimal_value_is_minus_log4_plus_twice_jsd(name: str, p, q, kw) -> None:
    """Goodfellow et al. (2014), Thm. 1: C(G) = -log 4 + 2 JSD(p_data || p_g)."""
    c = gan.optimal_value(p, q, **kw)
    jsd = gan.jensen_shannon_quad(p, q, **kw)
    assert c == pytest.approx(-LOG4 + 2 * jsd, rel=1e-10, abs=1e-12)
    assert -LOG4 - 1e-12 <= c <= 1e-12


def _bin_probabilities(cdf, edges: np.ndarray) -> np.ndarray:
    """Probabilities of the bins between ``edges`` plus the two tails, summing to 1."""
    inner = np.diff(cdf(edges))
    return np.concatenate([[cdf(edges[0])], inner, [1 - cdf(edges[-1])]])


def test_jsd_quadrature_matches_discrete_jsd_on_fine_bins() -> None:
    """Binning can only lower the JSD (data processing) and converges to the quadrature value."""
    P, Q = scipy.stats.norm(0, 1), scipy.stats.norm(1, 2)
    exact = gan.jensen_shannon_quad(P.pdf, Q.pdf)
    previous = 0.0
    for n_bins in (20, 200, 4000):
        edges = np.linspace(-15, 15, n_bins + 1)
        binned = float(jensen_shannon(_bin_probabilities(P.cdf, edges), _bin_probabilities(Q.cdf, edges)))
        assert previous <= binned <= exact + 1e-12
        previous = binned
    assert previous == pytest.approx(exact, abs=1e-6)


def test_jsd_quadrature_against_mixture_of_discrete() -> None:
    mix_pdf, norm = MIXTURE.pdf, scipy.stats.norm(0, 1.5)
    exact = gan.jensen_shannon_quad(mix_pdf, norm.pdf, points=[-1.5, 1.0], lower=-40, upper=40)
    edges = np.linspace(-12, 12, 8001)
    binned = jensen_shannon(_bin_probabilities(MIXTURE.cdf, edges), _bin_probabilities(norm.cdf, edges))
    assert binned == pytest.approx(exact, abs=1e-6)


@pytest.mark.parametrize("name, p, q, kw", PAIRS, ids=[pair[0] for pair in PAIRS])
def test_jsd_bounds_symmetry_and_bits(name: str, p, q, kw) -> None:
    jsd = gan.jensen_shannon_quad(p, q, **kw)
    assert 0.0 <= jsd <= LOG2
    assert gan.jensen_shannon_quad(q, p, **kw) == pytest.approx(jsd, rel=1e-10, abs=1e-15)
    bits = gan.jensen_shannon_quad(p, q, base=2, **kw)
    assert bits == pytest.approx(jsd / LOG2, rel=1e-12, abs=1e-15)
    assert 0.0 <= bits <= 1.0


def test_jsd_is_not_a_metric_but_its_square_root_is() -> None:
    """Two point masses and their half-half mixture: JSD violates the triangle inequality,
    sqrt(JSD) does not (Endres & Schindelin 2003)."""
    P, Q, R = np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([0.5, 0.5])
    pq, pr, rq = (float(jensen_shannon(a, b)) for a, b in ((P, Q), (P, R), (R, Q)))
    assert pq == pytest.approx(LOG2, rel=1e-15)
    assert pr == pytest.approx(rq, rel=1e-15)
    assert pq > pr + rq  # triangle inequality fails for JSD
    assert math.sqrt(pq) <= math.sqrt(pr) + math.sqrt(rq)  # holds for sqrt(JSD)
    assert pr == pytest.approx(0.5 * math.log(4 / 3) + 0.25 * math.log(2 / 3) + 0.25 * LOG2, rel=1e-14)


def test_sqrt_jsd_triangle_inequality_on_random_triples() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        P, Q, R = rng.dirichlet(np.full(4, 0.3), size=3)
        d = lambda a, b: math.sqrt(float(jensen_shannon(a, b)))
        assert d(P, Q) <= d(P, R) + d(R, Q) + 1e-12


# ---------------------------------------------------------------------------------------------
# Disjoint supports: JSD saturates, KL is infinite, W1 = |theta|
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("theta", [-3.0, -1.0, 1.0, 2.5])
def test_disjoint_uniforms(theta: float) -> None:
    P, Q = scipy.stats.uniform(0, 1), scipy.stats.uniform(theta, 1)
    kw = {"points": sorted({0.0, 1.0, theta, theta + 1}), "lower": -10.0, "upper": 10.0}
    assert gan.jensen_shannon_quad(P.pdf, Q.pdf, **kw) == pytest.approx(LOG2, rel=1e-12)
    assert gan.optimal_value(P.pdf, Q.pdf, **kw) == pytest.approx(0.0, abs=1e-12)
    assert gan.wasserstein_1_quad(P.cdf, Q.cdf, **kw) == pytest.approx(abs(theta), rel=1e-10)
    edges = np.linspace(-10, 10, 2001)
    assert kl_divergence(_bin_probabilities(P.cdf, edges), _bin_probabilities(Q.cdf, edges)) == np.inf
    u = np.linspace(0, 1, 101)
    assert scipy.stats.wasserstein_distance(u, u + theta) == pytest.approx(abs(theta), rel=1e-12)


@pytest.mark.parametrize("theta", [0.1, -0.4, 1.0])
def test_arjovsky_example_1_parallel_lines(theta: float) -> None:
    """P_0 = law of (0, Z), P_theta = law of (theta, Z), Z ~ U[0, 1] (Arjovsky et al. 2017, Ex. 1),
    discretised: JSD = log 2, KL = inf, W1 = |theta| (scipy's optimal transport)."""
    z = (np.arange(20) + 0.5) / 20
    p0 = np.column_stack([np.zeros_like(z), z])
    p_theta = np.column_stack([np.full_like(z, theta), z])
    assert scipy.stats.wasserstein_distance_nd(p0, p_theta) == pytest.approx(abs(theta), rel=1e-9)
    mass_p = np.concatenate([np.full(20, 1 / 20), np.zeros(20)])
    mass_q = mass_p[::-1].copy()
    assert jensen_shannon(mass_p, mass_q) == pytest.approx(LOG2, rel=1e-14)
    assert kl_divergence(mass_p, mass_q) == np.inf


def test_wasserstein_quadrature_matches_scipy_samples() -> None:
    P, Q = scipy.stats.norm(0, 1), scipy.stats.norm(0.8, 1.5)
    w_quad = gan.wasserstein_1_quad(P.cdf, Q.cdf)
    u = (np.arange(20000) + 0.5) / 20000
    w_scipy = scipy.stats.wasserstein_distance(P.ppf(u), Q.ppf(u))
    assert w_scipy == pytest.approx(w_quad, rel=2e-3)
    assert gan.wasserstein_1_quad(P.cdf, scipy.stats.norm(1.7, 1).cdf) == pytest.approx(1.7, rel=1e-10)


# ---------------------------------------------------------------------------------------------
# JSD implied by the value of the game
# ---------------------------------------------------------------------------------------------

def test_jsd_from_value_inverts_theorem_1_and_is_a_lower_bound() -> None:
    p, q = scipy.stats.norm(0, 1).pdf, scipy.stats.norm(1.5, 0.8).pdf
    jsd = gan.jensen_shannon_quad(p, q)
    assert gan.jensen_shannon_from_value(gan.optimal_value(p, q)) == pytest.approx(jsd, rel=1e-10)
    for slope, shift in ((1.0, 0.0), (2.0, -1.0), (-0.5, 0.3)):
        v = gan.value_function(lambda x, a=slope, c=shift: a * (x - 0.75) + c, p, q, logit=True)
        assert gan.jensen_shannon_from_value(v) <= jsd + 1e-12
    assert gan.jensen_shannon_from_value(-LOG4) == 0.0
    assert gan.jensen_shannon_from_value(0.0, base=2) == pytest.approx(1.0, rel=1e-15)
    np.testing.assert_allclose(gan.jensen_shannon_from_value([-LOG4, 0.0]), [0.0, LOG2])


# ---------------------------------------------------------------------------------------------
# Generator losses and gradients vs torch autograd
# ---------------------------------------------------------------------------------------------

D_VALUES = np.array([1e-4, 0.01, 0.2, 0.5, 0.8, 0.99])


def test_generator_losses() -> None:
    np.testing.assert_allclose(gan.saturating_generator_loss(D_VALUES), np.log(1 - D_VALUES), rtol=1e-12)
    np.testing.assert_allclose(gan.non_saturating_generator_loss(D_VALUES), -np.log(D_VALUES), rtol=1e-14)


def test_gradients_match_autograd() -> None:
    logit = torch.tensor(scipy.special.logit(D_VALUES), dtype=torch.float64, requires_grad=True)
    d = torch.sigmoid(logit)
    d.retain_grad()
    torch.log1p(-d).sum().backward()
    np.testing.assert_allclose(gan.saturating_grad_logit(D_VALUES), logit.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gan.saturating_grad_d(D_VALUES), d.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gan.saturating_grad_logit(D_VALUES), -D_VALUES, rtol=1e-12)

    logit.grad = None
    d = torch.sigmoid(logit)
    d.retain_grad()
    (-torch.log(d)).sum().backward()
    np.testing.assert_allclose(gan.non_saturating_grad_logit(D_VALUES), logit.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gan.non_saturating_grad_d(D_VALUES), d.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gan.non_saturating_grad_logit(D_VALUES), D_VALUES - 1, rtol=1e-12)


def test_torch_losses_used_in_training_match_numpy_losses() -> None:
    logit = torch.tensor(scipy.special.logit(D_VALUES), dtype=torch.float64)
    sat = gan._generator_loss_torch(logit, "saturating").item()
    ns = gan._generator_loss_torch(logit, "non_saturating").item()
    assert sat == pytest.approx(np.mean(gan.saturating_generator_loss(D_VALUES)), rel=1e-10)
    assert ns == pytest.approx(np.mean(gan.non_saturating_generator_loss(D_VALUES)), rel=1e-10)
    real = torch.tensor([0.3, -1.0, 2.0], dtype=torch.float64)
    fake = torch.tensor([-0.5, 0.1], dtype=torch.float64)
    v = gan._value_torch(real, fake).item()
    d_r, d_f = scipy.special.expit(real.numpy()), scipy.special.expit(fake.numpy())
    assert v == pytest.approx(np.mean(np.log(d_r)) + np.mean(np.log1p(-d_f)), rel=1e-12)


# ---------------------------------------------------------------------------------------------
# The toy GAN
# ---------------------------------------------------------------------------------------------

TINY = {"steps": 12, "batch_size": 32, "hidden": 8, "snapshot_every": 5, "n_snapshot": 50, "n_value": 100}


def test_training_is_deterministic() -> None:
    target = gan.gaussian_mixture_1d([0.5, 0.5], [-2.0, 2.0], [0.5, 0.5])
    threads = torch.get_num_threads()
    a = gan.train_gan(target, **TINY)
    b = gan.train_gan(target, **TINY)
    assert torch.get_num_threads() == threads
    np.testing.assert_array_equal(a.snapshot_steps, [0, 5, 10, 12])
    np.testing.assert_array_equal(a.snapshots, b.snapshots)
    np.testing.assert_array_equal(a.d_loss, b.d_loss)
    np.testing.assert_array_equal(a.g_loss, b.g_loss)
    np.testing.assert_array_equal(a.snapshot_values, b.snapshot_values)
    assert a.snapshots.shape == (4, 50) and a.d_loss.shape == (12,)
    assert np.all(a.d_loss >= 0) and np.all(a.snapshot_values <= 0)
    c = gan.train_gan(target, **{**TINY, "seed": 1})
    assert not np.array_equal(a.snapshots, c.snapshots)
    x = np.linspace(-3, 3, 7)
    d = gan.discriminator_probability(a.discriminator, x)
    assert d.shape == (7,) and np.all((d > 0) & (d < 1))
    np.testing.assert_array_equal(gan.generate(a.generator, 10, seed=3), gan.generate(b.generator, 10, seed=3))
    v1 = gan.value_estimate(a.discriminator, a.generator, target, 200, seed=2)
    assert v1 == gan.value_estimate(b.discriminator, b.generator, target, 200, seed=2) and v1 <= 0
    d2, values = gan.fit_discriminator(a.discriminator, a.generator, target, steps=5, batch_size=16)
    _, values3 = gan.fit_discriminator(a.discriminator, a.generator, target, steps=5, batch_size=16)
    np.testing.assert_array_equal(values, values3)
    assert d2 is not a.discriminator and values.shape == (5,)


def test_saturating_training_runs() -> None:
    target = gan.gaussian_mixture_1d([1.0], [0.0], [1.0])
    run = gan.train_gan(target, loss="saturating", **TINY)
    assert run.config["loss"] == "saturating"
    assert np.all(np.isfinite(run.g_loss)) and np.all(run.g_loss <= 0)


def test_mixture_and_mode_coverage() -> None:
    mix = gan.gaussian_mixture_1d([0.25, 0.75], [-1.0, 2.0], [0.5, 1.0])
    x = np.array([-1.0, 0.5])
    expected = 0.25 * scipy.stats.norm(-1, 0.5).pdf(x) + 0.75 * scipy.stats.norm(2, 1).pdf(x)
    np.testing.assert_allclose(mix.pdf(x), expected, rtol=1e-14)
    assert scipy.integrate.quad(mix.pdf, -np.inf, np.inf)[0] == pytest.approx(1.0, rel=1e-10)
    assert mix.cdf(-np.inf) == 0.0 and mix.cdf(np.inf) == 1.0
    samples = mix.sample(20000, torch.Generator().manual_seed(0)).numpy()[:, 0]
    assert samples.mean() == pytest.approx(0.25 * -1 + 0.75 * 2, abs=0.05)
    cov = gan.mode_coverage([-1.1, -0.9, 2.0, 2.2, 10.0], [-1.0, 2.0], 0.5)
    np.testing.assert_allclose(cov, [0.4, 0.4, 0.2])
    assert cov.sum() == pytest.approx(1.0)


def test_mixture_quantile_function_and_torch_log_density() -> None:
    single = gan.gaussian_mixture_1d([1.0], [1.0], [2.0])
    u = np.linspace(1e-6, 1 - 1e-6, 1001)
    np.testing.assert_allclose(single.ppf(u), scipy.stats.norm(1, 2).ppf(u), rtol=1e-10, atol=1e-10)
    mix = gan.gaussian_mixture_1d([0.2, 0.5, 0.3], [-3.0, 0.0, 4.0], [0.3, 1.0, 0.5])
    x = mix.ppf(u)
    assert np.all(np.diff(x) > 0)
    np.testing.assert_allclose(mix.cdf(x), u, rtol=0, atol=1e-14)
    assert mix.ppf(0.2) == pytest.approx(scipy.optimize.brentq(lambda t: mix.cdf(t) - 0.2, -10, 10, xtol=1e-14))
    assert mix.ppf(np.array([[0.5]])).shape == (1, 1)
    t = torch.linspace(-5, 5, 41, dtype=torch.float64)
    np.testing.assert_allclose(mix.log_prob(t).numpy(), np.log(mix.pdf(t.numpy())), rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Wasserstein-1: the coupling LP, its dual, the optimal critic on the line
# ---------------------------------------------------------------------------------------------

def _discrete_cdf(atoms: np.ndarray, weights: np.ndarray):
    order = np.argsort(atoms)
    xs, cum = atoms[order], np.cumsum(weights[order])
    return lambda t: float(cum[np.searchsorted(xs, t, side="right") - 1]) if t >= xs[0] else 0.0


@pytest.mark.parametrize("n, m, d", [(4, 3, 1), (3, 5, 2), (6, 2, 3)])
def test_transport_plan_and_dual_critic_agree_with_scipy(n: int, m: int, d: int) -> None:
    """Primal LP = dual LP = scipy's W1 (a different solver); marginals; complementary slackness."""
    rng = np.random.default_rng(n + m + d)
    x_p, x_q = rng.normal(size=(n, d)), rng.normal(size=(m, d)) + 0.5
    a, b = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))
    cost = np.linalg.norm(x_p[:, None] - x_q[None], axis=-1)  # (n, m), non-square
    primal = gan.optimal_transport(a, b, cost)
    dual = gan.wasserstein_1_dual(x_p, a, x_q, b)
    reference = (scipy.stats.wasserstein_distance(x_p[:, 0], x_q[:, 0], a, b) if d == 1
                 else scipy.stats.wasserstein_distance_nd(x_p, x_q, a, b))
    assert primal.cost == pytest.approx(reference, rel=1e-10)
    assert dual.value == pytest.approx(reference, rel=1e-10)
    assert primal.plan.shape == (n, m) and np.all(primal.plan >= 0)
    np.testing.assert_allclose(primal.plan.sum(axis=1), a, atol=1e-12)
    np.testing.assert_allclose(primal.plan.sum(axis=0), b, atol=1e-12)
    gap = dual.f_p[:, None] - dual.f_q[None, :] - cost
    assert np.all(gap <= 1e-9)  # 1-Lipschitz across the two sets of atoms
    assert np.all(np.abs(gap[primal.plan > 1e-10]) <= 1e-9)  # f(x) - f(y) = |x - y| where mass moves
    within = np.abs(dual.f_p[:, None] - dual.f_p[None, :]) - np.linalg.norm(x_p[:, None] - x_p[None], axis=-1)
    assert np.all(within <= 1e-9)


def test_optimal_transport_between_point_masses() -> None:
    plan = gan.optimal_transport([1.0], [0.25, 0.75], [[2.0, 4.0]])
    assert plan.cost == pytest.approx(3.5)
    np.testing.assert_allclose(plan.plan, [[0.25, 0.75]])


@pytest.mark.parametrize("name, p, q, kw", [
    ("mixture-vs-normal", MIXTURE, scipy.stats.norm(0, 1.5), {"lower": -30.0, "upper": 30.0}),
    ("normals", scipy.stats.norm(0, 1), scipy.stats.norm(0.5, 2), {"lower": -40.0, "upper": 40.0}),
    ("laplace-vs-logistic", scipy.stats.laplace(0.5, 1), scipy.stats.logistic(0, 0.7), {"lower": -60.0, "upper": 60.0}),
])
def test_optimal_critic_attains_w1_on_the_line(name: str, p, q, kw) -> None:
    """E_P f* - E_Q f* (quadrature against the densities) = the area between the CDFs; |slope| = 1."""
    critic = gan.wasserstein_critic_1d(p.cdf, q.cdf, origin=0.0, **kw)
    assert np.all(np.abs(critic.slopes) == 1.0) and critic(0.0) == pytest.approx(0.0, abs=1e-12)
    cuts = sorted({*critic.kinks.tolist(), -1.5, 1.0, 0.5})

    def mean(density) -> float:
        return scipy.integrate.quad(lambda t: float(critic(t)) * float(density(t)), kw["lower"], kw["upper"],
                                    points=cuts, limit=400, epsabs=1e-13, epsrel=1e-12)[0]

    w1 = scipy.integrate.quad(lambda t: abs(float(p.cdf(t)) - float(q.cdf(t))), kw["lower"], kw["upper"],
                              points=cuts, limit=400, epsabs=1e-13, epsrel=1e-12)[0]
    assert mean(p.pdf) - mean(q.pdf) == pytest.approx(w1, rel=1e-8)
    # sampled reference (scipy on a million quantiles each): agrees to the discretisation error
    u = (np.arange(200_000) + 0.5) / 200_000
    assert w1 == pytest.approx(scipy.stats.wasserstein_distance(p.ppf(u), q.ppf(u)), abs=2e-4)
    # other 1-Lipschitz critics do worse: |x| and x
    for f in (abs, lambda t: t):
        gain = (scipy.integrate.quad(lambda t: f(t) * float(p.pdf(t)), kw["lower"], kw["upper"], points=cuts)[0]
                - scipy.integrate.quad(lambda t: f(t) * float(q.pdf(t)), kw["lower"], kw["upper"], points=cuts)[0])
        assert gain < w1


def test_optimal_critic_of_discrete_laws_matches_scipy() -> None:
    """Step CDFs: the jumps are located like crossings; sum a_i f*(x_i) - sum b_j f*(y_j) = W1."""
    rng = np.random.default_rng(3)
    xs, ys = rng.uniform(-2, 2, 5), rng.uniform(-1, 3, 4)
    a, b = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(4))
    critic = gan.wasserstein_critic_1d(_discrete_cdf(xs, a), _discrete_cdf(ys, b), lower=-4.0, upper=4.0)
    value = float(a @ critic(xs) - b @ critic(ys))
    assert value == pytest.approx(scipy.stats.wasserstein_distance(xs, ys, a, b), rel=1e-10)


def test_optimal_critic_of_equal_laws_is_any_slope() -> None:
    critic = gan.wasserstein_critic_1d(scipy.stats.norm.cdf, scipy.stats.norm.cdf, lower=-5.0, upper=5.0)
    assert critic.kinks.size == 0 and np.all(np.abs(critic.slopes) == 1.0)


# ---------------------------------------------------------------------------------------------
# f-divergences and the f-GAN bound
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(gan.FGAN_MEMBERS))
def test_f_divergence_members(key: str) -> None:
    """f(1) = 0 (-log 4 for the GAN member, 2 JSD - log 4), f' against a difference quotient, f*
    against a numerical supremum of ut - f(u)."""
    member = gan.FGAN_MEMBERS[key]
    assert member.f(1.0) == pytest.approx(-LOG4 if key == "gan" else 0.0, abs=1e-15)
    for u0 in np.geomspace(0.05, 20.0, 9):
        h = 1e-6 * u0
        assert member.f_prime(u0) == pytest.approx((member.f(u0 + h) - member.f(u0 - h)) / (2 * h), rel=1e-6)
        t = member.f_prime(u0)
        res = scipy.optimize.minimize_scalar(lambda u: member.f(u) - u * t, bounds=(1e-9, 1e3), method="bounded",
                                             options={"xatol": 1e-12})
        assert member.conjugate(t) == pytest.approx(-res.fun, rel=1e-9, abs=1e-12)
    big = 1e8
    assert member.f(big) / big == pytest.approx(member.slope_at_infinity, rel=0.1, abs=1e-6) or \
        math.isinf(member.slope_at_infinity)


def test_f_divergences_against_references() -> None:
    """KL and reverse KL of two normals against torch.distributions; Pearson chi^2 by direct
    quadrature of (p - q)^2 / q; the GAN member is 2 JSD - log 4 (scipy's discrete JSD on fine bins)."""
    from torch.distributions import Normal, kl_divergence

    p, q = scipy.stats.norm(0.3, 1.0), scipy.stats.norm(-0.2, 1.4)
    kw = {"lower": -30.0, "upper": 30.0, "points": [0.3, -0.2]}
    def normal(mean: float, sd: float) -> Normal:
        return Normal(torch.tensor(mean, dtype=torch.float64), torch.tensor(sd, dtype=torch.float64))

    kl = float(kl_divergence(normal(0.3, 1.0), normal(-0.2, 1.4)))
    reverse = float(kl_divergence(normal(-0.2, 1.4), normal(0.3, 1.0)))
    assert gan.f_divergence_quad(p.pdf, q.pdf, "kl", **kw) == pytest.approx(kl, rel=1e-10)
    assert gan.f_divergence_quad(p.pdf, q.pdf, "reverse_kl", **kw) == pytest.approx(reverse, rel=1e-10)
    pearson = scipy.integrate.quad(lambda t: (p.pdf(t) - q.pdf(t)) ** 2 / q.pdf(t), -30, 30)[0]
    assert gan.f_divergence_quad(p.pdf, q.pdf, "pearson", **kw) == pytest.approx(pearson, rel=1e-9)
    edges = np.linspace(-30, 30, 600_001)
    jsd = scipy.spatial.distance.jensenshannon(np.diff(p.cdf(edges)), np.diff(q.cdf(edges))) ** 2
    assert gan.f_divergence_quad(p.pdf, q.pdf, "gan", **kw) == pytest.approx(2 * jsd - LOG4, abs=1e-8)


def test_fgan_bound_is_tight_at_the_optimal_critic_and_the_gan_value_elsewhere() -> None:
    p, q = MIXTURE, scipy.stats.norm(0, 1.5)
    kw = {"lower": -12.0, "upper": 12.0, "points": [-1.5, 1.0]}  # both densities > 0 (p/q finite)

    def ratio(x: float) -> float:
        return float(p.pdf(x)) / float(q.pdf(x))

    for key, member in gan.FGAN_MEMBERS.items():
        divergence = gan.f_divergence_quad(p.pdf, q.pdf, key, **kw)
        assert gan.fgan_bound_quad(p.pdf, q.pdf, lambda x: member.f_prime(ratio(x)), key, **kw) == \
            pytest.approx(divergence, rel=1e-9, abs=1e-12)
        for power in (0.5, 1.3):
            assert gan.fgan_bound_quad(p.pdf, q.pdf, lambda x: member.f_prime(ratio(x) ** power), key, **kw) \
                < divergence
    # GAN member with T = log D: the bound is V(D, G), for D = sigmoid(a x + b)
    logit = lambda x: 0.4 * x - 0.3  # noqa: E731
    value = gan.value_function(logit, p.pdf, q.pdf, logit=True, **kw)
    bound = gan.fgan_bound_quad(p.pdf, q.pdf, lambda x: float(scipy.special.log_expit(logit(x))), "gan", **kw)
    assert bound == pytest.approx(value, rel=1e-10)


# ---------------------------------------------------------------------------------------------
# The WGAN and the generator's best response
# ---------------------------------------------------------------------------------------------

WGAN_TINY = {"steps": 6, "n_critic": 2, "batch_size": 16, "hidden": 8, "snapshot_every": 3, "n_snapshot": 40,
             "n_value": 200}


@pytest.mark.parametrize("constraint", gan.WGAN_CONSTRAINTS)
def test_wgan_training_is_deterministic(constraint: str) -> None:
    target = gan.gaussian_mixture_1d([0.5, 0.5], [-2.0, 2.0], [0.5, 0.5])
    threads = torch.get_num_threads()
    a = gan.train_wgan(target, constraint=constraint, **WGAN_TINY)
    b = gan.train_wgan(target, constraint=constraint, **WGAN_TINY)
    assert torch.get_num_threads() == threads
    np.testing.assert_array_equal(a.snapshot_steps, [0, 3, 6])
    np.testing.assert_array_equal(a.snapshots, b.snapshots)
    np.testing.assert_array_equal(a.estimates, b.estimates)
    np.testing.assert_array_equal(a.critic_loss, b.critic_loss)
    assert a.snapshots.shape == (3, 40) and np.all(a.estimate_se > 0) and np.all(a.lipschitz > 0)
    if constraint == "clip":
        assert all(float(w.detach().abs().max()) <= 0.01 for w in a.critic.parameters())
    # the estimate is the critic's mean difference on fresh samples
    np.testing.assert_allclose(gan.critic_values(a.critic, [0.0, 1.0]).shape, (2,))


def test_critic_lipschitz_of_a_linear_critic() -> None:
    critic = torch.nn.Linear(1, 1)
    with torch.no_grad():
        critic.weight.fill_(-0.7)
    assert gan.critic_lipschitz(critic, np.linspace(-1, 1, 11)) == pytest.approx(0.7, rel=1e-6)
    np.testing.assert_allclose(gan.critic_values(critic, np.array([0.0, 1.0])),
                               float(critic.bias.detach()) + np.array([0.0, -0.7]), rtol=1e-6)


def test_gradient_penalties_against_autograd_by_hand() -> None:
    """The one-sided penalty ignores slopes below 1; the two-sided one penalises them."""
    critic = torch.nn.Linear(1, 1)
    with torch.no_grad():
        critic.weight.fill_(0.5)
        critic.bias.zero_()
    x_real, x_fake = torch.ones(4, 1), torch.zeros(4, 1)
    rng = torch.Generator().manual_seed(0)
    base = float(critic(x_fake).mean() - critic(x_real).mean())  # -0.5
    one = float(gan._critic_loss(critic, x_real, x_fake, rng, "one-sided", 10.0))
    two = float(gan._critic_loss(critic, x_real, x_fake, rng, "two-sided", 10.0))
    assert one == pytest.approx(base) and two == pytest.approx(base + 10 * 0.25)


def test_snapshots_of_d_on_a_grid() -> None:
    """With d_grid, each snapshot records D(x) = sigmoid(logit) on the grid; the last one is the final D."""
    target = gan.gaussian_mixture_1d([1.0], [0.0], [1.0])
    grid = np.linspace(-3, 3, 7)
    run = gan.train_gan(target, d_grid=grid, **TINY)
    assert run.snapshot_d.shape == (run.snapshot_steps.size, grid.size)
    assert np.all((run.snapshot_d > 0) & (run.snapshot_d < 1))
    with torch.no_grad():
        final = torch.sigmoid(run.discriminator(torch.tensor(grid, dtype=torch.float32)[:, None]).double())[:, 0]
    np.testing.assert_allclose(run.snapshot_d[-1], final.numpy(), rtol=1e-6)
    assert gan.train_gan(target, **TINY).snapshot_d is None


def test_best_response_to_a_frozen_discriminator_climbs_d() -> None:
    target = gan.gaussian_mixture_1d([1.0], [0.0], [1.0])
    run = gan.train_gan(target, **TINY)
    before = [w.detach().clone() for w in run.discriminator.parameters()]
    g, losses = gan.fit_generator(run.generator, run.discriminator, steps=30, batch_size=64, lr=1e-2)
    _, losses2 = gan.fit_generator(run.generator, run.discriminator, steps=30, batch_size=64, lr=1e-2)
    np.testing.assert_array_equal(losses, losses2)
    for w, w0 in zip(run.discriminator.parameters(), before):
        assert torch.equal(w, w0) and w.requires_grad  # D untouched and unfrozen afterwards
    assert g is not run.generator and losses[-5:].mean() < losses[:5].mean()
    # with D = sigmoid(-(x - 1)^2) (largest at x = 1) the samples gather at 1
    peak = lambda x: -((x - 1.0) ** 2)  # noqa: E731
    g2, _ = gan.fit_generator(run.generator, peak, steps=300, batch_size=64, lr=1e-2)
    x = gan.generate(g2, 2000, seed=1)
    assert abs(np.median(x) - 1.0) < 0.1


# ---------------------------------------------------------------------------------------------
# Error paths: every bad input raises ValueError naming the argument
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: gan.optimal_discriminator(-0.1, 0.5), "`p_data` must be >= 0; got -0.1"),
    (lambda: gan.optimal_discriminator(0.5, [0.2, -1.0]), r"`p_model` .* got -1.0 \(at index \(1,\)\)"),
    (lambda: gan.optimal_discriminator([0.0, 1.0], [0.0, 1.0]), r"`p_data` and `p_model` must not both be 0; got 0.0 and 0.0 \(at index \(0,\)\)"),
    (lambda: gan.optimal_discriminator(np.nan, 1.0), "`p_data` must be finite; got nan"),
    (lambda: gan.optimal_discriminator([1.0, 2.0], [1.0, 2.0, 3.0]), "shapes do not broadcast"),
    (lambda: gan.optimal_discriminator_logit(0.0, 0.0), "must not both be 0"),
    (lambda: gan.value_function(lambda x: 1.5, scipy.stats.norm.pdf, scipy.stats.norm.pdf),
     r"`discriminator` must be a probability in \[0, 1\]; got 1.5 at x"),
    (lambda: gan.value_function(lambda x: math.nan, scipy.stats.norm.pdf, scipy.stats.norm.pdf, logit=True),
     "`discriminator` must be a logit"),
    (lambda: gan.value_function(lambda x: 0.5, lambda x: -1.0, scipy.stats.norm.pdf, lower=-5, upper=5),
     "`p_data` must be a density"),
    (lambda: gan.jensen_shannon_quad(scipy.stats.norm.pdf, lambda x: math.nan, lower=-5, upper=5),
     "`q` must be a density"),
    (lambda: gan.jensen_shannon_quad(scipy.stats.norm.pdf, lambda x: 0.5),
     r"cannot tell where the mass of JSD\(p \|\| q\) is on \[-inf, inf\]: `q` is not a method"),
    (lambda: gan.jensen_shannon_quad(scipy.stats.norm.pdf, scipy.stats.norm.pdf, lower=1, upper=0),
     "`lower` must be < `upper`"),
    (lambda: gan.jensen_shannon_quad(scipy.stats.norm.pdf, scipy.stats.norm.pdf, base=1), "`base` must be"),
    (lambda: gan.wasserstein_1_quad(lambda x: 2.0, scipy.stats.norm.cdf, lower=-5, upper=5),
     "`cdf_p` must be a CDF"),
    (lambda: gan.jensen_shannon_from_value(0.1), r"`value` must be in \[-inf, 0\]; got 0.1"),
    (lambda: gan.jensen_shannon_from_value(-np.inf), "`value` must be finite"),
    (lambda: gan.saturating_generator_loss(1.0), r"`d` must be in \(0, 1\); got 1.0"),
    (lambda: gan.non_saturating_grad_d([0.5, 0.0]), r"`d` must be in \(0, 1\); got (np.float64\()?0.0\)? \(at index \(1,\)\)"),
    (lambda: gan.saturating_grad_logit(np.nan), "`d` must be finite"),
    (lambda: gan.gaussian_mixture_1d([0.5, 0.6], [0, 1], [1, 1]), "`weights` must be a probability vector"),
    (lambda: gan.gaussian_mixture_1d([0.5, 0.5], [0, 1], [1, 0]), "`stds` must be > 0"),
    (lambda: gan.gaussian_mixture_1d([0.5, 0.5], [0, 1, 2], [1, 1]), "`weights` and `means`"),
    (lambda: gan.mode_coverage([0.0], [0.0], -1.0), "`radius` must be > 0"),
    (lambda: gan.train_gan(MIXTURE, loss="wasserstein"), "`loss` must be 'non_saturating' or 'saturating'"),
    (lambda: gan.train_gan(MIXTURE, steps=0), r"`steps` must be an integer in \[1, inf\]; got 0"),
    (lambda: gan.train_gan(MIXTURE, lr_d=-1.0), "`lr_d` must be > 0"),
    (lambda: gan.train_gan(scipy.stats.norm(0, 1)), "`target` must be a GaussianMixture1D"),
    (lambda: gan.train_wgan(MIXTURE, constraint="spectral"), "`constraint` must be 'clip' or"),
    (lambda: gan.train_wgan(MIXTURE, clip=0.0), "`clip` must be > 0; got 0.0"),
    (lambda: gan.train_wgan(MIXTURE, n_critic=0), r"`n_critic` must be an integer in \[1, inf\]; got 0"),
    (lambda: MIXTURE.ppf(1.0), r"`u` must be in \(0, 1\); got 1.0"),
    (lambda: gan.wasserstein_critic_1d(scipy.stats.norm.cdf, scipy.stats.norm.cdf, lower=-np.inf, upper=1.0),
     "`lower` must be finite; got -inf"),
    (lambda: gan.wasserstein_critic_1d(scipy.stats.norm.cdf, scipy.stats.norm.cdf, lower=-1.0, upper=1.0,
                                       origin=2.0), r"`origin` must be in \[-1, 1\]; got 2.0"),
    (lambda: gan.wasserstein_critic_1d(scipy.stats.norm.cdf, scipy.stats.norm.cdf, lower=-1.0, upper=1.0)(3.0),
     r"`x` must be inside the critic's interval \[-1, 1\]; got 3.0"),
    (lambda: gan.optimal_transport([0.5, 0.5], [1.0], [[1.0, 2.0]]), r"`cost` must be of shape"),
    (lambda: gan.optimal_transport([0.5, 0.6], [1.0], [[1.0], [2.0]]), "`a` must be a probability vector"),
    (lambda: gan.wasserstein_1_dual([[0.0, 0.0]], [1.0], [1.0], [1.0]), "in the same dimension"),
    (lambda: gan.f_divergence_quad(scipy.stats.norm.pdf, scipy.stats.norm.pdf, "hellinger"),
     "`divergence` must be one of"),
    (lambda: gan.fgan_bound_quad(scipy.stats.norm.pdf, scipy.stats.norm.pdf, lambda x: 0.5, "gan"),
     r"`critic` must be inside the domain \(-inf, 0\) of the conjugate of GAN; got 0.5"),
    (lambda: gan.fit_generator(torch.nn.Linear(2, 1), lambda x: x, loss="wasserstein"), "`loss` must be"),
])
def test_errors_name_the_argument_and_value(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_value_function_refuses_minus_infinity_and_is_never_nan() -> None:
    """D = 0 where p_data > 0 would make V = -inf -- or is a probability that rounded to 0: refused
    (issue 16), naming the discriminator, its value, x and the density there."""
    p, q = scipy.stats.uniform(0, 1).pdf, scipy.stats.uniform(0.5, 1).pdf
    kw = {"points": [0.5, 1.0], "lower": -1.0, "upper": 2.0}
    with pytest.raises(ValueError, match=r"`discriminator` must be a probability strictly inside \(0, 1\) "
                                         r"where `p_data` > 0 .*; got 0.0 at x = .*, where `p_data` = 1"):
        gan.value_function(lambda x: 0.0, p, q, **kw)
    with pytest.raises(ValueError, match=r"`discriminator` must be a finite logit .*; got inf at x = .*`p_model`"):
        gan.value_function(lambda x: math.inf, p, q, logit=True, **kw)
    # D = 0 only where p_data = 0: that term has zero weight, V is finite.
    assert math.isfinite(gan.value_function(lambda x: 0.0 if x > 1 else 0.5, p, q, **kw))


# ---------------------------------------------------------------------------------------------
# Issue 16: far-off mass, extreme scales, rounded probabilities. Regression tests for every
# reproducer, then properties over wide ranges against closed forms and location-scale invariance.
# ---------------------------------------------------------------------------------------------

FAR_P, FAR_Q = scipy.stats.norm(1000, 1), scipy.stats.norm(1003, 1)
#: JSD(N(0, 1) || N(3, 1)) in nats, by mpmath at 30 digits (tests/test_gan.py::_mp_jsd_unit)
JSD_0_3 = 0.52677730652137


def _mp_jsd_unit(delta: float, ratio: float) -> float:
    """JSD(N(0, 1) || N(delta, ratio^2)) by mpmath quadrature at 30 digits (split at the means)."""
    with mpmath.workdps(30):
        def f(x):
            a = mpmath.npdf(x, 0, 1)
            b = mpmath.npdf(x, delta, ratio)
            m = (a + b) / 2
            return (a * mpmath.log(a / m) if a > 0 else 0) / 2 + (b * mpmath.log(b / m) if b > 0 else 0) / 2
        cuts = sorted({-mpmath.inf, mpmath.mpf(0), mpmath.mpf(delta), mpmath.inf})
        return float(mpmath.quad(f, cuts))


def _w1_gaussians(mu_1: float, s_1: float, mu_2: float, s_2: float) -> float:
    """W1 of two normals, by the quantile coupling X = mu_1 + s_1 Z, Y = mu_2 + s_2 Z (optimal on the
    line): E|d + e Z|, the mean of a folded normal, with d = mu_2 - mu_1 and e = |s_2 - s_1|."""
    d, e = mu_2 - mu_1, abs(s_2 - s_1)
    if e == 0:
        return abs(d)
    return e * math.sqrt(2 / math.pi) * math.exp(-d * d / (2 * e * e)) + d * (1 - 2 * scipy.special.ndtr(-d / e))


def test_far_off_mass_reproducers() -> None:
    """Issue 16: each of these returned 0.0 (or 1.5e-100)."""
    assert JSD_0_3 == pytest.approx(_mp_jsd_unit(3.0, 1.0), rel=1e-12)
    assert gan.wasserstein_1_quad(FAR_P.cdf, FAR_Q.cdf) == pytest.approx(3.0, rel=1e-12)
    assert gan.wasserstein_1_quad(FAR_P.cdf, FAR_Q.cdf, points=[-50]) == pytest.approx(3.0, rel=1e-12)
    assert gan.jensen_shannon_quad(FAR_P.pdf, FAR_Q.pdf) == pytest.approx(JSD_0_3, rel=1e-10)
    assert gan.optimal_value(FAR_P.pdf, FAR_Q.pdf) == pytest.approx(-LOG4 + 2 * JSD_0_3, rel=1e-10)
    assert gan.value_function(lambda x: 0.5, FAR_P.pdf, FAR_Q.pdf) == pytest.approx(-LOG4, rel=1e-12)


def test_optimal_discriminator_of_huge_densities() -> None:
    assert gan.optimal_discriminator(1e308, 1e308) == 0.5  # was 0.0 (a + b overflowed)
    assert gan.optimal_discriminator(1e308, 1e-308) == 1.0
    assert gan.optimal_discriminator(5e-324, 5e-324) == 0.5


def test_value_function_with_a_rounded_probability_is_refused_not_minus_inf() -> None:
    """Issue 16: D* passed as a probability rounds to 0 or 1 in the tails, and V came out as -inf
    for 6 of 12 Gaussian pairs. Now: the right value (equal to C(G)) or a ValueError naming the
    discriminator and telling to pass the logit; the logit form always gives C(G)."""
    pairs = [(m1, s1, m2, s2) for (m1, s1) in [(0, 1), (0, 0.5), (2, 1)]
             for (m2, s2) in [(1, 1), (0, 2), (-3, 0.7), (5, 3)]]
    refused = 0
    for m1, s1, m2, s2 in pairs:
        p, q = scipy.stats.norm(m1, s1), scipy.stats.norm(m2, s2)
        c = gan.value_function(lambda x, p=p, q=q: float(p.logpdf(x) - q.logpdf(x)), p.pdf, q.pdf, logit=True)
        assert -LOG4 < c < 0
        try:
            v = gan.value_function(lambda x, p=p, q=q: float(gan.optimal_discriminator(p.pdf(x), q.pdf(x))),
                                   p.pdf, q.pdf)
        except ValueError as err:
            assert "pass the logit with logit=True" in str(err) and "`discriminator`" in str(err)
            refused += 1
        else:
            assert v == pytest.approx(c, rel=1e-9)
    assert refused < len(pairs)


def test_quadrature_of_densities_that_do_not_integrate_to_one_is_refused() -> None:
    p, q = scipy.stats.norm(0, 1).pdf, scipy.stats.norm(100, 1).pdf
    with pytest.raises(ValueError, match=r"JSD\(p \|\| q\) by quadrature is 2.07\d+, outside \[0, 0.69\d+\] beyond "
                                         r"its error estimate .*`p` and `q` must be probability densities"):
        gan.jensen_shannon_quad(lambda x: 3.0 * p(x), lambda x: 3.0 * q(x), loc=[0.0, 100.0], scale=1.0)


def test_infinite_wasserstein_distance_is_an_error_not_a_number() -> None:
    with pytest.raises(numerics.QuadratureError, match="quadrature of W1 cannot be trusted"):
        gan.wasserstein_1_quad(scipy.stats.cauchy(0, 1).cdf, scipy.stats.norm(0, 1).cdf, lower=0.0)


GAN_WIDE = settings(max_examples=15, deadline=None)  # scalar quadratures: about 1 s per example


@GAN_WIDE
@given(st.floats(-300, 300), st.floats(-1e4, 1e4), st.floats(-6, 6), st.floats(0.25, 4))
def test_jsd_and_value_are_location_scale_invariant(log_sigma: float, offset: float, delta: float,
                                                    ratio: float) -> None:
    """JSD(N(mu, s^2) || N(mu + delta s, (ratio s)^2)) does not depend on mu or s: with s from 1e-300
    to 1e300 and mu up to 1e4 s from 0 it equals mpmath's value at mu = 0, s = 1; it lies in
    [0, log 2], and C(G) = -log 4 + 2 JSD."""
    s = 10.0**log_sigma
    mu = offset * s
    p, q = scipy.stats.norm(mu, s), scipy.stats.norm(mu + delta * s, ratio * s)
    ref = _mp_jsd_unit(delta, ratio)
    resolution = 16 * np.finfo(float).eps * abs(offset)
    jsd = gan.jensen_shannon_quad(p.pdf, q.pdf)
    assert 0.0 <= jsd <= LOG2
    assert jsd == pytest.approx(ref, rel=1e-8 + resolution, abs=1e-13)
    c = gan.optimal_value(p.pdf, q.pdf)
    assert -LOG4 <= c <= 0.0 and c == pytest.approx(-LOG4 + 2 * ref, rel=1e-8 + resolution, abs=1e-12)


@GAN_WIDE
@given(st.floats(-300, 300), st.floats(-1e4, 1e4), st.floats(-20, 20), st.floats(0.1, 10))
def test_wasserstein_matches_the_folded_normal_closed_form(log_sigma: float, offset: float, delta: float,
                                                           ratio: float) -> None:
    s = 10.0**log_sigma
    mu = offset * s
    p, q = scipy.stats.norm(mu, s), scipy.stats.norm(mu + delta * s, ratio * s)
    exact = s * _w1_gaussians(0.0, 1.0, delta, ratio)  # W1 scales with s and ignores mu
    resolution = 16 * np.finfo(float).eps * abs(offset)
    w1 = gan.wasserstein_1_quad(p.cdf, q.cdf)
    assert w1 >= 0.0 and w1 == pytest.approx(exact, rel=1e-8 + resolution)


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1e308), st.floats(0, 1e308))
def test_optimal_discriminator_is_a_probability_for_any_densities(a: float, b: float) -> None:
    if a == 0 and b == 0:
        return
    d = float(gan.optimal_discriminator(a, b))
    assert 0.0 <= d <= 1.0
    assert d + float(gan.optimal_discriminator(b, a)) == pytest.approx(1.0, abs=1e-15)
    with mpmath.workdps(40):
        assert d == pytest.approx(float(mpmath.mpf(a) / (mpmath.mpf(a) + mpmath.mpf(b))), rel=4e-16, abs=1e-300)
