r"""Numerical integration on the real line that says when its answer cannot be trusted.

:func:`integrate` (and :func:`integral`, which also returns the error estimate) wrap
``scipy.integrate.quad`` with three guarantees that a bare ``quad`` call does not give:

1. **It knows where the mass is.** ``quad`` on :math:`(-\infty, \infty)` samples the integrand near
   :math:`x = 0` at scale 1; an integrand living near :math:`x = 1000`, or at scale
   :math:`10^{-300}` or :math:`10^{300}`, is never seen and the answer is a silent 0. Here the range
   is cut at the mass: at every location ``loc``, at ``loc`` :math:`\pm` ``scale`` and ``loc``
   :math:`\pm 8` ``scale``, at the caller's ``points`` and at the edges of a distribution's support;
   finite pieces go to ``quad`` as they are, and each infinite tail is integrated in the variable
   :math:`v = (x - a)/s` scaled to the mass (:math:`\int_a^\infty f(x)\,dx = s\int_0^\infty f(a + s v)\,dv`).
   The locations and scales come from the caller (``loc``/``scale``), or, for the bound methods of
   ``scipy.stats`` distributions (``norm(1000, 1).pdf``, ``.logpdf``, ``.cdf``) and of
   :class:`genmath.gan.GaussianMixture1D`, from the distributions themselves (:func:`locate`; the
   integrand ``f``, or the functions named in ``mass_of`` such as the two densities of a divergence).
   A range with an infinite end and no location is refused (``ValueError``): there is no way to know
   where to look.
   So is a scale below ``ulp(loc) / rtol``: float64 spaces the points near ``loc`` by ``ulp(loc)``,
   which alone perturbs the integral by about ``ulp(loc) / scale`` (relative), whatever ``quad`` does.
2. **It checks scipy's error estimate.** The summed error estimate :math:`E` of the pieces must satisfy
   :math:`E \le \max(\mathrm{atol},\ \mathrm{rtol}\cdot M)`, where :math:`M = \sum_{\text{pieces}}
   |\int_{\text{piece}} f|` (a lower bound on :math:`\int |f|`, so cancellation between pieces is
   allowed for). If that fails, :math:`M` is recomputed as :math:`\int |f|` piece by piece (cancellation
   inside a piece), and if it still fails, :class:`QuadratureError` names what was integrated, the value,
   the error estimate and scipy's diagnosis. ``quad`` itself runs twice: a rough pass (one
   Gauss-Kronrod rule per piece, whose nodes the second pass reuses) measures the size :math:`M_0` of
   the integral, then each piece is asked for ``1e-4 * rtol`` relative accuracy or an absolute
   ``1e-4 * rtol * M_0 / (number of pieces)``, so a tiny integral is computed to relative accuracy too
   (no fixed absolute floor) and no time is spent on pieces that hold no mass. A piece that
   scipy reports as probably divergent is never trusted, whatever its error estimate. (With
   ``vectorized=True`` the engine is ``scipy.integrate.cubature``, same Gauss-Kronrod rule, same checks.)
3. **It refuses non-numbers.** An integrand value that is NaN or infinite raises ``ValueError`` naming
   the integral and the point ``x`` (quadrature cannot integrate through a non-finite value; the
   callers in genmath turn the meaningful cases, such as :math:`p(x) > 0 = q(x)` in a KL divergence,
   into an explicit ``inf`` before integrating).

Example::

    >>> import scipy.stats
    >>> from genmath.numerics import integrate
    >>> p = scipy.stats.norm(1000, 1)
    >>> round(integrate(lambda x: x * p.pdf(x), name="E[x]", loc=1000, scale=1), 9)
    1000.0
    >>> round(integrate(p.pdf, name="total mass"), 12)   # located from the distribution itself
    1.0

References: Piessens, de Doncker-Kapenga, Überhuber & Kahaner, *QUADPACK* (Springer, 1983) -- the
adaptive Gauss-Kronrod routines QAGS (finite ranges) and QAGI (infinite ranges) behind
``scipy.integrate.quad``, and their error estimates.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import scipy.integrate
from numpy.typing import ArrayLike, NDArray

from genmath import validate

__all__ = ["Integral", "Mass", "QuadratureError", "integral", "integrate", "locate"]

#: Where every located component of mass is cut, in multiples of its scale around its location.
BREAK_MULTIPLES = (-8.0, -1.0, 0.0, 1.0, 8.0)


class QuadratureError(RuntimeError):
    """The quadrature ran, but its error estimate says the result cannot be trusted."""


class Mass(NamedTuple):
    """Where the mass of an integrand sits: components at ``loc[i]`` with width ``scale[i]``, and
    ``points`` where it is not smooth (e.g. the edges of a uniform distribution's support)."""

    loc: tuple[float, ...]
    scale: tuple[float, ...]
    points: tuple[float, ...] = ()

    def __add__(self, other: object) -> Mass:  # type: ignore[override]
        if not isinstance(other, Mass):
            return NotImplemented
        return Mass(self.loc + other.loc, self.scale + other.scale, self.points + other.points)


class Integral(NamedTuple):
    """The value of an integral, scipy's (summed) error estimate, and the integrand evaluations used."""

    value: float
    error: float
    evaluations: int


# --------------------------------------------------------------------------------------------
# Locating the mass
# --------------------------------------------------------------------------------------------

def _scipy_mass(dist: Any) -> Mass | None:
    """Median, scale and finite support edges of a scipy.stats distribution (frozen, or the
    standard form of one without shape parameters); None if it cannot say."""
    try:
        with np.errstate(all="ignore"):
            centre = float(dist.median())
            width = float(dist.std())
            if not (math.isfinite(width) and width > 0):  # heavy tails (Cauchy): half the IQR
                width = 0.5 * float(dist.ppf(0.75) - dist.ppf(0.25))
            edges = [float(e) for e in dist.support()]
    except (TypeError, ValueError, AttributeError):  # e.g. a shape parameter is required
        return None
    if not (math.isfinite(centre) and math.isfinite(width) and width > 0):
        return None
    return Mass((centre,), (width,), tuple(e for e in edges if math.isfinite(e)))


def _mass_of(function: Callable[..., Any]) -> Mass | None:
    owner = getattr(function, "__self__", None)
    if owner is None:
        return None
    means, stds = getattr(owner, "means", None), getattr(owner, "stds", None)
    if means is not None and stds is not None:  # genmath.gan.GaussianMixture1D (its components)
        return Mass(tuple(float(m) for m in means), tuple(float(s) for s in stds))
    if all(callable(getattr(owner, a, None)) for a in ("median", "std", "ppf", "support")):
        return _scipy_mass(owner)
    return None


def locate(*functions: Callable[..., Any]) -> Mass | None:
    """Where the mass of ALL the given functions is, or None if any of them cannot say.

    Recognised: bound methods (``.pdf``, ``.logpdf``, ``.cdf``, ...) of ``scipy.stats`` frozen
    distributions (location = median, scale = standard deviation, or half the interquartile range when
    that is infinite; the finite edges of the support become break points) and of
    :class:`genmath.gan.GaussianMixture1D` (one component per mixture component).
    """
    found = Mass((), (), ())
    for function in functions:
        mass = _mass_of(function)
        if mass is None:
            return None
        found = found + mass
    return found


def _check_resolution(mass: Mass, what: str, rtol: float, lo: float, hi: float) -> None:
    """Refuse a component (inside the range) that float64 cannot resolve to ``rtol``: the points x
    near ``loc`` are spaced by ulp(loc), which perturbs the integral by about ulp(loc) / scale."""
    for loc, scale in zip(mass.loc, mass.scale):
        inside = loc + max(BREAK_MULTIPLES) * scale > lo and loc + min(BREAK_MULTIPLES) * scale < hi
        if inside and not scale * rtol >= math.ulp(loc):
            raise ValueError(f"{what}: the scale {scale!r} is too small for float64 to resolve at the "
                             f"location {loc!r} to rtol = {rtol:g} (x near it is spaced by "
                             f"{math.ulp(loc):.3g}); the scale must be at least ulp(loc) / rtol = "
                             f"{math.ulp(loc) / rtol:.3g}")


def _explicit_mass(loc: ArrayLike | None, scale: ArrayLike | None) -> Mass | None:
    if loc is None and scale is None:
        return None
    if loc is None or scale is None:
        missing, given = ("loc", "scale") if loc is None else ("scale", "loc")
        raise ValueError(f"`{missing}` must be given together with `{given}`; got `{given}` only")
    loc_arr = validate.array(loc, "loc")
    scale_arr = validate.positive(scale, "scale")
    loc_arr, scale_arr = validate.broadcast((loc_arr, "loc"), (scale_arr, "scale"))
    return Mass(tuple(float(v) for v in loc_arr.ravel()), tuple(float(v) for v in scale_arr.ravel()))


# --------------------------------------------------------------------------------------------
# The integral
# --------------------------------------------------------------------------------------------

def _find_mass(f: Callable[..., Any], lo: float, hi: float, name: str, loc: ArrayLike | None,
               scale: ArrayLike | None, mass_of: dict[str, Callable[..., Any]] | None,
               rtol: float) -> Mass | None:
    """The caller's ``loc``/``scale`` together with whatever :func:`locate` finds in ``mass_of``
    (default: ``f`` itself); a ValueError if the range is infinite and nothing locates all the mass,
    or if float64 cannot resolve a component inside the range to ``rtol``."""
    explicit = _explicit_mass(loc, scale)
    found, missing = Mass((), (), ()), []
    for arg, function in ({"f": f} if mass_of is None else mass_of).items():
        mass = _mass_of(function)
        if mass is None:
            missing.append(f"`{arg}`")
        else:
            _check_resolution(mass, f"`{arg}`", rtol, lo, hi)
            found = found + mass
    if explicit is not None:
        _check_resolution(explicit, "`loc`/`scale`", rtol, lo, hi)
        return explicit + found
    if missing and (math.isinf(lo) or math.isinf(hi)):
        raise ValueError(
            f"cannot tell where the mass of {name} is on [{lo:g}, {hi:g}]: {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not a method of a scipy.stats distribution or of "
            f"genmath.gan.GaussianMixture1D; pass `loc` and `scale` (where the mass sits and how wide it "
            f"is, e.g. a distribution's mean and standard deviation) or finite limits")
    return found if found.loc or found.points else None


def _limits(lower: float, upper: float) -> tuple[float, float]:
    lo, hi = float(lower), float(upper)
    if math.isnan(lo) or math.isnan(hi) or not lo < hi:
        raise ValueError(f"`lower` must be < `upper`; got {lower!r} and {upper!r}")
    return lo, hi


def _breaks(lo: float, hi: float, mass: Mass | None, points: ArrayLike | None) -> list[float]:
    """Sorted distinct cut points strictly inside (lo, hi)."""
    cuts: set[float] = set()
    if points is not None:
        pts = validate.array(points, "points").ravel()
        outside = (pts < lo) | (pts > hi)
        if outside.any():
            validate.fail("points", f"inside [{lo:g}, {hi:g}]", float(pts[outside][0]))
        cuts.update(float(p) for p in pts)
    if mass is not None:
        cuts.update(mass.points)
        for loc, scale in zip(mass.loc, mass.scale):
            for k in BREAK_MULTIPLES:
                cuts.add(loc + k * scale)
    return sorted(c for c in cuts if lo < c < hi and math.isfinite(c))


def _evaluator(f: Callable[[Any], Any], name: str, vectorized: bool) -> tuple[Callable[[Any], Any], list[int]]:
    """``f`` as a float-valued function (of a float, or of a 1-D array when ``vectorized``) that
    refuses NaN and infinite values and counts its evaluations. The scalar form remembers its values:
    the passes over a piece start from the same Gauss-Kronrod nodes, so the second pass does not pay
    for them again."""
    calls = [0]
    memo: dict[float, float] = {}

    def scalar(x: float) -> float:
        if x in memo:
            return memo[x]
        calls[0] += 1
        out = np.asarray(f(x), dtype=np.float64)
        if out.size != 1:
            raise ValueError(f"the integrand of {name} must return one number per x; got shape "
                             f"{out.shape} at x = {x!r}")
        value = float(out.reshape(()))
        if not math.isfinite(value):
            _not_finite(name, value, x)
        memo[x] = value
        return value

    def batch(x: NDArray[np.float64]) -> NDArray[np.float64]:
        calls[0] += x.size
        out = np.asarray(f(x), dtype=np.float64)
        if out.shape != x.shape:
            raise ValueError(f"the integrand of {name} (vectorized=True) must return one number per x, "
                             f"shape {x.shape}; got shape {out.shape}")
        bad = ~np.isfinite(out)
        if bad.any():
            i = int(np.argmax(bad))
            _not_finite(name, float(out[i]), float(x[i]))
        return out

    return (batch if vectorized else scalar), calls


def _not_finite(name: str, value: float, x: float) -> None:
    raise ValueError(f"the integrand of {name} is {value!r} at x = {x!r}: quadrature needs finite "
                     f"values (the integral is infinite or undefined there)")


def _piece(g: Callable[[Any], Any], a: float, b: float, tail_scale: float, epsabs: float,
           epsrel: float, limit: int, vectorized: bool) -> tuple[float, float, str]:
    """(value, error estimate, the engine's complaint or '') of one piece; an infinite end is reached
    in the scaled variable v = (x - a) / s. (a and b are never both infinite: a located mass always
    adds a cut.)"""
    h: Callable[[Any], Any]
    if math.isinf(b):
        lo, hi, factor = 0.0, math.inf, tail_scale
        h = lambda v: g(a + tail_scale * v)
    elif math.isinf(a):
        lo, hi, factor = 0.0, math.inf, tail_scale
        h = lambda v: g(b - tail_scale * v)
    else:
        lo, hi, factor, h = a, b, 1.0, g
    if vectorized:
        res = scipy.integrate.cubature(lambda xs: h(xs[:, 0])[:, None], [lo], [hi], rule="gk21",
                                       rtol=epsrel, atol=epsabs / factor, max_subdivisions=limit)
        message = "" if res.status == "converged" else (
            f"scipy.integrate.cubature did not converge in {res.subdivisions} subdivisions")
        return factor * float(res.estimate[0]), factor * float(res.error[0]), message
    out = scipy.integrate.quad(h, lo, hi, epsabs=epsabs / factor, epsrel=epsrel, limit=limit,
                               full_output=1)
    message = str(out[3]).split("\n")[0].strip() if len(out) > 3 else ""
    return factor * float(out[0]), factor * float(out[1]), message


def _rough_size_in_one_batch(g: Callable[[Any], Any], spans: list[tuple[float, float]],
                             tail_scale: float) -> float:
    """Sum over the pieces of |21-point Gauss-Legendre estimate| (``numpy.polynomial.legendre.leggauss``),
    all pieces in ONE call of the vectorized integrand; an infinite tail through v = t / (1 - t)."""
    nodes, weights = np.polynomial.legendre.leggauss(21)
    t, w = (nodes + 1.0) / 2.0, weights / 2.0  # on [0, 1]
    xs, ws = [], []
    for a, b in spans:
        if math.isinf(a) or math.isinf(b):
            v = t / (1.0 - t)  # [0, 1) -> [0, inf), dv = dt / (1 - t)^2
            xs.append(a + tail_scale * v if math.isinf(b) else b - tail_scale * v)
            ws.append(tail_scale * w / (1.0 - t) ** 2)
        else:
            xs.append(a + (b - a) * t)
            ws.append((b - a) * w)
    with np.errstate(over="ignore", invalid="ignore"):
        values = g(np.concatenate(xs)).reshape(len(spans), -1)
    return float(np.sum(np.abs(np.sum(values * np.array(ws), axis=1))))


def integral(f: Callable[[Any], Any], lower: float = -math.inf, upper: float = math.inf, *,
             name: str, loc: ArrayLike | None = None, scale: ArrayLike | None = None,
             points: ArrayLike | None = None, mass_of: dict[str, Callable[..., Any]] | None = None,
             rtol: float = 1e-8, atol: float = 0.0, limit: int = 500,
             vectorized: bool = False) -> Integral:
    r""":math:`\int_{\mathrm{lower}}^{\mathrm{upper}} f(x)\,dx` with its error estimate; see
    :func:`integrate` for the arguments and guarantees. Returns :class:`Integral`
    ``(value, error, evaluations)``."""
    if not isinstance(name, str) or not name:
        validate.fail("name", "a non-empty string saying what is integrated", name)
    lo, hi = _limits(lower, upper)
    rtol_f = float(validate.in_interval(rtol, "rtol", 0.0, 1.0))
    atol_f = float(validate.non_negative(atol, "atol"))
    limit_i = validate.integer(limit, "limit", lo=1)
    mass = _find_mass(f, lo, hi, name, loc, scale, mass_of, rtol_f)
    tail_scale = max(mass.scale) if mass is not None and mass.scale else 1.0
    edges = [lo, *_breaks(lo, hi, mass, points), hi]

    if not isinstance(vectorized, bool):
        validate.fail("vectorized", "True or False", vectorized)
    g, calls = _evaluator(f, name, vectorized)
    spans = list(itertools.pairwise(edges))
    # Pass 1, rough: the size of the integral from one rule per piece (scalar: quad's Gauss-Kronrod
    # rule, whose nodes pass 2 starts from, so remembered, not paid twice; vectorized: Gauss-Legendre
    # on every piece in one call), so that pass 2 can ask each piece for an absolute
    # accuracy relative to the WHOLE integral (a piece holding 1e-20 of the mass need not be known to
    # 12 digits) while a tiny integral is still computed to relative accuracy (no fixed floor).
    if vectorized:
        rough = _rough_size_in_one_batch(g, spans, tail_scale)
    else:
        rough = math.fsum(abs(_piece(g, a, b, tail_scale, 0.0, 1e-3, 1, vectorized)[0]) for a, b in spans)
    epsabs = 1e-4 * rtol_f * rough / len(spans)
    epsrel = max(1e-4 * rtol_f, 1e-13)
    pieces = [(a, b, *_piece(g, a, b, tail_scale, epsabs, epsrel, limit_i, vectorized)) for a, b in spans]
    divergent = [p for p in pieces if "divergent" in p[4]]  # QUADPACK's ier = 5: no error estimate holds
    if divergent:
        a, b = divergent[0][:2]
        raise QuadratureError(f"quadrature of {name} cannot be trusted: scipy reports that the integral "
                              f"on [{a:g}, {b:g}] is probably divergent ({divergent[0][4]})")
    value = math.fsum(p[2] for p in pieces)
    error = math.fsum(p[3] for p in pieces)
    if not math.isfinite(value):
        raise QuadratureError(f"quadrature of {name} on [{lo:g}, {hi:g}] overflowed: {value!r}")
    magnitude = math.fsum(abs(p[2]) for p in pieces)
    if error > max(atol_f, rtol_f * magnitude):
        # Cancellation inside a piece: measure the integrand's size by the integral of |f|.
        def abs_g(x: Any) -> Any:
            return np.abs(g(x))

        sizes = [_piece(abs_g, a, b, tail_scale, 0.0, 1e-3, 50, vectorized) for a, b in spans]
        size, size_error = math.fsum(p[0] for p in sizes), math.fsum(p[1] for p in sizes)
        if size_error <= 0.1 * size:  # only a size that is itself known (a divergent |f| is not)
            magnitude = max(magnitude, size)
    if error > max(atol_f, rtol_f * magnitude):
        worst = max(pieces, key=lambda p: p[3])
        diagnosis = f"; scipy: {worst[4]}" if worst[4] else ""
        raise QuadratureError(
            f"quadrature of {name} cannot be trusted: value {value:.10g}, error estimate {error:.3g} "
            f"> max(atol, rtol * |integral|) = {max(atol_f, rtol_f * magnitude):.3g} (worst on "
            f"[{worst[0]:g}, {worst[1]:g}]{diagnosis}). Pass `points` where the integrand has a kink, "
            f"jump or narrow peak, `loc`/`scale` of its mass, or finite limits")
    return Integral(value, error, calls[0])


def integrate(f: Callable[[Any], Any], lower: float = -math.inf, upper: float = math.inf, *,
              name: str, loc: ArrayLike | None = None, scale: ArrayLike | None = None,
              points: ArrayLike | None = None, mass_of: dict[str, Callable[..., Any]] | None = None,
              rtol: float = 1e-8, atol: float = 0.0, limit: int = 500,
              vectorized: bool = False) -> float:
    r""":math:`\int_{\mathrm{lower}}^{\mathrm{upper}} f(x)\,dx` by ``scipy.integrate.quad``, or an error.

    ``f``: a scalar function ``x -> float`` (a numpy function of a scalar is fine). ``lower``,
    ``upper``: limits, infinite allowed (default the whole line). ``name``: what is integrated, in words
    or symbols (``"KL(p || q)"``); every error message quotes it.

    Where the mass is (needed whenever a limit is infinite): ``loc`` and ``scale`` (arrays that
    broadcast: one entry per component of a mixture, ``scale`` > 0), and/or the functions in
    ``mass_of`` -- a dict naming the distributions the integrand lives on, e.g. ``{"p": p, "q": q}``
    for a divergence between densities ``p`` and ``q`` (default ``{"f": f}``) -- when they are bound
    methods of ``scipy.stats`` distributions or of :class:`genmath.gan.GaussianMixture1D` (see
    :func:`locate`). With an infinite limit, every function in ``mass_of`` must be located unless
    ``loc``/``scale`` are given. ``points``: extra break points inside ``[lower, upper]`` (kinks,
    jumps, narrow peaks). With finite limits and nothing located, the pieces between ``points`` are
    integrated as they are.

    Accuracy: trusted when the error estimate is at most ``max(atol, rtol * M)`` with :math:`M` the
    size of the integral (:math:`\sum` of |piece values|, or :math:`\int|f|` if pieces cancel inside);
    defaults ``rtol = 1e-8``, ``atol = 0``. ``limit``: maximum subintervals per piece (``quad``'s).

    ``vectorized=True``: ``f`` takes a 1-D array of points and returns an array of the same shape;
    each piece is then integrated by ``scipy.integrate.cubature`` with the same 21-point
    Gauss-Kronrod rule as ``quad``'s QAGS, evaluating the integrand on batches of points (about ten
    times faster for numpy functions such as ``scipy.stats`` densities). Same pieces, same checks.

    Raises ``ValueError`` for invalid arguments (each named), an infinite range with nothing locating
    the mass, and an integrand value that is NaN or infinite (naming ``x``); :class:`QuadratureError`
    (a ``RuntimeError``) when the result cannot be trusted or overflows. Returns a float.
    """
    return integral(f, lower, upper, name=name, loc=loc, scale=scale, points=points, mass_of=mass_of,
                    rtol=rtol, atol=atol, limit=limit, vectorized=vectorized).value
