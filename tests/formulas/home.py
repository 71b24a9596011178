"""Formula checks for docs/index.md (the coin example)."""

from __future__ import annotations

import numpy as np

from genmath.sitebuild.formulas import Check
from genmath.mle import binomial_mle


def _coin(rng: np.random.Generator) -> dict[str, float]:
    n = int(rng.integers(1, 50))
    k = int(rng.integers(0, n + 1))
    return {"k": k, "n": n, "phat": float(binomial_mle(k, n))}


CHECKS = {
    "coin-mle": Check(values=_coin),
}
