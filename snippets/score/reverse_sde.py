"""The reverse-time VP SDE and DDPM's sampler: one Euler-Maruyama step of the reverse SDE and one step of
Ho et al.'s Algorithm 2, driven by the same noise and the exact score of the noisy ring, agree to first
order in beta_t; over a whole chain their samples differ by an amount that shrinks as T grows."""

import numpy as np

from genmath import (
    alpha_bars,
    linear_betas,
    mixture_score,
    ring_centres,
    ring_mixture_logpdf,
    ring_near_fraction,
    scaled_linear_betas,
    vp_reverse_euler_step,
)
from genmath.snippet import claim, pm, publish, table

centres, std, K = ring_centres(), 0.1, 8


def vp_ring_score(x, abar):
    """grad log q(x_t) for the ring: x_t = sqrt(abar) x_0 + sqrt(1 - abar) eps is the mixture with means
    sqrt(abar) c_j and covariance (abar std^2 + 1 - abar) I."""
    covs = np.stack([(abar * std**2 + 1 - abar) * np.eye(2)] * K)
    return mixture_score(x, np.full(K, 1 / K), np.sqrt(abar) * centres, covs)


n = publish("score.vp.n", 2000)
rows, gaps = [], {}
for name, betas in (("short", scaled_linear_betas(100)), ("long", linear_betas(1000))):
    T, abar = betas.size, alpha_bars(betas)
    publish(f"score.vp.{name}.steps", T)
    publish(f"score.vp.{name}.beta_max", betas.max())
    # the two update rules' coefficients: 1/sqrt(1 - beta) vs 1 + beta/2 on x_t, beta/sqrt(1 - beta) vs beta on s
    publish(f"score.vp.{name}.coef_x_gap", np.max(np.abs(1 / np.sqrt(1 - betas) - (1 + betas / 2))))
    rng = np.random.default_rng(0)
    x_ddpm = x_em = rng.standard_normal((n, 2))
    for t in range(T, 0, -1):
        z = rng.standard_normal((n, 2)) if t > 1 else np.zeros((n, 2))
        b, ab = betas[t - 1], abar[t - 1]
        x_ddpm = (x_ddpm + b * vp_ring_score(x_ddpm, ab)) / np.sqrt(1 - b) + np.sqrt(b) * z  # Algorithm 2
        x_em = vp_reverse_euler_step(x_em, vp_ring_score(x_em, ab), b, z)
    gap = np.linalg.norm(x_ddpm - x_em, axis=1)
    gaps[name] = gap.mean()
    publish(f"score.vp.{name}.gap", gap.mean(), se=gap.std(ddof=1) / np.sqrt(n))
    row = [T, betas.max()]
    for label, x in (("ddpm", x_ddpm), ("em", x_em)):
        f = ring_near_fraction(x, 0.25)
        lp = ring_mixture_logpdf(x)
        publish(f"score.vp.{name}.{label}.near", f, se=np.sqrt(f * (1 - f) / n))
        publish(f"score.vp.{name}.{label}.logp", lp.mean(), unit="nats", se=lp.std(ddof=1) / np.sqrt(n))
        row += [pm(f, np.sqrt(f * (1 - f) / n)), pm(lp.mean(), lp.std(ddof=1) / np.sqrt(n))]
    rows.append(row + [pm(gap.mean(), gap.std(ddof=1) / np.sqrt(n))])
    near_diff = abs(ring_near_fraction(x_ddpm, 0.25) - ring_near_fraction(x_em, 0.25))
    claim(near_diff < 3 * np.sqrt(0.25 / n), f"at T = {T} the two samplers put the same fraction near the modes, "
                                              "within a few standard errors")
table(["$T$", r"$\max_t \beta_t$", "DDPM: near a mode", r"DDPM: mean $\log p_{\text{data}}$ (nats)",
       "SDE: near a mode", r"SDE: mean $\log p_{\text{data}}$ (nats)", "mean distance between paired samples"],
      rows, fmt=[".4g", ".2f", "", "", "", "", ""],
      caption="Exact scores of the noisy ring, the same Gaussian draws for both samplers; near a mode: the fraction "
              "of samples within 0.25 of a mode")
claim(gaps["long"] < gaps["short"] / 3, "the two samplers' paths come together as T grows")
