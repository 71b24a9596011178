"""Formula checks for docs/overview.md: the chain rule of probability and the autoregressive factorisation.

The model is a correlated Gaussian vector x = (x_1, ..., x_D) (genmath.formulas.GaussianModel): the
joint density comes from scipy, and every conditional p(x_d | x_{<d}) from Schur complements of the
covariance, a computation that never divides the joint by a marginal. So the chain rule is tested,
not assumed (the conditionals are not defined as ratios of the joint).

The energy-based model is a Gaussian written through its natural parameters, theta = (theta_1, theta_2)
with E_theta(x) = theta_1 x^2 / 2 - theta_2 x: its normalised law N(theta_2 / theta_1, 1 / theta_1) comes
from the closed form of a Gaussian (objects.Normal), never from dividing by an integral, and the gradients
in theta are Richardson differences of that law and of the energy.
"""

from __future__ import annotations

import numpy as np

from genmath.formulas import Check, GaussianModel, Lazy, Normal, Reals


def _gaussian_vector(rng: np.random.Generator, dims: int) -> dict:
    a = rng.normal(size=(dims, dims))
    cov = a @ a.T + 0.3 * np.eye(dims)  # correlated: no conditional equals its marginal
    mean = rng.normal(size=dims)
    return {"p": GaussianModel({"x": dims}, mean, cov), "x": rng.multivariate_normal(mean, cov), "D": dims}


def _ebm(rng: np.random.Generator) -> dict:
    theta = np.array([rng.uniform(0.3, 3.0), rng.normal()])

    def energy(sc: dict) -> object:
        t1, t2 = np.asarray(sc["theta"], dtype=float)
        return lambda x: 0.5 * t1 * float(x) ** 2 - t2 * float(x)

    def law(sc: dict) -> Normal:
        t1, t2 = np.asarray(sc["theta"], dtype=float)
        return Normal(t2 / t1, 1.0 / t1)

    return {"theta": theta, "x": float(rng.normal(theta[1] / theta[0], 1.5 / np.sqrt(theta[0]))),
            "E_theta": Lazy(energy), "p_theta": Lazy(law), "@domains": {"y": Reals(scale=3.0)}}


CHECKS = {
    # x_1, x_2, x_3 of a 4-dimensional vector, so that a shifted index (x_4) has a value
    "overview-chain-rule": Check(lambda rng: _gaussian_vector(rng, 4)),
    "overview-autoregressive": Check(lambda rng: _gaussian_vector(rng, int(rng.integers(2, 6)))),
    "overview-ebm": Check(_ebm, n_points=10, rtol=1e-8, atol=1e-10),
    "overview-ebm-gradient": Check(_ebm, n_points=10, rtol=1e-7, atol=1e-9),
}
