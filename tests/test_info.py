"""Tests for genmath.info: cross-checks against scipy and torch, Monte Carlo checks of every closed
form, hypothesis properties, and every error path."""

from __future__ import annotations

import math
import re

import mpmath
import numpy as np
import pytest
import scipy.integrate
import scipy.spatial.distance
import scipy.special
import scipy.stats
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from torch.distributions import MultivariateNormal, Normal
from torch.distributions import kl_divergence as torch_kl

from genmath import info, vae
from genmath.validate import SUM_TOL

torch.set_num_threads(1)
FAST = settings(max_examples=60, deadline=None)
LOG2 = math.log(2.0)


def _dirichlet(rng: np.random.Generator, shape: tuple[int, ...], k: int) -> np.ndarray:
    return rng.dirichlet(np.ones(k), size=shape)


def _spd(rng: np.random.Generator, k: int, batch: tuple[int, ...] = ()) -> np.ndarray:
    a = rng.normal(size=batch + (k, k))
    return a @ np.swapaxes(a, -1, -2) + 0.5 * np.eye(k)


def _mc_tolerance(se: float) -> float:
    """Five Monte Carlo standard errors: a false failure has probability < 1e-6 (fixed seed anyway)."""
    return 5.0 * se


# ---------------------------------------------------------------------------------------------
# Cross-checks against scipy and torch
# ---------------------------------------------------------------------------------------------

def test_entropy_matches_scipy_batched():
    rng = np.random.default_rng(0)
    p = _dirichlet(rng, (4, 3), 6)
    for base in (None, 2, 10, math.e):
        ours = info.entropy(p, base=base)
        ref = scipy.stats.entropy(p, base=base, axis=-1)
        assert ours.shape == (4, 3)
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14)


def test_entropy_bits_are_nats_over_log2():
    p = np.array([0.5, 0.25, 0.125, 0.125])
    assert info.entropy(p, base=2) == pytest.approx(1.75, abs=1e-15)  # textbook value in bits
    assert info.entropy(p) == pytest.approx(1.75 * LOG2, rel=1e-15)


def test_kl_matches_scipy_rel_entr_and_entropy():
    rng = np.random.default_rng(1)
    p = _dirichlet(rng, (5,), 7)
    q = _dirichlet(rng, (5,), 7)
    ref = scipy.special.rel_entr(p, q).sum(axis=-1)
    np.testing.assert_allclose(info.kl_divergence(p, q), ref, rtol=1e-12)
    np.testing.assert_allclose(info.kl_divergence(p, q, base=2),
                               scipy.stats.entropy(p, q, base=2, axis=-1), rtol=1e-12)


def test_cross_entropy_matches_direct_sum():
    rng = np.random.default_rng(2)
    p = _dirichlet(rng, (3, 2), 5)
    q = _dirichlet(rng, (3, 2), 5)
    np.testing.assert_allclose(info.cross_entropy(p, q), -(p * np.log(q)).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(info.cross_entropy(p, q, base=2), -(p * np.log2(q)).sum(-1),
                               rtol=1e-12)


def test_jsd_matches_scipy_jensenshannon_squared():
    rng = np.random.default_rng(3)
    p = _dirichlet(rng, (6,), 5)
    q = _dirichlet(rng, (6,), 5)
    for base in (None, 2):
        root = scipy.spatial.distance.jensenshannon(p, q, base=base, axis=-1)
        np.testing.assert_allclose(info.jensen_shannon(p, q, base=base), root**2, rtol=1e-12)


def test_kl_normal_matches_torch():
    rng = np.random.default_rng(4)
    mu_p, mu_q = rng.normal(size=(2, 20))
    sigma_p, sigma_q = rng.uniform(0.1, 3.0, size=(2, 20))
    ref = torch_kl(Normal(torch.tensor(mu_p), torch.tensor(sigma_p)),
                   Normal(torch.tensor(mu_q), torch.tensor(sigma_q))).numpy()
    np.testing.assert_allclose(info.kl_normal(mu_p, sigma_p, mu_q, sigma_q), ref,
                               rtol=1e-12, atol=1e-14)


def test_kl_normal_broadcasts():
    out = info.kl_normal(np.zeros((3, 1)), 1.0, np.arange(4.0), 2.0)
    assert out.shape == (3, 4)
    assert isinstance(info.kl_normal(0.0, 1.0, 0.0, 1.0), np.floating)


def test_kl_mvn_matches_torch_batched():
    rng = np.random.default_rng(5)
    k, batch = 4, (3, 2)
    mu_p, mu_q = rng.normal(size=(2,) + batch + (k,))
    cov_p, cov_q = _spd(rng, k, batch), _spd(rng, k, batch)
    ref = torch_kl(MultivariateNormal(torch.tensor(mu_p), torch.tensor(cov_p)),
                   MultivariateNormal(torch.tensor(mu_q), torch.tensor(cov_q))).numpy()
    ours = info.kl_mvn(mu_p, cov_p, mu_q, cov_q)
    assert ours.shape == batch
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_kl_mvn_terms_match_the_explicit_formula():
    rng = np.random.default_rng(6)
    k = 3
    mu_p, mu_q = rng.normal(size=(2, k))
    cov_p, cov_q = _spd(rng, k), _spd(rng, k)
    terms = info.kl_mvn_terms(mu_p, cov_p, mu_q, cov_q)
    inv_q = np.linalg.inv(cov_q)  # explicit inverse only as an independent reference
    d = mu_q - mu_p
    assert terms.trace == pytest.approx(np.trace(inv_q @ cov_p), rel=1e-12)
    assert terms.quadratic == pytest.approx(d @ inv_q @ d, rel=1e-12)
    assert terms.log_det_ratio == pytest.approx(
        np.linalg.slogdet(cov_q)[1] - np.linalg.slogdet(cov_p)[1], rel=1e-12)
    assert terms.dim == k


def test_kl_mvn_reduces_to_kl_normal_in_one_dimension():
    assert info.kl_mvn([0.3], [[0.25]], [-1.0], [[4.0]]) == pytest.approx(
        info.kl_normal(0.3, 0.5, -1.0, 2.0), rel=1e-13)


def test_kl_mvn_broadcasts_shared_q():
    rng = np.random.default_rng(7)
    mu_p = rng.normal(size=(5, 2))
    cov_p = _spd(rng, 2, (5,))
    out = info.kl_mvn(mu_p, cov_p, np.zeros(2), np.eye(2))
    expected = [info.kl_mvn(mu_p[i], cov_p[i], np.zeros(2), np.eye(2)) for i in range(5)]
    np.testing.assert_allclose(out, expected, rtol=1e-13)


def test_kl_standard_normal_is_vae_formula_and_matches_torch():
    rng = np.random.default_rng(8)
    mu = rng.normal(size=(4, 3))
    log_var = rng.normal(size=(4, 3))
    vae = -0.5 * np.sum(1 + log_var - mu**2 - np.exp(log_var), axis=-1)
    np.testing.assert_allclose(info.kl_standard_normal(mu, log_var), vae, rtol=1e-12)
    ref = torch_kl(Normal(torch.tensor(mu), torch.tensor(np.exp(0.5 * log_var))),
                   Normal(torch.zeros(4, 3, dtype=torch.float64), torch.ones(4, 3, dtype=torch.float64)))
    np.testing.assert_allclose(info.kl_standard_normal(mu, log_var), ref.sum(-1).numpy(), rtol=1e-12)


def test_softmax_cross_entropy_matches_torch_and_nll():
    rng = np.random.default_rng(9)
    logits = rng.normal(scale=2.0, size=(8, 5))
    labels = rng.integers(0, 5, size=8)
    ref = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(labels)).item()
    nll = -np.mean(scipy.special.log_softmax(logits, axis=-1)[np.arange(8), labels])
    assert info.softmax_cross_entropy(logits, labels) == pytest.approx(ref, rel=1e-12)
    assert info.softmax_cross_entropy(logits, labels) == pytest.approx(nll, rel=1e-12)
    assert info.softmax_cross_entropy(logits, labels, base=2) == pytest.approx(ref / LOG2, rel=1e-12)
    assert info.softmax_cross_entropy(logits[0], labels[0]) == pytest.approx(
        -scipy.special.log_softmax(logits[0])[labels[0]], rel=1e-12)


def test_softmax_cross_entropy_is_cross_entropy_with_one_hot_targets():
    rng = np.random.default_rng(17)
    logits = rng.normal(scale=3.0, size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    one_hot = np.eye(4)[labels]
    via_cross_entropy = info.cross_entropy(one_hot, scipy.special.softmax(logits, axis=-1))
    assert info.softmax_cross_entropy(logits, labels) == pytest.approx(np.mean(via_cross_entropy),
                                                                       rel=1e-12)


def test_softmax_cross_entropy_stays_finite_when_softmax_underflows():
    logits = np.array([[1000.0, 0.0], [0.0, 800.0]])
    labels = np.array([1, 0])
    ref = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(labels)).item()
    assert ref == pytest.approx(900.0)
    assert info.softmax_cross_entropy(logits, labels) == pytest.approx(ref, rel=1e-12)


def test_binary_entropy_and_total_variation():
    np.testing.assert_allclose(info.binary_entropy([0.0, 0.5, 1.0], base=2), [0.0, 1.0, 0.0],
                               atol=1e-15)
    assert info.binary_entropy(0.11, base=2) == pytest.approx(
        scipy.stats.entropy([0.11, 0.89], base=2), rel=1e-12)
    assert info.total_variation([0.5, 0.5, 0.0], [0.0, 0.5, 0.5]) == pytest.approx(0.5)


def test_gaussian_entropy_matches_scipy_and_can_be_negative():
    sigma = np.array([0.05, 0.3, 1.0, 4.0])
    np.testing.assert_allclose(info.gaussian_entropy(sigma), scipy.stats.norm(0, sigma).entropy(),
                               rtol=1e-12)
    threshold = 1.0 / math.sqrt(2 * math.pi * math.e)
    assert info.gaussian_entropy(threshold) == pytest.approx(0.0, abs=1e-15)
    assert info.gaussian_entropy(0.9 * threshold) < 0 < info.gaussian_entropy(1.1 * threshold)
    assert info.gaussian_entropy(1.0, base=2) == pytest.approx(info.gaussian_entropy(1.0) / LOG2)


def test_kl_continuous_matches_closed_form():
    p = scipy.stats.norm(0.5, 0.7)
    q = scipy.stats.norm(-1.0, 2.0)
    assert info.kl_continuous(p.logpdf, q.logpdf) == pytest.approx(
        info.kl_normal(0.5, 0.7, -1.0, 2.0), rel=1e-9)
    # finite limits with breakpoints
    assert info.kl_continuous(p.logpdf, q.logpdf, lower=-15, upper=15, points=[0.5]) == pytest.approx(
        info.kl_normal(0.5, 0.7, -1.0, 2.0), rel=1e-9)


def test_kl_continuous_mixture_matches_quadpack():
    def log_p(x):
        x = np.asarray(x, dtype=float)
        return np.logaddexp(np.log(0.5) + scipy.stats.norm.logpdf(x, 1, 1),
                            np.log(0.5) + scipy.stats.norm.logpdf(x, 10, 1.5))
    q = scipy.stats.norm(5.5, 2.0)
    ref_fwd = scipy.integrate.quad(lambda x: np.exp(log_p(x)) * (log_p(x) - q.logpdf(x)), -40, 50,
                                   points=[1, 10], limit=500, epsabs=1e-14, epsrel=1e-13)[0]
    ref_rev = scipy.integrate.quad(lambda x: q.pdf(x) * (q.logpdf(x) - log_p(x)), -40, 50,
                                   points=[1, 10], limit=500, epsabs=1e-14, epsrel=1e-13)[0]
    opts = {"lower": -40, "upper": 50, "points": [1, 10]}
    assert info.kl_continuous(log_p, q.logpdf, **opts) == pytest.approx(ref_fwd, rel=1e-12)
    assert info.kl_continuous(q.logpdf, log_p, **opts) == pytest.approx(ref_rev, rel=1e-12)


def test_kl_continuous_uniforms_and_infinite_case():
    narrow, wide = scipy.stats.uniform(0, 1), scipy.stats.uniform(0, 2)
    assert info.kl_continuous(narrow.logpdf, wide.logpdf, lower=-1, upper=3, points=[0, 1, 2]) == (
        pytest.approx(LOG2, rel=1e-12))
    assert info.kl_continuous(wide.logpdf, narrow.logpdf, lower=-1, upper=3, points=[0, 1, 2]) == np.inf


def test_infinite_kl_when_supports_do_not_match():
    assert info.kl_divergence([0.5, 0.5, 0.0], [1.0, 0.0, 0.0]) == np.inf
    assert info.cross_entropy([0.5, 0.5], [1.0, 0.0]) == np.inf
    assert info.kl_divergence([1.0, 0.0, 0.0], [0.5, 0.5, 0.0]) == pytest.approx(LOG2)
    # JSD never blows up: the mixture covers both supports
    assert info.jensen_shannon([1.0, 0.0], [0.0, 1.0]) == pytest.approx(LOG2, rel=1e-15)
    assert info.jensen_shannon([1.0, 0.0], [0.0, 1.0], base=2) == pytest.approx(1.0, rel=1e-15)


# ---------------------------------------------------------------------------------------------
# Monte Carlo checks of every closed form: E_p[log p - log q] with a fixed seed
# ---------------------------------------------------------------------------------------------

def test_kl_normal_closed_form_vs_monte_carlo():
    rng = np.random.default_rng(10)
    p, q = scipy.stats.norm(0.3, 0.8), scipy.stats.norm(-0.5, 1.7)
    est = info.kl_monte_carlo(p.logpdf, q.logpdf, p.rvs(size=200_000, random_state=rng))
    closed = info.kl_normal(0.3, 0.8, -0.5, 1.7)
    assert abs(est.estimate - closed) < _mc_tolerance(est.std_error)
    assert est.n == 200_000


def test_kl_mvn_closed_form_vs_monte_carlo():
    rng = np.random.default_rng(11)
    k = 3
    mu_p, mu_q = rng.normal(size=(2, k))
    cov_p, cov_q = _spd(rng, k), _spd(rng, k)
    p = scipy.stats.multivariate_normal(mu_p, cov_p)
    q = scipy.stats.multivariate_normal(mu_q, cov_q)
    est = info.kl_monte_carlo(p.logpdf, q.logpdf, p.rvs(size=100_000, random_state=rng))
    closed = info.kl_mvn(mu_p, cov_p, mu_q, cov_q)
    assert abs(est.estimate - closed) < _mc_tolerance(est.std_error)


def test_kl_standard_normal_closed_form_vs_monte_carlo():
    rng = np.random.default_rng(12)
    mu = np.array([0.5, -1.0])
    log_var = np.array([-0.7, 0.4])
    sigma = np.exp(0.5 * log_var)
    x = mu + sigma * rng.standard_normal(size=(100_000, 2))
    est = info.kl_monte_carlo(lambda z: scipy.stats.norm(mu, sigma).logpdf(z).sum(-1),
                              lambda z: scipy.stats.norm().logpdf(z).sum(-1), x)
    assert abs(est.estimate - info.kl_standard_normal(mu, log_var)) < _mc_tolerance(est.std_error)


def test_gaussian_entropy_closed_form_vs_monte_carlo():
    rng = np.random.default_rng(13)
    sigma = 0.15  # negative differential entropy
    neg_log_p = -scipy.stats.norm(0, sigma).logpdf(rng.normal(0, sigma, size=100_000))
    se = neg_log_p.std(ddof=1) / math.sqrt(neg_log_p.size)
    assert abs(neg_log_p.mean() - info.gaussian_entropy(sigma)) < _mc_tolerance(se)


def test_discrete_kl_entropy_and_cross_entropy_vs_monte_carlo():
    rng = np.random.default_rng(14)
    p = np.array([0.1, 0.2, 0.3, 0.4])
    q = np.array([0.4, 0.3, 0.2, 0.1])
    x = rng.choice(4, size=200_000, p=p)
    est = info.kl_monte_carlo(lambda i: np.log(p[i.astype(int)]), lambda i: np.log(q[i.astype(int)]), x)
    assert abs(est.estimate - info.kl_divergence(p, q)) < _mc_tolerance(est.std_error)
    for values, closed in ((-np.log(p[x]), info.entropy(p)), (-np.log(q[x]), info.cross_entropy(p, q))):
        se = values.std(ddof=1) / math.sqrt(x.size)
        assert abs(values.mean() - closed) < _mc_tolerance(se)


def test_jsd_closed_form_vs_monte_carlo():
    rng = np.random.default_rng(15)
    p = np.array([0.7, 0.2, 0.1])
    q = np.array([0.1, 0.3, 0.6])
    m = 0.5 * (p + q)
    xp = rng.choice(3, size=100_000, p=p)
    xq = rng.choice(3, size=100_000, p=q)
    values = 0.5 * np.log(p[xp] / m[xp]) + 0.5 * np.log(q[xq] / m[xq])
    se = values.std(ddof=1) / math.sqrt(values.size)
    assert abs(values.mean() - info.jensen_shannon(p, q)) < _mc_tolerance(se)


def test_monte_carlo_standard_error_scales_as_inverse_root_n():
    rng = np.random.default_rng(16)
    p, q = scipy.stats.norm(0, 1), scipy.stats.norm(1, 2)
    se = [info.kl_monte_carlo(p.logpdf, q.logpdf, p.rvs(size=n, random_state=rng)).std_error
          for n in (1_000, 100_000)]
    assert se[0] / se[1] == pytest.approx(10.0, rel=0.1)


# ---------------------------------------------------------------------------------------------
# Hypothesis properties
# ---------------------------------------------------------------------------------------------

@st.composite
def distributions(draw, k: int | None = None, n: int = 1, zeros: bool = True):
    """``n`` probability vectors on a common support of size ``k`` (some entries may be 0)."""
    if k is None:
        k = draw(st.integers(2, 6))
    out = []
    for _ in range(n):
        lo = 0.0 if zeros else 1e-3
        w = np.array(draw(st.lists(st.floats(lo, 1.0), min_size=k, max_size=k)))
        if w.sum() < 1e-3:
            w = w + 1.0
        out.append(w / w.sum())
    return out


@FAST
@given(distributions(n=2))
def test_gibbs_inequality(pq):
    p, q = pq
    assert info.kl_divergence(p, q) >= 0.0
    assert info.cross_entropy(p, q) >= info.entropy(p) - 1e-12


@FAST
@given(distributions(n=2))
def test_cross_entropy_is_entropy_plus_kl(pq):
    p, q = pq
    ce, h, kl = info.cross_entropy(p, q), info.entropy(p), info.kl_divergence(p, q)
    if np.isinf(kl):
        assert np.isinf(ce)
    else:
        assert ce == pytest.approx(h + kl, rel=1e-12, abs=1e-12)
        # and against the independent direct sum -sum p log q over the support of p
        s = p > 0
        assert ce == pytest.approx(-(p[s] * np.log(q[s])).sum(), rel=1e-10, abs=1e-12)


@FAST
@given(distributions(n=2))
def test_jsd_symmetric_and_bounded(pq):
    p, q = pq
    j = info.jensen_shannon(p, q)
    assert j == pytest.approx(info.jensen_shannon(q, p), rel=1e-12, abs=1e-15)
    assert 0.0 <= j <= LOG2 + 1e-12
    assert 0.0 <= info.jensen_shannon(p, q, base=2) <= 1.0 + 1e-12


@FAST
@given(distributions(n=3))
def test_sqrt_jsd_triangle_inequality(pqr):
    p, q, r = pqr
    d = lambda a, b: math.sqrt(info.jensen_shannon(a, b))
    assert d(p, r) <= d(p, q) + d(q, r) + 1e-9


def test_jsd_itself_violates_triangle_inequality():
    p, q, r = np.array([1.0, 0.0]), np.array([0.5, 0.5]), np.array([0.0, 1.0])
    direct = info.jensen_shannon(p, r)
    via_q = info.jensen_shannon(p, q) + info.jensen_shannon(q, r)
    assert direct == pytest.approx(LOG2)
    assert direct > via_q + 0.2  # log 2 = 0.693 > 0.432 nats
    # while the square root (a metric) satisfies it on the same triple
    assert math.sqrt(direct) <= math.sqrt(info.jensen_shannon(p, q)) + math.sqrt(
        info.jensen_shannon(q, r))


@FAST
@given(distributions(n=2))
def test_kl_zero_only_when_equal(pq):
    p, q = pq
    assert info.kl_divergence(p, p) == 0.0
    assert info.jensen_shannon(p, p) == pytest.approx(0.0, abs=1e-15)
    # Pinsker: KL >= 2 TV^2 (nats), so KL = 0 forces TV = 0, i.e. p = q
    tv = info.total_variation(p, q)
    kl = info.kl_divergence(p, q)
    assert kl >= 2 * tv**2 - 1e-12
    if tv > 1e-6:
        assert kl > 0.0


@FAST
@given(st.floats(-5, 5), st.floats(0.05, 5), st.floats(-5, 5), st.floats(0.05, 5))
def test_kl_normal_nonnegative_and_equal_variance_symmetric(mu_1, s_1, mu_2, s_2):
    assert info.kl_normal(mu_1, s_1, mu_2, s_2) >= -1e-12
    forward = info.kl_normal(mu_1, s_1, mu_2, s_1)
    assert forward == pytest.approx(info.kl_normal(mu_2, s_1, mu_1, s_1), rel=1e-12, abs=1e-14)
    assert forward == pytest.approx((mu_1 - mu_2) ** 2 / (2 * s_1**2), rel=1e-10, abs=1e-14)


# ---------------------------------------------------------------------------------------------
# Error paths: the message names the argument and the value
# ---------------------------------------------------------------------------------------------

GOOD = [0.5, 0.5]
#: "got " then the value; tolerates numpy's scalar repr ("np.float64(-0.5)") as well as "-0.5".
G = r"got (?:np\.[a-z0-9]+\()?"


@pytest.mark.parametrize("fn", [info.kl_divergence, info.cross_entropy, info.jensen_shannon,
                                info.total_variation])
def test_pair_errors(fn):
    with pytest.raises(ValueError, match=G.join([r"`p` must be non-negative; ", r"-0\.5"])):
        fn([-0.5, 1.5], GOOD)
    with pytest.raises(ValueError, match=G.join([r"`q` must be finite; ", r"nan"])):
        fn(GOOD, [np.nan, 0.5])
    with pytest.raises(ValueError, match=r"`q` must be a probability vector summing to 1 .*" + G + r"0\.9"):
        fn(GOOD, [0.4, 0.5])
    with pytest.raises(ValueError, match=r"`p` and `q` must have the same shape; got \(2,\) and \(3,\)"):
        fn(GOOD, [0.2, 0.3, 0.5])


def test_sum_tolerance_is_the_documented_one():
    assert SUM_TOL == 1e-9
    info.entropy([0.5, 0.5 + 0.5 * SUM_TOL])  # inside the tolerance: accepted
    with pytest.raises(ValueError, match=r"`p` must be a probability vector summing to 1 \(tolerance 1e-09\)"):
        info.entropy([0.5, 0.5 + 3 * SUM_TOL])


def test_entropy_errors():
    with pytest.raises(ValueError, match=G.join([r"`p` must be non-negative; ", r"-0\.1\)? \(at index \(1,\)\)"])):
        info.entropy([1.1, -0.1])
    with pytest.raises(ValueError, match=G.join([r"`p` must be finite; ", r"nan"])):
        info.entropy([np.nan, 1.0])
    with pytest.raises(ValueError, match=r"`p` must be a probability vector \(at least 1-D\); got 1\.0"):
        info.entropy(1.0)
    with pytest.raises(ValueError, match=r"`p` must be a probability vector summing to 1.*" + G + r"1\.5"):
        info.entropy([[0.5, 0.5], [0.5, 1.0]])


@pytest.mark.parametrize("base", [0, -2, 1, 1.0, np.nan, np.inf, "2"])
def test_base_errors(base):
    with pytest.raises(ValueError, match=r"`base` must be a positive number other than 1, or None \(nats\); got "
                       + re.escape(repr(base))):
        info.entropy(GOOD, base=base)
    with pytest.raises(ValueError, match=r"`base`"):
        info.kl_divergence(GOOD, GOOD, base=base)
    with pytest.raises(ValueError, match=r"`base`"):
        info.gaussian_entropy(1.0, base=base)


def test_binary_entropy_errors():
    with pytest.raises(ValueError, match=G.join([r"`p` must be in \[0, 1\]; ", r"1\.2"])):
        info.binary_entropy(1.2)
    with pytest.raises(ValueError, match=G.join([r"`p` must be finite; ", r"nan"])):
        info.binary_entropy(np.nan)


@pytest.mark.parametrize("sigma", [0.0, -1.0])
def test_gaussian_errors(sigma):
    with pytest.raises(ValueError, match=G.join([r"`sigma` must be > 0; ", re.escape(repr(sigma))])):
        info.gaussian_entropy(sigma)
    with pytest.raises(ValueError, match=G.join([r"`sigma_p` must be > 0; ", re.escape(repr(sigma))])):
        info.kl_normal(0.0, sigma, 0.0, 1.0)
    with pytest.raises(ValueError, match=G.join([r"`sigma_q` must be > 0; ", re.escape(repr(sigma)) + r"\)? \(at index \(1,\)\)"])):
        info.kl_normal(0.0, 1.0, 0.0, [1.0, sigma])


def test_kl_normal_other_errors():
    with pytest.raises(ValueError, match=G.join([r"`mu_q` must be finite; ", r"nan"])):
        info.kl_normal(0.0, 1.0, np.nan, 1.0)
    with pytest.raises(ValueError, match=r"shapes do not broadcast: `mu_p` \(2,\), `sigma_p` \(3,\)"):
        info.kl_normal([0.0, 1.0], [1.0, 1.0, 1.0], 0.0, 1.0)


def test_kl_standard_normal_errors():
    with pytest.raises(ValueError, match=G.join([r"`log_var` must be finite; ", r"inf"])):
        info.kl_standard_normal([0.0], [np.inf])
    with pytest.raises(ValueError, match=r"`mu` must be at least 1-D .*; got 0\.0"):
        info.kl_standard_normal(0.0, 0.0)


def test_kl_mvn_errors():
    eye = np.eye(2)
    not_pd = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match=r"(?s)`cov_q` must be positive definite; got \[\[1\. 2\.\].*\(smallest eigenvalue -1\)"):
        info.kl_mvn([0, 0], eye, [0, 0], not_pd)
    with pytest.raises(ValueError, match=r"`cov_p` must be symmetric; got"):
        info.kl_mvn([0, 0], [[1.0, 0.5], [0.0, 1.0]], [0, 0], eye)
    with pytest.raises(ValueError, match=r"`cov_p` must be a square matrix .*; got \(2, 3\)"):
        info.kl_mvn([0, 0], np.ones((2, 3)), [0, 0], eye)
    with pytest.raises(ValueError, match=r"`mu_q` must be a vector of length 2 .*; got \(3,\)"):
        info.kl_mvn([0, 0], eye, [0, 0, 0], eye)
    with pytest.raises(ValueError, match=r"`cov_p` and `cov_q` must have the same dimension; got \(2, 2\) and \(3, 3\)"):
        info.kl_mvn([0, 0], eye, [0, 0], np.eye(3))
    with pytest.raises(ValueError, match=G.join([r"`mu_p` must be finite; ", r"nan"])):
        info.kl_mvn([np.nan, 0], eye, [0, 0], eye)
    with pytest.raises(ValueError, match=r"batch shapes do not broadcast: `mu_p` \(3, 2\)"):
        info.kl_mvn(np.zeros((3, 2)), np.stack([eye] * 4), [0, 0], eye)


def test_softmax_cross_entropy_errors():
    with pytest.raises(ValueError, match=r"`labels` must be in \[0, 3\); got 3"):
        info.softmax_cross_entropy(np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match=r"`labels` must be integer class indices; got \[0\.5"):
        info.softmax_cross_entropy(np.zeros((2, 3)), [0.5, 1.0])
    with pytest.raises(ValueError, match=r"`labels` must be of shape \(2,\) to match `logits` \(2, 3\); got \(3,\)"):
        info.softmax_cross_entropy(np.zeros((2, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match=G.join([r"`logits` must be finite; ", r"inf"])):
        info.softmax_cross_entropy([[np.inf, 0.0]], [0])
    with pytest.raises(ValueError, match=r"`logits` must be of shape \(N, K\) or \(K,\); got \(\)"):
        info.softmax_cross_entropy(1.0, 0)
    with pytest.raises(ValueError, match=r"`base`"):
        info.softmax_cross_entropy([1.0, 2.0], 0, base=1)


def test_monte_carlo_and_quadrature_errors():
    f = scipy.stats.norm().logpdf
    with pytest.raises(ValueError, match=r"`samples` must be at least 2 samples .*; got \(1,\)"):
        info.kl_monte_carlo(f, f, [0.0])
    with pytest.raises(ValueError, match=G.join([r"`samples` must be finite; ", r"nan"])):
        info.kl_monte_carlo(f, f, [0.0, np.nan])
    with pytest.raises(ValueError, match=r"`log_p` and `log_q` must return one value per sample"):
        info.kl_monte_carlo(lambda x: np.zeros(3), f, [0.0, 1.0])
    with pytest.raises(ValueError, match=r"`samples` must be points where log p - log q is defined"):
        info.kl_monte_carlo(lambda x: np.full(x.shape, -np.inf), lambda x: np.full(x.shape, -np.inf),
                            [0.0, 1.0])
    with pytest.raises(ValueError, match=r"`lower` must be < `upper`; got 1 and 0"):
        info.kl_continuous(f, f, lower=1, upper=0)
    with pytest.raises(ValueError, match=G.join([r"`points` must be inside \[0, 1\]; ", "2"])):
        info.kl_continuous(f, f, lower=0, upper=1, points=[0.5, 2.0])
    with pytest.raises(ValueError, match=r"`log_p` must be a log-density \(not NaN, not \+inf\); got nan at x = "):
        info.kl_continuous(lambda x: np.full(np.shape(x), np.nan), f, lower=-1, upper=1)


# ---------------------------------------------------------------------------------------------
# Several variables, maximum entropy, perplexity, losses, f-divergences, estimators, RLHF
# (issue 17). References: sklearn's mutual_info_score, scipy, torch (autograd), mpmath, optimisers.
# ---------------------------------------------------------------------------------------------

def _joint_table(rng: np.random.Generator, shape: tuple[int, ...], zeros: bool = False) -> np.ndarray:
    p = rng.dirichlet(np.full(int(np.prod(shape)), 0.8)).reshape(shape)
    if zeros:
        p.flat[rng.choice(p.size, size=p.size // 3, replace=False)] = 0.0
        p /= p.sum()
    return p


@pytest.mark.parametrize("shape,zeros", [((2, 3), False), ((4, 2), True), ((3, 3), True), ((1, 5), False)])
def test_conditional_entropy_is_the_average_entropy_of_the_conditionals(shape, zeros):
    rng = np.random.default_rng(sum(shape))
    p = _joint_table(rng, shape, zeros)
    p_x = p.sum(axis=1)
    reference = sum(p_x[i] * scipy.stats.entropy(p[i] / p_x[i]) for i in range(shape[0]) if p_x[i] > 0)
    assert info.conditional_entropy(p) == pytest.approx(reference, rel=1e-12, abs=1e-14)
    assert info.conditional_entropy(p, base=2) == pytest.approx(reference / LOG2, rel=1e-12, abs=1e-14)
    assert 0.0 <= info.conditional_entropy(p) <= scipy.stats.entropy(p.sum(axis=0)) + 1e-12


@pytest.mark.parametrize("shape,zeros", [((2, 3), False), ((4, 2), True), ((3, 5), True)])
def test_mutual_information_matches_sklearn_and_the_entropies(shape, zeros):
    from sklearn.metrics import mutual_info_score

    rng = np.random.default_rng(7 + sum(shape))
    p = _joint_table(rng, shape, zeros)
    mi = info.mutual_information(p)
    counts = np.round(p * 1e6)  # sklearn reads a contingency table of counts
    assert info.mutual_information(counts / counts.sum()) == pytest.approx(
        mutual_info_score(None, None, contingency=counts), rel=1e-10, abs=1e-12)
    h = scipy.stats.entropy
    assert mi == pytest.approx(h(p.sum(0)) + h(p.sum(1)) - h(p.ravel()), rel=1e-10, abs=1e-12)
    assert info.mutual_information(p.T) == pytest.approx(mi, rel=1e-12, abs=1e-14)


def test_mutual_information_is_zero_for_independent_variables_and_batches():
    rng = np.random.default_rng(3)
    a, b = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(4))
    independent = np.outer(a, b)
    assert info.mutual_information(independent) == pytest.approx(0.0, abs=1e-15)
    batch = np.stack([independent, _joint_table(rng, (3, 4))])
    out = info.mutual_information(batch)
    assert out.shape == (2,) and out[0] == pytest.approx(0.0, abs=1e-15) and out[1] > 0
    # a deterministic copy: I(X; X) = H(X)
    assert info.mutual_information(np.diag(a)) == pytest.approx(scipy.stats.entropy(a), rel=1e-12)


def test_conditional_mutual_information_matches_sklearn_per_slice():
    from sklearn.metrics import mutual_info_score

    rng = np.random.default_rng(11)
    p = _joint_table(rng, (2, 3, 4), zeros=True)
    p[:, :, 0] = 0.0  # a value of z that never happens
    p /= p.sum()
    counts = np.round(p * 1e6)  # sklearn reads contingency tables of counts
    p = counts / counts.sum()
    p_z = p.sum(axis=(0, 1))
    reference = sum(p_z[k] * mutual_info_score(None, None, contingency=counts[:, :, k])
                    for k in range(4) if p_z[k] > 0)
    assert info.conditional_mutual_information(p) == pytest.approx(reference, rel=1e-9, abs=1e-12)


def test_conditional_mutual_information_vanishes_on_a_markov_chain():
    rng = np.random.default_rng(5)
    p_x = rng.dirichlet(np.ones(3))
    k1, k2 = rng.dirichlet(np.ones(4), size=3), rng.dirichlet(np.ones(2), size=4)
    p_xyz = p_x[:, None, None] * k1[:, :, None] * k2[None, :, :]  # X -> Y -> Z
    # I(X; Z | Y) = 0: put the conditioning variable last
    assert info.conditional_mutual_information(np.transpose(p_xyz, (0, 2, 1))) == pytest.approx(0.0, abs=1e-15)
    # data processing: I(X; Z) <= I(X; Y)
    assert info.mutual_information(p_xyz.sum(axis=1)) <= info.mutual_information(p_xyz.sum(axis=2)) + 1e-15


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_mvn_entropy_matches_scipy_and_torch(k):
    rng = np.random.default_rng(k)
    cov = _spd(rng, k)
    ref = scipy.stats.multivariate_normal(np.zeros(k), cov).entropy()
    assert info.mvn_entropy(cov) == pytest.approx(ref, rel=1e-12)
    t = MultivariateNormal(torch.zeros(k, dtype=torch.float64), torch.tensor(cov)).entropy().item()
    assert info.mvn_entropy(cov, base=2) == pytest.approx(t / LOG2, rel=1e-12)
    batch = np.stack([cov, 4.0 * cov])  # scaling by a^2 adds k log a
    assert info.mvn_entropy(batch)[1] - info.mvn_entropy(batch)[0] == pytest.approx(k * math.log(2.0), rel=1e-12)


def test_perplexity_is_a_geometric_mean_and_k_for_uniform():
    p = np.array([0.5, 0.25, 0.125, 0.125])
    q = np.full(4, 0.25)
    assert info.perplexity(q) == pytest.approx(4.0, rel=1e-14)
    assert info.perplexity(p, q) == pytest.approx(4.0, rel=1e-14)  # uniform model: K on any data
    assert info.perplexity(p) == pytest.approx(float(np.prod(p ** -p)), rel=1e-14)
    assert info.perplexity(p) == pytest.approx(2 ** info.entropy(p, base=2), rel=1e-14)
    assert info.perplexity(p, np.array([0.5, 0.5, 0.0, 0.0])) == np.inf


def test_binary_cross_entropy_matches_torch_and_stays_finite():
    rng = np.random.default_rng(2)
    z = np.concatenate([rng.normal(scale=5, size=20), [-800.0, 40.0, 800.0]])
    y = np.concatenate([rng.uniform(size=20), [1.0, 0.0, 0.0]])
    ref = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(z), torch.tensor(y)).item()
    assert info.binary_cross_entropy_with_logits(z, y) == pytest.approx(ref, rel=1e-12)
    assert info.binary_cross_entropy_with_logits(40.0, 0.0) == pytest.approx(40.0 + math.exp(-40.0), rel=1e-15)
    # it is the cross-entropy H(Bern(y), Bern(sigmoid(z)))
    s = float(scipy.special.expit(0.7))
    assert info.binary_cross_entropy_with_logits(0.7, 0.3) == pytest.approx(
        info.cross_entropy([0.7, 0.3], [1 - s, s]), rel=1e-12)


def test_label_smoothing_and_soft_targets_match_torch():
    rng = np.random.default_rng(4)
    z = rng.normal(scale=2, size=(6, 5))
    y = rng.integers(0, 5, size=6)
    for eps in (0.0, 0.1, 0.3):
        targets = info.smoothed_targets(y, 5, eps)
        assert targets.shape == (6, 5) and np.allclose(targets.sum(axis=1), 1.0)
        ref = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(y), label_smoothing=eps).item()
        assert info.soft_cross_entropy(z, targets) == pytest.approx(ref, rel=1e-12)
    p = rng.dirichlet(np.ones(5), size=6)
    ref = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(p)).item()  # probability targets
    assert info.soft_cross_entropy(z, p) == pytest.approx(ref, rel=1e-12)
    assert info.soft_cross_entropy(z, np.eye(5)[y]) == pytest.approx(info.softmax_cross_entropy(z, y), rel=1e-12)


def test_distillation_loss_and_its_gradient_against_torch():
    rng = np.random.default_rng(8)
    u, v = rng.normal(scale=3, size=(2, 4, 6))
    for t in (1.0, 4.0, 20.0):
        vt = torch.tensor(v, requires_grad=True)
        log_q = torch.log_softmax(vt / t, dim=-1)
        p_t = torch.softmax(torch.tensor(u) / t, dim=-1)
        loss = t**2 * torch.nn.functional.kl_div(log_q, p_t, reduction="batchmean")
        loss.backward()
        assert info.distillation_loss(v, u, t) == pytest.approx(loss.item(), rel=1e-11)
        grad = t * (scipy.special.softmax(v / t, axis=-1) - scipy.special.softmax(u / t, axis=-1)) / 4
        np.testing.assert_allclose(vt.grad.numpy(), grad, rtol=1e-10, atol=1e-13)
    # for large T the T^2-scaled gradient tends to (v - u) / K for zero-mean logits (Hinton et al. 2015)
    u0, v0 = u[0] - u[0].mean(), v[0] - v[0].mean()
    errors = [np.abs(t * (scipy.special.softmax(v0 / t) - scipy.special.softmax(u0 / t)) - (v0 - u0) / 6).max()
              for t in (1e2, 1e3, 1e4)]
    assert errors[2] < 1e-3 * np.abs(v0 - u0).max()
    assert errors[1] < errors[0] / 8 and errors[2] < errors[1] / 8  # the gap falls like 1/T


def _numeric_conjugate(f, u: float, hi: float = 1e4) -> float:
    """sup_{t >= 0} (u t - f(t)) by bounded Brent search, a reference for the closed-form conjugates."""
    res = scipy.optimize.minimize_scalar(lambda t: -(u * t - float(f(np.array(t)))), bounds=(0.0, hi),
                                         method="bounded", options={"xatol": 1e-12})
    return max(-res.fun, u * 0.0 - float(f(np.array(0.0))))


@pytest.mark.parametrize("kind,us", [("kl", [-2.0, 0.0, 1.5]), ("reverse_kl", [-3.0, -1.0, -0.2]),
                                     ("jsd", [-2.0, 0.0, 0.3]), ("tv", [-0.9, -0.3, 0.0, 0.4]),
                                     ("chi2", [-3.0, -1.0, 0.0, 2.0])])
def test_f_conjugates_are_the_numerical_supremum(kind, us):
    import scipy.optimize  # noqa: F401

    member = info.F_DIVERGENCES[kind]
    assert float(member.f(np.array(1.0))) == pytest.approx(0.0, abs=1e-15)
    for u in us:
        assert float(member.conjugate(np.array(u))) == pytest.approx(_numeric_conjugate(member.f, u),
                                                                     rel=1e-6, abs=1e-7)


def test_conjugates_are_infinite_outside_their_domain():
    assert info.F_DIVERGENCES["reverse_kl"].conjugate(np.array(0.5)) == np.inf
    assert info.F_DIVERGENCES["jsd"].conjugate(np.array(0.4)) == np.inf
    assert info.F_DIVERGENCES["tv"].conjugate(np.array(0.6)) == np.inf


@FAST
@given(distributions(n=2, zeros=False))
def test_f_divergence_members_are_the_known_divergences(pq):
    p, q = pq
    assert info.f_divergence(p, q, "kl") == pytest.approx(float(np.sum(scipy.special.rel_entr(p, q))), rel=1e-10,
                                                         abs=1e-13)
    assert info.f_divergence(p, q, "reverse_kl") == pytest.approx(float(np.sum(scipy.special.rel_entr(q, p))),
                                                                 rel=1e-10, abs=1e-13)
    assert info.f_divergence(p, q, "jsd") == pytest.approx(scipy.spatial.distance.jensenshannon(p, q) ** 2,
                                                          rel=1e-8, abs=1e-13)
    assert info.f_divergence(p, q, "tv") == pytest.approx(0.5 * np.abs(p - q).sum(), rel=1e-12, abs=1e-15)
    assert info.f_divergence(p, q, "chi2") == pytest.approx(float(np.sum((p - q) ** 2 / q)), rel=1e-10, abs=1e-14)


def test_f_divergence_where_the_supports_differ():
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.25, 0.5])
    assert info.f_divergence(p, q, "kl") == pytest.approx(LOG2)
    assert info.f_divergence(q, p, "kl") == np.inf
    assert info.f_divergence(q, p, "reverse_kl") == pytest.approx(LOG2)
    assert info.f_divergence(q, p, "tv") == pytest.approx(0.5)
    assert info.f_divergence(q, p, "jsd") == pytest.approx(info.jensen_shannon(p, q), rel=1e-12)
    disjoint = (np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    assert info.f_divergence(*disjoint, "jsd") == pytest.approx(LOG2)
    assert info.f_divergence(*disjoint, "chi2") == np.inf


@pytest.mark.parametrize("kind", sorted(info.F_DIVERGENCES))
def test_f_variational_bound_holds_and_is_attained_at_f_prime_of_the_ratio(kind):
    rng = np.random.default_rng(len(kind))
    p, q = rng.dirichlet(np.ones(5), size=2)
    member = info.F_DIVERGENCES[kind]
    d = info.f_divergence(p, q, kind)
    best = member.derivative(p / q)
    assert info.f_variational_bound(best, best, kind, weights_p=p, weights_q=q) == pytest.approx(d, rel=1e-10)
    for _ in range(20):
        t = best + rng.normal(scale=0.3, size=5)
        if kind == "reverse_kl":
            t = -np.abs(t)
        if kind == "tv":
            t = np.clip(t, -0.5, 0.5)
        if kind == "jsd":
            t = np.minimum(t, 0.3)
        assert info.f_variational_bound(t, t, kind, weights_p=p, weights_q=q) <= d + 1e-12


def test_donsker_varadhan_is_tight_at_the_log_ratio_and_above_nwj():
    rng = np.random.default_rng(9)
    p, q = rng.dirichlet(np.ones(6), size=2)
    kl = info.kl_divergence(p, q)
    log_ratio = np.log(p / q)
    for c in (-2.0, 0.0, 3.0):
        assert info.donsker_varadhan_bound(log_ratio + c, log_ratio + c, weights_p=p, weights_q=q) == \
            pytest.approx(kl, rel=1e-12)
    nwj_best = 1.0 + log_ratio
    assert info.f_variational_bound(nwj_best, nwj_best, "kl", weights_p=p, weights_q=q) == pytest.approx(kl, rel=1e-12)
    for _ in range(20):
        t = rng.normal(size=6)
        dv = info.donsker_varadhan_bound(t, t, weights_p=p, weights_q=q)
        nwj = info.f_variational_bound(t, t, "kl", weights_p=p, weights_q=q)
        assert nwj <= dv + 1e-12 and dv <= kl + 1e-12


def test_donsker_varadhan_from_samples_approaches_the_gaussian_kl():
    rng = np.random.default_rng(10)
    p, q = scipy.stats.norm(0, 1), scipy.stats.norm(1, 2)
    x_p, x_q = p.rvs(size=400_000, random_state=rng), q.rvs(size=400_000, random_state=rng)
    def critic(x):  # the optimal critic log(p / q)
        return p.logpdf(x) - q.logpdf(x)

    kl = info.kl_normal(0, 1, 1, 2)
    # E_q[e^T] = E_q[p/q] = 1 exactly, and its sample mean has variance chi^2(p || q) / n (finite here)
    assert info.donsker_varadhan_bound(critic(x_p), critic(x_q)) == pytest.approx(kl, abs=0.02)


def test_kl_estimator_means_by_quadrature():
    p, q = scipy.stats.norm(0, 1), scipy.stats.norm(0.5, 1.2)
    kl = info.kl_normal(0, 1, 0.5, 1.2)

    def mean(term):
        return scipy.integrate.quad(lambda x: p.pdf(x) * getattr(
            info.kl_estimator_terms(np.array([p.logpdf(x)]), np.array([q.logpdf(x)])), term)[0],
                                    -30.0, 30.0, points=[0.0], epsabs=1e-13, epsrel=1e-12)[0]  # p < 1e-190 outside

    assert mean("k1") == pytest.approx(kl, rel=1e-9)
    assert mean("k3") == pytest.approx(kl, rel=1e-9)  # q << p: E_p[r] = 1
    second = scipy.integrate.quad(lambda x: p.pdf(x) * (q.logpdf(x) - p.logpdf(x)) ** 2, -np.inf, np.inf)[0]
    assert mean("k2") == pytest.approx(0.5 * second, rel=1e-9)


def test_k3_is_non_negative_and_exact_near_r_equal_one():
    import mpmath

    log_r = np.array([-30.0, -1.0, -1e-9, 0.0, 1e-9, 2.0])
    terms = info.kl_estimator_terms(np.zeros(6), log_r)
    assert np.all(terms.k3 >= 0) and terms.k3[3] == 0.0
    for lr, k3 in zip(log_r, terms.k3):
        ref = float(mpmath.expm1(mpmath.mpf(lr)) - mpmath.mpf(lr))
        assert k3 == pytest.approx(ref, rel=1e-12, abs=1e-300)
    assert info.kl_estimator_terms(np.zeros(1), np.array([-np.inf])).k3[0] == np.inf


def test_kl_fisher_quadratic_is_the_local_form_of_the_bernoulli_kl():
    theta = 0.3
    fisher = 1.0 / (theta * (1 - theta))
    previous = None
    for delta in (0.1, 0.01, 0.001):
        exact = info.kl_divergence([1 - theta, theta], [1 - theta - delta, theta + delta])
        approx = info.kl_fisher_quadratic(fisher, delta)
        error = abs(exact - approx)
        assert error <= 4.0 * delta**3  # the remainder is O(delta^3) (its coefficient is about 3 here)
        if previous is not None:
            assert error < previous / 500  # falls like delta^3: a factor 1000 per decade
        previous = error


def test_kl_fisher_quadratic_is_half_the_hessian_of_the_kl_by_autograd():
    rng = np.random.default_rng(12)
    logits = torch.tensor(rng.normal(size=4), dtype=torch.float64)

    def kl_to(shifted):
        p, q = torch.softmax(logits, 0), torch.softmax(shifted, 0)
        return torch.sum(p * (torch.log(p) - torch.log(q)))

    hessian = torch.autograd.functional.hessian(kl_to, logits).numpy()
    pi = torch.softmax(logits, 0).numpy()
    fisher = np.diag(pi) - np.outer(pi, pi)  # Fisher information of a softmax in its logits
    np.testing.assert_allclose(hessian, fisher, atol=1e-12)
    delta = rng.normal(size=(3, 4))
    np.testing.assert_allclose(info.kl_fisher_quadratic(fisher, delta),
                               [0.5 * d @ hessian @ d for d in delta], rtol=1e-10)


def test_kl_regularised_optimum_matches_a_numerical_maximiser():
    import scipy.optimize

    rng = np.random.default_rng(13)
    ref = rng.dirichlet(np.ones(5))
    reward = rng.normal(size=5)
    for beta in (0.1, 1.0, 5.0):
        opt = info.kl_regularised_optimum(ref, reward, beta)
        res = scipy.optimize.minimize(
            lambda w, beta=beta: -info.kl_regularised_objective(scipy.special.softmax(w), ref, reward, beta),
            np.zeros(5), method="BFGS", options={"gtol": 1e-10})
        np.testing.assert_allclose(opt.policy, scipy.special.softmax(res.x), atol=1e-6)
        assert opt.value == pytest.approx(-res.fun, rel=1e-9)
        assert info.kl_regularised_objective(opt.policy, ref, reward, beta) == pytest.approx(opt.value, rel=1e-12)
    # mass of the reference policy is never created: pi_ref = 0 gives pi* = 0, also for huge rewards
    opt = info.kl_regularised_optimum([0.5, 0.5, 0.0], [0.0, 1.0, 1e6], 0.01)
    assert opt.policy[2] == 0.0 and np.isfinite(opt.log_partition)


def test_new_functions_name_bad_arguments():
    with pytest.raises(ValueError, match="`p_xy`"):
        info.mutual_information(np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="`p_xy`"):
        info.conditional_entropy(np.array([[0.5, 0.6], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="`p_xyz`"):
        info.conditional_mutual_information(np.full((2, 2), 0.25))
    with pytest.raises(ValueError, match="`cov`"):
        info.mvn_entropy(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="`targets`"):
        info.binary_cross_entropy_with_logits([0.0], [1.5])
    with pytest.raises(ValueError, match="`epsilon`"):
        info.smoothed_targets([0, 1], 3, 1.5)
    with pytest.raises(ValueError, match="`labels`"):
        info.smoothed_targets([0, 3], 3, 0.1)
    with pytest.raises(ValueError, match="`targets`"):
        info.soft_cross_entropy(np.zeros((2, 3)), np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="`temperature`"):
        info.distillation_loss(np.zeros(3), np.zeros(3), 0.0)
    with pytest.raises(ValueError, match="`kind`"):
        info.f_divergence([0.5, 0.5], [0.5, 0.5], "hellinger")
    with pytest.raises(ValueError, match="`t_p`"):
        info.donsker_varadhan_bound([], [1.0])
    with pytest.raises(ValueError, match="`weights_q`"):
        info.donsker_varadhan_bound([0.0, 1.0], [0.0, 1.0], weights_q=[0.7, 0.7])
    with pytest.raises(ValueError, match="`log_p_x`"):
        info.kl_estimator_terms([-np.inf], [0.0])
    with pytest.raises(ValueError, match="`fisher`"):
        info.kl_fisher_quadratic(np.ones((2, 3)), [0.1, 0.2])
    with pytest.raises(ValueError, match="`delta`"):
        info.kl_fisher_quadratic(np.eye(2), [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="`beta`"):
        info.kl_regularised_optimum([0.5, 0.5], [1.0, 0.0], -1.0)
    with pytest.raises(ValueError, match="`reward`"):
        info.kl_regularised_optimum([0.5, 0.5], [1.0, np.nan], 1.0)


# ---------------------------------------------------------------------------------------------
# Issue 16: extreme scales, far-off mass, degenerate input. One regression test per reproducer,
# then properties over wide ranges against references that share no code with genmath: mpmath at
# 60 digits, torch.distributions, scipy.
# ---------------------------------------------------------------------------------------------

MAX = float(np.finfo(np.float64).max)
WIDE = settings(max_examples=150, deadline=None)
#: mpmath working precision of the references: enough that quantities 1e-300 times smaller than
#: the numbers they are computed from (1 - p for p = 1e-300, a KL of 1e-600 between sigmas of 1) keep
#: all their digits. The references are the textbook formulas, evaluated naively at this precision.
DPS = 700


def _mp_kl_normal(mu_p: float, s_p: float, mu_q: float, s_q: float) -> mpmath.mpf:
    mp, sp, mq, sq = (mpmath.mpf(v) for v in (mu_p, s_p, mu_q, s_q))
    return mpmath.log(sq / sp) + (sp**2 + (mp - mq) ** 2) / (2 * sq**2) - mpmath.mpf(1) / 2


@pytest.mark.parametrize("args, exact", [
    ((0, 1e200, 0, 1e200), 0.0),  # was nan
    ((0, 1e-200, 0, 1e-200), 0.0),  # was nan
    ((0, 1e160, 0, 1e150), 5e19 - 23.5258509299404568),  # was inf
    ((0, 1e-300, 0, 1e300), 1381.05105579642740),
    ((1e308, 1e300, -1e308, 1e300), 2e16 + 1381.05105579642740 / 1e300),  # mu_p - mu_q overflows
])
def test_kl_normal_extreme_scales(args, exact) -> None:
    assert float(info.kl_normal(*args)) == pytest.approx(exact, rel=1e-14, abs=0)


def test_kl_normal_beyond_float64_names_the_arguments() -> None:
    with pytest.raises(ValueError, match=r"KL\(N\(mu_p, sigma_p\^2\) \|\| N\(mu_q, sigma_q\^2\)\) overflows "
                                         r"float64 .* at `mu_p` = 0.0, `sigma_p` = 1e\+200, `mu_q` = 0.0, "
                                         r"`sigma_q` = 1e-200"):
        info.kl_normal(0.0, 1e200, 0.0, 1e-200)
    with pytest.raises(ValueError, match=r"overflows float64 \(.*\) \(at index \(1,\)\) at `mu_p` = 1e\+200"):
        info.kl_normal([0.0, 1e200], 1.0, 0.0, 1.0)


def test_gaussian_entropy_and_binary_entropy_edges() -> None:
    assert float(info.gaussian_entropy(1e-200)) == pytest.approx(-459.0980800656045, rel=1e-15)  # was -inf
    assert float(info.gaussian_entropy(1e300)) == pytest.approx(0.5 * math.log(2 * math.pi * math.e)
                                                                + 300 * math.log(10), rel=1e-15)
    assert float(info.binary_entropy(1e-20)) == pytest.approx(4.705170185988091e-19, rel=1e-14)  # was 4.605e-19
    assert float(info.binary_entropy(1 - 2**-53)) == float(info.binary_entropy(2**-53))
    assert float(info.binary_entropy(0.5)) == LOG2 and float(info.binary_entropy(0.0)) == 0.0


def test_jsd_of_disjoint_distributions_is_exactly_log2() -> None:
    assert float(info.jensen_shannon([1, 0, 0], [0, 8 / 13, 5 / 13])) == LOG2  # was 0.6931471805599454
    rng = np.random.default_rng(0)
    for _ in range(3000):  # 1194 of 3000 such pairs exceeded log 2
        k = int(rng.integers(2, 9))
        split = int(rng.integers(1, k))
        p, q = np.zeros(k), np.zeros(k)
        p[:split] = rng.dirichlet(np.ones(split))
        q[split:] = rng.dirichlet(np.ones(k - split))
        assert 0.0 <= float(info.jensen_shannon(p, q)) <= LOG2
        assert float(info.jensen_shannon(p, q, base=2)) <= 1.0


def test_kl_of_equal_or_nearly_equal_gaussians_is_never_negative() -> None:
    rng = np.random.default_rng(1)
    for _ in range(3000):
        m, s = rng.normal(), rng.uniform(0.1, 10)
        assert float(info.kl_normal(m, s, m + 1e-9 * rng.normal(), s * (1 + 1e-9 * rng.normal()))) >= 0.0
    for _ in range(300):
        a = rng.normal(size=(4, 4))
        c = a @ a.T + 0.1 * np.eye(4)
        m = rng.normal(size=4)
        assert 0.0 <= float(info.kl_mvn(m, c, m, c)) < 1e-28  # was slightly negative (100 of 1000)


def test_kl_standard_normal_with_underflowing_variance() -> None:
    """Issue 16: raised a ValueError naming `sigma_p`, an argument the caller never passed."""
    assert float(info.kl_standard_normal([0.0], [-1500.0])) == 749.5
    assert float(vae.kl_std_normal(torch.tensor([0.0], dtype=torch.float64),
                                   torch.tensor([-1500.0], dtype=torch.float64))) == 749.5
    with pytest.raises(ValueError, match=r"overflows float64 .* at `mu` = \[0.\], `log_var` = \[800.\]"):
        info.kl_standard_normal([0.0], [800.0])


def test_degenerate_inputs_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"`logits` must be at least one example .* got \(0, 3\) as its shape"):
        info.softmax_cross_entropy(np.zeros((0, 3)), np.zeros(0, int))  # was nan
    with pytest.raises(ValueError, match=r"`cov_p` must be a non-empty square matrix"):
        info.kl_mvn(np.zeros(0), np.zeros((0, 0)), np.zeros(0), np.zeros((0, 0)))  # was 0.0
    with pytest.raises(ValueError, match=r"(?s)`cov_p` must be symmetric"):
        info.kl_mvn([0, 0], [[1e-20, 5e-21], [0.0, 1e-20]], [0, 0], [[1e-20, 0], [0, 1e-20]])  # was 0.0
    with pytest.raises(ValueError, match=r"`labels` must be real numbers"):
        info.softmax_cross_entropy([[0.0, 1.0]], ["1"])


def test_kl_continuous_far_off_mass_and_far_nodes() -> None:
    p, q = scipy.stats.norm(1000, 1), scipy.stats.norm(1003, 1)
    assert info.kl_continuous(p.logpdf, q.logpdf) == pytest.approx(4.5, rel=1e-12)  # was 0.0
    # was inf: a node at |x| ~ 6.6e153 made q's logpdf -inf where p's density is 0 anyway
    narrow = scipy.stats.norm(0, 0.3)
    exact = float(info.kl_normal(0, 1, 0, 0.3))
    assert info.kl_continuous(scipy.stats.norm(0, 1).logpdf, narrow.logpdf, points=[0.0]) == (
        pytest.approx(exact, rel=1e-12))
    assert exact == pytest.approx(3.851582751229620, rel=1e-15)


def test_kl_continuous_needs_to_know_where_the_mass_is() -> None:
    def log_p(x):
        return scipy.stats.norm.logpdf(x, 1000.0, 1.0)

    with pytest.raises(ValueError, match=r"cannot tell where the mass of KL\(p \|\| q\) is on \[-inf, inf\]: "
                                         r"`log_p` is not a method"):
        info.kl_continuous(log_p, scipy.stats.norm(1000, 2).logpdf)
    assert info.kl_continuous(log_p, scipy.stats.norm(1000, 2).logpdf, loc=1000.0, scale=1.0) == (
        pytest.approx(float(info.kl_normal(1000, 1, 1000, 2)), rel=1e-12))


def test_kl_continuous_of_unnormalised_inputs_is_refused() -> None:
    p = scipy.stats.norm(0, 1)
    with pytest.raises(ValueError, match=r"KL\(p \|\| q\) by quadrature is -0.69\d+ < 0 beyond its error "
                                         r"estimate .*must be normalised log-densities"):
        info.kl_continuous(p.logpdf, lambda x: p.logpdf(x) + LOG2)


@WIDE
@given(st.floats(-300, 300), st.floats(-300, 300), st.floats(-1e6, 1e6), st.floats(-1e3, 1e3))
def test_kl_normal_over_300_decades_matches_mpmath(log_sp: float, log_sq: float, y: float, z: float) -> None:
    """sigma from 1e-300 to 1e300, means up to 1e6 sigma from 0: finite, >= 0 and within 1e-12 of
    mpmath, or a ValueError exactly when the true KL exceeds float64."""
    s_p, s_q = 10.0**log_sp, 10.0**log_sq
    mu_q = y * s_q
    mu_p = mu_q + z * s_q
    with mpmath.workdps(DPS):
        ref = _mp_kl_normal(mu_p, s_p, mu_q, s_q)
        if ref > MAX:
            with pytest.raises(ValueError, match="overflows float64"):
                info.kl_normal(mu_p, s_p, mu_q, s_q)
            return
        got = float(info.kl_normal(mu_p, s_p, mu_q, s_q))
        assert math.isfinite(got) and got >= 0.0
        assert got == pytest.approx(float(ref), rel=1e-12, abs=1e-300)


@WIDE
@given(st.floats(-300, 300), st.floats(-12, -2), st.floats(-1, 1), st.floats(-1, 1))
def test_kl_normal_of_nearly_equal_gaussians_keeps_its_digits(log_s: float, log_gap: float, a: float, b: float) -> None:
    """Relative differences from 1e-12 to 1e-2: the KL (1e-24 ... 1e-4) to 1e-9 relative, >= 0."""
    s_p = 10.0**log_s
    s_q = s_p * (1.0 + a * 10.0**log_gap)
    mu_p, mu_q = 0.0, b * 10.0**log_gap * s_q
    with mpmath.workdps(DPS):
        ref = float(_mp_kl_normal(mu_p, s_p, mu_q, s_q))
    got = float(info.kl_normal(mu_p, s_p, mu_q, s_q))
    assert got >= 0.0
    assert got == pytest.approx(ref, rel=1e-9, abs=1e-300)


@WIDE
@given(st.floats(-300, 300), st.sampled_from([np.float64, np.float32, "torch"]))
def test_gaussian_entropy_over_300_decades(log_sigma: float, kind) -> None:
    sigma = 10.0**log_sigma
    if kind == np.float32:
        sigma = float(np.float32(sigma)) if 1e-38 < sigma < 3e38 else 1.0
        arg = np.float32(sigma)
    elif kind == "torch":
        arg = torch.tensor(sigma, dtype=torch.float64, requires_grad=True)
    else:
        arg = sigma
    with mpmath.workdps(40):
        ref = float(mpmath.log(2 * mpmath.pi * mpmath.e * mpmath.mpf(sigma) ** 2) / 2)
    got = float(info.gaussian_entropy(arg))
    assert math.isfinite(got) and got == pytest.approx(ref, rel=1e-14, abs=1e-14)


@WIDE
@given(st.floats(-300, 0), st.booleans())
def test_binary_entropy_down_to_1e_minus_300(log_p: float, upper: bool) -> None:
    p = 10.0**log_p
    if upper:
        p = 1.0 - min(p, 0.5)  # probabilities near 1 too
    with mpmath.workdps(DPS):
        mp_p = mpmath.mpf(p)
        ref = float(-mp_p * mpmath.log(mp_p) - (1 - mp_p) * mpmath.log(1 - mp_p)) if 0 < p < 1 else 0.0
    got = float(info.binary_entropy(p))
    assert 0.0 <= got <= LOG2
    assert got == pytest.approx(ref, rel=1e-13, abs=1e-320)


@st.composite
def tiny_probabilities(draw, n: int = 2):
    """n probability vectors (a batch of shape (b,) or (b1, b2)) with entries from 1e-300 to 1,
    some exactly 0, in float64, float32 or as torch tensors."""
    k = draw(st.integers(2, 6))
    batch = draw(st.sampled_from([(), (3,), (2, 2)]))
    kind = draw(st.sampled_from(["float64", "float32", "torch64", "torch32"]))
    size = int(np.prod(batch, dtype=int)) * k
    out = []
    for _ in range(n):
        exps = draw(st.lists(st.one_of(st.floats(0, 300), st.just(math.inf)), min_size=size, max_size=size))
        w = np.power(10.0, -np.asarray(exps)).reshape(batch + (k,))
        w[..., 0] = np.where(w.sum(-1) == 0, 1.0, w[..., 0])
        p = w / w.sum(-1, keepdims=True)
        if kind == "float32":
            p = p.astype(np.float32)
        elif kind == "torch64":
            p = torch.tensor(p, dtype=torch.float64)
        elif kind == "torch32":
            p = torch.tensor(p, dtype=torch.float32)
        out.append(p)
    return out


def _rows(p) -> np.ndarray:
    arr = p.numpy() if isinstance(p, torch.Tensor) else p
    return np.asarray(arr, dtype=np.float64).reshape(-1, arr.shape[-1])


@WIDE
@given(tiny_probabilities(n=2))
# found by a CI run: q differs from p = [0.5, 0.5] by 5.75e-13, and the JSD of 1.65e-25 cancels
@example(pq=[np.array([0.5, 0.5]), np.array([0.5 + 5.75e-13, 0.5 - 5.75e-13])])
def test_discrete_quantities_with_tiny_probabilities_match_mpmath(pq) -> None:
    """Entropy, KL and JSD with entries down to 1e-300 (and exact zeros), batches, float32/float64,
    numpy/torch: in range (0 <= H <= log K, KL >= 0, 0 <= JSD <= log 2) and equal to mpmath's sums
    over the same numbers (to 1e-13 of the sum of the absolute terms)."""
    p, q = pq
    h, kl, jsd = (np.asarray(f(*args)).reshape(-1) for f, args in
                  ((info.entropy, (p,)), (info.kl_divergence, (p, q)), (info.jensen_shannon, (p, q))))
    k = _rows(p).shape[-1]
    for row, (pr, qr) in enumerate(zip(_rows(p), _rows(q))):
        with mpmath.workdps(DPS):
            P, Q = [mpmath.mpf(float(v)) for v in pr], [mpmath.mpf(float(v)) for v in qr]
            h_terms = [-a * mpmath.log(a) for a in P if a > 0]
            kl_terms = [mpmath.inf if b == 0 else a * mpmath.log(a / b) for a, b in zip(P, Q) if a > 0]
            js_terms = [(a * mpmath.log(2 * a / (a + b)) if a > 0 else 0) / 2
                        + (b * mpmath.log(2 * b / (a + b)) if b > 0 else 0) / 2 for a, b in zip(P, Q)]
            ref_h, ref_js = float(sum(h_terms)), float(sum(js_terms))
            size_js = float(sum(abs(a * mpmath.log(2 * a / (a + b))) / 2 if a > 0 else 0 for a, b in zip(P, Q))
                            + sum(abs(b * mpmath.log(2 * b / (a + b))) / 2 if b > 0 else 0 for a, b in zip(P, Q)))
            ref_kl = sum(kl_terms)
            size_kl = float(sum(abs(t) for t in kl_terms)) if ref_kl != mpmath.inf else math.inf
        slack = abs(float(sum(P)) - 1.0) * (1.0 + math.log(k))  # a row may sum to 1 +- its tolerance
        assert 0.0 <= h[row] <= math.log(k) * (1 + 1e-15) + slack
        assert h[row] == pytest.approx(ref_h, rel=1e-13, abs=1e-300)
        assert 0.0 <= jsd[row] <= LOG2
        # to 1e-13 of the sum of the absolute terms: for p close to q the terms (about 1e-13 each) cancel
        # to a JSD near 1e-25, known only to about 1e-12 of itself (p = q = [0.5, 0.5] up to rounding)
        assert jsd[row] == pytest.approx(min(ref_js, LOG2), rel=1e-13, abs=1e-13 * size_js + 1e-300)
        assert kl[row] >= 0.0
        if ref_kl == mpmath.inf:
            assert kl[row] == math.inf
        else:
            assert kl[row] == pytest.approx(max(float(ref_kl), 0.0), abs=1e-13 * size_kl + 1e-300)


@WIDE
@given(st.integers(1, 4), st.sampled_from([(), (2,), (2, 3)]), st.floats(-100, 100), st.integers(0, 2**31))
def test_kl_mvn_scale_invariant_and_matches_torch(k: int, batch, log_c: float, seed: int) -> None:
    """KL(N(sqrt(c) mu_p, c S_p) || N(sqrt(c) mu_q, c S_q)) does not depend on c: with c from 1e-100 to
    1e100 it equals torch.distributions' KL at c = 1; >= 0; 0 up to rounding for equal arguments."""
    rng = np.random.default_rng(seed)
    cov_p, cov_q = _spd(rng, k, batch), _spd(rng, k, batch)
    mu_p, mu_q = rng.normal(size=batch + (k,)), rng.normal(size=batch + (k,))
    ref = torch_kl(MultivariateNormal(torch.tensor(mu_p), torch.tensor(cov_p)),
                   MultivariateNormal(torch.tensor(mu_q), torch.tensor(cov_q))).numpy()
    c = 10.0**log_c
    got = np.asarray(info.kl_mvn(math.sqrt(c) * mu_p, c * cov_p, math.sqrt(c) * mu_q, c * cov_q))
    assert got.shape == batch and np.all(np.isfinite(got)) and np.all(got >= 0)
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)
    same = np.asarray(info.kl_mvn(mu_p, c * cov_p, mu_p, c * cov_p))
    assert np.all(same >= 0.0) and np.all(same < 1e-25)
    if k == 1:
        np.testing.assert_allclose(got, info.kl_normal(mu_p[..., 0], np.sqrt(cov_p[..., 0, 0]),
                                                       mu_q[..., 0], np.sqrt(cov_q[..., 0, 0])), rtol=1e-12)


@WIDE
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e4, 709)), min_size=1, max_size=5))
def test_kl_standard_normal_numpy_and_torch_match_mpmath(pairs) -> None:
    mu, log_var = np.array(pairs).T
    with mpmath.workdps(DPS):
        ref = float(sum((mpmath.exp(mpmath.mpf(lv)) - 1 - mpmath.mpf(lv) + mpmath.mpf(m) ** 2) / 2
                        for m, lv in zip(mu, log_var)))
    if ref > MAX:
        with pytest.raises(ValueError, match="overflows float64"):
            info.kl_standard_normal(mu, log_var)
        return
    got = float(info.kl_standard_normal(mu, log_var))
    assert math.isfinite(got) and got >= 0
    assert got == pytest.approx(ref, rel=1e-12, abs=1e-300)
    t_mu = torch.tensor(mu, dtype=torch.float64, requires_grad=True)
    t_lv = torch.tensor(log_var, dtype=torch.float64, requires_grad=True)
    t_kl = vae.kl_std_normal(t_mu, t_lv)
    t_value = float(t_kl.detach())
    assert t_value >= 0 and t_value == pytest.approx(ref, rel=1e-12, abs=1e-15 * len(pairs))
    t_kl.backward()  # still differentiable
    if np.all(np.abs(log_var) < 30) and np.all(np.abs(mu) < 1e3):
        ref_torch = torch_kl(Normal(torch.tensor(mu), torch.exp(0.5 * torch.tensor(log_var))),
                             Normal(torch.zeros(len(mu), dtype=torch.float64), torch.ones(len(mu), dtype=torch.float64)))
        assert got == pytest.approx(float(ref_torch.sum()), rel=1e-9, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.floats(-300, 300), st.floats(-1e4, 1e4), st.floats(-5, 5), st.floats(0.3, 3))
def test_kl_continuous_finds_the_mass_at_any_location_and_scale(log_sigma: float, offset: float, d: float,
                                                                r: float) -> None:
    """KL(N(mu, s^2) || N(mu + d s, (r s)^2)) by quadrature, with s from 1e-300 to 1e300 and mu up to
    1e4 s from 0, equals the closed form (to 1e-8, plus the float64 resolution of x near mu)."""
    s = 10.0**log_sigma
    mu = offset * s
    p, q = scipy.stats.norm(mu, s), scipy.stats.norm(mu + d * s, r * s)
    exact = float(info.kl_normal(mu, s, mu + d * s, r * s))
    got = info.kl_continuous(p.logpdf, q.logpdf)
    resolution = 8 * np.finfo(float).eps * abs(offset) * (1 + abs(d) / r**2)
    assert got >= 0 and got == pytest.approx(exact, rel=1e-8 + resolution, abs=1e-12)


@WIDE
@given(st.lists(st.tuples(st.floats(-30, 30), st.floats(-30, 30), st.floats(-1e3, 1e3)), min_size=1, max_size=6),
       st.sampled_from(["numpy32", "torch32", "torch64"]))
def test_kl_normal_accepts_float32_and_torch_and_computes_in_float64(rows, kind) -> None:
    """float32 arrays and torch tensors (with requires_grad) give the float64 KL of the same numbers."""
    log_sp, log_sq, z = (np.array(c) for c in zip(*rows))
    s_p, s_q = 10.0**log_sp, 10.0**log_sq
    mu_p, mu_q = z * s_q, np.zeros_like(z)
    args = [mu_p, s_p, mu_q, s_q]
    if kind == "numpy32":
        cast = [a.astype(np.float32) for a in args]
    else:
        dtype = torch.float32 if kind == "torch32" else torch.float64
        cast = [torch.tensor(a, dtype=dtype, requires_grad=True) for a in args]
    same_values = [np.asarray(c.detach() if isinstance(c, torch.Tensor) else c, dtype=np.float64) for c in cast]
    got = np.asarray(info.kl_normal(*cast))
    assert got.dtype == np.float64 and got.shape == z.shape and np.all(got >= 0)
    np.testing.assert_array_equal(got, info.kl_normal(*same_values))


def test_a_gaussian_kl_just_below_the_float64_limit_is_computed_not_refused() -> None:
    """Cases the property tests found: the KL is representable but a term or the sum of the terms
    before halving is not (sigma_p / sigma_q = 1.78e154; three log-variances 708, 709, 709)."""
    with mpmath.workdps(DPS):
        s_q = 5.623413251903491e-155
        ref = _mp_kl_normal(0.0, 1.0, 0.0, s_q)
        assert float(info.kl_normal(0.0, 1.0, 0.0, s_q)) == pytest.approx(float(ref), rel=1e-12)
        log_var = [708.0, 709.0, 709.0]
        ref = sum((mpmath.exp(mpmath.mpf(lv)) - 1 - mpmath.mpf(lv)) / 2 for lv in log_var)
        assert float(info.kl_standard_normal(np.zeros(3), np.array(log_var))) == pytest.approx(float(ref), rel=1e-12)
    with pytest.raises(ValueError, match="overflows float64"):
        info.kl_standard_normal(np.zeros(1), np.array([710.6]))  # e^710.6 / 2 > 1.8e308
