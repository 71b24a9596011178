"""Learned variances (Nichol & Dhariwal 2021, eq. 15) on the chapter's Gaussian data, exactly; importance
sampling of t (their eq. 18) on the per-example bound terms of the trained network."""

import numpy as np
import torch

from genmath import (
    bound_from_eps_mse,
    cached_train_ddpm,
    ddpm_eps_mse,
    estimator_variance,
    gaussian_bound,
    gaussian_optimal_frac,
    importance_probs,
    linear_betas,
    ring_mixture,
    scaled_linear_betas,
)
from genmath.snippet import claim, publish, table

# --- learned variances: the best interpolation v_t for x_0 ~ N(0.5, 0.5^2), linear schedule, T = 1000
m, s = 0.5, 0.5
betas = linear_betas()
frac = gaussian_optimal_frac(betas, m, s)
claim(np.all((frac[1:] >= 0) & (frac[1:] <= 1)), "the true variance lies between beta_t and beta-tilde_t (s in [0, 1])")
for t in (2, 10, 100, 1000):
    publish(f"diffusion.lv.frac_{t}", frac[t - 1])
gaps = {k: gaussian_bound(betas, m, s, k).gap for k in ("exact", "learned_range", "beta", "beta_tilde")}
table(["reverse variance", "bound − exact NLL (nats)"],
      [["exact $q(x_{t-1} \\mid x_t)$", gaps["exact"]], ["learned v (best, in [0, 1])", gaps["learned_range"]],
       ["$\\sigma_t^2 = \\beta_t$", gaps["beta"]], ["$\\sigma_t^2 = \\tilde\\beta_t$", gaps["beta_tilde"]]], fmt=".3e")
for k, g in gaps.items():
    publish(f"diffusion.lv.gap.{k}", g, unit="nats")
assert abs(gaps["learned_range"] - gaps["exact"]) < 1e-12 < gaps["beta"] - gaps["exact"]
# wider data than the prior (s > 1): the true variance exceeds beta_t, outside the learnable range
wide = gaussian_optimal_frac(betas, m, 2.0)
publish("diffusion.lv.wide_s", 2.0)
publish("diffusion.lv.wide_frac_max", wide.max())
publish("diffusion.lv.wide_gap", gaussian_bound(betas, m, 2.0, "learned_range").gap, unit="nats")
assert wide.min() > 1 and gaussian_bound(betas, m, 2.0, "learned_range").gap > gaussian_bound(
    betas, m, 2.0, "exact").gap

# --- importance sampling of t, on the trained network's per-example terms of the sigma^2 = beta bound
torch.set_num_threads(1)
ring_betas = scaled_linear_betas(100)
# the same arguments as train.py: the memo returns its weights
trained = cached_train_ddpm(ring_mixture(8192, seed=0), ring_betas, steps=2000, batch_size=1024, lr=8e-3,
                            hidden=64, seed=0)
test = ring_mixture(2000, seed=1)
est = bound_from_eps_mse(ddpm_eps_mse(trained, test, seed=2), test, ring_betas, "beta")
terms = est.terms  # (n, T): term t of example i (L_T, exact, is added separately)
T = ring_betas.size
uniform = np.full(T, 1.0 / T)
p_is = importance_probs((terms**2).mean(0))
sd_uniform, sd_is = np.sqrt(estimator_variance(terms, uniform)), np.sqrt(estimator_variance(terms, p_is))
publish("diffusion.is.sd_uniform", sd_uniform, unit="nats")
publish("diffusion.is.sd_importance", sd_is, unit="nats")
publish("diffusion.is.ratio", sd_uniform / sd_is)
publish("diffusion.is.p_first", p_is[0])
publish("diffusion.is.p_first10", p_is[:10].sum())
publish("diffusion.is.batch_for_uniform", (sd_uniform / sd_is) ** 2)
# Monte Carlo check of the variance formula: 200 000 one-sample estimates with t ~ p_is
rng = np.random.default_rng(0)
i, t = rng.integers(0, terms.shape[0], 200_000), rng.choice(T, 200_000, p=p_is)
draws = terms[i, t] / p_is[t]
assert abs(draws.mean() - terms.mean(0).sum()) < 5 * draws.std() / np.sqrt(draws.size)
assert abs(draws.std() / sd_is - 1) < 0.02
assert sd_is < sd_uniform
table(["sampling of t", "std. dev. of one-sample estimate (nats)", "p(t = 1)"],
      [["uniform", sd_uniform, 1.0 / T], [r"$p_t \propto \sqrt{\mathbb{E}[L_t^2]}$", sd_is, p_is[0]]], fmt=".4g")
