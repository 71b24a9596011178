"""Tests for genmath.flows: closed forms against scipy densities, quadrature, autograd Jacobians."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from genmath import flows

torch.set_num_threads(1)

SAS = [(0.0, 1.0), (0.5, 1.5), (-1.0, 0.6), (2.0, 3.0)]


# ---------------------------------------------------------------- change of variables, affine flow

def test_affine_log_prob_is_normal_log_pdf():
    x = np.linspace(-4, 6, 11)
    for mu, sigma in [(0.0, 1.0), (1.5, 0.3), (-2.0, -2.5)]:
        expected = stats.norm.logpdf(x, mu, abs(sigma))
        np.testing.assert_allclose(flows.affine_log_prob(x, mu, sigma), expected, rtol=1e-12)


def test_affine_both_directions_agree_and_log_dets_are_opposite():
    mu, sigma = 0.7, -1.8
    x = np.linspace(-3, 3, 9)
    z = flows.affine_inverse(x, mu, sigma)
    np.testing.assert_allclose(flows.affine_forward(z, mu, sigma), x, atol=1e-14)
    fwd = flows.affine_log_abs_det_forward(z, mu, sigma)
    inv = flows.affine_log_abs_det_inverse(x, mu, sigma)
    np.testing.assert_allclose(fwd, -inv, rtol=1e-14)
    np.testing.assert_allclose(fwd, np.log(1.8) * np.ones_like(x), rtol=1e-14)
    via_forward = flows.log_prob_via_forward(flows.standard_normal_log_prob(z), fwd)
    np.testing.assert_allclose(via_forward, flows.affine_log_prob(x, mu, sigma), rtol=1e-13)


def test_wrong_sign_of_log_det_does_not_normalise():
    """The sign matters: + log|det df/dz| (the classic error) gives a density integrating to sigma^2."""
    mu, sigma = 0.0, 2.0
    right = integrate.quad(lambda t: math.exp(flows.affine_log_prob(t, mu, sigma)), -np.inf, np.inf)[0]
    wrong = integrate.quad(
        lambda t: math.exp(flows.standard_normal_log_prob(flows.affine_inverse(t, mu, sigma))
                           + flows.affine_log_abs_det_forward(t, mu, sigma)), -np.inf, np.inf)[0]
    assert right == pytest.approx(1.0, rel=1e-10)
    assert wrong == pytest.approx(sigma**2, rel=1e-10)


def test_standard_normal_log_prob_event_dims():
    z = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_allclose(flows.standard_normal_log_prob(z, event_dims=1),
                               stats.multivariate_normal(np.zeros(3), np.eye(3)).logpdf(z), rtol=1e-12)
    with pytest.raises(ValueError, match="event_dims"):
        flows.standard_normal_log_prob(z, event_dims=3)


# ---------------------------------------------------------------- sinh-arcsinh flow

@pytest.mark.parametrize("epsilon,delta", SAS)
def test_sinh_arcsinh_round_trip_and_density_matches_jones_pewsey(epsilon, delta):
    x = np.linspace(-8, 8, 33)
    z = flows.sinh_arcsinh_inverse(x, epsilon, delta)
    np.testing.assert_allclose(flows.sinh_arcsinh_forward(z, epsilon, delta), x, rtol=1e-10, atol=1e-12)
    log_p = flows.sinh_arcsinh_log_prob(x, epsilon, delta)
    printed = flows.sinh_arcsinh_pdf_jones_pewsey(x, epsilon, delta)
    ok = printed > 1e-250  # where the printed density does not underflow
    assert ok.sum() >= 8
    np.testing.assert_allclose(log_p[ok], np.log(printed[ok]), rtol=1e-10, atol=1e-12)
    via_forward = flows.log_prob_via_forward(flows.standard_normal_log_prob(z),
                                             flows.sinh_arcsinh_log_abs_det_forward(z, epsilon, delta))
    np.testing.assert_allclose(via_forward, log_p, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("epsilon,delta", SAS)
def test_sinh_arcsinh_log_dets_match_autograd(epsilon, delta):
    x = torch.linspace(-5, 5, 21, dtype=torch.float64, requires_grad=True)
    z = torch.sinh(delta * torch.asinh(x) - epsilon)
    (dz_dx,) = torch.autograd.grad(z.sum(), x)
    np.testing.assert_allclose(flows.sinh_arcsinh_log_abs_det_inverse(x.detach().numpy(), epsilon, delta),
                               np.log(np.abs(dz_dx.numpy())), rtol=1e-10, atol=1e-12)
    zz = z.detach().clone().requires_grad_(True)
    x_back = torch.sinh((torch.asinh(zz) + epsilon) / delta)
    (dx_dz,) = torch.autograd.grad(x_back.sum(), zz)
    np.testing.assert_allclose(flows.sinh_arcsinh_log_abs_det_forward(zz.detach().numpy(), epsilon, delta),
                               np.log(np.abs(dx_dz.numpy())), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("epsilon,delta", SAS)
def test_sinh_arcsinh_integrates_to_one_and_matches_cdf(epsilon, delta):
    total, _err = flows.integrate_density_1d(lambda t: flows.sinh_arcsinh_log_prob(t, epsilon, delta),
                                             loc=0.0, scale=1.0)
    assert total == pytest.approx(1.0, abs=1e-8)
    a, b = -0.7, 1.3
    mass, _ = flows.integrate_density_1d(lambda t: flows.sinh_arcsinh_log_prob(t, epsilon, delta), a, b)
    cdf = flows.sinh_arcsinh_cdf(np.array([a, b]), epsilon, delta)
    assert mass == pytest.approx(cdf[1] - cdf[0], abs=1e-10)


def test_sinh_arcsinh_identity_and_validation():
    x = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(flows.sinh_arcsinh_log_prob(x, 0.0, 1.0), stats.norm.logpdf(x), rtol=1e-12)
    with pytest.raises(ValueError, match="`delta` must be > 0; got -1.0"):
        flows.sinh_arcsinh_log_prob(x, 0.0, -1.0)
    with pytest.raises(ValueError, match="`x` must be finite"):
        flows.sinh_arcsinh_log_prob([0.0, np.nan], 0.0, 1.0)
    with pytest.raises(ValueError, match="`sigma` must be non-zero"):
        flows.affine_log_prob(x, 0.0, 0.0)
    # huge arguments: log cosh must not overflow
    assert np.isfinite(flows.sinh_arcsinh_log_abs_det_inverse(1e300, 0.0, 3.0))


def test_change_of_variables_validation():
    with pytest.raises(ValueError, match="shapes do not broadcast"):
        flows.log_prob_via_inverse(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="`log_abs_det_forward` must be finite"):
        flows.log_prob_via_forward(0.0, np.inf)


# ---------------------------------------------------------------- affine coupling and RealNVP

def _coupling(mask, seed=1):
    layer = flows.make_affine_coupling(len(mask), np.array(mask, float), hidden=8, seed=seed).double()
    with torch.no_grad():  # make s and t clearly non-zero
        for p in layer.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return layer


@pytest.mark.parametrize("mask", [[1, 0], [0, 1], [1, 0, 1, 0], [0, 0, 1]])
def test_coupling_log_det_matches_autograd_jacobian(mask):
    layer = _coupling(mask)
    u = torch.randn(5, len(mask), dtype=torch.float64)
    _v, log_det = layer(u)
    b = torch.tensor(mask, dtype=torch.bool)
    for n in range(u.shape[0]):
        jac = torch.autograd.functional.jacobian(lambda w: layer(w)[0], u[n])
        _sign, logabs = torch.linalg.slogdet(jac)
        assert float(logabs) == pytest.approx(float(log_det[n].detach()), abs=1e-12)
        # triangular structure: kept outputs do not depend on transformed inputs, and are copied
        assert torch.all(jac[b][:, ~b] == 0)
        assert torch.allclose(jac[b][:, b], torch.eye(int(b.sum()), dtype=torch.float64))
        # the diagonal of the transformed block is exp(s)
        s, _ = layer.s_and_t(u[n])
        assert torch.allclose(torch.diagonal(jac)[~b], torch.exp(s[~b]), rtol=1e-12)
        assert torch.allclose(jac[~b][:, ~b], torch.diag(torch.exp(s[~b])), rtol=1e-12)


def test_coupling_inverse():
    layer = _coupling([0, 1, 1])
    u = torch.randn(7, 3, dtype=torch.float64)
    v, log_det = layer(u)
    u_back, log_det_inv = layer.inverse(v)
    assert torch.allclose(u_back, u, atol=1e-12)
    assert torch.allclose(log_det_inv, -log_det, atol=1e-12)


def test_coupling_validation():
    with pytest.raises(ValueError, match="`mask` must be binary with at least one 0 and one 1"):
        flows.make_affine_coupling(2, [1.0, 1.0])
    with pytest.raises(ValueError, match="`mask` must be binary"):
        flows.make_affine_coupling(2, [0.5, 1.0])
    with pytest.raises(ValueError, match=r"`mask` must be a vector of shape \(3,\)"):
        flows.make_affine_coupling(3, [0.0, 1.0])
    with pytest.raises(ValueError, match="`dim` must be an integer in"):
        flows.make_affine_coupling(1, [1.0])


def _realnvp():
    flow = flows.make_realnvp(2, 4, hidden=8, seed=3).double()
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.2 * torch.randn_like(p))
    return flow


def test_realnvp_log_prob_matches_full_jacobian_and_directions_agree():
    flow = _realnvp()
    x = torch.randn(6, 2, dtype=torch.float64)
    log_p = flow.log_prob(x)
    z, log_det_inverse = flow.to_latent(x)
    x_back, log_det_forward = flow.to_data(z)
    assert torch.allclose(x_back, x, atol=1e-10)
    assert torch.allclose(log_det_forward, -log_det_inverse, atol=1e-10)
    base = torch.distributions.MultivariateNormal(torch.zeros(2, dtype=torch.float64),
                                                  torch.eye(2, dtype=torch.float64))
    for n in range(x.shape[0]):
        jac = torch.autograd.functional.jacobian(lambda w: flow.to_latent(w)[0], x[n])
        expected = base.log_prob(z[n]) + torch.linalg.slogdet(jac)[1]
        assert float(log_p[n].detach()) == pytest.approx(float(expected.detach()), abs=1e-10)
        jac_f = torch.autograd.functional.jacobian(lambda w: flow.to_data(w)[0], z[n])
        forward = base.log_prob(z[n]) - torch.linalg.slogdet(jac_f)[1]
        assert float(log_p[n].detach()) == pytest.approx(float(forward.detach()), abs=1e-10)


def test_realnvp_density_integrates_to_one():
    flow = _realnvp()
    total, _err = flows.integrate_density_2d(lambda p: flows.flow_log_prob_numpy(flow, p), [-12, -12], [12, 12],
                                            rtol=1e-5)
    assert total == pytest.approx(1.0, abs=2e-4)


def test_train_flow_reduces_nll_and_validates():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(500, 2)) * [2.0, 0.5] + [1.0, -1.0]
    flow = flows.make_realnvp(2, 2, hidden=8, seed=0)
    history = flows.train_flow(flow, data, steps=150, batch_size=64, lr=1e-2)
    assert np.mean(history[-20:]) < np.mean(history[:20]) - 0.3
    exact = -stats.multivariate_normal([1.0, -1.0], np.diag([4.0, 0.25])).logpdf(data).mean()
    assert -flows.flow_log_prob_numpy(flow, data).mean() == pytest.approx(exact, abs=0.2)
    with pytest.raises(ValueError, match=r"`data` must be an array of shape \(n, 2\)"):
        flows.train_flow(flow, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="`steps` must be an integer"):
        flows.train_flow(flow, data, steps=0)


def test_integrate_density_2d_on_a_gaussian_and_validation():
    cov = np.array([[1.0, 0.3], [0.3, 0.5]])
    total, _ = flows.integrate_density_2d(lambda p: stats.multivariate_normal([0, 0], cov).logpdf(p),
                                          [-10, -10], [10, 10])
    assert total == pytest.approx(1.0, abs=1e-7)
    with pytest.raises(ValueError, match="`hi` must be"):
        flows.integrate_density_2d(lambda p: p[:, 0], [0, 0], [0, 1])


# ---------------------------------------------------------------- dequantisation

def test_dequantisation_bound_closed_form_and_jensen():
    mu, s = 100.3, 7.0
    x = np.arange(70, 131)
    bound = flows.dequantized_log_density_bound(lambda y: stats.norm.logpdf(y, mu, s), x)
    # E_u[(x + u - mu)^2] = (x + 1/2 - mu)^2 + 1/12 for u ~ U[0, 1)
    closed = -0.5 * np.log(2 * np.pi * s**2) - ((x + 0.5 - mu) ** 2 + 1 / 12) / (2 * s**2)
    np.testing.assert_allclose(bound, closed, rtol=1e-10)
    exact = flows.discrete_log_prob_from_cdf(lambda y: special.ndtr((y - mu) / s), x)
    assert np.all(bound <= exact)
    np.testing.assert_allclose(np.exp(exact).sum(), stats.norm.cdf(131, mu, s) - stats.norm.cdf(70, mu, s),
                               rtol=1e-10)


def test_rescaled_log_density_and_validation():
    assert flows.rescaled_log_density(-3.0, 256, 3) == pytest.approx(-3.0 + 3 * math.log(256))
    # the uniform density on [0, 256) becomes the uniform density on [0, 1): log-density 0
    assert flows.rescaled_log_density(-math.log(256), 256, 1) == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError, match="`x_int` must be integer-valued; got 1.5"):
        flows.discrete_log_prob_from_cdf(special.ndtr, [1.0, 1.5])
    with pytest.raises(ValueError, match="`n_bins` must be an integer"):
        flows.rescaled_log_density(0.0, 1, 1)


# ---------------------------------------------------------------- issue 16: edges

def _mp_log_bin(x: float, mu: float, s: float) -> float:
    """log(Phi((x + 1 - mu)/s) - Phi((x - mu)/s)) by mpmath at 60 digits: the difference of ncdf (erfc
    in the upper tail), or, for a bin narrower than 1e-6 standard deviations (where that difference
    would cancel), the integral of the density over it."""
    with mpmath.workdps(60):
        # standardised edges; beyond 1e4 the normal tail (below e^-5e7) is negligible against any bin
        # that starts within 1e3 standard deviations, and mpmath's erfc cannot take 1e155
        a_exact = (mpmath.mpf(x) - mu) / s
        width = 1 / mpmath.mpf(s)  # the bin's width in standard deviations, exactly
        a = max(min(a_exact, 10**4), -(10**4))
        b = max(min(a_exact + width, 10**4), -(10**4))
        if width < 1e-6:  # narrow against the scale: integrate the density (a CDF difference would cancel)
            mass = width * mpmath.quad(lambda u: mpmath.npdf(a_exact + width * u), [0, 1])
        else:
            mass = mpmath.ncdf(b) - mpmath.ncdf(a) if b <= 0 else mpmath.ncdf(-a) - mpmath.ncdf(-b)
        return float(mpmath.log(mass))


def test_integrate_density_far_from_the_origin():
    """Issue 16: integrate_density_1d(norm(1000, 1).logpdf) returned 0."""
    value, error = flows.integrate_density_1d(stats.norm(1000, 1).logpdf)
    assert value == pytest.approx(1.0, abs=1e-13) and error < 1e-10
    with pytest.raises(ValueError, match=r"cannot tell where the mass of the integral of exp\(log_prob\) is on "
                                         r"\[-inf, inf\]: `log_prob` is not a method"):
        flows.integrate_density_1d(lambda t: stats.norm.logpdf(t, 1000, 1))
    with pytest.raises(ValueError, match=r"`log_prob` must be a log-density \(not NaN, not \+inf\); got nan at x = "):
        flows.integrate_density_1d(lambda t: math.nan, 0.0, 1.0)


def test_discrete_log_prob_in_both_tails():
    """Issue 16: discrete_log_prob_from_cdf(norm.cdf, [-39., 9.]) returned [-inf, -inf]."""
    got = flows.discrete_log_prob_from_cdf(stats.norm.cdf, [-39.0, 9.0])
    np.testing.assert_allclose(got, [_mp_log_bin(-39, 0, 1), _mp_log_bin(9, 0, 1)], rtol=1e-13)
    np.testing.assert_allclose(got, [-726.6, -43.6], rtol=1e-3)  # the values quoted in the issue


def test_discrete_log_prob_refuses_what_a_plain_cdf_cannot_give():
    with pytest.raises(ValueError, match=r"`cdf` must be non-decreasing; got 0.158\d+ as cdf\(1\) < cdf\(0\) = 0.5"):
        flows.discrete_log_prob_from_cdf(lambda y: special.ndtr(-y), [0.0])  # was nan
    with pytest.raises(ValueError, match=r"`cdf` must be non-decreasing"):
        flows.discrete_log_prob_from_cdf(stats.norm.sf, [0.0])  # a survival function is not a cdf
    with pytest.raises(ValueError, match=r"`x_int` must be where F\(x \+ 1\) - F\(x\) is representable .*; got 9.0 "
                                         r"\(F\(x\) = 1.0, F\(x \+ 1\) = 1.0: the difference underflows or is 0\); "
                                         r"pass `sf`"):
        flows.discrete_log_prob_from_cdf(special.ndtr, [0.0, 9.0])
    with pytest.raises(ValueError, match=r"the difference cancels"):
        flows.discrete_log_prob_from_cdf(special.ndtr, [6.0])
    with pytest.raises(ValueError, match=r"`cdf` must be a CDF with values in \[0, 1\]; got 2.0"):
        flows.discrete_log_prob_from_cdf(lambda y: np.full(np.shape(y), 2.0), [0.0])
    # with the survival function the upper tail is exact again
    got = flows.discrete_log_prob_from_cdf(special.ndtr, [-3.0, 6.0, 9.0], sf=lambda y: special.ndtr(-y))
    np.testing.assert_allclose(got, [_mp_log_bin(x, 0, 1) for x in (-3, 6, 9)], rtol=1e-12)


def test_dequantized_bound_needs_integers():
    with pytest.raises(ValueError, match="`x_int` must be integer-valued; got 0.5"):
        flows.dequantized_log_density_bound(stats.norm(0, 1).logpdf, [0.5])  # was -1.46


@settings(max_examples=100, deadline=None)
@given(st.floats(-300, 300), st.floats(-1e3, 1e3), st.integers(-10**6, 10**6))
def test_discrete_log_prob_matches_mpmath_anywhere(log_s: float, z: float, x: int):
    """Bins anywhere in the distribution, from the centre to 1e3 standard deviations out, for sigma
    from 1e-300 to 1e300: finite (or -inf exactly when the mass underflows below 1e-308 ... never
    here, logs are used) and within 1e-11 of mpmath."""
    s = 10.0**log_s
    mu = float(x) - z * s  # so that (x - mu) / s = z
    ref = _mp_log_bin(x, mu, s)
    got = float(flows.discrete_log_prob_from_cdf(stats.norm(mu, s).cdf, [float(x)])[0])
    assert got <= 0.0
    resolution = 8 * np.finfo(float).eps * (abs(x) + abs(mu)) / s * (abs(z) + 1)  # (x - mu) / s in float64
    assert got == pytest.approx(ref, rel=1e-11 + resolution, abs=1e-12)


# ---------------------------------------------------------------- NICE, Glow, MAF/IAF, Hutchinson

def _perturb(module, scale=0.4, seed=0):
    """Move every parameter away from its initial value, so no Jacobian is trivially the identity."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return module


def _autograd_log_det(fn, x):
    """log|det| of the Jacobian of fn at x (flattened), by torch.autograd and slogdet."""
    jac = torch.autograd.functional.jacobian(lambda v: fn(v.view_as(x)).reshape(-1), x.reshape(-1))
    return float(torch.linalg.slogdet(jac)[1]), jac


def test_additive_coupling_preserves_volume_and_inverts():
    layer = _perturb(flows.make_additive_coupling(4, np.array([1.0, 0.0, 1.0, 0.0]), hidden=8, seed=0).double())
    u = torch.randn(4, dtype=torch.float64)
    log_det, jac = _autograd_log_det(lambda w: layer(w)[0], u)
    assert abs(log_det) < 1e-12 and float(layer(u)[1]) == 0.0
    np.testing.assert_allclose(torch.diagonal(jac).numpy(), np.ones(4), atol=1e-14)  # unit diagonal
    v = layer(u)[0].detach()
    assert float((layer.inverse(v)[0] - u).detach().abs().max()) < 1e-14
    assert float((v - u)[0::2].abs().max()) == 0.0 and float((v - u)[1::2].abs().max()) > 1e-3


def test_nice_realnvp_log_prob_matches_autograd_change_of_variables():
    flow = _perturb(flows.make_realnvp(2, 3, hidden=8, seed=1, coupling="additive", scaling=True).double())
    x = torch.tensor([[0.3, -0.8]], dtype=torch.float64)
    log_det, _ = _autograd_log_det(lambda v: flow.to_latent(v)[0], x)
    z = flow.to_latent(x)[0].detach()
    expected = float(torch.distributions.Normal(0.0, 1.0).log_prob(z).sum()) + log_det
    assert float(flow.log_prob(x)) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="coupling"):
        flows.make_realnvp(2, 2, coupling="spline")


def test_actnorm_initialisation_and_log_det():
    torch.manual_seed(0)
    x = torch.randn(64, 3, 4, 5, dtype=torch.float64) * torch.tensor([0.5, 2.0, 3.0]).view(1, 3, 1, 1) + 1.5
    act = flows.make_actnorm(3).double().initialize(x)
    y = act(x)[0]
    flat = y.transpose(0, 1).reshape(3, -1)
    np.testing.assert_allclose(flat.mean(1).detach().numpy(), 0.0, atol=1e-12)
    np.testing.assert_allclose(flat.std(1, unbiased=False).detach().numpy(), 1.0, rtol=1e-12)
    one = x[:1]
    log_det, _ = _autograd_log_det(lambda v: act(v)[0], one)
    assert float(act(one)[1]) == pytest.approx(log_det, rel=1e-12)
    std = x.transpose(0, 1).reshape(3, -1).std(1, unbiased=False).numpy()
    assert float(act(one)[1]) == pytest.approx(-20 * float(np.log(std).sum()), rel=1e-10)  # h w sum log s, s = 1/std
    assert float((act.inverse(y)[0] - x).abs().max()) < 1e-12
    with pytest.raises(ValueError, match="x"):
        act(torch.randn(2, 4, dtype=torch.float64))


@pytest.mark.parametrize("lu", [True, False])
def test_conv1x1_log_det_is_h_w_log_det_w_by_autograd(lu: bool):
    conv = _perturb(flows.make_invertible_conv1x1(4, lu=lu, seed=3).double(), scale=0.3)
    x = torch.randn(1, 4, 2, 3, dtype=torch.float64)
    log_det, _ = _autograd_log_det(lambda v: conv(v)[0], x)
    assert float(conv(x)[1]) == pytest.approx(log_det, rel=1e-10)
    w = conv.weight().detach().numpy()
    assert float(conv(x)[1]) == pytest.approx(6 * np.linalg.slogdet(w)[1], rel=1e-10)  # numpy's LU
    assert float((conv.inverse(conv(x)[0])[0] - x).abs().max()) < 1e-12
    if lu:  # the parameterisation's W is P L (U + diag s) with its triangular factors
        assert float(conv.log_abs_det_weight()) == pytest.approx(np.linalg.slogdet(w)[1], rel=1e-10)


@pytest.mark.parametrize("kind", ["maf", "iaf"])
def test_autoregressive_flow_jacobian_triangular_and_passes_counted(kind: str):
    dim = 5
    flow = _perturb(flows.make_autoregressive_flow(dim, kind, hidden=12, seed=2).double(), scale=0.3)
    x = torch.randn(1, dim, dtype=torch.float64)
    log_det, jac = _autograd_log_det(lambda v: flow.to_latent(v)[0], x)
    assert float(torch.triu(jac, 1).abs().max()) == 0.0  # z_i depends on x_1..x_i only
    z, ld = flow.to_latent(x)
    assert float(ld) == pytest.approx(log_det, rel=1e-10)
    expected = float(torch.distributions.MultivariateNormal(torch.zeros(dim, dtype=torch.float64),
                                                            torch.eye(dim, dtype=torch.float64)).log_prob(z)) + log_det
    assert float(flow.log_prob(x)) == pytest.approx(expected, rel=1e-12)
    counts = flows.autoregressive_flow_passes(kind, dim)
    flow.passes = 0
    flow.log_prob(x)
    assert flow.passes == counts["density"]
    flow.passes = 0
    x_back = flow.to_data(z)[0]
    assert flow.passes == counts["sampling"]
    assert float((x_back - x).abs().max()) < 1e-12


def test_autoregressive_flow_refuses_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        flows.make_autoregressive_flow(3, "made")
    with pytest.raises(ValueError, match="kind"):
        flows.autoregressive_flow_passes("nice", 3)
    with pytest.raises(ValueError, match="dim"):
        flows.make_autoregressive_flow(1)


@pytest.mark.parametrize("noise", ["gaussian", "rademacher"])
def test_hutchinson_trace_unbiased_with_the_right_spread(noise: str):
    a = np.random.default_rng(4).normal(size=(6, 6))
    sym = (a + a.T) / 2
    # Var[e'Ae] = 2 tr(S^2) for Gaussian probes; 2 (tr(S^2) - sum S_ii^2) for Rademacher ones
    var = 2 * np.trace(sym @ sym) - (2 * np.sum(np.diag(sym) ** 2) if noise == "rademacher" else 0.0)
    est, se = flows.hutchinson_trace(a, 20000, noise=noise, seed=1)
    assert abs(est - np.trace(a)) < 4 * math.sqrt(var / 20000)
    assert se == pytest.approx(math.sqrt(var / 20000), rel=0.05)
    with pytest.raises(ValueError, match="noise"):
        flows.hutchinson_trace(a, 10, noise="uniform")
    with pytest.raises(ValueError, match="matrix"):
        flows.hutchinson_trace(np.ones((2, 3)), 10)
