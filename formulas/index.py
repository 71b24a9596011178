"""Formula checks for docs/index.md: the coin's log-likelihood and its maximiser.

References are independent of the page's closed forms: the likelihood of a toss sequence is the
product of scipy's Bernoulli probabilities, and the maximum-likelihood estimate is found by a numerical
optimiser on the log-likelihood (``genmath.formulas.argmax``, scipy's bounded Brent search polished by a
Newton step, like the optimiser the page compares with).
"""

from __future__ import annotations

import numpy as np
import scipy.stats

from genmath.formulas import Check, argmax


def _tosses(rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A sequence of n tosses of a coin with heads probability p; all tails or all heads now and then."""
    n = int(rng.integers(1, 40))
    p = float(rng.uniform(0.05, 0.95))
    x = rng.binomial(1, p, size=n)
    if rng.uniform() < 0.15:
        x[:] = rng.integers(0, 2)  # k = 0 or k = n: the maximum is on the boundary
    return x, p


def _likelihood(x: np.ndarray) -> dict:
    """L(p) and ell(p) of the toss sequence x, from scipy's Bernoulli probabilities of each toss."""
    return {"L": lambda p: float(np.prod(scipy.stats.bernoulli.pmf(x, p))),
            "ell": lambda p: float(np.sum(scipy.stats.bernoulli.logpmf(x, p)))}


def _loglik(rng: np.random.Generator) -> dict:
    x, _ = _tosses(rng)
    return {**_likelihood(x), "k": int(x.sum()), "n": x.size, "p": float(rng.uniform(0.02, 0.98))}


def _mle(rng: np.random.Generator) -> dict:
    x, p = _tosses(rng)
    # p: the coin's true probability, the value a dropped hat would give
    return {"phat": argmax(_likelihood(x)["ell"], 0.0, 1.0), "p": p, "k": int(x.sum()), "n": x.size}


CHECKS = {
    "coin-loglik": Check(_loglik),
    "coin-mle": Check(_mle, rtol=1e-9, atol=1e-11),
}
