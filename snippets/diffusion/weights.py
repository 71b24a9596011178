"""The weight lambda_t of ||eps - eps_theta||^2 in the true bound (Ho et al. 2020, eq. 12), for both
fixed reverse variances sigma_t^2 = beta_t and sigma_t^2 = beta_tilde_t; L_simple sets it to 1."""

import numpy as np

from genmath import linear_betas, loss_weights, reverse_variances, snr
from genmath.figures import subplots
from genmath.snippet import claim, figure, publish, table

betas = linear_betas()  # T = 1000, 1e-4 .. 0.02
t = np.arange(1, betas.size + 1)
lam = {kind: loss_weights(betas, reverse_variances(betas, kind)) for kind in ("beta", "beta_tilde")}
rows = [[s, lam["beta"][s - 1], lam["beta_tilde"][s - 1]] for s in (1, 2, 10, 100, 500, 1000)]
table(["t", "λ_t (σ²=β_t)", "λ_t (σ²=β̃_t)"], rows, fmt=".4g")
for kind, weight in lam.items():  # weight[t - 1] is lambda_t
    publish(f"diffusion.weights.{kind}.t1", weight[0])
    publish(f"diffusion.weights.{kind}.t2", weight[1])
    publish(f"diffusion.weights.{kind}.t10", weight[9])
    publish(f"diffusion.weights.{kind}.t500", weight[499])
    publish(f"diffusion.weights.{kind}.t1000", weight[-1])
    publish(f"diffusion.weights.{kind}.max_over_min", weight.max() / weight.min())
    # share of the total weight carried by the first 10 of the 1000 steps (L_simple: 1 %)
    publish(f"diffusion.weights.{kind}.share_first10", weight[:10].sum() / weight.sum())
    publish(f"diffusion.weights.{kind}.min", weight.min())
    t_min = publish(f"diffusion.weights.{kind}.argmin", int(np.argmin(weight)) + 1)
    claim(np.all(np.diff(weight[:t_min]) < 0) and np.all(np.diff(weight[t_min - 1:]) > 0),
          f"lambda_t ({kind}) falls to a single minimum and rises after it")
publish("diffusion.weights.steps_t", betas.size)

# the SNR form for sigma^2 = beta_tilde: lambda_t = (SNR(t-1) - SNR(t)) / (2 SNR(t)), t >= 2
s = snr(betas)
publish("diffusion.weights.snr_form_maxrelerr",
        np.max(np.abs((s[:-1] - s[1:]) / (2 * s[1:]) / lam["beta_tilde"][1:] - 1)))
publish("diffusion.weights.sigma1_beta_tilde", reverse_variances(betas, "beta_tilde")[0])

fig, ax = subplots()
ax.loglog(t, lam["beta"], label=r"$\sigma_t^2=\beta_t$")
ax.loglog(t, lam["beta_tilde"], "--", label=r"$\sigma_t^2=\tilde\beta_t$ ($\sigma_1^2=\tilde\beta_2$)")
ax.axhline(1.0, color="0.5", lw=1, label=r"$L_\mathrm{simple}$ (weight 1)")
ax.set_xlabel("t (paper's 1-based step)")
ax.set_ylabel(r"$\lambda_t$")
ax.legend()
figure(fig, "diffusion.weights.lambda",
       alt="Log-log plot of the bound weight lambda_t against t for T = {{ diffusion.weights.steps_t }}: at "
           "t = 1 the beta_t curve starts at {{ diffusion.weights.beta.t1:.2f }} and the beta_tilde_t curve at "
           "{{ diffusion.weights.beta_tilde.t1:.3f }}; both fall to a minimum of about "
           "{{ diffusion.weights.beta.min:.3f }} near t = {{ diffusion.weights.beta.argmin }} and rise again to "
           "{{ diffusion.weights.beta.t1000:.4f }} at t = {{ diffusion.weights.steps_t }}; L_simple uses weight 1 "
           "everywhere.",
       caption="The weight λ_t of the ε-error in the true bound (Ho et al. 2020, eq. 12), linear "
               "schedule, T = {{ diffusion.weights.steps_t }}. L_simple replaces it by 1, which up-weights large "
               "t relative to the bound.")
