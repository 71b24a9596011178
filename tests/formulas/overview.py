"""Formula checks for docs/overview.md: the chain rule, on random joint tables of three binary variables."""

from __future__ import annotations

import numpy as np

from genmath.sitebuild.formulas import Check


def _chain_rule(rng: np.random.Generator) -> dict[str, float]:
    joint = rng.dirichlet(np.ones(8)).reshape(2, 2, 2)
    a, b, c = (int(v) for v in rng.integers(0, 2, size=3))
    p1 = joint.sum(axis=(1, 2))[a]                       # p(x1): marginalise x2, x3
    p12 = joint.sum(axis=2)[a, b]                        # p(x1, x2): marginalise x3
    return {"P": joint[a, b, c], "A": p1, "B": p12 / p1, "C": joint[a, b, c] / p12}


CHECKS = {
    "overview-chain-rule": Check(
        subs={"p(x_1,x_2,x_3)": "P", "p(x_1)": "A", r"p(x_2\mid x_1)": "B", r"p(x_3\mid x_1,x_2)": "C"},
        values=_chain_rule),
}
