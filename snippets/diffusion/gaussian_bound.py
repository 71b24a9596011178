"""The DDPM bound computed EXACTLY for Gaussian data x_0 ~ N(m, s^2) (per dimension): every term,
the total, and the exact negative log-likelihood of the same model, for three reverse-kernel families."""

import numpy as np
from scipy import optimize

from genmath import bits_per_dim, gaussian_bound, kl_normal, linear_betas
from genmath.diffusion import gaussian_marginals
from genmath.figures import subplots
from genmath.snippet import claim, figure, publish, table

m, s = 0.5, 0.5
publish("diffusion.gauss.m", m)
publish("diffusion.gauss.s", s)
betas = linear_betas()  # T = 1000, 1e-4 .. 0.02
T = betas.size
LABELS = {"exact": "exact q(x_{t-1}|x_t)", "beta": "σ_t² = β_t", "beta_tilde": "σ_t² = β̃_t"}
TEX = {"exact": r"exact $q(x_{t-1}|x_t)$", "beta": r"$\sigma_t^2=\beta_t$", "beta_tilde": r"$\sigma_t^2=\tilde\beta_t$"}
bounds = {k: gaussian_bound(betas, m, s, k) for k in LABELS}

rows = []
for k, g in bounds.items():
    rows.append([LABELS[k], g.terms[T], g.terms[1:T].sum(), g.terms[0], g.total, g.nll, g.gap,
                 float(bits_per_dim(g.total, 1)), float(bits_per_dim(g.gap, 1))])
    publish(f"diffusion.gauss.{k}.prior", g.terms[T], unit="nats")
    publish(f"diffusion.gauss.{k}.middle", g.terms[1:T].sum(), unit="nats")
    publish(f"diffusion.gauss.{k}.decoder", g.terms[0], unit="nats")
    publish(f"diffusion.gauss.{k}.total", g.total, unit="nats")
    publish(f"diffusion.gauss.{k}.total_bits", float(bits_per_dim(g.total, 1)), unit="bits")
    publish(f"diffusion.gauss.{k}.nll", g.nll, unit="nats")
    publish(f"diffusion.gauss.{k}.nll_bits", float(bits_per_dim(g.nll, 1)), unit="bits")
    publish(f"diffusion.gauss.{k}.gap", g.gap, unit="nats")
    publish(f"diffusion.gauss.{k}.gap_bits", float(bits_per_dim(g.gap, 1)), unit="bits")
    publish(f"diffusion.gauss.{k}.l1", g.terms[1], unit="nats")
table(["reverse kernel", "L_T", "Σ L_{t−1} (t=2..T)", "L_0", "bound L", "exact E[−log p(x₀)]", "gap",
       "L (bits/dim)", "gap (bits/dim)"], rows, fmt=".6g")
g = bounds["exact"]
publish("diffusion.gauss.entropy", g.data_entropy, unit="nats")
publish("diffusion.gauss.entropy_bits", float(bits_per_dim(g.data_entropy, 1)), unit="bits")
publish("diffusion.gauss.exact.model_mean", g.model_mean)
publish("diffusion.gauss.exact.model_var", g.model_var)
publish("diffusion.gauss.steps_t", T)

# The exact-kernel gap is KL(q(x_T) || N(0, 1)) - KL(q(x_0) || p(x_0)) (the marginal of x_T, not L_T):
# L_T = E_{x_0} KL(q(x_T | x_0) || N(0, 1)) = KL(q(x_T) || N(0, 1)) + I(x_0; x_T), the chain rule of KL.
means, variances = gaussian_marginals(betas, m, s)
kl_marginal = publish("diffusion.gauss.kl_marginal_prior", kl_normal(means[T], np.sqrt(variances[T]), 0.0, 1.0),
                      unit="nats")
kl_model = publish("diffusion.gauss.kl_data_model", kl_normal(m, s, g.model_mean, np.sqrt(g.model_var)), unit="nats")
publish("diffusion.gauss.mutual_info_t", g.terms[T] - kl_marginal, unit="nats")
publish("diffusion.gauss.marginal_share_of_prior", kl_marginal / g.terms[T])
claim(abs(g.gap - (kl_marginal - kl_model)) < 1e-12, "the exact-kernel gap is KL(q(x_T)||N(0,1)) - KL(q(x_0)||p(x_0))")
claim(all(bounds[k].gap >= -1e-12 for k in bounds), "the bound is never below the NLL")
claim(bounds["beta_tilde"].gap > bounds["beta"].gap > bounds["exact"].gap,
      "restricting the variance costs nats, beta_tilde more than beta, for these data")
# where the mass sits: share of the middle terms carried by t = 2..11 (the first 10 of 999)
for k in ("exact", "beta"):
    mid = bounds[k].terms[1:T]
    publish(f"diffusion.gauss.{k}.share_first10", mid[:10].sum() / mid.sum())
    publish(f"diffusion.gauss.{k}.share_last500", mid[-500:].sum() / mid.sum())

# one data point instead of the expectation
x0 = 1.3
publish("diffusion.gauss.point_x0", x0)
for k in ("exact", "beta"):
    gx = gaussian_bound(betas, m, s, k, x0=x0)
    publish(f"diffusion.gauss.point.{k}.total", gx.total, unit="nats")
    publish(f"diffusion.gauss.point.{k}.nll", gx.nll, unit="nats")
    publish(f"diffusion.gauss.point.{k}.gap", gx.gap, unit="nats")

# numbers for the figure's description: the terms, and how fast the running sum L_0 + ... + L_{t-1} rises
mid = g.terms[1:T]
claim(np.all(np.diff(mid) < 0), "the exact terms L_{t-1} fall with t")
publish("diffusion.gauss.term_last", mid[-1], unit="nats")
running = np.cumsum(g.terms[:T])            # running[t - 1] = L_0 + ... + L_{t-1}
publish("diffusion.gauss.running_t100", running[99], unit="nats")
publish("diffusion.gauss.running_final", running[-1], unit="nats")
for q in (50, 90, 99):
    t_q = int(np.argmax(running >= q / 100 * running[-1])) + 1
    publish(f"diffusion.gauss.running_t{q}", t_q)
    t_q_beta = int(np.argmax(np.cumsum(bounds["beta"].terms[:T]) >= q / 100 * running[-1])) + 1
    claim(abs(t_q_beta - t_q) <= 0.05 * t_q, f"the beta kernel's running sum reaches {q}% at about the same t")

t = np.arange(2, T + 1)
fig, (ax1, ax2) = subplots(1, 2, figsize=(7.6, 3.4))
for k, style in (("exact", "-"), ("beta", "--"), ("beta_tilde", ":")):
    ax1.loglog(t, bounds[k].terms[1:T], style, label=TEX[k])
    ax2.semilogx(np.arange(1, T + 1), np.cumsum(bounds[k].terms[:T]), style, label=TEX[k])
ax2.axhline(g.data_entropy, color="0.5", lw=1, label=r"data entropy $h(x_0)$")
ax1.set_xlabel("t")
ax1.set_ylabel(r"$L_{t-1}$ (nats per dim)")
ax1.legend(fontsize=8)
ax2.set_xlabel("t")
ax2.set_ylabel(r"$L_0+\dots+L_{t-1}$ (nats per dim)")
ax2.legend(fontsize=8)
figure(fig, "diffusion.gauss.terms",
       alt="Left: the exact bound terms L_{t-1} for t = 2 to {{ diffusion.gauss.steps_t }} on log-log axes, "
           "falling from {{ diffusion.gauss.exact.l1:.2f }} nats at t = 2 to {{ diffusion.gauss.term_last:.1e }} "
           "nats at t = {{ diffusion.gauss.steps_t }}. Right: the running sum of the terms, starting from "
           "L_0 = {{ diffusion.gauss.exact.decoder:.2f }} nats and climbing slowly towards the data entropy: it "
           "is {{ diffusion.gauss.running_t100:.3f }} nats at t = 100, of a final "
           "{{ diffusion.gauss.running_final:.3f }} nats, and reaches 50, 90 and 99 percent of that at "
           "t = {{ diffusion.gauss.running_t50 }}, {{ diffusion.gauss.running_t90 }} and "
           "{{ diffusion.gauss.running_t99 }}, for the exact and beta kernels alike.",
       caption="The exact DDPM bound for x₀ ~ N(m, s²) with m = {{ diffusion.gauss.m }} and s = {{ diffusion.gauss.s }}, "
               "linear schedule, T = {{ diffusion.gauss.steps_t }}. Left: each term L_{t−1}. Right: the running "
               "sum L₀ + … + L_{t−1}; L_T (not shown) adds {{ diffusion.gauss.exact.prior:.1e }} nats.")

# which fixed variance is better depends on the data: gap against the data's standard deviation
s_grid = np.geomspace(0.01, 2.0, 40)
gaps = {k: [gaussian_bound(betas, 0.0, si, k).gap for si in s_grid] for k in ("beta", "beta_tilde")}
fig, ax = subplots()
ax.loglog(s_grid, gaps["beta"], label=TEX["beta"])
ax.loglog(s_grid, gaps["beta_tilde"], "--", label=TEX["beta_tilde"])
ax.axvline(1.0, color="0.5", lw=1)
ax.set_xlabel("data standard deviation s (x₀ ~ N(0, s²))")
ax.set_ylabel("bound − exact NLL (nats per dim)")
ax.legend()
claim(abs(gaussian_bound(betas, 0.0, 1.0, "beta").gap) < 1e-9
      and np.isclose(s_grid[int(np.argmin(gaps["beta"]))], 1.0, atol=0.15), "sigma^2 = beta_t is exact at s = 1")
claim(gaps["beta_tilde"][0] < gaps["beta"][0], "sigma^2 = beta_tilde_t wins for narrow data")
figure(fig, "diffusion.gauss.variance_choice",
       alt="Log-log plot of the gap between the bound and the exact NLL against the data standard "
           "deviation s for both fixed variances: sigma^2 = beta_t has zero gap at s = 1 and large gaps for "
           "small s, sigma^2 = beta_tilde_t has small gaps for small s.",
       caption="Bound minus exact NLL with the optimal means and a fixed variance, for x₀ ~ N(0, s²). "
               "σ_t² = β_t is exact at s = 1 (the dip: the gap is 0 there); σ_t² = β̃_t wins for narrow data.")
i_small = 0
publish("diffusion.gauss.s_small", s_grid[i_small])
publish("diffusion.gauss.s_small.beta_gap", gaps["beta"][i_small], unit="nats")
publish("diffusion.gauss.s_small.beta_tilde_gap", gaps["beta_tilde"][i_small], unit="nats")
publish("diffusion.gauss.unit.beta_gap_abs", abs(gaussian_bound(betas, 0.0, 1.0, "beta").gap), unit="nats")
s_cross = optimize.brentq(lambda si: np.log(gaussian_bound(betas, 0.0, si, "beta").gap)
                          - np.log(gaussian_bound(betas, 0.0, si, "beta_tilde").gap), 0.01, 0.5, xtol=1e-10)
publish("diffusion.gauss.s_cross", s_cross)
publish("diffusion.gauss.unit.beta_tilde_gap", gaussian_bound(betas, 0.0, 1.0, "beta_tilde").gap, unit="nats")
