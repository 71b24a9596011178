"""Formula checks for docs/flows.md.

Each side is computed independently where possible: log-densities from the closed form printed by
Jones & Pewsey (2009) or scipy, log-determinants by torch autograd, expectations by quadrature.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import special, stats

from genmath import flows
from genmath.sitebuild.formulas import Check

LOG_P_X = r"\log p_X(x)"


def _sas_params(rng: np.random.Generator) -> tuple[float, float, float]:
    # (epsilon, delta, x) in ranges where the printed density does not underflow
    return float(rng.uniform(-1.0, 1.0)), float(rng.uniform(0.4, 2.0)), float(rng.uniform(-2.0, 2.0))


def _autograd_log_abs_derivative(fn, at: float) -> float:
    t = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(fn(t), t)
    return math.log(abs(float(g)))


def _sas_inverse_torch(epsilon: float, delta: float):
    return lambda x: torch.sinh(delta * torch.asinh(x) - epsilon)


def _sas_forward_torch(epsilon: float, delta: float):
    return lambda z: torch.sinh((torch.asinh(z) + epsilon) / delta)


def _cov_inverse(rng: np.random.Generator) -> dict[str, float]:
    epsilon, delta, x = _sas_params(rng)
    z = float(flows.sinh_arcsinh_inverse(x, epsilon, delta))
    return {"LPX": math.log(float(flows.sinh_arcsinh_pdf_jones_pewsey(x, epsilon, delta))),
            "LPZ": float(stats.norm.logpdf(z)),
            "LDI": _autograd_log_abs_derivative(_sas_inverse_torch(epsilon, delta), x)}


def _cov_forward(rng: np.random.Generator) -> dict[str, float]:
    epsilon, delta, x = _sas_params(rng)
    z = float(flows.sinh_arcsinh_inverse(x, epsilon, delta))
    return {"LPX": math.log(float(flows.sinh_arcsinh_pdf_jones_pewsey(x, epsilon, delta))),
            "LPZ": float(stats.norm.logpdf(z)),
            "LDF": _autograd_log_abs_derivative(_sas_forward_torch(epsilon, delta), z)}


def _affine(rng: np.random.Generator) -> dict[str, float]:
    mu, sigma, x = float(rng.normal()), float(rng.uniform(0.2, 4.0)), float(rng.normal(scale=3))
    return {"x": x, "mu": mu, "sigma": sigma, "pi": math.pi, "LPX": float(stats.norm.logpdf(x, mu, sigma))}


def _sas_logdet(rng: np.random.Generator) -> dict[str, float]:
    epsilon, delta, x = _sas_params(rng)
    return {"x": x, "epsilon": epsilon, "delta": delta,
            "LD": _autograd_log_abs_derivative(_sas_inverse_torch(epsilon, delta), x)}


def _coupling_logdet(rng: np.random.Generator) -> dict[str, float]:
    dim = int(rng.integers(2, 5))
    mask = np.zeros(dim)
    mask[rng.permutation(dim)[: int(rng.integers(1, dim))]] = 1.0
    layer = flows.make_affine_coupling(dim, mask, hidden=8, seed=int(rng.integers(0, 10_000))).double()
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(0.5 * torch.randn_like(p))
    u = torch.tensor(rng.normal(size=dim), dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda w: layer(w)[0], u)
    s, _ = layer.s_and_t(u)
    return {"LD": float(torch.linalg.slogdet(jac)[1]), "S": float(s.detach().sum())}


def _dequant(rng: np.random.Generator) -> dict[str, float]:
    mu, s = float(rng.uniform(50, 200)), float(rng.uniform(3, 30))
    x = float(np.round(mu + rng.normal() * s))
    bound = flows.dequantized_log_density_bound(lambda y: stats.norm.logpdf(y, mu, s), [x])[0]
    exact = flows.discrete_log_prob_from_cdf(lambda y: special.ndtr((y - mu) / s), [x])[0]
    return {"EB": float(bound), "LP": float(exact)}


def _rescale(rng: np.random.Generator) -> dict[str, float]:
    dim = int(rng.integers(1, 5))
    mean = rng.uniform(50, 200, size=dim)
    a = rng.normal(size=(dim, dim))
    cov = a @ a.T * 100 + np.eye(dim) * 50
    y = rng.multivariate_normal(mean, cov)
    return {"D": dim, "L": float(stats.multivariate_normal(mean, cov).logpdf(y)),
            "LR": float(stats.multivariate_normal(mean / 256, cov / 256**2).logpdf(y / 256))}


def _cdf_derivative(rng: np.random.Generator) -> dict[str, float]:
    """d/dx F_Z(f^{-1}(x)) by torch autograd of the standard-normal cdf composed with f^{-1} (checked
    against genmath's cdf); p_Z(f^{-1}(x)) from genmath's inverse; df^{-1}/dx by autograd."""
    epsilon, delta, x = _sas_params(rng)
    inv = _sas_inverse_torch(epsilon, delta)
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    cdf = torch.distributions.Normal(0.0, 1.0).cdf(inv(t))
    assert abs(float(cdf.detach()) - float(flows.sinh_arcsinh_cdf(x, epsilon, delta))) <= 1e-12
    (d_cdf,) = torch.autograd.grad(cdf, t)
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (d_inv,) = torch.autograd.grad(inv(t), t)
    return {"PX": float(flows.sinh_arcsinh_pdf_jones_pewsey(x, epsilon, delta)), "DF": float(d_cdf),
            "PZ": float(stats.norm.pdf(float(flows.sinh_arcsinh_inverse(x, epsilon, delta)))), "J": float(d_inv)}


CHECKS = {
    "flows-cov-inverse": Check(
        subs={LOG_P_X: "LPX", r"\log p_Z(f^{-1}(x))": "LPZ",
              r"\log\left|\det \frac{\partial f^{-1}}{\partial x}(x)\right|": "LDI"},
        values=_cov_inverse),
    "flows-cov-forward": Check(
        subs={LOG_P_X: "LPX", r"\log p_Z(z)": "LPZ",
              r"\log\left|\det \frac{\partial f}{\partial z}(z)\right|": "LDF"},
        values=_cov_forward),
    "flows-affine": Check(subs={LOG_P_X: "LPX"}, values=_affine),
    "flows-sas-logdet": Check(subs={r"\log\left|\frac{d f^{-1}}{d x}\right|": "LD"}, values=_sas_logdet),
    "flows-coupling-logdet": Check(
        subs={r"\log\left|\det \frac{\partial v}{\partial u}\right|": "LD", r"\sum_{j=1}^{D-d} s_j(u_{1:d})": "S"},
        values=_coupling_logdet, n_points=10),
    "flows-dequant-bound": Check(subs={r"\mathbb{E}_{u}[\log p(x+u)]": "EB", r"\log P(x)": "LP"},
                                 values=_dequant),
    "flows-rescale": Check(subs={r"\log p_{[0,1)}(y/256)": "LR", r"\log p(y)": "L"}, values=_rescale),
    "flows-cdf-derivative": Check(
        subs={"p_X(x)": "PX", r"\frac{d}{dx} F_Z(f^{-1}(x))": "DF", r"p_Z(f^{-1}(x))": "PZ",
              r"\frac{d f^{-1}}{dx}(x)": "J"},
        values=_cdf_derivative),
}
