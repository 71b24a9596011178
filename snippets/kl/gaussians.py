"""Closed-form Gaussian KLs: multivariate terms from random SPD matrices, and the VAE prior term."""

import numpy as np
import scipy.stats
import torch
from torch.distributions import MultivariateNormal, kl_divergence

import genmath
from genmath.snippet import claim, publish, table

torch.set_num_threads(1)
rng = np.random.default_rng(0)

# Two 3-dimensional Gaussians with random means and random SPD covariances A A^T + 0.5 I
k = 3
mu_p, mu_q = rng.normal(size=(2, k))
A_p, A_q = rng.normal(size=(2, k, k))
cov_p = A_p @ A_p.T + 0.5 * np.eye(k)
cov_q = A_q @ A_q.T + 0.5 * np.eye(k)

terms = genmath.kl_mvn_terms(mu_p, cov_p, mu_q, cov_q)
kl = genmath.kl_mvn(mu_p, cov_p, mu_q, cov_q)
publish("kl.mvn.k", terms.dim)
publish("kl.mvn.trace", terms.trace)
publish("kl.mvn.quadratic", terms.quadratic)
publish("kl.mvn.log_det_ratio", terms.log_det_ratio)
publish("kl.mvn.kl", kl, unit="nats")
publish("kl.mvn.kl_rev", genmath.kl_mvn(mu_q, cov_q, mu_p, cov_p), unit="nats")

# Cross-checks: torch.distributions (float64) and a Monte Carlo average of log p - log q
kl_torch = kl_divergence(MultivariateNormal(torch.tensor(mu_p), torch.tensor(cov_p)),
                         MultivariateNormal(torch.tensor(mu_q), torch.tensor(cov_q))).item()
publish("kl.mvn.torch", kl_torch, unit="nats")
p = scipy.stats.multivariate_normal(mu_p, cov_p)
q = scipy.stats.multivariate_normal(mu_q, cov_q)
mc = genmath.kl_monte_carlo(p.logpdf, q.logpdf, p.rvs(size=100_000, random_state=rng))
publish("kl.mvn.mc", mc.estimate, unit="nats", se=mc.std_error)
publish("kl.mvn.mc_n", mc.n)
claim(abs(kl_torch - kl) < 1e-10, "torch.distributions agrees with the closed form")
claim(abs(mc.estimate - kl) < 3 * mc.std_error, "the Monte Carlo average agrees within three standard errors")
table(["quantity", "value"],
      [["tr(Sigma_q^-1 Sigma_p)", terms.trace],
       ["(mu_q - mu_p)^T Sigma_q^-1 (mu_q - mu_p)", terms.quadratic],
       ["log det Sigma_q - log det Sigma_p", terms.log_det_ratio],
       ["KL closed form (nats)", kl],
       ["KL torch.distributions (nats)", kl_torch],
       [f"KL Monte Carlo, n = {mc.n} (nats)", mc.estimate],
       ["Monte Carlo standard error (nats)", mc.std_error]], fmt=".6f")

# The VAE prior term: q(z|x) = N(mu, diag sigma^2) against p(z) = N(0, I), J = 4 latent dimensions
mu = np.array([0.8, -0.3, 0.0, 1.5])
log_var = np.array([-1.0, 0.2, 0.0, -2.5])
vae = genmath.kl_standard_normal(mu, log_var)
publish("kl.vae.kl", vae, unit="nats")
publish("kl.vae.via_mvn", genmath.kl_mvn(mu, np.diag(np.exp(log_var)), np.zeros(4), np.eye(4)),
        unit="nats")
per_dim = genmath.kl_normal(mu, np.exp(0.5 * log_var), 0.0, 1.0)
table(["j", "mu_j", "log sigma_j^2", "KL of dimension j (nats)"],
      [[j + 1, mu[j], log_var[j], per_dim[j]] for j in range(4)], fmt=".4f")
