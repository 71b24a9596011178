"""Computed answers to the chapter's exercises."""

import numpy as np

from genmath import kl_mvn
from genmath.snippet import publish
from genmath.vae import (
    LinearGaussianModel,
    elbo_gaussian,
    exact_posterior,
    iwae_bound_monte_carlo,
    kl_std_normal,
    log_marginal_likelihood,
)

# Exercise 1: KL(N((1, -1), diag(0.5, 2)) || N(0, I))
mu, var = np.array([1.0, -1.0]), np.array([0.5, 2.0])
publish("vae.ex1.kl", kl_std_normal(mu, np.log(var)), unit="nats")
publish("vae.ex1.kl_dim1", kl_std_normal(mu[:1], np.log(var[:1])), unit="nats")
publish("vae.ex1.kl_dim2", kl_std_normal(mu[1:], np.log(var[1:])), unit="nats")

# Exercise 2: the 1-D linear-Gaussian model W = 2, b = 0, sigma = 1, observed x = 3
model = LinearGaussianModel(W=[[2.0]], b=[0.0], sigma=1.0)
x = np.array([3.0])
post_mean, post_cov = exact_posterior(model, x)
publish("vae.ex2.post_mean", post_mean[0])
publish("vae.ex2.post_var", post_cov[0, 0])
log_px = publish("vae.ex2.log_px", log_marginal_likelihood(model, x), unit="nats")

# Exercise 3: q = the prior
prior_elbo = publish("vae.ex3.elbo", elbo_gaussian(model, x, [0.0], [[1.0]]), unit="nats")
publish("vae.ex3.gap", log_px - prior_elbo, unit="nats")
publish("vae.ex3.kl", kl_mvn([0.0], [[1.0]], post_mean, post_cov), unit="nats")

# Exercise 4: IWAE with the exact posterior as proposal
rng = np.random.default_rng(0)
for K in (1, 10):
    est = iwae_bound_monte_carlo(model, x, post_mean, post_cov, K, 100, rng)
    publish(f"vae.ex4.k{K}", est.estimate, unit="nats")
    publish(f"vae.ex4.k{K}_se", est.std_error, unit="nats")
