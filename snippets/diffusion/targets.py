"""Prediction targets: the errors of epsilon-, x_0- and v-prediction are the noise error reweighted
(Salimans & Ho 2022), so each loss is the bound with its own weighting of the steps."""

import numpy as np

from genmath import (
    alpha_bars,
    elbo_weighting,
    eps_x0_from_velocity,
    linear_betas,
    predict_x0,
    snr,
    target_mse_factor,
    velocity,
)
from genmath.figures import subplots
from genmath.snippet import figure, publish, table

betas = linear_betas()  # T = 1000, 1e-4 .. 0.02 (Ho et al. 2020)
T = betas.size
ab = alpha_bars(betas)

# The identities on random draws: predictions that imply each other have proportional errors.
rng = np.random.default_rng(0)
t = 700
x0, eps, eps_hat = rng.standard_normal((3, 10_000, 2))
xt = np.sqrt(ab[t - 1]) * x0 + np.sqrt(1 - ab[t - 1]) * eps
x0_hat = predict_x0(xt, eps_hat, ab[t - 1])
v, v_hat = velocity(x0, eps, ab[t - 1]), velocity(x0_hat, eps_hat, ab[t - 1])
err_eps = ((eps - eps_hat) ** 2).sum(1)
ratio_x0 = ((x0 - x0_hat) ** 2).sum(1) / err_eps
ratio_v = ((v - v_hat) ** 2).sum(1) / err_eps
assert np.allclose(ratio_x0, 1 / snr(betas)[t - 1]) and np.allclose(ratio_v, 1 / ab[t - 1])
assert np.allclose(eps_x0_from_velocity(xt, v, ab[t - 1])[0], eps)  # (x_t, v) is (x_0, eps) rotated
publish("diffusion.targets.t", t)
publish("diffusion.targets.x0_factor", float(target_mse_factor(ab[t - 1], "x0")))
publish("diffusion.targets.v_factor", float(target_mse_factor(ab[t - 1], "v")))

# The implied weighting of each loss relative to the bound (sigma_t^2 = beta-tilde_t), t = 2..T.
steps = np.arange(2, T + 1)
w = {k: elbo_weighting(betas, k) for k in ("eps", "x0", "v")}
rows = [[s] + [w[k][s - 2] for k in w] for s in (2, 10, 100, 500, 1000)]
table(["t", "w(t), ε-loss", "w(t), x₀-loss", "w(t), v-loss"], rows, fmt=".3g")
for k, wk in w.items():
    publish(f"diffusion.targets.{k}.w2", wk[0])
    publish(f"diffusion.targets.{k}.w_last", wk[-1])
    publish(f"diffusion.targets.{k}.spread", wk.max() / wk.min())
# where v switches from epsilon-like to x_0-like: SNR(t) = 1
t_cross = int(steps[np.argmax(snr(betas)[1:] < 1)])
publish("diffusion.targets.t_snr1", t_cross)
publish("diffusion.targets.steps_t", T)
assert np.all(w["v"] >= w["eps"]) and np.all(w["v"] >= w["x0"])  # v = eps + x0 weights
assert np.allclose(w["v"], w["eps"] + w["x0"])
# the eps-loss weighs the last term more than the first; the x0-loss spreads its weights far more widely
assert w["eps"][0] < w["eps"][-1] and w["x0"].max() / w["x0"].min() > 1e3 * (w["eps"].max() / w["eps"].min())

fig, ax = subplots(figsize=(4.0, 3.2))
for k, style, label in (("eps", "-", r"$\epsilon$-loss"), ("x0", "--", r"$x_0$-loss"), ("v", ":", r"$v$-loss")):
    ax.loglog(steps, w[k], style, label=label)
ax.axhline(1.0, color="0.5", lw=1, label="the bound (weight 1)")
ax.axvline(t_cross, color="0.5", lw=0.8, ls="-.")
ax.text(t_cross * 1.08, 1e-5, "SNR = 1", fontsize=10)
ax.set_xlabel("t")
ax.set_ylabel("weight on the bound's term t")
ax.legend(fontsize=8, loc="upper left")
figure(fig, "diffusion.targets.weights",
       alt="Log-log plot of the weight each loss puts on the bound's term at step t, linear schedule with "
           "T = {{ diffusion.targets.steps_t }}. The epsilon-loss weight rises from {{ diffusion.targets.eps.w2:.1e }} "
           "at t = 2 to {{ diffusion.targets.eps.w_last:.2g }} at t = T; the x0-loss weight from "
           "{{ diffusion.targets.x0.w2:.1e }} to {{ diffusion.targets.x0.w_last:.2g }}; the v-loss follows the "
           "epsilon-loss while SNR > 1 (up to t = {{ diffusion.targets.t_snr1 }}) and the x0-loss after it.",
       caption="Implied weighting $w(t) = c(t)/(T\\lambda_t)$ of three losses on the bound's term at step t "
               "($\\sigma_t^2 = \\tilde\\beta_t$), linear schedule, T = {{ diffusion.targets.steps_t }}. A weight of 1 everywhere is "
               "the bound itself.")
