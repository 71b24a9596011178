"""Computed answers to the chapter's exercises."""

import numpy as np

from genmath import (
    alpha_bars,
    bits_per_dim,
    gaussian_bound,
    linear_betas,
    log_snr,
    loss_weights,
    reverse_variances,
)
from genmath.snippet import publish

betas = linear_betas()  # T = 1000, 1e-4 .. 0.02

# 1. First step where noise outweighs signal: alpha_bar_t < 1/2, i.e. SNR(t) < 1.
ab = alpha_bars(betas)
t_half = int(np.argmax(ab < 0.5)) + 1  # paper's 1-based t
publish("diffusion.ex.t_half", t_half)
publish("diffusion.ex.alpha_bar_t_half", ab[t_half - 1])
publish("diffusion.ex.alpha_bar_before", ab[t_half - 2])
publish("diffusion.ex.log_snr_t_half", log_snr(betas)[t_half - 1])

# 2. lambda_1 with sigma_1^2 = beta_1 equals 1 / (2 alpha_1).
lam1 = loss_weights(betas, reverse_variances(betas, "beta"))[0]
publish("diffusion.ex.lambda_1", lam1)
publish("diffusion.ex.lambda_1_formula", 1 / (2 * (1 - betas[0])))

# 3. Copying 1e-4 .. 0.02 to fewer steps: the smallest T with alpha_bar_T < 1e-3.
T_min = next(T for T in range(2, 2001) if alpha_bars(linear_betas(T))[-1] < 1e-3)
publish("diffusion.ex.t_min_copied", T_min)
publish("diffusion.ex.alpha_bar_t_min", alpha_bars(linear_betas(T_min))[-1])
g = gaussian_bound(linear_betas(T_min), 0.5, 0.5, "exact")
publish("diffusion.ex.prior_t_min", g.terms[-1], unit="nats")
publish("diffusion.ex.prior_t_min_bits", float(bits_per_dim(g.terms[-1], 1)), unit="bits")

# 4. Standard normal data: both fixed variances.
for kind in ("beta", "beta_tilde"):
    g = gaussian_bound(betas, 0.0, 1.0, kind)
    publish(f"diffusion.ex.unit_{kind}_gap_abs", abs(g.gap), unit="nats")
    publish(f"diffusion.ex.unit_{kind}_prior", g.terms[-1], unit="nats")
