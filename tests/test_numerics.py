"""Tests for genmath.numerics: quadrature that locates the mass, checks scipy's error estimate and
raises when the result cannot be trusted. References: closed forms, scipy.stats CDFs, scipy.special
and mpmath (50 digits), none of which share code with the helper."""

from __future__ import annotations

import doctest
import math

import mpmath
import numpy as np
import pytest
import scipy.integrate
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from genmath import numerics
from genmath.gan import gaussian_mixture_1d
from genmath.numerics import Integral, Mass, QuadratureError, integral, integrate, locate

PROPS = settings(max_examples=40, deadline=None)

# log10 of a scale in [1e-300, 1e300]; locations are a multiple of the scale (float64 cannot resolve
# a scale much below 1e-11 |loc|, see test_scale_below_float_resolution_is_refused).
log_scales = st.floats(min_value=-300, max_value=300)
offsets = st.floats(min_value=-1e6, max_value=1e6)


def test_docstring_examples() -> None:
    assert doctest.testmod(numerics, raise_on_error=True).attempted >= 2


# ---------------------------------------------------------------------------------------------
# The reproducers of issue 16: far-off mass
# ---------------------------------------------------------------------------------------------

def test_mass_far_from_the_origin_is_found_from_the_distribution() -> None:
    p = scipy.stats.norm(1000, 1)
    assert scipy.integrate.quad(p.pdf, -np.inf, np.inf)[0] == 0.0  # what a bare quad returns
    assert integrate(p.pdf, name="mass") == pytest.approx(1.0, abs=1e-13)
    assert integrate(lambda x: x * p.pdf(x), name="mean", loc=1000, scale=1) == pytest.approx(1000, rel=1e-14)


def test_break_point_far_from_the_mass_does_not_hide_it() -> None:
    p = scipy.stats.norm(1000, 1)
    assert integrate(p.pdf, points=[-50], name="mass") == pytest.approx(1.0, abs=1e-13)


# ---------------------------------------------------------------------------------------------
# Properties over wide ranges
# ---------------------------------------------------------------------------------------------

@PROPS
@given(log_scales, offsets, st.floats(min_value=-4, max_value=4), st.floats(min_value=0.01, max_value=6))
def test_gaussian_interval_mass_matches_scipy_cdf(log_sigma: float, offset: float, a: float,
                                                  width: float) -> None:
    """Over sigma from 1e-300 to 1e300 and locations up to 1e6 sigma away from 0, the mass of the
    whole line is 1 and the mass of [mu + a sigma, mu + (a + w) sigma] matches scipy's CDF."""
    sigma = 10.0**log_sigma
    mu = offset * sigma
    p = scipy.stats.norm(mu, sigma)
    # float64 spaces x near mu by ulp(mu) ~ 2.2e-16 |offset| sigma: that alone perturbs the result
    # by about 2.2e-16 |offset| (relative), whatever the quadrature does.
    resolution = 8 * np.finfo(float).eps * abs(offset)
    total = integral(p.pdf, name="mass")
    assert math.isfinite(total.value) and total.value == pytest.approx(1.0, abs=1e-12 + resolution)
    lo, hi = mu + a * sigma, mu + (a + width) * sigma
    ref = scipy.special.ndtr(a + width) - scipy.special.ndtr(a)
    assert integrate(p.pdf, lo, hi, name="interval mass") == pytest.approx(ref, rel=1e-9 + resolution / ref)


@settings(max_examples=15, deadline=None)
@given(log_scales, st.floats(min_value=-50, max_value=50))
def test_heavy_tails_are_integrated_to_their_end(log_scale: float, offset: float) -> None:
    """Cauchy: infinite variance; located by its median and half its interquartile range."""
    scale = 10.0**log_scale
    p = scipy.stats.cauchy(offset * scale, scale)
    assert integrate(p.pdf, name="Cauchy mass") == pytest.approx(1.0, abs=1e-10)
    assert integrate(p.pdf, offset * scale, math.inf, name="Cauchy right half") == pytest.approx(0.5, abs=1e-10)


def test_divergent_integral_is_refused() -> None:
    """E|x - m| of a Cauchy distribution is infinite: the quadrature must refuse, not return a number."""
    p = scipy.stats.cauchy(2.0, 3.0)
    with pytest.raises(QuadratureError, match=r"quadrature of E\|x - m\| cannot be trusted"):
        integrate(lambda x: abs(x - 2.0) * p.pdf(x), name="E|x - m|", mass_of={"p": p.pdf})


@settings(max_examples=20, deadline=None)
@given(st.floats(min_value=-3, max_value=3), st.floats(min_value=-1, max_value=1),
       st.floats(min_value=0.5, max_value=3))
def test_against_mpmath(shift: float, log_scale: float, power: float) -> None:
    """An integrand without a closed form, against mpmath.quad at 30 digits (split at its kinks)."""
    scale = 10.0**log_scale

    def f(x: float) -> float:
        return math.exp(-abs((x - shift) / scale) ** power) / (1.0 + x * x)

    with mpmath.workdps(30):
        ref = mpmath.quad(lambda x: mpmath.exp(-abs((x - shift) / scale) ** power) / (1 + x * x),
                          sorted({-mpmath.inf, mpmath.mpf(shift), mpmath.mpf(0), mpmath.inf}))
    got = integrate(f, name="exp(-|x|^a) / (1 + x^2)", loc=shift, scale=scale, points=[shift])
    assert got == pytest.approx(float(ref), rel=1e-9)


def test_tiny_integral_is_relative_accurate() -> None:
    """No absolute floor: an integral of size 1e-200 is still known to relative accuracy."""
    got = integral(lambda x: 1e-200 * scipy.stats.norm.pdf(x), name="tiny", loc=0, scale=1)
    assert got.value == pytest.approx(1e-200, rel=1e-12)
    assert got.error < 1e-210


def test_cancellation_is_judged_against_the_integral_of_abs_f() -> None:
    """The integral of an odd function is 0; its error is small relative to the integral of |f|."""
    got = integral(lambda x: x * scipy.stats.norm.pdf(x, 3.0, 1.0) - 3.0 * scipy.stats.norm.pdf(x, 3.0, 1.0),
                   name="E[x - 3]", loc=3.0, scale=1.0)
    assert abs(got.value) < 1e-12


# ---------------------------------------------------------------------------------------------
# Locating the mass
# ---------------------------------------------------------------------------------------------

def test_locate_scipy_and_mixtures() -> None:
    assert locate(scipy.stats.norm(3, 2).pdf) == Mass((3.0,), (2.0,), ())
    uniform = locate(scipy.stats.uniform(-1, 2).pdf)
    assert uniform is not None and uniform.points == (-1.0, 1.0)
    assert locate(scipy.stats.norm.cdf) == Mass((0.0,), (1.0,), ())  # the standard form
    mix = gaussian_mixture_1d([0.25, 0.75], [-3.0, 7.0], [0.5, 2.0])
    assert locate(mix.pdf) == Mass((-3.0, 7.0), (0.5, 2.0), ())
    assert locate(mix.pdf, scipy.stats.norm(0, 1).pdf).loc == (-3.0, 7.0, 0.0)
    # Cannot say: plain functions, a distribution that needs shape parameters; one unknown is enough.
    assert locate(lambda x: x) is None
    assert locate(scipy.stats.gamma.pdf) is None
    assert locate(scipy.stats.norm(0, 1).pdf, lambda x: x) is None


def test_support_edges_are_break_points() -> None:
    u = scipy.stats.uniform(2, 3)
    got = integral(u.pdf, name="uniform mass")
    assert got.value == pytest.approx(1.0, abs=1e-14)
    assert integrate(lambda x: x * u.pdf(x), name="uniform mean", loc=3.5, scale=1.0, points=[2, 5]) == (
        pytest.approx(3.5, rel=1e-13))


def test_mixture_with_far_apart_narrow_components() -> None:
    mix = gaussian_mixture_1d([0.5, 0.5], [-1e4, 1e4], [1e-3, 1e-3])
    resolution = 8 * math.ulp(1e4) / 1e-3  # x near 1e4 is spaced by ulp(1e4) ~ 1.8e-12
    assert integrate(mix.pdf, name="mixture mass") == pytest.approx(1.0, abs=1e-13 + resolution)
    assert integrate(mix.cdf, -2e4, 2e4, name="integral of the CDF", loc=[-1e4, 1e4], scale=1e-3) == (
        pytest.approx(2e4, rel=1e-12))  # = E[2e4 - x] = 2e4


def test_evaluations_are_counted_and_returned() -> None:
    out = integral(math.cos, 0.0, math.pi / 2, name="cos")
    assert isinstance(out, Integral)
    assert out.value == pytest.approx(1.0, abs=1e-15) and out.evaluations > 0 and out.error < 1e-12


# ---------------------------------------------------------------------------------------------
# Errors: loud, located, naming the argument or what was integrated
# ---------------------------------------------------------------------------------------------

def test_infinite_range_without_a_location_is_refused() -> None:
    with pytest.raises(ValueError, match=r"cannot tell where the mass of my density is on \[-inf, inf\]: "
                                         r"`f` is not a method of a scipy.stats distribution .*pass `loc` and `scale`"):
        integrate(lambda x: math.exp(-x * x), name="my density")
    with pytest.raises(ValueError, match="cannot tell where the mass of tail is on \\[0, inf\\]"):
        integrate(lambda x: math.exp(-x), 0.0, math.inf, name="tail")
    # mass_of: every named function must be located; the message names those that are not.
    p = scipy.stats.norm(0, 1)
    with pytest.raises(ValueError, match="`q`, `r` are not a method"):
        integrate(p.pdf, name="JSD", mass_of={"p": p.pdf, "q": lambda x: x, "r": math.cos})
    assert integrate(lambda x: p.pdf(x) ** 2, name="int p^2", mass_of={"p": p.pdf}) == pytest.approx(
        1 / (2 * math.sqrt(math.pi)), rel=1e-13)
    # loc/scale complete what cannot be located; a finite range needs nothing.
    assert integrate(lambda x: math.exp(-x), 0.0, math.inf, name="tail", loc=0.0, scale=1.0) == (
        pytest.approx(1.0, rel=1e-13))
    assert integrate(lambda x: math.exp(-x), 0.0, 50.0, name="tail") == pytest.approx(-math.expm1(-50), rel=1e-13)


def test_untrusted_results_raise_quadrature_error() -> None:
    with pytest.raises(QuadratureError, match=r"quadrature of 1/x cannot be trusted: value .* error estimate"):
        integrate(lambda x: 1.0 / x, 0.0, 1.0, name="1/x")
    with pytest.raises(QuadratureError, match=r"quadrature of one .* probably divergent"):
        integrate(lambda x: 1.0, 0.0, math.inf, name="one", loc=0.0, scale=1.0)
    assert issubclass(QuadratureError, RuntimeError)


def test_jump_is_trusted_only_with_a_break_point_or_looser_tolerance() -> None:
    def step(x: float) -> float:
        return 1.0 if x < 1 / 3 else 0.0

    assert integrate(step, 0.0, 1.0, name="step", points=[1 / 3]) == pytest.approx(1 / 3, abs=1e-15)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_integrand_names_the_point(value: float) -> None:
    with pytest.raises(ValueError, match=rf"the integrand of g is {value!r} at x = "):
        integrate(lambda x: value if x > 0.5 else 1.0, 0.0, 1.0, name="g")


def test_integrand_must_be_scalar() -> None:
    with pytest.raises(ValueError, match=r"must return one number per x; got shape \(2,\)"):
        integrate(lambda x: np.array([x, x]), 0.0, 1.0, name="pair")


@pytest.mark.parametrize("kwargs, message", [
    ({"lower": 1.0, "upper": 0.0}, "`lower` must be < `upper`; got 1.0 and 0.0"),
    ({"lower": math.nan}, "`lower` must be < `upper`; got nan"),
    ({"loc": 0.0}, "`scale` must be given together with `loc`"),
    ({"scale": 1.0}, "`loc` must be given together with `scale`"),
    ({"loc": 0.0, "scale": -1.0}, "`scale` must be > 0; got -1.0"),
    ({"loc": [0.0, 1.0, 2.0], "scale": [1.0, 2.0]}, r"shapes do not broadcast: `loc` \(3,\), `scale` \(2,\)"),
    ({"loc": math.nan, "scale": 1.0}, "`loc` must be finite; got nan"),
    ({"lower": 0.0, "upper": 1.0, "points": [2.0]}, r"`points` must be inside \[0, 1\]; got 2.0"),
    ({"lower": 0.0, "upper": 1.0, "rtol": 0.0}, r"`rtol` must be in \(0, 1\); got 0.0"),
    ({"lower": 0.0, "upper": 1.0, "atol": -1.0}, "`atol` must be >= 0; got -1.0"),
    ({"lower": 0.0, "upper": 1.0, "limit": 0}, r"`limit` must be an integer in \[1, inf\]; got 0"),
    ({"lower": 0.0, "upper": 1.0, "name": ""}, "`name` must be a non-empty string"),
])
def test_invalid_arguments_are_named(kwargs: dict, message: str) -> None:
    kwargs = {"name": "f", **kwargs}
    with pytest.raises(ValueError, match=message):
        integrate(math.cos, **kwargs)


def test_scale_below_float_resolution_is_refused() -> None:
    with pytest.raises(ValueError, match=r"`loc`/`scale`: the scale 1.0 is too small for float64 to resolve "
                                         r"at the location 1e\+300 to rtol = 1e-08"):
        integrate(math.cos, name="f", loc=1e300, scale=1.0)
    with pytest.raises(ValueError, match=r"`f`: the scale 1.0 is too small .* at least ulp\(loc\) / rtol = 1.64e\+12"):
        integrate(scipy.stats.norm(1e20, 1).pdf, name="far normal")
    # resolvable to a looser tolerance; and a component outside a finite range is not checked
    assert integrate(scipy.stats.norm(1e9, 1).pdf, name="far normal", rtol=1e-6) == pytest.approx(1.0, abs=1e-6)
    assert integrate(scipy.stats.norm(1e20, 1).pdf, -1.0, 1.0, name="far normal") == 0.0


# ---------------------------------------------------------------------------------------------
# vectorized=True: the same pieces and checks, scipy.integrate.cubature's Gauss-Kronrod rule
# ---------------------------------------------------------------------------------------------

@PROPS
@given(log_scales, offsets)
def test_vectorized_matches_scalar(log_sigma: float, offset: float) -> None:
    sigma = 10.0**log_sigma
    p = scipy.stats.norm(offset * sigma, sigma)
    resolution = 8 * np.finfo(float).eps * abs(offset)
    fast = integral(p.pdf, name="mass", vectorized=True)
    slow = integral(p.pdf, name="mass")
    assert fast.value == pytest.approx(1.0, abs=1e-12 + resolution)
    assert fast.value == pytest.approx(slow.value, abs=1e-12 + resolution)


def test_vectorized_calls_the_integrand_with_arrays_and_fewer_times() -> None:
    shapes = set()

    def f(x: np.ndarray) -> np.ndarray:
        shapes.add(np.shape(x))
        return scipy.stats.norm.pdf(x, 3.0, 2.0)

    got = integral(f, name="mass", loc=3.0, scale=2.0, vectorized=True)
    assert got.value == pytest.approx(1.0, abs=1e-13)
    assert all(len(s) == 1 and s[0] > 1 for s in shapes)


def test_vectorized_errors() -> None:
    with pytest.raises(ValueError, match=r"vectorized=True\) must return one number per x, shape \(\d+,\); got shape \(\)"):
        integrate(lambda x: 1.0, 0.0, 1.0, name="scalar", vectorized=True)
    with pytest.raises(ValueError, match=r"the integrand of g is nan at x = "):
        integrate(lambda x: np.where(x > 0.5, np.nan, 1.0), 0.0, 1.0, name="g", vectorized=True)
    with pytest.raises(QuadratureError, match=r"quadrature of 1/x cannot be trusted.*cubature did not converge"):
        integrate(lambda x: 1.0 / x, 0.0, 1.0, name="1/x", vectorized=True)
    with pytest.raises(QuadratureError, match="quadrature of one cannot be trusted"):
        integrate(lambda x: np.ones_like(x), 0.0, math.inf, name="one", loc=0.0, scale=1.0, vectorized=True)
    with pytest.raises(ValueError, match="`vectorized` must be True or False; got 1"):
        integrate(math.cos, 0.0, 1.0, name="f", vectorized=1)


def test_each_point_is_evaluated_once() -> None:
    """The rough pass and the accurate pass start from the same nodes: each x costs one call."""
    seen: list[float] = []

    def f(x: float) -> float:
        seen.append(x)
        return scipy.stats.norm.pdf(x, 2.0, 0.5) * (1.0 + math.sin(x) ** 2)

    got = integral(f, name="bump", loc=2.0, scale=0.5)
    assert len(seen) == len(set(seen)) == got.evaluations
