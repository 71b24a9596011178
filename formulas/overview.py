"""Formula checks for docs/overview.md: the chain rule of probability and the autoregressive factorisation.

The model is a correlated Gaussian vector x = (x_1, ..., x_D) (genmath.formulas.GaussianModel): the
joint density comes from scipy, and every conditional p(x_d | x_{<d}) from Schur complements of the
covariance, a computation that never divides the joint by a marginal. So the chain rule is tested,
not assumed (the conditionals are not defined as ratios of the joint).
"""

from __future__ import annotations

import numpy as np

from genmath.formulas import Check, GaussianModel


def _gaussian_vector(rng: np.random.Generator, dims: int) -> dict:
    a = rng.normal(size=(dims, dims))
    cov = a @ a.T + 0.3 * np.eye(dims)  # correlated: no conditional equals its marginal
    mean = rng.normal(size=dims)
    return {"p": GaussianModel({"x": dims}, mean, cov), "x": rng.multivariate_normal(mean, cov), "D": dims}


CHECKS = {
    # x_1, x_2, x_3 of a 4-dimensional vector, so that a shifted index (x_4) has a value
    "overview-chain-rule": Check(lambda rng: _gaussian_vector(rng, 4)),
    "overview-autoregressive": Check(lambda rng: _gaussian_vector(rng, int(rng.integers(2, 6)))),
}
