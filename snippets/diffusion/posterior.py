"""The posterior q(x_{t-1} | x_t, x_0) of Ho et al. (2020), eq. 7, three ways: the closed form,
Bayes' rule by quadrature, and a simulation (regress x_{t-1} on x_t with x_0 fixed)."""

import numpy as np
from scipy import stats

from genmath import (
    forward_step,
    linear_betas,
    posterior_mean,
    posterior_mean_coefs,
    posterior_variance,
    q_moments,
    q_sample,
)
from genmath.numerics import integrate
from genmath.snippet import claim, publish, table

betas = linear_betas()  # T = 1000, 1e-4 .. 0.02
coef_x0, coef_xt = posterior_mean_coefs(betas)
beta_tilde = posterior_variance(betas)
rows = [[t, betas[t - 1], beta_tilde[t - 1], beta_tilde[t - 1] / betas[t - 1], coef_x0[t - 1], coef_xt[t - 1]]
        for t in (1, 2, 10, 100, 500, 1000)]
table(["t", "β_t", "β̃_t", "β̃_t/β_t", "coef. of x₀", "coef. of x_t"], rows, fmt=".5g")
for t in (2, 10, 1000):
    publish(f"diffusion.posterior.ratio_{t}", beta_tilde[t - 1] / betas[t - 1])
publish("diffusion.posterior.coef_x0_2", coef_x0[1])
publish("diffusion.posterior.coef_xt_2", coef_xt[1])
publish("diffusion.posterior.coef_x0_1000", coef_x0[-1])
publish("diffusion.posterior.coef_xt_1000", coef_xt[-1])

# Bayes' rule by quadrature at t = 100: q(x_{t-1}|x_t,x_0) ∝ q(x_t|x_{t-1}) q(x_{t-1}|x_0).
t, x0, xt = 100, 0.6, -0.4
m_prev, v_prev = (float(a) for a in q_moments(x0, t - 1, betas))
mu = float(posterior_mean(x0, xt, t, betas))
sd = np.sqrt(beta_tilde[t - 1])


def unnormalised(x):
    return stats.norm.pdf(xt, np.sqrt(1 - betas[t - 1]) * x, np.sqrt(betas[t - 1])) * stats.norm.pdf(x, m_prev, np.sqrt(v_prev))


lo, hi = mu - 12 * sd, mu + 12 * sd
Z = integrate(unnormalised, lo, hi, name="q(x_t | x_{t-1}) q(x_{t-1} | x_0)", loc=mu, scale=sd, rtol=1e-12)
q_mean = integrate(lambda x: x * unnormalised(x), lo, hi, name="x q(...) q(...)", loc=mu, scale=sd, rtol=1e-12) / Z
q_var = integrate(lambda x: (x - q_mean) ** 2 * unnormalised(x), lo, hi, name="(x - mean)^2 q(...) q(...)",
                  loc=mu, scale=sd, rtol=1e-12) / Z
publish("diffusion.posterior.t", t)
publish("diffusion.posterior.x0", x0)
publish("diffusion.posterior.xt", xt)
publish("diffusion.posterior.mean_closed", mu)
publish("diffusion.posterior.mean_quad", q_mean)
publish("diffusion.posterior.var_closed", beta_tilde[t - 1])
publish("diffusion.posterior.var_quad", q_var)
publish("diffusion.posterior.quad_mean_err", abs(q_mean - mu))
publish("diffusion.posterior.quad_var_relerr", abs(q_var / beta_tilde[t - 1] - 1))

# Simulation: with x_0 fixed, regress x_{t-1} on x_t. Slope = coef of x_t, intercept = coef of x_0 · x_0,
# residual variance = beta_tilde_t.
rng = np.random.default_rng(0)
n = 200_000
x_prev = q_sample(np.full(n, x0), t - 1, rng.standard_normal(n), betas)
x_t = forward_step(x_prev, t, rng.standard_normal(n), betas)
slope, intercept = np.polyfit(x_t, x_prev, 1)
table(["quantity", "closed form", "simulated (200 000 chains)"],
      [["coef. of x_t", coef_xt[t - 1], slope],
       ["coef. of x₀ · x₀", coef_x0[t - 1] * x0, intercept],
       ["β̃_t", beta_tilde[t - 1], np.var(x_prev - slope * x_t - intercept)]], fmt=".6f")
resvar = np.var(x_prev - slope * x_t - intercept)
slope_se = np.sqrt(resvar / (n * np.var(x_t)))  # least-squares standard error of the slope
publish("diffusion.posterior.sim_slope", slope, se=slope_se)
publish("diffusion.posterior.sim_resvar", resvar, se=resvar * np.sqrt(2 / (n - 2)))
claim(abs(slope - coef_xt[t - 1]) < 4 * slope_se, "the simulated slope agrees with the x_t coefficient")
claim(abs(resvar - beta_tilde[t - 1]) < 4 * resvar * np.sqrt(2 / (n - 2)),
      "the simulated residual variance agrees with beta_tilde_t")
claim(abs(q_mean - mu) < 1e-10 and abs(q_var / beta_tilde[t - 1] - 1) < 1e-8,
      "Bayes' rule by quadrature agrees with the closed-form posterior")
