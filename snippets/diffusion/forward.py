"""The forward process of Ho et al. (2020): the linear schedule, the closed form of q(x_t | x_0)
against a step-by-step simulation of the chain, and variance preservation."""

import numpy as np

from genmath import alpha_bars, forward_step, linear_betas, q_moments
from genmath.snippet import claim, publish, table

betas = linear_betas(T=1000, beta_start=1e-4, beta_end=0.02)  # element t-1 is the paper's beta_t
ab = alpha_bars(betas)
publish("diffusion.forward.steps", betas.size)
publish("diffusion.forward.beta_1", betas[0])
publish("diffusion.forward.beta_last", betas[-1])
publish("diffusion.forward.alpha_bar_last", ab[-1])
publish("diffusion.forward.sqrt_alpha_bar_last", np.sqrt(ab[-1]))
publish("diffusion.forward.t_half", int(np.argmax(ab < 0.5)) + 1)  # first paper t with alpha_bar_t < 1/2

# Simulate the chain x_0 -> x_1 -> ... -> x_T one step at a time, from one fixed x_0.
rng = np.random.default_rng(0)
n, x0 = 100_000, 1.5
publish("diffusion.forward.x0", x0)
publish("diffusion.forward.n_chains", n)
x = np.full(n, x0)
rows = []
for t in range(1, betas.size + 1):
    x = forward_step(x, t, rng.standard_normal(n), betas)
    if t in (1, 10, 100, 250, 500, 1000):
        mean, var = (float(a) for a in q_moments(x0, t, betas))
        rows.append([t, ab[t - 1], mean, x.mean(), var, x.var()])
        # standard errors of a sample mean and (normal data) of a sample variance
        mean_se, var_se = np.sqrt(x.var() / n), x.var() * np.sqrt(2 / (n - 1))
        claim(abs(x.mean() - mean) < 4 * mean_se and abs(x.var() - var) < 4 * var_se,
              f"the simulated moments at t = {t} agree with the closed form")
        if t == 250:
            publish("diffusion.forward.mc_mean_250", x.mean(), se=mean_se)
            publish("diffusion.forward.exact_mean_250", mean)
            publish("diffusion.forward.mc_var_250", x.var(), se=var_se)
            publish("diffusion.forward.exact_var_250", var)
table(["t", "ᾱ_t", "mean √ᾱ_t·x₀", "simulated mean", "variance 1−ᾱ_t", "simulated variance"],
      rows, fmt=".5f")

# Variance preservation: if Var[x_{t-1}] = 1 then Var[x_t] = (1 - beta_t) + beta_t = 1.
z = rng.standard_normal(n)
for t in range(1, betas.size + 1):
    z = forward_step(z, t, rng.standard_normal(n), betas)
publish("diffusion.forward.unit_var_after", z.var(), se=z.var() * np.sqrt(2 / (n - 1)))
claim(abs(z.var() - 1) < 4 * np.sqrt(2 / (n - 1)), "unit-variance samples keep unit variance after T steps")
