r"""Formula checks for docs/flows.md: change of variables, sinh-arcsinh flow, coupling layers, dequantisation.

References. No value comes from ``genmath.flows``.

- The sinh-arcsinh map and its inverse are written in exponential form, sinh u = (e^u - e^-u)/2 and
  sinh^{-1} z = log(z + sqrt(1 + z^2)), a closed form derived differently from the page's; its density
  is the one printed by Jones & Pewsey (2009, Biometrika, eq. 2), written out here.
- The 2-D flow of the change-of-variables checks is that map on each coordinate followed by a rotation,
  so its density is the product of the 1-D densities at the rotated-back point (a rotation keeps volume);
  Jacobians and derivatives are Richardson differences (the evaluator), not written derivatives.
- The coupling layer's (u, v) pairs come from its inverse (Dinh et al. 2017, below eq. 5), and its
  Jacobian from differences of the layer.
- Expectations over the dequantisation noise by quadrature (error-checked); P(x) from scipy's normal
  cdf; the rescaled density from scipy's Gaussian at the rescaled mean and covariance.
- NICE's additive coupling: (u, v) pairs from its inverse, the Jacobian from differences of the layer.
- Entropy under a flow: h(p_X) by quadrature of the printed sinh-arcsinh density (Jones & Pewsey), the
  expectation over z by Gauss-Hermite of a Richardson derivative of the map in exponential form.
- Glow: actnorm and the 1x1 convolution are written here as maps of a flattened (C, h, w) image
  (numpy, channel-major), their Jacobians by differences; the LU factors are random triangular
  matrices and a permutation, the determinant numpy's.
- MAF: the conditioners are dense random networks of the prefix x_{1:i-1} (zero-padded), so any
  index slip changes the value; u from x by the density direction, x from u by the sampling
  direction written separately.
- Hutchinson: the expectation and variance by Gauss-Hermite over the Gaussian probe.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import stats

from genmath.formulas import MVN, Check, Density, Function, Lazy, Normal
from genmath.formulas.evaluate import Scope
from genmath.formulas.objects import Distribution

# --------------------------------------------------------------------------------------------------
# the sinh-arcsinh transformation (Jones & Pewsey 2009) in exponential form


def _sas_forward(epsilon: float, delta: float) -> Callable[[float], float]:
    """x = f(z) = sinh((asinh z + epsilon)/delta) = (w^{1/delta} e^{epsilon/delta} - its inverse)/2 with
    w = z + sqrt(1+z^2)."""
    def f(z: float) -> float:
        w = z + math.sqrt(1.0 + z * z) if z >= 0 else 1.0 / (math.sqrt(1.0 + z * z) - z)
        e = math.exp(math.log(w) / delta + epsilon / delta)
        return 0.5 * (e - 1.0 / e)
    return f


def _sas_inverse(epsilon: float, delta: float) -> Callable[[float], float]:
    """z = f^{-1}(x) = sinh(delta asinh x - epsilon) = (w^delta e^{-epsilon} - its inverse)/2 with
    w = x + sqrt(1+x^2)."""
    def g(x: float) -> float:
        w = x + math.sqrt(1.0 + x * x) if x >= 0 else 1.0 / (math.sqrt(1.0 + x * x) - x)
        e = math.exp(delta * math.log(w) - epsilon)
        return 0.5 * (e - 1.0 / e)
    return g


def _sas_pdf(epsilon: float, delta: float) -> Callable[[float], float]:
    """Jones & Pewsey (2009), eq. 2: delta C(x) exp(-S(x)^2/2) / sqrt(2 pi (1 + x^2)) with
    S = sinh(delta asinh x - epsilon) and C = sqrt(1 + S^2)."""
    def p(x: float) -> float:
        S = math.sinh(delta * math.asinh(x) - epsilon)
        C = math.sqrt(1.0 + S * S)
        return delta * C * math.exp(-0.5 * S * S) / math.sqrt(2.0 * math.pi * (1.0 + x * x))
    return p


def _sas_params(rng: np.random.Generator) -> tuple[float, float]:
    """(epsilon, delta) away from the identity (0, 1)."""
    return float(rng.choice([-1, 1]) * rng.uniform(0.2, 1.0)), float(rng.choice([rng.uniform(0.4, 0.8),
                                                                                  rng.uniform(1.3, 2.0)]))


def _sas_1d(rng: np.random.Generator, lo: float = 0.05, hi: float = 0.95) -> dict:
    """The flow, its density (Jones & Pewsey) and the base law at a point x in (lo, hi). In (0, 1) a
    swapped-in inverse of F_Z and log(1 - x^2) have values, so such mistakes are caught by value."""
    epsilon, delta = _sas_params(rng)
    inverse = _sas_inverse(epsilon, delta)
    f = Function(_sas_forward(epsilon, delta), inverse)
    x = float(rng.uniform(lo, hi))
    return {"epsilon": epsilon, "delta": delta, "f": f, "x": x, "z": inverse(x),
            "p_X": Density(pdf_fn=_sas_pdf(epsilon, delta)), "p_Z": Normal(0.0, 1.0),
            "F_Z": Function(lambda v: float(stats.norm.cdf(v)), lambda w: float(stats.norm.ppf(w)))}


# --------------------------------------------------------------------------------------------------
# a 2-D flow: sinh-arcsinh on each coordinate, then a rotation

def _flow_2d(rng: np.random.Generator) -> dict:
    params = [_sas_params(rng) for _ in range(2)]
    fwd = [_sas_forward(e, d) for e, d in params]
    inv = [_sas_inverse(e, d) for e, d in params]
    pdf = [_sas_pdf(e, d) for e, d in params]
    angle = float(rng.uniform(0.3, 1.2))
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    shift = rng.normal(size=2)

    def f(z: np.ndarray) -> np.ndarray:
        return rot @ np.array([fwd[0](z[0]), fwd[1](z[1])]) + shift

    def f_inv(x: np.ndarray) -> np.ndarray:
        y = rot.T @ (np.asarray(x, dtype=float) - shift)
        return np.array([inv[0](y[0]), inv[1](y[1])])

    def p_X(x: np.ndarray) -> float:
        y = rot.T @ (np.asarray(x, dtype=float) - shift)
        return pdf[0](y[0]) * pdf[1](y[1])

    z = rng.normal(size=2)
    return {"f": Function(f, f_inv), "p_X": _Law2D(p_X), "p_Z": MVN(np.zeros(2), np.eye(2)), "z": z,
            "x": f(z)}


class _Law2D(Distribution):
    """A law on R^2 given by its density (what the formula needs of p_X)."""

    def __init__(self, pdf: Callable[[np.ndarray], float]) -> None:
        self._pdf = pdf

    def pdf(self, x: object) -> float:
        return float(self._pdf(np.asarray(x, dtype=float)))


def _affine(rng: np.random.Generator) -> dict:
    mu, sigma = float(rng.normal()), float(rng.uniform(0.3, 3.0))
    return {"x": float(rng.normal(mu, 2 * sigma)), "mu": mu, "sigma": sigma, "p_X": Normal(mu, sigma ** 2)}


# --------------------------------------------------------------------------------------------------
# the affine coupling layer (Dinh et al. 2017, eqs. 4-6)

def _net(rng: np.random.Generator, d_in: int, d_out: int) -> Callable[[np.ndarray], np.ndarray]:
    """A small random network R^d_in -> R^d_out (one tanh layer)."""
    w1, b1 = rng.normal(size=(4, d_in)), rng.normal(size=4)
    w2, b2 = rng.normal(scale=0.6, size=(d_out, 4)), rng.normal(scale=0.3, size=d_out)
    return lambda u: w2 @ np.tanh(w1 @ np.atleast_1d(np.asarray(u, dtype=float)) + b1) + b2


def _coupling(rng: np.random.Generator) -> dict:
    """u from v by the inverse layer: u_{1:d} = v_{1:d},
    u_{d+1:D} = (v_{d+1:D} - t(v_{1:d})) exp(-s(v_{1:d}))."""
    D = int(rng.integers(3, 5))
    d = int(rng.integers(1, D))
    s, t = _net(rng, d, D - d), _net(rng, d, D - d)
    v = rng.normal(size=D)
    u = np.concatenate([v[:d], (v[d:] - t(v[:d])) * np.exp(-s(v[:d]))])
    return {"D": D, "d": d, "s": s, "t": t, "u": u, "v": v}


def _coupling_jacobian(rng: np.random.Generator) -> dict:
    """v as a function of u (the layer), so that derivatives with respect to u follow."""
    point = _coupling(rng)
    s, t, d = point["s"], point["t"], point["d"]
    def layer(sc: Scope) -> np.ndarray:
        u = sc["u"]
        return np.concatenate([u[:d], u[d:] * np.exp(s(u[:d])) + t(u[:d])])

    point["v"] = Lazy(layer)
    return point


# --------------------------------------------------------------------------------------------------
# dequantisation

def _uniform_cell() -> Density:
    return Density(pdf_fn=lambda w: 1.0 if 0.0 <= w <= 1.0 else 0.0, lo=0.0, hi=1.0, var="u")


def _dequant(rng: np.random.Generator) -> dict:
    """A continuous model p of 8-bit data (its density, a function) and P(x), the mass of the cell [x, x+1).
    One point in three has a density constant on each cell (a histogram): then Jensen's inequality is an
    equality."""
    x = int(rng.integers(40, 215))
    if rng.uniform() < 1 / 3:
        heights = rng.dirichlet(np.ones(256))
        return {"x": x, "u": _uniform_cell(), "p": lambda y: float(heights[math.floor(y)]),
                "P": lambda k: float(heights[math.floor(k)])}
    mu, sd = float(x + rng.normal(scale=10.0)), float(rng.uniform(0.5, 20.0))
    return {"x": x, "u": _uniform_cell(), "p": lambda y: float(stats.norm.pdf(y, mu, sd)),
            "P": lambda k: float(stats.norm.cdf(k + 1, mu, sd) - stats.norm.cdf(k, mu, sd))}


def _rescale(rng: np.random.Generator) -> dict:
    """p: a Gaussian on the 8-bit scale; p_[0,1): the law of y/256, the Gaussian with mean/256, cov/256^2."""
    D = int(rng.integers(1, 4))
    mean = rng.uniform(50, 200, size=D)
    a = rng.normal(size=(D, D))
    cov = a @ a.T * 100 + np.eye(D) * 50
    return {"D": D, "y": rng.multivariate_normal(mean, cov), "p": MVN(mean, cov),
            "p_[0,1)": MVN(mean / 256, cov / 256 ** 2)}


# --------------------------------------------------------------------------------------------------
# NICE (Dinh et al. 2015, Sec. 3.2), entropy under a flow

def _additive(rng: np.random.Generator) -> dict:
    """The layer in mask form, u from v by its inverse: u = v - (1-b) * t(b*v), since b*u = b*v."""
    D = int(rng.integers(3, 6))
    b = np.zeros(D)
    b[rng.permutation(D)[:int(rng.integers(1, D))]] = 1.0  # at least one kept and one changed coordinate
    t = _net(rng, D, D)
    v = rng.normal(size=D)
    return {"D": D, "b": b, "t": t, "u": v - (1 - b) * t(b * v), "v": v}


def _additive_jacobian(rng: np.random.Generator) -> dict:
    point = _additive(rng)
    t, b = point["t"], point["b"]
    point["v"] = Lazy(lambda sc: sc["u"] + (1 - b) * t(b * sc["u"]))
    return point


def _entropy_1d(rng: np.random.Generator) -> dict:
    """The sinh-arcsinh flow: p_X its printed density on the real line, p_Z the standard normal (both
    integrated by adaptive quadrature: log|f'| grows like a logarithm, which Gauss-Hermite resolves slowly)."""
    epsilon, delta = _sas_params(rng)
    f = Function(_sas_forward(epsilon, delta), _sas_inverse(epsilon, delta))
    return {"f": f, "p_X": Density(pdf_fn=_sas_pdf(epsilon, delta), lo=-math.inf, hi=math.inf),
            "p_Z": Density(pdf_fn=lambda z: float(stats.norm.pdf(z)), lo=-math.inf, hi=math.inf)}


def _volume_preserving(rng: np.random.Generator) -> dict:
    """x = A z with det A = +-1 (a shear times a rotation, scaled to unit volume): p_X = N(0, A A^T) from
    scipy. One point in four is x = f(0) = 0, the equality case."""
    D = int(rng.integers(1, 5))
    a = rng.normal(size=(D, D))
    a = a / abs(np.linalg.det(a)) ** (1.0 / D)
    x = np.zeros(D) if rng.uniform() < 0.25 else a @ rng.normal(size=D)
    return {"D": D, "x": x, "p_X": MVN(np.zeros(D), a @ a.T)}


# --------------------------------------------------------------------------------------------------
# Glow (Kingma & Dhariwal 2018, Table 1 and eq. 10)

def _image(rng: np.random.Generator) -> tuple[int, int, int, np.ndarray]:
    C, h, w = int(rng.integers(2, 4)), int(rng.integers(1, 3)), int(rng.integers(2, 4))  # h != w possible
    return C, h, w, rng.normal(size=C * h * w)


def _actnorm(rng: np.random.Generator) -> dict:
    C, h, w, x = _image(rng)
    s = rng.choice([-1.0, 1.0], size=C) * rng.uniform(0.3, 3.0, size=C)  # a negative scale is allowed
    b = rng.normal(size=C)

    def layer(sc: Scope) -> np.ndarray:
        img = np.asarray(sc["x"], dtype=float).reshape(C, h, w)
        return (img * s[:, None, None] + b[:, None, None]).ravel()

    return {"C": C, "h": h, "w": w, "x": x, "s": s, "b": b, "y": Lazy(layer)}


def _conv1x1(rng: np.random.Generator) -> dict:
    C, h, w, x = _image(rng)
    W = rng.normal(size=(C, C))

    def layer(sc: Scope) -> np.ndarray:
        img = np.asarray(sc["x"], dtype=float).reshape(C, h * w)
        return (W @ img).ravel()  # every position's channel vector times W

    return {"C": C, "h": h, "w": w, "x": x, "bfW": W, "y": Lazy(layer)}


def _lu(rng: np.random.Generator) -> dict:
    C = int(rng.integers(2, 6))
    P = np.eye(C)[rng.permutation(C)]
    L = np.tril(rng.normal(size=(C, C)), -1) + np.eye(C)
    U = np.triu(rng.normal(size=(C, C)), 1)
    s = rng.choice([-1.0, 1.0], size=C) * rng.uniform(0.2, 3.0, size=C)
    # W assembled from its factors (the parameterisation, which the first relation states); its
    # determinant is then numpy's LU, not the product of the s_c
    return {"C": C, "P": P, "L": L, "U": U, "s": s, "bfW": P @ L @ (U + np.diag(s))}


# --------------------------------------------------------------------------------------------------
# MAF (Papamakarios et al. 2017, Sec. 3.1)

def _prefix_net(rng: np.random.Generator, D: int, scale: float) -> Callable[[np.ndarray], np.ndarray]:
    """A dense random network of a prefix y_{1:k} (zero-padded to D) -> R^D; component i is used with the
    prefix of length i-1. Dense, so a prefix one entry too long changes the value."""
    w1, b1 = rng.normal(size=(6, D)), rng.normal(size=6)
    w2 = rng.normal(scale=scale, size=(D, 6))

    def net(prefix: np.ndarray) -> np.ndarray:
        y = np.zeros(D)
        prefix = np.atleast_1d(np.asarray(prefix, dtype=float))
        y[:prefix.size] = prefix
        return w2 @ np.tanh(w1 @ y + b1)
    return net


def _maf_parts(rng: np.random.Generator) -> tuple[int, Callable, Callable]:
    D = int(rng.integers(3, 6))
    return D, _prefix_net(rng, D, 1.0), _prefix_net(rng, D, 0.4)


def _maf_sample(u: np.ndarray, mu: Callable, alpha: Callable) -> np.ndarray:
    """x from u, one coordinate at a time (the sampling direction)."""
    x = np.zeros(u.size)
    for i in range(u.size):
        x[i] = mu(x[:i])[i] + math.exp(alpha(x[:i])[i]) * u[i]
    return x


def _maf(rng: np.random.Generator) -> dict:
    D, mu, alpha = _maf_parts(rng)
    u = rng.normal(size=D)
    return {"D": D, "i": int(rng.integers(1, D + 1)), "mu": mu, "alpha": alpha, "u": u,
            "x": _maf_sample(u, mu, alpha)}


def _maf_jacobian(rng: np.random.Generator) -> dict:
    D, mu, alpha = _maf_parts(rng)

    def density_direction(sc: Scope) -> np.ndarray:
        x = np.asarray(sc["x"], dtype=float)
        return np.array([(x[j] - mu(x[:j])[j]) * math.exp(-alpha(x[:j])[j]) for j in range(D)])

    return {"D": D, "mu": mu, "alpha": alpha, "x": rng.normal(size=D), "u": Lazy(density_direction)}


# --------------------------------------------------------------------------------------------------
# Hutchinson's estimator (Hutchinson 1990; FFJORD, Grathwohl et al. 2019, Sec. 3.1)

def _hutchinson(rng: np.random.Generator) -> dict:
    """A general square matrix, or (one point in two) a symmetric positive definite
    one, where a mistaken covariance N(0, A) still has a value and is caught by it."""
    D = int(rng.integers(2, 4))
    a = rng.normal(size=(D, D))
    if rng.uniform() < 0.5:
        a = a @ a.T + 0.5 * np.eye(D)
    return {"A": a, "D": D, "I": np.eye(D)}


CHECKS = {
    "flows-cdf-derivative": Check(_sas_1d, rtol=1e-8, atol=1e-10),
    "flows-cov-inverse": Check(_flow_2d, rtol=1e-8, atol=1e-10),
    "flows-cov-forward": Check(_flow_2d, rtol=1e-8, atol=1e-10),
    "flows-affine": Check(_affine),
    "flows-sas": Check(lambda rng: _sas_1d(rng, -2.0, 2.0)),
    "flows-sas-logdet": Check(_sas_1d, rtol=1e-8, atol=1e-10),
    "flows-coupling": Check(_coupling),
    "flows-coupling-jacobian": Check(_coupling_jacobian, n_points=10, rtol=1e-7, atol=1e-9),
    "flows-coupling-logdet": Check(_coupling_jacobian, n_points=10, rtol=1e-7, atol=1e-9),
    "flows-dequant-bound": Check(_dequant, n_points=10, rtol=1e-9, atol=1e-11),
    "flows-rescale": Check(_rescale),
    "flows-additive": Check(_additive),
    "flows-additive-det": Check(_additive_jacobian, n_points=10, rtol=1e-7, atol=1e-9),
    "flows-volume-bound": Check(_volume_preserving, rtol=1e-9, atol=1e-9),
    "flows-entropy": Check(_entropy_1d, n_points=6, rtol=1e-7, atol=1e-9),
    "flows-actnorm-logdet": Check(_actnorm, n_points=10, rtol=1e-7, atol=1e-9),
    "flows-conv1x1-logdet": Check(_conv1x1, n_points=10, rtol=1e-7, atol=1e-9),
    "flows-lu-logdet": Check(_lu),
    "flows-maf": Check(_maf),
    "flows-maf-logdet": Check(_maf_jacobian, n_points=10, rtol=1e-7, atol=1e-9),
    "flows-hutchinson": Check(_hutchinson),
    "flows-hutchinson-var": Check(_hutchinson),
}
