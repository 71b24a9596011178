"""The DDPM link: grad log q(x_t | x_0) = -eps / sqrt(1 - abar_t) for every sample, and the marginal score
grad log q(x_t) = -E[eps | x_t] / sqrt(1 - abar_t), on 2-D Gaussian data with Ho et al.'s linear schedule."""

import numpy as np

from genmath.diffusion import alpha_bars, linear_betas, q_sample
from genmath.score import (
    ddpm_conditional_score,
    ddpm_gaussian_marginal,
    ddpm_gaussian_noise_posterior_mean,
    gaussian_score,
    regress_noise_on_xt,
    score_from_noise,
)
from genmath.snippet import claim, publish, table

rng = np.random.default_rng(0)
T = publish("score.ddpm.steps", 1000)
betas = linear_betas(T)  # beta from 1e-4 to 0.02 (Ho et al., 2020, Sec. 4)
abar = alpha_bars(betas)
n = publish("score.ddpm.n", 100_000)

mu = np.array([1.0, -0.5])
cov = np.array([[0.5, 0.3], [0.3, 0.4]])
probe = np.array([[0.0, 0.0], [1.0, 1.0], [-1.5, 0.5]])  # points x_t where the marginal score is compared

rows = []
for t in (10, 100, 500, 900):
    a = abar[t - 1]
    x0 = rng.multivariate_normal(mu, cov, size=n)
    eps = rng.standard_normal(x0.shape)
    x_t = q_sample(x0, t, eps, betas)
    cond_err = np.abs(ddpm_conditional_score(x_t, x0, a) - score_from_noise(eps, a)).max()
    # marginal: the best noise predictor for Gaussian data is linear in x_t; fit it by least squares
    W, c = regress_noise_on_xt(x_t, eps)
    mc_score = score_from_noise(probe @ W.T + c, a)
    m_t, c_t = ddpm_gaussian_marginal(mu, cov, a)
    exact_score = gaussian_score(probe, m_t, c_t)
    closed_score = score_from_noise(ddpm_gaussian_noise_posterior_mean(probe, mu, cov, a), a)
    mc_rel = np.abs(mc_score - exact_score).max() / np.abs(exact_score).max()
    rows.append([t, a, cond_err, mc_rel, np.abs(closed_score - exact_score).max()])
    if t == 500:
        publish("score.ddpm.t500.abar", a)
        publish("score.ddpm.t500.cond_err", cond_err)
        publish("score.ddpm.t500.mc_rel_err", mc_rel)
        publish("score.ddpm.t500.closed_err", np.abs(closed_score - exact_score).max())
        publish("score.ddpm.t500.score_probe1", exact_score[1, 0])
table(["t", "ᾱ_t", "max |∇log q(x_t|x₀) + ε/√(1−ᾱ_t)|", "MC −E[ε|x_t]/√(1−ᾱ_t) vs ∇log q(x_t), relative error",
       "closed-form E[ε|x_t], max abs error"], rows, fmt=".3g",
      caption="2-D Gaussian data; the MC column uses a least-squares fit of ε on x_t from the samples")
publish("score.ddpm.max_cond_err", max(r[2] for r in rows))
publish("score.ddpm.max_closed_err", max(r[4] for r in rows))
publish("score.ddpm.t10.mc_rel_err", rows[0][3])
publish("score.ddpm.t900.mc_rel_err", rows[-1][3])
claim(max(r[2] for r in rows) < 1e-10, "the conditional identity holds for every sample to rounding")
claim(rows[0][3] > 3 * rows[2][3], "the least-squares fit is worse at t = 10 than at t = 500")

# Why: at t = 10 the marginal score is of order one (q(x_t) is close to the data distribution), but
# the regression recovers E[eps | x_t], which is small -- of order sqrt(1 - abar_t) -- from a target eps
# of unit variance; dividing by sqrt(1 - abar_t) then multiplies its absolute error by 1/sqrt(1 - abar_t).
a10 = abar[9]
m10, c10 = ddpm_gaussian_marginal(mu, cov, a10)
x10 = rng.multivariate_normal(m10, c10, size=n)
publish("score.ddpm.t10.sqrt_one_minus_abar", np.sqrt(1 - a10))
publish("score.ddpm.t10.marginal_score_rms", np.sqrt(np.mean(np.sum(gaussian_score(x10, m10, c10) ** 2, axis=1) / 2)))
publish("score.ddpm.t10.conditional_score_rms", 1 / np.sqrt(1 - a10))  # eps / sqrt(1 - abar), per coordinate
noise_mean = ddpm_gaussian_noise_posterior_mean(x10, mu, cov, a10)
publish("score.ddpm.t10.noise_mean_rms", np.sqrt(np.mean(np.sum(noise_mean**2, axis=1) / 2)))

# The DDPM sampler (Ho et al. 2020, Algorithm 2) uses eps_theta through
# x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps_theta) / sqrt(alpha_t) + sigma_t z: an error in eps_theta
# moves x_{t-1} by at most this coefficient. The implied score -eps/sqrt(1 - abar_t) amplifies it by
# 1/sqrt(1 - abar_t), largest at t = 1; the implied x_0 = (x_t - sqrt(1 - abar_t) eps)/sqrt(abar_t) by
# sqrt((1 - abar_t)/abar_t), largest at t = T.
sampler_coef = betas / (np.sqrt(1 - betas) * np.sqrt(1 - abar))
publish("score.ddpm.sampler_coef_max", sampler_coef.max())
publish("score.ddpm.score_amp_t1", 1 / np.sqrt(1 - abar[0]))
publish("score.ddpm.x0_amp_t_last", np.sqrt((1 - abar[-1]) / abar[-1]))
