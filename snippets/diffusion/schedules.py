"""Linear (Ho et al. 2020) vs cosine (Nichol & Dhariwal 2021) schedules: alpha_bar_t and log-SNR,
and what happens when T changes but the beta range is copied."""

import numpy as np

from genmath import (
    alpha_bars,
    bits_per_dim,
    cosine_betas,
    gaussian_bound,
    linear_betas,
    log_snr,
    scaled_linear_betas,
)
from genmath.figures import subplots
from genmath.snippet import figure, publish, table

m, s = 0.5, 0.5  # the Gaussian data of the exact-bound section
T = 1000
sched = {"linear": linear_betas(T), "cosine": cosine_betas(T)}
t = np.arange(1, T + 1)
for name, b in sched.items():
    ab = alpha_bars(b)
    publish(f"diffusion.sched.{name}.alpha_bar_last", ab[-1])
    publish(f"diffusion.sched.{name}.alpha_bar_mid", ab[T // 2 - 1])
    publish(f"diffusion.sched.{name}.log_snr_first", log_snr(b)[0])
    publish(f"diffusion.sched.{name}.log_snr_last", log_snr(b)[-1])
    # fraction of the steps spent at nearly pure noise (alpha_bar_t < 0.01, i.e. SNR < 1/99)
    publish(f"diffusion.sched.{name}.frac_noise", float(np.mean(ab < 0.01)))
    publish(f"diffusion.sched.{name}.first_noise_frac", (int(np.argmax(ab < 0.01)) + 1) / T)
publish("diffusion.sched.cosine.beta_last", sched["cosine"][-1])

rows = []
variants = {"linear, T = 1000": linear_betas(1000),
            "linear 1e-4..0.02 copied, T = 100": linear_betas(100),
            "linear rescaled ×1000/T, T = 100": scaled_linear_betas(100),
            "cosine, T = 100": cosine_betas(100)}
keys = {"linear, T = 1000": "lin1000", "linear 1e-4..0.02 copied, T = 100": "copied100",
        "linear rescaled ×1000/T, T = 100": "scaled100", "cosine, T = 100": "cos100"}
for label, b in variants.items():
    g = gaussian_bound(b, m, s, "exact")
    ab_T = alpha_bars(b)[-1]
    rows.append([label, b.size, ab_T, g.terms[-1], float(bits_per_dim(g.terms[-1], 1)), g.total, g.gap])
    key = keys[label]
    publish(f"diffusion.sched.{key}.alpha_bar_last", ab_T)
    publish(f"diffusion.sched.{key}.prior", g.terms[-1], unit="nats")
    publish(f"diffusion.sched.{key}.prior_bits", float(bits_per_dim(g.terms[-1], 1)), unit="bits")
    publish(f"diffusion.sched.{key}.total", g.total, unit="nats")
    publish(f"diffusion.sched.{key}.gap", g.gap, unit="nats")
table(["schedule", "T", "ᾱ_T", "L_T (nats/dim)", "L_T (bits/dim)", "bound L (nats/dim)", "L − NLL (nats/dim)"],
      rows, fmt=".4g")

fig, (ax1, ax2) = subplots(1, 2, figsize=(7.6, 3.2))
for name, b in sched.items():
    ax1.plot(t / T, alpha_bars(b), label=name)
    ax2.plot(t / T, log_snr(b), label=name)
ax1.plot(np.arange(1, 101) / 100, alpha_bars(linear_betas(100)), ":", label="linear copied, T = 100")
ax1.set_xlabel("t / T")
ax1.set_ylabel(r"$\bar\alpha_t$")
ax1.legend(fontsize=8)
ax2.set_xlabel("t / T")
ax2.set_ylabel(r"$\log\,\mathrm{SNR}(t)$ (natural log)")
ax2.legend(fontsize=8)
figure(fig, "diffusion.sched.curves",
       alt="Left: alpha_bar_t against t/T; the linear schedule falls below one hundredth at "
           "t/T = {{ diffusion.sched.linear.first_noise_frac:.2f }}, the cosine one falls smoothly to zero at "
           "t/T = 1, and the linear schedule copied to T = 100 only reaches "
           "{{ diffusion.sched.copied100.alpha_bar_last:.2f }}. Right: log-SNR against t/T; cosine is nearly "
           "linear in t, linear drops fast early and reaches {{ diffusion.sched.linear.log_snr_last:.1f }} at t = T.",
       caption="Left: ᾱ_t for the linear (T = 1000), cosine (T = 1000) and copied linear (T = 100) "
               "schedules. Right: log SNR(t) = log(ᾱ_t/(1−ᾱ_t)) in nats.")
