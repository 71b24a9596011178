"""The exact log-likelihood of the probability-flow ODE model built from the trained network
(instantaneous change of variables, exact 2x2 trace), against the variational bound of the DDPM on the
same held-out points, and the model's density on a grid."""

import numpy as np
import torch

from genmath import (
    bits_per_dim,
    bound_from_eps_mse,
    cached_train_ddpm,
    ddpm_eps_mse,
    pf_ode_log_likelihood,
    ring_mixture,
    ring_mixture_logpdf,
    scaled_linear_betas,
)
from genmath.figures import subplots
from genmath.snippet import claim, figure, publish, table

torch.set_num_threads(1)
betas = scaled_linear_betas(100)
# the same arguments as train.py: the memo returns its weights
trained = cached_train_ddpm(ring_mixture(8192, seed=0), betas, steps=2000, batch_size=1024, lr=8e-3, hidden=64,
                            seed=0)
test = ring_mixture(2000, seed=1)  # train.py's held-out points

ode = pf_ode_log_likelihood(trained, test, rtol=1e-5, atol=1e-5)
publish("diffusion.ode.nll", ode.nll, unit="nats")
publish("diffusion.ode.stderr", ode.stderr, unit="nats")
publish("diffusion.ode.bits", ode.bits_per_dim, unit="bits")
publish("diffusion.ode.nfe", ode.nfe)
publish("diffusion.ode.prior", -ode.prior.mean(), unit="nats")
publish("diffusion.ode.divergence", ode.divergence.mean(), unit="nats")
# solver error: 100 of the points again with 100 times tighter tolerances
fine = pf_ode_log_likelihood(trained, test[:100], rtol=1e-7, atol=1e-7)
solver_err = np.abs(fine.log_prob - ode.log_prob[:100]).max()
publish("diffusion.ode.solver_err", solver_err, unit="nats")
publish("diffusion.ode.nfe_fine", fine.nfe)
claim(solver_err < 0.1 * ode.stderr, "the worst point's ODE solver error is a tenth of the Monte Carlo error")

# the bound of the DDPM (sigma_t^2 = beta_t) on the same points, with the same epsilon draws as train.py
mse = ddpm_eps_mse(trained, test, seed=2)
bound = {k: bound_from_eps_mse(mse, test, betas, k) for k in ("beta", "beta_tilde")}
diff = bound["beta"].per_example - (-ode.log_prob)  # paired: bound minus exact NLL, per point
publish("diffusion.ode.bound", bound["beta"].total, unit="nats")
publish("diffusion.ode.bound_minus_nll", diff.mean(), unit="nats")
publish("diffusion.ode.bound_minus_nll_se", diff.std(ddof=1) / np.sqrt(diff.size), unit="nats")
assert diff.mean() > 5 * diff.std(ddof=1) / np.sqrt(diff.size)

# the data's own entropy (exact density, 200 000 draws): no model's NLL can be lower
logq = ring_mixture_logpdf(ring_mixture(200_000, seed=3))
h, h_se = -logq.mean(), logq.std() / np.sqrt(logq.size)
gap = -ode.log_prob - (-ring_mixture_logpdf(test))  # NLL minus -log q on the same points: KL(q || p) estimate
publish("diffusion.ode.kl", gap.mean(), unit="nats")
publish("diffusion.ode.kl_se", gap.std(ddof=1) / np.sqrt(gap.size), unit="nats")
assert gap.mean() > 5 * gap.std(ddof=1) / np.sqrt(gap.size)
table(["", "nats per 2-D point", "std. error", "bits/dim"],
      [["exact NLL of the ODE model", ode.nll, ode.stderr, ode.bits_per_dim],
       ["bound of the DDPM, $\\sigma_t^2 = \\beta_t$", bound["beta"].total, bound["beta"].stderr, bound["beta"].bits_per_dim],
       ["bound of the DDPM, $\\sigma_t^2 = \\tilde\\beta_t$", bound["beta_tilde"].total, bound["beta_tilde"].stderr,
        bound["beta_tilde"].bits_per_dim],
       ["data entropy h(q) (the floor)", h, h_se, float(bits_per_dim(h, 2))]], fmt=".4g")

# the model's density on a grid (looser tolerances: a picture)
g = np.linspace(-1.6, 1.6, 48)
X, Y = np.meshgrid(g, g)
grid = np.stack([X.ravel(), Y.ravel()], 1)
log_p = pf_ode_log_likelihood(trained, grid, rtol=1e-4, atol=1e-4).log_prob.reshape(X.shape)
mass = np.exp(log_p).sum() * (g[1] - g[0]) ** 2
publish("diffusion.ode.grid_mass", mass)
publish("diffusion.ode.grid_half_width", g[-1])
claim(abs(mass - 1) < 0.01, "the probability-flow density integrates to one")

fig, axes = subplots(1, 2, figsize=(4.8, 2.6), sharey=True)
true = np.exp(ring_mixture_logpdf(grid)).reshape(X.shape)
vmax = max(true.max(), np.exp(log_p).max())
for ax, dens, title in ((axes[0], np.exp(log_p), "ODE model"), (axes[1], true, "data")):
    ax.pcolormesh(X, Y, dens, shading="auto", vmin=0, vmax=vmax, cmap="viridis", rasterized=True)
    ax.set_title(title, fontsize=10)
    ax.set_aspect("equal")
    ax.set_xticks([-1, 0, 1])
    ax.set_yticks([-1, 0, 1])
    ax.grid(False)
fig.set_dpi(150)
figure(fig, "diffusion.ode.density",
       alt="Two heat maps on the square from -{{ diffusion.ode.grid_half_width }} to "
           "{{ diffusion.ode.grid_half_width }}: left the exact density of the probability-flow "
           "ODE model, eight uneven, peaked blobs on a ring joined by a faint band (it integrates to "
           "{{ diffusion.ode.grid_mass:.4f }} over the square), right the true mixture density with eight round blobs.",
       caption="Left: the density p₀(x) of the ODE model, exact at every grid point by the instantaneous "
               "change of variables. Right: the data density. Same colour scale.")
