"""Answers to the exercises of the maximum-likelihood chapter."""

import numpy as np
from scipy.special import expit
from scipy.stats import laplace

from genmath.info import cross_entropy, entropy, kl_divergence
from genmath.mle import (
    bernoulli_map,
    bernoulli_map_logit,
    binomial_mle,
    bits_per_dim,
    categorical_log_likelihood,
    categorical_mle,
    fisher_information_poisson,
    gaussian_misspecified_sandwich,
    gaussian_mle,
    gaussian_variance_mle_bias,
    poisson_log_likelihood,
    poisson_mle,
)
from genmath.snippet import publish

# 1. Poisson counts: MLE, maximised log-likelihood, standard error from the Fisher information
x1 = np.array([2, 0, 3, 1, 4])
lam_hat = publish("mle.ex1.lam_hat", poisson_mle(x1))
publish("mle.ex1.loglik", poisson_log_likelihood(lam_hat, x1), unit="nats")
publish("mle.ex1.std_error", np.sqrt(1.0 / (len(x1) * fisher_information_poisson(lam_hat))))

# 2. Gaussian: biased MLE variance, the unbiased estimate, and the bias for sigma^2 = 9, n = 4
x2 = np.array([1.0, 2.0, 4.0, 7.0])
mu_hat, sigma2_hat = gaussian_mle(x2)
publish("mle.ex2.mu_hat", mu_hat)
publish("mle.ex2.sigma2_hat", sigma2_hat)
publish("mle.ex2.unbiased", sigma2_hat * len(x2) / (len(x2) - 1))
publish("mle.ex2.bias", gaussian_variance_mle_bias(9.0, 4))

# 3. MAP for 9 heads in 10 tosses with a Beta(3, 3) prior, versus the MLE
publish("mle.ex3.p_map", bernoulli_map(9, 10, 3, 3))
publish("mle.ex3.p_mle", binomial_mle(9, 10))

# 4. Bits per dimension of a 32x32 RGB image with an NLL of 7000 nats
dims = publish("mle.ex4.dims", 3 * 32 * 32)
publish("mle.ex4.bpd", bits_per_dim(7000.0, dims), unit="bits")

# 5. Counts (5, 3, 2) under the uniform model on 3 categories
counts = np.array([5, 3, 2])
p_data = categorical_mle(counts)
uniform = np.full(3, 1 / 3)
publish("mle.ex5.avg_nll", -categorical_log_likelihood(uniform, counts) / counts.sum(), unit="nats")
publish("mle.ex5.cross_entropy", cross_entropy(p_data, uniform), unit="nats")
publish("mle.ex5.entropy", entropy(p_data), unit="nats")
publish("mle.ex5.kl", kl_divergence(p_data, uniform), unit="nats")
publish("mle.ex5.kl_bits", kl_divergence(p_data, uniform, base=2), unit="bits")

# 6. a Gaussian fitted to Laplace(0, b) data: central moments from scipy, then the sandwich
b = publish("mle.ex6.b", 1.0)
data = laplace(0.0, b)
m2, m3, m4 = (data.expect(lambda x, k=k: x**k) for k in (2, 3, 4))
publish("mle.ex6.m2", m2)
publish("mle.ex6.m4", m4)
sandwich = gaussian_misspecified_sandwich(m2, m3, m4).covariance
publish("mle.ex6.sandwich_vv", sandwich[1, 1])
publish("mle.ex6.naive_vv", 2 * m2**2)
publish("mle.ex6.ratio", sandwich[1, 1] / (2 * m2**2))

# 7. MAP of p and of its log-odds after 7 heads in 10 tosses, Beta(2, 2) prior
publish("mle.ex7.p_map", bernoulli_map(7, 10, 2, 2))
publish("mle.ex7.p_of_phi_map", expit(bernoulli_map_logit(7, 10, 2, 2)))
publish("mle.ex7.phi_map", bernoulli_map_logit(7, 10, 2, 2))
