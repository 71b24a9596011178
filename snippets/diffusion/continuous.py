"""Continuous time (Kingma et al. 2021): the middle terms of the bound, written over the SNR, converge as
T grows to an integral that depends on the schedule only through its end points. Exact, on the chapter's
Gaussian data x_0 ~ N(0.5, 0.5^2) with the best denoiser."""

import numpy as np

from genmath import (
    alpha_bars,
    alpha_bars_from_log_snr,
    cosine_betas,
    gaussian_bound,
    gaussian_diffusion_loss,
    gaussian_diffusion_loss_continuous,
    linear_betas,
    log_snr,
)
from genmath.figures import subplots
from genmath.snippet import figure, publish, table

m, s = 0.5, 0.5
betas = linear_betas()  # the chapter's schedule: T = 1000, 1e-4 .. 0.02
lam = log_snr(betas)
lam_max, lam_min = lam[0], lam[-1]  # log SNR(1) and log SNR(T): the end points kept fixed below
publish("diffusion.vdm.log_snr_max", lam_max)
publish("diffusion.vdm.log_snr_min", lam_min)

L_inf = gaussian_diffusion_loss_continuous(np.exp(lam_min), np.exp(lam_max), s)
publish("diffusion.vdm.l_inf", L_inf, unit="nats")
# the discrete middle terms of the chapter's exact Gaussian bound (sigma_t^2 = beta-tilde_t) are the same sum
middle = gaussian_bound(betas, m, s, "beta_tilde").terms[1:-1].sum()
assert abs(middle - gaussian_diffusion_loss(alpha_bars(betas), s)) < 1e-9
publish("diffusion.vdm.discrete_1000", middle, unit="nats")
publish("diffusion.vdm.excess_1000", middle - L_inf, unit="nats")


def shape_linear_beta(u):
    """log-SNR of the linear-beta schedule (T = 1000), as a fraction of the way from lam_max to lam_min."""
    return np.interp(u, np.linspace(0, 1, lam.size), (lam_max - lam) / (lam_max - lam_min))


lam_cos = log_snr(cosine_betas(1000))[:-1]  # without the clipped last step


def shape_cosine(u):
    return np.interp(u, np.linspace(0, 1, lam_cos.size), (lam_cos[0] - lam_cos) / (lam_cos[0] - lam_cos[-1]))


SHAPES = {"linear β": shape_linear_beta, "cosine": shape_cosine, "linear log-SNR": lambda u: u}


def schedule(shape, T):
    """alpha-bar_1..T with log SNR(1) = lam_max, log SNR(T) = lam_min and the given interior."""
    return alpha_bars_from_log_snr(lam_max + SHAPES[shape](np.linspace(0, 1, T)) * (lam_min - lam_max))


Ts = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]
excess = {k: np.array([gaussian_diffusion_loss(schedule(k, T), s) - L_inf for T in Ts]) for k in SHAPES}
rows = [[T] + [excess[k][i] for k in SHAPES] for i, T in enumerate(Ts)]
table(["T", *(f"{k}: $\\sum_t L_{{t-1}} - L_\\infty$ (nats)" for k in SHAPES)], rows, fmt=".3g")
assert all(np.all(np.diff(e) < 0) and np.all(e > 0) for e in excess.values())  # down to L_inf from above
for k, key in zip(SHAPES, ("linear_beta", "cosine", "linear_log_snr")):
    publish(f"diffusion.vdm.{key}.excess_10", excess[k][0], unit="nats")
    publish(f"diffusion.vdm.{key}.excess_10000", excess[k][-1], unit="nats")
    # the excess falls like 1/T: T times the excess settles
    publish(f"diffusion.vdm.{key}.t_times_excess", Ts[-1] * excess[k][-1], unit="nats")
assert abs(excess["linear β"][Ts.index(1000)] - (middle - L_inf)) < 1e-9  # the same schedule at T = 1000
# like 1/T: doubling T from 5000 to 10000 halves every excess (within 5%)
assert all(abs(e[-1] / e[-2] - Ts[-2] / Ts[-1]) < 0.05 * Ts[-2] / Ts[-1] for e in excess.values())
# at T = 10 the interiors differ by orders of magnitude
assert max(e[0] for e in excess.values()) > 30 * min(e[0] for e in excess.values())
spread_10000 = max(e[-1] for e in excess.values()) - min(e[-1] for e in excess.values())
publish("diffusion.vdm.spread_10000", spread_10000, unit="nats")

fig, ax = subplots(figsize=(4.0, 3.1))
for (k, e), style in zip(excess.items(), ("-", "--", ":")):
    ax.loglog(Ts, e, style, marker="o", ms=3, label=k)
ax.set_xlabel("number of steps T")
ax.set_ylabel(r"excess over $L_\infty$ (nats)")
ax.legend(fontsize=9)
figure(fig, "diffusion.vdm.excess",
       alt="Log-log plot of the discrete middle terms minus their continuous-time limit "
           "L_inf = {{ diffusion.vdm.l_inf:.3f }} nats against T for three schedules with the same end points: the "
           "linear-beta shape falls from {{ diffusion.vdm.linear_beta.excess_10:.3g }} nats at T = 10 to "
           "{{ diffusion.vdm.linear_beta.excess_10000:.2g }} nats at T = 10000, the cosine shape from "
           "{{ diffusion.vdm.cosine.excess_10:.3g }} to {{ diffusion.vdm.cosine.excess_10000:.2g }} nats, linear "
           "log-SNR from {{ diffusion.vdm.linear_log_snr.excess_10:.3g }} to "
           "{{ diffusion.vdm.linear_log_snr.excess_10000:.2g }} nats; all three fall like 1/T.",
       caption="The middle terms of the discrete bound ($\\sigma_t^2 = \\tilde\\beta_t$, best means) minus their limit $L_\\infty$ as "
               "$T \\to \\infty$, for the chapter's Gaussian data and three schedules with the end points of the linear "
               "schedule.")
